"""Forecast dock: where next period's incidents are most likely, and how often that has been right.

The panel runs ``beatwise forecast`` on the filtered incidents (:func:`desktop.tasks.run_forecast`,
:func:`analysis.spacetime.next_period.forecast_incidents`): every method is back-tested over the last
test periods, one is chosen (the best mean PAI, or the one asked for) and its top cells covering the
coverage share of the study area become numbered boxes, drawn on the map (layer 'Forecast boxes').
It shows the chosen method and why, the back-tested share of incidents such boxes caught (large), a
back-test table (a row per method), the coverage curves and the boxes (a click zooms the map to one).
When the data cannot support a forecast (month-only data, too little history) it says why in plain
words. Every number comes from the analysis result; the panel only formats it.
"""
from __future__ import annotations

import html
from typing import Optional

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.panels.result_panel import ResultPanel
from desktop.views.fit import fill_with_scrolled, fit_table_height, message_label

PERIODS = (("week", "Next week"), ("day", "Next day"), ("shift", "Next shift (8 h)"))
BEST = "Best in back-test"
METRIC_COLUMNS = (("hit_rate", "Hit rate"), ("pai", "PAI"), ("pei", "PEI"))
#: Short method names for the table and the curves' legend (the full name is in the tooltip).
SHORT_NAMES = {"naive": "Naive", "kde": "Retrospective KDE", "prospective": "Prospective", "etas": "ETAS"}
#: The boxes table shows at most this many rows before it scrolls.
MAX_BOX_ROWS = 8
CURVE_HEIGHT = 230


def stat_text(stats: dict, metric: str) -> str:
    """The mean of one back-test statistic over its min–max range (two lines): hit rate in %, PAI and
    PEI as ratios."""
    if stats.get("mean") is None:
        return "–"
    if metric == "hit_rate":
        return f"{100 * stats['mean']:.1f}%\n{100 * stats['min']:.1f}–{100 * stats['max']:.1f}%"
    return f"{stats['mean']:.2f}\n{stats['min']:.2f}–{stats['max']:.2f}"


def curve_legend_html(entries) -> str:
    """The coverage curves' legend: a coloured line per ``(label, colour)``, then the random line."""
    parts = [f"<span style='color:{c}'><b>&#9644;</b></span>&nbsp;{html.escape(label)}" for label, c in entries]
    parts.append("<b>- -</b>&nbsp;Random")
    return " &nbsp; ".join(parts)


def _item(text: str, tip: str = "", align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter):
    item = QTableWidgetItem(text)
    item.setTextAlignment(align)
    if tip:
        item.setToolTip(tip)
    return item


