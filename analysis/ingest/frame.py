"""Last step: every file's accepted rows projected to the working CRS, one frame, one report.

The working CRS is chosen from a sample of the points (British National Grid in Great
Britain, else the local UTM zone: :func:`analysis.ingest.crs.working_crs_for`), then each
file is transformed once, straight from its own CRS. A point the transformation cannot place
is rejected with its reason, never dropped.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.grouping import group_keys
from analysis.ingest import crs as crsmod
from analysis.ingest import validation as v
from analysis.ingest.schema import ImportResult, Part, empty_incidents, to_frame
from analysis.ingest.timeparse import LOCAL_TZ, clock_changes

SAMPLE_POINTS = 20_000


def overall_precision(prec: pd.Series) -> str:
    kinds = set(pd.unique(prec)) - {"none"}
    if not kinds:
        return "none"
    if kinds == {"window", "minute"}:  # from/to data: an exact time is a zero-length window
        return "window"
    return kinds.pop() if len(kinds) == 1 else "mixed"


SNAP_SAMPLE = 1_000_000


def snap_point_warning(x: np.ndarray, y: np.ndarray) -> str | None:
    """Warn when many incidents share identical coordinates (data.police.uk snap points).

    Counted over the first :data:`SNAP_SAMPLE` points (a lower bound of the sharing in all).
    """
    x, y = x[:SNAP_SAMPLE], y[:SNAP_SAMPLE]
    n = len(x)
    if n < 20:
        return None
    key = (np.round(x * 10).astype(np.int64) << 32) + np.round(y * 10).astype(np.int64)
    counts = group_keys(key).counts
    shared = counts >= 2
    n_on_shared = int(counts[shared].sum())
    if n_on_shared < 0.1 * n:
        return None
    lead = (f"{n_on_shared:,} incidents share {int(shared.sum()):,} map points" if n < SNAP_SAMPLE
            else f"{n_on_shared / n:.0%} of the incidents share map points")
    return (f"{lead} (for example "
            "data.police.uk snaps crimes to anonymous points over street centres): a hotspot on "
            "one point may be an artefact of snapping")


def clock_change_warnings(frame: pd.DataFrame, tz: str = LOCAL_TZ) -> list[str]:
    """Rows whose local time does not exist or happens twice at a clock change in ``tz``.

    At the spring change (last Sunday of March in the UK) 01:00-01:59 never happens; at the
    autumn change it happens twice, so a local time alone cannot say which. Such rows are kept
    (their hour of the week is right either way) and counted here with an example.
    """
    timed = frame["time_precision"].isin(["minute", "window"]).to_numpy()
    t = frame["t_start"].to_numpy()
    cand = timed & ~np.isnat(t)
    if not cand.any():
        return []
    tc = t[cand]
    month = tc.astype("datetime64[M]").astype(np.int64) % 12 + 1
    hour = (tc - tc.astype("datetime64[D]")) // np.timedelta64(1, "h")
    near = np.isin(month, (3, 4, 9, 10, 11)) & (hour <= 3)  # every zone's changes are near
    if not near.any():
        return []
    idx = np.flatnonzero(cand)[near]
    gap, twice = clock_changes(t[idx], tz)
    out = []
    for mask, what in ((gap, "do not exist (the clocks went forward)"),
                       (twice, "happened twice (the clocks went back)")):
        if mask.any():
            i = int(idx[np.flatnonzero(mask)[0]])
            # one row's file and line (a million-row text column is never copied out)
            file, row = frame["source_file"].iloc[i], frame["source_row"].iloc[i]
            out.append(f"{int(mask.sum()):,} rows have {tz} local times that {what}, e.g. "
                       f"{pd.Timestamp(t[i]):%Y-%m-%d %H:%M} ({file}, line {row}); kept as given")
    return out


def shared_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(codes, ux, uy)`` when many rows share a position (else None): row i is at code i.

    data.police.uk snaps every crime to one of a few anonymous map points, so a month of a
    force (500,000 rows) has about 20,000 positions: each is transformed and made a point once,
    and the rows share the (immutable) point objects.
    """
    n = len(x)
    if n < 1000:
        return None
    step = max(1, n // 20_000)
    sx, sy = x[::step], y[::step]
    if len(np.unique(np.column_stack([sx, sy]), axis=0)) > 0.5 * len(sx):
        return None
    cx, ux = pd.factorize(x)
    cy, uy = pd.factorize(y)
    codes, _ = pd.factorize(cx.astype(np.int64) * len(uy) + cy)
    first = np.empty(codes.max() + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    return codes, x[first], y[first]


def _project(part: Part, working_crs: str, *, points: bool = True
             ) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """The part's points in the working CRS: ``(x, y, shapely points or None when not points)``."""
    shared = shared_points(part.x, part.y)
    if shared is None:
        x, y = crsmod.transform(part.x, part.y, part.src_crs, working_crs)
        shapes = None
    else:
        codes, ux, uy = shared
        tx, ty = crsmod.transform(ux, uy, part.src_crs, working_crs)
        x, y = tx[codes], ty[codes]
        shapes = crsmod.point_array(tx, ty)[codes] if points else None
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():  # outside the CRS's area of use: reject, never drop
        rows = part.data["source_row"]
        part.rejected += [v.RejectedRow(part.file, int(r), v.OUTSIDE_CRS) for r in rows[bad]]
        part.keep(~bad)
        x, y = x[~bad], y[~bad]
        shapes = shapes[~bad] if shapes is not None else None
    if shapes is None and points:
        shapes = crsmod.point_array(x, y)
    return x, y, shapes


def choose_working_crs(parts: Sequence[Part]) -> str:
    """The working CRS for the points of ``parts`` (a sample of each, in WGS84)."""
    lon, lat = [], []
    total = sum(len(p.x) for p in parts) or 1
    for p in parts:
        if not len(p.x):
            continue
        k = max(1, int(SAMPLE_POINTS * len(p.x) / total))
        step = max(1, len(p.x) // k)
        a, b = crsmod.transform(p.x[::step], p.y[::step], p.src_crs, crsmod.WGS84)
        fin = np.isfinite(a) & np.isfinite(b)
        lon.append(a[fin])
        lat.append(b[fin])
    if not lon or not sum(len(a) for a in lon):
        return crsmod.BNG
    return crsmod.working_crs_for(np.concatenate(lon), np.concatenate(lat))


def assemble(parts: Sequence[Part], *, working_crs: Optional[str] = None,
             extra_warnings: Iterable[str] = (), geometry: bool = True) -> ImportResult:
    """One GeoDataFrame in the working CRS and one report from per-file parts.

    With ``geometry=False`` no shapely point is made (about 0.7 us a point, a third of a million-row
    import): the incidents are a plain DataFrame of the same columns plus ``x``, ``y`` in the working
    CRS, for callers that need the report or the coordinates only (``beatwise import`` without
    ``--out``). Every check and count is the same.
    """
    warnings: list[str] = list(extra_warnings)
    if working_crs is None:
        working_crs = choose_working_crs(parts)
    xs, ys, shapes, kept = [], [], [], []
    for p in parts:
        if len(p.x):
            x, y, s = _project(p, working_crs, points=geometry)
            xs.append(x)
            ys.append(y)
            shapes.append(s)
            kept.append(p)
    if kept and sum(len(p) for p in kept):
        frame = to_frame(kept)
        x = np.concatenate(xs)
        y = np.concatenate(ys)
        if geometry:
            points = crsmod.geoseries(np.concatenate(shapes) if len(shapes) > 1 else shapes[0], working_crs)
            incidents = gpd.GeoDataFrame(frame, geometry=points, crs=working_crs)
        else:
            incidents = frame.assign(x=x, y=y)
            incidents.attrs["crs"] = working_crs
        for c in ("incident_id", "crime_type", "location", "area", "lsoa", "time_precision",
                  "source_file"):
            if incidents[c].dtype != "str":
                incidents[c] = incidents[c].astype("str")
        incidents["source_row"] = incidents["source_row"].astype(np.int64)
        bounds = tuple(float(b) for b in (x.min(), y.min(), x.max(), y.max()))
        precision = overall_precision(incidents["time_precision"])
        w = snap_point_warning(x, y)
        if w:
            warnings.append(w)
        if precision == "month":
            warnings.append("no time of day: month only (data.police.uk); hour-of-day and shift "
                            "analysis need force data with times")
        if working_crs != crsmod.BNG:
            warnings.append(f"data outside Great Britain: working CRS {working_crs} (UTM)")
        else:
            warnings += clock_change_warnings(incidents)
    else:
        incidents = empty_incidents(working_crs)
        if not geometry:
            incidents = pd.DataFrame(incidents.drop(columns="geometry")).assign(x=np.zeros(0), y=np.zeros(0))
            incidents.attrs["crs"] = working_crs
        bounds = None
        precision = "none"
    rep = v.merge_reports(
        [v.ImportReport((p.file,), p.rows_read, len(p), tuple(p.rejected), tuple(p.warnings),
                        columns=p.columns, synthetic=p.synthetic) for p in parts],
        crs=working_crs, time_precision=precision, bounds=bounds, extra_warnings=warnings)
    return ImportResult(incidents, rep)
