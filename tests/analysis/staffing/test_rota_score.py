"""A given rota: parsed from text, officers on duty per hour, scored with the coverage formula."""
from __future__ import annotations

import pytest

from tests.analysis.staffing.reference import ref_coverage, random_demand

from analysis.progress import BeatwiseError
from analysis.staffing.rota_score import parse_rota, rota_on_duty, score_rota


def test_parse_rota__issue_example():
    shifts = parse_rota("07:00-17:00x4,14:00-00:00x3")
    assert [(s.start, s.end, s.hours, s.officers) for s in shifts] == [
        ("07:00", "17:00", 10.0, 4), ("14:00", "00:00", 10.0, 3)]
    on = rota_on_duty(shifts)
    day = [0] * 7 + [4] * 7 + [7] * 3 + [3] * 7   # 00-06, 07-13, 14-16, 17-23
    assert list(on) == day * 7


def test_rota_on_duty__night_shift_wraps_into_monday():
    on = rota_on_duty(parse_rota("22:00-06:00x2"))
    assert on[0:6].tolist() == [2] * 6           # Monday 00:00-05:59 from Sunday's shift
    assert on[166:168].tolist() == [2, 2]        # Sunday 22:00-23:59
    assert on[6] == 0 and on.sum() == 7 * 8 * 2


def test_rota_on_duty__minutes_are_fractional_hours():
    on = rota_on_duty(parse_rota("07:30-08:30x2"))
    assert on[7] == pytest.approx(1.0) and on[8] == pytest.approx(1.0)
    assert on.sum() == pytest.approx(7 * 2 * 1.0)


@pytest.mark.parametrize("spec, match", [
    ("7-17", "HH:MM-HH:MMxN"),
    ("07:00-07:00x2", "same time"),
    ("25:00-03:00x1", "impossible"),
    ("07:00-15:00x0", "no officers"),
    ("", "empty rota"),
])
def test_parse_rota__errors_name_the_part(spec, match):
    with pytest.raises(BeatwiseError, match=match):
        parse_rota(spec)


def test_score_rota__same_formula_as_coverage():
    d = random_demand(2)
    score = score_rota(d, "07:00-17:00x4,14:00-00:00x3")
    assert score.coverage == pytest.approx(ref_coverage(list(d), list(score.on_duty)), abs=1e-12)
    assert score.label == "07:00-17:00 / 14:00-00:00"
    assert score.load_per_officer_hour == pytest.approx(d.sum() / (7 * 70))
