"""Incident demand per hour of the week, and coverage: how well staffing matches it.

Demand ``d_t``
    incident weight in hour-of-week ``t`` per week (from :mod:`analysis.temporal.matrix`,
    aoristic for from/to windows; see :func:`demand_from_incidents`). Hours are slots of
    :mod:`analysis.staffing.week`.
Coverage
    ``on_t`` officers on duty in slot ``t``; ``k = sum_t d_t / sum_t on_t`` (the incident load
    per officer-hour if staffing absorbed demand evenly);
    ``coverage = sum_t min(d_t, k on_t) / sum_t d_t``: the share of demand met if every
    officer-hour absorbs the average load (issue 5). 1.0 means staffing exactly proportional
    to demand. Since ``sum_t min(a_t, b_t) = (sum a + sum b - sum |a - b|) / 2`` and
    ``sum_t k on_t = sum_t d_t``, coverage is also ``1 - sum_t |d_t - k on_t| / (2 sum_t d_t)``:
    one minus half the L1 distance between the demand and staffing shapes. A current rota is
    scored with the same formula (:func:`analysis.staffing.rota_score.score_rota`), so the
    comparison is like for like.
Officer units
    For a plan of ``N`` officers a day on ``L``-hour shifts ``sum_t on_t = 7 N L`` is fixed, so
    ``k`` is a constant; :func:`officer_units` rescales demand to ``d'_t = d_t 7 N L / sum d``
    (``k = 1``), the form the solvers maximise ``sum_t min(d'_t, on_t)`` in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from analysis.progress import BeatwiseError, ProgressFn, report
from analysis.staffing.week import HOURS_PER_WEEK, WEEKDAY_ABBR

OBJECTIVE = (
    "Coverage = sum over the 168 hours of the week of min(demand, k x officers on duty) / total "
    "demand, with k = total demand / total officer-hours: the share of incident demand met if "
    "every officer-hour absorbs the average load (1.0 = staffing exactly proportional to demand).")

TIMES_NEEDED = (
    "Shift timing needs the time of day of each incident. Import data that carries it: a force "
    "RMS/CAD export with date-times, a CSV or XLSX with a date-time column (--time) or a date "
    "and a time-of-day column (--date with --time-of-day), or from/to windows (--start/--end, "
    "spread aoristically). data.police.uk files have only the month and cannot be used.")


@dataclass(frozen=True)
class Demand:
    """Incident demand per hour of the week, per week, for
    :func:`analysis.staffing.timing.recommend_shifts`.

    Attributes
    ----------
    per_hour : tuple of 168 float
        Incident weight per week in each hour of the week (Monday 00:00 first): the
        aoristic hour x weekday matrix of :func:`analysis.temporal.matrix.hour_weekday_matrix`
        divided by ``weeks``.
    weeks : float
        Length of the date range in weeks (the filter's ``--from``/``--to`` days when given,
        else first to last day with a timed incident, both inclusive).
    first_day, last_day : datetime.date
    n, n_total : int
        Incidents with a time of day used, and incidents selected.
    weighting : str
        ``exact``, ``aoristic`` or ``mixed`` (from the temporal profile).
    message : str
        The temporal profile's message (e.g. how many rows had no time of day).
    """

    per_hour: tuple[float, ...] = field(repr=False)
    weeks: float
    first_day: Any
    last_day: Any
    n: int
    n_total: int
    weighting: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"weeks": self.weeks, "first_day": str(self.first_day), "last_day": str(self.last_day),
                "n": self.n, "n_total": self.n_total, "weighting": self.weighting,
                "message": self.message}


def demand_from_incidents(incidents, *, filters=None, street: Optional[str] = None,
                          street_area: Optional[str] = None,
                          progress: Optional[ProgressFn] = None) -> Demand:
    """Demand per hour of the week per week, from incidents with times of day.

    Parameters
    ----------
    incidents : GeoDataFrame following the data contract (``t_start``, ``t_end``,
        ``time_precision``, ``weight``).
    filters : optional ``analysis.filters.Filters`` (crime types, dates, area, polygon).
    street, street_area : optional street filter (``analysis.hotspots.streets.filter_street``).
    progress : optional progress callback.

    Raises
    ------
    BeatwiseError
        When nothing is selected, or no selected incident has a time of day (e.g. month-only
        data.police.uk data): the message says which file formats carry incident times.
    """
    import pandas as pd

    from analysis.temporal.matrix import hour_weekday_matrix

    report(progress, 0.0, "Selecting incidents")
    if filters is not None:
        from analysis.filters import apply_filters
        incidents = apply_filters(incidents, filters)
    if street is not None:
        from analysis.hotspots.streets import filter_street
        incidents = filter_street(incidents, street, area=street_area)
    profile = hour_weekday_matrix(incidents)
    if profile.matrix is None:
        if profile.n_total == 0:
            raise BeatwiseError("No incidents match the selection: there is no demand to plan "
                                "shifts against. Widen the filters (crime type, dates, area).")
        why = profile.excluded_reason.split(":")[0] if profile.excluded_reason else \
            "none has a time of day"
        raise BeatwiseError(f"None of the {profile.n_total:,} incidents selected has a time of day "
                            f"({why}). {TIMES_NEEDED}")
    report(progress, 0.8, "Demand per week")
    prec = incidents["time_precision"].astype(str).to_numpy()
    timed = np.isin(prec, ("minute", "window")) & pd.to_datetime(incidents["t_start"]).notna().to_numpy()
    t_start = pd.to_datetime(incidents["t_start"])[timed]
    t_end = pd.to_datetime(incidents["t_end"])[timed]
    is_window = (prec[timed] == "window") & t_end.notna().to_numpy() & (t_end > t_start).to_numpy()
    last = pd.Timestamp(t_start.max())
    if is_window.any():                             # a window ends just before its (exclusive) end
        last = max(last, pd.Timestamp(t_end[is_window].max()) - pd.Timedelta(1, "ns"))
    first_day = pd.Timestamp(t_start.min()).normalize().date()
    last_day = last.normalize().date()
    if filters is not None and getattr(filters, "date_from", None) is not None:
        first_day = filters.date_from
    if filters is not None and getattr(filters, "date_to", None) is not None:
        last_day = filters.date_to
    days = (pd.Timestamp(last_day) - pd.Timestamp(first_day)).days + 1
    weeks = max(days, 1) / 7.0
    per_hour = np.asarray(profile.matrix, dtype=float).reshape(HOURS_PER_WEEK) / weeks
    report(progress, 1.0, "Done")
    return Demand(per_hour=tuple(float(v) for v in per_hour), weeks=weeks, first_day=first_day,
                  last_day=last_day, n=profile.n, n_total=profile.n_total,
                  weighting=profile.weighting, message=profile.message)


def as_demand(demand) -> np.ndarray:
    """168 hour-of-week values (or 7 x 24) as a checked array; :class:`BeatwiseError` if not
    finite, negative somewhere or zero everywhere."""
    d = np.asarray(demand, dtype=float)
    if d.shape == (7, 24):
        d = d.reshape(HOURS_PER_WEEK)
    if d.shape != (HOURS_PER_WEEK,):
        raise BeatwiseError(f"demand must have 168 hour-of-week values (or 7 x 24), got shape {d.shape}")
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise BeatwiseError("demand must be finite and not negative in every hour")
    if d.sum() <= 0:
        raise BeatwiseError("there is no incident demand to staff against (every hour is 0): "
                            "check the filters and that the incidents have times of day")
    return d


def coverage(demand, on_duty) -> float:
    """Share of demand met if every officer-hour absorbs the average load.

    ``coverage = sum_t min(d_t, k on_t) / sum_t d_t`` with ``k = sum_t d_t / sum_t on_t``
    (issue 5). 0.0 when nobody is on duty.

    Parameters
    ----------
    demand : 168 values (or 7 x 24, Monday first), incidents per week per hour of the week.
    on_duty : 168 values, officers on duty per hour (may be fractional).
    """
    d = as_demand(demand)
    on = np.asarray(on_duty, dtype=float).reshape(-1)
    if on.shape != (HOURS_PER_WEEK,):
        raise BeatwiseError(f"on_duty must have 168 hour-of-week values, got {on.size}")
    if not np.all(np.isfinite(on)) or np.any(on < 0):
        raise BeatwiseError("officers on duty must be finite and not negative")
    total_on = float(on.sum())
    if total_on <= 0:
        return 0.0
    k = float(d.sum()) / total_on
    return float(np.minimum(d, k * on).sum() / d.sum())


def officer_units(d: np.ndarray, officers: int, length_h: int) -> tuple[np.ndarray, float]:
    """Demand rescaled to officers (``k = 1``): ``d'_t = d_t 7 N L / sum d``, and ``7 N L``."""
    total = 7.0 * officers * length_h
    return d * (total / d.sum()), total


