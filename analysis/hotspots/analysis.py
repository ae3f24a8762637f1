"""The hotspot analysis as every caller runs it: ``beatwise hotspots``, the briefing and the app.

One sequence, one set of defaults (DESIGN.md section 3): out-of-area incidents set aside
(:mod:`analysis.hotspots.outliers`; a boundary decides instead when given), the density surface,
fixed or adaptive (:func:`analysis.hotspots.surface.density_surface`), the Gi* band from the data
(:func:`analysis.hotspots.gistar.data_gi_distance_m`), the study area (a boundary, else the cells
within reach of the incidents), the hotspot areas and Gi* over that study area.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

from analysis.hotspots.adaptive import DEFAULT_K
from analysis.hotspots.areas import DEFAULT_MAX_HOTSPOT_KM2, DEFAULT_MIN_INCIDENTS, DEFAULT_TOP_PERCENT
from analysis.hotspots.gistar import DEFAULT_GI_CELL_M
from analysis.progress import ProgressFn, report, scaled


@dataclass(frozen=True)
class HotspotOptions:
    """The parameters of :func:`hotspot_analysis` (the CLI's options, the panel's controls)."""

    kernel: str = "quartic"
    bandwidth_m: Union[str, float] = "auto"
    kernel_bandwidth: str = "auto"
    cell_m: Optional[float] = None
    adaptive_k: int = DEFAULT_K
    min_bandwidth_m: Optional[float] = None
    max_bandwidth_m: Optional[float] = None
    top_percent: float = DEFAULT_TOP_PERCENT
    max_hotspot_km2: Optional[float] = DEFAULT_MAX_HOTSPOT_KM2
    min_incidents: int = DEFAULT_MIN_INCIDENTS
    gi_star: bool = True
    gi_cell_m: float = DEFAULT_GI_CELL_M
    gi_distance_m: Optional[float] = None
    fdr: bool = True
    study_area_path: Optional[str] = None
    keep_outliers: bool = False


@dataclass(frozen=True)
class HotspotAnalysis:
    """Everything one run found, with the options it ran with."""

    options: HotspotOptions
    incidents: object = field(repr=False)     # the incidents gridded (out-of-area ones set aside)
    n_all: int = 0                            # before setting them aside
    outliers: object = field(default=None, repr=False)
    xy: np.ndarray = field(default=None, repr=False)
    crs: Optional[str] = None
    surface: object = field(default=None, repr=False)
    mode: object = None
    areas: object = field(default=None, repr=False)
    study: object = field(default=None, repr=False)
    gi: object = field(default=None, repr=False)
    gi_grid: object = field(default=None, repr=False)
    band_m: float = 0.0                       # the data-driven Gi* band (also the study area's reach floor)
    band_rule: str = ""
    distance_m: float = 0.0                   # the band Gi* used
    distance_rule: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class GriddedIncidents:
    """The incidents a hotspot surface is made of: the out-of-area ones set aside (or a boundary's
    outside), with their coordinates and weights. It depends on the filters, ``keep_outliers`` and
    the study area only, so a surface redrawn for other kernel controls reuses it (the app's live
    surface)."""

    incidents: object = field(repr=False)
    n_all: int = 0
    outliers: object = field(default=None, repr=False)
    xy: np.ndarray = field(default=None, repr=False)
    crs: Optional[str] = None
    weights: Optional[np.ndarray] = field(default=None, repr=False)   # None: one each
    keep_outliers: bool = False
    study_area_path: Optional[str] = None


def gridded_incidents(incidents, *, keep_outliers: bool = False, study_area_path: Optional[str] = None,
                      weights=None, progress: Optional[ProgressFn] = None) -> GriddedIncidents:
    """Set the out-of-area incidents aside (:func:`analysis.hotspots.outliers.without_outliers`; a
    boundary decides instead when ``study_area_path`` is given) and resolve the weights.

    Parameters
    ----------
    incidents : GeoDataFrame or incidents table (x, y, ``attrs["crs"]``), in the working CRS, filtered.
    weights : None, column name, crime-type table or array (one per incident)
        As :func:`analysis.hotspots.kde.resolve_weights`; None: one each.
    """
    from analysis.hotspots.grid import points_xy
    from analysis.hotspots.kde import resolve_weights
    from analysis.hotspots.outliers import without_outliers
    from analysis.hotspots.study_area import read_study_area

    _, crs = points_xy(incidents.iloc[:0])
    boundary = read_study_area(study_area_path, crs) if study_area_path else None
    n_all = len(incidents)
    report(progress, 0.0, "Looking for out-of-area incidents")
    gridded, outliers = without_outliers(incidents, keep=keep_outliers, boundary=boundary, source=study_area_path)
    if weights is not None and not isinstance(weights, (str, dict)) and len(gridded) != n_all:
        weights = np.asarray(weights)[~np.asarray(outliers.mask)]
    xy, crs = points_xy(gridded)
    w, weighted = resolve_weights(gridded, weights, len(xy))
    return GriddedIncidents(incidents=gridded, n_all=n_all, outliers=outliers, xy=xy, crs=crs,
                            weights=w if weighted else None, keep_outliers=keep_outliers,
                            study_area_path=study_area_path)


def hotspot_density(g: GriddedIncidents, options: HotspotOptions = HotspotOptions(), *,
                    progress: Optional[ProgressFn] = None):
    """The density surface of :func:`hotspot_analysis` and its bandwidth mode, for ``options``'s
    kernel controls (:func:`analysis.hotspots.surface.density_surface`)."""
    from analysis.hotspots.surface import density_surface

    o = options
    return density_surface(g.xy, weights=g.weights, crs=g.crs, kernel=o.kernel, bandwidth_m=o.bandwidth_m,
                           mode=o.kernel_bandwidth, cell_m=o.cell_m, k=o.adaptive_k,
                           min_bandwidth_m=o.min_bandwidth_m, max_bandwidth_m=o.max_bandwidth_m,
                           progress=progress)


def hotspot_analysis(incidents, options: HotspotOptions = HotspotOptions(), *, weights=None,
                     progress: Optional[ProgressFn] = None) -> HotspotAnalysis:
    """Run the hotspot analysis of the module docstring on ``incidents`` (already filtered).

    Parameters
    ----------
    incidents : GeoDataFrame or incidents table (x, y, ``attrs["crs"]``), in the working CRS.
    options : HotspotOptions
    weights : None, column name, crime-type table or array (one per incident)
        As :func:`analysis.hotspots.kde.resolve_weights`; None: one each.
    """
    from analysis.hotspots.areas import hotspot_areas
    from analysis.hotspots.gistar import GiStarUndefined, data_gi_distance_m, gi_star
    from analysis.hotspots.study_area import study_area_for

    o = options
    g = gridded_incidents(incidents, keep_outliers=o.keep_outliers, study_area_path=o.study_area_path,
                          weights=weights, progress=progress)
    gridded, outliers, xy, crs, n_all = g.incidents, g.outliers, g.xy, g.crs, g.n_all
    surface, mode = hotspot_density(g, o, progress=scaled(progress, 0.02, 0.6))
    grid = surface.grid
    gi_grid = grid.with_cell_m(o.gi_cell_m)
    band, band_rule = data_gi_distance_m(xy, gi_grid)
    report(progress, 0.6, "Study area")
    study = study_area_for(xy, grid, band_m=band, boundary_path=o.study_area_path,
                           progress=scaled(progress, 0.6, 0.7))
    areas = hotspot_areas(surface, gridded, top_percent=o.top_percent, study_area=study,
                          max_hotspot_km2=o.max_hotspot_km2 or None, min_incidents=o.min_incidents,
                          progress=scaled(progress, 0.7, 0.85))
    distance, distance_rule = ((float(o.gi_distance_m), f"given: {o.gi_distance_m:g} m") if o.gi_distance_m
                               else (band, band_rule))
    gi, warnings = None, []
    if o.gi_star:
        try:
            gi = gi_star(xy, gi_grid, distance_m=distance, fdr=o.fdr, study_area=study,
                         progress=scaled(progress, 0.85, 1.0))
        except GiStarUndefined as exc:  # e.g. one incident: its own cell is the whole study area
            warnings.append(f"Gi* not computed: {exc}")
    report(progress, 1.0, f"{len(areas.hotspots)} hotspot areas")
    return HotspotAnalysis(options=o, incidents=gridded, n_all=n_all, outliers=outliers, xy=xy, crs=crs,
                           surface=surface, mode=mode, areas=areas, study=study, gi=gi, gi_grid=gi_grid,
                           band_m=band, band_rule=band_rule, distance_m=distance, distance_rule=distance_rule,
                           warnings=tuple(warnings))
