"""The jobs the app runs in workers: thin compositions of analysis functions.

Each takes ``progress`` (the worker's callback) and returns a frozen result; none computes a
statistic itself. They run on a pool thread, so they never touch a widget.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from desktop.params import HotspotParams

Filters = Any  # analysis.filters.Filters (imported lazily: geopandas is slow to import)


_IMPORT_LOCK = threading.Lock()
_loaded = False
#: The analysis stack, imported once, by one thread: several workers importing scipy submodules
#: at the same time can crash the interpreter (seen here as a segmentation fault).
ANALYSIS_MODULES = ("analysis.filters", "analysis.ingest.incidents", "analysis.project", "analysis.demo",
                    "analysis.hotspots.kde", "analysis.hotspots.areas", "analysis.hotspots.gistar",
                    "analysis.hotspots.surface", "analysis.hotspots.detail", "analysis.hotspots.outliers",
                    "analysis.temporal.matrix", "analysis.temporal.compare", "analysis.hotspots.streets",
                    "analysis.hotspots.street_ranking", "analysis.spacetime.pipeline",
                    "analysis.spacetime.hotspot_matrix", "analysis.spacetime.next_period", "analysis.ingest.tracks", "analysis.patrols.report",
                    "analysis.patrols.presence", "analysis.patrols.visits", "analysis.patrols.gap",
                    "analysis.patrols.on_duty",
                    "analysis.staffing.timing", "pyproj", "shapely", "geopandas")


def ensure_analysis_loaded() -> None:
    """Import the analysis stack under a lock (the first call does the work)."""
    global _loaded
    if _loaded:
        return
    with _IMPORT_LOCK:
        if not _loaded:
            for name in ANALYSIS_MODULES:
                try:
                    importlib.import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
            _loaded = True


def task(fn):
    """Mark a worker job: the analysis stack is loaded (once, safely) before it runs, and the memory
    it freed is given back to the system after it (:func:`analysis.memory.release_free_memory`)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ensure_analysis_loaded()
        try:
            return fn(*args, **kwargs)
        finally:
            from analysis.memory import release_free_memory

            release_free_memory()
    return wrapper


def apply_filters(incidents, filters):
    from analysis.filters import apply_filters as _apply

    return _apply(incidents, filters)


@task
def filtered_incidents(incidents, filters, progress: Optional[ProgressFn] = None):
    """The incidents passing ``filters`` (for the map's point layer)."""
    report(progress, 0.0, "Applying the filters")
    out = apply_filters(incidents, filters)
    report(progress, 1.0, f"{len(out):,} incidents")
    return out


# ---------------------------------------------------------------------------------- projects
def _demo_cache_key() -> str:
    import analysis.demo as demo
    import analysis.ingest as ingest

    h = hashlib.sha1()
    folder = getattr(ingest, "__file__", None)
    sources = [Path(str(demo.__file__))] + (sorted(Path(folder).parent.glob("*.py")) if folder else [])
    for src in sources:
        try:
            h.update(src.read_bytes())
        except (OSError, TypeError):  # frozen build: no source; the version decides
            from importlib.metadata import PackageNotFoundError, version
            try:
                h.update(version("beatwise").encode())
            except PackageNotFoundError:
                h.update(b"frozen")
    return h.hexdigest()[:12]


def demo_basemap(crs: str):
    """The demo's streets as lines in ``crs``, for drawing only (see :func:`analysis.demo.demo_streets`)."""
    from analysis.demo import demo_streets

    return demo_streets(crs)


@dataclass(frozen=True)
class LoadedProject:
    """A project read by a worker, with its file (None for the demo or an import)."""

    project: Any
    path: Optional[Path]
    basemap: Any = None
    from_cache: bool = False


