"""When incidents happen: hour x weekday matrices with aoristic weighting, and period comparison.

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

Weights: each incident contributes its ``weight`` column (1.0 unless the import was given a
weights column), so the matrix sums to ``total_weight``; with the default weights that is the
number of incidents used, ``n``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
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

_TIMED = ("minute", "window")
_PRECISION_WORDS = {
    "month": "have only a month (no day, no time of day)",
    "day": "have only a date (no time of day)",
    "none": "have no date or time",
}

# Pooling ladder for the chi-square test, finest first (number of bins in brackets): hour blocks
# of the week that divide a day, so a block never straddles two weekdays, interleaved with
# hour-of-day blocks pooled over the seven weekdays (which keep the day/night contrast that
# whole-day blocks would lose). Each entry: (block_hours, across_weekdays).
POOL_LADDER = ((1, False), (2, False), (3, False), (4, False), (6, False),   # 168 84 56 42 28
               (1, True), (8, False), (12, False), (2, True), (3, True),     # 24 21 14 12 8
               (24, False), (4, True), (6, True), (8, True), (12, True))     # 7 6 4 3 2
MIN_EXPECTED = 5.0


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
    filters, street : parameters the profile was made with (``None`` if not applied here).
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
    street: Optional[str] = None

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
# helpers shared with streets.py

def _weights(incidents: pd.DataFrame) -> np.ndarray:
    if "weight" in incidents.columns:
        w = pd.to_numeric(incidents["weight"], errors="coerce").to_numpy(dtype=np.float64)
        return np.where(np.isfinite(w), w, 1.0)
    return np.ones(len(incidents))


def _precision(incidents: pd.DataFrame) -> pd.Series:
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


def _apply(incidents, filters, street, street_area):
    if filters is not None:
        from analysis.filters import apply_filters  # the lead's module
        incidents = apply_filters(incidents, filters)
    if street is not None:
        from analysis.hotspots.streets import filter_street
        incidents = filter_street(incidents, street, area=street_area)
    return incidents


# ---------------------------------------------------------------------------------------------
# the matrix

def hour_weekday_matrix(incidents: pd.DataFrame, progress: Optional[ProgressFn] = None, *,
                        filters: Any = None, street: Optional[str] = None,
                        street_area: Optional[str] = None) -> TemporalProfile:
    """Hour x weekday profile of incidents (7 x 24, Monday first), aoristic for windows.

    Parameters
    ----------
    incidents : GeoDataFrame (data contract) or DataFrame with the same time columns.
    progress : optional progress callback; ``Cancelled`` propagates.
    filters : optional ``analysis.filters.Filters`` applied first (crime type, dates, area, polygon).
    street, street_area : optional street filter (``analysis.hotspots.streets.filter_street``) applied after.

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
    incidents = _apply(incidents, filters, street, street_area)
    n_total = len(incidents)
    prec = _precision(incidents).to_numpy()
    weights = _weights(incidents)
    t_start = pd.to_datetime(incidents["t_start"]) if n_total else pd.Series([], dtype="datetime64[ns]")
    t_end = pd.to_datetime(incidents["t_end"]) if n_total else pd.Series([], dtype="datetime64[ns]")
    start_ok = t_start.notna().to_numpy()

    timed = np.isin(prec, _TIMED) & start_ok
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
    excluded_by = {p: k for p, k in counts.items() if k}
    n_excluded = int(excluded.sum())
    reason = "; ".join(f"{k:,} {_PRECISION_WORDS[p]}" for p, k in excluded_by.items())
    if reason:
        reason += ": left out of the hour x weekday profile (no times are invented)"

    by_month = month_series(incidents)
    by_type = crime_type_series(incidents)
    n_exact = int(is_exact.sum())
    n_window = int(is_window.sum())
    n = n_exact + n_window
    over_week = int(np.sum(is_window & (duration > np.timedelta64(_NS_PER_WEEK, "ns"))))

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
        report(progress, 1.0, "Done")
        return TemporalProfile(
            matrix=None, n=0, n_total=n_total, total_weight=0.0, weighting="none", n_exact=0,
            n_window=0, n_window_over_week=0, n_excluded_no_time=n_excluded,
            excluded_by_precision=excluded_by, excluded_reason=reason, message=message,
            by_month=by_month, by_crime_type=by_type, by_weekday=None, by_hour=None, peak=None,
            filters=filters, street=street)

    week = exact_week_weights(t_start[is_exact], weights[is_exact])
    week = week + aoristic_week_weights(t_start[is_window], t_end[is_window], weights[is_window])
    report(progress, 0.9, "Summarising")
    matrix = week.reshape(7, 24)
    matrix.setflags(write=False)
    weighting = "mixed" if (n_exact and n_window) else ("aoristic" if n_window else "exact")
    flat = int(np.argmax(matrix))
    peak = Peak(weekday=flat // 24, hour=flat % 24, value=float(matrix.flat[flat]))
    message = f"{n:,} incidents with a time of day ({weighting})."
    if reason:
        message += " " + reason[0].upper() + reason[1:] + "."
    report(progress, 1.0, "Done")
    return TemporalProfile(
        matrix=matrix, n=n, n_total=n_total, total_weight=float(weights[is_exact | is_window].sum()),
        weighting=weighting, n_exact=n_exact, n_window=n_window, n_window_over_week=over_week,
        n_excluded_no_time=n_excluded, excluded_by_precision=excluded_by, excluded_reason=reason,
        message=message, by_month=by_month, by_crime_type=by_type,
        by_weekday=tuple(float(v) for v in matrix.sum(axis=1)),
        by_hour=tuple(float(v) for v in matrix.sum(axis=0)), peak=peak, filters=filters,
        street=street)


# ---------------------------------------------------------------------------------------------
# period comparison

@dataclass(frozen=True)
class PeriodComparison:
    """Time-of-week profile before and after a date, as rates per week, with a chi-square test.

    Attributes
    ----------
    at : pandas.Timestamp
        The change date: incidents with ``t_start < at`` are "before", the rest "after" (a window
        belongs to the period it starts in).
    period_start, period_end : pandas.Timestamp
        The before period is ``[period_start, at)``, the after period ``[at, period_end)``.
    weeks_before, weeks_after : float
        Lengths of the periods in weeks (the rate denominators).
    before, after : TemporalProfile
        The two profiles (counts).
    before_rate, after_rate, change : ndarray (7, 24)
        Weight per week per hour-of-week cell, and ``after_rate - before_rate``.
    chi2, dof, p_value : float, int, float
        Pearson chi-square test of homogeneity (``scipy.stats.chi2_contingency``, no Yates
        correction) on the 2 x k table of before/after weight per time-of-week block; it asks
        whether the *distribution* over the week changed, not the volume.
    block_hours, across_weekdays, pooling : int, bool, str
        The level of :data:`POOL_LADDER` tested: the finest at which every expected count is at
        least 5 (Cochran's rule), e.g. 1-hour blocks of the week, or hours of the day with the
        weekdays pooled; blocks with no incidents in either period are dropped.
    n_blocks : int
        Columns of the tested table.
    reliable : bool
        False if even 24-hour blocks leave an expected count below 5 (then ``note`` says so).
    note : str
        Plain-language notes on pooling and reliability.
    """

    at: pd.Timestamp
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    weeks_before: float
    weeks_after: float
    before: TemporalProfile
    after: TemporalProfile
    before_rate: np.ndarray = field(repr=False)
    after_rate: np.ndarray = field(repr=False)
    change: np.ndarray = field(repr=False)
    chi2: float
    dof: int
    p_value: float
    block_hours: int
    across_weekdays: bool
    pooling: str
    n_blocks: int
    reliable: bool
    note: str

    def to_dict(self) -> dict[str, Any]:
        def rows(m):
            return [[float(v) for v in r] for r in m]
        return {
            "at": self.at.isoformat(),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "weeks_before": self.weeks_before,
            "weeks_after": self.weeks_after,
            "n_before": self.before.n,
            "n_after": self.after.n,
            "before": rows(self.before_rate),
            "after": rows(self.after_rate),
            "change": rows(self.change),
            "chi2": self.chi2,
            "dof": self.dof,
            "p_value": self.p_value,
            "block_hours": self.block_hours,
            "across_weekdays": self.across_weekdays,
            "pooling": self.pooling,
            "n_blocks": self.n_blocks,
            "reliable": self.reliable,
            "note": self.note,
        }


def pool_blocks(week: np.ndarray, block_hours: int, across_weekdays: bool = False) -> np.ndarray:
    """Sum a (..., 168) hour-of-week array into blocks of ``block_hours`` (must divide 24).

    With ``across_weekdays`` the seven days are added first, giving ``24 / block_hours``
    hour-of-day blocks; otherwise ``168 / block_hours`` blocks of the week.
    """
    if 24 % block_hours:
        raise ValueError("block_hours must divide 24")
    week = np.asarray(week, dtype=np.float64)
    if across_weekdays:
        week = week.reshape(*week.shape[:-1], 7, 24).sum(axis=-2)
    return week.reshape(*week.shape[:-1], week.shape[-1] // block_hours, block_hours).sum(axis=-1)


def _pooling_words(block_hours: int, across_weekdays: bool) -> str:
    unit = "hour" if block_hours == 1 else f"{block_hours}-hour blocks"
    if across_weekdays:
        return f"{unit} of the day (all weekdays together)"
    return "day of the week" if block_hours == 24 else f"{unit} of the week"


def chi_square_time_of_week(before_week: np.ndarray, after_week: np.ndarray) -> dict[str, Any]:
    """Chi-square test that two hour-of-week distributions (168 bins each) are the same.

    Pearson's chi-square test of homogeneity on the 2 x k table of weight per time block
    (``scipy.stats.chi2_contingency``, ``correction=False``). Sparse tables are pooled along
    :data:`POOL_LADDER` to the finest level at which every expected count is at least 5
    (Cochran's rule), dropping blocks empty in both periods. Pooling over weekdays tests a
    margin of the hour-of-week distribution: if it changed, the distribution changed, so the
    test stays valid (only its power differs). Aoristic weights are fractional: the table holds
    expected counts, which the test treats as counts (an approximation).

    Returns
    -------
    dict with ``chi2, dof, p_value, block_hours, across_weekdays, pooling, n_blocks, reliable,
    note``; ``reliable`` is False when even the coarsest level leaves an expected count below 5.
    """
    before_week = np.asarray(before_week, dtype=np.float64)
    after_week = np.asarray(after_week, dtype=np.float64)
    if before_week.sum() <= 0 or after_week.sum() <= 0:
        raise BeatwiseError("the comparison needs incidents with times both before and after the date")
    from scipy import stats  # here, not at import: scipy.stats takes ~0.5 s to load

    chosen = None
    fallback = None
    for size, across in POOL_LADDER:
        table = np.vstack([pool_blocks(before_week, size, across), pool_blocks(after_week, size, across)])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            continue
        fallback = (size, across, table)
        if stats.contingency.expected_freq(table).min() >= MIN_EXPECTED:
            chosen = (size, across, table)
            break
    if chosen is None:
        if fallback is None:
            raise BeatwiseError("all incidents fall in one time block: nothing to compare")
        chosen = fallback  # the coarsest level that still has two blocks
    size, across, table = chosen
    reliable = bool(stats.contingency.expected_freq(table).min() >= MIN_EXPECTED)
    res = stats.chi2_contingency(table, correction=False)
    pooling = _pooling_words(size, across)
    notes = []
    if (size, across) != (1, False):
        notes.append(f"tested by {pooling} so every expected count is at least 5")
    if np.any(np.abs(np.round(table) - table) > 1e-9):
        notes.append("aoristic weights spread windows over several hours, which smooths the "
                     "table: the test is conservative (a small p-value is still good evidence)")
    if not reliable:
        notes.append("too few incidents: some expected counts are below 5 even after pooling, "
                     "so the p-value is only indicative")
    return {"chi2": float(res.statistic), "dof": int(res.dof), "p_value": float(res.pvalue),
            "block_hours": int(size), "across_weekdays": bool(across), "pooling": pooling,
            "n_blocks": int(table.shape[1]), "reliable": reliable, "note": "; ".join(notes)}


def _ts(value, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise BeatwiseError(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from exc
    if ts is pd.NaT or pd.isna(ts):
        raise BeatwiseError(f"{what} {value!r} is not a date (use YYYY-MM-DD)")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def compare_periods(incidents: pd.DataFrame, at: date | datetime | str, progress: Optional[ProgressFn] = None,
                    *, period_start=None, period_end=None, filters: Any = None,
                    street: Optional[str] = None, street_area: Optional[str] = None) -> PeriodComparison:
    """Compare the time-of-week profile before and after ``at`` (e.g. the day a crackhouse was sealed).

    Parameters
    ----------
    incidents : incidents (data contract).
    at : the change date/time; incidents starting before it are "before".
    period_start, period_end : optional bounds of the two periods; default the day of the
        earliest exact time or window *end* (a window may start long before recording began),
        and the day after the last timed incident's start. "Before" holds incidents starting
        before ``at`` and known by (exact time or window end) ``period_start`` or later; "after"
        those starting in ``[at, period_end)``. Others are ignored.
    filters, street, street_area : as in :func:`hour_weekday_matrix`.

    Returns
    -------
    PeriodComparison
        Rates per week (weight / period length in weeks), their difference per hour-of-week, and
        the chi-square test of :func:`chi_square_time_of_week`.
    """
    at_ts = _ts(at, "comparison date")
    report(progress, 0.0, "Selecting incidents")
    incidents = _apply(incidents, filters, street, street_area)
    prec = _precision(incidents).to_numpy()
    t_start = pd.to_datetime(incidents["t_start"]) if len(incidents) else pd.Series([], dtype="datetime64[ns]")
    timed = np.isin(prec, _TIMED) & t_start.notna().to_numpy()
    if not timed.any():
        raise BeatwiseError("no incident has a time of day (month-only data such as data.police.uk "
                            "cannot be compared by hour of week)")
    # a window is known to have happened by its end: the data's period starts at the earliest
    # end of a window / exact time (NYC windows reach back years before recording began)
    t_end = pd.to_datetime(incidents["t_end"])
    is_window = (prec == "window") & t_end.notna().to_numpy() & (t_end > t_start).to_numpy()
    known_by = t_start.where(~is_window, t_end)
    start = (_ts(period_start, "period start") if period_start is not None
             else known_by[timed].min().floor("D"))
    end = (_ts(period_end, "period end") if period_end is not None
           else t_start[timed].max().floor("D") + pd.Timedelta(days=1))
    if not (start < at_ts < end):
        raise BeatwiseError(
            f"the comparison date {at_ts.date()} must fall inside the data's period "
            f"{start.date()} to {(end - pd.Timedelta(days=1)).date()}")
    before_mask = (known_by >= start) & (t_start < at_ts)
    after_mask = (t_start >= at_ts) & (t_start < end)
    before = hour_weekday_matrix(incidents[before_mask.to_numpy()])
    report(progress, 0.4, "Profile after the date")
    after = hour_weekday_matrix(incidents[after_mask.to_numpy()])
    if before.matrix is None or after.matrix is None:
        side = "before" if before.matrix is None else "after"
        raise BeatwiseError(f"no incident with a time of day {side} {at_ts.date()}: nothing to compare")
    weeks_before = (at_ts - start) / pd.Timedelta(weeks=1)
    weeks_after = (end - at_ts) / pd.Timedelta(weeks=1)
    before_rate = np.asarray(before.matrix) / weeks_before
    after_rate = np.asarray(after.matrix) / weeks_after
    change = after_rate - before_rate
    for m in (before_rate, after_rate, change):
        m.setflags(write=False)
    report(progress, 0.8, "Chi-square test")
    test = chi_square_time_of_week(np.asarray(before.matrix).ravel(), np.asarray(after.matrix).ravel())
    report(progress, 1.0, "Done")
    return PeriodComparison(
        at=at_ts, period_start=start, period_end=end, weeks_before=float(weeks_before),
        weeks_after=float(weeks_after), before=before, after=after, before_rate=before_rate,
        after_rate=after_rate, change=change, **test)
