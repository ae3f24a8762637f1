"""Hotspots dock: every parameter with its default and what it does, Run, and the hotspot table."""
from __future__ import annotations

import html
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFrame, QGridLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.params import BANDWIDTH_MODES, KERNELS, HotspotParams


def _outlier_sentence(outliers) -> str:
    """The out-of-area sentence with the app's option named instead of the command's."""
    return outliers.sentence().replace("--keep-outliers", "'Keep out-of-area incidents'")


def run_summary_lines(run) -> tuple[list[str], list[str]]:
    """The summary of a hotspot run (HTML lines) and the full rules behind it (tooltip paragraphs):
    the bandwidth mode and why, the bandwidths and cells, the out-of-area incidents by name, the
    study area, Gi* and its band."""
    s, a = run.surface, run.areas
    split = f", areas over {a.max_hotspot_km2:g} km² split at their density peaks" if a.max_hotspot_km2 else ""
    what = "hotspot area" if len(a.hotspots) == 1 else "hotspot areas"
    lines = [f"<b>{len(a.hotspots)} {what}</b> (top {a.top_percent:g}% of cells{split}) from "
             f"{run.n_incidents:,} incidents ({html.escape(run.filters.describe())})."]
    tips = []
    mode = getattr(run, "mode", None)
    if mode is not None:
        lines.append("Bandwidth " + html.escape(mode.reason.split("; ")[0]) + ".")
        tips.append("Bandwidth: " + mode.reason)
    units = s.density_units.replace("km^2", "km²")
    if s.adaptive:
        lines.append(f"{s.kernel.capitalize()} kernel, adaptive bandwidths {s.bandwidth_classes[0]:.0f}-"
                     f"{s.bandwidth_classes[-1]:.0f} m ({len(s.bandwidth_classes)} classes), cells of "
                     f"{s.grid.cell_m:g} m; peak {s.max_density:,.0f} {units}.")
    else:
        lines.append(f"{s.kernel.capitalize()} kernel, bandwidth {s.bandwidth_m:.0f} m, cells of "
                     f"{s.grid.cell_m:g} m; peak {s.max_density:,.0f} {units}.")
    tips.append(f"Kernel: {s.bandwidth_rule}. Cells of {s.grid.cell_m:g} m: at most a fifth of the narrowest "
                "kernel, within the grid-size limit; zoomed in, the map redraws the view at finer cells.")
    outliers = getattr(run, "outliers", None)
    if outliers is not None and outliers.n:
        lines.append(html.escape(_outlier_sentence(outliers), quote=False))
        tips.append("Out of area: " + outliers.rule)
    lines.append(f"Study area: {html.escape(a.study_area.description)}, {a.study_area.area_km2:,.2f} km² "
                 "(the PAI's area).")
    if run.gi is not None:
        hot, cold = sum(run.gi.hot), sum(run.gi.cold)
        lines.append(f"Gi*: {hot} hot and {cold} cold cells of {run.gi.grid.cell_m:g} m (band "
                     f"{run.gi.distance_m:.0f} m{' from the data' if run.params.gi_distance_m is None else ''}"
                     f"{', FDR' if run.gi.fdr else ''}).")
        if getattr(run, "gi_band_rule", None):
            tips.append("Gi* band: " + run.gi_band_rule)
    warnings = (list(s.warnings) + list(a.warnings) + (list(run.gi.warnings) if run.gi else [])
                + list(getattr(run, "warnings", ())))
    for w in warnings:
        lines.append(f"<span style='color:#a60'>&#9888; {html.escape(w)}</span>")
    return lines, tips


def surface_text(s) -> str:
    """The kernel and cells of a density surface in a few words: "fixed bandwidth 94 m, cells of 10 m"."""
    bw = (f"adaptive bandwidths {s.bandwidth_classes[0]:.0f}-{s.bandwidth_classes[-1]:.0f} m" if s.adaptive
          else f"fixed bandwidth {s.bandwidth_m:.0f} m")
    return f"{bw}, cells of {s.grid.cell_m:g} m"


