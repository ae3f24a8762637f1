"""The exact methods that plan one shift length, and which one a plan's rules call for.

* Same pattern every day, at most 3 start times (the default): every plan is enumerated
  (:func:`analysis.staffing.search.best_common_plan`, milliseconds), which proves the optimum
  (:func:`solve_common_enumerated`).
* Otherwise the same-every-day MILP of :mod:`analysis.staffing.milp`: the level form, or with
  more than :data:`LEVELS_MAX_OFFICERS` officers a day the textbook (counts) form, the same model
  and optimum, on which HiGHS branches faster there (:func:`solve_common`). Both forms and the
  enumeration are tested against brute force.
* Per weekday, a small team (:func:`analysis.staffing.overnight.usable`: the seed team of 7)
  is planned and proven optimal by the day-by-day dynamic programme over the overnight spill
  (:func:`analysis.staffing.overnight.solve_week`), started from the search's plan below.
* Per weekday otherwise, the MILP is started from the best same-every-day plan improved day by day
  (:func:`analysis.staffing.search.improve_by_days`; :func:`solve_per_weekday`). Its LP bound is
  weak (see :mod:`analysis.staffing.milp`), so with many officers the time limit usually stops
  it: the plan is then the best found, and the status gives the proven upper bound.
"""
from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Optional

import numpy as np

from analysis.progress import ProgressFn, scaled
from analysis.staffing import milp, overnight, search
from analysis.staffing.demand import coverage, officer_units

if TYPE_CHECKING:
    from analysis.staffing.timing import ShiftParameters

ENUMERATION = "every same-every-day plan enumerated"
DAY_BY_DAY = "day-by-day dynamic programme over the overnight spill"
# The common pattern with more officers a day than this uses the textbook (counts) form, which
# HiGHS solves faster there; the level form otherwise (measured: tests/benchmarks/bench_shifts.py).
LEVELS_MAX_OFFICERS = 15


def solve_common_enumerated(d: np.ndarray, officers: int, length_h: int, cols: milp.Columns,
                             max_starts: int, min_on_duty: int) -> milp.Solved:
    """Same every day, at most 3 start times: every plan enumerated
    (:func:`analysis.staffing.search.best_common_plan`), which proves the optimum."""
    t0 = time.perf_counter()
    dp, total = officer_units(d, officers, length_h)
    dp = dp.reshape(7, 24)
    levels = np.arange(officers + 1, dtype=float)
    values = np.minimum(dp[:, :, None], levels[None, None, :]).sum(axis=0)     # (24, N + 1)
    allowed = None
    if min_on_duty > 0:
        allowed = np.broadcast_to(levels[None, :] >= min_on_duty, values.shape)
    starts = [int(s) for s in cols.start]
    best, plan = search.best_common_plan(values, length_h=length_h, starts=starts,
                                         max_starts=max_starts, allowed=allowed)
    seconds = time.perf_counter() - t0
    if not plan:
        return milp.Solved(x=None, status=2, message="no plan meets the rules",
                           objective=float("nan"), bound=float("nan"), gap=float("nan"),
                           seconds=seconds)
    x = np.array([plan.get(s, 0) for s in starts], dtype=np.int64)
    return milp.Solved(x=x, status=0, message="optimal (every plan enumerated)",
                       objective=best / total, bound=best / total, gap=0.0, seconds=seconds,
                       method=ENUMERATION)


def solve_common(d: np.ndarray, params: ShiftParameters, length_h: int, cols: milp.Columns,
                 time_limit_s: float, progress: Optional[ProgressFn]) -> milp.Solved:
    """The best same-every-day plan: enumerated when at most 3 start times a day are allowed
    (milliseconds), else the MILP (level form, or the counts form for many officers)."""
    if search.supported(params.max_starts, len(params.starts)):
        return solve_common_enumerated(d, params.officers, length_h, cols, params.max_starts,
                                       params.min_on_duty)
    solver = (milp.solve_constables_counts if params.officers > LEVELS_MAX_OFFICERS
              else milp.solve_constables)
    return solver(d, params.officers, length_h, cols, params.max_starts, params.min_on_duty,
                  time_limit_s, progress=progress)


