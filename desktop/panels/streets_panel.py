"""Streets dock: the street ranking; a selected street is highlighted on the map and profiled.
Without location text or a street layer there is nothing to rank: the dock says so and offers to
add a street layer."""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLineEdit,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from desktop.tasks import NoStreets
from desktop.views.charts import ProfileView, number_item
from desktop.views.heatmap_view import WEEKDAYS
from desktop.views.fit import message_label

NO_STREET_NAMES = "No street names: add a street layer (File > Add street layer)"


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
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["#", "Street", "Area", "Incidents", "per 100 m"])
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
        self.table.itemSelectionChanged.connect(self._selected)

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
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        no_names = isinstance(ranking, NoStreets)
        self.add_layer_button.setVisible(no_names)
        self.split.setVisible(not no_names)  # no empty table and heatmap under the message
        if ranking is None or no_names:
            self.summary.setText(f"{NO_STREET_NAMES}. These {ranking.n_incidents:,} incidents have no "
                                 "location text to rank streets by." if no_names else "")
            self.table.blockSignals(False)
            return
        how = ("matched by the location text" if ranking.method == "location"
               else f"snapped to the street layer within {ranking.max_distance_m:g} m")
        text = (f"<b>{ranking.n_streets:,} streets</b>; {ranking.n_matched:,} of {ranking.n_incidents:,} "
                f"incidents {how}.")
        if ranking.n_places:
            text += f" {ranking.n_places:,} at places (supermarkets, parking areas...) are not ranked."
        self.summary.setText(text)
        rows = ranking.streets
        table = self.table
        table.setRowCount(len(rows))
        set_item, role = table.setItem, Qt.ItemDataRole.UserRole  # looked up once: a force has 10,000+ streets
        for r, s in enumerate(rows):
            set_item(r, 0, number_item(r + 1, str(r + 1)))
            name = QTableWidgetItem(s.name)
            name.setData(role, (s.name, s.area))
            set_item(r, 1, name)
            set_item(r, 2, QTableWidgetItem(s.area))
            set_item(r, 3, number_item(s.incidents, f"{s.incidents:,}"))
            set_item(r, 4, number_item(s.per_100m if s.per_100m is not None else -1,
                                       f"{s.per_100m:.1f}" if s.per_100m is not None else "-"))
        self.table.blockSignals(False)
        self._filter_rows(self.search.text())

    def _filter_rows(self, text: str) -> None:
        t = text.strip().lower()
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 1)
            self.table.setRowHidden(r, bool(t) and t not in item.text().lower())

    def select_street(self, name: str, area: str = "") -> bool:
        for r in range(self.table.rowCount()):
            n, a = self.table.item(r, 1).data(Qt.ItemDataRole.UserRole)
            if n.lower() == name.lower() and (not area or a.lower() == area.lower()):
                self.table.selectRow(r)
                self.table.scrollToItem(self.table.item(r, 1))
                return True
        return False

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            name, area = self.table.item(rows[0].row(), 1).data(Qt.ItemDataRole.UserRole)
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
