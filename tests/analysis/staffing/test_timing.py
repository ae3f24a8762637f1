"""recommend_shifts: ranking of lengths, parameters, results, progress, the demo against its rota."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.analysis.staffing.reference import compositions, random_demand, ref_coverage, ref_on_duty

from analysis.progress import BeatwiseError, Cancelled
from analysis.staffing.demand import OBJECTIVE, demand_from_incidents
from analysis.staffing.timing import recommend_shifts
from analysis.staffing.week import Shift


def test_recommend__several_lengths_ranked_best_first(formulation):
    d = random_demand(7)
    rec = recommend_shifts(d, officers=3, shift_hours=(6, 8, 12), starts=range(0, 24, 4))
    covs = [p.coverage for p in rec.plans]
    assert covs == sorted(covs, reverse=True)
    assert sorted(p.shift_hours for p in rec.plans) == [6, 8, 12]
    for p in rec.plans:
        starts = range(0, 24, 4)
        best = max(ref_coverage(list(d), ref_on_duty([dict(zip(starts, x))] * 7, p.shift_hours))
                   for x in compositions(3, 6))
        assert p.coverage == pytest.approx(best, abs=1e-9)
    out = rec.to_dict()
    assert out["shift_hours"] == rec.best.shift_hours
    assert [a["shift_hours"] for a in out["alternatives"]] == [p.shift_hours for p in rec.plans[1:]]


def test_recommend__night_demand_gets_a_shift_across_midnight():
    d = np.zeros(168)
    d[[166, 167, 0, 1, 2, 3, 4, 5]] = 1.0     # Sunday 22:00 to Monday 06:00 only
    plan = recommend_shifts(d, officers=1, shift_hours=8).best
    assert [(s.start, s.end) for s in plan.shifts] == [("22:00", "06:00")]
    assert plan.on_duty[0:6] == (1,) * 6 and plan.on_duty[166:168] == (1, 1)
    # 8 of 56 officer-hours on the 8 demand hours: k = 8/56, covered 8 x 1/7 of 8
    assert plan.coverage == pytest.approx(1 / 7, abs=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(officers=0), "officers"),
    (dict(officers=3, shift_hours=(30,)), "shift hours"),
    (dict(officers=3, starts=[24]), "start hour"),
    (dict(officers=3, max_starts=0), "max_starts"),
    (dict(officers=2.5), "officers"),
])
def test_recommend__bad_parameters(kwargs, match):
    with pytest.raises(BeatwiseError, match=match):
        recommend_shifts(random_demand(1), **kwargs)


# ---------------------------------------------------------------------------------------------
# team size: refused before anything grows with it

def test_shifts__officers_100000_refused_before_allocating():
    """100,000 officers a day allocated 37 GiB (the enumeration's split table) and died."""
    import time
    import tracemalloc

    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(BeatwiseError) as err:
            recommend_shifts(random_demand(1), officers=100_000, shift_hours=(8, 10))
        seconds = time.perf_counter() - t0
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    text = str(err.value)
    assert text.startswith("100,000 officers a day is more than one plan can take: at most "
                           "1,000 officers a day can be planned with the same pattern every day")
    assert "Split the team by area or by shift group" in text
    assert seconds < 1.0 and peak_bytes < 10_000_000


@pytest.mark.parametrize("kwargs, match", [
    (dict(officers=500, per_weekday=True),
     r"at most 200 officers a day can be planned per weekday.*or plan the same pattern every day "
     r"\(up to 1,000\)"),
    (dict(officers=5_000, per_weekday=True),
     r"at most 200 officers a day can be planned per weekday.*each part on its own\.$"),
    (dict(officers=7, sergeants=1_001), "1,001 sergeants a day .* at most 1,000 sergeants"),
])
def test_recommend__team_too_large(kwargs, match):
    with pytest.raises(BeatwiseError, match=match):
        recommend_shifts(random_demand(1), **kwargs)


def test_recommend__team_at_the_limit_is_planned(monkeypatch):
    import analysis.staffing.timing as timing

    monkeypatch.setattr(timing, "MAX_OFFICERS", 4)
    assert recommend_shifts(random_demand(1), officers=4, starts=range(0, 24, 4)).best.optimal
    with pytest.raises(BeatwiseError, match="at most 4 officers"):
        recommend_shifts(random_demand(1), officers=5, starts=range(0, 24, 4))


# ---------------------------------------------------------------------------------------------
# result types, progress

def test_recommend__results_are_frozen_and_carry_parameters():
    rec = recommend_shifts(random_demand(1), officers=3, shift_hours=8, starts=range(0, 24, 4),
                           current="07:00-15:00x3")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.best.coverage = 1.0
    assert rec.parameters.officers == 3 and rec.best.parameters.starts == (0, 4, 8, 12, 16, 20)
    assert rec.objective == OBJECTIVE
    assert isinstance(rec.best.shifts[0], Shift)
    out = rec.to_dict()
    for key in ("objective", "demand", "status", "shift_hours", "shifts", "on_duty", "coverage",
                "alternatives", "current", "understaffed", "summary"):
        assert key in out
    assert len(out["demand"]) == 168 and len(out["on_duty"]) == 168
    assert set(out["current"]) >= {"shifts", "on_duty", "coverage"}
    assert set(out["shifts"][0]) >= {"start", "end", "officers", "weekdays"}


def test_recommend__progress_and_cancel():
    seen = []
    recommend_shifts(random_demand(1), officers=2, shift_hours=(8, 10), starts=[0, 8, 16],
                     progress=lambda f, m: seen.append((f, m)))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0
    assert any("10-hour" in m for _, m in seen)

    def cancel(fraction, message):
        raise Cancelled

    with pytest.raises(Cancelled):
        recommend_shifts(random_demand(1), officers=2, shift_hours=8, progress=cancel)


# ---------------------------------------------------------------------------------------------
# the demo: the recommendation must beat the day-heavy current rota clearly

@pytest.fixture(scope="module")
def demo_demand(tmp_path_factory):
    from analysis.demo import CURRENT_ROTA, write_demo
    from analysis.ingest.incidents import read_incidents
    folder = tmp_path_factory.mktemp("shifts_demo")
    files = write_demo(folder, project=False)
    inc = read_incidents([files.incidents_csv]).incidents
    return demand_from_incidents(inc), CURRENT_ROTA


def test_demo__recommendation_beats_current_rota(demo_demand):
    dem, rota = demo_demand
    d = np.asarray(dem.per_hour)
    rec = recommend_shifts(d, officers=7, shift_hours=(8, 10), current=rota)
    best, cur = rec.best, rec.current
    assert best.status == "optimal"
    assert best.coverage >= cur.coverage + 0.15           # a clear margin (measured: 0.82 vs 0.58)
    # Officers are on when the demo's night-time drugs and violence peak: Friday and Saturday
    # 22:00-02:00 carry more officers than under the current rota (which has none after midnight).
    fri_sat_nights = [24 * day + h for day in (4, 5) for h in (22, 23)] + \
                     [24 * day + h for day in (5, 6) for h in (0, 1)]
    assert sum(best.on_duty[t] for t in fri_sat_nights) > sum(cur.on_duty[t] for t in fri_sat_nights)
    assert f"{best.coverage:.0%}" in rec.summary and f"{cur.coverage:.0%}" in rec.summary
    assert "go from 0 to" in rec.summary