class ForecastPanel(ResultPanel):
    """Signals: ``failed(str)`` (a message for the user), ``message(str)`` (for the status bar)."""

    KEY, LABEL = "forecast", "Forecast"

    def __init__(self, model, tasks, map_view, parent: Optional[QWidget] = None):
        super().__init__(model, tasks, map_view, parent)
        from analysis.spacetime.forecast import METHOD_NAMES, METHODS

        self.period = QComboBox()
        for key, text in PERIODS:
            self.period.addItem(text, key)
        self.period.setToolTip("The period forecast: the first whole week (Monday to Sunday), day or 8-hour "
                               "shift (06:00, 14:00, 22:00) after the last incident")
        self.method = QComboBox()
        self.method.addItem(BEST, None)
        for m in METHODS:
            self.method.addItem(METHOD_NAMES[m], m)
        self.method.setToolTip("Best in back-test: the method with the highest mean PAI at the coverage over "
                               "the test periods")
        self.coverage = QDoubleSpinBox(minimum=0.1, maximum=50.0, value=2.0, singleStep=0.5, decimals=1,
                                       suffix=" %")
        self.coverage.setToolTip("Share of the study area the boxes cover (default 2%)")
        self.test_periods = QSpinBox(minimum=1, maximum=104, value=12)
        self.test_periods.setToolTip("Past periods each method is tested on, each forecast from the data "
                                     "before it (default 12)")
        self.cell = QSpinBox(minimum=25, maximum=2000, value=150, singleStep=25, suffix=" m")
        self.cell.setToolTip("Grid cell size (default 150 m)")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Back-test every method on the incidents passing the filters, then "
                                   "forecast the next period with the chosen one")
        self.run_button.clicked.connect(self.start)
        form = QFormLayout()
        for label, w in (("Period", self.period), ("Method", self.method), ("Coverage", self.coverage),
                         ("Test periods", self.test_periods), ("Cell", self.cell)):
            form.addRow(label, w)
        top = QHBoxLayout()
        top.addLayout(form, 1)
        top.addWidget(self.run_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.status = message_label("Open a project, then Run.", "forecastStatus")
        self.headline = message_label("", "forecastMethod")
        self.expected = message_label("", "forecastExpected")
        big = QFont(self.expected.font())
        big.setPointSizeF(big.pointSizeF() * 1.45)
        big.setBold(True)
        self.expected.setFont(big)

        self.table = QTableWidget(0, 1 + len(METRIC_COLUMNS))
        self.table.setObjectName("backtestTable")
        self.table.setHorizontalHeaderLabels(["Method"] + [t for _m, t in METRIC_COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, self.table.columnCount()):
            self.table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Mean over the test periods (min–max). Hit rate: share of the period's incidents "
                              "inside the top cells; PAI: hit rate / share of the area; PEI: incidents caught / "
                              "the most any choice of that many cells could have caught")
        self.curves = pg.PlotWidget(background="w")
        self.curves.setObjectName("coverageCurves")
        self.curves.setFixedHeight(CURVE_HEIGHT)
        self.curves.setMenuEnabled(False)
        self.curves.hideButtons()
        self.curves.setMouseEnabled(False, False)
        self.curves.showGrid(x=True, y=True, alpha=0.25)
        self.curves.setLabel("bottom", "Share of the study area (%)")
        self.curves.setLabel("left", "Incidents caught (%)")
        for axis in ("left", "bottom"):
            self.curves.getAxis(axis).setTextPen("#222")
            self.curves.getAxis(axis).setPen("#777")
        self.curve_legend = message_label("", "curveLegend")  # under the plot: it hides no curve
        self.backtest_note = message_label("", "backtestNote", style="color:#555")
        bbox = QGroupBox("How often has it been right? Back-test")
        bl = QVBoxLayout(bbox)
        bl.addWidget(self.table)
        bl.addWidget(self.curves)
        bl.addWidget(self.curve_legend)
        bl.addWidget(self.backtest_note)

        self.boxes = QTableWidget(0, 4)
        self.boxes.setObjectName("forecastBoxes")
        self.boxes.setHorizontalHeaderLabels(["Box", "Streets", "Expected", "Area km²"])
        self.boxes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.boxes.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.boxes.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.boxes.verticalHeader().setVisible(False)
        h = self.boxes.horizontalHeader()
        for c in range(4):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch if c == 1 else
                                   QHeaderView.ResizeMode.ResizeToContents)
        self.boxes.setWordWrap(True)
        self.boxes.setToolTip("Click a box to zoom the map to it. Expected: incidents forecast in the box "
                              "over the period")
        self.boxes.cellClicked.connect(lambda row, _col: self._select_box(row))
        self.boxes.currentCellChanged.connect(lambda row, *_: self._select_box(row))
        xbox = QGroupBox("Where: the boxes (on the map, layer 'Forecast boxes')")
        xl = QVBoxLayout(xbox)
        xl.addWidget(self.boxes)
        self.results = QWidget()
        rl = QVBoxLayout(self.results)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.headline)
        rl.addWidget(self.expected)
        rl.addWidget(xbox)
        rl.addWidget(bbox)

        page = QWidget()
        inner = QVBoxLayout(page)
        inner.addLayout(top)
        inner.addWidget(self.status)
        inner.addWidget(self.results)
        inner.addStretch(1)
        fill_with_scrolled(self, page, horizontal=False)  # a short dock scrolls, the window does not grow
        self.follow_the_model()

    # ------------------------------------------------------------------ running
    def start(self):
        """Run :func:`desktop.tasks.run_forecast` as this panel's task; None without a project."""
        from desktop.tasks import run_forecast

        return self.start_task("Back-testing the methods and forecasting the next period...", run_forecast,
                               self.period.currentData(), self.method.currentData(), float(self.coverage.value()),
                               int(self.test_periods.value()), float(self.cell.value()))

    def _failed(self, message: str) -> None:
        """Why there is no forecast (month-only data, too little history...) in plain words in the panel;
        only a bug (an unexpected error) goes further, as ``failed``."""
        self.model.clear_result("forecast")
        self.status.setText(f"<span style='color:#b00'><b>No forecast:</b> {html.escape(message)}</span>")
        self.message.emit(f"Forecast: {message}")
        if message.startswith("Unexpected error"):
            self.failed.emit(message)

    # ------------------------------------------------------------------ results
    def show_run(self, run) -> None:
        self.run = run
        fc = run.result if run is not None else None
        self.map.set_forecast(fc)
        self.results.setVisible(fc is not None)
        self._show_backtest(fc)
        self._show_boxes(fc)
        if fc is None:
            self.status.setText("Run to forecast where the next period's incidents are most likely."
                                if self.model.has_project else "Open a project, then Run.")
            self.headline.setText("")
            self.expected.setText("")
            return
        from analysis.spacetime.forecast import METHOD_NAMES

        self.status.setText(f"Incidents: {html.escape(run.filters.describe())}.")
        self.headline.setText(
            f"<b>Forecast for {html.escape(fc.label)}</b>: {len(fc.boxes)} boxes over {fc.coverage_pct:g}% of "
            f"the study area ({fc.grid.cell_m:g} m cells).<br><b>Method:</b> "
            f"{html.escape(METHOD_NAMES.get(fc.method, fc.method))}, {html.escape(fc.chosen_by, quote=False)}.")
        self.expected.setText(html.escape(fc.expected_hit_text(), quote=False))
        self.message.emit(f"Forecast for {fc.label}: {len(fc.boxes)} boxes on the map.")

    def _show_backtest(self, fc) -> None:
        self.table.setRowCount(0)
        self.curves.clear()
        if fc is None:
            self.curve_legend.setText("")
            self.backtest_note.setText("")
            return
        from analysis.export.forecast_figure import METHOD_COLOURS
        from analysis.spacetime.forecast import METHOD_NAMES

        bt, cov = fc.backtest, fc.coverage_pct
        self.table.setRowCount(len(bt.methods))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for r, m in enumerate(bt.methods):
            name = SHORT_NAMES.get(m, m) + ("\n(chosen)" if m == fc.method else "")
            cells = [_item(name, METHOD_NAMES.get(m, m), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)]
            cells[0].setData(Qt.ItemDataRole.UserRole, m)
            for metric, title in METRIC_COLUMNS:
                s = bt.stats(m, metric, cov)
                cells.append(_item(stat_text(s, metric), f"{title} at {cov:g}% of the area over {s['n']} test "
                                   f"{bt.period}s: mean (min–max)"))
            for c, item in enumerate(cells):
                if m == fc.method:
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        fit_table_height(self.table, len(bt.methods))

        x, rates = bt.curve()
        for i, m in enumerate(bt.methods):
            self.curves.plot(x, 100 * rates[i], pen=pg.mkPen(METHOD_COLOURS.get(m, "#000"),
                                                             width=3 if m == fc.method else 1.5),
                             name=SHORT_NAMES.get(m, m) + (" (chosen)" if m == fc.method else ""))
        self.curves.plot(x, x, pen=pg.mkPen("#000", width=1, style=Qt.PenStyle.DashLine), name="Random")
        self.curves.setXRange(0, float(x.max()), padding=0.02)
        self.curves.setYRange(0, 100, padding=0.02)
        self.curve_legend.setText(curve_legend_html(
            [(SHORT_NAMES.get(m, m) + (" (chosen)" if m == fc.method else ""), METHOD_COLOURS.get(m, "#000"))
             for m in bt.methods]))
        self.backtest_note.setText(
            f"{len(bt.origins)} test {bt.period}s, {html.escape(bt.labels[0])} to {html.escape(bt.labels[-1])}; "
            f"table at {cov:g}% of the area. Curves: mean share of incidents caught against the share of the "
            "study area chosen; the dashed line is a random choice.")

    def _show_boxes(self, fc) -> None:
        self.boxes.setRowCount(0)
        if fc is None:
            return
        self.boxes.setRowCount(len(fc.boxes))
        for r, b in enumerate(fc.boxes):
            rank = _item(str(b.rank), align=Qt.AlignmentFlag.AlignCenter)
            rank.setData(Qt.ItemDataRole.UserRole, b.rank)
            streets = "; ".join(b.streets) or "(no street names)"
            self.boxes.setItem(r, 0, rank)
            self.boxes.setItem(r, 1, _item(streets, streets, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter))
            self.boxes.setItem(r, 2, _item(f"{b.risk:.1f}", f"{100 * b.share:.1f}% of the study area's expected "
                                           "incidents"))
            self.boxes.setItem(r, 3, _item(f"{b.area_km2:.3f}", f"{b.n_cells} cells"))
        fit_table_height(self.boxes, MAX_BOX_ROWS)

    def _select_box(self, row: int) -> None:
        item = self.boxes.item(row, 0) if row >= 0 else None
        if item is not None:
            self.map.select_forecast_box(int(item.data(Qt.ItemDataRole.UserRole)))
