"""When officers should be on duty: shift start times and head-counts matched to incident demand.

:func:`recommend_shifts` is the public entry: for every shift length asked for it plans the
week exactly (issue 5) and returns the plans ranked by coverage, with the reasons when the rules
admit no plan.

A plan
    ``N`` officers work each day on shifts of ``L`` consecutive hours starting at allowed
    start hours (default every full hour) of the 168-hour week (:mod:`analysis.staffing.week`);
    a shift belongs to the day it starts. By default every day has the same start times and
    head-counts; ``per_weekday`` lets each weekday differ. At most ``K`` distinct start times a
    day. Optionally at least ``m`` officers on duty in every hour, and ``S`` sergeants a day
    planned after the constables to be on duty whenever they are.
The objective
    Coverage of the incident demand ``d_t`` (:mod:`analysis.staffing.demand`):
    ``sum_t min(d_t, k on_t) / sum_t d_t`` with ``k = sum_t d_t / sum_t on_t``.
The methods
    Exhaustive enumeration (:mod:`analysis.staffing.search`), for small teams per weekday a
    dynamic programme over the days (:mod:`analysis.staffing.overnight`), or a MILP solved by
    HiGHS (:mod:`analysis.staffing.milp`), chosen by :mod:`analysis.staffing.methods` and named
    in :attr:`ShiftPlan.method`; a plan is ``optimal`` only when proven so. The sentences come from :mod:`analysis.staffing.explain`.
Team size
    Both methods grow with the officers a day: the enumeration with its square, the
    per-weekday MILP linearly (``168 N`` level binaries). :func:`recommend_shifts` refuses more
    than :data:`MAX_OFFICERS` a day (:data:`MAX_OFFICERS_PER_WEEKDAY` per weekday) before
    anything is allocated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from analysis.staffing import explain, methods, milp
from analysis.staffing.demand import OBJECTIVE, UnderstaffedHour, as_demand, coverage, understaffed
from analysis.staffing.rota_score import RotaScore, score_on_duty, score_rota
from analysis.staffing.week import HOURS_PER_WEEK, WEEKDAY_ABBR, Shift

DEFAULT_TIME_LIMIT_S = 30.0
#: Most officers (constables, and sergeants) a day in one plan, same pattern every day. The
#: enumeration's table has (N + 1)(N + 2) / 2 head-count splits per start-time triple: for
#: 100,000 officers that is 5e9 cells, 37 GiB of float64 (the reported crash). Measured on this
#: 2-core machine (demo demand, 8-hour shifts, every hourly start): 500 officers 3.7 s, 1,000
#: 17 s, 2,000 70 s, peak memory 350 MB; 1,000 constables with 1,000 sergeants 100 s.
MAX_OFFICERS = 1000
#: The same per weekday: the day-by-day search repeats that enumeration about 90 times and the
#: MILP has 168 N level binaries. With a 10 s time limit 100 officers took 20 s and 200 took
#: 80 s (600 MB; 110 s with 200 sergeants); the MILP alone for 1,000 ran 50 s past a 5 s limit.
MAX_OFFICERS_PER_WEEKDAY = 200


# ---------------------------------------------------------------------------------------------
# result types

@dataclass(frozen=True)
class ShiftParameters:
    """Everything a plan was made with (printed on charts and briefings)."""

    officers: int
    shift_hours: tuple[int, ...]
    starts: tuple[int, ...]
    max_starts: int
    min_on_duty: int
    per_weekday: bool
    sergeants: int
    time_limit_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"officers": self.officers, "shift_hours": list(self.shift_hours),
                "starts": [f"{h:02d}:00" for h in self.starts], "max_starts": self.max_starts,
                "min_on_duty": self.min_on_duty, "per_weekday": self.per_weekday,
                "sergeants": self.sergeants, "time_limit_s": self.time_limit_s}


@dataclass(frozen=True)
class ShiftPlan:
    """The best plan for one shift length.

    Attributes
    ----------
    shift_hours : int
    status : str
        ``"optimal"`` (proven by ``method``: no plan under the rules has a higher coverage),
        ``"infeasible: <why>"`` (no plan meets the rules), ``"not proven optimal: <why>"`` (time
        limit; the best plan found, and for ``per_weekday`` at least as good as the best
        same-every-day plan) or ``"no plan found: <why>"``.
    shifts : tuple of Shift
        Start times and head-counts (per weekday group when ``per_weekday``).
    on_duty : tuple of 168 int
        Officers on duty in each hour of the week (Monday 00:00 first).
    coverage : float
        :func:`coverage` of ``on_duty`` against the demand (NaN when infeasible).
    coverage_bound : float
        Proven upper bound on the coverage of any plan (== coverage when optimal).
    load_per_officer_hour : float
        ``k``: incidents per week per officer-hour.
    understaffed : tuple of UnderstaffedHour
        Hours with demand above ``k x on_duty``, largest shortfall first.
    sergeant_shifts, sergeant_on_duty : the sergeants' plan (empty without sergeants).
    unsupervised : tuple of (weekday, hour)
        Hours with constables on duty and no sergeant (only with sergeants).
    supervision : str
        A sentence on sergeant cover ("" without sergeants).
    mip_gap : float
        HiGHS's final relative gap (0 when optimal).
    solve_seconds : float
        Wall time of the solver call(s).
    parameters : ShiftParameters
    summary : str
        Plain-English summary.
    demand : tuple of 168 float
        The demand the plan was made for (incidents per week per hour of the week).
    method : str
        The method that made the plan and, when ``optimal``, proved it: ``"every
        same-every-day plan enumerated"``, ``"day-by-day dynamic programme over the overnight
        spill"`` (per weekday, small teams: :mod:`analysis.staffing.overnight`) or ``"HiGHS
        MILP"``.
    """

    shift_hours: int
    status: str
    shifts: tuple[Shift, ...]
    on_duty: tuple[int, ...]
    coverage: float
    coverage_bound: float
    load_per_officer_hour: float
    understaffed: tuple[UnderstaffedHour, ...]
    sergeant_shifts: tuple[Shift, ...]
    sergeant_on_duty: tuple[int, ...]
    unsupervised: tuple[tuple[int, int], ...]
    supervision: str
    mip_gap: float
    solve_seconds: float
    parameters: ShiftParameters
    summary: str
    demand: tuple[float, ...] = field(default=(), repr=False)
    method: str = ""

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def feasible(self) -> bool:
        """A plan was found (``status`` is ``optimal`` or ``not proven optimal: ...``)."""
        return len(self.on_duty) == HOURS_PER_WEEK

    def to_dict(self) -> dict[str, Any]:
        out = {"shift_hours": self.shift_hours, "status": self.status,
               "shifts": [s.to_dict() for s in self.shifts],
               "on_duty": [int(v) for v in self.on_duty],
               "coverage": None if math.isnan(self.coverage) else self.coverage,
               "coverage_bound": None if math.isnan(self.coverage_bound) else self.coverage_bound,
               "load_per_officer_hour": self.load_per_officer_hour,
               "understaffed": [u.to_dict() for u in self.understaffed],
               "mip_gap": self.mip_gap, "solve_seconds": self.solve_seconds,
               "method": self.method, "summary": self.summary}
        if self.parameters.sergeants:
            out["sergeants"] = {
                "shifts": [s.to_dict() for s in self.sergeant_shifts],
                "on_duty": [int(v) for v in self.sergeant_on_duty],
                "unsupervised": [{"weekday": WEEKDAY_ABBR[d], "hour": h} for d, h in self.unsupervised],
                "summary": self.supervision}
        return out


@dataclass(frozen=True)
class ShiftRecommendation:
    """Plans for every requested shift length, best first, with the demand and current rota."""

    plans: tuple[ShiftPlan, ...]
    demand: tuple[float, ...] = field(repr=False)
    parameters: ShiftParameters
    current: Optional[RotaScore]
    objective: str = OBJECTIVE

    @property
    def best(self) -> ShiftPlan:
        return self.plans[0]

    @property
    def summary(self) -> str:
        return self.best.summary

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``beatwise shifts --json`` (keys from issue 5)."""
        best = self.best
        out = {"objective": self.objective,
               "demand": [float(v) for v in self.demand],
               "status": best.status,
               "shift_hours": best.shift_hours,
               "shifts": [s.to_dict() for s in best.shifts],
               "on_duty": [int(v) for v in best.on_duty],
               "coverage": None if math.isnan(best.coverage) else best.coverage,
               "coverage_bound": None if math.isnan(best.coverage_bound) else best.coverage_bound,
               "load_per_officer_hour": best.load_per_officer_hour,
               "alternatives": [p.to_dict() for p in self.plans[1:]],
               "current": None if self.current is None else self.current.to_dict(),
               "understaffed": [u.to_dict() for u in best.understaffed],
               "summary": best.summary,
               "method": best.method,
               "parameters": self.parameters.to_dict(),
               "solve_seconds": sum(p.solve_seconds for p in self.plans)}
        if self.parameters.sergeants:
            out["sergeants"] = best.to_dict()["sergeants"]
        return out