@task
def load_demo(cache_dir: Optional[Path], progress: Optional[ProgressFn] = None) -> LoadedProject:
    """The SYNTHETIC demo project, from a cache file in ``cache_dir`` when one matches the code."""
    from analysis.demo import demo_project
    from analysis.project import load_project, save_project

    cached = None
    if cache_dir is not None:
        cached = Path(cache_dir) / f"demo-{_demo_cache_key()}.beatwise"
        if cached.is_file():
            try:
                project = load_project(cached, progress=scaled(progress, 0, 0.95))
                return LoadedProject(project, None, demo_basemap(project.crs), from_cache=True)
            except BeatwiseError:
                cached.unlink(missing_ok=True)
    report(progress, 0.02, "Generating the SYNTHETIC demo data")
    project = demo_project()
    if cached is not None:
        report(progress, 0.8, "Caching the demo for the next start")
        try:
            for old in Path(cache_dir).glob("demo-*.beatwise"):
                old.unlink(missing_ok=True)
            save_project(project, cached)
        except OSError:
            pass  # a cache is a convenience
    report(progress, 1.0, "Demo ready")
    return LoadedProject(project, None, demo_basemap(project.crs))


@task
def open_project(path: Union[str, Path], progress: Optional[ProgressFn] = None) -> LoadedProject:
    from analysis.project import load_project

    project = load_project(path, progress=progress)
    basemap = demo_basemap(project.crs) if project.synthetic and project.streets is None else None
    return LoadedProject(project, Path(path), basemap)


@task
def import_files(paths: Sequence[Union[str, Path]], mapping=None, progress: Optional[ProgressFn] = None):
    """``read_incidents`` (the import wizard's job)."""
    from analysis.ingest.incidents import read_incidents

    return read_incidents([Path(p) for p in paths], mapping, progress=progress)


@task
def read_layer(path: Union[str, Path], crs: str, progress: Optional[ProgressFn] = None):
    """A street or boundary layer reprojected to the working CRS (a GeoDataFrame)."""
    from analysis.ingest.layers import read_layer as read_gis_layer

    report(progress, 0.0, f"Reading {Path(path).name}")
    layer = read_gis_layer(path, crs)
    report(progress, 1.0, "Layer ready")
    return layer


@task
def load_basemap(path: Union[str, Path], crs: str, extent, progress: Optional[ProgressFn] = None):
    """An offline basemap for ``extent`` (:func:`analysis.basemap.load_basemap`)."""
    from analysis.basemap import load_basemap as load

    report(progress, 0.0, f"Reading the basemap {Path(path).name}")
    basemap = load(path, crs, extent, width_px=3000)
    report(progress, 1.0, "Basemap ready")
    return basemap


@task
def save(project, path: Union[str, Path], progress: Optional[ProgressFn] = None) -> Path:
    from analysis.project import save_project

    return save_project(project, path, progress=progress)


# ---------------------------------------------------------------------------------- hotspots
@dataclass(frozen=True)
class HotspotRun:
    """A density surface, its hotspot areas and (optionally) Gi*, with what made them.

    ``mode`` (a :class:`~analysis.hotspots.surface.BandwidthMode`) says fixed or adaptive and why;
    ``outliers`` the out-of-area incidents (:class:`~analysis.hotspots.outliers.Outliers`);
    ``gi_band_rule`` how the Gi* band was chosen; ``source`` what the map needs to redraw a view
    at finer cells (:class:`~analysis.hotspots.detail.SurfaceSource`).
    """

    params: HotspotParams
    filters: Filters
    n_incidents: int
    surface: Any
    areas: Any
    gi: Any = None
    warnings: tuple = ()   # e.g. why Gi* was not computed
    mode: Any = None
    outliers: Any = None
    gi_band_rule: Optional[str] = None
    source: Any = None
    overview: Any = None   # the surface as drawn whole (block means, analysis.hotspots.detail.display_overview)
    matrix: Any = None     # rank -> MatrixClass (analysis.spacetime.hotspot_matrix, after Ratcliffe 2004)


