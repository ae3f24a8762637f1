"""Pings -> the straight segments along which a unit is present (DESIGN.md section 7, "Presence").

A unit is present along the straight segment between two consecutive pings of its own at most
``max_gap_min`` apart. A flagged ping (an impossible jump, DESIGN.md section 2) breaks the track: the
two segments touching it are not counted. Longer gaps are unknown, never present. Counted plus
uncounted gap time is the time between each unit's consecutive pings, to the nanosecond.

The pings are the importer's frame (``analysis.ingest.tracks``): ``unit_id``, ``t`` (tz-aware UTC),
``speed_kmh`` (NaN if unknown), ``flagged``, point geometry in the working CRS (metres), sorted by
unit then time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analysis.hotspots.grid import crs_is_geographic, points_xy
from analysis.patrols.clock import NS_PER_MIN, NS_PER_S, utc_ns
from analysis.progress import BeatwiseError

#: Default longest gap between two pings still counted as presence (minutes).
DEFAULT_MAX_GAP_MIN = 5.0


@dataclass(frozen=True, eq=False)
class Segments:
    """The counted segments of a set of pings, as parallel arrays (one row per segment).

    Attributes
    ----------
    max_gap_min : float
        The parameter: longest counted gap between consecutive pings.
    units : tuple of str
        Unit ids; ``unit`` indexes into it.
    unit : int64 array
    xa, ya, xb, yb : float64 arrays
        Segment start and end (metres, working CRS).
    ta, tb : int64 arrays
        Start and end instants, ns since the epoch (UTC); ``tb - ta <= max_gap``.
    speed_kmh : float64 array
        Mean of the two pings' reported speeds where known, else displacement / time (0 when the
        segment takes no time).
    counted_ns, uncounted_ns : int
        Time between consecutive pings of one unit that is counted / not counted (gap too long or a
        flagged ping at either end); their sum is every unit's first-to-last ping time.
    n_uncounted : int
        Number of uncounted gaps.
    t_min, t_max : int
        First and last ping instant (ns), the observed period.
    crs : str or None
    """

    max_gap_min: float
    units: tuple
    unit: np.ndarray
    xa: np.ndarray
    ya: np.ndarray
    xb: np.ndarray
    yb: np.ndarray
    ta: np.ndarray
    tb: np.ndarray
    speed_kmh: np.ndarray
    counted_ns: int
    uncounted_ns: int
    n_uncounted: int
    t_min: int
    t_max: int
    crs: object = field(default=None)

    def __len__(self) -> int:
        return len(self.ta)

    @property
    def duration_ns(self) -> np.ndarray:
        return self.tb - self.ta

    def subset(self, which) -> "Segments":
        """The segments selected by ``which`` (slice, mask or indices); the totals stay the whole's."""
        arrays = {k: getattr(self, k)[which] for k in ("unit", "xa", "ya", "xb", "yb", "ta", "tb", "speed_kmh")}
        return replace(self, **arrays)

    @property
    def counted_s(self) -> float:
        return self.counted_ns / NS_PER_S

    @property
    def uncounted_s(self) -> float:
        return self.uncounted_ns / NS_PER_S


def ping_arrays(pings) -> dict:
    """Plain arrays from a pings frame: ``unit`` codes, ``units``, ``x``, ``y``, ``t`` (ns), ``speed``,
    ``flagged``; sorted by unit then time (stable) if the frame was not.

    Raises
    ------
    BeatwiseError
        A missing ``unit_id`` or ``t`` column, naive times, a geographic CRS or missing positions.
    """
    for col in ("unit_id", "t"):
        if col not in pings.columns:
            raise BeatwiseError(f"The pings have no {col!r} column; read them with analysis.ingest.tracks.")
    ids = pings["unit_id"]
    codes, units = pd.factorize(ids if pd.api.types.is_string_dtype(ids.dtype) else ids.astype(str), sort=False)
    t = utc_ns(pings["t"])
    if crs_is_geographic(getattr(pings, "crs", None)):
        raise BeatwiseError("The pings are in longitude/latitude (degrees); presence is measured in "
                            "metres: project them to the working CRS first (the importer does this).")
    xy, crs = points_xy(pings) if len(pings) else (np.empty((0, 2)), getattr(pings, "crs", None))
    n = len(t)
    speed = (pings["speed_kmh"].to_numpy(dtype=float, na_value=np.nan) if "speed_kmh" in pings.columns
             else np.full(n, np.nan))
    flagged = (pings["flagged"].to_numpy(dtype=bool, na_value=False) if "flagged" in pings.columns
               else np.zeros(n, dtype=bool))
    codes = codes.astype(np.int64)
    if n > 1 and not _sorted_by_unit_then_time(codes, t):
        order = np.lexsort((t, codes))
        codes, t, xy, speed, flagged = codes[order], t[order], xy[order], speed[order], flagged[order]
    return {"unit": codes, "units": tuple(str(u) for u in units), "x": xy[:, 0], "y": xy[:, 1], "t": t,
            "speed": speed, "flagged": flagged, "crs": crs}


