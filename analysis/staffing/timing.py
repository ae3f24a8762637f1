"""When officers should be on duty: shift start times and head-counts matched to incident demand.

The model (issue 5) is solved exactly, by one of three methods:

* same pattern every day, at most 3 start times (the default): every plan is enumerated
  (:func:`analysis.staffing.search.best_common_plan`, milliseconds), which proves the optimum;
* otherwise a mixed-integer linear programme, solved by HiGHS (Huangfu & Hall 2018,
  "Parallelizing the dual revised simplex method", Math. Prog. Comp. 10, 119-142) through
  ``highspy``, the same solver :func:`scipy.optimize.milp` wraps, used directly so that it can be
  started from a known plan and interrupted when the user cancels;
* per weekday, the MILP is started from the best same-every-day plan improved day by day
  (:func:`analysis.staffing.search.improve_by_days`; see :func:`_solve_per_weekday`). Its LP bound is
  weak (see below), so with many officers the time limit usually stops it: the plan is then the
  best found, and the status gives the proven upper bound.

The week
    168 hour slots, Monday 00:00-00:59 = slot 0, cyclic: a shift starting Sunday 22:00
    covers Sunday 22:00-23:59 and Monday 00:00-05:59.
Demand ``d_t``
    incident weight in hour-of-week ``t`` per week (from :mod:`analysis.temporal.matrix`, aoristic
    for from/to windows; see :func:`demand_from_incidents`).
A plan
    ``N`` officers work each day on shifts of ``L`` consecutive hours starting at allowed
    start hours (default every full hour); a shift belongs to the day it starts. By default
    every day has the same start times and head-counts; ``per_weekday`` lets each weekday
    differ. At most ``K`` distinct start times a day. Optionally at least ``m`` officers on
    duty in every hour.
Coverage
    ``on_t`` officers on duty in slot ``t``; ``k = sum_t d_t / sum_t on_t`` (the incident load
    per officer-hour if staffing absorbed demand evenly);
    ``coverage = sum_t min(d_t, k on_t) / sum_t d_t``: the share of demand met if every
    officer-hour absorbs the average load. 1.0 means staffing exactly proportional to demand.
    Since ``sum_t min(a_t, b_t) = (sum a + sum b - sum |a - b|) / 2`` and ``sum_t k on_t =
    sum_t d_t``, coverage is also ``1 - sum_t |d_t - k on_t| / (2 sum_t d_t)``: one minus half
    the L1 distance between the demand and staffing shapes. A current rota is scored with the
    same formula (:func:`score_rota`), so the comparison is like for like.

MILP (one per shift length)
    Columns ``c = (j, s)``: start hour ``s`` on day ``j`` (one day for the common pattern, whose
    columns cover all seven days). Head-counts are written in levels: binary ``b_{c,v}`` = "column
    ``c`` starts exactly ``v`` officers" (``v = 1..N``), so ``x_c = sum_v v b_{c,v}`` and "start
    time used" is ``sum_v b_{c,v}``. In the planned group ``sum_t on_t = 7 N L`` is fixed, so ``k``
    is a constant; demand is rescaled to officer units ``d'_t = d_t 7 N L / sum d`` (``k = 1``)::

        maximise   sum_t z_t
        subject to 0 <= z_t <= d'_t
                   z_t <= on_t = sum_{c covering t} sum_v v b_{c,v}
                   z_t <= sum_{c covering t} sum_v min(d'_t, v) b_{c,v}
                   sum_v b_{c,v} <= 1                                  for every column c
                   sum_{c in day j} sum_v v b_{c,v} = N                 for every day j
                   sum_{c in day j} sum_v b_{c,v} <= K                  for every day j
                   z_t <= floor(d'_t) + frac(d'_t) (on_t - floor(d'_t))
                   on_t >= m                                           (if m > 0)

    and ``coverage = sum_t z_t / (7 N L)``. The ``min(d'_t, v)`` row is valid because
    ``min(d, a + b) <= min(d, a) + min(d, b)`` for ``a, b >= 0``, the ``floor`` row because
    ``on_t`` is an integer (it is the concave envelope of ``min(d'_t, .)`` over the integers).
    Both are redundant for integer solutions but cut off the fractional "spread every officer
    thinly over many start times" solutions that make the textbook form (``x_c <= N y_c``,
    ``sum_c y_c <= K``) hopeless: its LP relaxation ignores ``K`` entirely, because coverage is
    concave in the head-counts. The solver runs with ``mip_rel_gap = 0``: a plan is ``optimal``
    only when HiGHS has proved that no plan under the rules has a higher coverage. Otherwise
    (time limit) the status says so and gives the proven upper bound.

    For the common pattern with more than 3 start times a day (otherwise enumerated) and more
    than :data:`LEVELS_MAX_OFFICERS` officers a day the textbook form (integer ``x_c``, binary
    ``y_c``, ``x_c <= N y_c``, ``sum_c y_c <= K``, with the ``floor`` row) is used instead: the same model and optimum, and with only 24 columns HiGHS
    branches faster on it than on ``24 N`` level binaries. Both forms and the enumeration are
    tested against brute force.

    Even with these rows the per-weekday bound stays weak: on the demo with 50 officers and
    10-hour shifts the root bound is 85.9% coverage while the best plan known is 84.9%, and
    HiGHS was still at the root node after 60 s. Any relaxation that treats head-counts as
    divisible can mix many start times thinly, and one day's head-counts ``{x >= 0 integer,
    sum x = N, at most K non-zero}`` have the whole scaled simplex as convex hull (its corners
    ``N e_s`` are feasible), so the limit of ``K`` start times only bites through branching.

Sergeants
    A second group of ``S`` sergeants a day on shifts of the same length, start-time rules and
    ``K``, planned *after* the constables (the constable plan, which maximises coverage, is not
    changed) by a second MILP. With ``g_t >= 1 - sergeants_on_t``, ``0 <= g_t <= 1`` for every
    hour ``t`` with constables on duty, it minimises, lexicographically through weights each
    larger than the whole of the next term, (1) ``sum_t g_t``, the hours with constables and no
    sergeant, (2) ``sum_t on_t g_t``, the constable-hours unsupervised, and (3) sergeant-hours
    when no constable is on duty. ``sergeants_on_t`` is an integer, so ``g_t`` is 0 or 1 at the
    optimum and (1) counts the unsupervised hours exactly: zero means a sergeant is on duty
    whenever constables are; otherwise the hours are listed (``ShiftPlan.unsupervised``) and the
    summary says that S sergeants on L-hour shifts cannot cover them.
"""
from __future__ import annotations