@task
def run_hotspots(incidents, filters: Filters, params: HotspotParams,
                 progress: Optional[ProgressFn] = None) -> HotspotRun:
    """``beatwise hotspots`` for the app: the same steps, the same defaults (DESIGN.md section 3)."""
    from analysis.hotspots.analysis import hotspot_analysis
    from analysis.hotspots.detail import SurfaceSource, display_overview
    from analysis.spacetime.hotspot_matrix import hotspot_matrix

    pts = _filtered_for_hotspots(incidents, filters, progress)
    run = hotspot_analysis(pts, params.to_options(), progress=scaled(progress, 0.02, 0.97))
    surface, areas, gi, xy = run.surface, run.areas, run.gi, run.xy
    mode, outliers, band_rule, warnings = run.mode, run.outliers, run.distance_rule, run.warnings
    report(progress, 0.97, "Hotspot matrix")
    matrix = hotspot_matrix(areas, run.incidents, xy)
    report(progress, 1.0, f"{len(areas.hotspots)} hotspot areas")
    xy.flags.writeable = False
    return HotspotRun(params, filters, len(run.incidents), surface, areas, gi, warnings, mode=mode, outliers=outliers,
                      gi_band_rule=band_rule, source=SurfaceSource(xy, None, surface),
                      overview=display_overview(surface), matrix=matrix)


def _filtered_for_hotspots(incidents, filters: Filters, progress: Optional[ProgressFn]):
    report(progress, 0.0, "Applying the filters")
    pts = apply_filters(incidents, filters)
    if len(pts) == 0:
        raise BeatwiseError("No incidents pass the filters: widen them (crime types, dates, area).")
    return pts


@dataclass(frozen=True)
class LiveSurface:
    """The density surface alone, for the controls as they are now (the app's live surface).

    ``gridded`` (:class:`~analysis.hotspots.analysis.GriddedIncidents`) is reused by the next
    update when the incidents, the filters, the out-of-area choice and the study area are the same;
    ``of`` is the incidents table it was made from (compared by identity)."""

    params: HotspotParams
    filters: Filters
    surface: Any
    mode: Any
    gridded: Any = None
    source: Any = None
    overview: Any = None
    of: Any = None

    def reusable_for(self, incidents, filters: Filters, options) -> bool:
        """The gridded incidents hold for ``incidents``, ``filters`` and ``options`` (HotspotOptions)."""
        g = self.gridded
        return (self.of is incidents and self.filters == filters and g.keep_outliers == options.keep_outliers
                and g.study_area_path == options.study_area_path)


@task
def live_density(incidents, filters: Filters, params: HotspotParams, previous: Optional[LiveSurface] = None,
                 progress: Optional[ProgressFn] = None) -> LiveSurface:
    """The density surface of :func:`run_hotspots` for ``params``, without the areas and Gi*
    (:func:`analysis.hotspots.analysis.hotspot_density`); the filtered, gridded incidents of
    ``previous`` are reused when they still apply."""
    from analysis.hotspots.analysis import gridded_incidents, hotspot_density
    from analysis.hotspots.detail import SurfaceSource, display_overview

    options = params.to_options()
    if previous is not None and previous.reusable_for(incidents, filters, options):
        g = previous.gridded
    else:
        pts = _filtered_for_hotspots(incidents, filters, progress)
        g = gridded_incidents(pts, keep_outliers=options.keep_outliers, study_area_path=options.study_area_path)
    surface, mode = hotspot_density(g, options, progress=scaled(progress, 0.1, 0.95))
    g.xy.flags.writeable = False
    return LiveSurface(params, filters, surface, mode, g, source=SurfaceSource(g.xy, g.weights, surface),
                       overview=display_overview(surface), of=incidents)


@dataclass(frozen=True)
class ViewRun:
    """The density of a hotspot run redrawn for one view of the map (None: the overview suffices)."""

    bounds: tuple
    surface: Any = None


@task
def render_view(source, bounds, cells_across: int, shown_cell_m: Optional[float] = None,
                progress: Optional[ProgressFn] = None) -> ViewRun:
    """The surface of ``source`` over the view ``bounds`` at the view's cells
    (:func:`analysis.hotspots.detail.view_grid`, :func:`~analysis.hotspots.detail.view_surface`)."""
    from analysis.hotspots.detail import view_grid, view_surface

    grid = view_grid(source.surface, bounds, cells_across, shown_cell_m=shown_cell_m)
    if grid is None:
        return ViewRun(tuple(bounds))
    return ViewRun(tuple(bounds), view_surface(source, grid, progress=progress))