def status_text(run) -> str:
    """One line for the status bar: the automatic choices of a hotspot run."""
    parts = [f"Hotspots: {surface_text(run.surface)}"]
    outliers = getattr(run, "outliers", None)
    if outliers is not None and outliers.n:
        parts.append(f"{outliers.n:,} out-of-area incident{'s' if outliers.n > 1 else ''} "
                     + ("kept" if outliers.kept else "left out"))
    if run.gi is not None:
        parts.append(f"Gi* band {run.gi.distance_m:.0f} m")
    return "; ".join(parts) + "."


TABLE_COLUMNS = ("#", "Incidents", "Share", "Area km²", "PAI", "Matrix", "Main location")


def matrix_item(m) -> QTableWidgetItem:
    """A hotspot's matrix class, "clustered / acute", the numbers behind it and the response as its
    tooltip (:class:`analysis.spacetime.hotspot_matrix.MatrixClass`; None: not computed)."""
    if m is None:
        return QTableWidgetItem("")
    item = QTableWidgetItem(f"{m.spatial} / {m.temporal}")
    busiest = (f"; its peak hours from {m.peak_start_hour:02d}:00 hold {100 * m.peak_hours_share:.0f}%"
               if m.peak_hours_share is not None else "; no time of day")
    item.setToolTip(f"Busiest place {100 * m.top_place_share:.0f}% of the incidents, busiest fifth of the cells "
                    f"{100 * m.top_cells_share:.0f}%{busiest}.\nSuggested: {m.response}.")
    return item


