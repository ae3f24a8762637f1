"""The mixed-integer linear programmes of shift timing, solved by HiGHS.

HiGHS (Huangfu & Hall 2018, "Parallelizing the dual revised simplex method", Math. Prog. Comp.
10, 119-142) through ``highspy``, the same solver :func:`scipy.optimize.milp` wraps, used
directly so that it can be started from a known plan and interrupted when the user cancels.
Every instance is made by :func:`_silent_highs`, which switches HiGHS's output off before any
other call: its banner on stdout would break ``beatwise ... --json``.

MILP (one per shift length)
    Columns ``c = (j, s)``: start hour ``s`` on day ``j`` (one day for the common pattern, whose
    columns cover all seven days; :func:`columns`). Head-counts are written in levels: binary
    ``b_{c,v}`` = "column ``c`` starts exactly ``v`` officers" (``v = 1..N``), so
    ``x_c = sum_v v b_{c,v}`` and "start time used" is ``sum_v b_{c,v}``. Demand is in officer
    units ``d'_t = d_t 7 N L / sum d`` (``k = 1``, :func:`analysis.staffing.demand.officer_units`)::

        maximise   sum_t z_t
        subject to 0 <= z_t <= d'_t
                   z_t <= on_t = sum_{c covering t} sum_v v b_{c,v}
                   z_t <= sum_{c covering t} sum_v min(d'_t, v) b_{c,v}
                   sum_v b_{c,v} <= 1                                  for every column c
                   sum_{c in day j} sum_v v b_{c,v} = N                 for every day j
                   sum_{c in day j} sum_v b_{c,v} <= K                  for every day j
                   z_t <= floor(d'_t) + frac(d'_t) (on_t - floor(d'_t))
                   on_t >= m                                           (if m > 0)

    and ``coverage = sum_t z_t / (7 N L)`` (:func:`solve_constables`). The ``min(d'_t, v)`` row
    is valid because ``min(d, a + b) <= min(d, a) + min(d, b)`` for ``a, b >= 0``, the ``floor``
    row because ``on_t`` is an integer (it is the concave envelope of ``min(d'_t, .)`` over the
    integers). Both are redundant for integer solutions but cut off the fractional "spread every
    officer thinly over many start times" solutions that make the textbook form
    (``x_c <= N y_c``, ``sum_c y_c <= K``) hopeless: its LP relaxation ignores ``K`` entirely,
    because coverage is concave in the head-counts. The solver runs with ``mip_rel_gap = 0``: a
    plan is ``optimal`` only when HiGHS has proved that no plan under the rules has a higher
    coverage. Otherwise (time limit) the status says so and gives the proven upper bound.

    For the common pattern with many officers a day the textbook form (integer ``x_c``, binary
    ``y_c``, ``x_c <= N y_c``, ``sum_c y_c <= K``, with the ``floor`` row;
    :func:`solve_constables_counts`) is used instead: the same model and optimum, and with only
    24 columns HiGHS branches faster on it than on ``24 N`` level binaries.

    Even with these rows the per-weekday bound stays weak: on the demo with 50 officers and
    10-hour shifts the root bound is 85.9% coverage while the best plan known is 84.9%, and
    HiGHS was still at the root node after 60 s. Any relaxation that treats head-counts as
    divisible can mix many start times thinly, and one day's head-counts ``{x >= 0 integer,
    sum x = N, at most K non-zero}`` have the whole scaled simplex as convex hull (its corners
    ``N e_s`` are feasible), so the limit of ``K`` start times only bites through branching.

Sergeants
    A second group of ``S`` sergeants a day on shifts of the same length, start-time rules and
    ``K``, planned *after* the constables (the constable plan, which maximises coverage, is not
    changed) by a second MILP (:func:`solve_sergeants`). With ``g_t >= 1 - sergeants_on_t``,
    ``0 <= g_t <= 1`` for every hour ``t`` with constables on duty, it minimises,
    lexicographically through weights each larger than the whole of the next term, (1)
    ``sum_t g_t``, the hours with constables and no sergeant, (2) ``sum_t on_t g_t``, the
    constable-hours unsupervised, and (3) sergeant-hours when no constable is on duty.
    ``sergeants_on_t`` is an integer, so ``g_t`` is 0 or 1 at the optimum and (1) counts the
    unsupervised hours exactly.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from analysis.progress import ProgressFn, report
from analysis.staffing.demand import officer_units
from analysis.staffing.week import ALL_DAYS, HOURS_PER_WEEK, Shift


def _silent_highs():
    """A HiGHS instance that prints nothing: the one place Beatwise makes one.

    ``highspy.Highs()`` registers its callbacks in its constructor, and HiGHS prints its banner
    ("Running HiGHS ...") on stdout at that first call unless ``output_flag`` is already False
    (../shared/PLATFORM.md, "Solvers"). So the binding ``highspy._Highs`` is made bare, and
    ``output_flag`` and ``log_to_console`` are set False before anything else is called on it.
    """
    import highspy

    h = highspy._Highs()
    for name in ("output_flag", "log_to_console"):
        h.setOptionValue(name, False)
    return h


@dataclass(frozen=True)
class Columns:
    cover: np.ndarray      # (168, ncol) how many of the column's shifts cover each hour
    day: np.ndarray        # (ncol,) day index j (0 for the common pattern)
    start: np.ndarray      # (ncol,) start hour
    n_days: int            # 7 per weekday, 1 common


def columns(length_h: int, starts: Sequence[int], per_weekday: bool) -> Columns:
    n_days = 7 if per_weekday else 1
    ncol = n_days * len(starts)
    cover = np.zeros((HOURS_PER_WEEK, ncol), dtype=float)
    day = np.repeat(np.arange(n_days), len(starts))
    start = np.tile(np.asarray(starts, dtype=int), n_days)
    for c in range(ncol):
        for d in ((int(day[c]),) if per_weekday else ALL_DAYS):
            cover[(24 * d + int(start[c]) + np.arange(length_h)) % HOURS_PER_WEEK, c] += 1
    return Columns(cover, day, start, n_days)


@dataclass(frozen=True)
class Solved:
    x: Optional[np.ndarray]
    status: int            # 0 optimal, 1 limit, 2 infeasible, 4 other (see _Result)
    message: str
    objective: float       # of the maximisation (nan if none)
    bound: float           # proven upper bound of the maximisation (nan if none)
    gap: float
    seconds: float
    #: which method made (and, when optimal, proved) the plan; and why not another, if any
    method: str = "HiGHS MILP"
    note: str = ""

    @classmethod
    def of(cls, res, x: Optional[np.ndarray], total: float, seconds: float) -> "Solved":
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
        h = _silent_highs()
        for name, value in (("mip_rel_gap", 0.0), ("time_limit", float(time_limit_s)),
                            ("presolve", "on")):
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

            def _interrupt(callback_type, text, data_out, data_in, user_data) -> None:
                now = time.perf_counter()
                if not stopped and now - last[0] >= 0.2:
                    last[0] = now
                    try:
                        report(progress, (now - t0) / float(time_limit_s), message)
                    except BaseException as exc:    # Cancelled, or an error in the callback
                        stopped.append(exc)
                if stopped and data_in is not None:
                    data_in.user_interrupt = True

            h.setCallback(_interrupt, None)
            for kind in (highspy.cb.HighsCallbackType.kCallbackMipInterrupt,
                         highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt):
                h.startCallback(kind)
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


def _add_group(model: _Model, cols: Columns, group_size: int, max_starts: int) -> int:
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


def _covering(cols: Columns, first: int, group_size: int, t: int):
    """Indices of the level variables of the columns covering hour t, and their multiplicity."""
    cs = np.flatnonzero(cols.cover[t])
    idx = (first + cs[:, None] * group_size + np.arange(group_size)[None, :]).ravel()
    mult = np.repeat(cols.cover[t, cs], group_size)
    levels = np.tile(np.arange(1, group_size + 1, dtype=float), cs.size)
    return idx, mult, levels


def solve_constables(d: np.ndarray, officers: int, length_h: int, cols: Columns, max_starts: int,
                      min_on_duty: int, time_limit_s: float, *, start: Optional[np.ndarray] = None,
                      progress: Optional[ProgressFn] = None) -> Solved:
    """The level form (module docstring); ``start`` = head-counts per column of a feasible plan."""
    ncol = cols.cover.shape[1]
    dp, total = officer_units(d, officers, length_h)
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
    return Solved.of(res, x, total, seconds)


def solve_constables_counts(d: np.ndarray, officers: int, length_h: int, cols: Columns,
                             max_starts: int, min_on_duty: int, time_limit_s: float, *,
                             progress: Optional[ProgressFn] = None) -> Solved:
    """The textbook form: integer ``x_c``, binary ``y_c``, ``x_c <= N y_c``, ``sum_c y_c <= K``.

    Used for the common pattern with many officers
    (:data:`analysis.staffing.methods.LEVELS_MAX_OFFICERS`), where its 24 integer columns branch
    faster than ``24 N`` level binaries.
    """
    ncol = cols.cover.shape[1]
    dp, total = officer_units(d, officers, length_h)
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
    return Solved.of(res, x, total, seconds)


def solve_sergeants(on: np.ndarray, sergeants: int, length_h: int, cols: Columns,
                     max_starts: int, time_limit_s: float, *,
                     progress: Optional[ProgressFn] = None) -> Solved:
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
    return Solved(x=x, status=int(res.status), message=str(res.message),
                   objective=float("nan") if res.x is None else float(res.fun),
                   bound=float("nan"), gap=float("nan") if gap is None else float(gap),
                   seconds=seconds)


def shifts_from_x(x: np.ndarray, cols: Columns, length_h: int) -> tuple[Shift, ...]:
    """Shift lines from the solution; per weekday, equal (start, count) pairs share one line."""
    by_key: dict[tuple[int, int], list[int]] = {}
    for c in np.flatnonzero(x > 0):
        days = [int(cols.day[c])] if cols.n_days == 7 else list(ALL_DAYS)
        by_key.setdefault((int(cols.start[c]), int(x[c])), []).extend(days)
    shifts = [Shift(start_minute=60 * s, length_minutes=60 * length_h, officers=n,
                    weekdays=tuple(sorted(days))) for (s, n), days in by_key.items()]
    return tuple(sorted(shifts, key=lambda s: (s.weekdays[0], s.start_minute, -s.officers)))