# ---------------------------------------------------------------------------------- when
@dataclass(frozen=True)
class TemporalRun:
    profile: Any
    filters: Filters
    street: Optional[str] = None
    street_area: Optional[str] = None
    hotspot_rank: Optional[int] = None


def _temporal_scope(incidents, filters: Filters, street: Optional[str], street_area: Optional[str], hotspot):
    """The incidents a temporal run is about: the filters (and a hotspot's polygon), then one street."""
    f = dataclasses.replace(filters, polygon=hotspot.geometry) if hotspot is not None else filters
    pts = apply_filters(incidents, f)
    if street:
        from analysis.hotspots.streets import filter_street

        pts = filter_street(pts, street, area=street_area or None)
    return pts


@task
def run_temporal(incidents, filters: Filters, street: Optional[str] = None,
                 street_area: Optional[str] = None, hotspot=None,
                 progress: Optional[ProgressFn] = None) -> TemporalRun:
    """Hour x weekday profile; ``hotspot`` (a Hotspot) limits it to that area's polygon."""
    from analysis.temporal.matrix import hour_weekday_matrix

    report(progress, 0.0, "Selecting incidents")
    pts = _temporal_scope(incidents, filters, street, street_area, hotspot)
    profile = hour_weekday_matrix(pts, scaled(progress, 0.1, 1.0))
    return TemporalRun(profile, filters, street, street_area,
                       hotspot.rank if hotspot is not None else None)


@task
def run_comparison(incidents, filters: Filters, at, street: Optional[str] = None,
                   street_area: Optional[str] = None, hotspot=None,
                   progress: Optional[ProgressFn] = None):
    from analysis.temporal.compare import compare_periods

    report(progress, 0.0, "Selecting incidents")
    pts = _temporal_scope(incidents, filters, street, street_area, hotspot)
    return compare_periods(pts, at, scaled(progress, 0.1, 1.0))


# ---------------------------------------------------------------------------------- over time
#: Knox permutations in the app (the command's default is 999): p-values down to 0.005, in seconds.
APP_PERMUTATIONS = 199


@dataclass(frozen=True)
class SpacetimeRun:
    """Emerging hot spots and the near-repeat test of the filtered incidents
    (:class:`analysis.spacetime.pipeline.SpacetimeRuns`: each result, or why there is none)."""

    runs: Any
    filters: Filters


@task
def run_spacetime(incidents, filters: Filters, permutations: int = APP_PERMUTATIONS,
                  progress: Optional[ProgressFn] = None) -> SpacetimeRun:
    """``beatwise emerging`` and ``beatwise nearrepeat`` on the filtered incidents, their defaults
    (:func:`analysis.spacetime.pipeline.spacetime_runs`)."""
    from analysis.spacetime.pipeline import crime_word, spacetime_runs

    report(progress, 0.0, "Applying the filters")
    pts = apply_filters(incidents, filters)
    if len(pts) == 0:
        raise BeatwiseError("No incidents pass the filters: widen them (crime types, dates, area).")
    runs = spacetime_runs(pts, permutations=permutations, crime=crime_word(filters.crime_types),
                          progress=scaled(progress, 0.02, 1.0))
    return SpacetimeRun(runs, filters)


@dataclass(frozen=True)
class ForecastRun:
    """Next period's forecast of the filtered incidents and the back-test that chose its method
    (:class:`analysis.spacetime.next_period.ForecastResult`)."""

    result: Any
    filters: Filters


@task
def run_forecast(incidents, filters: Filters, period: str = "week", method: Optional[str] = None,
                 coverage_pct: float = 2.0, test_periods: int = 12, cell_m: float = 150.0,
                 progress: Optional[ProgressFn] = None) -> ForecastRun:
    """``beatwise forecast`` on the filtered incidents (:func:`analysis.spacetime.next_period.forecast_incidents`);
    ``method`` None: the best in the back-test."""
    from analysis.spacetime.next_period import forecast_incidents

    report(progress, 0.0, "Applying the filters")
    pts = apply_filters(incidents, filters)
    if len(pts) == 0:
        raise BeatwiseError("No incidents pass the filters: widen them (crime types, dates, area).")
    result = forecast_incidents(pts, period=period, method=method, cell_m=float(cell_m),
                                test_periods=int(test_periods), coverage_pct=float(coverage_pct),
                                progress=scaled(progress, 0.02, 1.0))
    return ForecastRun(result, filters)


