"""The whole "were we there" answer in one call: pings and hotspot areas -> presence, visits and
dosage, the gap to demand, officers on duty (:func:`patrol_report`).

Used by ``beatwise patrols``, the app's Patrols panel and the briefing's patrol page, so the three
say the same numbers. Also here: the hotspots' names as the sentences use them, the incident
demand per hotspot and hour of week (exact times in their hour, from/to windows aoristically,
Ratcliffe 2000), and :func:`pings_from_layer`, which turns a project's ``patrols`` layer back into
the importer's ping frame.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Optional

import numpy as np

from analysis.progress import BeatwiseError, ProgressFn, report, scaled

# = analysis.patrols.segments.DEFAULT_MAX_GAP_MIN and analysis.patrols.visits.DEFAULT_VISIT_BUFFER_M,
#   DEFAULT_KOPER_MIN, DEFAULT_DAY_START (tests/analysis/patrols/test_report.py checks they agree):
#   literal here so the app's window can hold PatrolParams before pandas is imported
DEFAULT_MAX_GAP_MIN = 5.0
DEFAULT_VISIT_BUFFER_M = 15.0
DEFAULT_KOPER_MIN = 10.0
DEFAULT_DAY_START = "06:00"
NO_TIMES_WARNING = "the incidents have no time of day (month only): shares are overall, no peak hours"


@dataclass(frozen=True)
class PatrolParams:
    """The presence and dosage parameters (issue 13 items 3-4), with their defaults."""

    max_gap_min: float = DEFAULT_MAX_GAP_MIN
    visit_buffer_m: float = DEFAULT_VISIT_BUFFER_M
    koper_min: float = DEFAULT_KOPER_MIN
    day_start: str = DEFAULT_DAY_START

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: Any) -> "PatrolParams":
        """From saved settings; unknown keys and unreadable values fall back to the defaults."""
        if not isinstance(value, dict):
            return cls()
        out = {}
        for f in fields(cls):
            if f.name in value:
                try:
                    out[f.name] = type(f.default)(value[f.name])
                except (TypeError, ValueError):
                    pass
        return cls(**out)


@dataclass(frozen=True, eq=False)
class PatrolReport:
    """Observed presence against demand at the hotspot areas, with what made it.

    Attributes
    ----------
    params : PatrolParams
    areas, surface
        The hotspot areas and the density surface compared with (the presence raster is on the
        surface's grid).
    names : tuple of str
        "Hotspot 1 (York Road)", ... one per hotspot area.
    presence, visits, gap, on_duty
        :class:`~analysis.patrols.presence.Presence`, :class:`~analysis.patrols.visits.Visits`,
        :class:`~analysis.patrols.gap.PatrolGap`, :class:`~analysis.patrols.on_duty.OnDuty`.
    demand_by_hour : float64 array (168,)
        Incident weight per local hour-of-week slot (timed incidents), zeros when none is timed.
    n_timed : int
        Incidents with a time of day (0: month-only data, shares are overall).
    warnings : tuple of str
    """

    params: PatrolParams
    areas: Any
    surface: Any
    names: tuple
    presence: Any
    visits: Any
    gap: Any
    on_duty: Any
    demand_by_hour: np.ndarray
    n_timed: int
    warnings: tuple = ()

    @property
    def presence_minutes(self) -> np.ndarray:
        """Presence per cell in minutes (the raster the map and GeoTIFF show)."""
        return self.presence.raster_s / 60.0

    def presence_by_weekday_hour(self) -> np.ndarray:
        """Patrol hours per local weekday x hour (7 x 24, Monday first)."""
        return np.asarray(self.presence.hour_of_week_s, dtype=float).reshape(7, 24) / 3600.0

    def demand_by_weekday_hour(self) -> np.ndarray:
        """Incidents per local weekday x hour (7 x 24, Monday first)."""
        return np.asarray(self.demand_by_hour, dtype=float).reshape(7, 24)


def hotspot_names(areas) -> list[str]:
    """"Hotspot 1 (York Road)" (its first location), else "Hotspot 1"."""
    return [f"Hotspot {h.rank} ({h.locations[0]})" if h.locations else f"Hotspot {h.rank}"
            for h in areas.hotspots]


def demand_by_hotspot(incidents, polygons) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Incident weight per hotspot and hour-of-week (aoristic), all incidents' 168, incidents
    inside each polygon (any precision), and the number of timed incidents."""
    from shapely import contains_xy

    from analysis.temporal.matrix import aoristic_week_weights, exact_week_weights

    prec = incidents["time_precision"].to_numpy()
    exact, window = prec == "minute", prec == "window"
    timed = exact | window
    t0, t1 = incidents["t_start"].to_numpy(), incidents["t_end"].to_numpy()
    x, y = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()

    def week(rows):  # exact times count in their hour; from/to windows aoristically (Ratcliffe 2000)
        out = np.zeros(168)
        if (rows & exact).any():
            out += exact_week_weights(t0[rows & exact])
        if (rows & window).any():
            out += aoristic_week_weights(t0[rows & window], t1[rows & window])
        return out

    by = np.zeros((len(polygons), 168))
    for i, poly in enumerate(polygons):
        by[i] = week(timed & contains_xy(poly, x, y))
    overall = week(timed)
    counts = np.array([contains_xy(poly, x, y).sum() for poly in polygons], dtype=float)
    return by, overall, counts, int(timed.sum())


def hotspots_for_patrols(incidents, top_percent: Optional[float] = None):
    """``(surface, areas)``: the density surface and hotspot areas patrols are compared with.

    A fixed quartic KDE with the ArcGIS bandwidth on its automatic grid; the study area (the
    cells the incidents can reach) is sized by the data-driven Gi* band of ``beatwise hotspots``
    (:func:`analysis.hotspots.gistar.data_gi_distance_m` on the default Gi* cell), not by the KDE
    bandwidth, so both commands bound their statistics by the same cells.
    """
    from analysis.hotspots.areas import DEFAULT_TOP_PERCENT, hotspot_areas
    from analysis.hotspots.gistar import DEFAULT_GI_CELL_M, data_gi_distance_m
    from analysis.hotspots.grid import points_xy
    from analysis.hotspots.kde import grid_for_kde, kde
    from analysis.hotspots.study_area import study_area_for

    xy, crs = points_xy(incidents)
    grid, choice = grid_for_kde(xy, crs=crs)
    surface = kde(xy, grid, bandwidth_m=choice)
    band, _rule = data_gi_distance_m(xy, grid.with_cell_m(DEFAULT_GI_CELL_M))
    study = study_area_for(xy, grid, band_m=band)
    areas = hotspot_areas(surface, incidents, study_area=study,
                          top_percent=DEFAULT_TOP_PERCENT if top_percent is None else top_percent)
    return surface, areas


def patrol_report(incidents, pings, areas, surface, params: PatrolParams = PatrolParams(), *,
                  logs=None, progress: Optional[ProgressFn] = None) -> PatrolReport:
    """Presence on ``surface``'s grid, visits and dosage at ``areas``, the gap, on-duty counts.

    Parameters
    ----------
    incidents : GeoDataFrame
        The incidents the hotspots were found in (already filtered), working CRS.
    pings : GeoDataFrame or None
        As :func:`analysis.ingest.tracks.read_pings` returns them, same CRS.
    logs : GeoDataFrame, optional
        Patrol logs as :func:`analysis.ingest.patrol_logs.read_patrol_logs` returns them, same CRS:
        their presence is added to the pings' (:mod:`analysis.patrols.logs`).
    areas : HotspotAreas
        From :func:`analysis.hotspots.areas.hotspot_areas`.
    surface : DensitySurface
        Its grid frames the presence raster.
    params : PatrolParams
    """
    from analysis.patrols.gap import patrol_gap
    from analysis.patrols.logs import log_presence
    from analysis.patrols.on_duty import on_duty
    from analysis.patrols.presence import presence
    from analysis.patrols.segments import patrol_segments
    from analysis.patrols.visits import hotspot_visits

    if len(incidents) == 0:
        raise BeatwiseError("no incidents with coordinates (after the filters): nothing to compare "
                            "patrols with")
    has_logs = logs is not None and len(logs) > 0
    if (pings is None or len(pings) < 2) and not has_logs:
        raise BeatwiseError("no patrol pings or logs: import patrol data first (File > Import patrol data)")
    hs = areas.to_geodataframe()
    names = hotspot_names(areas)
    report(progress, 0.0, "Patrol segments")
    seg = patrol_segments(pings, params.max_gap_min) if pings is not None and len(pings) >= 2 else None
    pres = None
    if seg is not None:
        pres = presence(pings, surface.grid, params.max_gap_min, segments=seg,
                        progress=scaled(progress, 0.05, 0.45))
    if has_logs:
        report(progress, 0.45, "Presence from patrol logs")
        from_logs = log_presence(logs, surface.grid)
        pres = from_logs if pres is None else pres.combined(from_logs)
    visits = hotspot_visits(pings if seg is not None else None, hs.geometry, names=names,
                            visit_buffer_m=params.visit_buffer_m, koper_min=params.koper_min,
                            day_start=params.day_start, max_gap_min=params.max_gap_min, segments=seg,
                            logs=logs if has_logs else None, progress=scaled(progress, 0.5, 0.85))
    report(progress, 0.85, "Demand at the hotspots")
    by_hour, overall, counts, n_timed = demand_by_hotspot(incidents, list(hs.geometry))
    if n_timed:
        gap = patrol_gap(visits, by_hour, presence=pres, total_incidents=float(n_timed),
                         demand_by_hour=overall)
    else:  # month-only data: shares of incidents, no hours
        by_hour = np.zeros_like(by_hour)
        by_hour[:, 0] = counts
        gap = patrol_gap(visits, by_hour, presence=pres, total_incidents=float(len(incidents)))
    report(progress, 0.95, "Officers on duty")
    duty = on_duty(pings if seg is not None else None, logs if has_logs else None)
    report(progress, 1.0, f"{len(gap.gaps)} under-patrolled hotspot(s)")
    return PatrolReport(params, areas, surface, tuple(names), pres, visits, gap, duty,
                        np.asarray(overall, dtype=float), n_timed,
                        () if n_timed else (NO_TIMES_WARNING,))


def pings_from_layer(layer, crs: Optional[str] = None, *, progress: Optional[ProgressFn] = None):
    """A project's ``patrols`` layer as the importer's ping frame (``t`` tz-aware UTC, sorted by
    unit then time, ``flagged``), or None when there is no layer.

    A layer in the ping schema (saved by the app after File > Import patrol data) is used as it
    is; ``t`` read back as text (a ``.beatwise`` file keeps it without its offset) is UTC. Any
    other point layer with a unit and a time column (the demo's ``unit_id, timestamp``: naive
    local times) goes through :func:`analysis.ingest.tracks.read_pings` so it is cleaned and
    reported exactly as a file would be.
    """
    import pandas as pd

    if layer is None or len(layer) == 0:
        return None
    crs = crs or str(layer.crs)
    if {"unit_id", "t", "flagged"} <= set(layer.columns):
        out = layer.copy()
        t = out["t"]
        if pd.api.types.is_datetime64_any_dtype(t) and getattr(t.dt, "tz", None) is not None:
            out["t"] = t.dt.tz_convert("UTC")
        else:
            out["t"] = pd.to_datetime(t, utc=True, format="ISO8601")
        out["flagged"] = out["flagged"].astype(bool)
        for col in ("speed_kmh", "accuracy_m"):
            out[col] = out[col].astype(float) if col in out else np.nan
        out = out.sort_values(["unit_id", "t"], kind="stable").reset_index(drop=True)
        return out.to_crs(crs) if out.crs is not None and str(out.crs) != crs else out
    return _through_importer(layer, crs, progress)


def _through_importer(layer, crs: str, progress: Optional[ProgressFn]):
    import tempfile
    from pathlib import Path

    import pandas as pd

    from analysis.ingest.tracks import PingMapping, read_pings

    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    for c in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[c]):
            frame[c] = frame[c].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame["ping_x"] = layer.geometry.x.to_numpy()
    frame["ping_y"] = layer.geometry.y.to_numpy()
    with tempfile.TemporaryDirectory(prefix="beatwise-pings-") as tmp:
        path = Path(tmp) / "patrols.csv"
        frame.to_csv(path, index=False)
        return read_pings([path], PingMapping(x="ping_x", y="ping_y", crs=str(layer.crs or crs)),
                          working_crs=crs, progress=progress).pings