# ---------------------------------------------------------------------------------------------
# public entry point

def _check_int(name: str, value, lo: int, hi: Optional[int] = None) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise BeatwiseError(f"{name} must be a whole number, got {value!r}") from None
    if v != value or v < lo or (hi is not None and v > hi):
        rng = f"at least {lo}" if hi is None else f"between {lo} and {hi}"
        raise BeatwiseError(f"{name} must be a whole number {rng}, got {value!r}")
    return v


def _check_team_size(officers: int, sergeants: int, per_weekday: bool) -> None:
    """Refuse a team too large to plan, before anything grows with it (:data:`MAX_OFFICERS`)."""
    limit = MAX_OFFICERS_PER_WEEKDAY if per_weekday else MAX_OFFICERS
    how = "per weekday" if per_weekday else "with the same pattern every day"
    for name, n in (("officers", officers), ("sergeants", sergeants)):
        if n > limit:
            other = (f", or plan the same pattern every day (up to {MAX_OFFICERS:,})"
                     if per_weekday and n <= MAX_OFFICERS else "")
            raise BeatwiseError(
                f"{n:,} {name} a day is more than one plan can take: at most {limit:,} {name} a "
                f"day can be planned {how} (the exact search grows with the square of the team). "
                f"Split the team by area or by shift group and plan each part on its own{other}.")


