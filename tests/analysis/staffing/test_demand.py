"""Demand from incidents, the coverage formula and the under-staffed hours."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analysis.staffing.reference import ref_coverage, random_demand
from tests.conftest import SHARED_DATA

from analysis.progress import BeatwiseError
from analysis.staffing.demand import coverage, demand_from_incidents
from analysis.staffing.timing import recommend_shifts

SHARED = SHARED_DATA


# ---------------------------------------------------------------------------------------------
# coverage

def test_coverage__worked_by_hand():
    demand = np.zeros(168)
    demand[[0, 1, 2, 3]] = 1.0                   # 4 incidents a week, Monday 00:00-03:59
    on = np.zeros(168)
    on[[0, 1]] = 2.0                            # 4 officer-hours -> k = 4 / 4 = 1
    # min(1, 2) + min(1, 2) + 0 + 0 = 2 of 4
    assert coverage(demand, on) == pytest.approx(0.5, abs=1e-12)
    on2 = np.zeros(168)
    on2[[0, 1, 2, 3]] = 3.0                     # proportional staffing -> 1.0
    assert coverage(demand, on2) == pytest.approx(1.0, abs=1e-12)
    on3 = np.zeros(168)
    on3[100] = 5.0                              # all staff where there is no demand
    assert coverage(demand, on3) == 0.0


def test_coverage__is_one_minus_half_l1_distance():
    rng = np.random.default_rng(3)
    for _ in range(5):
        d = rng.gamma(2.0, 1.0, 168)
        on = rng.integers(0, 6, 168).astype(float)
        k = d.sum() / on.sum()
        expected = 1.0 - np.abs(d - k * on).sum() / (2 * d.sum())
        assert coverage(d, on) == pytest.approx(expected, abs=1e-12)
        assert coverage(d, on) == pytest.approx(ref_coverage(list(d), list(on)), abs=1e-12)


def test_coverage__nobody_on_duty_is_zero():
    assert coverage(np.ones(168), np.zeros(168)) == 0.0


def test_coverage__accepts_7x24_matrix():
    d = random_demand(1)
    on = np.ones(168)
    assert coverage(d.reshape(7, 24), on) == pytest.approx(coverage(d, on), abs=1e-15)


@pytest.mark.parametrize("demand, match", [
    (np.zeros(168), "no incident demand"),
    (np.ones(100), "168"),
    (np.full(168, -1.0), "negative"),
])
def test_coverage__bad_demand(demand, match):
    with pytest.raises(BeatwiseError, match=match):
        coverage(demand, np.ones(168))


# ---------------------------------------------------------------------------------------------
# under-staffed hours

def test_recommend__understaffed_hours_are_demand_above_k_on_duty():
    d = random_demand(8)
    plan = recommend_shifts(d, officers=3, shift_hours=8, starts=range(0, 24, 4)).best
    k = d.sum() / sum(plan.on_duty)
    expected = {t for t in range(168) if d[t] > k * plan.on_duty[t] + 1e-12}
    got = [(u.weekday * 24 + u.hour) for u in plan.understaffed]
    assert set(got) == expected
    shortfalls = [u.shortfall for u in plan.understaffed]
    assert shortfalls == sorted(shortfalls, reverse=True)
    u = plan.understaffed[0]
    assert u.shortfall == pytest.approx(u.demand - k * u.on_duty)


# ---------------------------------------------------------------------------------------------
# demand from incidents

def _incidents(times, precision="minute", ends=None):
    t = pd.to_datetime(pd.Series(times))
    e = t if ends is None else pd.to_datetime(pd.Series(ends))
    return pd.DataFrame({"incident_id": [str(i) for i in range(len(t))], "crime_type": "Drugs",
                         "t_start": t, "t_end": e, "time_precision": precision, "weight": 1.0,
                         "source_row": range(2, len(t) + 2), "area": "", "lsoa": "",
                         "location": ""})


def test_demand_from_incidents__per_week_by_hand():
    # 2025-01-06 is a Monday; the range 6-19 Jan is exactly 2 weeks
    inc = _incidents(["2025-01-06 22:15", "2025-01-13 22:40", "2025-01-19 03:05"])
    dem = demand_from_incidents(inc)
    assert dem.weeks == pytest.approx(2.0)
    per = np.asarray(dem.per_hour)
    assert per[22] == pytest.approx(1.0)                    # 2 incidents Monday 22:00 / 2 weeks
    assert per[6 * 24 + 3] == pytest.approx(0.5)            # Sunday 03:00
    assert per.sum() == pytest.approx(1.5)


def test_demand_from_incidents__window_is_aoristic():
    inc = _incidents(["2025-01-06 22:00"], precision="window", ends=["2025-01-07 02:00"])
    per = np.asarray(demand_from_incidents(inc).per_hour)
    # one 4-hour window over 2 days (6-7 Jan): 1/4 in each hour, per 2/7 week
    assert per[[22, 23, 24, 25]] == pytest.approx([0.25 * 3.5] * 4)


def test_demand_from_incidents__month_only():
    inc = _incidents(["2024-01-01", "2024-02-01"], precision="month",
                     ends=["2024-02-01", "2024-03-01"])
    with pytest.raises(BeatwiseError) as err:
        demand_from_incidents(inc)
    text = str(err.value)
    assert "None of the 2 incidents selected has a time of day" in text
    assert "RMS/CAD export with date-times" in text and "--time" in text and "--start/--end" in text


def test_demand_from_incidents__police_uk_file():
    path = SHARED / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv"
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    from analysis.ingest.incidents import read_incidents
    inc = read_incidents([path]).incidents
    with pytest.raises(BeatwiseError, match="6,134 incidents selected has a time of day"):
        demand_from_incidents(inc)
