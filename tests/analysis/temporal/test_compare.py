"""Tests for analysis.temporal.compare: before/after rates per week and the pooled chi-square test.

References: rates counted with a direct pandas groupby, Pearson's chi-square formula written out,
Cochran's rule checked at every finer pooling level.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.progress import BeatwiseError
from analysis.temporal.compare import POOL_LADDER, chi_square_time_of_week, compare_periods, pool_blocks
from tests.analysis.temporal.frames import incidents


def test_pool_blocks():
    week = np.arange(168, dtype=float)
    pooled = pool_blocks(week, 4)
    assert pooled.shape == (42,) and pooled[0] == 0 + 1 + 2 + 3 and pooled.sum() == week.sum()
    by_hour = pool_blocks(week, 1, across_weekdays=True)
    assert by_hour.shape == (24,) and by_hour[5] == sum(5 + 24 * d for d in range(7))
    assert pool_blocks(week, 12, across_weekdays=True).shape == (2,)
    with pytest.raises(ValueError):
        pool_blocks(week, 5)


def _table(before, after, size, across):
    t = np.vstack([pool_blocks(before, size, across), pool_blocks(after, size, across)])
    return t[:, t.sum(0) > 0]


def _expected(table):
    return np.outer(table.sum(1), table.sum(0)) / table.sum()


def test_chi_square__matches_pearson_formula_and_pools_sparse_bins():
    rng = np.random.default_rng(1)
    before = np.bincount(rng.integers(0, 168, 300), minlength=168).astype(float)
    after = np.bincount(rng.integers(0, 168, 200), minlength=168).astype(float)
    res = chi_square_time_of_week(before, after)
    level = (res["block_hours"], res["across_weekdays"])
    # 500 incidents over 168 bins: expected counts ~ 1-2, so hours must be pooled
    assert level != (1, False)
    table = _table(before, after, *level)
    assert _expected(table).min() >= 5
    # every finer level of the ladder had an expected count below 5
    for finer in POOL_LADDER[:POOL_LADDER.index(level)]:
        assert _expected(_table(before, after, *finer)).min() < 5
    expected = _expected(table)
    chi2 = ((table - expected) ** 2 / expected).sum()
    dof = table.shape[1] - 1
    assert res["chi2"] == pytest.approx(chi2, rel=1e-10)
    assert res["dof"] == dof and res["n_blocks"] == table.shape[1]
    assert res["p_value"] == pytest.approx(stats.chi2.sf(chi2, dof), rel=1e-9)
    assert res["reliable"] and res["pooling"] in res["note"]


def test_chi_square__unpooled_when_dense():
    rng = np.random.default_rng(5)
    before = rng.poisson(40, 168).astype(float)
    after = rng.poisson(40, 168).astype(float)
    res = chi_square_time_of_week(before, after)
    assert (res["block_hours"], res["across_weekdays"], res["n_blocks"]) == (1, False, 168)
    assert res["note"] == ""


def test_chi_square__tiny_sample_flagged_unreliable():
    before = np.zeros(168)
    after = np.zeros(168)
    before[[10, 40]] = 1    # Mon 10h, Tue 16h
    after[[10, 100]] = 1    # Mon 10h, Fri 04h
    res = chi_square_time_of_week(before, after)
    # the coarsest level: morning vs afternoon over all days, [[1, 1], [2, 0]]
    assert (res["block_hours"], res["across_weekdays"]) == (12, True)
    assert not res["reliable"] and "indicative" in res["note"]
    assert res["chi2"] == pytest.approx(4 / 3)   # E = [[1.5,.5],[1.5,.5]]: .25/1.5*2 + .25/.5*2


def test_chi_square__one_block_is_an_error():
    before = np.zeros(168)
    before[3] = 4
    with pytest.raises(BeatwiseError, match="one time block"):
        chi_square_time_of_week(before, before.copy())


def _night_and_day(n_night, n_day, start, weeks, rng):
    """Exact times: n_night at 22:00-01:59, n_day at 10:00-13:59 spread over ``weeks`` weeks."""
    rows = []
    for n, hours in ((n_night, [22, 23, 0, 1]), (n_day, [10, 11, 12, 13])):
        days = rng.integers(0, 7 * weeks, n)
        hrs = rng.choice(hours, n)
        for d, h in zip(days, hrs):
            rows.append(((pd.Timestamp(start) + pd.Timedelta(days=int(d), hours=int(h), minutes=5)
                          ).isoformat(), None, "minute"))
    return rows


def test_compare_periods__rates_change_and_test():
    rng = np.random.default_rng(7)
    before = _night_and_day(160, 40, "2024-01-01", 8, rng)   # 8 weeks before 2024-02-26
    after = _night_and_day(20, 60, "2024-02-26", 4, rng)     # 4 weeks after
    g = incidents(before + after)
    res = compare_periods(g, "2024-02-26", period_start="2024-01-01", period_end="2024-03-25")
    assert res.weeks_before == pytest.approx(8.0) and res.weeks_after == pytest.approx(4.0)
    t = pd.to_datetime(g["t_start"])
    is_before = t < pd.Timestamp("2024-02-26")
    ref_before = np.zeros((7, 24))
    np.add.at(ref_before, (t[is_before].dt.day_of_week, t[is_before].dt.hour), 1)
    ref_after = np.zeros((7, 24))
    np.add.at(ref_after, (t[~is_before].dt.day_of_week, t[~is_before].dt.hour), 1)
    np.testing.assert_allclose(res.before_rate, ref_before / 8)
    np.testing.assert_allclose(res.after_rate, ref_after / 4)
    np.testing.assert_allclose(res.change, ref_after / 4 - ref_before / 8)
    assert res.before.n == 200 and res.after.n == 80
    # night share fell from 80% to 25%: the test must see it
    assert res.p_value < 1e-6
    d = res.to_dict()
    assert set(d) >= {"before", "after", "change", "chi2", "p_value"}
    assert len(d["change"]) == 7 and len(d["change"][0]) == 24


def test_compare_periods__same_distribution_not_significant():
    rng = np.random.default_rng(3)
    g = incidents(_night_and_day(150, 150, "2024-01-01", 8, rng)
                  + _night_and_day(150, 150, "2024-02-26", 8, rng))
    res = compare_periods(g, "2024-02-26")
    assert res.p_value > 0.01
    assert res.period_start == pd.Timestamp("2024-01-01")


def test_compare_periods__date_outside_data_is_an_error():
    g = incidents([("2024-01-02 08:00", None, "minute"), ("2024-01-20 08:00", None, "minute")])
    with pytest.raises(BeatwiseError, match="must fall inside"):
        compare_periods(g, "2025-01-01")
    with pytest.raises(BeatwiseError, match="not a date"):
        compare_periods(g, "next tuesday")


def test_compare_periods__month_only_is_an_error():
    g = incidents([("2024-01-01", "2024-02-01", "month"), ("2024-03-01", "2024-04-01", "month")])
    with pytest.raises(BeatwiseError, match="no incident has a time of day"):
        compare_periods(g, "2024-02-15")


def test_compare_periods__windows_default_period_and_membership():
    g = incidents([
        ("2023-06-01 00:00", "2024-01-02 10:00", "window"),   # starts long before the data
        ("2024-01-03 09:00", None, "minute"),
        ("2024-01-20 09:00", None, "minute"),
        ("2024-01-16 09:00", "2024-01-16 11:00", "window")])
    res = compare_periods(g, "2024-01-10")
    # period starts on the earliest window end / exact time, ends the day after the last start
    assert res.period_start == pd.Timestamp("2024-01-02")
    assert res.period_end == pd.Timestamp("2024-01-21")
    assert res.weeks_before == pytest.approx(8 / 7) and res.weeks_after == pytest.approx(11 / 7)
    assert res.before.n == 2 and res.after.n == 2
    assert res.before.matrix.sum() == pytest.approx(2.0)
    # the Tuesday 09-11 window is half in each hour, after rate = 0.5 / (11/7) per week
    assert res.after_rate[1, 9] == pytest.approx(0.5 / (11 / 7))
    assert "aoristic" in res.note