import dataclasses
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from analysis.staffing import search as shift_search
from analysis.progress import BeatwiseError, ProgressFn, report, scaled

HOURS_PER_WEEK = 168
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS = tuple(range(7))

OBJECTIVE = (
    "Coverage = sum over the 168 hours of the week of min(demand, k x officers on duty) / total "
    "demand, with k = total demand / total officer-hours: the share of incident demand met if "
    "every officer-hour absorbs the average load (1.0 = staffing exactly proportional to demand).")

TIMES_NEEDED = (
    "Shift timing needs the time of day of each incident. Import data that carries it: a force "
    "RMS/CAD export with date-times, a CSV or XLSX with a date-time column (--time) or a date "
    "and a time-of-day column (--date with --time-of-day), or from/to windows (--start/--end, "
    "spread aoristically). data.police.uk files have only the month and cannot be used.")

DEFAULT_TIME_LIMIT_S = 30.0
# The common pattern with more officers a day than this uses the textbook (counts) form, which
# HiGHS solves faster there; the level form otherwise (measured: tests/benchmarks/bench_shifts.py).
LEVELS_MAX_OFFICERS = 15


# ---------------------------------------------------------------------------------------------
# result types

@dataclass(frozen=True)
class Shift:
    """One shift line of a rota: ``officers`` start at ``start_minute`` on each of ``weekdays``.

    Attributes
    ----------
    start_minute : int
        Minutes after midnight (0..1439); a planned shift always starts on the hour.
    length_minutes : int
        Shift length in minutes (1..1440); it may run past midnight into the next day.
    officers : int
        Officers starting this shift on each of its weekdays.
    weekdays : tuple of int
        Days the shift starts on, Monday = 0.
    """

    start_minute: int
    length_minutes: int
    officers: int
    weekdays: tuple[int, ...] = ALL_DAYS

    @property
    def start(self) -> str:
        return _hhmm(self.start_minute)

    @property
    def end(self) -> str:
        return _hhmm((self.start_minute + self.length_minutes) % 1440)

    @property
    def hours(self) -> float:
        return self.length_minutes / 60.0

    @property
    def days_text(self) -> str:
        return days_text(self.weekdays)

    def label(self) -> str:
        """``"07:00-17:00 x4"``, plus the days when not every day."""
        text = f"{self.start}-{self.end} x{self.officers}"
        return text if self.weekdays == ALL_DAYS else f"{text} ({self.days_text})"

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "hours": self.hours,
                "officers": self.officers, "weekdays": [WEEKDAY_ABBR[d] for d in self.weekdays]}


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


@dataclass(frozen=True)
class RotaScore:
    """A given rota (e.g. the current one) scored with the same coverage formula.

    ``on_duty`` may be fractional where a shift starts or ends within an hour.
    """

    shifts: tuple[Shift, ...]
    on_duty: tuple[float, ...]
    coverage: float
    load_per_officer_hour: float
    label: str
    understaffed: tuple[UnderstaffedHour, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "shifts": [s.to_dict() for s in self.shifts],
                "on_duty": [float(v) for v in self.on_duty], "coverage": self.coverage,
                "load_per_officer_hour": self.load_per_officer_hour}


@dataclass(frozen=True)
class ShiftPlan:
    """The best plan for one shift length.

    Attributes
    ----------
    shift_hours : int
    status : str
        ``"optimal"`` (proven by HiGHS: no plan under the rules has a higher coverage),
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
               "summary": self.summary}
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
               "parameters": self.parameters.to_dict(),
               "solve_seconds": sum(p.solve_seconds for p in self.plans)}
        if self.parameters.sergeants:
            out["sergeants"] = best.to_dict()["sergeants"]
        return out


# ---------------------------------------------------------------------------------------------
# small helpers

def _hhmm(minute: int) -> str:
    minute = int(minute) % 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def days_text(days: Iterable[int]) -> str:
    """``(0,1,2,3)`` -> ``"Mon-Thu"``, ``(4,5)`` -> ``"Fri, Sat"``, all -> ``"every day"``."""
    days = sorted(set(int(d) for d in days))
    if len(days) == 7:
        return "every day"
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for r in runs:
        if len(r) >= 3:
            parts.append(f"{WEEKDAY_ABBR[r[0]]}-{WEEKDAY_ABBR[r[-1]]}")
        else:
            parts.extend(WEEKDAY_ABBR[d] for d in r)
    return ", ".join(parts)


def _days_words(days: Sequence[int]) -> str:
    """Full names for a sentence: "Friday and Saturday", "every day"."""
    days = sorted(set(days))
    if len(days) == 7:
        return "every day"
    names = [WEEKDAYS[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _as_demand(demand) -> np.ndarray:
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
    d = _as_demand(demand)
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


def _officer_units(d: np.ndarray, officers: int, length_h: int) -> tuple[np.ndarray, float]:
    """Demand rescaled to officers (``k = 1``): ``d'_t = d_t 7 N L / sum d``, and ``7 N L``."""
    total = 7.0 * officers * length_h
    return d * (total / d.sum()), total


def _understaffed(d: np.ndarray, on: np.ndarray) -> tuple[UnderstaffedHour, ...]:
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


