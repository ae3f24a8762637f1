"""Patrols dock: were we there? The presence parameters (max gap, visit buffer, Koper minutes, day
start), Run, the gap table (click a row to zoom to its hotspot), patrol minutes per policing day
for the selected hotspot, and demand beside observed presence by hour and weekday. The presence
raster goes on the map as its own layer.

The panel owns its parameters and its task (key ``patrols``, through the TaskManager); the numbers
come from :func:`analysis.patrols.report.patrol_report` via :func:`desktop.tasks.run_patrols`,
compared with the hotspot areas on the map. "Observed presence", never "compliance".
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTime, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDoubleSpinBox, QGridLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QSlider, QTableWidget,
                               QTableWidgetItem, QTabWidget, QTimeEdit, QVBoxLayout, QWidget)

from desktop.views.charts import MonthBars, number_item
from desktop.views.fit import message_label
from desktop.views.heatmap_view import HeatmapView

COLUMNS = ("Rank", "Hotspot", "Incidents", "Patrol time", "Patrol min", "Visits ≥10 min", "Longest gap",
           "What it means")
BAR = (40, 90, 200)
UNDER = "#b2182b"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else f"{100 * x:.1f}%"


class DosageChart(MonthBars):
    """Patrol minutes per policing day at one hotspot (bars), the Koper minimum as a dashed line;
    the hover (MonthBars') gives a day's minutes and qualifying visits."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent, compact=True)
        self.getPlotItem().getAxis("left").setLabel("patrol minutes", color="#333")
        self.items: list = []
        self.qualifying = np.zeros(0)

    @property
    def days(self) -> list:
        return self.months

    def clear_chart(self) -> None:
        pi = self.getPlotItem()
        for it in self.items:
            pi.removeItem(it)
        self.items = []
        self.months = []
        self.values = np.zeros(0)
        pi.setTitle(None)

    def show_dosage(self, rows, name: str, koper_min: float) -> None:
        """``rows``: the hotspot's rows of :attr:`Visits.dosage` (one per policing day)."""
        self.clear_chart()
        pi = self.getPlotItem()
        self.months = [str(d)[:10] for d in rows["day"]]
        self.values = rows["patrol_minutes"].to_numpy(dtype=float)
        self.qualifying = rows["visits_qualifying"].to_numpy(dtype=float)
        if not self.months:
            return
        x = np.arange(len(self.months), dtype=float)
        bars = pg.BarGraphItem(x=x, height=self.values, width=0.75, brush=pg.mkBrush(*BAR), pen=pg.mkPen(None))
        line = pg.InfiniteLine(koper_min, angle=0, pen=pg.mkPen(UNDER, width=1.5, style=Qt.PenStyle.DashLine))
        for it in (bars, line):
            pi.addItem(it)
            self.items.append(it)
        step = max(1, int(np.ceil(len(self.months) / 8)))
        pi.getAxis("bottom").setTicks([[(i, d[5:]) for i, d in enumerate(self.months) if i % step == 0],
                                       [(i, "") for i in range(len(self.months))]])
        pi.getAxis("bottom").setLabel("policing day (month-day)", color="#333")
        pi.setXRange(-0.6, len(self.months) - 0.4, padding=0)
        pi.setYRange(0, max(float(self.values.max()), koper_min) * 1.15, padding=0)
        pi.setTitle(f"<span style='color:#222'>{name}: patrol minutes per policing day</span>"
                    f"<br><span style='color:{UNDER}'>dashed: one {koper_min:g}-minute visit (Koper)</span>",
                    size="9pt")

    def describe(self, i: int) -> str:
        return (f"{self.months[i]}: {self.values[i]:,.1f} patrol minutes, "
                f"{int(self.qualifying[i])} qualifying visit(s)")


class PatrolsPanel(QWidget):
    """Signals: ``failed(str)`` (a message for the user), ``message(str)`` (for the status bar)."""

    failed = Signal(str)
    message = Signal(str)

    def __init__(self, model, tasks, map_view, parent: Optional[QWidget] = None):
        super().__init__(parent)
        from analysis.patrols.report import PatrolParams  # light: numpy and dataclasses only

        self.model, self.tasks, self.map = model, tasks, map_view
        self.run = None
        self.rows: list = []  # HotspotGap per table row
        d = PatrolParams()
        self.max_gap = QDoubleSpinBox()
        self.max_gap.setRange(0.5, 240)
        self.max_gap.setDecimals(1)
        self.max_gap.setSuffix(" min")
        self.max_gap.setToolTip("A unit counts as present along the straight line between two of its "
                                "pings at most this far apart; longer gaps are unknown, never present. "
                                f"Default {d.max_gap_min:g} minutes.")
        self.buffer = QDoubleSpinBox()
        self.buffer.setRange(0, 1000)
        self.buffer.setDecimals(0)
        self.buffer.setSuffix(" m")
        self.buffer.setToolTip("A visit is time inside a hotspot area widened by this much (GPS error, "
                               f"officers on the pavement). Default {d.visit_buffer_m:g} m.")
        self.koper = QDoubleSpinBox()
        self.koper.setRange(1, 240)
        self.koper.setDecimals(0)
        self.koper.setSuffix(" min")
        self.koper.setToolTip("Shortest visit that counts as a patrol dose (Koper 1995: stops of about "
                              f"10 minutes or more; 11-15 is the optimum). Default {d.koper_min:g} minutes.")
        self.day_start = QTimeEdit()
        self.day_start.setDisplayFormat("HH:mm")
        self.day_start.setToolTip("Local time the policing day starts: the dosage chart counts each day "
                                  f"from here (a visit across it is split). Default {d.day_start}.")
        self.run_button = QPushButton("Compare with demand")
        self.run_button.setToolTip("Measure observed patrol presence at the hotspot areas on the map and "
                                   "compare it with where and when the incidents are")
        self.run_button.clicked.connect(lambda: self.start(store=True))
        grid = QGridLayout()
        grid.addWidget(QLabel("Max gap"), 0, 0)
        grid.addWidget(self.max_gap, 0, 1)
        grid.addWidget(QLabel("Visit buffer"), 0, 2)
        grid.addWidget(self.buffer, 0, 3)
        grid.addWidget(QLabel("Koper visit ≥"), 1, 0)
        grid.addWidget(self.koper, 1, 1)
        grid.addWidget(QLabel("Day starts"), 1, 2)
        grid.addWidget(self.day_start, 1, 3)
        grid.addWidget(self.run_button, 2, 2, 1, 2)
        box = QGroupBox("Observed presence")
        box.setLayout(grid)

        self.status = message_label("", "patrolStatus", style="color: #555;", selectable=True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("gapTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(60)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setToolTip("Under-patrolled hotspots first (a larger share of the incidents than of "
                              "the patrol time), worst at their peak hours first. Click a row to zoom.")
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.sentence = message_label("", "gapSentence", selectable=True)
        self.sentence.setStyleSheet("QLabel#gapSentence { color: #222; padding: 2px; }")
        self.dosage = DosageChart()
        self.demand_map = HeatmapView(compact=True)
        self.presence_map = HeatmapView(compact=True)
        heat = QWidget()
        hl = QHBoxLayout(heat)
        hl.setContentsMargins(0, 0, 0, 0)
        for title, view in (("Demand: incidents", self.demand_map), ("Observed presence: patrol hours",
                                                                     self.presence_map)):
            col = QVBoxLayout()
            col.addWidget(QLabel(f"<b>{title}</b>"))
            col.addWidget(view, 1)
            hl.addLayout(col, 1)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table, 1)
        tl.addWidget(self.sentence)
        self.tabs = QTabWidget()
        self.tabs.addTab(top, "Gap by hotspot")
        self.tabs.addTab(heat, "Demand vs presence")
        self.tabs.addTab(self.dosage, "Dosage per day")
        self.hour = QSlider(Qt.Orientation.Horizontal)
        self.hour.setObjectName("unitHour")
        self.hour.setToolTip("Move to show where each unit was in that hour of the observed period "
                             "(tracks and last positions on the map)")
        self.hour.setEnabled(False)
        self.hour.valueChanged.connect(self.show_hour)
        self.hour_label = QLabel("Units by hour: run the comparison first")
        self.hour_label.setObjectName("unitHourLabel")
        self.hour_row = QWidget()  # shown once there is a run to step through
        hour_row = QHBoxLayout(self.hour_row)
        hour_row.setContentsMargins(0, 0, 0, 0)
        hour_row.addWidget(self.hour_label)
        hour_row.addWidget(self.hour, 1)
        self.hour_row.setVisible(False)
        self.note = message_label(style="color: #a60;")
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(self.hour_row)
        layout.addWidget(self.note)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self.set_params(d)
        self._update_state()
        model.datasetChanged.connect(self._dataset_changed)
        model.patrolsChanged.connect(self._patrols_changed)
        model.selectionChanged.connect(self._selection_changed)

    # ------------------------------------------------------------------ parameters
    def set_params(self, p) -> None:
        self.max_gap.setValue(p.max_gap_min)
        self.buffer.setValue(p.visit_buffer_m)
        self.koper.setValue(p.koper_min)
        self.day_start.setTime(QTime.fromString(p.day_start, "HH:mm"))

    def params(self):
        from analysis.patrols.report import PatrolParams

        return PatrolParams(max_gap_min=float(self.max_gap.value()), visit_buffer_m=float(self.buffer.value()),
                            koper_min=float(self.koper.value()),
                            day_start=self.day_start.time().toString("HH:mm"))

    # ------------------------------------------------------------------ state
    def applicable(self) -> bool:
        m = self.model
        return (m.has_patrols or m.has_patrol_logs) and m.result("hotspots") is not None

    def _update_state(self) -> None:
        m = self.model
        if not m.has_project:
            text = "Open a project to compare patrols with demand."
        elif not (m.has_patrols or m.has_patrol_logs):
            text = ("No patrol data in this project: File > Import patrol data (vehicle or radio GPS) "
                    "or File > Import patrol logs (tasking records).")
        elif m.result("hotspots") is None:
            text = "Patrols are compared with the hotspot areas: run the hotspots first."
        elif m.result("hotspots").areas is None or not m.result("hotspots").areas.hotspots:
            text = "No hotspot areas to compare patrols with."
        else:
            text = ""
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.run_button.setEnabled(self.applicable())

    def _dataset_changed(self) -> None:
        from analysis.patrols.report import PatrolParams

        self.tasks.cancel("patrols")
        self.set_params(PatrolParams.from_dict(self.model.setting("patrol_params")))
        self.show_run(None)
        self._update_state()

    def _patrols_changed(self) -> None:
        self.show_run(None)
        self._update_state()
        if self.applicable():
            self.start()

    def hotspots_ready(self, auto_run: bool = True) -> None:
        """The hotspot areas changed: earlier results compared other areas."""
        self.tasks.cancel("patrols")
        self.model.clear_result("patrols")
        self.show_run(None)
        self._update_state()
        if auto_run and self.applicable():
            self.start()

    # ------------------------------------------------------------------ running
    def start(self, store: bool = False):
        """Run :func:`desktop.tasks.run_patrols` as this panel's task; None when not applicable."""
        from desktop.tasks import run_patrols

        self._update_state()
        if not self.applicable():
            return None
        m = self.model
        params = self.params()
        if store:
            m.set_setting("patrol_params", params.to_dict())
        self.status.setText("Measuring observed presence...")
        return self.tasks.start("patrols", "Patrols", run_patrols, m.project.incidents, m.filters,
                                m.project.patrols, m.result("hotspots"), params, m.project.patrol_logs,
                                on_done=lambda r: m.set_result("patrols", r), on_error=self._failed,
                                on_cancel=lambda: self.status.setText("Cancelled: nothing was changed."))

    def _failed(self, message: str) -> None:
        self.status.setText(f"<span style='color:#b00'>{message}</span>")
        self.failed.emit(message)

    # ------------------------------------------------------------------ results
    def show_run(self, run) -> None:
        self.run = run
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        self.table.blockSignals(False)
        self.rows = []
        self.dosage.clear_chart()
        self.map.set_units(None)
        self.hour.blockSignals(True)
        self.hour.setValue(0)
        self.hour.blockSignals(False)
        self.hour.setEnabled(run is not None and run.pings is not None)
        self.hour_row.setVisible(run is not None and run.pings is not None)
        self.hour_label.setText("Units by hour: move the slider" if run is not None else
                                "Units by hour: run the comparison first")
        if run is not None:
            pres = run.report.presence
            self.hour.setRange(0, max(0, int((pres.period_end_ns - self._first_hour_ns(run)) // 3_600_000_000_000)))
        if run is None:
            self.sentence.setText("")
            self.map.set_presence(None)
            self.demand_map.clear("Run the comparison to see demand by hour.")
            self.presence_map.clear("Run the comparison to see presence by hour.")
            self.status.setText("")
            return
        rp = run.report
        gap, pres, p = rp.gap, rp.presence, rp.params
        self.map.set_presence(rp.presence_minutes, pres.grid)
        under = list(gap.gaps)
        others = [h for h in gap.hotspots if h not in under]
        self.rows = under + others
        COLUMNS_TEXT = list(COLUMNS)
        COLUMNS_TEXT[5] = f"Visits ≥{p.koper_min:g} min"
        self.table.setHorizontalHeaderLabels(COLUMNS_TEXT)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.rows))
        for r, h in enumerate(self.rows):
            rank = QTableWidgetItem(str(h.rank) if h.rank is not None else "–")
            rank.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            name = QTableWidgetItem(h.name.replace("(On or near ", "("))  # data.police.uk's wording
            name.setToolTip(h.name)
            sentence = QTableWidgetItem(h.sentence or "Patrol share at least its incident share.")
            sentence.setToolTip(h.sentence)
            cells = [rank, name, number_item(h.incident_share, _pct(h.incident_share)),
                     number_item(h.patrol_share, _pct(h.patrol_share)),
                     number_item(h.patrol_minutes, f"{h.patrol_minutes:,.0f}"),
                     number_item(h.visits_qualifying, f"{h.visits_qualifying:,}"),
                     number_item(h.longest_gap_h, f"{h.longest_gap_h:,.0f} h"), sentence]
            for c, item in enumerate(cells):
                if h.rank is not None and c in (0, 2):
                    item.setForeground(pg.mkColor(UNDER))
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self.table.resizeColumnToContents(1)
        self.table.setColumnWidth(1, min(self.table.columnWidth(1), 200))
        demand = rp.demand_by_weekday_hour()
        if rp.n_timed:
            self.demand_map.set_matrix(demand, "incidents")
            self.demand_map.bar.getAxis("right").setLabel("")  # the title says what it is
        else:
            self.demand_map.clear("The incidents have no time of day (month only).")
        self.presence_map.set_matrix(rp.presence_by_weekday_hour(), "patrol hours")
        self.presence_map.bar.getAxis("right").setLabel("")
        n_under = len(under)
        self.status.setText(
            f"{len(pres.units)} units, {gap.period_text}: {pres.presence_hours:,.0f} hours of observed "
            f"presence" + (f" ({pres.logs_s / 3600:,.1f} from {pres.n_logs:,} patrol log(s))" if pres.n_logs else "")
            + f". {n_under} of {len(gap.hotspots)} hotspot areas get less of the patrol time than "
            f"of the incidents." + "".join(f" {w}." for w in rp.warnings))
        self.status.setToolTip("Observed presence, not compliance: no patrol plan is compared.")
        self.message.emit(f"Patrols: {n_under} under-patrolled hotspot(s).")
        self._selection_changed()
        if self.model.selected_hotspot is None and self.rows:
            self._show_dosage(self.rows[0])

    @staticmethod
    def _first_hour_ns(run) -> int:
        start = int(run.report.presence.period_start_ns)
        return start - start % 3_600_000_000_000

    def show_hour(self, index: int) -> None:
        """Where the units were in hour ``index`` of the observed period (on the map)."""
        import pandas as pd

        from analysis.patrols.report import units_in_window

        run = self.run
        if run is None or run.pings is None:
            return
        start = pd.Timestamp(self._first_hour_ns(run) + int(index) * 3_600_000_000_000, tz="UTC")
        sel = units_in_window(run.pings, start)
        local = start.tz_convert("Europe/London")
        n = sel["unit_id"].nunique() if len(sel) else 0
        text = f"{local:%a %d %b %Y %H:%M}-{local + pd.Timedelta(hours=1):%H:%M}: {n} unit(s) reporting"
        self.hour_label.setText(text)
        self.map.set_units(sel, f"Unit, {local:%a %d %b %H:%M} (dot: last position)")

    def _rank_of(self, h) -> Optional[int]:
        hotspots = self.run.report.areas.hotspots if self.run is not None else ()
        return hotspots[h.hotspot].rank if 0 <= h.hotspot < len(hotspots) else None

    def _row_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if not rows or self.run is None:
            return
        h = self.rows[min(rows)]
        self._show_dosage(h)
        self.model.select_hotspot(self._rank_of(h))

    def _selection_changed(self) -> None:
        rank = self.model.selected_hotspot
        if self.run is None or rank is None:
            return
        for r, h in enumerate(self.rows):
            if self._rank_of(h) == rank:
                self.table.blockSignals(True)
                self.table.selectRow(r)
                self.table.blockSignals(False)
                self._show_dosage(h)
                return

    def _show_dosage(self, h) -> None:
        rp = self.run.report
        self.sentence.setText(h.sentence if h.sentence else
                              f"<b>{h.name}</b>: {_pct(h.patrol_share)} of patrol time for "
                              f"{_pct(h.incident_share)} of the incidents (not under-patrolled).")
        dos = rp.visits.dosage
        self.dosage.show_dosage(dos[dos["hotspot"] == h.hotspot], h.name, rp.params.koper_min)
