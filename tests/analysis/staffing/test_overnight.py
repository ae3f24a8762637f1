"""The day-by-day programme over the overnight spill (analysis.staffing.overnight): brute force,
the MILP's proven optimum, the rules, the time limit, and when it is used."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.analysis.staffing.reference import compositions, random_demand, ref_coverage, ref_on_duty

from analysis.staffing import milp, overnight
from analysis.staffing.timing import recommend_shifts


def _day_plans(officers, starts, max_starts):
    return [dict(zip(starts, x)) for x in compositions(officers, len(starts))
            if sum(1 for v in x if v) <= max_starts]


def _brute_force(d, officers, length_h, starts, max_starts, min_on_duty=0):
    """Every week of day plans (numpy over the last four days); best coverage or None."""
    plans = _day_plans(officers, starts, max_starts)
    prof = np.array([[ref_on_duty([p if k == j else {} for k in range(7)], length_h)
                      for p in plans] for j in range(7)], dtype=float)     # (7, plans, 168)
    tail = np.zeros((1, 168))
    for j in range(3, 7):
        tail = (tail[:, None, :] + prof[j][None, :, :]).reshape(-1, 168)
    k = d.sum() / (7 * officers * length_h)
    best = None
    for head in itertools.product(range(len(plans)), repeat=3):
        on = tail + sum(prof[j][p] for j, p in enumerate(head))
        ok = (on >= min_on_duty).all(axis=1)
        if ok.any():
            cov = np.minimum(d[None, :], k * on[ok]).sum(axis=1).max() / d.sum()
            best = cov if best is None else max(best, cov)
    return best


@pytest.mark.parametrize("seed, officers, length_h, starts, max_starts", [
    (1, 2, 10, [6, 18, 22], 2),       # late starts spill 4 and 8 hours into the next day
    (2, 2, 12, [7, 19, 23], 2),
    (6, 3, 10, [6, 20], 2),
    (3, 2, 24, [0, 8, 16], 3),        # 24-hour shifts: every start but 00:00 spills
    (4, 4, 8, [6, 22], 2),
    (5, 3, 16, [0, 12, 20], 1),       # one start time a day
])
def test_solve_week__matches_brute_force(seed, officers, length_h, starts, max_starts):
    d = random_demand(seed)
    best = _brute_force(d, officers, length_h, starts, max_starts)
    plan = recommend_shifts(d, officers=officers, shift_hours=length_h, starts=starts,
                            max_starts=max_starts, per_weekday=True).best
    assert plan.method == "day-by-day dynamic programme over the overnight spill"
    assert plan.status == "optimal" and plan.coverage_bound == plan.coverage
    assert plan.coverage == pytest.approx(best, abs=1e-9)
    assert plan.coverage == pytest.approx(ref_coverage(list(d), list(plan.on_duty)), abs=1e-12)


def test_solve_week__min_on_duty_matches_brute_force():
    d = random_demand(8)
    best = _brute_force(d, 2, 12, [4, 16, 21], 2, min_on_duty=1)
    unconstrained = _brute_force(d, 2, 12, [4, 16, 21], 2)
    plan = recommend_shifts(d, officers=2, shift_hours=12, starts=[4, 16, 21], max_starts=2,
                            min_on_duty=1, per_weekday=True).best
    assert plan.status == "optimal" and min(plan.on_duty) >= 1
    assert plan.coverage == pytest.approx(best, abs=1e-9)
    assert best < unconstrained - 1e-6             # the rule binds


def test_solve_week__no_plan_meets_the_minimum():
    # 2 officers on 8-hour shifts give 16 officer-hours a day: 1 on duty every hour needs 24
    rec_plans = recommend_shifts(random_demand(2), officers=3, shift_hours=(8, 6), starts=[0, 8, 16],
                                 min_on_duty=1, per_weekday=True).plans
    assert [p.shift_hours for p in rec_plans] == [8, 6]
    assert rec_plans[1].status.startswith("infeasible")


def test_solve_week__equals_the_milp_optimum():
    """Against the week-long MILP's proven optimum (3 officers, a start every 2 hours)."""
    d = random_demand(11)
    starts = tuple(range(0, 24, 2))
    for length_h in (8, 12):
        cols = milp.columns(length_h, starts, True)
        ref = milp.solve_constables(d, 3, length_h, cols, 3, 0, 60.0)
        assert ref.status == 0
        plan = recommend_shifts(d, officers=3, shift_hours=length_h, starts=starts,
                                per_weekday=True).best
        assert plan.method.startswith("day-by-day") and plan.optimal
        assert plan.coverage == pytest.approx(ref.objective, abs=1e-9)


@pytest.fixture(scope="module")
def seed_demand(tmp_path_factory):
    from analysis.demo import write_demo
    from analysis.ingest.incidents import read_incidents
    from analysis.staffing.demand import demand_from_incidents
    files = write_demo(tmp_path_factory.mktemp("overnight_demo"), project=False)
    return np.asarray(demand_from_incidents(read_incidents([files.incidents_csv]).incidents).per_hour)


def test_demo_seed_team__rules_kept_and_proven(seed_demand):
    """The seed team (7 constables, every hourly start): proven optimal, each day 7 officers on
    at most 3 start times, at least the minimum on duty, and the on-duty count consistent."""
    d = seed_demand
    rec = recommend_shifts(d, officers=7, shift_hours=(8, 12), per_weekday=True, min_on_duty=1)
    for plan in rec.plans:
        assert plan.optimal and plan.method.startswith("day-by-day")
        per_day = [dict() for _ in range(7)]
        for s in plan.shifts:
            for j in s.weekdays:
                per_day[j][s.start_minute // 60] = per_day[j].get(s.start_minute // 60, 0) + s.officers
        assert all(sum(p.values()) == 7 and len(p) <= 3 for p in per_day)
        assert list(plan.on_duty) == ref_on_duty(per_day, plan.shift_hours)
        assert min(plan.on_duty) >= 1
        assert plan.coverage == pytest.approx(ref_coverage(list(d), list(plan.on_duty)), abs=1e-12)


def test_solve_week__time_limit_gives_the_best_plan_and_a_proven_bound():
    d = random_demand(3)
    r = d * 7 * 5 * 12 / d.sum()
    stopped = overnight.solve_week(r, officers=5, length_h=12, starts=range(24), max_starts=3,
                                   time_limit_s=1e-9)
    full = overnight.solve_week(r, officers=5, length_h=12, starts=range(24), max_starts=3)
    assert full.proven and not stopped.proven and stopped.left > 0
    assert stopped.value <= full.value + 1e-9 <= stopped.bound + 2e-9
    plan = recommend_shifts(d, officers=5, shift_hours=12, per_weekday=True,
                            time_limit_s=1e-6).best
    assert plan.status.startswith("not proven optimal: stopped at the 1e-06 s time limit")
    assert "the day-by-day programme was stopped by the time limit" in plan.status
    assert plan.coverage <= plan.coverage_bound


def test_usable__seed_team_yes_fifty_officers_no():
    assert overnight.usable(7, 12, range(24), 3)
    assert not overnight.usable(50, 10, range(24), 3)
    assert overnight.n_day_plans(7, 24, 3) == 24 + 276 * 6 + 2024 * 15
    assert len(overnight.day_plans(7, 12, range(24), 3).starts) == 32_040
