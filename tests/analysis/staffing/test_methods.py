"""The exact methods (enumeration, MILP level and counts forms, per weekday) against brute force."""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from tests.analysis.staffing.reference import compositions, random_demand, ref_coverage, ref_on_duty

from analysis.staffing.rota_score import rota_on_duty
from analysis.staffing.timing import recommend_shifts


def _check_plan_consistency(plan, d):
    # reported coverage == the formula on the reported on_duty; on_duty == the reported shifts
    assert plan.coverage == pytest.approx(ref_coverage(list(d), list(plan.on_duty)), abs=1e-12)
    assert list(rota_on_duty(plan.shifts)) == list(plan.on_duty)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recommend__common_pattern_matches_brute_force(seed, formulation):
    d = random_demand(seed)
    starts = [0, 4, 8, 12, 16, 20]
    best = max(ref_coverage(list(d), ref_on_duty([dict(zip(starts, x))] * 7, 8))
               for x in compositions(3, len(starts)))
    rec = recommend_shifts(d, officers=3, shift_hours=(8,), starts=starts)
    plan = rec.best
    assert plan.status == "optimal"
    assert plan.coverage == pytest.approx(best, abs=1e-9)
    _check_plan_consistency(plan, d)
    assert sum(s.officers for s in plan.shifts) == 3


def test_recommend__max_starts_matches_brute_force(formulation):
    d = random_demand(4)
    starts = [0, 4, 8, 12, 16, 20]
    plans = [x for x in compositions(4, len(starts)) if sum(1 for v in x if v) <= 2]
    best = max(ref_coverage(list(d), ref_on_duty([dict(zip(starts, x))] * 7, 8)) for x in plans)
    unrestricted = max(ref_coverage(list(d), ref_on_duty([dict(zip(starts, x))] * 7, 8))
                       for x in compositions(4, len(starts)))
    assert best < unrestricted - 1e-6               # the limit bites on this instance
    plan = recommend_shifts(d, officers=4, shift_hours=8, starts=starts, max_starts=2).best
    assert plan.coverage == pytest.approx(best, abs=1e-9)
    assert len({s.start for s in plan.shifts}) <= 2
    _check_plan_consistency(plan, d)


def test_recommend__min_on_duty_matches_brute_force(formulation):
    d = random_demand(5)
    starts = [0, 4, 8, 12, 16, 20]
    best = -1.0
    for x in compositions(4, len(starts)):
        on = ref_on_duty([dict(zip(starts, x))] * 7, 8)
        if min(on) >= 1:
            best = max(best, ref_coverage(list(d), on))
    plan = recommend_shifts(d, officers=4, shift_hours=8, starts=starts, min_on_duty=1).best
    assert min(plan.on_duty) >= 1
    assert plan.coverage == pytest.approx(best, abs=1e-9)


def test_recommend__per_weekday_matches_brute_force_across_midnight():
    # 2 officers a day, 10-hour shifts starting 06:00 or 18:00 (the late one runs 4 hours into
    # the next day, and Sunday's into Monday): 3 splits a day, 3^7 = 2187 weekly plans.
    d = random_demand(6)
    splits = [{6: 2, 18: 0}, {6: 1, 18: 1}, {6: 0, 18: 2}]
    best = max(ref_coverage(list(d), ref_on_duty([splits[i] for i in combo], 10))
               for combo in itertools.product(range(3), repeat=7))
    common = max(ref_coverage(list(d), ref_on_duty([s] * 7, 10)) for s in splits)
    plan = recommend_shifts(d, officers=2, shift_hours=10, starts=[6, 18], per_weekday=True).best
    assert plan.status == "optimal"
    assert plan.coverage == pytest.approx(best, abs=1e-9)
    assert plan.coverage >= common - 1e-12
    _check_plan_consistency(plan, d)


