"""The shared filters (crime types, date range, area), shown once above the map for every panel."""
from __future__ import annotations

from datetime import date
from typing import Optional

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QLabel, QMenu, QSizePolicy, QToolButton, QWidget

from desktop.views.flow_layout import FlowLayout, row


class FilterBar(QWidget):
    """Edits the model's :class:`~analysis.filters.Filters`; changes apply after a short pause.

    Signals
    -------
    filtersEdited(object)
        The new Filters value (the main window stores it in the model, which reruns analyses).
    """

    filtersEdited = Signal(object)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName("filterBar")
        self._updating = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self._emit)

        title = QLabel("<b>Filters</b>")
        self.types_button = QToolButton()
        self.types_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.types_button.setToolTip("Keep only these crime types (all when none is ticked)")
        self.types_menu = QMenu(self.types_button)
        self.types_button.setMenu(self.types_menu)
        self.type_actions: list[QAction] = []

        self.use_from = QCheckBox("From")
        self.use_from.setToolTip("Keep incidents on or after this day")
        self.date_from = QDateEdit()
        self.use_to = QCheckBox("to")
        self.use_to.setToolTip("Keep incidents on or before this day")
        self.date_to = QDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setEnabled(False)
            edit.dateChanged.connect(self._changed)
        self.use_from.toggled.connect(self.date_from.setEnabled)
        self.use_to.toggled.connect(self.date_to.setEnabled)
        self.use_from.toggled.connect(self._changed)
        self.use_to.toggled.connect(self._changed)

        self.area = QComboBox()
        self.area.setEditable(True)
        self.area.setMinimumContentsLength(8)
        self.area.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.area.setToolTip("Keep incidents whose area or LSOA name starts with this text")
        self.area.lineEdit().setPlaceholderText("All areas")
        self.area.currentTextChanged.connect(self._changed)

        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Remove every filter")
        self.clear_button.clicked.connect(self.clear)
        self.summary = QLabel("")
        self.summary.setObjectName("filterSummary")
        self.summary.setStyleSheet("color: #555;")
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        layout = FlowLayout(self)  # wraps onto a second row rather than widening the window
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(title)
        layout.addWidget(self.types_button)
        layout.addWidget(row(self.use_from, self.date_from))
        layout.addWidget(row(self.use_to, self.date_to))
        layout.addWidget(row(QLabel("Area"), self.area))
        layout.addWidget(self.clear_button)
        layout.addWidget(self.summary, stretch=True)
        self._set_types_text()

    # ------------------------------------------------------------------ populate from data
    def populate(self, crime_types: list[str], areas: list[str], first: Optional[date],
                 last: Optional[date], filters) -> None:
        """Fill the choices from the data and show ``filters`` (no signal)."""
        self._updating = True
        try:
            self.types_menu.clear()
            self.type_actions = []
            chosen = {t.lower() for t in filters.crime_types}
            for t in crime_types:
                act = QAction(t, self.types_menu)
                act.setCheckable(True)
                act.setChecked(t.lower() in chosen)
                act.toggled.connect(self._changed)
                self.types_menu.addAction(act)
                self.type_actions.append(act)
            if crime_types:
                self.types_menu.addSeparator()
                none = self.types_menu.addAction("All crime types")
                none.triggered.connect(self._all_types)
            self.area.clear()
            self.area.addItem("")
            self.area.addItems(areas)
            self.area.setCurrentText(filters.area or "")
            lo = QDate(first.year, first.month, first.day) if first else QDate.currentDate()
            hi = QDate(last.year, last.month, last.day) if last else QDate.currentDate()
            for edit in (self.date_from, self.date_to):
                edit.setDateRange(lo.addYears(-1), hi.addYears(1))
            self.date_from.setDate(QDate(filters.date_from) if filters.date_from else lo)
            self.date_to.setDate(QDate(filters.date_to) if filters.date_to else hi)
            self.use_from.setChecked(filters.date_from is not None)
            self.use_to.setChecked(filters.date_to is not None)
            self._set_types_text()
            self.summary.setText(filters.describe())
        finally:
            self._updating = False

    def _set_types_text(self) -> None:
        ticked = [a.text() for a in self.type_actions if a.isChecked()]
        if not ticked:
            self.types_button.setText("All crime types")
        elif len(ticked) == 1:
            self.types_button.setText(ticked[0])
        else:
            self.types_button.setText(f"{len(ticked)} crime types")

    def _all_types(self) -> None:
        self._updating = True
        for a in self.type_actions:
            a.setChecked(False)
        self._updating = False
        self._changed()

    # ------------------------------------------------------------------ value
    def filters(self):
        from analysis.filters import Filters

        def qdate(edit: QDateEdit) -> date:
            d = edit.date()
            return date(d.year(), d.month(), d.day())

        return Filters(crime_types=tuple(a.text() for a in self.type_actions if a.isChecked()),
                       date_from=qdate(self.date_from) if self.use_from.isChecked() else None,
                       date_to=qdate(self.date_to) if self.use_to.isChecked() else None,
                       area=self.area.currentText().strip() or None)

    def set_crime_types(self, types: list[str]) -> None:
        """Tick exactly these types (used by tests and by clicks elsewhere)."""
        wanted = {t.lower() for t in types}
        self._updating = True
        for a in self.type_actions:
            a.setChecked(a.text().lower() in wanted)
        self._updating = False
        self._changed()

    def clear(self) -> None:
        self._updating = True
        for a in self.type_actions:
            a.setChecked(False)
        self.use_from.setChecked(False)
        self.use_to.setChecked(False)
        self.area.setCurrentText("")
        self._updating = False
        self._changed()

    def _changed(self, *_args) -> None:
        self._set_types_text()
        if not self._updating:
            self._debounce.start()

    def apply_now(self) -> None:
        """Emit at once (skipping the pause)."""
        self._debounce.stop()
        self._emit()

    def _emit(self) -> None:
        from analysis.progress import BeatwiseError

        try:
            f = self.filters()
            if f.date_from and f.date_to and f.date_from > f.date_to:
                raise BeatwiseError(f"the date range is empty: {f.date_from} is after {f.date_to}")
        except BeatwiseError as exc:
            self.summary.setText(f"<span style='color:#b00'>{exc}</span>")
            return
        self.summary.setText(f.describe())
        self.filtersEdited.emit(f)