# ---------------------------------------------------------------------------------------------
# rotas

_ROTA_PART = re.compile(
    r"^\s*(\d{1,2})[:.]?(\d{2})\s*-\s*(\d{1,2})[:.]?(\d{2})\s*(?:[x×*]\s*(\d+))?\s*$", re.IGNORECASE)


def parse_rota(spec: str) -> tuple[Shift, ...]:
    """Parse a rota like ``"07:00-17:00x4,14:00-00:00x3"`` (every day).

    Each comma-separated part is ``HH:MM-HH:MM`` and ``xN`` officers (default 1); an end at or
    before the start runs past midnight (``22:00-06:00``), ``00:00`` as an end is midnight.
    Minutes are kept: ``07:30-17:30`` puts half an officer-hour in 07:00-07:59.

    Raises
    ------
    BeatwiseError
        Naming the part that could not be read and the expected format.
    """
    if spec is None or not str(spec).strip():
        raise BeatwiseError('empty rota: give shifts like "07:00-17:00x4,14:00-00:00x3"')
    shifts = []
    for part in str(spec).split(","):
        m = _ROTA_PART.match(part)
        if not m:
            raise BeatwiseError(
                f'cannot read rota part "{part.strip()}": expected HH:MM-HH:MMxN, e.g. '
                '"07:00-17:00x4,14:00-00:00x3" (N officers start that shift every day)')
        h0, m0, h1, m1 = (int(g) for g in m.groups()[:4])
        n = int(m.group(5)) if m.group(5) is not None else 1
        if h0 > 23 or h1 > 24 or m0 > 59 or m1 > 59 or (h1 == 24 and m1):
            raise BeatwiseError(f'rota part "{part.strip()}" has an impossible time of day')
        a, b = h0 * 60 + m0, (h1 * 60 + m1) % 1440
        length = (b - a) % 1440
        if length == 0:
            raise BeatwiseError(f'rota part "{part.strip()}" starts and ends at the same time')
        if n <= 0:
            raise BeatwiseError(f'rota part "{part.strip()}" has no officers (x0)')
        shifts.append(Shift(start_minute=a, length_minutes=length, officers=n))
    return tuple(shifts)


def rota_on_duty(shifts: Sequence[Shift]) -> np.ndarray:
    """Officers on duty in each of the 168 hours (fractional where a shift starts mid-hour)."""
    minutes = np.zeros(HOURS_PER_WEEK * 60)
    for s in shifts:
        for day in s.weekdays:
            a = day * 1440 + s.start_minute
            idx = (a + np.arange(s.length_minutes)) % minutes.size
            np.add.at(minutes, idx, s.officers)
    return minutes.reshape(HOURS_PER_WEEK, 60).mean(axis=1)


def _rota_label(shifts: Sequence[Shift]) -> str:
    return " / ".join(f"{s.start}-{s.end}" + ("" if s.weekdays == ALL_DAYS else f" ({s.days_text})")
                      for s in shifts)


def score_rota(demand, rota) -> RotaScore:
    """Score a given rota (spec string or shifts) with :func:`coverage`.

    Parameters
    ----------
    demand : 168 values (or 7 x 24), incidents per week per hour of the week.
    rota : str like ``"07:00-17:00x4,14:00-00:00x3"`` or a sequence of :class:`Shift`.
    """
    d = _as_demand(demand)
    shifts = parse_rota(rota) if isinstance(rota, str) else tuple(rota)
    if not shifts:
        raise BeatwiseError("the rota has no shifts")
    on = rota_on_duty(shifts)
    k = float(d.sum() / on.sum())
    return RotaScore(shifts=shifts, on_duty=tuple(float(v) for v in on),
                     coverage=coverage(d, on), load_per_officer_hour=k,
                     label=_rota_label(shifts), understaffed=_understaffed(d, on))


# ---------------------------------------------------------------------------------------------
# the MILP

@dataclass(frozen=True)
class _Columns:
    cover: np.ndarray      # (168, ncol) how many of the column's shifts cover each hour
    day: np.ndarray        # (ncol,) day index j (0 for the common pattern)
    start: np.ndarray      # (ncol,) start hour
    n_days: int            # 7 per weekday, 1 common


def _columns(length_h: int, starts: Sequence[int], per_weekday: bool) -> _Columns:
    n_days = 7 if per_weekday else 1
    ncol = n_days * len(starts)
    cover = np.zeros((HOURS_PER_WEEK, ncol), dtype=float)
    day = np.repeat(np.arange(n_days), len(starts))
    start = np.tile(np.asarray(starts, dtype=int), n_days)
    for c in range(ncol):
        for d in ((int(day[c]),) if per_weekday else ALL_DAYS):
            cover[(24 * d + int(start[c]) + np.arange(length_h)) % HOURS_PER_WEEK, c] += 1
    return _Columns(cover, day, start, n_days)


@dataclass(frozen=True)
class _Solved:
    x: Optional[np.ndarray]
    status: int            # 0 optimal, 1 limit, 2 infeasible, 4 other (see _Result)
    message: str
    objective: float       # of the maximisation (nan if none)
    bound: float           # proven upper bound of the maximisation (nan if none)
    gap: float
    seconds: float

    @classmethod
    def of(cls, res, x: Optional[np.ndarray], total: float, seconds: float) -> "_Solved":
        """From a :class:`_Result` of the minimisation ``-sum z``, scaled by ``total``."""
        obj = float("nan") if res.x is None else -float(res.fun) / total
        dual = getattr(res, "mip_dual_bound", None)
        bound = float("nan") if dual is None or not np.isfinite(dual) else -float(dual) / total
        gap = getattr(res, "mip_gap", None)
        return cls(x=x, status=int(res.status), message=str(res.message), objective=obj,
                   bound=bound, gap=float("nan") if gap is None else float(gap), seconds=seconds)


