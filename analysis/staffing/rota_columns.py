"""The rotating cycle's coverage by weekday column: an exact, tighter form of the constables'
coverage for the CP-SAT model of :mod:`analysis.staffing.rota_model` and the HiGHS bound of
:mod:`analysis.staffing.rota_cycle`.

In a rotating cycle of ``C`` weeks the ``k``-th line officer of a rank group works, on day
``7 w + j`` of the horizon (week ``w``, weekday ``j``), what the group's pattern says for
weekday ``j`` of pattern week ``(w + o_k) mod C``. So on every day with weekday ``j`` the whole
group's tours are fixed by the pattern's *column* ``j``: the ``C`` tours (or rests) of weekday
``j`` in the ``C`` pattern weeks. When every tour of a day touches only the hours of one
24-hour *duty day* (from the earliest template start; E 07:00, L 14:00-00:00 and N
22:00-07:00 do), the hours a day's tours touch are touched by no other day's tours, and the
objective's hourly coverage terms ``min(D'_h, o_h)`` add up, column by column, to a value
known for every possible column.

One Boolean per (weekday, possible column), exactly one per weekday, tied to the pattern,
then carries that value into the objective. The objective is the same number as the hourly
form's for every rota; its linear relaxation is far tighter, because a fractional pattern can
no longer smooth coverage over the hours: each column's value is the exact value of a whole
column of tours. This is the column (configuration) formulation of set-partitioning models of
rostering (Ernst, Jiang, Krishnamoorthy & Sier 2004, "Staff scheduling and rostering: a review
of applications, methods and models", EJOR 153, section 4), here small enough (``(T + 1)^C``
columns a weekday) to enumerate in full rather than to generate.
"""
from __future__ import annotations

import itertools
from typing import Callable, Optional, Sequence

import numpy as np
from ortools.sat.python import cp_model

from analysis.staffing.team import Template

#: Columns a model may enumerate in all (7 weekdays x (templates + 1) ^ cycle weeks): 5 weeks
#: of 3 templates are 7,168. Larger cycles keep the hourly form: 6 weeks of 3 (28,672 Booleans)
#: left CP-SAT without a first rota of 8 officers over 2 weeks in 8 s.
MAX_COLUMNS = 8_000


