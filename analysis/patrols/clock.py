"""UTC instants against the local clock: hour-of-week slots and policing days, in integer nanoseconds.

Presence time is "shared across hour-of-week slots in proportion to time" (DESIGN.md section 7);
visits are counted per policing day (Koper 1995 dosage is a daily habit). This module does both cuts.

Pings carry UTC instants (DESIGN.md section 2); people read the week on the local clock
(Europe/London). Slot ``24 * weekday + hour`` of local time, Monday 00:00 = slot 0 (the same week as
``analysis.staffing.week``). UK offsets are whole hours, so every UTC hour is exactly one local hour:
intervals are cut at UTC hour boundaries and each piece takes the local slot of its hour. In the
autumn week the local 01:00 slot on Sunday gets two hours, in the spring week none.

A policing day starts at ``day_start`` local time (default 06:00): the local instant ``t`` belongs
to the day of ``t - day_start``. Everything here is integer nanoseconds, so splitting an interval
never loses or creates time.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis.progress import BeatwiseError

LOCAL_TZ = "Europe/London"
HOURS_PER_WEEK = 168
NS_PER_S = 1_000_000_000
NS_PER_MIN = 60 * NS_PER_S
NS_PER_HOUR = 3600 * NS_PER_S
NS_PER_DAY = 24 * NS_PER_HOUR
#: Intervals split at a time (bounds the memory of the pieces).
CHUNK = 1 << 20


def utc_ns(times) -> np.ndarray:
    """int64 nanoseconds since the epoch of tz-aware times (Series, DatetimeIndex or array).

    Raises
    ------
    BeatwiseError
        Naive times: pings are instants, and a naive time could be either side of a clock change.
    """
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        raise BeatwiseError("Ping times must be time-zone aware (UTC instants); got naive times. "
                            "Read pings with analysis.ingest.tracks, which converts them.")
    return np.asarray(index.tz_convert("UTC").as_unit("ns").asi8, dtype=np.int64)


def slot_of_hours(utc_hours: np.ndarray) -> np.ndarray:
    """Local hour-of-week slot (0..167) of each UTC hour number (``t_ns // NS_PER_HOUR``)."""
    utc_hours = np.asarray(utc_hours, dtype=np.int64)
    if utc_hours.size == 0:
        return np.zeros(0, dtype=np.int64)
    unique, inverse = np.unique(utc_hours, return_inverse=True)
    local = pd.DatetimeIndex(unique * NS_PER_HOUR, tz="UTC").tz_convert(LOCAL_TZ)
    slots = np.asarray(local.day_of_week, dtype=np.int64) * 24 + np.asarray(local.hour, dtype=np.int64)
    return slots[inverse.reshape(-1)]


def split_intervals(start: np.ndarray, end: np.ndarray, bounds: np.ndarray):
    """Cut intervals ``[start, end)`` at sorted boundaries, vectorised (no loop per interval).

    Parameters
    ----------
    start, end : int64 arrays
        Interval ends in ns, ``end >= start``.
    bounds : sorted int64 array
        Cut points. Bin ``k`` is ``[bounds[k-1], bounds[k])`` (bin 0 before the first bound).

    Returns
    -------
    owner, bin, piece_start, piece_end : int64 arrays
        One row per piece; pieces of an interval are consecutive and sum exactly to its length. A
        zero-length interval gives one zero-length piece.
    """
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    bounds = np.asarray(bounds, dtype=np.int64)
    first = np.searchsorted(bounds, start, side="right")
    last = np.maximum(np.searchsorted(bounds, end, side="left"), first)
    count = last - first + 1
    owner = np.repeat(np.arange(len(start), dtype=np.int64), count)
    offset = np.arange(len(owner), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    bin_ = first[owner] + offset
    edges = np.concatenate([[np.iinfo(np.int64).min], bounds, [np.iinfo(np.int64).max]])
    lo = np.maximum(start[owner], edges[bin_])
    hi = np.minimum(end[owner], edges[bin_ + 1])
    return owner, bin_, lo, hi


def hour_pieces(start: np.ndarray, end: np.ndarray):
    """Cut intervals at UTC hour boundaries; returns ``owner, slot, duration_ns`` per piece."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    if start.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    h0 = int(start.min() // NS_PER_HOUR)
    h1 = int(end.max() // NS_PER_HOUR)
    bounds = np.arange(h0 + 1, h1 + 1, dtype=np.int64) * NS_PER_HOUR
    owner, bin_, lo, hi = split_intervals(start, end, bounds)
    slot = slot_of_hours(h0 + bin_)
    return owner, slot, hi - lo


def hour_of_week_ns(start: np.ndarray, end: np.ndarray, weights=None, groups=None,
                    n_groups: int = 1) -> np.ndarray:
    """Time of intervals ``[start, end)`` per local hour-of-week slot, in integer ns.

    Parameters
    ----------
    start, end : int64 ns arrays
    weights : int array, optional
        Multiplies each interval's time (e.g. 1 per unit); default 1.
    groups : int array, optional
        Group of each interval (e.g. the hotspot); the result is then ``(n_groups, 168)``.

    Returns
    -------
    int64 array of shape ``(168,)`` (no groups) or ``(n_groups, 168)``; sums exactly to the total.
    """
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    shape = HOURS_PER_WEEK if groups is None else (n_groups, HOURS_PER_WEEK)
    out = np.zeros(shape, dtype=np.int64).reshape(-1)
    for lo in range(0, len(start), CHUNK):            # bounded memory for millions of segments
        sl = slice(lo, lo + CHUNK)
        owner, slot, dur = hour_pieces(start[sl], end[sl])
        if weights is not None:
            dur = dur * np.asarray(weights, dtype=np.int64)[sl][owner]
        cell = slot if groups is None else np.asarray(groups, dtype=np.int64)[sl][owner] * HOURS_PER_WEEK + slot
        # exact integer sums: bincount's float weights would round above 2**53 ns (104 days)
        order = np.argsort(cell, kind="stable")
        cell, dur = cell[order], dur[order]
        first = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        out[cell[first]] += np.add.reduceat(dur, first)
    return out.reshape(shape)


def parse_day_start(day_start: str | dt.time) -> dt.time:
    """``"06:00"`` (or a ``datetime.time``) -> ``datetime.time``; a clear message otherwise."""
    if isinstance(day_start, dt.time):
        return day_start
    try:
        hh, mm = str(day_start).strip().split(":")
        return dt.time(int(hh), int(mm))
    except (ValueError, TypeError):
        raise BeatwiseError(f"The policing day start must be HH:MM (e.g. 06:00), got {day_start!r}.") from None


def policing_day_bounds(t_min_ns: int, t_max_ns: int, day_start: str | dt.time = "06:00"):
    """Local ``day_start`` instants (UTC ns) around ``[t_min, t_max]`` and the day each bin is.

    Returns
    -------
    bounds : int64 array
        The day starts, sorted; bin ``k`` of :func:`split_intervals` is policing day ``days[k]``.
    days : list of datetime.date
        ``len(bounds) + 1`` dates: the day before the first bound, then one per bound.
    """
    start = parse_day_start(day_start)
    offset = pd.Timedelta(hours=start.hour, minutes=start.minute)
    lo = pd.Timestamp(int(t_min_ns), tz="UTC").tz_convert(LOCAL_TZ) - offset
    hi = pd.Timestamp(int(t_max_ns), tz="UTC").tz_convert(LOCAL_TZ) - offset
    dates = pd.date_range(lo.date(), hi.date() + dt.timedelta(days=1), freq="D")
    local = (dates + offset).tz_localize(LOCAL_TZ, nonexistent="shift_forward", ambiguous=True)
    bounds = np.asarray(local.tz_convert("UTC").as_unit("ns").asi8, dtype=np.int64)
    days = [(dates[0] - pd.Timedelta(days=1)).date()] + [d.date() for d in dates]
    return bounds, days
