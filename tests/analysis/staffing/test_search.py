"""analysis/staffing/search.py against brute force (every plan of a day enumerated in the test)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from analysis.staffing.search import (best_day_plan, day_profile, improve_by_days, supported,
                                   week_on_duty)


def _day_plans(n, starts, max_starts):
    """Every plan of one day: n officers over the start hours, at most max_starts used."""
    for k in range(1, max_starts + 1):
        for chosen in itertools.combinations(starts, k):
            # compositions of n into k positive parts
            for cuts in itertools.combinations(range(1, n), k - 1):
                parts = np.diff((0,) + cuts + (n,))
                yield dict(zip(chosen, (int(p) for p in parts)))


def _brute_day(values, length_h, starts, max_starts, allowed=None):
    best, arg = -np.inf, None
    rows = np.arange(values.shape[0])
    for plan in _day_plans(values.shape[1] - 1, starts, max_starts):
        a = day_profile(plan, length_h)
        if allowed is not None and not allowed[rows, a].all():
            continue
        v = values[rows, a].sum()
        if v > best:
            best, arg = v, plan
    return best, arg


@pytest.mark.parametrize("length_h,n,starts,max_starts", [
    (8, 5, (0, 3, 6, 9, 14, 18, 21, 23), 3),
    (3, 4, (0, 1, 2, 5, 20, 23), 3),
    (12, 6, tuple(range(0, 24, 3)), 2),
    (10, 5, (2, 7, 22), 1),
    (24, 3, (0, 5, 11, 17), 3),
    (5, 4, (4, 9), 3),             # fewer allowed starts than K
])
def test_best_day_plan__matches_brute_force(length_h, n, starts, max_starts):
    rng = np.random.default_rng(length_h * 100 + n)
    for _ in range(4):
        # concave-in-level values like min(demand, level + other) plus arbitrary noise
        values = np.minimum(rng.uniform(0, n, (23 + length_h, 1)),
                            np.arange(n + 1)[None, :] + rng.integers(0, 3, (23 + length_h, 1)))
        values = values + rng.normal(0, 0.3, values.shape)
        got, plan = best_day_plan(values, length_h=length_h, starts=starts, max_starts=max_starts)
        want, _ = _brute_day(values, length_h, starts, max_starts)
        assert got == pytest.approx(want, abs=1e-9)
        assert sum(plan.values()) == n and 0 < len(plan) <= max_starts
        assert set(plan) <= set(starts)
        a = day_profile(plan, length_h)
        assert values[np.arange(values.shape[0]), a].sum() == pytest.approx(got, abs=1e-9)


def test_best_day_plan__allowed_levels_match_brute_force():
    rng = np.random.default_rng(7)
    length_h, n, starts = 8, 5, (0, 4, 8, 12, 16, 20)
    values = rng.normal(0, 1, (23 + length_h, n + 1))
    other = np.full((23 + length_h, 1), 2)
    other[5:11] = rng.integers(0, 2, (6, 1))        # own shifts must bring 1-2 officers here
    allowed = (np.arange(n + 1)[None, :] + other) >= 2
    got, plan = best_day_plan(values, length_h=length_h, starts=starts, max_starts=3,
                              allowed=allowed)
    want, _ = _brute_day(values, length_h, starts, 3, allowed)
    assert np.isfinite(want) and got == pytest.approx(want, abs=1e-9)
    assert allowed[np.arange(values.shape[0]), day_profile(plan, length_h)].all()


def test_best_day_plan__no_plan_meets_the_allowed_levels():
    values = np.zeros((31, 3))
    allowed = np.zeros((31, 3), dtype=bool)
    assert best_day_plan(values, length_h=8, starts=range(24), max_starts=3,
                         allowed=allowed) == (-np.inf, {})


def test_best_day_plan__more_than_three_starts_is_refused():
    assert supported(3, 24) and supported(5, 2) and not supported(4, 24)
    with pytest.raises(ValueError, match="at most 3"):
        best_day_plan(np.zeros((31, 3)), length_h=8, starts=range(24), max_starts=4)


def test_week_on_duty__matches_the_shift_columns():
    from analysis.staffing.milp import columns

    rng = np.random.default_rng(3)
    x = np.zeros((7, 24), dtype=int)
    for j in range(7):
        x[j, rng.choice(24, 3, replace=False)] = rng.integers(1, 5, 3)
    cols = columns(10, tuple(range(24)), True)
    assert np.array_equal(week_on_duty(x, 10), cols.cover @ x.reshape(-1))


def _objective(r, x, length_h):
    return float(np.minimum(r, week_on_duty(x, length_h)).sum())


def _assert_no_day_can_improve(r, x, length_h, n, starts, k, min_on_duty=0):
    """Brute force: replacing any one day's plan by any other plan does not do better."""
    best = _objective(r, x, length_h)
    for j in range(7):
        for plan in _day_plans(n, starts, k):
            y = x.copy()
            y[j] = 0
            for s, c in plan.items():
                y[j, s] = c
            if week_on_duty(y, length_h).min() >= min_on_duty:
                assert _objective(r, y, length_h) <= best + 1e-9


