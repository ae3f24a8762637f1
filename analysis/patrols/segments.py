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
    codes, units = pd.factorize(pings["unit_id"].astype(str), sort=False)
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
    if n > 1 and not np.all((np.diff(codes) > 0) | ((np.diff(codes) == 0) & (np.diff(t) >= 0))):
        order = np.lexsort((t, codes))
        codes, t, xy, speed, flagged = codes[order], t[order], xy[order], speed[order], flagged[order]
    return {"unit": codes, "units": tuple(str(u) for u in units), "x": xy[:, 0], "y": xy[:, 1], "t": t,
            "speed": speed, "flagged": flagged, "crs": crs}


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
    t, unit = a["t"], a["unit"]
    if len(t) < 2:
        pairs = np.zeros(0, dtype=np.int64)
        same = np.zeros(0, dtype=bool)
    else:
        same = unit[1:] == unit[:-1]
        pairs = np.flatnonzero(same)
    dt = t[pairs + 1] - t[pairs]
    ok = (dt <= int(round(max_gap_min * NS_PER_MIN))) & ~a["flagged"][pairs] & ~a["flagged"][pairs + 1]
    i = pairs[ok]
    j = i + 1
    xa, ya, xb, yb = a["x"][i], a["y"][i], a["x"][j], a["y"][j]
    dur = t[j] - t[i]
    si, sj = a["speed"][i], a["speed"][j]
    reported = np.where(np.isnan(si), sj, np.where(np.isnan(sj), si, (si + sj) / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = np.hypot(xb - xa, yb - ya) / (dur / NS_PER_S) * 3.6
    moved = np.where(dur > 0, moved, 0.0)
    speed = np.where(np.isfinite(reported), reported, moved)
    return Segments(
        max_gap_min=max_gap_min, units=a["units"], unit=unit[i], xa=xa, ya=ya, xb=xb, yb=yb,
        ta=t[i], tb=t[j], speed_kmh=speed, counted_ns=int(dur.sum()), uncounted_ns=int(dt[~ok].sum()),
        n_uncounted=int((~ok).sum()), t_min=int(t.min()) if len(t) else 0,
        t_max=int(t.max()) if len(t) else 0, crs=a["crs"],
    )