def recommend_shifts(demand, *, officers: int, shift_hours: Sequence[int] = (8,),
                     starts: Optional[Sequence[int]] = None, max_starts: int = 3,
                     min_on_duty: int = 0, per_weekday: bool = False, sergeants: int = 0,
                     current=None, time_limit_s: float = DEFAULT_TIME_LIMIT_S,
                     progress: Optional[ProgressFn] = None) -> ShiftRecommendation:
    """Shift start times and head-counts that maximise coverage of incident demand.

    Parameters
    ----------
    demand : 168 values (or a 7 x 24 matrix, Monday first)
        Incidents (weight) per week in each hour of the week, e.g.
        :func:`analysis.staffing.demand.demand_from_incidents`.
    officers : int
        ``N``: officers (constables) working each day; the officers starting on a day sum to N.
    shift_hours : sequence of int
        Shift lengths ``L`` in hours (1..24); each is solved and all are reported, best first.
    starts : sequence of int or None
        Allowed start hours (0..23); ``None`` = every full hour.
    max_starts : int
        ``K``: at most this many distinct start times a day.
    min_on_duty : int
        ``m``: at least this many officers on duty in every hour.
    per_weekday : bool
        Let each weekday have its own start times and head-counts.
    sergeants : int
        ``S`` sergeants a day, planned after the constables to be on duty whenever they are
        (see :mod:`analysis.staffing.milp`); 0 for none. At most :data:`MAX_OFFICERS` a day of
        either (:data:`MAX_OFFICERS_PER_WEEKDAY` with ``per_weekday``).
    current : str, sequence of Shift or ndarray of 168, optional
        The current rota, scored with the same coverage and compared in the summary; an array is
        an observed on-duty profile (e.g. units reporting per hour of the week in patrol GPS).
    time_limit_s : float
        Solver time limit per shift length (and sergeant stage); a plan not proven optimal by
        then is reported with status ``"not proven optimal: ..."`` and its proven bound.
    progress : optional progress callback; ``Cancelled`` propagates.

    Returns
    -------
    ShiftRecommendation
        ``plans`` ranked by coverage (infeasible lengths last, with the reason in ``status``).

    Raises
    ------
    BeatwiseError
        Invalid parameters, a team too large to plan, no demand, or no shift length has a plan
        meeting the rules (the message says why, e.g. "3 officer(s) on duty in every hour needs
        at least 72 officer-hours a day, but 2 officer(s) on 8-hour shifts give only 16").
    """
    d = as_demand(demand)
    officers = _check_int("officers", officers, 1)
    max_starts = _check_int("max_starts", max_starts, 1)
    min_on_duty = _check_int("min_on_duty", min_on_duty, 0)
    sergeants = _check_int("sergeants", sergeants, 0)
    _check_team_size(officers, sergeants, bool(per_weekday))
    if isinstance(shift_hours, (int, np.integer)):
        shift_hours = (int(shift_hours),)
    lengths = tuple(dict.fromkeys(_check_int("shift hours", h, 1, 24) for h in shift_hours))
    if not lengths:
        raise BeatwiseError("give at least one shift length")
    if starts is None:
        start_hours = tuple(range(24))
    else:
        start_hours = tuple(sorted(set(_check_int("start hour", h, 0, 23) for h in starts)))
        if not start_hours:
            raise BeatwiseError("give at least one allowed start time")
    if not (time_limit_s > 0):
        raise BeatwiseError("time_limit_s must be positive")
    params = ShiftParameters(officers=officers, shift_hours=lengths, starts=start_hours,
                             max_starts=max_starts, min_on_duty=min_on_duty,
                             per_weekday=bool(per_weekday), sergeants=sergeants,
                             time_limit_s=float(time_limit_s))
    if current is None:
        cur = None
    elif isinstance(current, np.ndarray):  # an observed on-duty profile (168 values)
        cur = score_on_duty(d, current)
    else:
        cur = score_rota(d, current)

    plans = []
    for i, length_h in enumerate(lengths):
        report(progress, i / len(lengths), f"Solving {length_h}-hour shifts")
        plans.append(_plan_for_length(d, params, length_h, cur,
                                      scaled(progress, i / len(lengths), (i + 1) / len(lengths))))
    report(progress, 1.0, "Done")
    feasible = [p for p in plans if p.feasible]
    if not feasible:
        reasons = "; ".join(f"{p.shift_hours}-hour shifts: {p.status.split(': ', 1)[1]}"
                            for p in plans)
        raise BeatwiseError(f"no shift plan meets the rules ({reasons})")
    ranked = sorted(feasible, key=lambda p: -p.coverage) + [p for p in plans if not p.feasible]
    return ShiftRecommendation(plans=tuple(ranked), demand=tuple(float(v) for v in d),
                               parameters=params, current=cur)