def duty_day(templates: Sequence[Template]) -> Optional[tuple[int, int]]:
    """``(first hour, hours)`` of the day's span the day's tours touch, relative to the day's
    00:00, or None when a day's tours and the next day's tours can touch the same hour."""
    first_h = min(t.start_min for t in templates) // 60
    end_h = -(-max(t.end_min for t in templates) // 60)
    return (first_h, end_h - first_h) if end_h - first_h <= 24 else None


def applies(templates: Sequence[Template], cycle_weeks: Optional[int]) -> bool:
    """Whether the column form is exact (one duty day) and small enough (``MAX_COLUMNS``)."""
    return (bool(cycle_weeks) and duty_day(templates) is not None
            and 7 * (len(templates) + 1) ** int(cycle_weeks) <= MAX_COLUMNS)


def tour_minutes(templates: Sequence[Template], span: tuple[int, int]) -> np.ndarray:
    """``(templates + 1, hours)`` minutes each tour works in each hour of the duty day (row 0:
    rest)."""
    first_h, n = span
    out = np.zeros((len(templates) + 1, n), dtype=np.int64)
    for r, t in enumerate(templates, start=1):
        for k in range(n):
            a, b = (first_h + k) * 60, (first_h + k + 1) * 60
            out[r, k] = max(0, min(b, t.end_min) - max(a, t.start_min))
    return out


def every_column(n_templates: int, cycle_weeks: int) -> np.ndarray:
    """``((T + 1)^C, C)``: every column, template index per pattern week (0 rest)."""
    c = int(cycle_weeks)
    return np.array(list(itertools.product(range(n_templates + 1), repeat=c)),
                    dtype=np.int64).reshape(-1, c)


def column_values(templates: Sequence[Template], cycle_weeks: int, offsets: Sequence[int],
                  days: int, hour_value: Callable[[np.ndarray, np.ndarray], np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Every possible column and its value on each weekday.

    Parameters
    ----------
    offsets : the pattern week each line officer starts on (``o_k``).
    hour_value : ``(on, hours)`` -> values: ``on`` is ``(columns, span)`` on-duty minutes of the
        group in the hours ``hours`` (horizon hour numbers, ``-1`` past the horizon's end) of one
        day; returns each column's value over that day.

    Returns
    -------
    columns : ``(n, C)`` template index per pattern week (0 rest, ``r`` the ``r``-th template).
    values : ``(7, n)`` integers, the sum of ``hour_value`` over the horizon's days of each weekday.
    """
    span = duty_day(templates)
    minutes = tour_minutes(templates, span)
    c = int(cycle_weeks)
    columns = every_column(len(templates), c)
    values = np.zeros((7, len(columns)), dtype=np.int64)
    hours_total = days * 24
    for d in range(days):
        w, j = divmod(d, 7)
        on = np.zeros((len(columns), span[1]), dtype=np.int64)
        for o in offsets:
            on += minutes[columns[:, (w + o) % c]]
        hours = d * 24 + span[0] + np.arange(span[1])
        hours = np.where(hours < hours_total, hours, -1)
        values[j] += hour_value(on, hours)
    return columns, values


def add_columns(m: cp_model.CpModel, pattern: dict, templates: Sequence[Template],
                cycle_weeks: int, columns: np.ndarray, values: np.ndarray,
                keep: Optional[np.ndarray] = None) -> cp_model.LinearExpr:
    """One Boolean per weekday and column, exactly one per weekday, each tied to the pattern
    (``pattern[7 q + j, code]`` is 1 exactly when the chosen column of weekday ``j`` has that
    template in week ``q``); returns ``sum values * chosen``. ``keep`` ``(7, n)``: the columns
    a rota may choose (the others, short of ``minimum_cover``, are left out)."""
    terms = []
    codes = [t.code for t in templates]
    for j in range(7):
        ks = np.arange(len(columns)) if keep is None else np.flatnonzero(keep[j])
        chosen = [m.NewBoolVar(f"col_{j}_{k}") for k in ks]
        m.AddExactlyOne(chosen)
        for q in range(int(cycle_weeks)):
            for r, code in enumerate(codes, start=1):
                m.Add(pattern[7 * q + j, code] == sum(v for v, k in zip(chosen, ks)
                                                      if columns[k, q] == r))
        terms += [(int(values[j, k]), v) for k, v in zip(ks, chosen) if values[j, k]]
    return sum(a * v for a, v in terms)


def short_hours_value(first_h: int, need_min: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Hours of the horizon from ``first_h`` with fewer than ``need_min`` on-duty minutes (the
    ``minimum_cover`` rule); a column worth more than 0 breaks it."""
    def value(on, hours):
        counted = ((hours >= first_h) & (hours >= 0))[None, :]
        return ((on < need_min) & counted).sum(axis=1)
    return value


def allowed(templates: Sequence[Template], cycle_weeks: int, offsets: Sequence[int], days: int,
            min_cover_min: int) -> np.ndarray:
    """``(7, n)``: the columns that keep ``minimum_cover`` (every column when it is 0)."""
    if min_cover_min <= 0:
        n = (len(templates) + 1) ** int(cycle_weeks)
        return np.ones((7, n), dtype=bool)
    first_h = min(t.start_min for t in templates) // 60
    return column_values(templates, cycle_weeks, offsets, days,
                         short_hours_value(first_h, min_cover_min))[1] == 0


def coverage_value(dmin: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``sum_h min(D'_h, o_h)`` over a day's hours (the hourly form's coverage terms)."""
    def value(on, hours):
        d = np.where(hours >= 0, dmin[np.maximum(hours, 0)], 0)
        return np.minimum(on, d[None, :]).sum(axis=1)
    return value


__all__ = ["MAX_COLUMNS", "add_columns", "allowed", "applies", "column_values",
           "coverage_value", "duty_day", "every_column", "short_hours_value", "tour_minutes"]
