"""Visits and dosage at hotspots: observed presence, in time, inside hotspot polygons.

Koper (1995): stops of about 10 minutes at a hot spot deter crime longer after the officer leaves
than drive-throughs; 11-15 minutes is the optimum, with diminishing returns after ~15 (DESIGN.md
section 7, "Koper dosage"). This module measures that from GPS, never from a plan: it is *observed
presence*, not compliance.

For each hotspot polygon, buffered by ``visit_buffer_m`` (default 15 m, GPS error and the kerb):

* the time intervals each unit is inside are the parts of its presence segments
  (:mod:`analysis.patrols.segments`, DESIGN.md section 7 "Presence") inside the polygon, found by
  segment-polygon intersection and mapped back to time along the segment;
* *patrol time* is the union over units (at least one present), *officer time* the sum over units
  (two officers for 10 minutes = 10 patrol-minutes, 20 officer-minutes);
* a *visit* is a maximal interval with at least one unit present, pauses under
  ``merge_pause_min`` (2 minutes) merged; it *qualifies* when it lasts at least ``koper_min``
  (default 10); it is a *stop* when the time-weighted median speed inside is under ``stop_kmh``
  (8 km/h), else a *drive-through*;
* per policing day (from ``day_start`` local time, default 06:00): a visit crossing the day start
  is split between the two days, each part a visit of its day;
* the longest interval without a visit runs over the observed period (first to last ping).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pandas as pd
import shapely

from analysis.patrols.clock import (NS_PER_MIN, NS_PER_S, hour_of_week_ns, parse_day_start,
                                    policing_day_bounds, split_intervals)
from analysis.patrols.segments import DEFAULT_MAX_GAP_MIN, Segments, patrol_segments
from analysis.progress import BeatwiseError, ProgressFn, report

DEFAULT_VISIT_BUFFER_M = 15.0
DEFAULT_KOPER_MIN = 10.0
DEFAULT_DAY_START = "06:00"
MERGE_PAUSE_MIN = 2.0
STOP_KMH = 8.0


@dataclass(frozen=True, eq=False)
class Visits:
    """Observed presence at hotspots: visits, per-hotspot totals and per-day dosage.

    Attributes
    ----------
    visit_buffer_m, koper_min, merge_pause_min, stop_kmh, max_gap_min : float
    day_start : str
        ``HH:MM`` local start of the policing day.
    names : tuple of str
        One per hotspot, in input order (``hotspot`` columns index into it).
    visits : DataFrame
        One row per visit: ``hotspot, name, start, end`` (UTC), ``duration_min`` (first entry to
        last exit), ``patrol_min`` (at least one unit inside), ``officer_min``, ``units``,
        ``median_speed_kmh``, ``kind`` (``stop`` | ``drive-through``), ``qualifying``.
    hotspots : DataFrame
        One row per hotspot: ``hotspot, name, patrol_minutes, officer_minutes, visits,
        visits_qualifying, stops, drive_throughs, longest_gap_h``.
    dosage : DataFrame
        Hotspot x policing day (every day of the period): ``hotspot, name, day, patrol_minutes,
        officer_minutes, visits, visits_qualifying``.
    hour_of_week_s : float64 array (n_hotspots, 168)
        Patrol seconds (at least one unit inside) per local hour-of-week slot.
    period_start_ns, period_end_ns : int
        The observed period (first and last ping, UTC ns).
    """

    visit_buffer_m: float
    koper_min: float
    merge_pause_min: float
    stop_kmh: float
    max_gap_min: float
    day_start: str
    names: tuple
    visits: pd.DataFrame
    hotspots: pd.DataFrame
    dosage: pd.DataFrame
    hour_of_week_s: np.ndarray
    period_start_ns: int
    period_end_ns: int

    @property
    def period_days(self) -> float:
        return (self.period_end_ns - self.period_start_ns) / (86400 * NS_PER_S)


def _polygons(hotspots, names):
    """Shapely polygons, names and CRS from a GeoDataFrame, GeoSeries or sequence of polygons."""
    crs = getattr(hotspots, "crs", None)
    geoms = np.asarray(getattr(hotspots, "geometry", hotspots), dtype=object)
    if names is None and hasattr(hotspots, "columns"):
        for col in ("location", "name"):
            if col in hotspots.columns:
                names = [str(v) for v in hotspots[col]]
                break
    if names is None:
        names = [f"Hotspot {i + 1}" for i in range(len(geoms))]
    if len(names) != len(geoms):
        raise BeatwiseError(f"{len(names)} hotspot names for {len(geoms)} hotspots.")
    types = shapely.get_type_id(geoms) if len(geoms) else np.zeros(0)
    if np.any((types != 3) & (types != 6)):
        raise BeatwiseError("Hotspots must be polygons (areas); buffer points or streets first.")
    return geoms, tuple(str(n) for n in names), crs


def segment_boxes(seg: Segments) -> tuple[np.ndarray, ...]:
    """``(xmin, xmax, ymin, ymax)`` of every segment, for the bounding-box prefilter."""
    return (np.minimum(seg.xa, seg.xb), np.maximum(seg.xa, seg.xb),
            np.minimum(seg.ya, seg.yb), np.maximum(seg.ya, seg.yb))


def inside_intervals(seg: Segments, polygon, boxes=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts of each segment's time spent inside ``polygon``.

    ``boxes`` is :func:`segment_boxes` of ``seg`` when several polygons share the segments.

    Returns
    -------
    owner, start, end : int64 arrays
        Segment index and the UTC ns interval inside (a segment leaving and re-entering a concave
        polygon gives several rows). Boundary points count as inside.
    """
    xmin, ymin, xmax, ymax = shapely.bounds(polygon)
    sx0, sx1, sy0, sy1 = segment_boxes(seg) if boxes is None else boxes
    cand = np.flatnonzero((sx1 >= xmin) & (sx0 <= xmax) & (sy1 >= ymin) & (sy0 <= ymax))
    shapely.prepare(polygon)
    xa, ya, xb, yb = seg.xa[cand], seg.ya[cand], seg.xb[cand], seg.yb[cand]
    still = (xa == xb) & (ya == yb)
    owners, lo, hi = [], [], []
    at = cand[still][shapely.intersects_xy(polygon, xa[still], ya[still])]
    owners.append(at), lo.append(np.zeros(at.size)), hi.append(np.ones(at.size))
    moving = cand[~still]
    lines = shapely.linestrings(np.stack([np.c_[seg.xa[moving], seg.ya[moving]],
                                          np.c_[seg.xb[moving], seg.yb[moving]]], axis=1))
    full = shapely.covers(polygon, lines)
    owners.append(moving[full]), lo.append(np.zeros(full.sum())), hi.append(np.ones(full.sum()))
    part = ~full & shapely.intersects(polygon, lines)
    if part.any():
        pieces, which = shapely.get_parts(shapely.intersection(lines[part], polygon), return_index=True)
        line_like = (shapely.get_type_id(pieces) == 1) & (shapely.length(pieces) > 0)
        pieces, which = pieces[line_like], which[line_like]
        coords, pidx = shapely.get_coordinates(pieces, return_index=True)
        if len(pidx):
            first = np.r_[0, np.flatnonzero(np.diff(pidx)) + 1]
            last = np.r_[first[1:] - 1, len(pidx) - 1]
            o = moving[part][which]
            dx, dy = seg.xb[o] - seg.xa[o], seg.yb[o] - seg.ya[o]
            l2 = dx * dx + dy * dy

            def param(k):
                return np.clip(((coords[k, 0] - seg.xa[o]) * dx + (coords[k, 1] - seg.ya[o]) * dy) / l2, 0, 1)

            p0, p1 = param(first), param(last)
            owners.append(o), lo.append(np.minimum(p0, p1)), hi.append(np.maximum(p0, p1))
    owner = np.concatenate(owners).astype(np.int64)
    dur = (seg.tb[owner] - seg.ta[owner]).astype(np.float64)
    start = seg.ta[owner] + np.round(np.concatenate(lo) * dur).astype(np.int64)
    end = seg.ta[owner] + np.round(np.concatenate(hi) * dur).astype(np.int64)
    return owner, start, end