def _plan_for_length(d: np.ndarray, params: ShiftParameters, length_h: int,
                     cur: Optional[RotaScore], progress: Optional[ProgressFn] = None) -> ShiftPlan:
    cols = milp.columns(length_h, params.starts, params.per_weekday)
    if params.per_weekday:
        solved = methods.solve_per_weekday(d, params, length_h, cols, scaled(progress, 0.0, 0.9))
    else:
        solved = methods.solve_common(d, params, length_h, cols, params.time_limit_s,
                                      scaled(progress, 0.0, 0.9))
    nan = float("nan")
    if solved.x is None:
        if solved.status == 2:
            status = "infeasible: " + explain.explain_infeasible(
                params.officers, length_h, params.max_starts, params.min_on_duty, params.starts)
        elif solved.status == 1:
            status = (f"no plan found: none within the {params.time_limit_s:g} s time limit; "
                      "allow more time (--time-limit-s) or fewer start times")
        else:
            status = f"no plan found: the solver stopped ({solved.message})"
        return ShiftPlan(shift_hours=length_h, status=status, shifts=(), on_duty=(), coverage=nan,
                         coverage_bound=nan, load_per_officer_hour=nan, understaffed=(),
                         sergeant_shifts=(), sergeant_on_duty=(), unsupervised=(), supervision="",
                         mip_gap=nan, solve_seconds=solved.seconds, parameters=params,
                         summary=f"No {length_h}-hour plan: {status.split(': ', 1)[1]}.",
                         demand=tuple(float(v) for v in d))
    on = np.rint(cols.cover @ solved.x).astype(int)
    cov = coverage(d, on)
    if solved.status == 0:
        status, bound = "optimal", cov
    else:
        bound = solved.bound
        status = (f"not proven optimal: stopped at the {params.time_limit_s:g} s time limit; no plan "
                  f"can exceed {bound:.1%} coverage (proven gap {bound - cov:.2%} points)")
        if solved.note:
            status += f"; {solved.note}"
    shifts = milp.shifts_from_x(solved.x, cols, length_h)
    seconds = solved.seconds
    sg_shifts, sg_on, unsupervised, supervision = (), (), (), ""
    if params.sergeants:
        sg = milp.solve_sergeants(on, params.sergeants, length_h, cols, params.max_starts,
                                  params.time_limit_s, progress=scaled(progress, 0.9, 1.0))
        seconds += sg.seconds
        if sg.x is None:
            supervision = f"Sergeants could not be planned: {sg.message}."
        else:
            sg_on_arr = np.rint(cols.cover @ sg.x).astype(int)
            sg_shifts = milp.shifts_from_x(sg.x, cols, length_h)
            sg_on = tuple(int(v) for v in sg_on_arr)
            unsupervised = tuple((t // 24, t % 24) for t in range(HOURS_PER_WEEK)
                                 if on[t] > 0 and sg_on_arr[t] == 0)
            supervision = explain.supervision_text(sg_shifts, params.sergeants, length_h,
                                                   unsupervised, proven=sg.status == 0)
    under = understaffed(d, on.astype(float))
    summary = explain.plan_summary(shifts, length_h, cov, on, d, cur, under, supervision, status)
    return ShiftPlan(shift_hours=length_h, status=status, shifts=shifts,
                     on_duty=tuple(int(v) for v in on), coverage=cov, coverage_bound=bound,
                     load_per_officer_hour=float(d.sum() / on.sum()), understaffed=under,
                     sergeant_shifts=sg_shifts, sergeant_on_duty=sg_on, unsupervised=unsupervised,
                     supervision=supervision, mip_gap=solved.gap, solve_seconds=seconds,
                     parameters=params, summary=summary, demand=tuple(float(v) for v in d),
                     method=solved.method)
