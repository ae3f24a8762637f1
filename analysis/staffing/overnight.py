"""Per-weekday shift timing for small teams, proven optimal by a dynamic programme over the days.

Used by :mod:`analysis.staffing.methods` for ``per_weekday`` plans when the team is small enough
(:func:`size`); larger teams go to the week-long MILP of :mod:`analysis.staffing.milp`.

The problem (as :mod:`analysis.staffing.milp`)
    Each day ``j`` gets one *day plan* ``p``: at most ``K`` start hours and a split of the ``N``
    officers among them. With demand in officer units ``r_t`` (``k = 1``,
    :func:`analysis.staffing.demand.officer_units`) the week's value is
    ``sum_t min(r_t, on_t)`` and coverage is that over ``7 N L`` (DESIGN.md section 7), subject
    to ``on_t >= m`` if a minimum on duty is asked for.
Days interact only through the overnight spill
    A shift belongs to the day it starts (:mod:`analysis.staffing.week`) and lasts ``L <= 24``
    hours, so hour ``u`` of day ``j`` is covered by day ``j``'s own shifts and, for
    ``u < L - 1`` (the *zone*), by day ``j - 1``'s late shifts. Write ``sigma`` for the spill
    into day ``j`` (officers of day ``j - 1`` on duty in each zone hour) and ``pi(p)`` for the
    day's own officers in the zone hours. Then the value of day ``j``'s hours is
    ``Z_j(sigma, pi(p)) + g_j(p)``, with ``Z_j(sigma, pi) = sum_{u < L-1} min(r_u, sigma_u + pi_u)``
    and ``g_j(p) = sum_{u >= L-1} min(r_u, own_u(p))``, and ``p`` hands on the spill
    ``tau(p)`` to day ``j + 1``. This is a shortest-path problem over seven layers whose
    states are the spill vectors (Bellman 1957, "Dynamic Programming"; Bertsekas, "Dynamic
    Programming and Optimal Control", vol. I, 4th ed., 2017, chapter 1).
One day's step
    ``V_j(sigma) = max_pi [Z_j(sigma, pi) + F_j(pi)]`` with
    ``F_j(pi) = max_{p: pi(p) = pi} [g_j(p) + V_{j+1}(tau(p))]``: the plans are grouped by their
    zone profile, so a step costs one pass over the plans plus one (spills x zone profiles)
    table. ``Z_j`` is a matrix product: ``Z_j = E W_j`` with ``E[sigma, (u, a)] = [sigma_u = a]``
    and ``W_j[(u, a), pi] = min(r_u, a + pi_u)`` (``-BIG`` below the minimum on duty).
The cyclic week
    Sunday's late shifts spill into Monday: the optimum is ``max_s C(s, s)`` where ``C(s, t)`` is
    the best Monday-to-Sunday chain entering Monday with spill ``s`` and leaving Sunday with
    ``t``. Two relaxations bound every ``C(s, s)``: ``max_t C(s, t)`` (the backward programme with
    a free end) and ``max_s' C(s', s)`` (forward, free start). The spills ``s`` whose bound
    exceeds the best plan known are then solved exactly, best bound first, each by a forward
    programme from ``s`` that must end in ``s``; states whose value so far plus the backward
    bound cannot beat the best plan known are dropped (branch and bound). When the candidates
    are done the best plan is proven optimal. Stopped by the time limit, the best plan found is
    returned with the largest bound not yet refuted, a proven upper bound.
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

import numpy as np

from analysis.progress import ProgressFn, report
from analysis.staffing.search import week_on_duty

#: The programme is used when (spill states) x (zone profiles) is at most this (the size of
#: one day's table). Seed team, 7 officers, 24 starts, 3 a day: 12 h shifts 3,708 x 3,708.
MAX_TABLE = 20_000_000
#: ... and the day plans at most this many (7 officers, 24 starts, 3 a day: 32,040).
MAX_PLANS = 300_000
_BIG = 1e9          # stands for minus infinity inside the matrix product (0 x inf is NaN)
_CHUNK = 1_500_000  # table cells per chunk of rows


def n_day_plans(officers: int, n_starts: int, max_starts: int) -> int:
    """Day plans: ``sum_k C(n_starts, k) C(N - 1, k - 1)`` (k start hours, positive splits)."""
    return sum(math.comb(n_starts, k) * math.comb(officers - 1, k - 1)
               for k in range(1, min(max_starts, n_starts, officers) + 1))


@dataclass(frozen=True)
class DayPlans:
    """Every plan of one day, its profile and its zone / spill classes."""

    starts: np.ndarray      # (P, K) start hours (padding: count 0)
    counts: np.ndarray      # (P, K)
    profile: np.ndarray     # (P, 23 + L) own officers on duty from 00:00 of the day
    zone: np.ndarray        # (n_zone, L - 1) distinct zone profiles pi
    zone_of: np.ndarray     # (P,) index into zone
    spill: np.ndarray       # (n_spill, L - 1) distinct spill vectors tau
    spill_of: np.ndarray    # (P,) index into spill


def _classes(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if rows.shape[1] == 0:
        return np.zeros((1, 0), dtype=rows.dtype), np.zeros(rows.shape[0], dtype=np.int64)
    rows = np.ascontiguousarray(rows)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return rows[first], inverse.ravel()


def day_plans(officers: int, length_h: int, starts: Sequence[int], max_starts: int) -> DayPlans:
    """All plans of one day: k <= K start hours of ``starts``, ``N`` split in k positive parts."""
    starts = sorted(set(int(s) for s in starts))
    kmax = min(max_starts, len(starts), officers)
    st_parts, ct_parts = [], []
    for k in range(1, kmax + 1):
        sets = np.array(list(itertools.combinations(starts, k)), dtype=np.int64).reshape(-1, k)
        cuts = np.array(list(itertools.combinations(range(1, officers), k - 1)),
                        dtype=np.int64).reshape(-1, k - 1) if k > 1 else np.zeros((1, 0), np.int64)
        splits = np.diff(np.hstack([np.zeros((len(cuts), 1), np.int64), cuts,
                                    np.full((len(cuts), 1), officers)]), axis=1)
        pad = np.zeros((len(sets) * len(splits), kmax - k), dtype=np.int64)
        st_parts.append(np.hstack([np.repeat(sets, len(splits), axis=0), pad]))
        ct_parts.append(np.hstack([np.tile(splits, (len(sets), 1)), pad]))
    st, ct = np.vstack(st_parts), np.vstack(ct_parts)
    n, hours = len(st), 23 + length_h
    step = np.zeros((n, hours + 1), dtype=np.int64)
    rows = np.repeat(np.arange(n), kmax)
    np.add.at(step, (rows, st.ravel()), ct.ravel())
    np.add.at(step, (rows, np.minimum(st.ravel() + length_h, hours)), -ct.ravel())
    profile = np.cumsum(step, axis=1)[:, :hours]
    zone, zone_of = _classes(profile[:, :length_h - 1])
    spill, spill_of = _classes(profile[:, 24:23 + length_h])
    return DayPlans(st, ct, profile, zone, zone_of, spill, spill_of)


def size(officers: int, length_h: int, n_starts: int, max_starts: int,
         starts: Optional[Sequence[int]] = None) -> tuple[int, int]:
    """``(day plans, spill states x zone profiles)``: the plans counted, and when there are at
    most :data:`MAX_PLANS` of them enumerated (some milliseconds) to count the table's cells."""
    plans = n_day_plans(officers, n_starts, max_starts)
    if plans > MAX_PLANS:
        return plans, -1
    dp = _cached_plans(officers, length_h, tuple(starts or range(n_starts)), max_starts)
    return plans, len(dp.spill) * len(dp.zone)


