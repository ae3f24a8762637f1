"""Day-by-day search for per-weekday shift plans: each day's best plan given the rest of the week.

Used by :mod:`analysis.staffing.methods` for ``per_weekday`` plans, where the week-long MILP's bound is
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
from analysis.staffing.week import HOURS_PER_WEEK

MAX_GROUPS = 3  # the enumeration covers at most this many start times a day
# Chunk size of the (start sets x head-count splits) table, in cells (bounded memory).
_CHUNK_CELLS = 4_000_000


def supported(max_starts: int, n_starts: int) -> bool:
    """Whether :func:`best_day_plan` can enumerate these rules (at most 3 start times a day)."""
    return min(max_starts, n_starts) <= MAX_GROUPS


def _run_masks(sets: np.ndarray, length_h: int, hours: int, cyclic: bool) -> np.ndarray:
    """Bit mask of the groups on duty in each hour: bit ``g`` set when group ``g`` (start
    ``sets[:, g]``) covers the hour. Array (start sets, hours) of ints below ``2 ** k``."""
    h = np.arange(hours)[None, None, :]
    since = h - sets[:, :, None]
    if cyclic:
        since = since % 24
    on = (since >= 0) & (since < length_h)
    return (on * (1 << np.arange(sets.shape[1]))[None, :, None]).sum(axis=1)


def _mask_sums(table: np.ndarray, masks: np.ndarray, k: int) -> np.ndarray:
    """``out[i, m, v]``: sum of ``table[h, v]`` over the hours whose mask is ``m`` in set ``i``."""
    onehot = (masks[:, :, None] == np.arange(1 << k)[None, None, :]).astype(table.dtype)
    return np.matmul(onehot.transpose(0, 2, 1), table)


def _split_values(S: np.ndarray, k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values of every (start set, head-count split) from the mask sums ``S`` (level 0 = 0).

    Head-counts ``c_1 = y_1``, ``c_2 = y_2 - y_1``, ``c_3 = n - y_2``; the officers on duty
    under mask ``m`` are the sum of the ``c_g`` of its bits, a function of ``y_1``, ``y_2`` or
    ``y_2 - y_1`` (group sets that are runs of consecutive groups, cyclically).
    """
    if k == 1:
        return S[:, 1, n:n + 1], np.array([n]), np.array([n])
    if k == 2:
        y1 = np.arange(n + 1)
        f = S[:, 1][:, y1] + S[:, 2][:, n - y1] + S[:, 3, n:n + 1]
        return f, y1, np.full(n + 1, n)
    y1, y2 = np.triu_indices(n + 1)
    rev = slice(None, None, -1)
    a = S[:, 1] + S[:, 6][:, rev]                  # c1 = y1;  c2 + c3 = n - y1
    b = S[:, 3] + S[:, 4][:, rev]                  # c1 + c2 = y2;  c3 = n - y2
    c = S[:, 2] + S[:, 5][:, rev]                  # c2 = y2 - y1;  c1 + c3 = n - (y2 - y1)
    f = a[:, y1] + b[:, y2] + c[:, y2 - y1] + S[:, 7, n:n + 1]
    return f, y1, y2