@dataclass(frozen=True)
class UnderstaffedHour:
    """An hour whose demand is above ``k x on_duty`` (demand the plan's staffing leaves over).

    ``demand`` is incidents per week in that hour; ``needed`` = demand / k, the officers that
    staffing exactly proportional to demand would put on; ``shortfall`` = demand - k on_duty.
    """

    weekday: int
    hour: int
    demand: float
    on_duty: float
    needed: float
    shortfall: float

    def to_dict(self) -> dict[str, Any]:
        return {"weekday": WEEKDAY_ABBR[self.weekday], "hour": self.hour,
                "time": f"{self.hour:02d}:00-{self.hour:02d}:59", "demand": self.demand,
                "on_duty": self.on_duty, "needed": self.needed, "shortfall": self.shortfall}


def understaffed(d: np.ndarray, on: np.ndarray) -> tuple[UnderstaffedHour, ...]:
    """The hours with demand above ``k x on_duty``, largest shortfall first."""
    total_on = float(on.sum())
    if total_on <= 0:
        return ()
    k = float(d.sum()) / total_on
    short = d - k * on
    tol = 1e-9 * float(d.max())
    order = [int(t) for t in np.argsort(-short, kind="stable") if short[t] > tol]
    return tuple(UnderstaffedHour(weekday=t // 24, hour=t % 24, demand=float(d[t]),
                                  on_duty=float(on[t]), needed=float(d[t] / k),
                                  shortfall=float(short[t])) for t in order)
