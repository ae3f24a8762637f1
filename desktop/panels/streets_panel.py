"""Streets dock: the street ranking; a selected street is highlighted on the map and profiled.
Without location text or a street layer there is nothing to rank: the dock says so and offers to
add a street layer."""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLineEdit,
                               QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget)

from desktop.tasks import NoStreets
from desktop.views.charts import ProfileView
from desktop.views.heatmap_view import WEEKDAYS
from desktop.views.fit import message_label

NO_STREET_NAMES = "No street names: add a street layer (File > Add street layer)"
HEADERS = ("#", "Street", "Area", "Incidents", "per 100 m")
_NUMBER_COLUMNS = (0, 3, 4)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# plain ints: the model compares the role of every call (a Qt enum compares far slower)
_DISPLAY, _ALIGN, _USER = (int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.TextAlignmentRole),
                           int(Qt.ItemDataRole.UserRole))


class StreetTableModel(QAbstractTableModel):
    """The ranked streets as a table model: a cell's text is made when the view draws it, so a
    force's 10,000+ streets cost no widget items to make (or to free on quit)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(HEADERS)

    def text(self, r: int, c: int) -> str:
        s = self.rows[r]
        if c == 0:
            return str(r + 1)
        if c == 1:
            return s.name
        if c == 2:
            return s.area
        if c == 3:
            return f"{s.incidents:,}"
        return f"{s.per_100m:.1f}" if s.per_100m is not None else "-"

    def data(self, index, role=_DISPLAY):
        # called for every role of every cell the view measures or draws: the common answers first
        if role == _DISPLAY:
            return self.text(index.row(), index.column())
        if role == _ALIGN:
            return _RIGHT if index.column() in _NUMBER_COLUMNS else None
        if role == _USER and index.isValid():  # what a cell sorts by; the street's (name, area) for its name
            r = index.row()
            s = self.rows[r]
            return (r + 1, (s.name, s.area), s.area, s.incidents,
                    s.per_100m if s.per_100m is not None else -1)[index.column()]
        return None

    def headerData(self, section, orientation, role=_DISPLAY):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return HEADERS[section]
        return None


class StreetTable(QTableView):
    """The street ranking's view: ``rowCount()`` and ``text(row, column)`` read its model."""

    def rowCount(self) -> int:  # noqa: N802
        return self.model().rowCount()

    def text(self, r: int, c: int) -> str:
        return self.model().text(r, c)


class StreetsPanel(QWidget):
    """Signals: ``runRequested()``, ``streetSelected(name, area)``, ``addLayerRequested()``."""

    runRequested = Signal()
    streetSelected = Signal(str, str)
    addLayerRequested = Signal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.ranking = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a street")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter_rows)
        self.run_button = QPushButton("Rank streets")
        self.run_button.clicked.connect(self.runRequested.emit)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.run_button)
        self.summary = message_label("", "streetsSummary")
        self.add_layer_button = QPushButton("Add street layer...")
        self.add_layer_button.setToolTip("A GIS layer of streets (GeoPackage, GeoJSON, Shapefile) with "
                                         "their names: incidents are snapped to the nearest street")
        self.add_layer_button.clicked.connect(self.addLayerRequested.emit)
        self.add_layer_button.hide()
        self.rows_model = StreetTableModel(self)
        self.table = StreetTable()
        self.table.setModel(self.rows_model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Click a street to highlight it on the map and see its profile. "
                              "'per 100 m' needs a street layer (File > Add street layer).")
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self._filling = False

        self.profile_title = message_label("Select a street to see its profile.", "streetProfile")
        self.profile_view = ProfileView(compact=True)
        self.profile_heatmap = self.profile_view.heatmap
        profile = QWidget()
        pl = QVBoxLayout(profile)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.profile_title)
        pl.addWidget(self.profile_view, 1)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.table)
        self.split.addWidget(profile)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.add_layer_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.split, 1)
        layout.addStretch(0)  # takes the room when there is no ranking to show

    def show_ranking(self, ranking) -> None:
        self.ranking = ranking
        self._filling = True
        try:
            self._show_ranking(ranking)
        finally:
            self._filling = False

    def _show_ranking(self, ranking) -> None:
        self.rows_model.set_rows(())
        no_names = isinstance(ranking, NoStreets)
        self.add_layer_button.setVisible(no_names)
        self.split.setVisible(not no_names)  # no empty table and heatmap under the message
        if ranking is None or no_names:
            self.summary.setText(f"{NO_STREET_NAMES}. These {ranking.n_incidents:,} incidents have no "
                                 "location text to rank streets by." if no_names else "")
            return
        how = ("matched by the location text" if ranking.method == "location"
               else f"snapped to the street layer within {ranking.max_distance_m:g} m")
        text = (f"<b>{ranking.n_streets:,} streets</b>; {ranking.n_matched:,} of {ranking.n_incidents:,} "
                f"incidents {how}.")
        if ranking.n_places:
            text += f" {ranking.n_places:,} at places (supermarkets, parking areas...) are not ranked."
        self.summary.setText(text)
        self.rows_model.set_rows(ranking.streets)
        self._filter_rows(self.search.text())

    def _filter_rows(self, text: str) -> None:
        t = text.strip().lower()
        hide = self.table.setRowHidden
        for r, s in enumerate(self.rows_model.rows):
            hide(r, bool(t) and t not in s.name.lower())

    def select_street(self, name: str, area: str = "") -> bool:
        for r, s in enumerate(self.rows_model.rows):
            if s.name.lower() == name.lower() and (not area or s.area.lower() == area.lower()):
                self.table.selectRow(r)
                self.table.scrollTo(self.rows_model.index(r, 1))
                return True
        return False

    def _selected(self, *_args) -> None:
        if self._filling:
            return
        rows = self.table.selectionModel().selectedRows()
        if rows:
            s = self.rows_model.rows[rows[0].row()]
            name, area = s.name, s.area
            self.profile_title.setText(f"<b>{name}</b>: working...")
            self.streetSelected.emit(name, area)

    def show_profile(self, run) -> None:
        p = run.profile
        parts = [f"<b>{p.name}</b>{' (' + p.area + ')' if p.area else ''}: <b>{p.incidents:,}</b> "
                 f"incidents, {100 * p.share_of_area:.1f}% of the area's {p.area_incidents:,}"]
        if p.per_100m is not None:
            parts[0] += f", {p.per_100m:.1f} per 100 m"
        top = list(p.by_crime_type.items())[:3]
        if top:
            parts.append("Most: " + ", ".join(f"{k or '(unknown)'} {v:,.0f}" for k, v in top))
        t = p.temporal
        if t.matrix is not None and t.peak is not None:
            parts.append(f"Busiest: {WEEKDAYS[t.peak.weekday]} {t.peak.hour:02d}:00-"
                         f"{(t.peak.hour + 1) % 24:02d}:00")
        elif t.matrix is None and t.n_total:
            parts.append("No times of day: incidents per month and per crime type")
        self.profile_view.set_profile(t)
        self.profile_title.setText("<br>".join(parts))