# ---------------------------------------------------------------------------------- streets
def _street_layer(streets, crs):
    if streets is None or len(streets) == 0:
        return None
    from analysis.hotspots.streets import street_layer_from_frame

    return street_layer_from_frame(streets, crs, source="project")


@dataclass(frozen=True)
class NoStreets:
    """Streets could not be ranked: the incidents have no location text and there is no street
    layer to snap them to (e.g. timed force data with coordinates only)."""

    reason: str
    n_incidents: int
    streets: tuple = ()


@task
def run_streets(incidents, filters: Filters, streets=None, crs: Optional[str] = None,
                progress: Optional[ProgressFn] = None):
    """A StreetRanking, or :class:`NoStreets` when there is nothing to match streets by."""
    from analysis.hotspots.street_ranking import rank_streets
    from analysis.hotspots.streets import NoStreetNames

    report(progress, 0.0, "Applying the filters")
    pts = apply_filters(incidents, filters)
    try:
        return rank_streets(pts, streets=_street_layer(streets, crs or str(incidents.crs)),
                            progress=scaled(progress, 0.05, 1.0))
    except NoStreetNames as exc:
        return NoStreets(str(exc), len(pts))


@dataclass(frozen=True)
class StreetRun:
    profile: Any
    name: str
    area: Optional[str]
    xy: np.ndarray  # the street's incidents, for the map highlight


@task
def run_street_profile(incidents, filters: Filters, name: str, area: Optional[str] = None,
                       streets=None, crs: Optional[str] = None,
                       progress: Optional[ProgressFn] = None) -> StreetRun:
    from analysis.hotspots.street_ranking import street_profile
    from analysis.hotspots.streets import assign_streets, filter_street

    report(progress, 0.0, "Applying the filters")
    pts = apply_filters(incidents, filters)
    layer = _street_layer(streets, crs or str(incidents.crs))
    assignment = assign_streets(pts, layer, progress=scaled(progress, 0.05, 0.6))
    profile = street_profile(pts, name, area=area or None, streets=layer, assignment=assignment,
                             progress=scaled(progress, 0.6, 0.95))
    on_street = filter_street(pts, name, area=area or None, streets=layer, assignment=assignment)
    xy = np.column_stack([on_street.geometry.x.to_numpy(), on_street.geometry.y.to_numpy()])
    report(progress, 1.0, "Street profile ready")
    return StreetRun(profile, name, area, xy)


# ---------------------------------------------------------------------------------- shifts
@dataclass(frozen=True)
class ShiftRun:
    """A shift recommendation, the demand it was made for, and what made it."""

    recommendation: Any
    demand: Any
    params: Any
    current: Optional[str]
    filters: Filters


@task
def run_shifts(incidents, filters: Filters, params, current: Optional[str] = None,
               progress: Optional[ProgressFn] = None) -> ShiftRun:
    from analysis.staffing.demand import demand_from_incidents
    from analysis.staffing.timing import recommend_shifts

    demand = demand_from_incidents(incidents, filters=filters, progress=scaled(progress, 0.0, 0.2))
    rec = recommend_shifts(demand.per_hour, officers=params.officers, shift_hours=params.shift_hours,
                           max_starts=params.max_starts, min_on_duty=params.min_on_duty,
                           per_weekday=params.per_weekday, sergeants=params.sergeants,
                           time_limit_s=params.time_limit_s, current=current or None,
                           progress=scaled(progress, 0.2, 1.0))
    return ShiftRun(rec, demand, params, current or None, filters)


# ---------------------------------------------------------------------------------- patrols
@task
def import_pings(paths: Sequence[Union[str, Path]], mapping=None, crs: Optional[str] = None,
                 progress: Optional[ProgressFn] = None):
    """``read_pings`` into the project's CRS (the patrol import wizard's job)."""
    from analysis.ingest.tracks import read_pings

    return read_pings([Path(p) for p in paths], mapping, working_crs=crs, progress=progress)


