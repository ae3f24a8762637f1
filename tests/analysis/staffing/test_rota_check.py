"""analysis.staffing.rota_check: hand-made rotas breaking each rule are caught (by it and by the
independent checker written from the rule text), and on random rotas both agree rule by rule."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from analysis.staffing.rota_check import Rota, check_rota, horizon_coverage
from analysis.staffing.rules import load_rules
from analysis.staffing.team import Officer, Template, parse_templates
from tests.analysis.staffing import independent_rules as ind

START = dt.date(2027, 1, 4)          # Monday
TP = parse_templates("E=07:00-17:00,L=14:00-00:00,N=22:00-07:00,D=10:00-18:00,M=06:00-14:00")
# Valid fortnights for a 40-hour officer (80 h +- 4 h): 77 h and 78 h.
GOOD = "E E L L R R R N N N R R E R".split()
OTHER = "L L R R E E L L R R N N R R".split()
PACK = load_rules()


def rota(rows, officers=None, templates=TP):
    officers = officers or [Officer(f"PC{k + 1:02d}", "PC") for k in range(len(rows))]
    return Rota(START, tuple(officers), tuple(templates), tuple(tuple(r) for r in rows))


def broken(r):
    ours = {res.name for res in check_rota(r, PACK).results if not res.ok}
    theirs = {name for name, _ in ind.hard_breaches(r, PACK)}
    return ours, theirs


def test_check_rota__a_good_rota_keeps_the_per_officer_rules():
    ours, theirs = broken(rota([GOOD, OTHER]))
    assert ours - {"minimum_cover"} == set() and theirs - {"minimum_cover"} == set()


def _with(row, **cells):
    out = list(GOOD if row is None else row)
    for k, v in cells.items():
        out[int(k[1:])] = v
    return out


CASES = {
    # L ends 00:00, E starts 07:00: 7 h
    "daily_rest": _with(None, d1="L", d2="E"),
    # the first 7 days all tours: no 24 h rest in that week
    "weekly_rest": "E E E E L L L R R N N N R R".split(),
    # 11 tours in 14 days: 3 rest days, 4 needed
    "rest_days": "E E E E R L L L R N N N R E".split(),
    # 6 tours: 60 h of 80 h
    "contracted_hours": "E E R R R R R L L L R R R R".split(),
    # 7 in a row
    "consecutive_tours": "E E L L L L L R R R N N R R".split(),
    # 5 nights in a row
    "consecutive_nights": "E E R R N N N N N R R R E E".split(),
    # night on day 2, early M (06:00) on day 4
    "night_then_early": "E L N R M L R R E E L L R R".split(),
}


@pytest.mark.parametrize("rule", CASES, ids=CASES.keys())
def test_check_rota__hand_made_rota_breaking_the_rule_is_caught(rule):
    ours, theirs = broken(rota([CASES[rule], OTHER]))
    assert rule in ours and rule in theirs
    v = [x for x in check_rota(rota([CASES[rule], OTHER]), PACK).violations if x.rule == rule]
    assert v and v[0].officer_id == "PC01"


def test_check_rota__average_weekly_hours_over_48():
    row = "E E E E E R E E E E E R E E".split()       # 120 h in 2 weeks
    ours, theirs = broken(rota([row]))
    assert "average_weekly_hours" in ours and "average_weekly_hours" in theirs


def test_check_rota__tour_over_the_pack_maximum():
    long = Template("X", 420, 13 * 60)
    ours, theirs = broken(rota([_with(None, d0="X")], templates=TP + (long,)))
    assert "max_tour_length" in ours and "max_tour_length" in theirs


def test_check_rota__team_leave_fixed_rest_days_and_nights_ok():
    o = Officer("PC01", "PC", leave=frozenset({START}), rest_days=frozenset({START + dt.timedelta(1)}),
                nights_ok=False)
    ours, theirs = broken(rota([GOOD], officers=[o]))
    for name in ("leave_kept", "fixed_rest_days_kept", "nights_ok_kept"):
        assert name in ours and name in theirs


def test_check_rota__minimum_cover_and_supervision_named_with_dates():
    officers = [Officer("PS01", "PS"), Officer("PC01", "PC")]
    chk = check_rota(rota([OTHER, GOOD], officers), PACK)
    assert "minimum_cover" in chk.broken
    sup = next(r for r in chk.results if r.name == "supervision")
    assert sup.count > 0 and sup.penalty_h == sup.count * PACK["supervision"]["weight"]
    assert any(v.rule == "minimum_cover" and v.first >= START for v in chk.violations)


@pytest.mark.parametrize("seed", range(12))
def test_check_rota__agrees_with_the_independent_checker_on_random_rotas(seed):
    rng = np.random.default_rng(seed)
    codes = ["R", "R", "E", "L", "N", "D", "M"]
    n_off, days = 4, 21
    officers = [Officer("PS01", "PS"), Officer("PC01", "PC"), Officer("PC02", "PC", nights_ok=False),
                Officer("PC03", "PC", hours_per_week=24.0,
                        leave=frozenset({START + dt.timedelta(days=3)}))]
    rows = [[codes[k] for k in rng.integers(0, len(codes), days)] for _ in range(n_off)]
    rows[3][3] = "AL"
    r = rota(rows, officers)
    chk = check_rota(r, PACK)
    theirs = {name for name, _ in ind.hard_breaches(r, PACK)}
    assert {x.name for x in chk.results if not x.ok} == theirs
    assert {x.name: x.count for x in chk.results if x.kind == "soft"} == ind.soft_counts(r, PACK)


def test_check_rota__coverage_is_the_design_formula_over_the_horizon():
    d = np.arange(168, dtype=float) % 24 + 1
    chk = check_rota(rota([GOOD, OTHER]), PACK, d)
    on = np.asarray(chk.on_duty)
    dh = d[np.arange(14 * 24) % 168]
    k = dh.sum() / on.sum()
    assert chk.coverage == pytest.approx(np.minimum(dh, k * on).sum() / dh.sum())
    assert horizon_coverage(dh, on * 0) == 0.0
    per = {s["officer_id"]: s for s in chk.officers}
    assert per["PC01"]["nights"] == 3 and per["PC01"]["hours"] == 77.0
