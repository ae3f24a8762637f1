"""Before and after a date: the time-of-week profile as rates per week, and a chi-square test.

:func:`compare_periods` splits the incidents at a change date (e.g. the day a crackhouse was
sealed), makes the hour x weekday profile of each period (:mod:`analysis.temporal.matrix`), turns
them into rates per week, and tests with Pearson's chi-square whether the distribution over the
week changed (:func:`chi_square_time_of_week`, pooled along :data:`POOL_LADDER` by Cochran's rule).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.progress import BeatwiseError, ProgressFn, report
from analysis.temporal.matrix import (TIMED_PRECISIONS, TemporalProfile, apply_optional_filters, hour_weekday_matrix,
                                      time_precision)

# Pooling ladder for the chi-square test, finest first (number of bins in brackets): hour blocks
# of the week that divide a day, so a block never straddles two weekdays, interleaved with
# hour-of-day blocks pooled over the seven weekdays (which keep the day/night contrast that
# whole-day blocks would lose). Each entry: (block_hours, across_weekdays).
POOL_LADDER = ((1, False), (2, False), (3, False), (4, False), (6, False),   # 168 84 56 42 28
               (1, True), (8, False), (12, False), (2, True), (3, True),     # 24 21 14 12 8
               (24, False), (4, True), (6, True), (8, True), (12, True))     # 7 6 4 3 2
MIN_EXPECTED = 5.0


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
                    *, period_start=None, period_end=None, filters: Any = None) -> PeriodComparison:
    """Compare the time-of-week profile before and after ``at`` (e.g. the day a crackhouse was sealed).

    Parameters
    ----------
    incidents : incidents (data contract); for one street, the street's incidents
        (``analysis.hotspots.streets.filter_street``).
    at : the change date/time; incidents starting before it are "before".
    period_start, period_end : optional bounds of the two periods; default the day of the
        earliest exact time or window *end* (a window may start long before recording began),
        and the day after the last timed incident's start. "Before" holds incidents starting
        before ``at`` and known by (exact time or window end) ``period_start`` or later; "after"
        those starting in ``[at, period_end)``. Others are ignored.
    filters : as in :func:`~analysis.temporal.matrix.hour_weekday_matrix`.

    Returns
    -------
    PeriodComparison
        Rates per week (weight / period length in weeks), their difference per hour-of-week, and
        the chi-square test of :func:`chi_square_time_of_week`.
    """
    at_ts = _ts(at, "comparison date")
    report(progress, 0.0, "Selecting incidents")
    incidents = apply_optional_filters(incidents, filters)
    prec = time_precision(incidents).to_numpy()
    t_start = pd.to_datetime(incidents["t_start"]) if len(incidents) else pd.Series([], dtype="datetime64[ns]")
    timed = np.isin(prec, TIMED_PRECISIONS) & t_start.notna().to_numpy()
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
