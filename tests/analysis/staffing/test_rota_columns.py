"""analysis.staffing.rota_columns: each column's value is the hourly objective's sum, counted
here by brute force minute by minute; a rota solved by column scores the same objective with
the independent scorer."""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from analysis.staffing import rota_columns as columns
from analysis.staffing.rota import make_rota
from analysis.staffing.rota_model import build_model
from analysis.staffing.rules import load_rules
from analysis.staffing.team import numbered_team, parse_templates
from tests.analysis.staffing import independent_rules as ind
from tests.analysis.staffing.test_rota import START, demand_168, pack_file

TEMPLATES = "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"


def test_duty_day__one_span_from_the_first_start_or_none():
    assert columns.duty_day(parse_templates(TEMPLATES)) == (7, 24)     # 07:00 to 07:00 next day
    assert columns.duty_day(parse_templates("E=06:00-14:00,N=22:00-07:00")) is None   # 25 h
    assert columns.applies(parse_templates(TEMPLATES), 5)
    assert not columns.applies(parse_templates(TEMPLATES), 6)         # 7 x 4^6 columns
    assert not columns.applies(parse_templates(TEMPLATES), None)


def test_column_values__equal_the_hourly_sum_counted_minute_by_minute():
    templates = parse_templates(TEMPLATES)
    c_weeks, days, offsets = 3, 17, (0, 1, 2, 0)     # a horizon ending mid-week, two on line 0
    rng = np.random.default_rng(5)
    dmin = rng.integers(0, 200, days * 24)
    cols, values = columns.column_values(templates, c_weeks, offsets, days,
                                         columns.coverage_value(dmin))
    for k in rng.choice(len(cols), 40, replace=False):
        for j in range(7):
            per_min = np.zeros(days * 24 * 60 + 2 * 1440)
            for d in range(j, days, 7):
                for o in offsets:
                    r = cols[k][(d // 7 + o) % c_weeks]
                    if r:
                        t = templates[r - 1]
                        per_min[d * 1440 + t.start_min: d * 1440 + t.end_min] += 1
            on = per_min[:days * 1440].reshape(-1, 60).sum(axis=1)
            assert values[j, k] == np.minimum(on, dmin).sum()


@pytest.mark.parametrize("seed", [3, 8])
def test_make_rota__by_column_scores_the_independent_objective(tmp_path, seed):
    pack = pack_file(tmp_path, {("minimum_cover", "constables"): 0})
    templates = parse_templates(TEMPLATES)
    team = numbered_team(3, 0)
    demand = demand_168(seed)
    built = build_model(demand, team, templates, pack, START, 21, 3)
    assert built.constables is not None                  # the coverage is written by column
    res = make_rota(demand, team, templates, pack, start=START, weeks=3, cycle_weeks=3,
                    time_limit_s=20)
    assert res.feasible and not ind.hard_breaches(res.rota, pack)
    assert ind.objective(res.rota, pack, demand) == res.objective_min


def test_build_model__leave_keeps_the_hourly_form():
    team = list(numbered_team(3, 0))
    team[1] = dataclasses.replace(team[1], leave=frozenset({START + dt.timedelta(days=2)}))
    built = build_model(demand_168(), team, parse_templates(TEMPLATES), load_rules(), START, 21, 3)
    assert built.constables is None


def test_allowed__keeps_exactly_the_columns_with_every_hour_staffed():
    templates = parse_templates(TEMPLATES)
    offsets, days = (0, 1, 2, 0, 1), 21
    keep = columns.allowed(templates, 3, offsets, days, 60)
    cols = columns.column_values(templates, 3, offsets, days, columns.coverage_value(
        np.zeros(days * 24, dtype=np.int64)))[0]
    rng = np.random.default_rng(2)
    for k in rng.choice(len(cols), 60, replace=False):
        for j in range(7):
            on = np.zeros(days * 24 + 48)
            for d in range(j, days, 7):
                for o in offsets:
                    r = cols[k][(d // 7 + o) % 3]
                    if r:
                        t = templates[r - 1]
                        on[d * 24 + t.start_min // 60: d * 24 + -(-t.end_min // 60)] += 1
            hours = [d * 24 + h for d in range(j, days, 7) for h in range(7, 31)
                     if d * 24 + h < days * 24]
            assert keep[j, k] == all(on[h] >= 1 for h in hours)
    assert keep.all(axis=0).sum() < len(cols) and columns.allowed(templates, 3, offsets, days, 0).all()