def _sorted_by_unit_then_time(codes: np.ndarray, t: np.ndarray) -> bool:
    """True when each unit's pings are together and in time order (codes are by first appearance)."""
    same = codes[1:] == codes[:-1]
    return bool(np.all(codes[1:] >= codes[:-1]) and np.all(t[1:][same] >= t[:-1][same]))


def patrol_segments(pings, max_gap_min: float = DEFAULT_MAX_GAP_MIN) -> Segments:
    """The segments a unit is present along (DESIGN.md section 7; Koper 1995 for why it matters).

    Parameters
    ----------
    pings : GeoDataFrame
        The importer's pings (see the module docstring).
    max_gap_min : float
        Longest gap between a unit's consecutive pings counted as presence, minutes (default 5).

    Returns
    -------
    Segments
    """
    max_gap_min = float(max_gap_min)
    if not (max_gap_min > 0 and math.isfinite(max_gap_min)):
        raise BeatwiseError(f"The longest counted gap must be a positive number of minutes, got {max_gap_min!r}.")
    a = ping_arrays(pings)
    t, flagged = a["t"], a.pop("flagged")
    t_min, t_max = (int(t.min()), int(t.max())) if len(t) else (0, 0)
    same = a["unit"][1:] == a["unit"][:-1]              # consecutive pings of one unit
    dt = np.diff(t)
    ok = same & (dt <= int(round(max_gap_min * NS_PER_MIN))) & ~flagged[:-1] & ~flagged[1:]
    lost = same & ~ok
    uncounted_ns, n_uncounted = int(dt[lost].sum()), int(lost.sum())
    del dt, lost, same, flagged
    # one segment array at a time, each ping array dropped once used (10 million pings: ~1 GB less)
    i = np.flatnonzero(ok)
    del ok
    unit = a.pop("unit")[i]
    ta, tb = t[i], t[i + 1]
    del t
    a.pop("t")
    x = a.pop("x")
    xa, xb = x[i], x[i + 1]
    y = a.pop("y")
    ya, yb = y[i], y[i + 1]
    del x, y
    sp = a.pop("speed")
    speed, sj = sp[i], sp[i + 1]                        # the two pings' mean where both are known
    del sp, i
    both = ~np.isnan(speed) & ~np.isnan(sj)
    speed[both] = (speed[both] + sj[both]) / 2
    speed[np.isnan(speed)] = sj[np.isnan(speed)]
    del sj, both
    unknown = np.flatnonzero(np.isnan(speed))           # else displacement / time (0 if no time)
    secs = (tb[unknown] - ta[unknown]) / NS_PER_S
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = np.hypot(xb[unknown] - xa[unknown], yb[unknown] - ya[unknown]) / secs * 3.6
    speed[unknown] = np.where(secs > 0, moved, 0.0)
    del moved, secs, unknown
    return Segments(
        max_gap_min=max_gap_min, units=a["units"], unit=unit, xa=xa, ya=ya, xb=xb, yb=yb, ta=ta, tb=tb,
        speed_kmh=speed, counted_ns=int((tb - ta).sum()), uncounted_ns=uncounted_ns, n_uncounted=n_uncounted,
        t_min=t_min, t_max=t_max, crs=a["crs"],
    )
