"""The briefing pack: ``briefing.pdf`` plus the map and GIS files, from one call.

:func:`write_briefing` runs the analyses (density, hotspot areas, Gi*, hour x weekday profile, a
street profile, shift timing when the shift module is present) on a project's incidents and
writes into a folder:

* ``briefing.pdf`` - A4 portrait pages: (1) summary: hotspot map with the top five numbered, their
  table, three headline sentences; (2) when: hour x weekday heatmap and peak times (the month
  series for month-only data); (3) the street profile; (4) shift timing; patrol presence when the
  project has patrol data; trends and repeats (:mod:`analysis.export.trends_page`); next week's forecast boxes
  (:mod:`analysis.export.forecast_page`); (5) method: every
  parameter, the data sources and date range, rejected rows and why, and the caveats. The
  protective marking (default ``OFFICIAL-SENSITIVE``) is printed at the top and the bottom of
  every page and is the first and last text of each page.
* ``map.png`` - 300 dpi A4 landscape map (:mod:`analysis.export.mapfig`).
* ``map.html`` - offline interactive map (:mod:`analysis.export.html`).
* ``hotspots.gpkg`` (hotspots, Gi* cells and incidents with QGIS styles), ``density.tif``,
  ``hotspots.csv`` (:mod:`analysis.export.vector`, :mod:`analysis.export.raster`).

Everything is written into a hidden temporary folder first and moved into place at the end, so
a failure or a cancel (``Cancelled`` from the progress callback) leaves no partial pack.

Pages are matplotlib figures saved with ``PdfPages`` (DejaVu fonts embedded as subsets with a
Unicode map, so the text can be searched and extracted); no system fonts or other PDF library
are needed.
"""
from __future__ import annotations

import datetime as _dt
import io
import math
import os
import shutil
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.export.mapfig import (A4_IN, PRINT_DPI, MapData, add_colorbar, axes_aspect, choose_extent, draw_map,
                                    hotspot_gi_class, map_figure)
from analysis.export.patrol_page import add_patrol_page, patrol_briefing
from analysis.export.forecast_page import add_forecast_page, forecast_briefing
from analysis.export.trends_page import add_trends_page, trends_briefing
from analysis.filters import Filters, apply_filters
from analysis.hotspots.adaptive import DEFAULT_K
from analysis.hotspots.areas import DEFAULT_MAX_HOTSPOT_KM2, DEFAULT_MIN_INCIDENTS, DEFAULT_TOP_PERCENT
from analysis.hotspots.gistar import DEFAULT_GI_CELL_M, default_gi_distance_m
from analysis.progress import BeatwiseError, ProgressFn, report, scaled

DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
SYNTHETIC_BANNER = "SYNTHETIC DEMO DATA – NOT REAL CRIMES"
#: Width of a tile basemap's image for the briefing's maps (map.png is 3,500 px wide at 300 dpi).
BASEMAP_WIDTH_PX = 3000
#: Resolution of the rasters drawn on PDF pages (the density under a map): print quality.
PDF_RASTER_DPI = 200
FILES = ("briefing.pdf", "map.png", "map.html", "hotspots.gpkg", "density.tif", "hotspots.csv", "density.qml")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def normalise_marking(marking: Optional[str]) -> Optional[str]:
    """``None``, ``""`` and ``"none"`` (any case) mean no marking; other text is kept, stripped."""
    if marking is None:
        return None
    text = " ".join(str(marking).split())
    return None if text == "" or text.lower() == "none" else text


# ---------------------------------------------------------------------------------------------- options
@dataclass(frozen=True)
class BriefingOptions:
    """How to make a briefing pack (all optional; defaults follow the ``beatwise`` commands).

    Attributes
    ----------
    title : str or None
        Title of the pack; default the project's title setting or "Hotspot briefing".
    marking : str or None
        Protective marking on every page and map; default ``OFFICIAL-SENSITIVE``; None, "" or
        "none" for no marking.
    filters : Filters
        Incidents to use (crime types, dates, area, polygon).
    street, street_area : str or None
        Street to profile (and its area, e.g. "Southend-on-Sea"); default the project's ``street``
        setting, else the street with most incidents.
    cell_m, bandwidth_m, kernel, top_percent : density and hotspot parameters
        (``None`` cell = automatic, ``"auto"`` bandwidth = ArcGIS rule).
    gi_cell_m, gi_distance_m, fdr : Gi* counting cell, distance band (None = the bandwidth, at
        least two cells: :func:`gi_distance_m`) and Benjamini-Hochberg FDR.
    officers, shift_hours, current_rota : shift timing parameters (None = the project's
        ``current_rota`` setting and its officer count / shift length).
    online_basemap : bool
        Add OpenStreetMap tiles to map.html (loads tiles from the internet when opened).
    boundaries_path : path or None
        A boundaries layer for map context when the project has none.
    basemap_path : path or None
        An offline basemap (OSM ``.osm.pbf``, MBTiles, GeoPackage tiles, XYZ folder,
        :mod:`analysis.basemap`) drawn muted under every map; default the project's ``basemap``
        setting.
    streets_path : path or None
        A street layer (lines with names): drawn as the basemap, and incidents are snapped to it
        (within 30 m) for the street profile, instead of the project's street layer.
    study_area_path : path or None
        Boundary polygons of the study area (the top percent, the PAI's area and Gi* are over its
        cells); default the cells within reach of the incidents
        (:func:`analysis.hotspots.study_area.study_area_for`).
    kernel_bandwidth, adaptive_k : ``auto | adaptive | fixed`` and the adaptive kernel's k
        (:func:`analysis.hotspots.surface.density_surface`).
    keep_outliers : bool
        Grid the out-of-area incidents too (:mod:`analysis.hotspots.outliers`); they are always
        reported.
    max_hotspot_km2 : float or None
        Hotspot areas larger than this are split at their density peaks (None: not split).
    min_incidents : int
        Areas holding fewer incidents are not listed as hotspots.
    """

    title: Optional[str] = None
    marking: Optional[str] = DEFAULT_MARKING
    filters: Filters = field(default_factory=Filters)
    street: Optional[str] = None
    street_area: Optional[str] = None
    cell_m: Optional[float] = None
    bandwidth_m: object = "auto"
    kernel: str = "quartic"
    top_percent: float = DEFAULT_TOP_PERCENT
    gi_cell_m: float = DEFAULT_GI_CELL_M
    gi_distance_m: Optional[float] = None
    fdr: bool = True
    officers: Optional[int] = None
    shift_hours: Optional[float] = None
    current_rota: Optional[str] = None
    online_basemap: bool = False
    boundaries_path: Optional[str] = None
    basemap_path: Optional[str] = None
    streets_path: Optional[str] = None
    study_area_path: Optional[str] = None
    top_n: int = 5
    kernel_bandwidth: str = "auto"
    adaptive_k: int = DEFAULT_K
    keep_outliers: bool = False
    max_hotspot_km2: Optional[float] = DEFAULT_MAX_HOTSPOT_KM2
    min_incidents: int = DEFAULT_MIN_INCIDENTS


