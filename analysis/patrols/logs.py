"""Presence from patrol logs (tasking records): a unit in an area from a start to an end.

A log has no track, so its time is spread evenly (DESIGN.md section 7, "Presence from logs"):

* over the grid cells of its area in proportion to the area of the cell inside it (a 2-hour log
  over exactly four cells gives each 30 minutes); the part of the area outside the grid is
  counted in ``outside_grid_s``, not lost;
* over the local (Europe/London) hour-of-week slots in proportion to time, cut at hour boundaries
  in integer nanoseconds as pings are (:mod:`analysis.patrols.clock`).

Conservation: ``raster.sum() + outside_grid_s == hour_of_week_s.sum() == total_s`` = the sum of
the log durations, to the second. At a hotspot a log counts as present for its *whole* interval
when its area overlaps the buffered hotspot polygon (an overlap of positive area; touching edges do
not count): a log says the unit was tasked there, not where in the area it stood
(:func:`log_intervals`, used by :func:`analysis.patrols.visits.hotspot_visits`).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import shapely

from analysis.hotspots.grid import GridSpec
from analysis.patrols.clock import NS_PER_S, hour_of_week_ns, utc_ns
from analysis.patrols.presence import Presence
from analysis.progress import BeatwiseError

#: A street named in a log is its centre-lines buffered by this (metres) on each side.
DEFAULT_STREET_BUFFER_M = 15.0


def street_areas(layer, buffer_m: float = DEFAULT_STREET_BUFFER_M):
    """A lookup street name -> area polygon for :func:`analysis.ingest.patrol_logs.read_patrol_logs`.

    The area is every centre-line of ``layer`` (a :class:`~analysis.hotspots.streets.StreetLayer`)
    whose name matches (case, spacing and full stops ignored, as street matching does) united and
    buffered by ``buffer_m``; ``None`` for a name the layer does not have.
    """
    from analysis.hotspots.streets import name_key

    if not buffer_m > 0:
        raise BeatwiseError(f"The street buffer must be a positive number of metres, got {buffer_m!r}.")
    seg = layer.segments
    keys = seg["key"].to_numpy()
    cache: dict = {}

    def area(name: str):
        k = name_key(name)
        if k not in cache:
            lines = seg.geometry.to_numpy()[keys == k] if k else []
            cache[k] = shapely.buffer(shapely.union_all(lines), float(buffer_m)) if len(lines) else None
        return cache[k]

    return area


def log_arrays(logs) -> dict:
    """``unit`` codes, ``units``, ``ta``, ``tb`` (UTC ns) and ``geoms`` of a logs frame."""
    import pandas as pd

    for col in ("unit_id", "t_start", "t_end"):
        if col not in logs.columns:
            raise BeatwiseError(f"The patrol logs have no {col!r} column; read them with analysis.ingest.patrol_logs.")
    codes, units = pd.factorize(logs["unit_id"].astype(str), sort=False)
    ta, tb = utc_ns(logs["t_start"]), utc_ns(logs["t_end"])
    if np.any(tb < ta):
        raise BeatwiseError("A patrol log ends before it starts; read logs with analysis.ingest.patrol_logs.")
    return {"unit": codes.astype(np.int64), "units": tuple(str(u) for u in units), "ta": ta, "tb": tb,
            "geoms": logs.geometry.to_numpy()}


#: Bounding-box cells handled at a time (bounds the memory of many or large log areas).
CHUNK_CELLS = 1 << 21


def _ring_edges(geoms: np.ndarray):
    """Edges of every ring, exteriors counter-clockwise and holes clockwise: owner polygon, ends."""
    parts, part_of = shapely.get_parts(shapely.orient_polygons(geoms, exterior_cw=False), return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, vertex_of = shapely.get_coordinates(rings, return_index=True)
    same = vertex_of[1:] == vertex_of[:-1]             # consecutive vertices of one ring
    owner = part_of[ring_of[vertex_of[:-1][same]]]
    return owner, xy[:-1][same], xy[1:][same]


def cell_shares_many(geoms: np.ndarray, grid: GridSpec):
    """The grid cells each polygon covers and the share of its area in each, for many polygons.

    Exact and vectorised, with no polygon-cell intersection: by Green's theorem, the area of a
    polygon inside the column strip ``x_i <= x < x_i + c`` and below the line ``y = Y`` is
    ``-sum over its boundary pieces in the strip of the integral of min(y, Y) dx`` (exterior
    counter-clockwise, holes clockwise; the strip's vertical sides have ``dx = 0``). The ring edges
    are cut at the grid lines (:func:`analysis.patrols.presence.split_along_axis`), so each piece
    lies in one cell ``(i, j)``, and the area in that cell is
    ``-(sum of dx * (mean y - y_j) over its pieces) - c * (sum of dx over the pieces above it in
    the same column)`` (Green's theorem on each cell; the same sweep as exact rasterisers such as
    exactextract).

    Returns
    -------
    owner : int64 array
        The polygon of each piece.
    flat : int64 array
        ``row * nx + col`` of the piece's cell.
    share : float64 array
        The piece's share of its polygon's area; the shares of a polygon add up to the part of it
        inside the grid (1 when it is all inside).
    """
    from analysis.patrols.presence import split_along_axis

    geoms = np.asarray(geoms, dtype=object)
    total = shapely.area(geoms) if geoms.size else np.zeros(0)
    c = grid.cell_m
    b = shapely.bounds(geoms) if geoms.size else np.zeros((0, 4))
    c0 = np.floor((b[:, 0] - grid.x0) / c).astype(np.int64)
    r0 = np.floor((b[:, 1] - grid.y0) / c).astype(np.int64)
    ncol = np.floor((b[:, 2] - grid.x0) / c).astype(np.int64) - c0 + 1
    nrow = np.floor((b[:, 3] - grid.y0) / c).astype(np.int64) - r0 + 1
    ok = total > 0
    count = np.where(ok, ncol * nrow, 0)
    out = ([], [], [])
    ends = np.cumsum(count)
    lo = 0
    while lo < len(geoms):                            # whole polygons per chunk, about CHUNK_CELLS cells
        before = ends[lo - 1] if lo else 0
        hi = max(int(np.searchsorted(ends, before + CHUNK_CELLS, side="right")), lo + 1)
        idx = lo + np.flatnonzero(ok[lo:hi])
        lo = hi
        if idx.size == 0:
            continue
        owner, a, z = _ring_edges(geoms[idx])
        owner = idx[owner]
        fxa, fxb = (a[:, 0] - grid.x0) / c, (z[:, 0] - grid.x0) / c
        o1, col, p0, p1 = split_along_axis(fxa, fxb, np.zeros(len(fxa)), np.ones(len(fxa)))
        fya, fyb = (a[:, 1] - grid.y0) / c, (z[:, 1] - grid.y0) / c
        o2, row, q0, q1 = split_along_axis(fya[o1], fyb[o1], p0, p1)
        e = o1[o2]                                     # the edge of each piece
        dx = (q1 - q0) * (z[e, 0] - a[e, 0])
        ymid = a[e, 1] + (q0 + q1) / 2 * (z[e, 1] - a[e, 1])
        poly = owner[e]
        lc = (col[o2] - c0[poly]).astype(np.int64)
        lr = (row - r0[poly]).astype(np.int64)
        lc, lr = np.clip(lc, 0, ncol[poly] - 1), np.clip(lr, 0, nrow[poly] - 1)  # a vertex on the far edge
        # cells of each polygon's box, laid out polygon, column, row (a column's rows contiguous)
        cnt = count[idx]
        base = np.cumsum(cnt) - cnt
        base_of = np.zeros(len(geoms), dtype=np.int64)
        base_of[idx] = base
        flat_local = base_of[poly] + lc * nrow[poly] + lr
        n_cells = int(cnt.sum())
        s_dx = np.bincount(flat_local, weights=dx, minlength=n_cells)
        t = np.bincount(flat_local, weights=dx * (ymid - (r0[poly] + lr) * c - grid.y0), minlength=n_cells)
        cell_poly = np.repeat(idx, cnt)
        k = np.arange(n_cells, dtype=np.int64) - np.repeat(base, cnt)
        ccol, crow = k // nrow[cell_poly], k % nrow[cell_poly]
        cs = np.cumsum(s_dx)
        last = np.repeat(base, cnt) + ccol * nrow[cell_poly] + nrow[cell_poly] - 1   # the column's top row
        area = -(t + c * (cs[last] - cs))
        gcol, grow = c0[cell_poly] + ccol, r0[cell_poly] + crow
        keep = (area > 1e-9 * c * c) & (gcol >= 0) & (gcol < grid.nx) & (grow >= 0) & (grow < grid.ny)
        out[0].append(cell_poly[keep])
        out[1].append(grow[keep] * grid.nx + gcol[keep])
        out[2].append(np.minimum(area[keep], c * c) / total[cell_poly[keep]])
    if not out[0]:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return (np.concatenate(out[0]).astype(np.int64), np.concatenate(out[1]).astype(np.int64),
            np.concatenate(out[2]))


def cell_shares(geom, grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
    """The grid cells one polygon covers and the share of its area in each (``flat = row*nx + col``).

    The shares add up to the part of the polygon inside the grid (1 when it is all inside).
    """
    _, flat, share = cell_shares_many(np.array([geom], dtype=object), grid)
    return flat, share


def log_presence(logs, grid: GridSpec) -> Presence:
    """Presence raster and hour-of-week profile from patrol logs (module docstring for the rule).

    Parameters
    ----------
    logs : GeoDataFrame
        As :func:`analysis.ingest.patrol_logs.read_patrol_logs` returns them (working CRS, metres).
    grid : GridSpec
        The density surface's grid.

    Returns
    -------
    Presence
        ``n_segments`` is the number of logs; every log is counted (``uncounted_gap_s`` is 0).
    """
    a = log_arrays(logs)
    dur_s = (a["tb"] - a["ta"]) / NS_PER_S
    owner, flat, share = cell_shares_many(a["geoms"], grid)
    secs = dur_s[owner] * share
    raster = np.bincount(flat, weights=secs, minlength=grid.n_cells)
    inside_s = np.bincount(owner, weights=secs, minlength=len(dur_s))
    how = hour_of_week_ns(a["ta"], a["tb"]) / NS_PER_S
    total_ns = int((a["tb"] - a["ta"]).sum())
    return Presence(
        grid=grid, max_gap_min=float("nan"), raster_s=raster.reshape(grid.shape), hour_of_week_s=how,
        total_s=total_ns / NS_PER_S, counted_gap_s=total_ns / NS_PER_S, uncounted_gap_s=0.0,
        n_segments=len(dur_s), n_uncounted_gaps=0, outside_grid_s=float((dur_s - inside_s).sum()),
        units=a["units"], period_start_ns=int(a["ta"].min()) if len(dur_s) else 0,
        period_end_ns=int(a["tb"].max()) if len(dur_s) else 0, logs_s=total_ns / NS_PER_S, n_logs=len(dur_s))


def overlaps(polygon, geoms: np.ndarray) -> np.ndarray:
    """Which log areas overlap ``polygon`` with a positive area (touching edges do not count)."""
    shapely.prepare(polygon)
    hit = shapely.intersects(polygon, geoms)
    out = np.zeros(len(geoms), bool)
    if hit.any():
        out[hit] = shapely.area(shapely.intersection(geoms[hit], polygon)) > 0
    return out


def log_intervals(arrays: dict, polygon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(unit codes, start, end)`` of the logs present at ``polygon``: each overlapping log for its
    whole interval (UTC ns)."""
    hit = overlaps(polygon, arrays["geoms"])
    return arrays["unit"][hit], arrays["ta"][hit], arrays["tb"][hit]


def log_units_by_hour(arrays: Optional[dict]) -> tuple[np.ndarray, np.ndarray]:
    """``(unit code, UTC hour number)`` of every hour a log covers part of (for officers on duty)."""
    from analysis.patrols.clock import NS_PER_HOUR

    if arrays is None or len(arrays["ta"]) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    h0 = arrays["ta"] // NS_PER_HOUR
    h1 = (arrays["tb"] - 1) // NS_PER_HOUR
    count = h1 - h0 + 1
    owner = np.repeat(np.arange(len(h0)), count)
    hours = h0[owner] + np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    return arrays["unit"][owner], hours