class _Model:
    """Sparse MILP under construction: variables in blocks, rows as (cols, vals, lo, hi)."""

    def __init__(self) -> None:
        self.n = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def block(self, size: int) -> int:
        first = self.n
        self.n += size
        return first

    def row(self, cols, vals, lo: float, hi: float) -> None:
        cols = np.asarray(cols, dtype=np.int64).ravel()
        self.rows.append(np.full(cols.size, len(self.lo), dtype=np.int64))
        self.cols.append(cols)
        self.vals.append(np.broadcast_to(np.asarray(vals, dtype=float), cols.shape))
        self.lo.append(lo)
        self.hi.append(hi)

    def solve(self, c, integrality, lb, ub, time_limit_s: float, *, start=None,
              progress: Optional[ProgressFn] = None, message: str = ""):
        """Minimise ``c x`` with HiGHS (highspy), proving optimality (``mip_rel_gap = 0``).

        ``start`` (a feasible full solution) is handed to HiGHS as its first incumbent.
        ``progress`` is called about every 0.2 s with the elapsed share of the time limit, from
        HiGHS's interrupt callbacks: a :class:`Cancelled` raised there stops the solver within
        its next callback and is raised again here. Returns ``(_Result, seconds)``.
        """
        import highspy
        from scipy.sparse import coo_matrix

        a = coo_matrix((np.concatenate(self.vals), (np.concatenate(self.rows),
                                                    np.concatenate(self.cols))),
                       shape=(len(self.lo), self.n)).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, len(self.lo)
        lp.col_cost_ = np.asarray(c, dtype=float)
        lp.col_lower_, lp.col_upper_ = np.asarray(lb, dtype=float), np.asarray(ub, dtype=float)
        lp.row_lower_, lp.row_upper_ = np.asarray(self.lo, float), np.asarray(self.hi, float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integrality]
        h = highspy.Highs()
        for name, value in (("output_flag", False), ("mip_rel_gap", 0.0),
                            ("time_limit", float(time_limit_s)), ("presolve", "on")):
            h.setOptionValue(name, value)
        h.passModel(lp)
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = [float(v) for v in start]
            sol.value_valid = True
            h.setSolution(sol)
        t0 = time.perf_counter()
        stopped: list[BaseException] = []
        if progress is not None:
            last = [t0]

            def _interrupt(event) -> None:
                now = time.perf_counter()
                if not stopped and now - last[0] >= 0.2:
                    last[0] = now
                    try:
                        report(progress, (now - t0) / float(time_limit_s), message)
                    except BaseException as exc:    # Cancelled, or an error in the callback
                        stopped.append(exc)
                if stopped:
                    event.interrupt()

            for hook in (h.cbMipInterrupt, h.cbSimplexInterrupt):
                hook.subscribe(_interrupt)
        h.run()
        seconds = time.perf_counter() - t0
        if stopped:
            raise stopped[0]
        return _Result.of(h), seconds


@dataclass(frozen=True)
class _Result:
    """What the callers need from a HiGHS run, in ``scipy.optimize.milp``'s terms."""

    x: Optional[np.ndarray]
    fun: float
    status: int            # 0 optimal, 1 time limit, 2 infeasible, 4 other
    message: str
    mip_dual_bound: float
    mip_gap: float

    @classmethod
    def of(cls, h) -> "_Result":
        import highspy

        ms = h.getModelStatus()
        info = h.getInfo()
        feasible = info.primal_solution_status == 2            # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float) if feasible else None
        if ms == highspy.HighsModelStatus.kOptimal:
            status = 0
        elif ms in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit,
                    highspy.HighsModelStatus.kSolutionLimit, highspy.HighsModelStatus.kInterrupt):
            status = 1
        elif ms in (highspy.HighsModelStatus.kInfeasible,
                    highspy.HighsModelStatus.kUnboundedOrInfeasible):
            status = 2
        else:
            status = 4
        return cls(x=x, fun=float(info.objective_function_value) if feasible else float("nan"),
                   status=status, message=h.modelStatusToString(ms),
                   mip_dual_bound=float(info.mip_dual_bound), mip_gap=float(info.mip_gap))