@dataclass(frozen=True)
class BriefingResult:
    """What :func:`write_briefing` wrote.

    Attributes
    ----------
    folder : Path
    files : tuple of Path (every file written, in :data:`FILES` order)
    pdf, png, html, gpkg, tif, csv : Path of each
    pages : int (PDF pages)
    preview_png : bytes (the PDF's first page as a PNG, for a preview; b"" when not asked for)
    summary : dict (JSON-ready: parameters, headline numbers, files)
    warnings : tuple of str
    """

    folder: Path
    files: tuple
    pdf: Path
    png: Path
    html: Path
    gpkg: Path
    tif: Path
    csv: Path
    pages: int
    preview_png: bytes = field(repr=False)
    summary: dict = field(repr=False)
    warnings: tuple = ()


# ---------------------------------------------------------------------------------------------- analyses
@dataclass(frozen=True)
class BriefingData:
    """Every analysis result a briefing is drawn from (computed once by :func:`compute_briefing`)."""

    title: str
    marking: Optional[str]
    synthetic: bool
    incidents: object = field(repr=False)
    report: object = field(repr=False)
    filters: Filters = field(default_factory=Filters)
    map: MapData = field(default=None, repr=False)
    temporal: object = field(default=None, repr=False)
    street: object = field(default=None, repr=False)
    street_note: str = ""
    shifts: object = field(default=None, repr=False)
    options: BriefingOptions = field(default_factory=BriefingOptions)
    date_range: str = ""
    source: str = ""
    produced: str = ""
    warnings: tuple = ()
    patrols: object = field(default=None, repr=False)  # PatrolReport when the project has patrol data
    trends: object = field(default=None, repr=False)   # TrendsBriefing (analysis.export.trends_page)
    forecast: object = field(default=None, repr=False)  # ForecastBriefing (analysis.export.forecast_page)
    out_of_area: object = field(default=None, repr=False)
    bandwidth_mode: object = field(default=None, repr=False)
    gi_band_rule: str = ""


def date_range_text(incidents) -> str:
    """``"6 Jan 2025 to 4 Jan 2026"`` (months only: ``"January 2024 to April 2024"``)."""
    if len(incidents) == 0 or "t_start" not in incidents.columns:
        return "no dates"
    s = pd.to_datetime(incidents["t_start"]).dropna()
    if s.empty:
        return "no dates"
    prec = incidents["time_precision"].astype(str) if "time_precision" in incidents.columns else None
    if prec is not None and (prec == "month").all():
        a, b = s.min(), s.max()
        return a.strftime("%B %Y") if (a.year, a.month) == (b.year, b.month) else \
            f"{a.strftime('%B %Y')} to {b.strftime('%B %Y')}"
    a, b = s.min(), s.max()
    fmt = "%-d %b %Y"
    return a.strftime(fmt) if a.date() == b.date() else f"{a.strftime(fmt)} to {b.strftime(fmt)}"


def _source_text(project, synthetic: bool) -> str:
    rep = project.report
    files = [Path(f).name for f in (rep.files if rep is not None else ())]
    text = ", ".join(files[:4]) + (f" and {len(files) - 4} more" if len(files) > 4 else "")
    if synthetic:
        return f"SYNTHETIC demo data generated by Beatwise ({text or 'demo'})"
    return text or "imported data"


def _read_boundaries(path, crs):
    from analysis.ingest.layers import read_layer

    return read_layer(path, crs, what="boundaries layer")


def gi_distance_m(options: BriefingOptions, bandwidth_m: float) -> float:
    """The Gi* distance band: the one given, else ``bandwidth_m`` (the briefing passes the band from
    the data, :func:`analysis.hotspots.gistar.data_gi_distance_m`) but at least two Gi* cells.

    A band shorter than one cell leaves every cell its own only neighbour (Gi* then just restates
    the counts); two cells gives each interior cell 13 neighbours, itself included.
    """
    if options.gi_distance_m is not None:
        return float(options.gi_distance_m)
    return default_gi_distance_m(bandwidth_m, options.gi_cell_m)


def compute_briefing(project, options: BriefingOptions = BriefingOptions(), *,
                     progress: Optional[ProgressFn] = None) -> BriefingData:
    """Run every analysis of the briefing on ``project`` (a :class:`~analysis.project.Project`).

    Raises
    ------
    BeatwiseError
        No incidents after the filters, an unknown street, bad parameters.
    """
    from analysis.hotspots.analysis import HotspotOptions, hotspot_analysis
    from analysis.hotspots.street_ranking import rank_streets, street_profile
    from analysis.hotspots.streets import NoStreetNames
    from analysis.hotspots.streets import assign_streets, read_street_layer, street_layer_from_frame
    from analysis.temporal.matrix import hour_weekday_matrix

    settings = dict(project.settings or {})
    synthetic = bool(settings.get("synthetic", False))
    incidents = apply_filters(project.incidents, options.filters)
    if len(incidents) == 0:
        what = options.filters.describe() if not options.filters.is_empty() else "none imported"
        raise BeatwiseError(f"No incidents to brief on ({what}). Widen the filters or import data.")
    title = options.title or settings.get("title") or "Hotspot briefing"
    if synthetic and "SYNTHETIC" not in title.upper():
        title = f"SYNTHETIC: {title}"
    warnings: list[str] = []

    report(progress, 0.0, "Density surface")
    run = hotspot_analysis(incidents, HotspotOptions(
        kernel=options.kernel, bandwidth_m=options.bandwidth_m, kernel_bandwidth=options.kernel_bandwidth,
        cell_m=options.cell_m, adaptive_k=options.adaptive_k, top_percent=options.top_percent,
        max_hotspot_km2=options.max_hotspot_km2, min_incidents=options.min_incidents, gi_star=True,
        gi_cell_m=options.gi_cell_m, gi_distance_m=options.gi_distance_m, fdr=options.fdr,
        study_area_path=options.study_area_path, keep_outliers=options.keep_outliers),
        progress=scaled(progress, 0.0, 0.55))
    incidents, surface, areas, gi, xy = run.incidents, run.surface, run.areas, run.gi, run.xy
    crs = run.crs
    if run.outliers.n:
        warnings.append(run.outliers.sentence())
    warnings.extend(run.warnings)
    report(progress, 0.55, "When: hour x weekday")
    temporal = hour_weekday_matrix(incidents)

    report(progress, 0.65, "Street profile")
    layer = None
    street_lines = project.streets
    if options.streets_path:
        layer = read_street_layer(options.streets_path, crs)
        street_lines = layer.segments
    elif project.streets is not None and len(project.streets):
        layer = street_layer_from_frame(project.streets, crs, source="project street layer")
    street = options.street or settings.get("street")
    try:
        assignment = assign_streets(incidents, layer)
    except NoStreetNames as exc:
        if options.street:  # asked for by name: say why it cannot be profiled
            raise
        # force data without location text and no street layer: brief without the street page
        assignment, street = None, None
        warnings.append(f"no street page: {exc}")
    area = options.street_area if options.street_area is not None else (
        options.filters.area or (settings.get("area") if street and street == settings.get("street") else None))
    note = ""
    if not street and assignment is not None:
        ranking = rank_streets(incidents, streets=layer, top=1, assignment=assignment)
        if ranking.streets:
            street, area = ranking.streets[0].name, ranking.streets[0].area or None
            note = "the street with most incidents (no street was chosen)"
    profile = None
    if street:
        profile = street_profile(incidents, street, area=area, streets=layer, assignment=assignment)

    boundaries = project.boundaries
    if options.boundaries_path:
        boundaries = _read_boundaries(options.boundaries_path, crs)
    basemap = None
    basemap_path = options.basemap_path or settings.get("basemap")
    if basemap_path:
        from analysis.basemap import load_basemap

        report(progress, 0.72, "Basemap")
        g = surface.grid
        pad = 0.05 * max(g.x1 - g.x0, g.y1 - g.y0)
        basemap = load_basemap(basemap_path, crs, (g.x0 - pad, g.y0 - pad, g.x1 + pad, g.y1 + pad),
                               width_px=BASEMAP_WIDTH_PX)
    report(progress, 0.75, "Shift timing")
    shifts = _shift_analysis(incidents, temporal, options, settings, progress=scaled(progress, 0.75, 0.98))
    rep = project.report
    warnings.extend(surface.warnings)
    warnings.extend(areas.warnings)
    if gi is not None:
        warnings.extend(gi.warnings)
    report(progress, 0.98, "Patrol presence against demand")
    patrols, patrol_note = patrol_briefing(project, incidents, areas, surface, filters=options.filters)
    if patrol_note:
        warnings.append(patrol_note)
    report(progress, 0.99, "Trends and repeats")
    trends = trends_briefing(incidents, filters=options.filters, areas=areas, study_area_path=options.study_area_path,
                             progress=scaled(progress, 0.99, 0.995))
    report(progress, 0.995, "Next week's boxes")
    forecast = forecast_briefing(incidents, study_area_path=options.study_area_path,
                                 keep_outliers=options.keep_outliers, progress=scaled(progress, 0.995, 1.0))
    report(progress, 1.0, "Analyses done")
    return BriefingData(
        patrols=patrols, trends=trends, forecast=forecast,
        title=title, marking=normalise_marking(options.marking), synthetic=synthetic, incidents=incidents,
        report=rep, filters=options.filters,
        map=MapData(incidents=incidents, surface=surface, hotspots=areas, gi=gi, streets=street_lines,
                    boundaries=boundaries, basemap=basemap),
        temporal=temporal, street=profile, street_note=note, shifts=shifts, options=options,
        date_range=date_range_text(incidents), source=_source_text(project, synthetic),
        produced=_dt.datetime.now().strftime("%-d %b %Y %H:%M"), warnings=tuple(dict.fromkeys(warnings)),
        out_of_area=run.outliers, bandwidth_mode=run.mode, gi_band_rule=run.distance_rule)