def _groups(start: np.ndarray, end: np.ndarray, pause_ns: int):
    """Merge sorted-by-start intervals whose gap is under ``pause_ns`` (0: overlapping or touching).

    Returns the group of each interval and the groups' starts and ends.
    """
    if start.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    reach = np.maximum.accumulate(end)
    gap = start[1:] - reach[:-1]
    new = np.r_[True, (gap > 0) if pause_ns == 0 else (gap >= pause_ns)]
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    g_end = np.maximum.reduceat(end, first)
    return group, start[first], g_end


def _weighted_median(group: np.ndarray, value: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """Median of ``value`` weighted by ``weight`` within each of ``n`` groups (NaN if empty)."""
    out = np.full(n, np.nan)
    if group.size == 0:
        return out
    order = np.lexsort((value, group))
    g, v, w = group[order], value[order], weight[order].astype(np.float64)
    cum = np.cumsum(w)
    total = np.bincount(g, weights=w, minlength=n)
    before = np.cumsum(total) - total
    present = np.bincount(g, minlength=n) > 0
    idx = np.searchsorted(cum, before + total / 2, side="left")
    first = np.searchsorted(g, np.arange(n), side="left")
    idx = np.clip(np.maximum(idx, first), 0, len(v) - 1)
    out[present] = v[idx[present]]
    return out


VISIT_COLUMNS = ["hotspot", "name", "start", "end", "duration_min", "patrol_min", "officer_min", "units",
                 "median_speed_kmh", "kind", "qualifying"]
HOTSPOT_COLUMNS = ["hotspot", "name", "patrol_minutes", "officer_minutes", "visits", "visits_qualifying", "stops",
                   "drive_throughs", "longest_gap_h"]


def _visit_table(unit, speed, s, e, us, ue, vs, ve, koper_ns, stop_kmh) -> pd.DataFrame:
    """One row per visit ``[vs, ve)`` from the units' intervals ``[s, e)`` (their units and speeds,
    NaN for logs) and their union ``[us, ue)``."""
    nv = len(vs)
    vid = np.searchsorted(vs, s, side="right") - 1
    patrol = np.bincount(np.searchsorted(vs, us, side="right") - 1, weights=(ue - us).astype(float), minlength=nv)
    officer = np.bincount(vid, weights=(e - s).astype(float), minlength=nv)
    pairs = np.unique(np.c_[vid, unit], axis=0) if nv else np.zeros((0, 2), dtype=np.int64)
    known = ~np.isnan(speed)                       # a log has no speed: the pings' speeds decide
    median = _weighted_median(vid[known], speed[known], (e - s)[known], nv)
    kind = np.where(np.isnan(median), "unknown", np.where(median < stop_kmh, "stop", "drive-through"))
    return pd.DataFrame({
        "start": pd.to_datetime(vs, utc=True), "end": pd.to_datetime(ve, utc=True),
        "duration_min": (ve - vs) / NS_PER_MIN, "patrol_min": patrol / NS_PER_MIN,
        "officer_min": officer / NS_PER_MIN, "units": np.bincount(pairs[:, 0], minlength=nv),
        "median_speed_kmh": median, "kind": kind, "qualifying": (ve - vs) >= koper_ns})


def _intervals_inside(seg, boxes, la, log_unit, polygon):
    """``(unit, speed, start, end)`` of the time inside ``polygon``: the pings' segment parts and
    the overlapping logs (whole intervals, no speed), sorted by start, empty intervals dropped."""
    from analysis.patrols.logs import log_intervals

    parts = []
    if seg is not None and len(seg):
        owner, s, e = inside_intervals(seg, polygon, boxes)
        parts.append((seg.unit[owner], seg.speed_kmh[owner], s, e))
    if la is not None:
        u, s, e = log_intervals(la, polygon)
        parts.append((log_unit[u], np.full(len(u), np.nan), s, e))
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return z, np.zeros(0), z, z
    unit, speed, s, e = (np.concatenate([p[k] for p in parts]) for k in range(4))
    order = np.argsort(s, kind="stable")
    order = order[e[order] > s[order]]                 # an instant inside is no time inside
    return unit[order].astype(np.int64), speed[order].astype(float), s[order], e[order]


def _per_day(intervals, bounds, day_lo: int, n_days: int, koper_ns: int) -> np.ndarray:
    """``(n_days, 4)``: patrol minutes, officer minutes, visits, qualifying visits per policing day.

    ``intervals`` is ``((us, ue), (s, e), (vs, ve))``: union, per-unit and visit intervals; each is
    cut at the day starts, so a visit across 06:00 is a visit of each day with its own length.
    """
    out = np.zeros((n_days, 4))
    for column, (a, b) in enumerate(intervals):
        _, bin_, lo, hi = split_intervals(a, b, bounds)
        keep = hi > lo
        day = np.clip(bin_[keep] - day_lo, 0, n_days - 1)
        if column < 2:
            out[:, column] = np.bincount(day, weights=(hi - lo)[keep] / NS_PER_MIN, minlength=n_days)
        else:
            out[:, 2] = np.bincount(day, minlength=n_days)
            out[:, 3] = np.bincount(day, weights=((hi - lo)[keep] >= koper_ns).astype(float), minlength=n_days)
    return out


def hotspot_visits(pings, hotspots, *, names: Optional[Sequence[str]] = None,
                   visit_buffer_m: float = DEFAULT_VISIT_BUFFER_M, koper_min: float = DEFAULT_KOPER_MIN,
                   day_start: str = DEFAULT_DAY_START, max_gap_min: float = DEFAULT_MAX_GAP_MIN,
                   merge_pause_min: float = MERGE_PAUSE_MIN, stop_kmh: float = STOP_KMH,
                   segments: Optional[Segments] = None, logs=None,
                   progress: Optional[ProgressFn] = None) -> Visits:
    """Visits, patrol- and officer-minutes and Koper (1995) dosage at hotspot polygons.

    Parameters
    ----------
    pings : GeoDataFrame
        Pings as ``analysis.ingest.tracks`` returns them (ignored when ``segments`` is given).
    hotspots : GeoDataFrame, GeoSeries or sequence of polygons
        In the pings' CRS. Names from ``names``, else a ``location`` or ``name`` column, else
        "Hotspot 1", ...
    visit_buffer_m : float
        Buffer around each polygon (metres, default 15).
    koper_min : float
        Shortest qualifying visit (minutes, default 10; DESIGN.md section 7).
    day_start : str
        Local ``HH:MM`` the policing day starts (default ``06:00``).
    max_gap_min : float
        Presence rule (DESIGN.md section 7), used when ``segments`` is not given.
    merge_pause_min, stop_kmh : float
        Pauses under this merge into one visit (2 min); stops are under this median speed (8 km/h).
    segments : Segments, optional
        Shared with :func:`analysis.patrols.presence.presence`.
    logs : GeoDataFrame, optional
        Patrol logs (:func:`analysis.ingest.patrol_logs.read_patrol_logs`): a log whose area overlaps a
        buffered hotspot is present there for its whole interval (:mod:`analysis.patrols.logs`).
        ``pings`` may then be None.

    Returns
    -------
    Visits
    """
    from analysis.patrols.logs import log_arrays

    seg = segments if segments is not None else (patrol_segments(pings, max_gap_min) if pings is not None else None)
    la = log_arrays(logs) if logs is not None and len(logs) else None
    if seg is None and la is None:
        raise BeatwiseError("No patrol pings and no patrol logs: nothing to measure visits from.")
    day_start = parse_day_start(day_start).strftime("%H:%M")
    if not (float(visit_buffer_m) >= 0 and float(koper_min) > 0):
        raise BeatwiseError("The visit buffer must be zero or more metres and the Koper minimum positive minutes.")
    geoms, names, crs = _polygons(hotspots, names)
    for what, other in (("pings", seg.crs if seg is not None else None),
                        ("logs", getattr(logs, "crs", None) if la is not None else None)):
        if crs is not None and other is not None and str(crs) != str(other):
            from pyproj import CRS
            if not CRS.from_user_input(crs).equals(CRS.from_user_input(other)):
                raise BeatwiseError(f"The hotspots ({crs}) and the {what} ({other}) are in different CRSs.")
    units = tuple(seg.units) if seg is not None else ()
    log_unit = None
    if la is not None:
        units = tuple(dict.fromkeys(units + la["units"]))
        index = {u: i for i, u in enumerate(units)}
        log_unit = np.array([index[u] for u in la["units"]], dtype=np.int64)
    spans = ([(seg.t_min, seg.t_max)] if seg is not None and (len(seg) or seg.t_max) else []) + \
        ([(int(la["ta"].min()), int(la["tb"].max()))] if la is not None else []) or [(0, 0)]
    polygons = shapely.buffer(geoms, float(visit_buffer_m)) if visit_buffer_m > 0 else geoms
    pause_ns = int(round(merge_pause_min * NS_PER_MIN))
    koper_ns = int(round(koper_min * NS_PER_MIN))
    t0, t1 = min(a for a, _ in spans), max(b for _, b in spans)
    bounds, days = policing_day_bounds(t0, t1, day_start)
    day_lo = int(np.searchsorted(bounds, t0, side="right"))
    day_hi = int(np.searchsorted(bounds, t1, side="right"))
    n_days = day_hi - day_lo + 1
    n = len(polygons)
    visit_rows, summary = [], []
    how = np.zeros((n, 168), dtype=np.int64)
    dose = np.zeros((n, n_days, 4))
    boxes = segment_boxes(seg) if seg is not None else None
    for h, polygon in enumerate(polygons):
        report(progress, h / max(n, 1), f"visits: {names[h]}")
        unit, speed, s, e = _intervals_inside(seg, boxes, la, log_unit, polygon)
        _, us, ue = _groups(s, e, 0)                       # at least one unit inside
        _, vs, ve = _groups(us, ue, pause_ns)              # visits: pauses under 2 min merged
        table = _visit_table(unit, speed, s, e, us, ue, vs, ve, koper_ns, stop_kmh)
        visit_rows.append(table.assign(hotspot=h, name=names[h])[VISIT_COLUMNS])
        stop, drive = table["kind"] == "stop", table["kind"] == "drive-through"
        summary.append({"hotspot": h, "name": names[h], "patrol_minutes": float((ue - us).sum()) / NS_PER_MIN,
                        "officer_minutes": float((e - s).sum()) / NS_PER_MIN, "visits": len(vs),
                        "visits_qualifying": int(table["qualifying"].sum()), "stops": int(stop.sum()),
                        "drive_throughs": int(drive.sum()),
                        # the period's edges included: no visit at all = the whole period
                        "longest_gap_h": float(np.max(np.r_[vs, t1] - np.r_[t0, ve])) / (3600 * NS_PER_S)})
        how[h] = hour_of_week_ns(us, ue)
        dose[h] = _per_day(((us, ue), (s, e), (vs, ve)), bounds, day_lo, n_days, koper_ns)
    report(progress, 1.0, "visits: done")
    day_list = days[day_lo:day_hi + 1]
    dosage = pd.DataFrame({
        "hotspot": np.repeat(np.arange(n), n_days), "name": np.repeat(np.asarray(names, dtype=object), n_days),
        "day": np.tile(np.asarray(day_list, dtype=object), n),
        "patrol_minutes": dose[:, :, 0].ravel(), "officer_minutes": dose[:, :, 1].ravel(),
        "visits": dose[:, :, 2].ravel().astype(int), "visits_qualifying": dose[:, :, 3].ravel().astype(int)})
    return Visits(
        visit_buffer_m=float(visit_buffer_m), koper_min=float(koper_min), merge_pause_min=float(merge_pause_min),
        stop_kmh=float(stop_kmh), max_gap_min=seg.max_gap_min if seg is not None else float(max_gap_min),
        day_start=day_start, names=names,
        visits=pd.concat(visit_rows, ignore_index=True) if visit_rows else pd.DataFrame(columns=VISIT_COLUMNS),
        hotspots=pd.DataFrame(summary, columns=HOTSPOT_COLUMNS), dosage=dosage, hour_of_week_s=how / NS_PER_S,
        period_start_ns=t0, period_end_ns=t1)