def solve_per_weekday(d: np.ndarray, params: ShiftParameters, length_h: int,
                      cols: milp.Columns, progress: Optional[ProgressFn]) -> milp.Solved:
    """Per weekday in three steps (the week-long MILP alone finds good plans slowly).

    1. The best same-every-day plan (enumerated, or its own small MILP; proven optimal), also a
       valid per-weekday plan.
    2. From it, the day-by-day search of :mod:`analysis.staffing.search`: each day's plan replaced
       by the exact best plan given the other six days, until no day can improve; and the same
       search from an empty week (days built in turn). The better of the two is kept.
    3. The per-weekday MILP, started from that plan: it improves on it or proves it optimal
       within the time limit. If the limit stops it, the better of its plan and the search's is
       kept (never worse than step 1) with the MILP's proven bound; the status says so.
    """
    officers, starts = params.officers, params.starts
    common_cols = milp.columns(length_h, starts, False)
    common = solve_common(d, params, length_h, common_cols, params.time_limit_s,
                          scaled(progress, 0.0, 0.15))
    seconds = common.seconds
    start = None
    if common.x is not None:
        start = np.tile(common.x, cols.n_days)
        if search.supported(params.max_starts, len(starts)):
            t0 = time.perf_counter()
            r, _ = officer_units(d, officers, length_h)
            rules = dict(length_h=length_h, starts=starts, max_starts=params.max_starts,
                         min_on_duty=params.min_on_duty, officers=officers)
            tiled = np.zeros((7, 24), dtype=np.int64)
            tiled[:, list(starts)] = start.reshape(7, len(starts))
            found = [search.improve_by_days(r, tiled, progress=scaled(progress, 0.15, 0.25),
                                            **rules)[0],
                     search.improve_by_days(r, np.zeros((7, 24), dtype=np.int64),
                                            progress=scaled(progress, 0.25, 0.3), **rules)[0]]
            # an empty-week start leaves days unplanned when a minimum on duty cannot be met
            # while later days are still empty; the plan from the common optimum is complete
            found = [x[:, list(starts)].reshape(-1) for x in found
                     if (x.sum(axis=1) == officers).all()]
            start = max(found, key=lambda x: coverage(d, cols.cover @ x))
            seconds += time.perf_counter() - t0
    # The time limit is per shift length: the MILP gets what steps 1-2 left (at least a quarter).
    limit_s = max(params.time_limit_s - seconds, 0.25 * params.time_limit_s)
    if overnight.usable(officers, length_h, starts, params.max_starts):
        return _solve_day_by_day(d, params, length_h, start, limit_s, seconds,
                                 scaled(progress, 0.3, 1.0))
    plans, table = overnight.size(officers, length_h, len(starts), params.max_starts, starts)
    size = f"{plans:,} day plans" if table < 0 else f"{table:,} cells in a day's table"
    note = (f"{officers} officers a day are too many for the exact day-by-day programme "
            f"({size}; it takes at most {overnight.MAX_PLANS:,} day plans and "
            f"{overnight.MAX_TABLE:,} cells), so the week-long MILP, whose bound is weak, "
            "was used")
    solved = milp.solve_constables(d, officers, length_h, cols, params.max_starts,
                                   params.min_on_duty, limit_s, start=start,
                                   progress=scaled(progress, 0.3, 1.0))
    solved = dataclasses.replace(solved, note=note)
    seconds += solved.seconds
    if solved.status in (0, 2) or start is None:
        return dataclasses.replace(solved, seconds=seconds)
    if solved.x is not None and coverage(d, cols.cover @ solved.x) >= coverage(d, cols.cover @ start):
        return dataclasses.replace(solved, seconds=seconds)
    return dataclasses.replace(solved, x=start, objective=coverage(d, cols.cover @ start),
                               seconds=seconds, status=1)


def _solve_day_by_day(d: np.ndarray, params: ShiftParameters, length_h: int,
                      start: Optional[np.ndarray], limit_s: float, seconds: float,
                      progress: Optional[ProgressFn]) -> milp.Solved:
    """Per weekday by :func:`analysis.staffing.overnight.solve_week`, from the search's plan."""
    starts = list(params.starts)
    r, total = officer_units(d, params.officers, length_h)
    first = None
    if start is not None:
        first = np.zeros((7, 24), dtype=np.int64)
        first[:, starts] = np.asarray(start).reshape(7, len(starts))
    w = overnight.solve_week(r, officers=params.officers, length_h=length_h, starts=starts,
                             max_starts=params.max_starts, min_on_duty=params.min_on_duty,
                             time_limit_s=limit_s, incumbent=first, progress=progress)
    seconds += w.seconds
    note = "" if w.proven else (
        f"the day-by-day programme was stopped by the time limit with {w.left:,} of its "
        f"{w.states:,} Monday spill states not yet ruled out")
    nan = float("nan")
    if w.x is None:
        return milp.Solved(x=None, status=2 if w.proven else 1,
                           message="no plan meets the rules" if w.proven else "time limit",
                           objective=nan, bound=nan, gap=nan, seconds=seconds,
                           method=DAY_BY_DAY, note=note)
    value, bound = w.value / total, w.bound / total
    return milp.Solved(x=w.x[:, starts].reshape(-1), status=0 if w.proven else 1,
                       message="optimal" if w.proven else "time limit", objective=value,
                       bound=bound, gap=(bound - value) / max(value, 1e-12),
                       seconds=seconds, method=DAY_BY_DAY, note=note)