@pytest.mark.parametrize("min_on_duty", [0, 1])
def test_improve_by_days__no_single_day_can_improve(min_on_duty):
    rng = np.random.default_rng(11 + min_on_duty)
    length_h, n, starts, k = 12, 4, (0, 4, 8, 12, 16, 20), 2
    hour = np.arange(168) % 24
    demand = rng.gamma(2.0, 1.0, 168) * np.where((hour >= 18) | (hour < 2), 6.0, 1.0)
    r = demand * 7 * n * length_h / demand.sum()
    x0 = np.zeros((7, 24), dtype=int)
    x0[:, 0], x0[:, 12] = 2, 2                      # two starts covering every hour
    assert week_on_duty(x0, length_h).min() >= min_on_duty
    x, passes = improve_by_days(r, x0, length_h=length_h, starts=starts, max_starts=k,
                                min_on_duty=min_on_duty)
    assert passes >= 1
    assert (x.sum(axis=1) == n).all() and ((x > 0).sum(axis=1) <= k).all()
    assert set(np.flatnonzero(x.any(axis=0))) <= set(starts)
    on = week_on_duty(x, length_h)
    assert on.min() >= min_on_duty
    best = _objective(r, x, length_h)
    assert best >= _objective(r, x0, length_h)
    if min_on_duty == 0:                            # the even start is far from the demand
        assert passes >= 2 and best > _objective(r, x0, length_h) + 1.0
    _assert_no_day_can_improve(r, x, length_h, n, starts, k, min_on_duty)


def test_improve_by_days__reports_progress():
    seen = []
    r = np.ones(168) * 7 * 3 * 8 / 168
    x0 = np.zeros((7, 24), dtype=int)
    x0[:, 0] = 3
    improve_by_days(r, x0, length_h=8, starts=range(24), max_starts=3,
                    progress=lambda f, m: seen.append((f, m)))
    assert seen and all(0 <= f <= 1 for f, _ in seen) and "day by day" in seen[0][1]


def test_improve_by_days__builds_an_empty_week_day_by_day():
    rng = np.random.default_rng(5)
    length_h, n, starts, k = 8, 3, (0, 4, 8, 12, 16, 20), 3
    demand = rng.gamma(2.0, 1.0, 168)
    r = demand * 7 * n * length_h / demand.sum()
    x, _ = improve_by_days(r, np.zeros((7, 24), dtype=int), length_h=length_h, starts=starts,
                           max_starts=k, officers=n)
    assert (x.sum(axis=1) == n).all() and ((x > 0).sum(axis=1) <= k).all()
    _assert_no_day_can_improve(r, x, length_h, n, starts, k)


def _common_on_duty(plan, length_h):
    on = np.zeros(24, dtype=int)
    for s, c in plan.items():
        on[(s + np.arange(length_h)) % 24] += c
    return on


@pytest.mark.parametrize("length_h,n,starts,max_starts", [
    (8, 5, (0, 3, 6, 9, 14, 18, 21, 23), 3),
    (10, 4, (0, 2, 5, 17, 20, 22), 3),       # night shifts wrap past midnight
    (12, 6, tuple(range(0, 24, 3)), 2),
    (24, 3, (0, 5, 11, 17), 3),
    (6, 4, (4, 9), 3),
])
def test_best_common_plan__matches_brute_force(length_h, n, starts, max_starts):
    from analysis.staffing.search import best_common_plan

    rng = np.random.default_rng(length_h * 10 + n)
    for _ in range(4):
        values = np.minimum(rng.uniform(0, n, (24, 1)), np.arange(n + 1)[None, :])
        values = values + rng.normal(0, 0.3, values.shape)
        got, plan = best_common_plan(values, length_h=length_h, starts=starts,
                                     max_starts=max_starts)
        rows = np.arange(24)
        want = max(values[rows, _common_on_duty(p, length_h)].sum()
                   for p in _day_plans(n, starts, max_starts))
        assert got == pytest.approx(want, abs=1e-9)
        assert sum(plan.values()) == n and set(plan) <= set(starts)
        assert values[rows, _common_on_duty(plan, length_h)].sum() == pytest.approx(got, abs=1e-9)


def test_best_common_plan__allowed_levels_match_brute_force():
    from analysis.staffing.search import best_common_plan

    rng = np.random.default_rng(8)
    length_h, n, starts = 8, 5, (0, 4, 8, 12, 16, 20)
    values = rng.normal(0, 1, (24, n + 1))
    allowed = np.ones((24, n + 1), dtype=bool)
    allowed[:, 0] = False                          # somebody on duty in every hour
    allowed[20:24, :2] = False                     # at least 2 late in the evening
    got, plan = best_common_plan(values, length_h=length_h, starts=starts, max_starts=3,
                                 allowed=allowed)
    rows = np.arange(24)
    feasible = [p for p in _day_plans(n, starts, 3)
                if allowed[rows, _common_on_duty(p, length_h)].all()]
    want = max(values[rows, _common_on_duty(p, length_h)].sum() for p in feasible)
    assert got == pytest.approx(want, abs=1e-9)
    assert allowed[rows, _common_on_duty(plan, length_h)].all()


def test_improve_by_days__empty_week_cannot_meet_a_minimum_on_duty_day_by_day():
    # the first day alone must keep 1 on duty through its 31 hours: 2 starts of 8 h cannot
    r = np.ones(168) * 7 * 3 * 8 / 168
    x, _ = improve_by_days(r, np.zeros((7, 24), dtype=int), length_h=8, starts=range(24),
                           max_starts=2, min_on_duty=1, officers=3)
    assert not x[0].any()
