"""Day-by-day search for per-weekday shift plans: each day's best plan given the rest of the week.

Used by :mod:`analysis.shifts` for ``per_weekday`` plans, where the week-long MILP's bound is
weak (its LP relaxation ignores the limit of ``K`` start times a day) and HiGHS finds good plans
slowly: with 50 officers HiGHS's own incumbent after 20 s was up to 2.5 coverage points worse than
this search finds in about a second. The search gives the solver its starting plan; the solver
then improves it or proves it optimal, within its time limit.

Best response of one day (exact)
    With every other day fixed, the coverage of the week depends on day ``j``'s plan only
    through the ``H = 23 + L`` hours its shifts can touch (its own 24 hours and the ``L - 1``
    hours its latest shift runs into the next day). For a plan of ``k <= 3`` start times
    ``s_1 < s_2 < s_3`` with head-counts ``c_i`` (``sum c_i = N``), the groups on duty at any
    hour are a contiguous run ``lo..hi`` of the ``k`` groups, because every shift has the same
    length. So the hours split into at most six runs and, writing ``y_1 = c_1``,
    ``y_2 = c_1 + c_2``, the day's value is ``A(y_1) + B(y_2) + C(y_2 - y_1) + const``, where each
    term is a sum of prefix sums of the per-hour value table over the hours of one run. Every
    start-time set and every split of ``N`` (``y_1 <= y_2``, zero head-counts allowed, which
    gives the plans with fewer start times) is evaluated exactly, in numpy: 2,024 start-time
    triples x 1,326 splits for 24 hourly starts and 50 officers, about 40 ms a day.

Local search (coordinate ascent over days)
    Starting from a feasible plan (the proven same-every-day optimum), replace each day's plan
    by its best response in turn, while that strictly raises coverage; stop after a pass with no
    improvement. Each step is exact, so the result is a plan no single day can improve; it is
    not in general a proven optimum of the week, which is why the MILP still runs.

This is block-coordinate ascent (Bertsekas, "Nonlinear Programming", 2nd ed., 1999, section
2.7) with exhaustive enumeration of each block.
"""
from __future__ import annotations

import itertools
from typing import Optional, Sequence

import numpy as np

from analysis.progress import ProgressFn, report

HOURS_PER_WEEK = 168
MAX_GROUPS = 3  # the enumeration covers at most this many start times a day
# Chunk size of the (start sets x head-count splits) table, in cells (bounded memory).
_CHUNK_CELLS = 4_000_000


def supported(max_starts: int, n_starts: int) -> bool:
    """Whether :func:`best_day_plan` can enumerate these rules (at most 3 start times a day)."""
    return min(max_starts, n_starts) <= MAX_GROUPS


def _runs(s: np.ndarray, k: int, length_h: int):
    """Hour runs ``[p, q)`` where exactly groups ``lo..hi`` (1-based) are on duty, per start set."""
    for lo in range(1, k + 1):
        for hi in range(lo, k + 1):
            p = s[:, hi - 1].copy()
            if lo > 1:
                p = np.maximum(p, s[:, lo - 2] + length_h)
            q = s[:, lo - 1] + length_h
            if hi < k:
                q = np.minimum(q, s[:, hi])
            yield (lo, hi), p, q


def _run_sums(prefix: np.ndarray, s: np.ndarray, k: int, length_h: int) -> dict:
    """``S[(lo, hi)][i, v]``: sum over run (lo, hi) of start set i of the table at level v."""
    out = {}
    for key, p, q in _runs(s, k, length_h):
        ok = p < q
        p = np.where(ok, p, 0)
        q = np.where(ok, q, 0)
        out[key] = prefix[q] - prefix[p]
    return out