def _add_group(model: _Model, cols: _Columns, group_size: int, max_starts: int) -> int:
    """Level variables ``b_{c,v}`` (column c starts exactly v officers), v = 1..group_size.

    Rows: at most one level per column; ``sum_{c in day} sum_v v b = group_size`` and
    ``sum_{c in day} sum_v b <= K`` for every day. Returns the first variable index; variable
    ``first + c * group_size + (v - 1)`` is ``b_{c,v}``.
    """
    ncol = cols.cover.shape[1]
    first = model.block(ncol * group_size)
    levels = np.arange(1, group_size + 1, dtype=float)
    for c in range(ncol):
        model.row(first + c * group_size + np.arange(group_size), 1.0, 0.0, 1.0)
    for j in range(cols.n_days):
        idx = (first + np.flatnonzero(cols.day == j)[:, None] * group_size
               + np.arange(group_size)[None, :]).ravel()
        model.row(idx, np.tile(levels, idx.size // group_size), group_size, group_size)
        model.row(idx, 1.0, 0.0, float(max_starts))
    return first


def _levels_to_x(values: np.ndarray, first: int, ncol: int, group_size: int) -> np.ndarray:
    b = np.rint(values[first:first + ncol * group_size]).reshape(ncol, group_size)
    return (b @ np.arange(1, group_size + 1)).astype(int)


def _covering(cols: _Columns, first: int, group_size: int, t: int):
    """Indices of the level variables of the columns covering hour t, and their multiplicity."""
    cs = np.flatnonzero(cols.cover[t])
    idx = (first + cs[:, None] * group_size + np.arange(group_size)[None, :]).ravel()
    mult = np.repeat(cols.cover[t, cs], group_size)
    levels = np.tile(np.arange(1, group_size + 1, dtype=float), cs.size)
    return idx, mult, levels


def _solve_constables(d: np.ndarray, officers: int, length_h: int, cols: _Columns, max_starts: int,
                      min_on_duty: int, time_limit_s: float, *, start: Optional[np.ndarray] = None,
                      progress: Optional[ProgressFn] = None) -> _Solved:
    """The level form (module docstring); ``start`` = head-counts per column of a feasible plan."""
    ncol = cols.cover.shape[1]
    dp, total = _officer_units(d, officers, length_h)
    model = _Model()
    b0 = _add_group(model, cols, officers, max_starts)
    z0 = model.block(HOURS_PER_WEEK)
    for t in range(HOURS_PER_WEEK):
        idx, mult, levels = _covering(cols, b0, officers, t)
        cols_t = np.append(idx, z0 + t)
        # z_t <= on_t
        model.row(cols_t, np.append(-mult * levels, 1.0), -np.inf, 0.0)
        # z_t <= sum over covering shifts of min(d'_t, v): min(d, a + b) <= min(d, a) + min(d, b)
        model.row(cols_t, np.append(-mult * np.minimum(dp[t], levels), 1.0), -np.inf, 0.0)
        # on_t is an integer: min(d', on) <= floor(d') + frac(d') (on - floor(d'))
        fl = math.floor(dp[t])
        fr = dp[t] - fl
        if fr > 1e-12:
            model.row(cols_t, np.append(-fr * mult * levels, 1.0), -np.inf, fl - fr * fl)
        if min_on_duty > 0:
            model.row(idx, mult * levels, float(min_on_duty), np.inf)
    c = np.zeros(model.n)
    c[z0:] = -1.0
    lb = np.zeros(model.n)
    ub = np.concatenate([np.ones(ncol * officers), dp])
    integrality = np.concatenate([np.ones(ncol * officers), np.zeros(HOURS_PER_WEEK)])
    first = None
    if start is not None:
        first = np.zeros(model.n)
        used = np.flatnonzero(start > 0)
        first[b0 + used * officers + start[used] - 1] = 1.0
        first[z0:] = np.minimum(dp, cols.cover @ start)
    res, seconds = model.solve(c, integrality, lb, ub, time_limit_s, start=first,
                               progress=progress, message=f"Solving {length_h}-hour shifts")
    x = None if res.x is None else _levels_to_x(res.x, b0, ncol, officers)
    return _Solved.of(res, x, total, seconds)


def _solve_constables_counts(d: np.ndarray, officers: int, length_h: int, cols: _Columns,
                             max_starts: int, min_on_duty: int, time_limit_s: float, *,
                             progress: Optional[ProgressFn] = None) -> _Solved:
    """The textbook form: integer ``x_c``, binary ``y_c``, ``x_c <= N y_c``, ``sum_c y_c <= K``.

    Used for the common pattern with many officers (:data:`LEVELS_MAX_OFFICERS`), where its 24
    integer columns branch faster than ``24 N`` level binaries.
    """
    ncol = cols.cover.shape[1]
    dp, total = _officer_units(d, officers, length_h)
    use_y = max_starts < ncol // cols.n_days
    model = _Model()
    x0 = model.block(ncol)
    y0 = model.block(ncol) if use_y else None
    z0 = model.block(HOURS_PER_WEEK)
    for j in range(cols.n_days):
        in_day = np.flatnonzero(cols.day == j)
        model.row(x0 + in_day, 1.0, officers, officers)
        if use_y:
            model.row(y0 + in_day, 1.0, 0.0, float(max_starts))
    if use_y:
        for c in range(ncol):
            model.row([x0 + c, y0 + c], [1.0, -float(officers)], -np.inf, 0.0)
    for t in range(HOURS_PER_WEEK):
        cs = np.flatnonzero(cols.cover[t])
        mult = cols.cover[t, cs]
        cols_t = np.append(x0 + cs, z0 + t)
        model.row(cols_t, np.append(-mult, 1.0), -np.inf, 0.0)
        fl = math.floor(dp[t])
        fr = dp[t] - fl
        if fr > 1e-12:
            model.row(cols_t, np.append(-fr * mult, 1.0), -np.inf, fl - fr * fl)
        if min_on_duty > 0:
            model.row(x0 + cs, mult, float(min_on_duty), np.inf)
    c = np.zeros(model.n)
    c[z0:] = -1.0
    lb = np.zeros(model.n)
    ub = np.concatenate([np.full(ncol, float(officers)), np.ones(ncol if use_y else 0), dp])
    integrality = np.concatenate([np.ones(ncol + (ncol if use_y else 0)), np.zeros(HOURS_PER_WEEK)])
    res, seconds = model.solve(c, integrality, lb, ub, time_limit_s, progress=progress,
                               message=f"Solving {length_h}-hour shifts")
    x = None if res.x is None else np.rint(res.x[x0:x0 + ncol]).astype(int)
    return _Solved.of(res, x, total, seconds)


def _solve_sergeants(on: np.ndarray, sergeants: int, length_h: int, cols: _Columns,
                     max_starts: int, time_limit_s: float, *,
                     progress: Optional[ProgressFn] = None) -> _Solved:
    ncol = cols.cover.shape[1]
    active = np.flatnonzero(on > 0)
    idle = on <= 0
    model = _Model()
    b0 = _add_group(model, cols, sergeants, max_starts)
    g0 = model.block(active.size)
    for i, t in enumerate(active):                  # sergeants_on_t + g_t >= 1
        idx, mult, levels = _covering(cols, b0, sergeants, t)
        model.row(np.append(idx, g0 + i), np.append(mult * levels, 1.0), 1.0, np.inf)
    # Lexicographic weights: unsupervised hours first, then unsupervised constable-hours, then
    # sergeant-hours with no constable on duty (each level outweighs the whole of the next).
    w2 = 7.0 * sergeants * length_h + 1.0
    w1 = w2 * (float(on.sum()) + 1.0)
    c = np.zeros(model.n)
    idle_hours = cols.cover[idle].sum(axis=0)
    c[b0:g0] = (idle_hours[:, None] * np.arange(1, sergeants + 1)[None, :]).ravel()
    c[g0:] = w1 + w2 * on[active]
    lb = np.zeros(model.n)
    ub = np.ones(model.n)
    integrality = np.concatenate([np.ones(ncol * sergeants), np.zeros(active.size)])
    res, seconds = model.solve(c, integrality, lb, ub, time_limit_s, progress=progress,
                               message=f"Planning sergeants ({length_h}-hour shifts)")
    x = None if res.x is None else _levels_to_x(res.x, b0, ncol, sergeants)
    gap = getattr(res, "mip_gap", None)
    return _Solved(x=x, status=int(res.status), message=str(res.message),
                   objective=float("nan") if res.x is None else float(res.fun),
                   bound=float("nan"), gap=float("nan") if gap is None else float(gap),
                   seconds=seconds)


def _shifts_from_x(x: np.ndarray, cols: _Columns, length_h: int) -> tuple[Shift, ...]:
    """Shift lines from the solution; per weekday, equal (start, count) pairs share one line."""
    by_key: dict[tuple[int, int], list[int]] = {}
    for c in np.flatnonzero(x > 0):
        days = [int(cols.day[c])] if cols.n_days == 7 else list(ALL_DAYS)
        by_key.setdefault((int(cols.start[c]), int(x[c])), []).extend(days)
    shifts = [Shift(start_minute=60 * s, length_minutes=60 * length_h, officers=n,
                    weekdays=tuple(sorted(days))) for (s, n), days in by_key.items()]
    return tuple(sorted(shifts, key=lambda s: (s.weekdays[0], s.start_minute, -s.officers)))


def _hour_runs(hours: Sequence[int]) -> str:
    """Hours of one day (0..23) as "02:00-06:00, 22:00-00:00"."""
    hs = sorted(hours)
    runs: list[list[int]] = []
    for h in hs:
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    return ", ".join(f"{r[0]:02d}:00-{(r[-1] + 1) % 24:02d}:00" for r in runs)


def describe_hours(slots: Iterable[tuple[int, int]]) -> str:
    """(weekday, hour) slots as "every day 02:00-06:00" / "Fri, Sat 22:00-00:00; Sun 00:00-02:00"."""
    per_day: dict[int, list[int]] = {}
    for d, h in slots:
        per_day.setdefault(int(d), []).append(int(h))
    by_text: dict[str, list[int]] = {}
    for d in sorted(per_day):
        by_text.setdefault(_hour_runs(per_day[d]), []).append(d)
    return "; ".join(f"{days_text(days)} {text}" for text, days in by_text.items())


def _explain_infeasible(officers, length_h, cols, max_starts, min_on_duty, starts) -> str:
    need = 24 * min_on_duty
    have = officers * length_h
    if have < need:
        return (f"{min_on_duty} officer(s) on duty in every hour needs at least {need} officer-hours "
                f"a day, but {officers} officer(s) on {length_h}-hour shifts give only {have}: "
                f"lower --min-on-duty or add officers")
    if max_starts * length_h < 24:
        return (f"with at most {max_starts} start time(s) a day and {length_h}-hour shifts only "
                f"{max_starts * length_h} of the 24 hours can be covered, so not every hour can have "
                f"{min_on_duty} on duty: allow more start times (--max-starts) or longer shifts")
    return (f"no plan with start times {', '.join(f'{h:02d}:00' for h in starts)} and at most "
            f"{max_starts} a day puts {min_on_duty} officer(s) on duty in every hour: allow more "
            f"start times (--starts any), raise --max-starts or lower --min-on-duty")


# ---------------------------------------------------------------------------------------------
# sentences

def _pattern_text(shifts: Sequence[Shift]) -> str:
    """"4 officers at 18:00 and 3 at 10:00" (per weekday: "Mon-Thu: ...; Fri, Sat: ...")."""
    def one_day(lines: Sequence[tuple[int, int]]) -> str:
        lines = sorted(lines, key=lambda p: (-p[1], p[0]))
        parts = [f"{n} officer{'s' if n != 1 else ''} at {_hhmm(60 * s)}" if i == 0
                 else f"{n} at {_hhmm(60 * s)}" for i, (s, n) in enumerate(lines)]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    per_day: dict[int, list[tuple[int, int]]] = {d: [] for d in ALL_DAYS}
    for s in shifts:
        for d in s.weekdays:
            per_day[d].append((s.start_minute // 60, s.officers))
    groups: dict[tuple, list[int]] = {}
    for d in ALL_DAYS:
        groups.setdefault(tuple(sorted(per_day[d])), []).append(d)
    if len(groups) == 1:
        return "start " + one_day(next(iter(groups)))
    return "; ".join(f"{days_text(days)}: start {one_day(key)}" for key, days in groups.items())


def _run_around(t: int, same) -> list[int]:
    """The cyclic run of hours around ``t`` (at most 24) where ``same(u)`` holds."""
    back = t
    while len(range(back - 1, t + 1)) <= 24 and same((back - 1) % HOURS_PER_WEEK) and back - 1 > t - 24:
        back -= 1
    fwd = t
    while fwd + 1 < back + 24 and same((fwd + 1) % HOURS_PER_WEEK):
        fwd += 1
    return [u % HOURS_PER_WEEK for u in range(back, fwd + 1)]


def _fmt_n(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _highlight(d: np.ndarray, on: np.ndarray, cur: Optional[np.ndarray]) -> str:
    """One sentence on the busiest hours the plan staffs differently (or at all)."""
    if cur is not None:
        gain = d * np.maximum(on - cur, 0.0)
        if gain.max() <= 0:
            return ""
        t = int(np.argmax(gain))
        p, c = on[t], cur[t]
        run = _run_around(t, lambda u: on[u] == p and abs(cur[u] - c) < 1e-9)
    else:
        t = int(np.argmax(d))
        p = on[t]
        run = _run_around(t, lambda u: on[u] == p and d[u] >= 0.5 * d[t])
    offsets = [(u - run[0]) % HOURS_PER_WEEK for u in run]
    h0 = run[0] % 24
    base_day = run[0] // 24
    day_demand = {}
    for k in range(7):
        slots = [(run[0] + 24 * k + o) % HOURS_PER_WEEK for o in offsets]
        ok = all(on[u] == p for u in slots) and (cur is None or all(abs(cur[u] - c) < 1e-9 for u in slots))
        if ok:
            day_demand[(base_day + k) % 7] = float(d[slots].sum())
    top = max(day_demand.values())
    days = sorted(dd for dd, v in day_demand.items() if v >= 0.6 * top)
    share = sum(day_demand[dd] for dd in days) / float(d.sum())
    when = f"{_days_words(days)} {h0:02d}:00-{(h0 + len(run)) % 24:02d}:00"
    if cur is not None:
        return (f"{when[0].upper() + when[1:]} ({share:.0%} of the week's demand) go from "
                f"{_fmt_n(c)} to {_fmt_n(p)} officers.")
    return (f"The busiest hours, {when} ({share:.0%} of the week's demand), have {_fmt_n(p)} "
            f"officer{'s' if p != 1 else ''} on duty.")


def _plan_summary(plan_shifts, length_h, cov, on, d, current: Optional[RotaScore],
                  understaffed, supervision, status) -> str:
    text = (f"{_pattern_text(plan_shifts)} ({length_h}-hour shifts): staffing matches "
            f"{cov:.0%} of incident demand")
    text = text[0].upper() + text[1:]
    if current is not None:
        text += f", against {current.coverage:.0%} for the current {current.label} rota"
    text += "."
    hl = _highlight(d, on.astype(float), None if current is None else np.asarray(current.on_duty))
    if hl:
        text += " " + hl
    if understaffed:
        worst = understaffed[:3]
        text += (" Still most under-staffed: " + ", ".join(
            f"{WEEKDAY_ABBR[u.weekday]} {u.hour:02d}:00 ({_fmt_n(u.on_duty)} on duty, "
            f"{u.needed:.1f} needed)" for u in worst) + ".")
    if supervision:
        text += " " + supervision
    if status != "optimal":
        text = f"Best plan found, {status}. " + text
    return text


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


def recommend_shifts(demand, *, officers: int, shift_hours: Sequence[int] = (8,),
                     starts: Optional[Sequence[int]] = None, max_starts: int = 3,
                     min_on_duty: int = 0, per_weekday: bool = False, sergeants: int = 0,
                     current=None, time_limit_s: float = DEFAULT_TIME_LIMIT_S,
                     progress: Optional[ProgressFn] = None) -> ShiftRecommendation:
    """Shift start times and head-counts that maximise coverage of incident demand.

    Parameters
    ----------
    demand : 168 values (or a 7 x 24 matrix, Monday first)
        Incidents (weight) per week in each hour of the week, e.g. :func:`demand_from_incidents`.
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
        (see the module docstring); 0 for none.
    current : str or sequence of Shift, optional
        The current rota, scored with the same coverage and compared in the summary.
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
        Invalid parameters, no demand, or no shift length has a plan meeting the rules (the
        message says why, e.g. "3 officer(s) on duty in every hour needs at least 72
        officer-hours a day, but 2 officer(s) on 8-hour shifts give only 16").
    """
    d = _as_demand(demand)
    officers = _check_int("officers", officers, 1)
    max_starts = _check_int("max_starts", max_starts, 1)
    min_on_duty = _check_int("min_on_duty", min_on_duty, 0)
    sergeants = _check_int("sergeants", sergeants, 0)
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
    cur = None if current is None else score_rota(d, current)

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


def _solve_common_enumerated(d: np.ndarray, officers: int, length_h: int, cols: _Columns,
                             max_starts: int, min_on_duty: int) -> _Solved:
    """Same every day, at most 3 start times: every plan enumerated
    (:func:`analysis.staffing.search.best_common_plan`), which proves the optimum."""
    t0 = time.perf_counter()
    dp, total = _officer_units(d, officers, length_h)
    dp = dp.reshape(7, 24)
    levels = np.arange(officers + 1, dtype=float)
    values = np.minimum(dp[:, :, None], levels[None, None, :]).sum(axis=0)     # (24, N + 1)
    allowed = None
    if min_on_duty > 0:
        allowed = np.broadcast_to(levels[None, :] >= min_on_duty, values.shape)
    starts = [int(s) for s in cols.start]
    best, plan = shift_search.best_common_plan(values, length_h=length_h, starts=starts,
                                               max_starts=max_starts, allowed=allowed)
    seconds = time.perf_counter() - t0
    if not plan:
        return _Solved(x=None, status=2, message="no plan meets the rules", objective=float("nan"),
                       bound=float("nan"), gap=float("nan"), seconds=seconds)
    x = np.array([plan.get(s, 0) for s in starts], dtype=np.int64)
    return _Solved(x=x, status=0, message="optimal (every plan enumerated)",
                   objective=best / total, bound=best / total, gap=0.0, seconds=seconds)


def _solve_common(d: np.ndarray, params: ShiftParameters, length_h: int, cols: _Columns,
                  time_limit_s: float, progress: Optional[ProgressFn]) -> _Solved:
    """The best same-every-day plan: enumerated when at most 3 start times a day are allowed
    (milliseconds), else the MILP (level form, or the counts form for many officers)."""
    if shift_search.supported(params.max_starts, len(params.starts)):
        return _solve_common_enumerated(d, params.officers, length_h, cols, params.max_starts,
                                        params.min_on_duty)
    solver = (_solve_constables_counts if params.officers > LEVELS_MAX_OFFICERS
              else _solve_constables)
    return solver(d, params.officers, length_h, cols, params.max_starts, params.min_on_duty,
                  time_limit_s, progress=progress)


def _solve_per_weekday(d: np.ndarray, params: ShiftParameters, length_h: int, cols: _Columns,
                       progress: Optional[ProgressFn]) -> _Solved:
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
    common_cols = _columns(length_h, starts, False)
    common = _solve_common(d, params, length_h, common_cols, params.time_limit_s,
                           scaled(progress, 0.0, 0.15))
    seconds = common.seconds
    start = None
    if common.x is not None:
        start = np.tile(common.x, cols.n_days)
        if shift_search.supported(params.max_starts, len(starts)):
            t0 = time.perf_counter()
            r, _ = _officer_units(d, officers, length_h)
            rules = dict(length_h=length_h, starts=starts, max_starts=params.max_starts,
                         min_on_duty=params.min_on_duty, officers=officers)
            tiled = np.zeros((7, 24), dtype=np.int64)
            tiled[:, list(starts)] = start.reshape(7, len(starts))
            found = [shift_search.improve_by_days(r, tiled, progress=scaled(progress, 0.15, 0.25),
                                                  **rules)[0],
                     shift_search.improve_by_days(r, np.zeros((7, 24), dtype=np.int64),
                                                  progress=scaled(progress, 0.25, 0.3), **rules)[0]]
            # an empty-week start leaves days unplanned when a minimum on duty cannot be met
            # while later days are still empty; the plan from the common optimum is complete
            found = [x[:, list(starts)].reshape(-1) for x in found
                     if (x.sum(axis=1) == officers).all()]
            start = max(found, key=lambda x: coverage(d, cols.cover @ x))
            seconds += time.perf_counter() - t0
    # The time limit is per shift length: the MILP gets what steps 1-2 left (at least a quarter).
    limit_s = max(params.time_limit_s - seconds, 0.25 * params.time_limit_s)
    solved = _solve_constables(d, officers, length_h, cols, params.max_starts, params.min_on_duty,
                               limit_s, start=start,
                               progress=scaled(progress, 0.3, 1.0))
    seconds += solved.seconds
    if solved.status in (0, 2) or start is None:
        return dataclasses.replace(solved, seconds=seconds)
    if solved.x is not None and coverage(d, cols.cover @ solved.x) >= coverage(d, cols.cover @ start):
        return dataclasses.replace(solved, seconds=seconds)
    return dataclasses.replace(solved, x=start, objective=coverage(d, cols.cover @ start),
                               seconds=seconds, status=1)


def _plan_for_length(d: np.ndarray, params: ShiftParameters, length_h: int,
                     cur: Optional[RotaScore], progress: Optional[ProgressFn] = None) -> ShiftPlan:
    cols = _columns(length_h, params.starts, params.per_weekday)
    if params.per_weekday:
        solved = _solve_per_weekday(d, params, length_h, cols, scaled(progress, 0.0, 0.9))
    else:
        solved = _solve_common(d, params, length_h, cols, params.time_limit_s,
                               scaled(progress, 0.0, 0.9))
    nan = float("nan")
    if solved.x is None:
        if solved.status == 2:
            status = "infeasible: " + _explain_infeasible(params.officers, length_h, cols,
                                                          params.max_starts, params.min_on_duty,
                                                          params.starts)
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
                  f"can exceed {bound:.1%} coverage")
    shifts = _shifts_from_x(solved.x, cols, length_h)
    seconds = solved.seconds
    sg_shifts, sg_on, unsupervised, supervision = (), (), (), ""
    if params.sergeants:
        sg = _solve_sergeants(on, params.sergeants, length_h, cols, params.max_starts,
                              params.time_limit_s, progress=scaled(progress, 0.9, 1.0))
        seconds += sg.seconds
        if sg.x is None:
            supervision = f"Sergeants could not be planned: {sg.message}."
        else:
            sg_on_arr = np.rint(cols.cover @ sg.x).astype(int)
            sg_shifts = _shifts_from_x(sg.x, cols, length_h)
            sg_on = tuple(int(v) for v in sg_on_arr)
            unsupervised = tuple((t // 24, t % 24) for t in range(HOURS_PER_WEEK)
                                 if on[t] > 0 and sg_on_arr[t] == 0)
            proven = "" if sg.status == 0 else " (best found, not proven optimal)"
            sg_text = _pattern_text(sg_shifts).replace("officer", "sergeant")
            if not unsupervised:
                supervision = (f"Sergeants: {sg_text}; a sergeant is on duty whenever constables "
                               f"are{proven}.")
            else:
                supervision = (
                    f"Sergeants: {sg_text}. {params.sergeants} sergeant(s) a day on {length_h}-hour "
                    f"shifts cannot be on duty whenever constables are: {len(unsupervised)} hour(s) a "
                    f"week have constables and no sergeant ({describe_hours(unsupervised)}){proven}.")
    under = _understaffed(d, on.astype(float))
    summary = _plan_summary(shifts, length_h, cov, on, d, cur, under, supervision, status)
    return ShiftPlan(shift_hours=length_h, status=status, shifts=shifts,
                     on_duty=tuple(int(v) for v in on), coverage=cov, coverage_bound=bound,
                     load_per_officer_hour=float(d.sum() / on.sum()), understaffed=under,
                     sergeant_shifts=sg_shifts, sergeant_on_duty=sg_on, unsupervised=unsupervised,
                     supervision=supervision, mip_gap=solved.gap, solve_seconds=seconds,
                     parameters=params, summary=summary, demand=tuple(float(v) for v in d))


# ---------------------------------------------------------------------------------------------
# demand from incidents

@dataclass(frozen=True)
class Demand:
    """Incident demand per hour of the week, per week, for :func:`recommend_shifts`.

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