def test_recommend__many_officers_common_pattern_matches_brute_force(formulation):
    # 16 officers (> LEVELS_MAX_OFFICERS: the counts form) over 6 start times: 20,349 plans
    d = random_demand(13)
    starts = [0, 4, 8, 12, 16, 20]
    plans = np.array([x for x in compositions(16, 6) if sum(1 for v in x if v) <= 3])
    cover = np.zeros((6, 24))
    for i, s in enumerate(starts):
        cover[i, (s + np.arange(8)) % 24] = 1
    on = np.tile(plans @ cover, 7)                          # (plans, 168), same every day
    k = d.sum() / on.sum(axis=1, keepdims=True)
    best = (np.minimum(d[None, :], k * on).sum(axis=1) / d.sum()).max()
    plan = recommend_shifts(d, officers=16, shift_hours=8, starts=starts).best
    assert plan.coverage == pytest.approx(best, abs=1e-9)
    _check_plan_consistency(plan, d)


def test_per_weekday__time_limit_keeps_the_day_by_day_plan(monkeypatch):
    import analysis.staffing.milp as milp
    from analysis.staffing.search import improve_by_days, week_on_duty

    real = milp.solve_constables
    starts_seen = []

    def stopped_early(d, officers, length_h, cols, max_starts, min_on_duty, time_limit_s, **kw):
        res = real(d, officers, length_h, cols, max_starts, min_on_duty, time_limit_s, **kw)
        if cols.n_days == 7:        # pretend the per-weekday solve hit its limit with a poor plan
            starts_seen.append(kw.get("start"))
            poor = np.zeros_like(res.x)
            poor[np.flatnonzero(cols.start == cols.start[0])] = officers
            return dataclasses.replace(res, x=poor, status=1)
        return res

    monkeypatch.setattr(milp, "solve_constables", stopped_early)
    # the week-long MILP's path (the team is small enough for the day-by-day programme)
    monkeypatch.setattr("analysis.staffing.overnight.MAX_PLANS", 0)
    d = random_demand(14)
    starts = [0, 4, 8, 12, 16, 20]
    rec = recommend_shifts(d, officers=3, shift_hours=8, starts=starts, per_weekday=True)
    common = recommend_shifts(d, officers=3, shift_hours=8, starts=starts)
    assert rec.best.status.startswith("not proven optimal: stopped at the 30 s time limit")
    assert rec.best.summary.startswith("Best plan found, not proven optimal")
    # the kept plan is the better day-by-day search, from the same-every-day optimum or from an
    # empty week, computed here
    x0 = np.zeros((7, 24), dtype=int)
    for s_ in common.best.shifts:
        x0[:, s_.start_minute // 60] = s_.officers
    r = d * 7 * 3 * 8 / d.sum()
    found = [improve_by_days(r, x0, length_h=8, starts=starts, max_starts=3)[0],
             improve_by_days(r, np.zeros((7, 24), dtype=int), length_h=8, starts=starts,
                             max_starts=3, officers=3)[0]]
    x = max(found, key=lambda x: np.minimum(r, week_on_duty(x, 8)).sum())
    assert rec.best.on_duty == tuple(week_on_duty(x, 8))
    assert rec.best.coverage >= common.best.coverage
    # ... and it was the MILP's starting plan
    assert np.array_equal(starts_seen[0], x[:, starts].reshape(-1))
    _check_plan_consistency(rec.best, d)


def test_per_weekday__min_on_duty_kept_when_the_empty_week_search_fails(monkeypatch):
    """With a minimum on duty the empty-week search leaves days unplanned; the plan from the
    same-every-day optimum is used, and the per-weekday MILP proves the brute-force optimum."""
    import analysis.staffing.search as search

    calls = []
    real = search.improve_by_days
    monkeypatch.setattr(search, "improve_by_days",
                        lambda *a, **kw: calls.append(real(*a, **kw)[0]) or (calls[-1], 1))
    d = random_demand(15)
    starts = [0, 12]
    rec = recommend_shifts(d, officers=2, shift_hours=12, starts=starts, max_starts=2,
                           min_on_duty=1, per_weekday=True)
    assert len(calls) == 2 and (calls[1].sum(axis=1) < 2).any()     # empty-week search failed
    plan = rec.best
    assert plan.optimal and min(plan.on_duty) >= 1
    day_plans = [dict(zip(starts, x)) for x in compositions(2, 2)]
    best = -1.0
    for week in itertools.product(day_plans, repeat=7):
        on = ref_on_duty(list(week), 12)
        if min(on) >= 1:
            best = max(best, ref_coverage(list(d), on))
    assert plan.coverage == pytest.approx(best, abs=1e-9)
    _check_plan_consistency(plan, d)