@dataclass(frozen=True)
class ShiftBriefing:
    """Shift timing for the briefing: the recommendation, or why there is none.

    Attributes
    ----------
    recommendation : analysis.staffing.timing.ShiftRecommendation or None
    demand : analysis.staffing.demand.Demand or None
    note : str
        Why there is no recommendation ("" when there is one).
    officers, shift_hours : the parameters used (None when unknown).
    current_spec : str or None
        The current rota compared against.
    """

    recommendation: object = field(default=None, repr=False)
    demand: object = field(default=None, repr=False)
    note: str = ""
    officers: Optional[int] = None
    shift_hours: Optional[int] = None
    current_spec: Optional[str] = None

    @property
    def headline(self) -> str:
        """The first sentence of the plan's summary (pattern and coverage against the current rota)."""
        if self.recommendation is None:
            return ""
        text = self.recommendation.summary
        cut = text.find(". ")
        return text if cut < 0 else text[: cut + 1]

    @property
    def method_lines(self) -> list[str]:
        if self.recommendation is None:
            return [f"No shift plan: {self.note}"]
        r = self.recommendation
        best, prm, dem = r.best, r.parameters, self.demand
        lines = [f"{r.objective}",
                 f"Demand: {dem.n:,} incidents with a time of day ({dem.weighting}) over {dem.weeks:.1f} weeks "
                 f"({dem.first_day} to {dem.last_day}), as incidents per week in each of the 168 hours of the week.",
                 f"Plan: {prm.officers} officers a day on {best.shift_hours}-hour shifts, at most {prm.max_starts} "
                 f"start times a day, starts on the hour, "
                 f"{'each weekday planned separately' if prm.per_weekday else 'the same pattern every day'}; "
                 f"solved as a mixed-integer programme with the HiGHS solver: {best.status} in "
                 f"{best.solve_seconds:.1f} s."]
        if r.current is not None:
            lines.append(f"Current rota: {self.current_spec} ({r.current.label}), scored with the same formula.")
        return lines

    def summary(self) -> dict:
        if self.recommendation is None:
            return {"note": self.note}
        r = self.recommendation
        return {"summary": r.summary, "status": r.best.status, "shift_hours": r.best.shift_hours,
                "officers": r.parameters.officers, "shifts": [x.to_dict() for x in r.best.shifts],
                "coverage": r.best.coverage,
                "current": None if r.current is None else {"label": r.current.label, "coverage": r.current.coverage}}


def _shift_defaults(options: BriefingOptions, settings: dict):
    """(officers, shift_hours, current spec) from the options, else the project's current rota."""
    from analysis.staffing.rota_score import parse_rota

    spec = options.current_rota or settings.get("current_rota") or None
    current = parse_rota(spec) if spec else ()
    officers = options.officers
    if officers is None and current:
        officers = sum(x.officers for x in current)
    hours = options.shift_hours
    if hours is None:  # the current rota's shift length when it has one, in whole hours; else 8 hours
        lengths = {x.length_minutes for x in current}
        hours = min(lengths) // 60 if len(lengths) == 1 and min(lengths) % 60 == 0 else 8
    if float(hours) != int(hours):
        raise BeatwiseError(f"The shift length must be whole hours for planning, got {hours:g}.")
    return officers, int(hours), spec


def _shift_analysis(incidents, temporal, options: BriefingOptions, settings: dict,
                    progress: Optional[ProgressFn] = None) -> ShiftBriefing:
    """Recommend shift times against the current rota (:mod:`analysis.staffing.timing`), or say why not."""
    from analysis.staffing.demand import TIMES_NEEDED, demand_from_incidents
    from analysis.staffing.timing import DEFAULT_TIME_LIMIT_S, recommend_shifts

    officers, hours, spec = _shift_defaults(options, settings)
    if temporal.matrix is None:
        return ShiftBriefing(note=TIMES_NEEDED, officers=officers, shift_hours=hours, current_spec=spec)
    if officers is None:
        return ShiftBriefing(note="give the number of officers on duty a day (--officers N) or the current rota "
                                  "(--current, e.g. 07:00-17:00x4,14:00-00:00x3) to plan shifts.",
                             shift_hours=hours)
    dated = options.filters.date_from is not None or options.filters.date_to is not None
    # with --from/--to the weeks of demand are the filter's days (as in beatwise shifts)
    demand = demand_from_incidents(incidents, filters=options.filters if dated else None)
    try:
        rec = recommend_shifts(demand.per_hour, officers=officers, shift_hours=(hours,), current=spec,
                               time_limit_s=DEFAULT_TIME_LIMIT_S, progress=progress)
    except BeatwiseError as exc:
        return ShiftBriefing(demand=demand, note=str(exc), officers=officers, shift_hours=hours, current_spec=spec)
    return ShiftBriefing(recommendation=rec, demand=demand, officers=officers, shift_hours=hours, current_spec=spec)


# ---------------------------------------------------------------------------------------------- page layout
_LINE = 1.38  # line height in units of the font size
_CHAR_EM = 0.53  # mean character width of DejaVu Sans in ems (for wrapping)


