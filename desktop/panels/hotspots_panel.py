"""Hotspots dock: every parameter with its default and what it does, Run, and the hotspot table."""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QGridLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.params import KERNELS, HotspotParams


def _num_item(value: float, text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setData(Qt.ItemDataRole.UserRole, float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class HotspotsPanel(QWidget):
    """Signals: ``runRequested(HotspotParams)``, ``hotspotSelected(int)`` (rank)."""

    runRequested = Signal(object)
    hotspotSelected = Signal(int)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        d = HotspotParams()
        self.cell = QDoubleSpinBox()
        self.cell.setRange(0, 10_000)
        self.cell.setDecimals(0)
        self.cell.setSingleStep(5)
        self.cell.setSuffix(" m")
        self.cell.setSpecialValueText("auto")
        self.cell.setToolTip("Side of a grid cell in metres. Smaller cells show more detail and take "
                             "longer. Default auto: the shorter side of the area / 250, rounded.")
        self.bandwidth = QComboBox()
        self.bandwidth.setEditable(True)
        self.bandwidth.addItems(["auto", "silverman", "100", "150", "200", "250", "400"])
        self.bandwidth.setToolTip(
            "Kernel radius (search radius) in metres: how far each incident spreads. Larger values "
            "give smoother, broader hotspots. Default auto: the ArcGIS Kernel Density rule from the "
            "incidents' spread; 'silverman' is Silverman's rule of thumb.")
        self.kernel = QComboBox()
        self.kernel.addItems(list(KERNELS))
        self.kernel.setToolTip("Shape of each incident's spread. Default quartic (as ArcGIS and "
                               "CrimeStat); gaussian has soft tails.")
        self.top = QDoubleSpinBox()
        self.top.setRange(0.1, 100)
        self.top.setDecimals(1)
        self.top.setSuffix(" %")
        self.top.setToolTip(f"Hotspot areas are the densest P% of the study area's cells. "
                            f"Default {d.top_percent:g}%.")
        self.gi = QCheckBox("Gi* hot and cold spots")
        self.gi.setToolTip("Test where counts are significantly high (hot) or low (cold) compared with "
                           "the whole area (Ord & Getis 1995). Shown as red/blue cells.")
        self.gi_cell = QDoubleSpinBox()
        self.gi_cell.setRange(1, 10_000)
        self.gi_cell.setDecimals(0)
        self.gi_cell.setSuffix(" m")
        self.gi_cell.setToolTip(f"Counting cell size for Gi* in metres. Default {d.gi_cell_m:g} m.")
        self.gi_distance = QDoubleSpinBox()
        self.gi_distance.setRange(0, 50_000)
        self.gi_distance.setDecimals(0)
        self.gi_distance.setSuffix(" m")
        self.gi_distance.setSpecialValueText("auto")
        self.gi_distance.setToolTip("Cells whose centres are within this distance are neighbours. "
                                    "Default auto: the kernel bandwidth, but at least two Gi* cells.")
        self.fdr = QCheckBox("FDR correction")
        self.fdr.setToolTip("Benjamini-Hochberg false discovery rate (default on): fewer cells flagged "
                            "by chance among thousands tested.")
        self.study_area = QLineEdit()
        self.study_area.setPlaceholderText("within reach of the incidents")
        self.study_area.setClearButtonEnabled(True)
        self.study_area.setToolTip("Boundary polygons (GeoJSON, GeoPackage, Shapefile) of the study area: the top %, "
                                   "the PAI's area and Gi* are over its cells only. Empty: the cells within reach "
                                   "of the incidents (the sea and the grid's margin are left out).")
        self.study_area_button = QPushButton("Browse…")
        self.study_area_button.clicked.connect(self._browse_study_area)
        self.gi.toggled.connect(self.gi_cell.setEnabled)
        self.gi.toggled.connect(self.gi_distance.setEnabled)
        self.gi.toggled.connect(self.fdr.setEnabled)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        rows = [("Cell size", self.cell, "Bandwidth", self.bandwidth),
                ("Kernel", self.kernel, "Top % of cells", self.top),
                ("Gi* cell", self.gi_cell, "Gi* distance", self.gi_distance)]
        for r, (la, wa, lb, wb) in enumerate(rows):
            grid.addWidget(QLabel(la), r, 0)
            grid.addWidget(wa, r, 1)
            grid.addWidget(QLabel(lb), r, 2)
            grid.addWidget(wb, r, 3)
        grid.addWidget(self.gi, 3, 0, 1, 2)
        grid.addWidget(self.fdr, 3, 2, 1, 2)
        grid.addWidget(QLabel("Study area"), 4, 0)
        grid.addWidget(self.study_area, 4, 1, 1, 2)
        grid.addWidget(self.study_area_button, 4, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        params = QGroupBox("Parameters")
        params.setLayout(grid)

        self.run_button = QPushButton("Run hotspots")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(lambda: self.runRequested.emit(self.params()))
        self.defaults_button = QPushButton("Defaults")
        self.defaults_button.setToolTip("Reset every parameter to its default")
        self.defaults_button.clicked.connect(lambda: self.set_params(HotspotParams()))
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.defaults_button)
        buttons.addStretch(1)

        self.summary = QLabel("Run to map where incidents concentrate.")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("hotspotSummary")
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["#", "Incidents", "Share", "Area km²", "PAI", "Main location"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for i in range(5):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Click a hotspot to zoom the map to it and show its numbers. PAI: share of "
                              "incidents / share of area (Chainey et al. 2008).")
        self.table.itemSelectionChanged.connect(self._selected)

        layout = QVBoxLayout(self)
        layout.addWidget(params)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.set_params(d)

    # ------------------------------------------------------------------ parameters
    def set_params(self, p: HotspotParams) -> None:
        self.cell.setValue(p.cell_m or 0)
        self.bandwidth.setCurrentText(str(p.bandwidth_m) if not isinstance(p.bandwidth_m, float)
                                      else f"{p.bandwidth_m:g}")
        self.kernel.setCurrentText(p.kernel)
        self.top.setValue(p.top_percent)
        self.gi.setChecked(p.gi_star)
        self.gi_cell.setValue(p.gi_cell_m)
        self.gi_distance.setValue(p.gi_distance_m or 0)
        self.fdr.setChecked(p.fdr)
        self.study_area.setText(p.study_area_path or "")
        for w in (self.gi_cell, self.gi_distance, self.fdr):
            w.setEnabled(p.gi_star)

    def params(self) -> HotspotParams:
        text = self.bandwidth.currentText().strip().lower()
        try:
            bw = float(text.replace("m", "").strip())
        except ValueError:
            bw = text or "auto"
        return HotspotParams(cell_m=self.cell.value() or None, bandwidth_m=bw,
                             kernel=self.kernel.currentText(), top_percent=self.top.value(),
                             gi_star=self.gi.isChecked(), gi_cell_m=self.gi_cell.value(),
                             gi_distance_m=self.gi_distance.value() or None, fdr=self.fdr.isChecked(),
                             study_area_path=self.study_area.text().strip() or None)

    def _browse_study_area(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Study area boundary", self.study_area.text(),
                                              "GIS layers (*.geojson *.json *.gpkg *.shp);;All files (*)")
        if path:
            self.study_area.setText(path)

    # ------------------------------------------------------------------ results
    def show_run(self, run) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        if run is None:
            self.summary.setText("Run to map where incidents concentrate.")
            self.table.blockSignals(False)
            return
        s, a = run.surface, run.areas
        lines = [f"<b>{len(a.hotspots)} hotspot areas</b> (top {a.top_percent:g}% of cells) from "
                 f"{run.n_incidents:,} incidents ({run.filters.describe()}).",
                 f"{s.kernel.capitalize()} kernel, bandwidth {s.bandwidth_m:.0f} m, cells of "
                 f"{s.grid.cell_m:g} m; peak {s.max_density:,.0f} {s.density_units.replace('km^2', 'km²')}.",
                 f"Study area: {a.study_area.description}, {a.study_area.area_km2:,.2f} km² (the PAI's area)."]
        if run.gi is not None:
            hot = sum(run.gi.hot)
            cold = sum(run.gi.cold)
            lines.append(f"Gi*: {hot} hot and {cold} cold cells of {run.gi.grid.cell_m:g} m "
                         f"(band {run.gi.distance_m:.0f} m{', FDR' if run.gi.fdr else ''}).")
        warnings = (list(s.warnings) + list(a.warnings) + (list(run.gi.warnings) if run.gi else [])
                    + list(getattr(run, "warnings", ())))
        for w in warnings:
            lines.append(f"<span style='color:#a60'>&#9888; {w}</span>")
        self.summary.setText("<br>".join(lines))
        self.summary.setToolTip(s.bandwidth_rule)
        self.table.setRowCount(len(a.hotspots))
        for r, h in enumerate(a.hotspots):
            self.table.setItem(r, 0, _num_item(h.rank, str(h.rank)))
            self.table.setItem(r, 1, _num_item(h.incidents, f"{h.incidents:,}"))
            self.table.setItem(r, 2, _num_item(h.share, f"{100 * h.share:.1f}%"))
            self.table.setItem(r, 3, _num_item(h.area_km2, f"{h.area_km2:.3f}"))
            self.table.setItem(r, 4, _num_item(h.pai, f"{h.pai:.1f}"))
            loc = h.locations[0] if h.locations else ""
            self.table.setItem(r, 5, QTableWidgetItem(loc))
        self.table.blockSignals(False)

    def select_rank(self, rank: Optional[int]) -> None:
        self.table.blockSignals(True)
        self.table.clearSelection()
        if rank is not None:
            for r in range(self.table.rowCount()):
                if int(self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)) == rank:
                    self.table.selectRow(r)
                    break
        self.table.blockSignals(False)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            rank = int(self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole))
            self.hotspotSelected.emit(rank)