def _best_plan(table: np.ndarray, *, length_h: int, starts: Sequence[int], max_starts: int,
               allowed: Optional[np.ndarray], cyclic: bool) -> tuple[float, dict[int, int]]:
    table = np.asarray(table, dtype=float)
    hours, levels = table.shape
    n = levels - 1
    starts = sorted(set(int(s) for s in starts))
    k = min(max_starts, len(starts))
    if k > MAX_GROUPS:
        raise ValueError(f"enumeration covers at most {MAX_GROUPS} start times a day, not {k}")
    base = float(table[:, 0].sum())
    rel = table - table[:, :1]
    bad = None
    if allowed is not None:
        bad = ~np.asarray(allowed, dtype=bool)
        bad_base = float(bad[:, 0].sum())
        bad = bad.astype(float) - bad[:, :1]
    sets = np.array(list(itertools.combinations(starts, k)), dtype=np.int64).reshape(-1, k)
    n_splits = {1: 1, 2: n + 1}.get(k, (n + 1) * (n + 2) // 2)
    step = max(1, _CHUNK_CELLS // max(n_splits, hours * (1 << k)))
    best_val, best_plan = -np.inf, {}
    for i0 in range(0, len(sets), step):
        s = sets[i0:i0 + step]
        masks = _run_masks(s, length_h, hours, cyclic)
        f, y1, y2 = _split_values(_mask_sums(rel, masks, k), k, n)
        if bad is not None:
            nbad, _, _ = _split_values(_mask_sums(bad, masks, k), k, n)
            f = np.where(nbad + bad_base > 0.5, -np.inf, f)
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
    values = np.asarray(values)
    if values.shape[0] != 23 + length_h:
        raise ValueError(f"values must have 23 + L = {23 + length_h} rows, got {values.shape[0]}")
    return _best_plan(values, length_h=length_h, starts=starts, max_starts=max_starts,
                      allowed=allowed, cyclic=False)


def best_common_plan(values: np.ndarray, *, length_h: int, starts: Sequence[int], max_starts: int,
                     allowed: Optional[np.ndarray] = None) -> tuple[float, dict[int, int]]:
    """The same-every-day plan maximising ``sum_h values[h, on_h]``, by exhaustive enumeration.

    With the same plan every day the officers on duty at hour of day ``h`` are the same every
    day, and a shift starting at ``s`` covers the hours ``(h - s) mod 24 < L`` (it runs into the
    next morning, which is every morning). The groups on duty at an hour are then a cyclic run of
    consecutive groups, so the same enumeration as :func:`best_day_plan` applies. Exhaustive,
    hence a proof of optimality.

    Parameters
    ----------
    values : array (24, N + 1)
        ``values[h, v]``: the objective of hour of day ``h`` (summed over the seven days) with
        ``v`` officers on duty.
    length_h, starts, max_starts, allowed : as :func:`best_day_plan` (``allowed`` is (24, N + 1)).
    """
    values = np.asarray(values)
    if values.shape[0] != 24:
        raise ValueError(f"values must have 24 rows (hours of the day), got {values.shape[0]}")
    if not 1 <= length_h <= 24:
        raise ValueError("a shift lasts 1 to 24 hours")
    return _best_plan(values, length_h=length_h, starts=starts, max_starts=max_starts,
                      allowed=allowed, cyclic=True)


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
                    officers: Optional[int] = None, max_passes: int = 50,
                    progress: Optional[ProgressFn] = None) -> tuple[np.ndarray, int]:
    """Coordinate ascent over days from a feasible plan (see the module docstring).

    Parameters
    ----------
    demand_officers : 168 floats
        Demand in officer units (``d_t * 7 N L / sum d``), so the objective is
        ``sum_t min(demand_officers_t, on_t)``.
    x : int array (7, 24)
        Start counts per day and hour, each row summing to ``N``, meeting the rules; or rows of
        zeros for days not planned yet (the first pass then builds them in turn, each the best
        plan given the days before it).
    length_h, starts, max_starts, min_on_duty : the rules (see :func:`best_day_plan`).
    officers : ``N``; needed only when every row of ``x`` is zero.
    max_passes : stop after this many passes over the week even if still improving.
    progress : optional progress callback (reported after each day); ``Cancelled`` propagates.

    Returns
    -------
    (x, passes)
        The improved plan (a new array; no day's plan can be replaced to raise coverage) and
        the number of passes made. A row stays zero if no plan of that day meets the minimum
        on duty given the others.
    """
    r = np.asarray(demand_officers, dtype=float)
    x = np.array(x, dtype=np.int64)
    n = int(x.sum(axis=1).max()) if officers is None else int(officers)
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
            placed = x[j].any()
            current = float(values[np.arange(hours), own].sum()) if placed else -np.inf
            best, plan = best_day_plan(values, length_h=length_h, starts=starts,
                                       max_starts=max_starts, allowed=allowed)
            if plan and (best > current + tol or not placed):
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