def usable(officers: int, length_h: int, starts: Sequence[int], max_starts: int) -> bool:
    """Whether :func:`solve_week` is used: at most :data:`MAX_PLANS` day plans and
    :data:`MAX_TABLE` cells in a day's table."""
    plans, table = size(officers, length_h, len(starts), max_starts, starts)
    return plans <= MAX_PLANS and 0 <= table <= MAX_TABLE


@lru_cache(maxsize=4)
def _cached_plans(officers: int, length_h: int, starts: tuple[int, ...],
                  max_starts: int) -> DayPlans:
    return day_plans(officers, length_h, starts, max_starts)


@dataclass(frozen=True)
class WeekResult:
    x: Optional[np.ndarray]     # (7, 24) start counts, None if no plan meets the rules
    value: float                # sum_t min(r_t, on_t) of x (-inf if none)
    bound: float                # proven upper bound on the value of any plan
    proven: bool
    seconds: float
    states: int                 # spill states
    candidates: int             # Monday spills solved exactly
    left: int                   # Monday spills not refuted when the time limit stopped it


class _Groups:
    """Fast per-group maxima over a fixed grouping of the plans (sorted once)."""

    def __init__(self, group: np.ndarray, n: int) -> None:
        self.order = np.argsort(group, kind="stable")
        sizes = np.bincount(group, minlength=n)
        self.present = np.flatnonzero(sizes)
        self.starts = np.concatenate([[0], np.cumsum(sizes[self.present])[:-1]])
        self.sizes = sizes[self.present]
        self.n = n

    def argmax(self, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per group the largest value and the index of a plan reaching it (``-inf``, -1 when
        the group is empty)."""
        v = vals[self.order]
        top = np.maximum.reduceat(v, self.starts)
        hit = np.where(v == np.repeat(top, self.sizes), np.arange(v.size), v.size)
        first = np.minimum.reduceat(hit, self.starts)
        out, arg = np.full(self.n, -np.inf), np.full(self.n, -1, dtype=np.int64)
        out[self.present] = top
        arg[self.present] = self.order[np.minimum(first, v.size - 1)]
        return out, arg


def solve_week(r: np.ndarray, *, officers: int, length_h: int, starts: Sequence[int],
               max_starts: int, min_on_duty: int = 0, time_limit_s: float = 30.0,
               incumbent: Optional[np.ndarray] = None,
               progress: Optional[ProgressFn] = None) -> WeekResult:
    """The best per-weekday plan for demand ``r`` in officer units (module docstring).

    ``incumbent`` (7 x 24 start counts of a plan meeting the rules, e.g. from
    :func:`analysis.staffing.search.improve_by_days`) is the first best plan known; it only
    speeds the proof up.
    """
    t0 = time.perf_counter()
    r = np.asarray(r, dtype=float)
    L, N, m = int(length_h), int(officers), int(min_on_duty)
    dp = _cached_plans(N, L, tuple(sorted(set(int(s) for s in starts))), int(max_starts))
    Z, S, PI = L - 1, len(dp.spill), len(dp.zone)
    enc = np.zeros((S, Z * (N + 1)))
    for u in range(Z):
        enc[np.arange(S), u * (N + 1) + dp.spill[:, u]] = 1.0
    levels = np.arange(N + 1)[None, :, None]
    mid = dp.profile[:, Z:24]
    tables, own = [], []
    for j in range(7):
        ru = r[24 * j:24 * j + 24]
        tot = levels + dp.zone.T[:, None, :]
        w = np.minimum(ru[:Z, None, None], tot)
        if m > 0:
            w = np.where(tot < m, -_BIG, w)
        tables.append(np.ascontiguousarray(w.reshape(Z * (N + 1), PI)))
        g = np.minimum(ru[None, Z:], mid).sum(axis=1)
        own.append(np.where((mid < m).any(axis=1), -np.inf, g) if m > 0 else g)
    tol = 1e-9 * max(1.0, float(r.sum()))
    by_zone, by_spill = _Groups(dp.zone_of, PI), _Groups(dp.spill_of, S)
    enc_t = np.ascontiguousarray(enc.T)
    tables_t = [np.ascontiguousarray(w.T) for w in tables]
    rows_per_chunk = max(1, _CHUNK // max(PI, 1))

    def evaluate(x: np.ndarray) -> float:
        on = week_on_duty(x, L)
        return -np.inf if (on < m).any() else float(np.minimum(r, on).sum())

    def plan_x(chosen: Sequence[int]) -> np.ndarray:
        x = np.zeros((7, 24), dtype=np.int64)
        for j, p in enumerate(chosen):
            for s, c in zip(dp.starts[p], dp.counts[p]):
                x[j, s] += c
        return x

    best_x, best = None, -np.inf
    if incumbent is not None:
        best_x, best = np.asarray(incumbent, dtype=np.int64), evaluate(np.asarray(incumbent))

    def out_of_time() -> bool:
        return time.perf_counter() - t0 > time_limit_s

    # 1. backward, free end: ub[j][s] = best value of days j..6 entering day j with spill s
    ub = [None] * 8
    ub[7] = np.zeros(S)
    pick_zone, pick_plan = [None] * 7, [None] * 7
    for j in range(6, -1, -1):
        f, pick_plan[j] = by_zone.argmax(own[j] + ub[j + 1][dp.spill_of])
        v, arg = np.empty(S), np.empty(S, dtype=np.int64)
        for i in range(0, S, rows_per_chunk):
            t = enc[i:i + rows_per_chunk] @ tables[j] + f[None, :]
            arg[i:i + rows_per_chunk] = t.argmax(axis=1)
            v[i:i + rows_per_chunk] = t[np.arange(t.shape[0]), arg[i:i + rows_per_chunk]]
        ub[j], pick_zone[j] = np.where(v < -_BIG / 2, -np.inf, v), arg
        report(progress, 0.3 * (7 - j) / 7, f"Day-by-day programme ({L}-hour shifts)")
    if np.isfinite(ub[0]).any():                    # the relaxed optimum as a plan of the week
        s, chosen = int(np.argmax(ub[0])), []
        for j in range(7):
            p = int(pick_plan[j][pick_zone[j][s]])
            chosen.append(p)
            s = int(dp.spill_of[p])
        x = plan_x(chosen)
        if evaluate(x) > best:
            best_x, best = x, evaluate(x)

    def forward(first: np.ndarray, values: np.ndarray, end: Optional[int]):
        """Days 0..6 from the given Monday spills; ``end``: Sunday's spill must be it. Returns
        the value per final spill and the choices made (to rebuild the plan)."""
        rows, vals, trail = first, values, []
        for j in range(7):
            keep = vals + ub[j][rows] > best + tol
            rows, vals = rows[keep], vals[keep]
            if rows.size == 0:
                return np.full(S, -np.inf), trail
            top, arg = np.full(PI, -np.inf), np.zeros(PI, dtype=np.int64)
            for i in range(0, rows.size, rows_per_chunk):
                t = tables_t[j] @ enc_t[:, rows[i:i + rows_per_chunk]] + vals[None, i:i + rows_per_chunk]
                a = t.argmax(axis=1)
                tv = t[np.arange(PI), a]
                better = tv > top
                top[better], arg[better] = tv[better], rows[i + a[better]]
            top[top < -_BIG / 2] = -np.inf
            v = top[dp.zone_of] + own[j]
            if j == 6 and end is not None:
                v = np.where(dp.spill_of == end, v, -np.inf)
            nxt, plan_for = by_spill.argmax(v)
            trail.append((arg, plan_for))
            rows = np.flatnonzero(np.isfinite(nxt))
            vals = nxt[rows]
            if out_of_time() and end is None:
                return None, trail
        final = np.full(S, -np.inf)
        final[rows] = vals
        return final, trail

    # 2. forward, free start: the other bound of every Monday spill
    bound = ub[0].copy()
    if not out_of_time():
        ends, _ = forward(np.arange(S), np.zeros(S), None)
        if ends is not None:
            bound = np.minimum(bound, ends)
    report(progress, 0.45, f"Day-by-day programme ({L}-hour shifts)")
    # 3. each Monday spill that could beat the best plan known, solved exactly
    order = [int(s) for s in np.argsort(-bound) if bound[s] > best + tol]
    done = solved = 0
    for s0 in order:
        if bound[s0] <= best + tol:
            done += 1
            continue
        if out_of_time():
            break
        final, trail = forward(np.array([s0]), np.zeros(1), s0)
        done += 1
        solved += 1
        if final[s0] > best + tol and len(trail) == 7:
            chosen, s = [], s0
            for arg, plan_for in reversed(trail):
                p = int(plan_for[s])
                chosen.append(p)
                s = int(arg[dp.zone_of[p]])
            x = plan_x(chosen[::-1])
            if evaluate(x) > best:
                best_x, best = x, evaluate(x)
        report(progress, 0.45 + 0.55 * done / len(order), f"Day-by-day programme ({L}-hour shifts)")
    left = [bound[s] for s in order[done:] if bound[s] > best + tol]
    proven = not left
    upper = best if proven else max(max(left), best)
    return WeekResult(x=best_x if np.isfinite(best) else None, value=best, bound=float(upper),
                      proven=proven, seconds=time.perf_counter() - t0, states=S,
                      candidates=solved, left=len(left))
