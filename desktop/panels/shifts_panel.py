"""Shifts dock: the rules (officers, sergeants, shift lengths...), the current rota editor, the
recommended plan, demand against officers on duty, and the coverage in large type with the
plain-English summary. The plan comes from :func:`analysis.staffing.timing.recommend_shifts`."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTime, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QGridLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QTabWidget, QTimeEdit, QVBoxLayout,
                               QWidget)

from desktop.params import SHIFT_LENGTHS_OFFERED, ShiftParams
from desktop.views.fit import message_label, scrolled
from desktop.views.heatmap_view import WEEKDAY_ABBR, WEEKDAYS, style_axes

TIME_PRECISIONS_WITH_TIMES = ("minute", "window", "mixed")
BLUE = (31, 95, 168)
ORANGE = (217, 102, 31)
GREEN = (46, 125, 50)


class RotaEditor(QWidget):
    """The current rota as rows of start, end and officers (every day); ``spec()`` gives the
    ``"07:00-17:00x4,14:00-00:00x3"`` text that :func:`analysis.staffing.rota_score.parse_rota` reads."""

    changed = Signal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Start", "End", "Officers"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMaximumHeight(120)
        self.table.setToolTip("The shifts worked now, every day: the plan is compared with them")
        add = QPushButton("Add shift")
        add.clicked.connect(lambda: self.add_row(QTime(8, 0), QTime(16, 0), 1))
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def add_row(self, start: QTime, end: QTime, officers: int) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, t in ((0, start), (1, end)):
            edit = QTimeEdit(t)
            edit.setDisplayFormat("HH:mm")
            edit.timeChanged.connect(self.changed.emit)
            self.table.setCellWidget(r, c, edit)
        spin = QSpinBox()
        spin.setRange(1, 500)
        spin.setValue(officers)
        spin.valueChanged.connect(self.changed.emit)
        self.table.setCellWidget(r, 2, spin)
        self.changed.emit()

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for r in rows:
            self.table.removeRow(r)
        self.changed.emit()

    def set_spec(self, spec: Optional[str]) -> None:
        """Fill from a rota text (parts it cannot read are left out)."""
        from analysis.progress import BeatwiseError
        from analysis.staffing.rota_score import parse_rota

        self.blockSignals(True)
        self.table.setRowCount(0)
        try:
            shifts = parse_rota(spec) if spec else ()
        except BeatwiseError:
            shifts = ()
        for s in shifts:
            end = (s.start_minute + s.length_minutes) % 1440
            self.add_row(QTime(s.start_minute // 60, s.start_minute % 60), QTime(end // 60, end % 60),
                         s.officers)
        self.blockSignals(False)

    def spec(self) -> str:
        parts = []
        for r in range(self.table.rowCount()):
            a = self.table.cellWidget(r, 0).time().toString("HH:mm")
            b = self.table.cellWidget(r, 1).time().toString("HH:mm")
            n = self.table.cellWidget(r, 2).value()
            parts.append(f"{a}-{b}x{n}")
        return ",".join(parts)

    def officers(self) -> int:
        return sum(self.table.cellWidget(r, 2).value() for r in range(self.table.rowCount()))


class ShiftChart(pg.PlotWidget):
    """Officers on duty (recommended: solid, current: dashed, sergeants: thin) over the 168 hours
    of the week, on the left axis; incident demand per week as grey steps on the right axis,
    scaled by the plan's incidents per officer-hour so both describe the same staffing."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent, background="w")
        self.setMinimumHeight(150)
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        self.pi = pi
        pi.getViewBox().setMouseEnabled(False, False)
        self.demand_vb = pg.ViewBox()
        self.demand_vb.setMouseEnabled(False, False)
        pi.showAxis("right")
        pi.scene().addItem(self.demand_vb)
        pi.getAxis("right").linkToView(self.demand_vb)
        self.demand_vb.setXLink(pi)
        self.demand_vb.setZValue(-10)
        pi.getViewBox().sigResized.connect(self._sync)
        style_axes(*(pi.getAxis(name) for name in ("left", "bottom", "right")))
        pi.getAxis("left").setLabel("officers on duty", color="#333")
        pi.getAxis("right").setLabel("incidents per week", color="#777")
        pi.getAxis("bottom").setTicks([[(24 * d + 12, WEEKDAY_ABBR[d]) for d in range(7)],
                                       [(h, "") for h in range(0, 169, 6)]])
        for d in range(1, 7):
            pi.addItem(pg.InfiniteLine(24 * d, angle=90, pen=pg.mkPen(150, 150, 150, 120)))
        self.legend = pi.addLegend(offset=(5, 2), labelTextColor=(30, 30, 30), brush=(255, 255, 255, 200))
        self.items: list = []
        self.plan = None
        self.current = None
        self.hover = ""
        self.scene().sigMouseMoved.connect(self._moved)

    def _sync(self) -> None:
        self.demand_vb.setGeometry(self.pi.getViewBox().sceneBoundingRect())
        self.demand_vb.linkedViewChanged(self.pi.getViewBox(), self.demand_vb.XAxis)

    def clear_chart(self) -> None:
        for it in self.items:
            (self.demand_vb if it.getViewBox() is self.demand_vb else self.pi).removeItem(it)
        self.items = []
        self.legend.clear()
        self.plan = self.current = None

    def show_plan(self, plan, current=None) -> None:
        self.clear_chart()
        self.plan, self.current = plan, current
        x = np.arange(169)
        demand = np.asarray(plan.demand, dtype=float)
        on = np.asarray(plan.on_duty, dtype=float)
        dem = pg.PlotCurveItem(x, demand, stepMode="center", fillLevel=0,
                               brush=pg.mkBrush(190, 190, 190, 200), pen=pg.mkPen(160, 160, 160))
        self.demand_vb.addItem(dem)
        self.items.append(dem)
        self.legend.addItem(dem, "demand (incidents per week)")
        rec = self.pi.plot(x, on, stepMode="center", pen=pg.mkPen(*BLUE, width=2.5),
                           name=f"recommended ({plan.coverage:.0%})")
        self.items.append(rec)
        tops = [on.max()]
        if current is not None:
            cur = np.asarray(current.on_duty, dtype=float)
            c = self.pi.plot(x, cur, stepMode="center", pen=pg.mkPen(*ORANGE, width=1.8,
                                                                   style=Qt.PenStyle.DashLine),
                             name=f"current ({current.coverage:.0%})")
            self.items.append(c)
            tops.append(cur.max())
        if len(plan.sergeant_on_duty) == 168:
            s = self.pi.plot(x, np.asarray(plan.sergeant_on_duty, dtype=float), stepMode="center",
                             pen=pg.mkPen(*GREEN, width=1.2), name="sergeants")
            self.items.append(s)
        k = float(plan.load_per_officer_hour)
        # one vertical scale for both axes: y officers on the left = y * k incidents on the right
        top = 1.3 * max(max(tops), float(demand.max()) / k if k > 0 else 0.0, 1.0)
        self.pi.setYRange(0, top, padding=0)
        self.demand_vb.setYRange(0, top * k if k > 0 else float(demand.max()) or 1.0, padding=0)
        self.pi.setXRange(0, 168, padding=0)
        self._sync()

    def describe(self, t: int) -> str:
        p = self.plan
        day, hour = divmod(t, 24)
        text = (f"{WEEKDAYS[day]} {hour:02d}:00: demand {p.demand[t]:.2f} incidents/week, "
                f"{p.on_duty[t]} on duty")
        if self.current is not None:
            text += f" (now {self.current.on_duty[t]:g})"
        return text

    def _moved(self, pos) -> None:
        if self.plan is None or not self.pi.getViewBox().sceneBoundingRect().contains(pos):
            return
        t = int(np.floor(self.pi.getViewBox().mapSceneToView(pos).x()))
        if 0 <= t < 168:
            self.hover = self.describe(t)
            self.setToolTip(self.hover)


