"""When incidents happen: the hour x weekday matrix with aoristic weighting.

Every function takes an incidents GeoDataFrame following the data contract in
``notes/TEAM.md`` / ``DESIGN.md`` (``t_start``, ``t_end``, ``time_precision``, ``weight``,
``crime_type``, ``source_row``) and returns a frozen dataclass.

Only rows with a time of day enter an hour x weekday matrix:

* ``minute`` rows (exact times, ``t_start == t_end``) count their weight in their hour;
* ``window`` rows (``t_start < t_end``, end exclusive) are spread *aoristically*
  (Ratcliffe, J. H. 2000, "Aoristic analysis: the spatial interpretation of unspecific
  temporal events", IJGIS 14(7)): the weight of hour-of-week bin ``b`` is
  ``|[s, e) ∩ b| / (e - s)`` summed over every week the window touches; a window longer than
  7 days is spread evenly over all 168 hour-of-week bins. A window row whose end is missing or
  equal to its start is an exact time at its start.

``day``, ``month`` and ``none`` rows have no time of day; they are counted in
``n_excluded_no_time`` with the reason and never given an invented time. data.police.uk
data is month-only: its profile has ``matrix=None`` and the by-month and crime-type
breakdowns instead.

The functions take the incidents to profile: a caller that wants one street's profile selects the
street's incidents first (``analysis.hotspots.streets.filter_street``), so this module depends on no
other question package. The before/after comparison is :mod:`analysis.temporal.compare`.

Weights: each incident contributes its ``weight`` column (1.0 unless the import was given a
weights column), so the matrix sums to ``total_weight``; with the default weights that is the
number of incidents used, ``n``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.progress import BeatwiseError, ProgressFn, report

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_PER_WEEK = 168

_NS_PER_HOUR = 3_600_000_000_000
_NS_PER_WEEK = HOURS_PER_WEEK * _NS_PER_HOUR
# 1970-01-01 (the int64 epoch of datetime64[ns]) was a Thursday: Monday 1969-12-29 is 3 days earlier.
_EPOCH_MONDAY_OFFSET_NS = 3 * 24 * _NS_PER_HOUR

#: Time precisions that carry a time of day (the rows of an hour x weekday matrix).
TIMED_PRECISIONS = ("minute", "window")
_PRECISION_WORDS = {
    "month": "have only a month (no day, no time of day)",
    "day": "have only a date (no time of day)",
    "none": "have no date or time",
}



@dataclass(frozen=True)
class Peak:
    """The busiest hour-of-week cell: ``weekday`` 0 = Monday .. 6 = Sunday, ``hour`` 0..23."""

    weekday: int
    hour: int
    value: float

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]

    def to_dict(self) -> dict[str, Any]:
        return {"weekday": self.weekday_name, "weekday_index": self.weekday,
                "hour": self.hour, "value": self.value}


@dataclass(frozen=True)
class TemporalProfile:
    """When the incidents happened.

    Attributes
    ----------
    matrix : ndarray (7, 24) or None
        Incident weight per weekday (row 0 = Monday) and hour of day (column 0 = 00:00-00:59),
        read-only. ``None`` when no incident has a time of day (e.g. data.police.uk).
    n : int
        Incidents in the matrix (``minute`` + ``window`` rows).
    n_total : int
        Incidents given (after any filters).
    total_weight : float
        Sum of the matrix (= sum of the used rows' ``weight``; = ``n`` with default weights).
    weighting : str
        ``exact`` (all exact times), ``aoristic`` (all windows), ``mixed``, or ``none`` (no matrix).
    n_exact, n_window, n_window_over_week : int
        Exact-time rows, window rows, and window rows longer than 7 days (spread evenly).
    n_excluded_no_time : int
        Rows left out of the matrix because they have no time of day.
    excluded_by_precision : dict
        ``{"month": k, "day": k, "none": k}`` for the excluded rows (only non-zero entries).
    excluded_reason : str
        Plain-language reason for the exclusions ("" if none).
    message : str
        What the user should be told (e.g. month-only data cannot give an hour profile).
    by_month : dict
        ``"YYYY-MM" -> weight`` over every incident with a date (month of ``t_start``; a window
        counts in the month it starts), gaps between the first and last month filled with 0.
    by_crime_type : dict
        ``crime type -> weight`` over all given incidents, largest first ("" shown as "(unknown)").
    by_weekday, by_hour : tuple or None
        Row and column sums of ``matrix`` (Monday first; hour 0 first).
    peak : Peak or None
        The largest matrix cell (ties: the earliest in the week).
    filters : the filters the profile was made with (``None`` if none were applied here).
    """

    matrix: Optional[np.ndarray] = field(repr=False)
    n: int
    n_total: int
    total_weight: float
    weighting: str
    n_exact: int
    n_window: int
    n_window_over_week: int
    n_excluded_no_time: int
    excluded_by_precision: dict
    excluded_reason: str
    message: str
    by_month: dict
    by_crime_type: dict
    by_weekday: Optional[tuple]
    by_hour: Optional[tuple]
    peak: Optional[Peak]
    filters: Any = None

    @property
    def has_times(self) -> bool:
        return self.matrix is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (keys used by ``beatwise temporal --json``)."""
        return {
            "n": self.n,
            "n_total": self.n_total,
            "total_weight": self.total_weight,
            "weighting": self.weighting,
            "n_exact": self.n_exact,
            "n_window": self.n_window,
            "n_window_over_week": self.n_window_over_week,
            "n_excluded_no_time": self.n_excluded_no_time,
            "excluded_by_precision": dict(self.excluded_by_precision),
            "excluded_reason": self.excluded_reason,
            "message": self.message,
            "matrix": None if self.matrix is None else [[float(v) for v in row] for row in self.matrix],
            "by_month": dict(self.by_month),
            "by_crime_type": dict(self.by_crime_type),
            "by_weekday": None if self.by_weekday is None else dict(zip(WEEKDAYS, self.by_weekday)),
            "by_hour": None if self.by_hour is None else list(self.by_hour),
            "peak": None if self.peak is None else self.peak.to_dict(),
        }


# ---------------------------------------------------------------------------------------------
# hour-of-week arithmetic

def _ns(times) -> np.ndarray:
    """int64 nanoseconds since the epoch, whatever the datetime64 unit (pandas 2 may use s/us)."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_localize(None)
    return np.asarray(index.as_unit("ns").asi8, dtype=np.int64)


def hour_of_week_ns(times: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Nanoseconds since Monday 00:00 of the same week (int64 in ``[0, 168 h)``), naive local time."""
    values = _ns(times)
    return np.mod(values + _EPOCH_MONDAY_OFFSET_NS, _NS_PER_WEEK)


def _below_and_at(pos_ns: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``G[b] = sum_i coef_i * clip(r_i - b, 0, 1)`` for r_i = pos_i in hours, pos_i in [0, 1 week).

    ``clip(r - b, 0, 1)`` is the overlap (hours) of ``[0, r)`` with hour bin ``[b, b+1)``:
    1 for ``b < floor(r)``, the fractional part of ``r`` for ``b == floor(r)``, 0 above.
    """
    k = (pos_ns // _NS_PER_HOUR).astype(np.int64)
    frac = (pos_ns - k * _NS_PER_HOUR).astype(np.float64) / _NS_PER_HOUR
    per_bin = np.bincount(k, weights=coef, minlength=HOURS_PER_WEEK + 1)
    # sum of coef over incidents with k_i > b  ==  total - cumulative sum up to and including b
    strictly_above = coef.sum() - np.cumsum(per_bin)
    at = np.bincount(k, weights=coef * frac, minlength=HOURS_PER_WEEK + 1)
    return (strictly_above + at)[:HOURS_PER_WEEK]


def aoristic_week_weights(t_start, t_end, weights=None) -> np.ndarray:
    """Sum of aoristic weights of windows ``[t_start, t_end)`` over the 168 hour-of-week bins.

    Vectorised (no loop per incident): with ``C_b(x)`` the time in ``[0, x)`` (hours from the
    Monday 00:00 of the window's start week) that falls in hour-of-week bin ``b`` of any week,
    ``C_b(x) = floor(x / 168) + clip(x mod 168 - b, 0, 1)``, the overlap of the window with bin
    ``b`` is ``C_b(a + D) - C_b(a)`` (a = start position, D = duration), divided by ``D``
    (Ratcliffe 2000). Windows longer than 7 days get ``1/168`` per bin. Returned array index
    ``b = 24 * weekday + hour`` (Monday first), summing to the total weight.

    Parameters
    ----------
    t_start, t_end : datetime-like sequences of equal length, ``t_end > t_start``.
    weights : optional per-window weights (default 1).
    """
    start = _ns(t_start)
    end = _ns(t_end)
    w = np.ones(len(start)) if weights is None else np.asarray(weights, dtype=np.float64)
    out = np.zeros(HOURS_PER_WEEK)
    if len(start) == 0:
        return out
    duration = end - start
    if np.any(duration <= 0):
        raise ValueError("aoristic windows need t_end > t_start")
    long = duration > _NS_PER_WEEK
    if long.any():
        out += w[long].sum() / HOURS_PER_WEEK
    keep = ~long
    if keep.any():
        a = hour_of_week_ns(start[keep])
        d = duration[keep]
        c = w[keep] / (d.astype(np.float64) / _NS_PER_HOUR)  # weight per hour of window
        b = a + d                                                # < 2 weeks
        wraps = b >= _NS_PER_WEEK
        out += c[wraps].sum()                                    # floor((a+D)/168) == 1 term
        out += _below_and_at(np.where(wraps, b - _NS_PER_WEEK, b), c)
        out -= _below_and_at(a, c)
    # cancellation leaves round-off of order 1e-15 * total in empty bins; never let it go negative
    scale = max(float(w.sum()), 1.0)
    out[np.abs(out) < 1e-12 * scale] = 0.0
    return out


def exact_week_weights(times, weights=None) -> np.ndarray:
    """Weights of exact times summed into their hour-of-week bin (index ``24 * weekday + hour``)."""
    pos = hour_of_week_ns(times)
    w = np.ones(len(pos)) if weights is None else np.asarray(weights, dtype=np.float64)
    return np.bincount(pos // _NS_PER_HOUR, weights=w, minlength=HOURS_PER_WEEK)[:HOURS_PER_WEEK]


# ---------------------------------------------------------------------------------------------
# helpers shared with analysis.temporal.compare and the street profile

def _weights(incidents: pd.DataFrame) -> np.ndarray:
    if "weight" in incidents.columns:
        w = pd.to_numeric(incidents["weight"], errors="coerce").to_numpy(dtype=np.float64)
        return np.where(np.isfinite(w), w, 1.0)
    return np.ones(len(incidents))


def time_precision(incidents: pd.DataFrame) -> pd.Series:
    """The ``time_precision`` column, lower case, missing as ``none``."""
    if "time_precision" not in incidents.columns:
        raise BeatwiseError("incidents have no 'time_precision' column: import them with read_incidents")
    return incidents["time_precision"].fillna("none").astype(str).str.lower()


def month_series(incidents: pd.DataFrame) -> dict[str, float]:
    """``"YYYY-MM" -> weight`` by the month of ``t_start``, gaps filled with 0, rows without a date skipped."""
    if len(incidents) == 0 or "t_start" not in incidents.columns:
        return {}
    t = pd.to_datetime(incidents["t_start"])
    ok = t.notna().to_numpy()
    if not ok.any():
        return {}
    periods = t[ok].dt.to_period("M")
    sums = pd.Series(_weights(incidents)[ok], index=pd.PeriodIndex(periods)).groupby(level=0).sum()
    full = pd.period_range(sums.index.min(), sums.index.max(), freq="M")
    sums = sums.reindex(full, fill_value=0.0)
    return {str(p): float(v) for p, v in sums.items()}


def crime_type_series(incidents: pd.DataFrame) -> dict[str, float]:
    """``crime type -> weight``, largest first, ties alphabetical; "" becomes "(unknown)"."""
    if len(incidents) == 0:
        return {}
    types = (incidents["crime_type"].fillna("").astype(str) if "crime_type" in incidents.columns
             else pd.Series([""] * len(incidents), index=incidents.index))
    types = types.replace("", "(unknown)")
    sums = pd.Series(_weights(incidents), index=types.values).groupby(level=0).sum()
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))
    return {str(k): float(v) for k, v in ordered}


def apply_optional_filters(incidents, filters):
    """``incidents`` passing ``filters`` (an ``analysis.filters.Filters``), or all when None."""
    if filters is not None:
        from analysis.filters import apply_filters
        incidents = apply_filters(incidents, filters)
    return incidents


# ---------------------------------------------------------------------------------------------
# the matrix

def hour_weekday_matrix(incidents: pd.DataFrame, progress: Optional[ProgressFn] = None, *,
                        filters: Any = None) -> TemporalProfile:
    """Hour x weekday profile of incidents (7 x 24, Monday first), aoristic for windows.

    Parameters
    ----------
    incidents : GeoDataFrame (data contract) or DataFrame with the same time columns.
        For one street's profile, pass the street's incidents
        (``analysis.hotspots.streets.filter_street``).
    progress : optional progress callback; ``Cancelled`` propagates.
    filters : optional ``analysis.filters.Filters`` applied first (crime type, dates, area, polygon).

    Returns
    -------
    TemporalProfile
        See the class. The matrix sums to the used rows' total weight (= ``n`` by default).

    Raises
    ------
    BeatwiseError
        If a window row ends before it starts (naming its source row).

    Notes
    -----
    Aoristic weighting after Ratcliffe (2000); DESIGN.md §7. Fully vectorised: the NYC file's
    35,746 incidents take under 0.1 s (tests/benchmarks/bench_temporal.py).
    """
    report(progress, 0.0, "Selecting incidents")
    incidents = apply_optional_filters(incidents, filters)
    n_total = len(incidents)
    prec = time_precision(incidents).to_numpy()
    weights = _weights(incidents)
    t_start = pd.to_datetime(incidents["t_start"]) if n_total else pd.Series([], dtype="datetime64[ns]")
    t_end = pd.to_datetime(incidents["t_end"]) if n_total else pd.Series([], dtype="datetime64[ns]")
    start_ok = t_start.notna().to_numpy()

    timed = np.isin(prec, TIMED_PRECISIONS) & start_ok
    duration = (t_end - t_start).to_numpy()
    end_ok = t_end.notna().to_numpy()
    is_window = timed & (prec == "window") & end_ok & (duration > np.timedelta64(0, "ns"))
    bad = timed & (prec == "window") & end_ok & (duration < np.timedelta64(0, "ns"))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = incidents.iloc[i]
        where = ""
        if "source_row" in incidents.columns:
            where = f" ({row.get('source_file', '')} row {row['source_row']})".replace("( row", "(row")
        raise BeatwiseError(
            f"{int(bad.sum())} incident window(s) end before they start, e.g. "
            f"{row['t_start']} to {row['t_end']}{where}: fix the from/to columns or re-import "
            "(the importer rejects such rows)")
    is_exact = timed & ~is_window
    report(progress, 0.3, "Spreading time windows (aoristic)")

    excluded = ~timed
    counts = {"month": int(np.sum(excluded & (prec == "month"))),
              "day": int(np.sum(excluded & (prec == "day")))}
    counts["none"] = int(excluded.sum()) - counts["month"] - counts["day"]
    n_exact = int(is_exact.sum())
    n_window = int(is_window.sum())
    week = None
    if n_exact + n_window:
        week = exact_week_weights(t_start[is_exact], weights[is_exact])
        week = week + aoristic_week_weights(t_start[is_window], t_end[is_window], weights[is_window])
    report(progress, 0.9, "Summarising")
    parts = WeekParts(n_total=n_total, excluded=counts, n_exact=n_exact, n_window=n_window,
                      n_window_over_week=int(np.sum(is_window & (duration > np.timedelta64(_NS_PER_WEEK, "ns")))),
                      week=week, total_weight=float(weights[is_exact | is_window].sum()),
                      by_month=month_series(incidents), by_crime_type=crime_type_series(incidents))
    report(progress, 1.0, "Done")
    return profile_from_parts(parts, filters)


@dataclass(frozen=True)
class WeekParts:
    """The sums a :class:`TemporalProfile` is made of, however they were counted (here from the rows,
    or by a database: :func:`analysis.store.week.server_week_profile`).

    ``excluded`` counts the rows without a time of day by precision (``month``, ``day``, ``none``);
    ``week`` holds the 168 hour-of-week weights (Monday 00:00 first; None when no row is timed);
    ``by_month`` is :func:`month_series`, ``by_crime_type`` :func:`crime_type_series`.
    """

    n_total: int
    excluded: dict
    n_exact: int
    n_window: int
    n_window_over_week: int
    week: Optional[np.ndarray]
    total_weight: float
    by_month: dict
    by_crime_type: dict


def profile_from_parts(parts: WeekParts, filters: Any = None) -> TemporalProfile:
    """The :class:`TemporalProfile` of :func:`hour_weekday_matrix` from its sums."""
    excluded_by = {p: k for p, k in parts.excluded.items() if k}
    n_excluded = sum(parts.excluded.values())
    n_total = parts.n_total
    reason = "; ".join(f"{k:,} {_PRECISION_WORDS[p]}" for p, k in excluded_by.items())
    if reason:
        reason += ": left out of the hour x weekday profile (no times are invented)"
    by_month, by_type = parts.by_month, parts.by_crime_type
    n_exact, n_window = parts.n_exact, parts.n_window
    n = n_exact + n_window
    if n == 0:
        if n_total == 0:
            message = "No incidents match the selection."
        elif excluded_by.get("month", 0) == n_total:
            message = ("These incidents have only a month (data.police.uk publishes no day or time of "
                       "day), so there is no hour x weekday profile; showing counts by month and by "
                       "crime type instead. Import force data with times for an hour profile.")
        else:
            message = ("None of these incidents has a time of day, so there is no hour x weekday "
                       "profile; showing counts by month and by crime type instead.")
        return TemporalProfile(
            matrix=None, n=0, n_total=n_total, total_weight=0.0, weighting="none", n_exact=0,
            n_window=0, n_window_over_week=0, n_excluded_no_time=n_excluded,
            excluded_by_precision=excluded_by, excluded_reason=reason, message=message,
            by_month=by_month, by_crime_type=by_type, by_weekday=None, by_hour=None, peak=None,
            filters=filters)
    matrix = np.asarray(parts.week, dtype=np.float64).reshape(7, 24).copy()
    matrix.setflags(write=False)
    weighting = "mixed" if (n_exact and n_window) else ("aoristic" if n_window else "exact")
    flat = int(np.argmax(matrix))
    peak = Peak(weekday=flat // 24, hour=flat % 24, value=float(matrix.flat[flat]))
    message = f"{n:,} incidents with a time of day ({weighting})."
    if reason:
        message += " " + reason[0].upper() + reason[1:] + "."
    return TemporalProfile(
        matrix=matrix, n=n, n_total=n_total, total_weight=parts.total_weight,
        weighting=weighting, n_exact=n_exact, n_window=n_window, n_window_over_week=parts.n_window_over_week,
        n_excluded_no_time=n_excluded, excluded_by_precision=excluded_by, excluded_reason=reason,
        message=message, by_month=by_month, by_crime_type=by_type,
        by_weekday=tuple(float(v) for v in matrix.sum(axis=1)),
        by_hour=tuple(float(v) for v in matrix.sum(axis=0)), peak=peak, filters=filters)
