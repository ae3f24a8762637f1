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


def cell_shares(geom, grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
    """The grid cells a polygon covers and the share of its area in each (``flat = row*nx + col``).

    The shares add up to the part of the polygon inside the grid (1 when it is all inside).
    """
    total = shapely.area(geom)
    if not total > 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    xmin, ymin, xmax, ymax = shapely.bounds(geom)
    c = grid.cell_m
    c0, c1 = max(int(np.floor((xmin - grid.x0) / c)), 0), min(int(np.floor((xmax - grid.x0) / c)), grid.nx - 1)
    r0, r1 = max(int(np.floor((ymin - grid.y0) / c)), 0), min(int(np.floor((ymax - grid.y0) / c)), grid.ny - 1)
    if c1 < c0 or r1 < r0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    cols, rows = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
    cols, rows = cols.ravel(), rows.ravel()
    x, y = grid.x0 + cols * c, grid.y0 + rows * c
    boxes = shapely.box(x, y, x + c, y + c)
    shapely.prepare(geom)
    hit = shapely.intersects(geom, boxes)
    share = shapely.area(shapely.intersection(boxes[hit], geom)) / total
    keep = share > 0
    return (rows[hit][keep] * grid.nx + cols[hit][keep]).astype(np.int64), share[keep]


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
    raster = np.zeros(grid.n_cells)
    inside_s = np.zeros(len(dur_s))
    for i, geom in enumerate(a["geoms"]):
        flat, share = cell_shares(geom, grid)
        secs = dur_s[i] * share
        np.add.at(raster, flat, secs)
        inside_s[i] = secs.sum()
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