def _split_values(S: dict, k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values of every (start set, head-count split): array (sets, splits), and the splits."""
    if k == 1:
        return S[(1, 1)][:, n:n + 1], np.array([n]), np.array([n])
    if k == 2:
        y1 = np.arange(n + 1)
        return S[(1, 1)][:, y1] + S[(2, 2)][:, n - y1] + S[(1, 2)][:, n:n + 1], y1, np.full(n + 1, n)
    y1, y2 = np.triu_indices(n + 1)
    a = S[(1, 1)] + S[(2, 3)][:, ::-1]              # terms in y1: c1 = y1, c2 + c3 = n - y1
    b = S[(1, 2)] + S[(3, 3)][:, ::-1]              # terms in y2: c1 + c2 = y2, c3 = n - y2
    f = a[:, y1] + b[:, y2] + S[(2, 2)][:, y2 - y1] + S[(1, 3)][:, n:n + 1]
    return f, y1, y2


def best_day_plan(values: np.ndarray, *, length_h: int, starts: Sequence[int], max_starts: int,
                  allowed: Optional[np.ndarray] = None) -> tuple[float, dict[int, int]]:
    """The plan of one day maximising ``sum_u values[u, a_u]``, by exhaustive enumeration.

    Parameters
    ----------
    values : array (23 + length_h, N + 1)
        ``values[u, v]``: the objective of hour ``u`` after the day's start (hour 0 = 00:00 of
        the day) when the day's own shifts put ``v`` officers on duty there; ``N`` officers
        start that day.
    length_h : int
        Shift length ``L`` in hours (every shift of the day has it).
    starts : allowed start hours (0..23).
    max_starts : at most this many distinct start times (only up to 3 are enumerated).
    allowed : bool array like ``values``, optional
        ``False`` where a level is not allowed (e.g. below a minimum on duty); plans touching
        one are excluded.

    Returns
    -------
    (value, plan)
        The best value, and the plan as ``{start hour: officers}`` (only positive head-counts);
        value ``-inf`` and ``{}`` when no plan avoids the disallowed levels.
    """
    values = np.asarray(values, dtype=float)
    hours, levels = values.shape
    n = levels - 1
    if hours != 23 + length_h:
        raise ValueError(f"values must have 23 + L = {23 + length_h} rows, got {hours}")
    starts = sorted(set(int(s) for s in starts))
    k = min(max_starts, len(starts))
    if k > MAX_GROUPS:
        raise ValueError(f"enumeration covers at most {MAX_GROUPS} start times a day, not {k}")
    base = float(values[:, 0].sum())
    rel = values - values[:, :1]
    prefix = np.vstack([np.zeros((1, levels)), np.cumsum(rel, axis=0)])
    bad_prefix = None
    if allowed is not None:
        bad = ~np.asarray(allowed, dtype=bool)
        bad_base = int(bad[:, 0].sum())
        rel_bad = bad.astype(np.int64) - bad[:, :1]
        bad_prefix = np.vstack([np.zeros((1, levels), dtype=np.int64), np.cumsum(rel_bad, axis=0)])
    sets = np.array(list(itertools.combinations(starts, k)), dtype=np.int64).reshape(-1, k)
    n_splits = {1: 1, 2: n + 1}.get(k, (n + 1) * (n + 2) // 2)
    step = max(1, _CHUNK_CELLS // n_splits)
    best_val, best_plan = -np.inf, {}
    for i0 in range(0, len(sets), step):
        s = sets[i0:i0 + step]
        f, y1, y2 = _split_values(_run_sums(prefix, s, k, length_h), k, n)
        if bad_prefix is not None:
            nbad, _, _ = _split_values(_run_sums(bad_prefix, s, k, length_h), k, n)
            f = np.where(nbad + bad_base > 0, -np.inf, f)
        flat = int(np.argmax(f))
        i, j = divmod(flat, f.shape[1])
        if f[i, j] > best_val:
            best_val = float(f[i, j])
            ys = {1: (n,), 2: (int(y1[j]), n), 3: (int(y1[j]), int(y2[j]), n)}[k]
            counts = np.diff((0,) + ys)
            best_plan = {int(st): int(c) for st, c in zip(s[i], counts) if c > 0}
    if not np.isfinite(best_val):
        return -np.inf, {}
    return best_val + base, best_plan


def day_profile(plan: dict[int, int], length_h: int) -> np.ndarray:
    """Officers on duty from one day's plan in its ``23 + L`` hours (hour 0 = 00:00)."""
    a = np.zeros(23 + length_h, dtype=np.int64)
    for s, c in plan.items():
        a[s:s + length_h] += c
    return a


def week_on_duty(x: np.ndarray, length_h: int) -> np.ndarray:
    """Officers on duty in the 168 hours from per-day start counts ``x`` (7 x 24), cyclic."""
    on = np.zeros(HOURS_PER_WEEK, dtype=np.int64)
    for j in range(7):
        for s in np.flatnonzero(x[j]):
            on[(24 * j + s + np.arange(length_h)) % HOURS_PER_WEEK] += x[j, s]
    return on


def improve_by_days(demand_officers: np.ndarray, x: np.ndarray, *, length_h: int,
                    starts: Sequence[int], max_starts: int, min_on_duty: int = 0,
                    max_passes: int = 50,
                    progress: Optional[ProgressFn] = None) -> tuple[np.ndarray, int]:
    """Coordinate ascent over days from a feasible plan (see the module docstring).

    Parameters
    ----------
    demand_officers : 168 floats
        Demand in officer units (``d_t * 7 N L / sum d``), so the objective is
        ``sum_t min(demand_officers_t, on_t)``.
    x : int array (7, 24)
        Start counts per day and hour, each row summing to ``N``, meeting the rules.
    length_h, starts, max_starts, min_on_duty : the rules (see :func:`best_day_plan`).
    max_passes : stop after this many passes over the week even if still improving.
    progress : optional progress callback (reported after each day); ``Cancelled`` propagates.

    Returns
    -------
    (x, passes)
        The improved plan (a new array; no day's plan can be replaced to raise coverage) and
        the number of passes made.
    """
    r = np.asarray(demand_officers, dtype=float)
    x = np.array(x, dtype=np.int64)
    n = int(x[0].sum())
    hours = 23 + length_h
    levels = np.arange(n + 1)
    on = week_on_duty(x, length_h)
    tol = 1e-9 * max(1.0, float(r.sum()))
    passes = 0
    for passes in range(1, max_passes + 1):
        improved = False
        for j in range(7):
            idx = (24 * j + np.arange(hours)) % HOURS_PER_WEEK
            own = day_profile({int(s): int(x[j, s]) for s in np.flatnonzero(x[j])}, length_h)
            other = on.copy()
            np.subtract.at(other, idx, own)
            total = other[idx][:, None] + levels[None, :]
            values = np.minimum(r[idx][:, None], total)
            allowed = total >= min_on_duty if min_on_duty > 0 else None
            current = float(values[np.arange(hours), own].sum())
            best, plan = best_day_plan(values, length_h=length_h, starts=starts,
                                       max_starts=max_starts, allowed=allowed)
            if plan and best > current + tol:
                x[j] = 0
                for s, c in plan.items():
                    x[j, s] = c
                on = other.copy()
                np.add.at(on, idx, day_profile(plan, length_h))
                improved = True
            report(progress, min(1.0, (7 * (passes - 1) + j + 1) / (7 * 4)),
                   f"Improving day by day (pass {passes})")
        if not improved:
            break
    return x, passes