class _Doc:
    """A4 portrait pages with a flowing cursor; marking and page numbers added on save."""

    L, R, TOP, BOTTOM = 0.075, 0.925, 0.945, 0.075

    def __init__(self, data: BriefingData):
        self.data = data
        self.pages: list[Figure] = []
        self.fig: Optional[Figure] = None
        self.y = self.TOP
        self.section = ""

    # geometry -----------------------------------------------------------------
    @property
    def width_in(self) -> float:
        return (self.R - self.L) * A4_IN[0]

    def dy(self, points: float) -> float:
        return points / 72.0 / A4_IN[1]

    def new_page(self, section: str, heading: Optional[str] = None) -> None:
        fig = Figure(figsize=A4_IN, dpi=100)
        FigureCanvasAgg(fig)
        self.pages.append(fig)
        self.fig = fig
        self.y = self.TOP
        self.section = section
        if heading is not None:
            self.heading(heading, size=15)

    def ensure(self, height: float) -> None:
        if self.y - height < self.BOTTOM:
            self.new_page(self.section, f"{self.section} (continued)")

    # content --------------------------------------------------------------------
    def heading(self, text: str, size: float = 12, space_before: float = 4) -> None:
        self.ensure(self.dy(size * _LINE + space_before + 30))
        self.y -= self.dy(space_before)
        self.fig.text(self.L, self.y, text, fontsize=size, fontweight="bold", va="top")
        self.y -= self.dy(size * _LINE + 2)

    def wrap(self, text: str, size: float, indent: float = 0.0, bold: bool = False) -> list[str]:
        em = _CHAR_EM * (1.12 if bold else 1.0)
        chars = max(20, int((self.width_in - indent) * 72 / (size * em)))
        return textwrap.wrap(text, chars) or [""]

    def para(self, text: str, size: float = 9, color="0.1", bold: bool = False, indent: float = 0.0,
             space_after: float = 4) -> None:
        for line in self.wrap(text, size, indent, bold):
            self.ensure(self.dy(size * _LINE))
            self.fig.text(self.L + indent / A4_IN[0], self.y, line, fontsize=size, va="top", color=color,
                          fontweight="bold" if bold else "normal")
            self.y -= self.dy(size * _LINE)
        self.y -= self.dy(space_after)

    def bullets(self, items: Sequence[str], size: float = 9, space_after: float = 4) -> None:
        indent = 0.22
        for item in items:
            lines = self.wrap(item, size, indent)
            self.ensure(self.dy(size * _LINE * min(len(lines), 3)))
            self.fig.text(self.L + 0.06 / A4_IN[0], self.y, "•", fontsize=size, va="top")
            for line in lines:
                self.ensure(self.dy(size * _LINE))
                self.fig.text(self.L + indent / A4_IN[0], self.y, line, fontsize=size, va="top", color="0.1")
                self.y -= self.dy(size * _LINE)
            self.y -= self.dy(1.5)
        self.y -= self.dy(space_after)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
              align: Sequence[str] = (), size: float = 8.5, space_after: float = 6) -> None:
        """A ruled table; ``widths`` are fractions of the text width; long cells wrap."""
        align = list(align) or ["left"] * len(header)
        xs = [self.L]
        for w in widths[:-1]:
            xs.append(xs[-1] + w * (self.R - self.L))

        def line(y, lw=0.6):
            self.fig.add_artist(_hline(self.L, self.R, y, lw))

        def cells(values, bold=False):
            wrapped = []
            for v, w in zip(values, widths):
                chars = max(4, int(w * self.width_in * 72 / (size * _CHAR_EM)) - 1)
                wrapped.append(textwrap.wrap(str(v), chars) or [""])
            n = max(len(c) for c in wrapped)
            h = self.dy(size * _LINE * n + 3)
            self.ensure(h + self.dy(2))
            for x, w, a, c in zip(xs, widths, align, wrapped):
                tx = x + (w * (self.R - self.L) - 0.014 if a == "right" else 0.004)
                self.fig.text(tx, self.y - self.dy(2), "\n".join(c), fontsize=size, va="top",
                              ha="right" if a == "right" else "left", fontweight="bold" if bold else "normal",
                              linespacing=_LINE * 0.9)
            self.y -= h

        self.ensure(self.dy(size * _LINE * 3))
        line(self.y, 0.9)
        cells(header, bold=True)
        line(self.y, 0.6)
        for r in rows:
            cells(r)
        line(self.y, 0.9)
        self.y -= self.dy(space_after)

    def axes(self, height: float, *, left: Optional[float] = None, right: Optional[float] = None,
             space_after: float = 6, top_pad: float = 0.0, bottom_pad: float = 0.0):
        """An axes in the next ``height`` of the page; ``top_pad``/``bottom_pad`` (points) are kept
        free inside that height for a title and tick labels."""
        self.ensure(height)
        left = self.L if left is None else left
        right = self.R if right is None else right
        top, bottom = self.dy(top_pad), self.dy(bottom_pad)
        ax = self.fig.add_axes((left, self.y - height + bottom, right - left, height - top - bottom))
        self.y -= height + self.dy(space_after)
        return ax

    def below(self, *artists, gap: float = 8) -> None:
        """Move the cursor under the drawn extent (tick labels, titles, legends) of ``artists``."""
        renderer = self.fig.canvas.get_renderer()
        inv = self.fig.transFigure.inverted()
        low = min(a.get_tightbbox(renderer).transformed(inv).y0 for a in artists)
        self.y = min(self.y, low - self.dy(gap))

    def image(self, fig: Figure, *, dpi: int = 150, max_height: float = 0.4, space_after: float = 6) -> None:
        """Embed another figure as an image, full text width (keeping its aspect)."""
        fig.set_dpi(dpi)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        h_px, w_px = rgba.shape[:2]
        height = min(max_height, (self.R - self.L) * A4_IN[0] * h_px / w_px / A4_IN[1])
        ax = self.axes(height, space_after=space_after)
        ax.imshow(rgba, interpolation="none")  # embedded at its own resolution, not resampled
        ax.set_axis_off()

    def space(self, points: float) -> None:
        self.y -= self.dy(points)

    # finishing ------------------------------------------------------------------
    def finish(self) -> list[Figure]:
        n = len(self.pages)
        d = self.data
        for i, fig in enumerate(self.pages, start=1):
            if d.marking:
                fig.text(0.5, 0.982, d.marking, ha="center", va="center", fontsize=11, fontweight="bold")
                fig.text(0.5, 0.016, d.marking, ha="center", va="center", fontsize=11, fontweight="bold")
            left = d.title if not d.synthetic else f"{SYNTHETIC_BANNER} · {d.title}"
            fig.text(self.L, 0.042, _ellipsis(left, 95), fontsize=7, color="0.3", va="center",
                     fontweight="bold" if d.synthetic else "normal")
            fig.text(self.R, 0.042, f"Page {i} of {n}", fontsize=7, color="0.3", va="center", ha="right")
            fig.add_artist(_hline(self.L, self.R, 0.052, 0.4, color="0.5"))
        return self.pages


def _hline(x0, x1, y, lw, color="0.2"):
    from matplotlib.lines import Line2D

    return Line2D([x0, x1], [y, y], lw=lw, color=color)