class ShiftsPanel(QWidget):
    """Signals: ``runRequested()``."""

    runRequested = Signal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.run = None
        d = ShiftParams()
        self.officers = QSpinBox()
        self.officers.setRange(1, 500)
        self.officers.setToolTip("Constables working each day (the officers starting on a day)")
        self.sergeants = QSpinBox()
        self.sergeants.setRange(0, 100)
        self.sergeants.setToolTip("Sergeants a day, planned after the constables to be on duty "
                                  "whenever constables are (0 = none)")
        self.max_starts = QSpinBox()
        self.max_starts.setRange(1, 24)
        self.max_starts.setToolTip(f"At most this many different start times a day (default "
                                   f"{d.max_starts})")
        self.min_on = QSpinBox()
        self.min_on.setRange(0, 500)
        self.min_on.setToolTip("At least this many officers on duty in every hour (default 0)")
        self.per_weekday = QCheckBox("Different each weekday")
        self.per_weekday.setToolTip("Let each weekday have its own start times and head-counts")
        self.time_limit = QSpinBox()
        self.time_limit.setRange(1, 3600)
        self.time_limit.setSuffix(" s")
        self.time_limit.setToolTip(
            "Solver time limit per shift length (default "
            f"{d.time_limit_s:g} s). Same-every-day plans are proven best in well under a "
            "second; per-weekday plans for large teams may stop at the limit, keeping the best "
            "plan found and saying how far from best it can be")
        self.lengths: dict[int, QCheckBox] = {}
        lengths_row = QHBoxLayout()
        for h in SHIFT_LENGTHS_OFFERED:
            box = QCheckBox(f"{h} h")
            box.setToolTip(f"Plan {h}-hour shifts (every ticked length is solved; the best is shown)")
            self.lengths[h] = box
            lengths_row.addWidget(box)
        lengths_row.addStretch(1)
        self.rota = RotaEditor()
        self.run_button = QPushButton("Recommend shifts")
        self.run_button.clicked.connect(self.runRequested.emit)

        rules = QGridLayout()
        rules.addWidget(QLabel("Officers a day"), 0, 0)
        rules.addWidget(self.officers, 0, 1)
        rules.addWidget(QLabel("Sergeants"), 0, 2)
        rules.addWidget(self.sergeants, 0, 3)
        rules.addWidget(QLabel("Start times ≤"), 1, 0)
        rules.addWidget(self.max_starts, 1, 1)
        rules.addWidget(QLabel("Min. on duty"), 1, 2)
        rules.addWidget(self.min_on, 1, 3)
        rules.addWidget(QLabel("Shift lengths"), 2, 0)
        rules.addLayout(lengths_row, 2, 1, 1, 3)
        rules.addWidget(self.per_weekday, 3, 0, 1, 2)
        rules.addWidget(QLabel("Time limit"), 3, 2)
        rules.addWidget(self.time_limit, 3, 3)
        rules.addWidget(self.run_button, 4, 2, 1, 2)
        rules_box = QGroupBox("Rules")
        rules_box.setLayout(rules)
        rota_box = QGroupBox("Current rota (every day)")
        rl = QVBoxLayout(rota_box)
        rl.addWidget(self.rota)
        inputs = QWidget()
        il = QVBoxLayout(inputs)
        il.setContentsMargins(0, 0, 0, 0)
        il.addWidget(rules_box)
        il.addWidget(rota_box)
        il.addStretch(1)

        big = QFont(self.font())
        big.setPointSizeF(max(self.font().pointSizeF(), 9.0) * 2.2)
        big.setBold(True)
        self.coverage_label = QLabel("–")
        self.coverage_label.setObjectName("coverageRecommended")
        self.coverage_label.setFont(big)
        self.coverage_label.setStyleSheet(f"color: rgb{BLUE};")
        self.current_label = QLabel("–")
        self.current_label.setObjectName("coverageCurrent")
        self.current_label.setFont(big)
        self.current_label.setStyleSheet(f"color: rgb{ORANGE};")
        self.coverage_caption = QLabel("recommended")
        self.current_caption = QLabel("current rota")
        cov = QGridLayout()
        cov.addWidget(self.coverage_label, 0, 0, Qt.AlignmentFlag.AlignHCenter)
        cov.addWidget(self.current_label, 0, 1, Qt.AlignmentFlag.AlignHCenter)
        cov.addWidget(self.coverage_caption, 1, 0, Qt.AlignmentFlag.AlignHCenter)
        cov.addWidget(self.current_caption, 1, 1, Qt.AlignmentFlag.AlignHCenter)
        self.summary = message_label("", "shiftSummary", selectable=True)
        self.status = message_label(style="color: #555;")
        self.plan_choice = QComboBox()
        self.plan_choice.setToolTip("Plans for every shift length asked for, best coverage first")
        self.plan_choice.currentIndexChanged.connect(self._show_choice)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Who", "Start", "End", "Officers", "Days"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.chart = ShiftChart()
        plan = QWidget()
        pl = QVBoxLayout(plan)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addLayout(cov)
        pl.addWidget(self.summary)
        pl.addWidget(self.plan_choice)
        pl.addWidget(self.table, 1)
        pl.addWidget(self.status)
        chart = QWidget()
        cl = QVBoxLayout(chart)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.chart, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(plan, "Plan")
        self.tabs.addTab(chart, "Demand vs on duty")
        self.tabs.addTab(scrolled(inputs), "Rules and current rota")
        self.note = message_label(style="color: #a60;")
        self.note.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)
        self.set_params(d)

    # ------------------------------------------------------------------ parameters
    def set_params(self, p: ShiftParams) -> None:
        self.officers.setValue(p.officers)
        self.sergeants.setValue(p.sergeants)
        self.max_starts.setValue(p.max_starts)
        self.min_on.setValue(p.min_on_duty)
        self.per_weekday.setChecked(p.per_weekday)
        self.time_limit.setValue(int(round(p.time_limit_s)))
        for h, box in self.lengths.items():
            box.setChecked(h in p.shift_hours)

    def params(self) -> ShiftParams:
        lengths = tuple(h for h, box in self.lengths.items() if box.isChecked()) or (8,)
        return ShiftParams(officers=self.officers.value(), sergeants=self.sergeants.value(),
                           shift_hours=lengths, max_starts=self.max_starts.value(),
                           min_on_duty=self.min_on.value(), per_weekday=self.per_weekday.isChecked(),
                           time_limit_s=float(self.time_limit.value()))

    def set_project(self, project) -> None:
        """Rules and current rota from the project's settings; say if the data has no times."""
        self.set_params(ShiftParams.from_dict(project.settings.get("shift_params")))
        spec = project.settings.get("current_rota")
        self.rota.set_spec(spec)
        if spec and not project.settings.get("shift_params"):
            self.officers.setValue(max(1, self.rota.officers()))
        self.note.setVisible(not self._has_times(project))
        self.note.setText("These incidents have no time of day (e.g. data.police.uk gives months "
                          "only), so there is no hourly demand to plan shifts against. Import force "
                          "data with dates and times.")

    @staticmethod
    def _has_times(project) -> bool:
        rep = project.report
        if rep is not None:
            return rep.time_precision in TIME_PRECISIONS_WITH_TIMES
        return bool(project.incidents["time_precision"].isin(["minute", "window"]).any())

    def applicable(self, model) -> bool:
        return model.has_project and self._has_times(model.project)

    def job(self, model, store: bool = False):
        """(task function, arguments) for the main window to run, or None when not applicable.

        ``store``: keep the rules and the current rota in the project (the user pressed the
        button; an automatic run after opening a project changes nothing)."""
        from desktop.tasks import run_shifts

        if not self.applicable(model):
            return None
        params = self.params()
        spec = self.rota.spec() or None
        if store:
            model.set_setting("shift_params", params.to_dict())
            model.set_setting("current_rota", spec)
        return run_shifts, (model.project.incidents, model.filters, params, spec)

    # ------------------------------------------------------------------ results
    def show_plan(self, run) -> None:
        self.run = run
        self.plan_choice.blockSignals(True)
        self.plan_choice.clear()
        if run is None:
            self.plan_choice.blockSignals(False)
            self.plan_choice.hide()
            self.coverage_label.setText("–")
            self.current_label.setText("–")
            self.summary.setText("")
            self.status.setText("")
            self.table.setRowCount(0)
            self.chart.clear_chart()
            return
        for p in run.recommendation.plans:
            cov = "no plan" if not p.feasible else f"{p.coverage:.0%}"
            self.plan_choice.addItem(f"{p.shift_hours}-hour shifts: {cov}")
        self.plan_choice.setVisible(len(run.recommendation.plans) > 1)
        self.plan_choice.blockSignals(False)
        self.plan_choice.setCurrentIndex(0)
        self._show_choice(0)

    def _show_choice(self, index: int) -> None:
        if self.run is None or index < 0:
            return
        rec = self.run.recommendation
        plan = rec.plans[index]
        cur = rec.current
        self.coverage_label.setText(f"{plan.coverage:.0%}" if plan.feasible else "–")
        self.coverage_caption.setText(f"recommended, {plan.shift_hours}-hour shifts")
        self.current_label.setText(f"{cur.coverage:.0%}" if cur is not None else "–")
        self.current_caption.setText("current rota" if cur is not None else "no current rota given")
        self.summary.setText(plan.summary)
        dem = self.run.demand
        self.status.setText(
            f"Solver: {plan.status} ({plan.solve_seconds:.1f} s). Demand from {dem.n:,} incidents over "
            f"{dem.weeks:.1f} weeks ({dem.weighting}); coverage = share of demand met if every "
            f"officer-hour takes the average load." + (f" {plan.supervision}" if plan.supervision else ""))
        rows = [("Constables", s) for s in plan.shifts] + [("Sergeants", s) for s in plan.sergeant_shifts]
        self.table.setRowCount(len(rows))
        for r, (who, s) in enumerate(rows):
            for c, text in enumerate((who, s.start, s.end, str(s.officers), s.days_text)):
                item = QTableWidgetItem(text)
                if c == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        if plan.feasible:
            self.chart.show_plan(plan, cur)
        else:
            self.chart.clear_chart()
