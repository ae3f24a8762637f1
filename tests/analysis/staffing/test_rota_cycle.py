"""analysis.staffing.rota_cycle: HiGHS's pattern programme has the CP-SAT model's optimum when
the soft rules weigh nothing, bounds it when they do, and its best pattern laid out as a rota
keeps every hard rule of the independent checker with the coverage it claims."""
from __future__ import annotations

import math

import pytest

from analysis.progress import Cancelled
from analysis.staffing.rota import make_rota
from analysis.staffing.rota_check import Rota
from analysis.staffing.rota_cycle import solve_cycle
from analysis.staffing.rota_model import build_model
from analysis.staffing.team import numbered_team, parse_templates
from tests.analysis.staffing import independent_rules as ind
from tests.analysis.staffing.test_rota import START, demand_168, pack_file

TEMPLATES = "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"
SOFT = ("supervision", "forward_rotation", "rest_days_in_pairs", "days_off_after_nights",
        "weekends_spread", "fair_nights", "fair_weekends", "long_tours")


def _cycle(pack, team, weeks, cycle, demand, **kw):
    templates = parse_templates(TEMPLATES)
    built = build_model(demand, team, templates, pack, START, 7 * weeks, cycle)
    g = built.constables
    assert g is not None
    return built, g, solve_cycle(templates, pack, cycle, g.offsets, 7 * weeks, g.values,
                                 g.keep, **kw)


def _laid_out(pattern, team, g, weeks):
    templates = parse_templates(TEMPLATES)
    period = len({c for c, _ in pattern})
    cells = []
    for o in g.offsets:
        cells.append(tuple(next((t.code for t in templates if pattern[(d + 7 * o) % period, t.code]),
                                "R") for d in range(7 * weeks)))
    return Rota(START, tuple(team), tuple(templates), tuple(cells))


@pytest.mark.parametrize("seed", [3, 11])
def test_solve_cycle__equals_cp_sat_when_the_soft_rules_weigh_nothing(tmp_path, seed):
    changes = {(name, "weight"): 0 for name in SOFT} | {("minimum_cover", "constables"): 0}
    pack = pack_file(tmp_path, changes)
    team, demand = numbered_team(3, 0), demand_168(seed)
    built, g, solved = _cycle(pack, team, 3, 3, demand, time_limit_s=30)
    assert solved.status == "optimal"
    res = make_rota(demand, team, parse_templates(TEMPLATES), pack, start=START, weeks=3,
                    cycle_weeks=3, time_limit_s=30)
    assert res.status == "optimal"
    assert solved.objective == pytest.approx(res.objective_min, abs=0.5)
    assert solved.bound == pytest.approx(res.objective_min, abs=0.5)
    rota = _laid_out(solved.pattern, team, g, 3)
    assert not ind.hard_breaches(rota, pack)
    assert ind.objective(rota, pack, demand) == pytest.approx(solved.objective, abs=0.5)


def test_solve_cycle__bounds_the_rota_with_its_soft_rules(tmp_path):
    pack = pack_file(tmp_path, {("minimum_cover", "constables"): 0})
    team, demand = numbered_team(3, 0), demand_168(4)
    _, _, solved = _cycle(pack, team, 3, 3, demand, time_limit_s=30)
    res = make_rota(demand, team, parse_templates(TEMPLATES), pack, start=START, weeks=3,
                    cycle_weeks=3, time_limit_s=30)
    assert res.status == "optimal"
    assert solved.bound >= res.objective_min - 0.5
    (part,) = res.parts
    assert part["highs_status"] == "optimal"
    assert part["highs_bound_officer_min"] == pytest.approx(solved.bound, abs=0.5)


def test_solve_cycle__minimum_cover_keeps_every_hour_staffed(tmp_path):
    pack = pack_file(tmp_path, {("minimum_cover", "constables"): 1})
    team, demand = numbered_team(5, 0), demand_168(6)
    _, g, solved = _cycle(pack, team, 5, 5, demand, time_limit_s=60)
    assert solved.status == "optimal", solved
    rota = _laid_out(solved.pattern, team, g, 5)
    assert not ind.hard_breaches(rota, pack)          # minimum_cover is one of them
    on = ind._minutes_on(rota, ("PC",))
    assert (on[7:] >= 60).all()


def test_solve_cycle__rules_that_cannot_hold_are_infeasible(tmp_path):
    pack = pack_file(tmp_path, {("minimum_cover", "constables"): 0,
                                ("consecutive_tours", "max"): 1,
                                ("rest_days", "per_week"): 0})   # 40 h a week, no two tours in a row
    _, _, solved = _cycle(pack, numbered_team(3, 0), 3, 3, demand_168(), time_limit_s=10)
    assert solved.status == "infeasible" and solved.bound == -math.inf and solved.pattern is None


def test_solve_cycle__cancel_from_progress_stops_it(tmp_path):
    pack = pack_file(tmp_path, {("minimum_cover", "constables"): 1})

    def cancel(fraction, message):
        raise Cancelled()

    with pytest.raises(Cancelled):
        _cycle(pack, numbered_team(7, 0), 13, 5, demand_168(), time_limit_s=30, progress=cancel)


def test_make_rota__short_limit_gap_is_not_the_sum_of_every_column():
    """Regression: at a short limit CP-SAT's bound on the column form was the sum of every
    column's value (5.5 times the demand); the best column of each weekday bounds it."""
    from analysis.staffing.rules import load_rules
    team, demand = numbered_team(7, 2), demand_168(2)
    res = make_rota(demand, team, parse_templates(TEMPLATES), load_rules(), start=START,
                    weeks=5, cycle_weeks=5, time_limit_s=10)
    assert res.feasible, res.status
    assert not ind.hard_breaches(res.rota, load_rules())   # minimum_cover kept by column too
    built = build_model(demand, team, parse_templates(TEMPLATES), load_rules(), START, 35, 5,
                        members=[i for i, o in enumerate(team) if o.rank != "PS"])
    ps, pc = res.parts
    assert 0 <= res.gap_coverage < 0.25
    assert res.bound_min - ps["cp_sat_bound_officer_min"] <= built.constables.most_min
    assert built.constables.most_min <= built.demand_min.sum()


def test_make_rota__cancel_and_stop_while_highs_proves_the_bound():
    """A cancel from progress while HiGHS proves the constables' bound is raised; a stop there
    keeps CP-SAT's own bound and still returns the first rota, quickly."""
    import threading
    import time

    from analysis.staffing.rules import load_rules
    team, tp = numbered_team(7, 0), parse_templates(TEMPLATES)     # the constables first
    seen = []

    def cancel(fraction, message):
        seen.append(message)
        if "proving the constables' bound" in message:
            raise Cancelled()

    with pytest.raises(Cancelled):
        make_rota(demand_168(), team, tp, load_rules(), start=START, weeks=13, cycle_weeks=5,
                  time_limit_s=60, progress=cancel)
    assert any("proving" in m for m in seen)
    stop = threading.Event()

    def stop_in_highs(fraction, message):
        if "proving the constables' bound" in message:
            stop.set()

    t0 = time.monotonic()
    res = make_rota(demand_168(), team, tp, load_rules(), start=START, weeks=13, cycle_weeks=5,
                    time_limit_s=60, stop=stop, progress=stop_in_highs)
    assert stop.is_set() and res.feasible and time.monotonic() - t0 < 20
    assert res.parts[0]["highs_bound_officer_min"] is None      # the bound was not proven
    assert not ind.hard_breaches(res.rota, load_rules())