def units_in_window(pings, start, hours: float = 1.0):
    """The pings of ``[start, start + hours)`` (``start`` an instant: tz-aware, or naive UTC):
    where each unit was in that hour, sorted by unit then time (the app's time slider)."""
    import pandas as pd

    t0 = pd.Timestamp(start)
    t0 = t0.tz_localize("UTC") if t0.tzinfo is None else t0.tz_convert("UTC")
    t1 = t0 + pd.Timedelta(hours=float(hours))
    t = pings["t"]
    return pings[(t >= t0) & (t < t1)]


def logs_from_layer(layer, crs: Optional[str] = None):
    """A project's ``patrol_logs`` layer as the reader's logs frame (``t_start``/``t_end``
    tz-aware UTC, in ``crs``), or None when there is none."""
    import pandas as pd

    if layer is None or len(layer) == 0:
        return None
    out = layer.copy()
    for col in ("t_start", "t_end"):
        t = out[col]
        if pd.api.types.is_datetime64_any_dtype(t) and getattr(t.dt, "tz", None) is not None:
            out[col] = t.dt.tz_convert("UTC")
        else:
            out[col] = pd.to_datetime(t, utc=True, format="ISO8601")
    crs = crs or str(layer.crs)
    return out.to_crs(crs) if out.crs is not None and str(out.crs) != crs else out