def _num_item(value: float, text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setData(Qt.ItemDataRole.UserRole, float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class HotspotsPanel(QWidget):
    """Signals: ``runRequested(HotspotParams)``, ``hotspotSelected(int)`` (rank)."""

    runRequested = Signal(object)
    hotspotSelected = Signal(int)
    #: A control changed (the user's edit, not :meth:`set_params`): the new parameters.
    paramsEdited = Signal(object)
    #: The "Live" switch: the density follows the controls without Run.
    liveToggled = Signal(bool)

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
                             "longer. Default auto: at most a fifth of the narrowest kernel used (and the "
                             "shorter side of the area / 250), within the grid-size limit. Zoomed in, the map "
                             "redraws the view at finer cells.")
        self.bandwidth = QComboBox()
        self.bandwidth.setEditable(True)
        self.bandwidth.addItems(["auto", "silverman", "100", "150", "200", "250", "400"])
        self.bandwidth.setToolTip(
            "Kernel radius (search radius) in metres: how far each incident spreads. Larger values "
            "give smoother, broader hotspots. Default auto: fixed, the ArcGIS Kernel Density rule from the "
            "incidents' spread; adaptive, the radius holding k incidents at the local density. 'silverman' "
            "is Silverman's rule of thumb. A number here means a fixed bandwidth unless the mode is adaptive.")
        self.kernel = QComboBox()
        self.kernel.addItems(list(KERNELS))
        self.kernel.setToolTip("Shape of each incident's spread. Default quartic (as ArcGIS and "
                               "CrimeStat); gaussian has soft tails.")
        self.mode = QComboBox()
        self.mode.addItems(list(BANDWIDTH_MODES))
        self.mode.setToolTip("Fixed bandwidth, adaptive (Abramson's square-root law: narrow kernels where incidents "
                             "are dense, wide ones in the countryside), or auto (default): adaptive when the fixed "
                             "bandwidth is over 3 times the median adaptive one and the incidents spread over 5 km "
                             "(a force's towns and countryside). The reason is shown below the Run button.")
        self.adaptive_k = QSpinBox()
        self.adaptive_k.setRange(2, 1000)
        self.adaptive_k.setToolTip(f"Adaptive kernel: each kernel holds about k incidents at the local density. "
                                   f"Default {d.adaptive_k}.")
        self.max_km2 = QDoubleSpinBox()
        self.max_km2.setRange(0, 1000)
        self.max_km2.setDecimals(2)
        self.max_km2.setSingleStep(0.25)
        self.max_km2.setSuffix(" km²")
        self.max_km2.setSpecialValueText("no limit")
        self.max_km2.setToolTip(f"Largest patrollable hotspot area: larger areas are split at their density peaks, "
                                f"and any part still larger is flagged. Default {d.max_hotspot_km2:g} km².")
        self.keep_outliers = QCheckBox("Keep out-of-area incidents")
        self.keep_outliers.setToolTip("Incidents far from all others (a force's rows located in another city) are "
                                      "listed below and left out of the grids and statistics by default; tick to "
                                      "include them. With a study area boundary, the boundary decides.")
        self.top = QDoubleSpinBox()
        self.top.setRange(0.1, 100)
        self.top.setDecimals(1)
        self.top.setSuffix(" %")
        self.top.setToolTip(f"Hotspot areas are the densest P% of the study area's cells. "
                            f"Default {d.top_percent:g}%.")
        self.gi = QCheckBox("Gi*")
        self.gi.setToolTip("Gi* hot and cold spots: test where counts are significantly high (hot) or low (cold) compared with "
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
                                    "Default auto: from the data, the average distance from each occupied Gi* "
                                    "cell to its 8 nearest occupied cells (as ArcGIS Optimized Hot Spot "
                                    "Analysis), at least two cells.")
        self.fdr = QCheckBox("FDR")
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
        grid.setVerticalSpacing(3)
        rows = [("Cell size", self.cell, "Bandwidth", self.bandwidth),
                ("Mode", self.mode, "Adaptive k", self.adaptive_k),
                ("Kernel", self.kernel, "Top % of cells", self.top),
                ("Max area", self.max_km2, "", self.keep_outliers)]
        for r, (la, wa, lb, wb) in enumerate(rows):
            grid.addWidget(QLabel(la), r, 0)
            grid.addWidget(wa, r, 1)
            if lb:
                grid.addWidget(QLabel(lb), r, 2)
                grid.addWidget(wb, r, 3)
            else:
                grid.addWidget(wb, r, 2, 1, 2)
        n = len(rows)
        # Gi* on one row: the switch, its cell, its band and FDR
        self.gi.setText("Gi*")
        self.gi_cell.setPrefix("cell ")
        self.gi_distance.setPrefix("band ")
        self.gi_distance.setSpecialValueText("band auto")
        self.fdr.setText("FDR")
        grid.addWidget(self.gi, n, 0)
        grid.addWidget(self.gi_cell, n, 1)
        grid.addWidget(self.gi_distance, n, 2)
        grid.addWidget(self.fdr, n, 3)
        grid.addWidget(QLabel("Study area"), n + 1, 0)
        grid.addWidget(self.study_area, n + 1, 1, 1, 2)
        grid.addWidget(self.study_area_button, n + 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        params = QGroupBox()
        params.setLayout(grid)
        grid.setContentsMargins(6, 4, 6, 4)

        self.run_button = QPushButton("Run hotspots")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(lambda: self.runRequested.emit(self.params()))
        self.defaults_button = QPushButton("Defaults")
        self.defaults_button.setToolTip("Reset every parameter to its default")
        self.defaults_button.clicked.connect(self._defaults)
        self.live = QCheckBox("Live")
        self.live.setChecked(True)
        self.live.setToolTip("The density follows the controls and the filters as they change, without Run "
                             "(projects of up to 200,000 incidents); the hotspot areas and Gi* follow when the "
                             "controls have been still for a moment. Off: only Run updates the map.")
        self.live.toggled.connect(self.liveToggled)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.defaults_button)
        buttons.addWidget(self.live)
        buttons.addStretch(1)

        self.summary = QLabel("Run to map where incidents concentrate.")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("hotspotSummary")
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(TABLE_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for i in range(len(TABLE_COLUMNS) - 1):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(TABLE_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Click a hotspot to zoom the map to it and show its numbers. PAI: share of "
                              "incidents / share of area (Chainey et al. 2008). Matrix: spread in space / "
                              "over the day (after Ratcliffe 2004's hotspot matrix; hover for the response).")
        self.table.itemSelectionChanged.connect(self._selected)

        layout = QVBoxLayout(self)
        layout.addWidget(params)
        layout.addLayout(buttons)
        # the summary scrolls in a short dock (the window's minimum height stays within the screen)
        self.summary_scroll = QScrollArea()
        self.summary_scroll.setWidget(self.summary)
        self.summary_scroll.setWidgetResizable(True)
        self.summary_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.summary_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary_scroll.setMinimumHeight(4 * self.summary.fontMetrics().height())
        layout.addWidget(self.summary_scroll)
        layout.addWidget(self.table, 1)
        self._quiet = False
        self.set_params(d)
        self._watch_edits()

    def _watch_edits(self) -> None:
        """Every control's change reaches :attr:`paramsEdited` (the study area once its text is done)."""
        edited = self._edited
        for spin in (self.cell, self.adaptive_k, self.max_km2, self.top, self.gi_cell, self.gi_distance):
            spin.valueChanged.connect(edited)
        for box in (self.kernel, self.mode):
            box.currentTextChanged.connect(edited)
        self.bandwidth.currentTextChanged.connect(edited)
        for check in (self.keep_outliers, self.gi, self.fdr):
            check.toggled.connect(edited)
        self.study_area.editingFinished.connect(edited)

    def _edited(self, *_) -> None:
        if not self._quiet:
            self.paramsEdited.emit(self.params())

    def _defaults(self) -> None:
        self.set_params(HotspotParams())
        self.paramsEdited.emit(self.params())

    def set_live_available(self, available: bool, reason: str = "") -> None:
        """Enable the Live switch (a project small enough), with why not in its tooltip."""
        self.live.setEnabled(available)
        if reason:
            self.live.setToolTip(reason)

    # ------------------------------------------------------------------ parameters
    def set_params(self, p: HotspotParams) -> None:
        """Show ``p`` in the controls (no :attr:`paramsEdited`: nothing was edited)."""
        quiet, self._quiet = self._quiet, True
        try:
            self._show_params(p)
        finally:
            self._quiet = quiet

    def _show_params(self, p: HotspotParams) -> None:
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
        self.mode.setCurrentText(p.kernel_bandwidth)
        self.adaptive_k.setValue(int(p.adaptive_k))
        self.max_km2.setValue(p.max_hotspot_km2 or 0)
        self.keep_outliers.setChecked(p.keep_outliers)
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
                             study_area_path=self.study_area.text().strip() or None,
                             kernel_bandwidth=self.mode.currentText(), adaptive_k=self.adaptive_k.value(),
                             max_hotspot_km2=self.max_km2.value(), keep_outliers=self.keep_outliers.isChecked())

    def _browse_study_area(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Study area boundary", self.study_area.text(),
                                              "GIS layers (*.geojson *.json *.gpkg *.shp);;All files (*)")
        if path:
            self.study_area.setText(path)
            self._edited()

    # ------------------------------------------------------------------ results
    def show_run(self, run) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        if run is None:
            self.summary.setText("Run to map where incidents concentrate.")
            self.table.blockSignals(False)
            return
        s, a = run.surface, run.areas
        lines, tips = run_summary_lines(run)
        self.summary.setText("<br>".join(lines))
        self.summary.setToolTip("\n\n".join(tips))
        self.table.setRowCount(len(a.hotspots))
        for r, h in enumerate(a.hotspots):
            self.table.setItem(r, 0, _num_item(h.rank, str(h.rank)))
            self.table.setItem(r, 1, _num_item(h.incidents, f"{h.incidents:,}"))
            self.table.setItem(r, 2, _num_item(h.share, f"{100 * h.share:.1f}%"))
            area = _num_item(h.area_km2, f"{h.area_km2:.3f}" + (" ⚠" if getattr(h, "oversized", False) else ""))
            if getattr(h, "oversized", False):
                area.setToolTip(f"Larger than the patrollable size ({a.max_hotspot_km2:g} km²) even after "
                                "splitting at its density peaks")
            elif getattr(h, "split", False):
                area.setToolTip("Part of a larger area, split at its density peaks")
            self.table.setItem(r, 3, area)
            self.table.setItem(r, 4, _num_item(h.pai, f"{h.pai:.1f}"))
            self.table.setItem(r, 5, matrix_item((getattr(run, "matrix", None) or {}).get(h.rank)))
            loc = h.locations[0] if h.locations else ""
            self.table.setItem(r, 6, QTableWidgetItem(loc))
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