def _ellipsis(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.095 else f"{100 * x:.1f}%"


def _street(loc: str) -> str:
    from analysis.hotspots.streets import street_name

    return street_name(loc) or loc


# ---------------------------------------------------------------------------------------------- peaks
@dataclass(frozen=True)
class PeakTimes:
    """Peak times of an hour x weekday matrix (all counts in the matrix's weights)."""

    top_cells: tuple  # ((weekday, hour, value), ...) busiest hours of the week, largest first
    busiest_weekday: int
    weekday_share: float
    busiest_hour: int
    hour_share: float
    span_start: int  # busiest ``span_hours`` of the day (wrapping past midnight)
    span_hours: int
    span_share: float
    total: float


def peak_times(matrix, span_hours: int = 8, top: int = 5) -> PeakTimes:
    """Busiest hours of the week, weekday, hour of day and ``span_hours``-hour span of the day.

    The span is the start hour ``s`` maximising the sum of the hour-of-day totals over
    ``s .. s + span_hours - 1`` (mod 24); ties go to the earliest start.
    """
    m = np.asarray(matrix, dtype=float)
    total = float(m.sum())
    flat = np.argsort(-m, axis=None, kind="stable")[:top]
    cells = tuple((int(i // 24), int(i % 24), float(m.flat[i])) for i in flat)
    by_day = m.sum(axis=1)
    by_hour = m.sum(axis=0)
    sums = np.array([by_hour[(s + np.arange(span_hours)) % 24].sum() for s in range(24)])
    s = int(np.argmax(sums))
    safe = total if total > 0 else 1.0
    return PeakTimes(top_cells=cells, busiest_weekday=int(np.argmax(by_day)), weekday_share=float(by_day.max() / safe),
                     busiest_hour=int(np.argmax(by_hour)), hour_share=float(by_hour.max() / safe),
                     span_start=s, span_hours=span_hours, span_share=float(sums[s] / safe), total=total)


def _hours(start: int, n: int = 1) -> str:
    return f"{start % 24:02d}:00–{(start + n) % 24:02d}:00"


def _day_hour(day: int, hour: int, plural: bool = False) -> str:
    """``Saturdays 00:00–01:00 (Friday night)``: small hours are named after the night they end."""
    text = f"{WEEKDAYS[day]}{'s' if plural else ''} {_hours(hour)}"
    return text + (f" ({WEEKDAYS[day - 1]} night)" if hour < 5 else "")


# ---------------------------------------------------------------------------------------------- pages
def _headlines(d: BriefingData) -> list[str]:
    out = []
    areas = d.map.hotspots
    top = areas.hotspots[: d.options.top_n]
    if top:
        n_in = sum(h.incidents for h in top)
        a = sum(h.area_km2 for h in top)
        lead = top[0]
        names = [_street(x) for x in lead.locations[:2]]
        where = " and ".join(names) if names else "hotspot 1"
        n_all = f"{areas.n_incidents:,} incident{'s' if areas.n_incidents != 1 else ''}"
        cover = f"covering {a:.2f} km² ({_pct(a / areas.study_area_km2)} of the area with incidents)"
        if len(top) == 1:
            out.append(f"One hotspot, around {where}, {cover} holds {_pct(n_in / areas.n_incidents)} of the {n_all}.")
        else:
            out.append(f"{len(top)} hotspots {cover} hold {_pct(n_in / areas.n_incidents)} of the {n_all}; the "
                       f"busiest, around {where}, alone holds {_pct(lead.share)}.")
    t = d.temporal
    if t is not None and t.matrix is not None:
        p = peak_times(t.matrix)
        day, hour, _ = p.top_cells[0]
        out.append(f"Incidents peak on {_day_hour(day, hour, plural=True)}; the busiest {p.span_hours} hours of the "
                   f"day, {_hours(p.span_start, p.span_hours)}, hold {_pct(p.span_share)} of the incidents with "
                   f"a time, and {WEEKDAYS[p.busiest_weekday]} is the busiest day.")
    elif t is not None and t.by_month:
        month, value = max(t.by_month.items(), key=lambda kv: (kv[1], kv[0]))
        out.append(f"Only the month of each incident is known, so no time of day can be given; the busiest "
                   f"month was {pd.Period(month).strftime('%B %Y')} with {value:,.0f} incidents.")
    if d.shifts is not None and d.shifts.headline:
        out.append(d.shifts.headline)
    elif d.street is not None:
        s = d.street
        kinds = list(s.by_crime_type.items())
        what = f"; most were {kinds[0][0]} ({kinds[0][1]:,.0f})" if kinds else ""
        area = s.area or "the whole area"
        out.append(f"{s.name} had {s.incidents:,} incidents, {_pct(s.share_of_area)} of those in {area}{what}.")
    return out


def _page_summary(doc: _Doc) -> None:
    d = doc.data
    doc.new_page("Summary")
    doc.fig.text(doc.L, doc.y, _ellipsis(d.title, 70), fontsize=17, fontweight="bold", va="top")
    doc.y -= doc.dy(17 * _LINE + 2)
    filt = d.filters.describe()
    doc.para(f"{len(d.incidents):,} incidents · {d.date_range} · {filt} · produced {d.produced}", size=9,
             color="0.25", space_after=3)
    if d.synthetic:
        doc.fig.text(doc.L, doc.y - doc.dy(2), f"{SYNTHETIC_BANNER}: made-up data showing how Beatwise works.",
                     fontsize=9, fontweight="bold", va="top",
                     bbox=dict(boxstyle="square,pad=0.35", fc="white", ec="black", lw=1.2))
        doc.y -= doc.dy(9 * _LINE + 10)
    shown = min(d.options.top_n, len(d.map.hotspots.hotspots))
    where = {0: "Where: incident density", 1: "Where: the hotspot"}.get(shown, f"Where: the top {shown} hotspots")
    doc.heading(where, size=12, space_before=2)
    ax = doc.axes(0.40, space_after=0)
    extent = choose_extent(d.map, axes_aspect(ax), top_n=d.options.top_n)
    drawn = draw_map(ax, d.map, extent, top_n=d.options.top_n, synthetic=d.synthetic, font_scale=0.85)
    # colour bar and legend in one row under the map and its tick labels
    doc.below(ax, gap=6)
    cax = doc.fig.add_axes((doc.L + 0.005, doc.y - 0.010, 0.30, 0.009))
    add_colorbar(doc.fig, cax, drawn, d.map.surface.density_units, font_scale=0.9)
    leg = doc.fig.legend(handles=list(drawn.handles), loc="upper left", bbox_to_anchor=(doc.L + 0.37, doc.y + 0.002),
                         frameon=False, fontsize=6.5, ncol=1, handlelength=2.0, borderaxespad=0, labelspacing=0.35)
    doc.below(cax, leg, gap=10)
    areas = d.map.hotspots
    rows = []
    for h in areas.hotspots[: d.options.top_n]:
        gi_text = _gi_text(hotspot_gi_class(d.map, h.rank))
        streets = ", ".join(_street(x) for x in h.locations[:3]) or "-"
        rows.append([str(h.rank), f"{h.incidents:,}", _pct(h.share), f"{h.pai:.1f}", f"{h.area_km2:.3f}", gi_text,
                     streets])
    if rows:
        doc.table(["#", "Incidents", "Share", "PAI", "km²", "Gi*", "Main streets (by incidents)"], rows,
                  widths=[0.05, 0.11, 0.08, 0.07, 0.08, 0.09, 0.52],
                  align=["left", "right", "right", "right", "right", "left", "left"], size=8.5, space_after=2)
        doc.para("Share: of all incidents. PAI (Prediction Accuracy Index) = share of incidents / share of the "
                 "area with incidents. Gi*: the Getis-Ord Gi* class of the cell at the hotspot's peak "
                 "(FDR-corrected confidence).", size=7, color="0.3", space_after=6)
    else:
        doc.para("No hotspot areas were found.", size=9)
    doc.heading("Headlines", size=12, space_before=2)
    doc.bullets(_headlines(d), size=9.5)


def _gi_text(cls: Optional[int]) -> str:
    """``hot 99%`` / ``cold 95%`` / ``n.s.`` (not significant) / ``-`` (no Gi*)."""
    if cls is None:
        return "-"
    if cls == 0:
        return "n.s."
    level = {3: "99", 2: "95", 1: "90"}[abs(cls)]
    return f"{'hot' if cls > 0 else 'cold'} {level}%"


def _month_axes(ax, by_month: dict, title: str) -> None:
    keys = list(by_month)
    vals = np.array([by_month[k] for k in keys], dtype=float)
    x = np.arange(len(keys))
    ax.bar(x, vals, color="0.35", width=0.8)
    step = max(1, int(math.ceil(len(keys) / 14)))
    ax.set_xticks(x[::step], [pd.Period(k).strftime("%b %y") for k in keys[::step]], fontsize=6.5,
                  rotation=0 if len(x[::step]) <= 8 else 45, ha="center" if len(x[::step]) <= 8 else "right")
    ax.tick_params(axis="y", labelsize=6.5)
    ax.set_ylabel("incidents", fontsize=7)
    ax.set_title(title, fontsize=8.5, loc="left")
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    ax.grid(axis="y", color="0.9", lw=0.5)
    ax.set_axisbelow(True)


def _crime_table(doc: _Doc, by_type: dict, total: float, top: int = 8) -> None:
    items = list(by_type.items())
    rows = [[k, f"{v:,.0f}", _pct(v / total) if total else "-"] for k, v in items[:top]]
    if len(items) > top:
        rest = sum(v for _, v in items[top:])
        rows.append([f"{len(items) - top} other types", f"{rest:,.0f}", _pct(rest / total) if total else "-"])
    doc.table(["Crime type", "Incidents", "Share"], rows, widths=[0.6, 0.2, 0.2], align=["left", "right", "right"],
              size=8.5)


def _peak_bullets(p: PeakTimes) -> list[str]:
    cells = "; ".join(f"{_day_hour(d, h)}: {v:,.0f}" for d, h, v in p.top_cells)
    return [f"Busiest hours of the week: {cells}.",
            f"Busiest day: {WEEKDAYS[p.busiest_weekday]} ({_pct(p.weekday_share)} of incidents with a time).",
            f"Busiest hour of the day: {_hours(p.busiest_hour)} ({_pct(p.hour_share)}).",
            f"Busiest {p.span_hours} hours of the day: {_hours(p.span_start, p.span_hours)} "
            f"({_pct(p.span_share)}; an even spread would give {_pct(p.span_hours / 24)})."]


def _page_when(doc: _Doc) -> None:
    from analysis.export.figures import heatmap_figure

    d = doc.data
    t = d.temporal
    doc.new_page("When", "When: hour of day and day of week")
    if t.matrix is not None:
        fig = heatmap_figure(t.matrix, title="Incidents by hour and weekday",
                             subtitle=f"{t.n:,} incidents with a time ({t.weighting}) · {d.date_range}",
                             figsize=(10, 4.2))
        doc.image(fig, max_height=0.3)
        doc.para(t.message, size=8, color="0.3")
        doc.heading("Peak times", size=11)
        doc.bullets(_peak_bullets(peak_times(t.matrix)))
    else:
        doc.para(t.message, size=10, bold=True)
    if t.by_month:
        ax = doc.axes(0.19 if t.matrix is not None else 0.3, left=doc.L + 0.05, top_pad=16, bottom_pad=30)
        _month_axes(ax, t.by_month, "Incidents by month")
        doc.below(ax)
    if t.by_crime_type:
        doc.heading("What: crime types", size=11)
        _crime_table(doc, t.by_crime_type, float(sum(t.by_crime_type.values())))


def _page_street(doc: _Doc) -> None:
    from analysis.export.figures import heatmap_figure

    d = doc.data
    s = d.street
    if s is None:
        return
    where = f"{s.name}, {s.area}" if s.area else s.name
    doc.new_page("Street", f"Street profile: {where}")
    how = ("incidents matched by their location text (e.g. “On or near York Road”)" if s.method == "location"
           else f"incidents snapped to the street layer within {s.max_distance_m:g} m")
    facts = [f"{s.incidents:,} incidents, {_pct(s.share_of_area)} of the {s.area_incidents:,} in "
             f"{s.area or 'the data'}; {how}."]
    if d.street_note:
        facts.append(f"Chosen as {d.street_note}.")
    if s.length_m:
        facts.append(f"{s.length_m:,.0f} m of street: {s.per_100m:.1f} incidents per 100 m.")
    tp = s.temporal
    if tp.matrix is not None and tp.n:
        p = peak_times(tp.matrix)
        day, hour, _ = p.top_cells[0]
        facts.append(f"Peak: {_day_hour(day, hour, plural=True)}; busiest {p.span_hours} hours "
                     f"{_hours(p.span_start, p.span_hours)} ({_pct(p.span_share)} of its incidents with a time).")
    doc.bullets(facts)
    if tp.matrix is not None and tp.n:
        fig = heatmap_figure(tp.matrix, title=f"{s.name}: incidents by hour and weekday",
                             subtitle=f"{tp.n:,} incidents with a time ({tp.weighting})", figsize=(10, 4.2))
        doc.image(fig, max_height=0.28)
    else:
        doc.para(tp.message, size=9)
    if s.by_month:
        ax = doc.axes(0.17, left=doc.L + 0.05, top_pad=16, bottom_pad=30)
        _month_axes(ax, s.by_month, f"{s.name}: incidents by month")
        doc.below(ax)
    if s.by_crime_type:
        doc.heading("Crime types on this street", size=11)
        _crime_table(doc, s.by_crime_type, float(sum(s.by_crime_type.values())), top=7)


def _page_shifts(doc: _Doc) -> None:
    from analysis.staffing.week import WEEKDAY_ABBR

    d = doc.data
    sh = d.shifts
    doc.new_page("Shifts", "Shift timing: recommended against current")
    if sh.recommendation is None:
        doc.para(f"No shift plan in this briefing: {sh.note}", size=10)
        return
    r = sh.recommendation
    best = r.best
    doc.para(best.summary, size=9.5, space_after=6)
    every = "every day" if all(x.weekdays == tuple(range(7)) for x in best.shifts) else "by day"
    rows = [["Recommended", "; ".join(x.label() for x in best.shifts), _pct(best.coverage), best.status]]
    if r.current is not None:
        rows.append(["Current", "; ".join(x.label() for x in r.current.shifts) or r.current.label,
                     _pct(r.current.coverage), "as given"])
    doc.table(["Rota", f"Shifts (start-end x officers, {every})", "Coverage", "Status"], rows,
              widths=[0.16, 0.47, 0.14, 0.23], align=["left", "left", "right", "left"], size=8.5)
    if best.feasible:
        from analysis.export.shift_chart import shift_chart_figure

        doc.image(shift_chart_figure(best, r.current), max_height=0.3)
    if best.understaffed:
        doc.heading("Hours still short of officers (recommended plan)", size=11)
        u_rows = [[f"{WEEKDAY_ABBR[u.weekday]} {_hours(u.hour)}", f"{u.demand:.2f}", f"{u.on_duty:g}",
                   f"{u.needed:.1f}"] for u in best.understaffed[:6]]
        doc.table(["Hour", "Incidents per week", "On duty", "Needed for even load"], u_rows,
                  widths=[0.3, 0.25, 0.2, 0.25], align=["left", "right", "right", "right"], size=8.5)
    doc.para(f"Coverage: {r.objective}", size=7.5, color="0.3")


def _page_method(doc: _Doc) -> None:
    d = doc.data
    m = d.map
    surf, areas, gi = m.surface, m.hotspots, m.gi
    rep = d.report
    doc.new_page("Method", "Method, data and caveats")
    doc.heading("Data", size=11, space_before=0)
    data_lines = [f"Source: {d.source}.", f"Dates: {d.date_range}.", f"Filters: {d.filters.describe()}."]
    if rep is not None:
        data_lines.insert(1, f"Rows read {rep.rows_read:,}; accepted {rep.accepted:,}; rejected {len(rep.rejected):,}. "
                             f"Time precision: {rep.time_precision}. Working CRS: {rep.crs}.")
    data_lines.append(f"Incidents in this briefing: {len(d.incidents):,}.")
    doc.bullets(data_lines)
    if rep is not None and rep.rejected:
        doc.heading("Rows rejected and why", size=11)
        rows = []
        by_reason: dict[str, list] = {}
        for r in rep.rejected:
            by_reason.setdefault(r.reason, []).append(r)
        for reason, items in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
            ex = ", ".join(f"{Path(r.file).name} row {r.row}" for r in items[:3])
            rows.append([reason, f"{len(items):,}", ex + (" …" if len(items) > 3 else "")])
        doc.table(["Reason", "Rows", "Examples (line numbers, header = 1)"], rows, widths=[0.34, 0.1, 0.56],
                  align=["left", "right", "left"], size=8)
    doc.heading("Where: density and hotspots", size=11)
    g = surf.grid
    lines = [f"Kernel density (linear binning + FFT): {surf.kernel} kernel, "
             + (f"adaptive bandwidths {surf.bandwidth_classes[0]:.0f}-{surf.bandwidth_classes[-1]:.0f} m "
                if surf.adaptive else f"bandwidth {surf.bandwidth_m:.1f} m ")
             + f"({surf.bandwidth_rule}).",
             f"Grid: {g.nx:,} x {g.ny:,} cells of {g.cell_m:g} m in {g.crs}; density in "
             f"{surf.density_units.replace('km^2', 'km²')}; the surface integrates to {surf.integral:,.1f} of "
             f"{surf.total_weight:,.0f}.",
             f"Study area: {areas.study_area.description}, {areas.study_area.area_km2:.2f} km²; cells outside it "
             "are left out of every statistic that compares cells (not counted as zeros).",
             f"Hotspots: the top {areas.top_percent:g}% of the cells of the study area (density ≥ "
             f"{areas.threshold_density:,.0f} per km²), joined into areas (cells touching by an edge) and ranked by "
             f"{areas.ranked_by}; {len(areas.hotspots)} areas in all.",
             f"PAI = (n/N) / (a/A) (Chainey, Tompson & Uhlig 2008), A = {areas.study_area_km2:.2f} km², the study "
             "area.",
             "Map colours: square-root scale, cells under 2% of the peak left clear; north arrow = grid north."]
    if gi is not None:
        lines.append(f"Gi* (Ord & Getis 1995): incident counts in {gi.grid.cell_m:g} m cells, binary distance band "
                     f"{gi.distance_m:.0f} m ({gi.neighbours} cells), {gi.n_cells:,} cells of the study area tested, "
                     f"{'Benjamini-Hochberg FDR' if gi.fdr else 'raw p-values'}; hot cells at 99/95/90%: "
                     f"{gi.hot[0]}/{gi.hot[1]}/{gi.hot[2]}, cold: {gi.cold[0]}/{gi.cold[1]}/{gi.cold[2]}.")
    doc.bullets(lines)
    doc.heading("When and streets", size=11)
    t = d.temporal
    lines = [f"Hour x weekday: {t.message} Windows (from/to times) are spread over their hours "
             "(aoristic, Ratcliffe 2000); incidents with only a date or a month are not given a time."]
    if d.street is not None:
        s = d.street
        lines.append(f"Street: {s.name}" + (f" ({s.area})" if s.area else "") + ", "
                     + ("matched by location text and area" if s.method == "location"
                        else f"incidents snapped to the street layer within {s.max_distance_m:g} m") + ".")
    doc.bullets(lines)
    if d.shifts is not None:
        doc.heading("Shift timing", size=11)
        doc.bullets(d.shifts.method_lines)
    doc.heading("Caveats", size=11)
    caveats = []
    if d.synthetic:
        caveats.append("SYNTHETIC demo data: every incident in this pack is made up; nothing here describes real "
                       "crime in Southend-on-Sea or anywhere else.")
    if rep is not None and rep.time_precision == "month" and not any("month" in w.lower() for w in rep.warnings):
        caveats.append("Month-only data (data.police.uk): no day or time of day, so there is no hour x weekday "
                       "profile and shift timing cannot be based on it.")
    if rep is not None:
        caveats.extend(rep.warnings)
    caveats.extend(d.warnings)
    month_rows = "time_precision" in d.incidents.columns and (d.incidents["time_precision"] == "month").any()
    if month_rows and not any("snap" in c.lower() for c in caveats):
        caveats.append("data.police.uk locations are snapped to anonymous map points over street centres, so many "
                       "crimes can share a point; a hotspot on one point may be an artefact of that snapping.")
    caveats.append("Recorded incidents only: unreported crime and recording practice shape every figure.")
    doc.bullets(list(dict.fromkeys(caveats)))
    doc.para(f"Made with Beatwise 0.1.0 on {d.produced}. Files: {', '.join(FILES)}.", size=7.5, color="0.3")


def briefing_pages(data: BriefingData) -> list[Figure]:
    """The PDF pages (matplotlib figures, A4 portrait) of a briefing."""
    doc = _Doc(data)
    _page_summary(doc)
    _page_when(doc)
    _page_street(doc)
    if data.shifts is not None:
        _page_shifts(doc)
    if data.patrols is not None:
        add_patrol_page(doc, data.patrols)
    if data.trends is not None:
        add_trends_page(doc, data.trends)
    if data.forecast is not None:
        add_forecast_page(doc, data.forecast)
    _page_method(doc)
    return doc.finish()


def write_briefing_pdf(data: BriefingData, path, *, preview_dpi: Optional[int] = 72,
                       progress: Optional[ProgressFn] = None) -> tuple[int, bytes]:
    """Write ``briefing.pdf``; returns (pages, PNG bytes of page 1 at ``preview_dpi``, b"" if None)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    report(progress, 0.0, "Laying out the pages")
    pages = briefing_pages(data)
    path = Path(path)
    meta = {"Title": data.title, "Author": "Beatwise", "Subject": data.marking or "",
            "Creator": "Beatwise 0.1.0",
            "Keywords": " ".join(x for x in (data.marking or "", "SYNTHETIC" if data.synthetic else "") if x)}
    # TrueType (Type 42) fonts, not matplotlib's default Type 3, which print checks reject
    with rc_context({"pdf.compression": 6, "pdf.fonttype": 42}):
        with PdfPages(path, metadata=meta) as pdf:
            for i, fig in enumerate(pages):
                report(progress, 0.1 + 0.8 * i / len(pages), f"Writing page {i + 1} of {len(pages)}")
                pdf.savefig(fig, dpi=PDF_RASTER_DPI)  # map rasters resampled at print resolution
    preview = b""
    if preview_dpi:
        report(progress, 0.95, "Preview of page 1")
        buf = io.BytesIO()
        pages[0].savefig(buf, format="png", dpi=preview_dpi)
        preview = buf.getvalue()
    report(progress, 1.0, "PDF written")
    return len(pages), preview


# ---------------------------------------------------------------------------------------------- the pack
def _map_notes(d: BriefingData) -> list[str]:
    s = d.map.surface
    width = (f"adaptive bandwidths {s.bandwidth_classes[0]:.0f}-{s.bandwidth_classes[-1]:.0f} m" if s.adaptive
             else f"bandwidth {s.bandwidth_m:.0f} m")
    notes = [f"Density: {s.kernel} kernel, {width}, {s.grid.cell_m:g} m cells; "
             f"hotspots = top {d.map.hotspots.top_percent:g}% of density."]
    if d.filters is not None and not d.filters.is_empty():
        notes.append(f"Filters: {d.filters.describe()}.")
    return notes


def _incident_layer(incidents, areas):
    """Incidents for the GeoPackage: the data contract columns plus the hotspot each is in (0 = none)."""
    rows, cols = areas.grid.cell_index(incidents)
    rank = np.zeros(len(incidents), dtype=np.int64)
    ok = rows >= 0
    rank[ok] = areas.labels[rows[ok], cols[ok]]
    keep = [c for c in ("incident_id", "crime_type", "location", "area", "lsoa", "t_start", "t_end",
                        "time_precision", "weight", "source_file", "source_row") if c in incidents.columns]
    out = incidents[keep + [incidents.geometry.name]].copy()
    out["hotspot_rank"] = rank
    return out


def write_briefing(project, out_dir, *, options: BriefingOptions = BriefingOptions(),
                   preview_dpi: Optional[int] = 72, progress: Optional[ProgressFn] = None) -> BriefingResult:
    """Make the whole briefing pack for ``project`` in ``out_dir`` (see the module docstring).

    Parameters
    ----------
    project : analysis.project.Project
    out_dir : path-like
        Created if needed; files of the same names are replaced.
    options : BriefingOptions
    preview_dpi : int or None
        Resolution of ``BriefingResult.preview_png`` (the PDF's first page); None skips it.
    progress : ProgressFn, optional
        Called between steps; may raise ``Cancelled``, which leaves ``out_dir`` as it was.

    Returns
    -------
    BriefingResult
    """
    from analysis.export.html import write_html_map
    from analysis.export.raster import write_density_geotiff
    from analysis.export.vector import (StyledLayer, hotspot_layers, hotspots_table, qml_points, sld_points,
                                        write_geopackage)
    from analysis.csvfile import write_csv

    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise BeatwiseError(f"{folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    data = compute_briefing(project, options, progress=scaled(progress, 0.0, 0.3))
    tmp = Path(tempfile.mkdtemp(prefix=".briefing-", dir=str(folder)))
    try:
        report(progress, 0.3, "Writing the PDF")
        pages, preview = write_briefing_pdf(data, tmp / "briefing.pdf", preview_dpi=preview_dpi,
                                            progress=scaled(progress, 0.3, 0.55))
        report(progress, 0.55, "Drawing map.png (300 dpi)")
        subtitle = f"{len(data.incidents):,} incidents · {data.date_range} · {data.filters.describe()}"
        fig = map_figure(data.map, title=data.title, subtitle=subtitle, marking=data.marking,
                         synthetic=data.synthetic, date_range=data.date_range, source=data.source,
                         notes=_map_notes(data), top_n=options.top_n)
        # zlib level 1: a quarter less CPU than the default for a 20 % larger file (8.7 Mpx)
        fig.savefig(tmp / "map.png", dpi=PRINT_DPI, pil_kwargs={"compress_level": 1})
        report(progress, 0.75, "Writing map.html")
        write_html_map(tmp / "map.html", data.map, title=data.title, subtitle=subtitle, marking=data.marking,
                       synthetic=data.synthetic, date_range=data.date_range, source=data.source,
                       online_basemap=options.online_basemap, top_n=options.top_n,
                       progress=scaled(progress, 0.75, 0.85))
        report(progress, 0.85, "Writing GIS layers")
        areas = data.map.hotspots
        layers = hotspot_layers(areas, data.map.gi)
        layers.append(StyledLayer("incidents", _incident_layer(data.incidents, areas), qml_points(), sld_points(),
                                  "Incidents used in the briefing" + (" (SYNTHETIC)" if data.synthetic else "")))
        write_geopackage(tmp / "hotspots.gpkg", layers)
        write_density_geotiff(data.map.surface, tmp / "density.tif")
        write_csv(hotspots_table(areas), tmp / "hotspots.csv")
        report(progress, 0.97, "Moving the files into place")
        paths = []
        for name in FILES:
            target = folder / name
            os.replace(tmp / name, target)
            paths.append(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = briefing_summary(data, pages, paths)
    report(progress, 1.0, "Briefing pack written")
    return BriefingResult(folder=folder, files=tuple(paths), pdf=paths[0], png=paths[1], html=paths[2],
                          gpkg=paths[3], tif=paths[4], csv=paths[5], pages=pages, preview_png=preview,
                          summary=summary, warnings=data.warnings)


def briefing_summary(data: BriefingData, pages: int, paths: Sequence[Path]) -> dict:
    """JSON-ready description of a briefing (the ``beatwise brief --json`` object)."""
    m = data.map
    s = m.surface
    t = data.temporal
    out = {
        "title": data.title, "marking": data.marking, "synthetic": data.synthetic,
        "n_incidents": len(data.incidents), "date_range": data.date_range, "source": data.source,
        "filters": data.filters.to_dict(), "pages": pages,
        "density": {"kernel": s.kernel, "bandwidth_m": s.bandwidth_m, "bandwidth_rule": s.bandwidth_rule,
                    "bandwidth_classes_m": list(s.bandwidth_classes),
                    "cell_m": s.grid.cell_m, "units": s.density_units, "max_density": s.max_density},
        "kernel_bandwidth": data.bandwidth_mode.summary() if data.bandwidth_mode is not None else None,
        "out_of_area": data.out_of_area.summary() if data.out_of_area is not None else None,
        "gi_distance_rule": data.gi_band_rule,
        "top_percent": m.hotspots.top_percent,
        "study_area": m.hotspots.study_area.summary(),
        "hotspots": [h.summary() for h in m.hotspots.hotspots[: data.options.top_n]],
        "n_hotspots": len(m.hotspots.hotspots),
        "gi_star": m.gi.summary() if m.gi is not None else None,
        "peak": None if t is None or t.peak is None else t.peak.to_dict(),
        "temporal_message": None if t is None else t.message,
        "street": None if data.street is None else {
            "name": data.street.name, "area": data.street.area, "incidents": data.street.incidents,
            "share_of_area": data.street.share_of_area, "method": data.street.method},
        "shifts": None if data.shifts is None else data.shifts.summary(),
        "patrol_gaps": None if data.patrols is None else [g.to_dict() for g in data.patrols.gap.gaps],
        "trends": None if data.trends is None else data.trends.summary(),
        "forecast": None if data.forecast is None else data.forecast.summary(),
        "headlines": _headlines(data),
        "warnings": list(data.warnings),
        "files": [str(p) for p in paths],
    }
    return out
