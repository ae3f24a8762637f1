"""When dock: the 7 x 24 heatmap with hover values (for month-only data, incidents per month and
per crime type instead), its own scope (street, selected hotspot) on top of the shared filters, and
the before/after comparison."""
from __future__ import annotations

from datetime import date
from typing import Optional

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDateEdit, QGroupBox,
                               QLabel, QPushButton, QRadioButton, QVBoxLayout, QWidget)

from desktop.views.charts import ProfileView, month_label
from desktop.views.flow_layout import FlowLayout, row
from desktop.views.heatmap_view import WEEKDAYS
from desktop.views.fit import message_label


class TemporalPanel(QWidget):
    """Signals: ``runRequested(street, area, only_hotspot)``, ``compareRequested(date, street, area,
    only_hotspot)``."""

    runRequested = Signal(str, str, bool)
    compareRequested = Signal(object, str, str, bool)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.profile = None
        self.comparison = None
        self.street = QComboBox()
        self.street.setEditable(True)
        self.street.lineEdit().setPlaceholderText("All streets")
        self.street.setToolTip("Only incidents on this street (as named in the data or the street layer)")
        self.street.setMinimumContentsLength(8)
        self.street.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.only_hotspot = QCheckBox("Selected hotspot only")
        self.only_hotspot.setToolTip("Only incidents inside the hotspot selected in the Hotspots panel "
                                     "or on the map")
        self.only_hotspot.setEnabled(False)
        self.run_button = QPushButton("Show")
        self.run_button.clicked.connect(self._run)
        scope = FlowLayout()  # wraps in a narrow dock
        scope.addWidget(row(QLabel("Street"), self.street, stretch=self.street), stretch=True)
        scope.addWidget(self.only_hotspot)
        scope.addWidget(self.run_button)

        self.view = ProfileView()
        self.heatmap = self.view.heatmap
        self.summary = message_label("", "temporalSummary")

        self.compare_date = QDateEdit()
        self.compare_date.setCalendarPopup(True)
        self.compare_date.setDisplayFormat("dd MMM yyyy")
        self.compare_date.setToolTip("The day something changed (an operation, a closure): incidents "
                                     "before it are compared with those after, as rates per week")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Compare the hour-of-week pattern before and after the date")
        self.compare_button.clicked.connect(self._compare)
        self.show_profile = QRadioButton("Profile")
        self.show_change = QRadioButton("Change (after − before)")
        self.show_profile.setChecked(True)
        self.show_change.setEnabled(False)
        group = QButtonGroup(self)
        group.addButton(self.show_profile)
        group.addButton(self.show_change)
        self.show_profile.toggled.connect(self._redraw)
        self.compare_result = message_label("", "compareResult")
        cmp_rows = FlowLayout()
        cmp_rows.setContentsMargins(0, 0, 0, 0)
        cmp_rows.addWidget(row(QLabel("Date of change"), self.compare_date, self.compare_button))
        cmp_rows.addWidget(row(QLabel("Show"), self.show_profile, self.show_change))
        self.cmp_box = cmp_box = QGroupBox("Before / after")
        cmp_layout = QVBoxLayout(cmp_box)
        cmp_layout.addLayout(cmp_rows)
        cmp_layout.addWidget(self.compare_result)

        layout = QVBoxLayout(self)
        layout.addLayout(scope)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        layout.addWidget(cmp_box)

    # ------------------------------------------------------------------ inputs
    def scope(self) -> tuple[str, str, bool]:
        text = self.street.currentText().strip()
        name, _, area = text.partition(" — ")
        return name.strip(), area.strip(), self.only_hotspot.isChecked() and self.only_hotspot.isEnabled()

    def set_streets(self, names: list[tuple[str, str]]) -> None:
        current = self.street.currentText()
        self.street.blockSignals(True)
        self.street.clear()
        self.street.addItem("")
        self.street.addItems([f"{n} — {a}" if a else n for n, a in names])
        self.street.setCurrentText(current)
        self.street.blockSignals(False)

    def set_hotspot_available(self, rank: Optional[int]) -> None:
        self.only_hotspot.setEnabled(rank is not None)
        self.only_hotspot.setText(f"Hotspot {rank} only" if rank is not None else "Selected hotspot only")

    def set_date_range(self, first: Optional[date], last: Optional[date]) -> None:
        if first and last:
            lo = QDate(first.year, first.month, first.day)
            hi = QDate(last.year, last.month, last.day)
            self.compare_date.setDateRange(lo, hi)
            self.compare_date.setDate(QDate.fromJulianDay((lo.toJulianDay() + hi.toJulianDay()) // 2))

    def _run(self) -> None:
        self.runRequested.emit(*self.scope())

    def _compare(self) -> None:
        d = self.compare_date.date()
        self.compareRequested.emit(date(d.year(), d.month(), d.day()), *self.scope())

    # ------------------------------------------------------------------ results
    def show_profile_result(self, run) -> None:
        self.profile = run
        self.comparison = None
        timed = run is not None and run.profile.matrix is not None
        self.cmp_box.setEnabled(timed)  # the comparison is by hour of week: it needs times of day
        self.cmp_box.setToolTip("" if timed or run is None else
                                "Needs incidents with a time of day: these have none to compare")
        self.show_change.setEnabled(False)
        self.show_profile.setChecked(True)
        self.compare_result.setText("")
        self._redraw()

    def show_comparison(self, cmp) -> None:
        self.comparison = cmp
        self.show_change.setEnabled(True)
        self.show_change.setChecked(True)
        verdict = ("the pattern over the week changed" if cmp.p_value < 0.05
                   else "no significant change in the pattern over the week")
        self.compare_result.setText(
            f"Before: {cmp.before.n:,} incidents in {cmp.weeks_before:.1f} weeks "
            f"({cmp.before.n / cmp.weeks_before:.1f}/week); after: {cmp.after.n:,} in "
            f"{cmp.weeks_after:.1f} weeks ({cmp.after.n / cmp.weeks_after:.1f}/week).<br>"
            f"Chi-square {cmp.chi2:.1f} on {cmp.dof} degrees of freedom ({cmp.pooling}), "
            f"p = {cmp.p_value:.3g}: <b>{verdict}</b>."
            + (f"<br><span style='color:#a60'>{cmp.note}</span>" if cmp.note else ""))
        self._redraw()

    def _redraw(self, *_args) -> None:
        if self.show_change.isChecked() and self.comparison is not None:
            self.view.set_change(self.comparison.change, "change in incidents per week")
            return
        run = self.profile
        if run is None:
            self.view.clear("Run to see when incidents happen.")
            self.summary.setText("")
            return
        p = run.profile
        scope = [run.filters.describe()]
        if run.street:
            scope.append(f"street {run.street}" + (f" ({run.street_area})" if run.street_area else ""))
        if run.hotspot_rank is not None:
            scope.append(f"hotspot {run.hotspot_rank}")
        units = "incidents" if p.weighting != "aoristic" else "incidents (aoristic)"
        self.view.set_profile(p, units)
        if p.matrix is None:
            self.summary.setText(self._no_times_text(p, scope))
            return
        lines = [f"<b>{p.n:,} incidents</b> with a time of day ({'; '.join(scope)}), "
                 f"{p.weighting} weighting."]
        if p.peak is not None:
            lines.append(f"Busiest hour: <b>{WEEKDAYS[p.peak.weekday]} {p.peak.hour:02d}:00-"
                         f"{(p.peak.hour + 1) % 24:02d}:00</b> ({p.peak.value:,.1f}).")
        if p.n_excluded_no_time:
            lines.append(f"<span style='color:#a60'>{p.n_excluded_no_time:,} left out: "
                         f"{p.excluded_reason}</span>")
        if p.n_window:
            lines.append(f"{p.n_window:,} with a from-to window spread over its hours (aoristic)"
                         + (f"; {p.n_window_over_week:,} longer than a week spread evenly over the week"
                            if p.n_window_over_week else "") + ".")
        self.summary.setText("<br>".join(lines))

    @staticmethod
    def _no_times_text(p, scope: list[str]) -> str:
        """What the month view shows, and why there is no heatmap."""
        if not p.n_total:
            return p.message
        months = list(p.by_month)
        span = ""
        if months:
            span = (f" from {month_label(months[0])} to {month_label(months[-1])}" if len(months) > 1
                    else f" in {month_label(months[0])}")
        return f"<b>{p.n_total:,} incidents</b>{span} ({'; '.join(scope)}). <b>No times of day</b>: {p.message}"
