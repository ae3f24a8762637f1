"""Forecast periods (week, day, shift) and each incident's time on one clock, in days.

Times are local wall-clock times (as the incidents carry them), counted in days since 1970-01-01
00:00 as floats, so a period is an interval ``[start, start + length)`` of that number line:

* ``week``: Monday 00:00 to the next Monday (1970-01-05 was a Monday);
* ``day``: 00:00 to 00:00;
* ``shift``: three 8-hour tours a day from 06:00 (06:00-14:00, 14:00-22:00, 22:00-06:00), the
  early / late / night pattern of UK response policing.

An incident's time (:func:`incident_days`) is its exact time (``minute``), the middle of its
from/to window (``window``), or noon of its day (``day``). Incidents known to the month only
(data.police.uk) cannot be placed in a week: forecasting them is refused with a message.
"""
from __future__ import annotations

import math

import numpy as np

from analysis.progress import BeatwiseError

#: Length of each period in days.
PERIOD_DAYS = {"week": 7.0, "day": 1.0, "shift": 8.0 / 24.0}
PERIODS = tuple(PERIOD_DAYS)
#: Where each period's boundaries are anchored (days since 1970-01-01 00:00).
_ANCHOR_DAYS = {"week": 4.0, "day": 0.0, "shift": 0.25}
_SHIFT_NAMES = {6: "early", 14: "late", 22: "night"}
#: Incident time precisions that can be placed in each period (a day-only time has no shift).
_USABLE = {"week": ("minute", "window", "day"), "day": ("minute", "window", "day"), "shift": ("minute", "window")}
_NS_PER_DAY = 86_400 * 10**9


def check_period(period: str) -> float:
    """The length in days of ``period``; a clear message for an unknown one."""
    if period not in PERIOD_DAYS:
        raise BeatwiseError(f"--period must be one of {', '.join(PERIODS)}, got {period!r}")
    return PERIOD_DAYS[period]


def period_floor(t_days, period: str) -> np.ndarray:
    """Start of the period holding each time (same shape as ``t_days``)."""
    length = check_period(period)
    anchor = _ANCHOR_DAYS[period]
    t = np.asarray(t_days, dtype=float)
    return anchor + np.floor((t - anchor) / length + 1e-9) * length


def period_ceil(t_days: float, period: str) -> float:
    """The first period boundary at or after ``t_days``."""
    start = float(period_floor(t_days, period))
    return start if math.isclose(start, t_days, abs_tol=1e-9) else start + PERIOD_DAYS[period]


def period_label(start_days: float, period: str) -> str:
    """``week of 2019-12-23``, ``2019-12-23`` or ``2019-12-23 night (22:00-06:00)``."""
    ns = int(round(start_days * _NS_PER_DAY / 60e9)) * 60_000_000_000
    when = np.datetime64(ns, "ns")
    day = str(when.astype("datetime64[D]"))
    if period == "week":
        return f"week of {day}"
    if period == "day":
        return day
    hour = int((start_days % 1.0) * 24 + 0.5) % 24
    return f"{day} {_SHIFT_NAMES.get(hour, 'shift')} ({hour:02d}:00-{(hour + 8) % 24:02d}:00)"


def incident_days(incidents, period: str) -> tuple[np.ndarray, np.ndarray]:
    """``(keep, t_days)``: the incidents whose time can be placed in ``period``, and their times.

    Raises
    ------
    BeatwiseError
        Month-only data (data.police.uk), or no incident with a usable time.
    """
    check_period(period)
    prec = incidents["time_precision"].astype(str).to_numpy()
    start = incidents["t_start"].to_numpy().astype("datetime64[ns]")
    end = incidents["t_end"].to_numpy().astype("datetime64[ns]") if "t_end" in incidents else start
    usable = np.isin(prec, _USABLE[period]) & ~np.isnat(start)
    if not usable.any():
        if len(prec) and (prec == "month").all():
            raise BeatwiseError("these incidents have months only (data.police.uk): a forecast needs dates "
                                "(for --period week or day) or times (for --period shift)")
        if period == "shift" and np.isin(prec, ["day"]).any():
            raise BeatwiseError("these incidents have dates but no times of day: use --period week or day, "
                                "not shift")
        raise BeatwiseError("no incident has a usable date and time for a forecast")
    s = start[usable].astype(np.int64) / _NS_PER_DAY
    p = prec[usable]
    t = s.copy()
    day = p == "day"
    t[day] = np.floor(s[day]) + 0.5
    win = p == "window"
    if win.any():
        e = end[usable][win]
        e_days = np.where(np.isnat(e), s[win], e.astype(np.int64) / _NS_PER_DAY)
        t[win] = 0.5 * (s[win] + e_days)
    out = np.zeros(len(prec))
    out[usable] = t
    return usable, out[usable]