def import_logs(paths: Sequence[Union[str, Path]], mapping=None, crs: Optional[str] = None, streets=None,
                progress: Optional[ProgressFn] = None):
    """``read_patrol_logs`` into the project's CRS, street names matched to the project's street
    layer (``streets``: a GeoDataFrame of named lines, or None) (the patrol logs wizard's job)."""
    from analysis.ingest.patrol_logs import read_patrol_logs

    lookup = None
    if streets is not None and len(streets):
        from analysis.hotspots.streets import street_layer_from_frame
        from analysis.patrols.logs import street_areas

        lookup = street_areas(street_layer_from_frame(streets, crs, source="the project's street layer"))
    return read_patrol_logs([Path(p) for p in paths], mapping, working_crs=crs, street_area=lookup,
                            streets_source="(File > Add street layer)", progress=progress)


@dataclass(frozen=True)
class PatrolRun:
    """A :class:`~analysis.patrols.report.PatrolReport` and what made it (the hotspot run's
    parameters and filters: the areas compared are the ones on the map)."""

    report: Any
    params: Any
    filters: Filters
    hotspot_params: Any
    pings: Any = None  # the pings compared (for the time slider)


@task
def run_patrols(incidents, filters: Filters, patrols, hotspots: HotspotRun, params, logs=None,
                progress: Optional[ProgressFn] = None) -> PatrolRun:
    """Observed patrol presence (pings and logs, narrowed to the filters' dates) against demand at
    the hotspot areas of ``hotspots``."""
    from analysis.filters import clip_logs, filter_pings
    from analysis.patrols.report import logs_from_layer, patrol_report, pings_from_layer

    report(progress, 0.0, "Reading the patrol pings")
    pings = pings_from_layer(patrols, str(incidents.crs), progress=scaled(progress, 0.0, 0.15))
    logs = logs_from_layer(logs, str(incidents.crs))
    if pings is None and logs is None:
        raise BeatwiseError("This project has no patrol data: File > Import patrol data (or patrol logs).")
    used = hotspots.filters if hotspots.filters is not None else filters
    pings, logs = filter_pings(pings, used), clip_logs(logs, used)
    if (pings is None or len(pings) < 2) and (logs is None or len(logs) == 0):
        raise BeatwiseError(f"No patrol pings or logs in the date range ({used.describe()}): widen the dates.")
    pts = apply_filters(incidents, used)
    rp = patrol_report(pts, pings, hotspots.areas, hotspots.surface, params, logs=logs,
                       progress=scaled(progress, 0.15, 1.0))
    return PatrolRun(rp, params, hotspots.filters, hotspots.params, pings)


# ---------------------------------------------------------------------------------- rota
@dataclass(frozen=True)
class RotaRun:
    """A rota (:class:`analysis.staffing.rota.RotaResult`), the demand it was made for (168 values)
    and its rule pack."""

    result: Any
    demand: Any
    rules: Any


@task
def run_rota(incidents, filters: Filters, team, templates: str, rules_name: str, weeks: int,
             cycle_weeks: int, start, time_limit_s: float,
             progress: Optional[ProgressFn] = None) -> RotaRun:
    """A rota for ``team`` (:class:`analysis.staffing.team.Officer` objects) against the demand
    of the filtered incidents (:func:`analysis.staffing.rota.make_rota`)."""
    from analysis.staffing.demand import demand_from_incidents
    from analysis.staffing.rota import make_rota
    from analysis.staffing.rules import load_rules
    from analysis.staffing.team import parse_templates

    rules = load_rules(rules_name)
    demand = demand_from_incidents(incidents, filters=filters, progress=scaled(progress, 0.0, 0.1))
    result = make_rota(demand.per_hour, tuple(team),
                       parse_templates(templates, rules["max_tour_length"]["max_h"]), rules,
                       start=start, weeks=weeks, cycle_weeks=cycle_weeks, time_limit_s=time_limit_s,
                       progress=scaled(progress, 0.1, 1.0))
    return RotaRun(result, demand.per_hour, rules)
