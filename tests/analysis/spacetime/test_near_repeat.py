"""The Knox test against a brute-force double loop, invariants of the permutations, null data."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.progress import BeatwiseError, Cancelled
from analysis.spacetime.near_repeat import check_bands, interval_labels, knox_test

D = (0.0, 1.0, 100.0, 200.0, 400.0)
T = (0.0, 1.0, 7.0, 14.0, 28.0)


def _brute(xy, days, d_breaks, t_breaks, metric):
    """Every pair by a double loop, each band [a, b) by comparison (no searchsorted, no k-d tree)."""
    out = np.zeros((len(d_breaks) - 1, len(t_breaks) - 1), dtype=int)
    n = len(xy)
    for a in range(n):
        for b in range(a + 1, n):
            dx, dy = abs(xy[a, 0] - xy[b, 0]), abs(xy[a, 1] - xy[b, 1])
            d = dx + dy if metric == "manhattan" else (dx * dx + dy * dy) ** 0.5
            t = abs(int(days[a]) - int(days[b]))
            for i in range(len(d_breaks) - 1):
                if d_breaks[i] <= d < d_breaks[i + 1]:
                    for j in range(len(t_breaks) - 1):
                        if t_breaks[j] <= t < t_breaks[j + 1]:
                            out[i, j] += 1
    return out


def _data(n=500, seed=3):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 2000, (n, 2)).round(0)
    k = n // 12
    xy[:k] = xy[k:2 * k]                     # same places
    days = rng.integers(0, 120, n)
    return xy, days


@pytest.mark.parametrize("metric", ["manhattan", "euclidean"])
def test_observed__equals_a_brute_force_double_loop(metric):
    xy, days = _data()
    r = knox_test(xy, days, distance_bands_m=D, time_bands_days=T, metric=metric, permutations=9)
    assert np.array_equal(r.observed, _brute(xy, days, D, T, metric))
    assert r.n_pairs >= r.observed.sum()


def test_permutations__reproducible_with_the_seed_and_row_totals_kept():
    xy, days = _data(300)
    wide_t = (0.0, 1.0, 7.0, 1e6)   # every time apart counted: permuting dates keeps each distance row's total
    a = knox_test(xy, days, distance_bands_m=D, time_bands_days=wide_t, permutations=99, seed=5)
    b = knox_test(xy, days, distance_bands_m=D, time_bands_days=wide_t, permutations=99, seed=5)
    c = knox_test(xy, days, distance_bands_m=D, time_bands_days=wide_t, permutations=99, seed=6)
    assert np.array_equal(a.expected, b.expected) and np.array_equal(a.p_value, b.p_value)
    assert not np.array_equal(a.expected, c.expected)
    np.testing.assert_allclose(a.expected.sum(axis=1), a.observed.sum(axis=1), rtol=1e-12)
    assert ((a.p_value > 0) & (a.p_value <= 1)).all()
    assert np.isclose(a.p_value * 100, np.round(a.p_value * 100)).all()     # (count + 1) / (99 + 1)


def test_null_data__no_near_repeat_found():
    rng = np.random.default_rng(11)
    xy, days = rng.uniform(0, 5000, (3000, 2)), rng.integers(0, 365, 3000)
    r = knox_test(xy, days, distance_bands_m=(0, 100, 200, 400), time_bands_days=(0, 7, 14, 28), permutations=199)
    ok = np.isfinite(r.knox_ratio)
    assert np.abs(r.knox_ratio[ok] - 1).max() < 0.35
    assert (r.p_value <= 0.01).sum() == 0


def test_planted_repeats__found_in_the_right_cell_with_the_smallest_p():
    rng = np.random.default_rng(2)
    base = rng.uniform(0, 5000, (1500, 2))
    days = rng.integers(0, 365, 1500)
    # 150 "repeats": within 50 m and 0-3 days of an earlier incident
    src = rng.integers(0, 1500, 150)
    rep_xy = base[src] + rng.uniform(-25, 25, (150, 2))
    rep_days = days[src] + rng.integers(0, 4, 150)
    r = knox_test(np.vstack([base, rep_xy]), np.concatenate([days, rep_days]),
                  distance_bands_m=(0, 100, 200, 400), time_bands_days=(0, 7, 14, 28), permutations=199, crime="burglary")
    assert r.knox_ratio[0, 0] > 3 and r.p_value[0, 0] == pytest.approx(1 / 200)
    assert r.strongest() == (0, 0)
    s = r.sentence()
    assert s.startswith("Within 100 m and 7 days of an incident of burglary, the chance of another is") and "p = 0.005" in s


def test_sentence__nothing_significant_says_so():
    rng = np.random.default_rng(4)
    r = knox_test(rng.uniform(0, 3000, (400, 2)), rng.integers(0, 200, 400), distance_bands_m=(0, 100),
                  time_bands_days=(0, 7), permutations=19, seed=1)
    if r.strongest() is None:
        assert r.sentence().startswith("No distance and time band")


def test_bands__interval_notation_and_bad_lists():
    assert interval_labels((0, 1, 100), "m") == ["[0, 1) m", "[1, 100) m"]
    with pytest.raises(BeatwiseError, match="must increase, but 100 follows 200"):
        check_bands((0, 200, 100), "distance", "--distance-bands")
    with pytest.raises(BeatwiseError, match="at least two"):
        check_bands((5,), "time", "--time-bands")
    with pytest.raises(BeatwiseError, match="start at 0 or more"):
        check_bands((-1, 5), "time", "--time-bands")


def test_bad_input__clear_messages():
    xy, days = _data(50)
    with pytest.raises(BeatwiseError, match="one day"):
        knox_test(xy, np.zeros(50, dtype=int), permutations=9)
    with pytest.raises(BeatwiseError, match="one place"):
        knox_test(np.zeros((50, 2)), days, permutations=9)
    with pytest.raises(BeatwiseError, match="at least 3"):
        knox_test(xy[:2], days[:2], permutations=9)
    with pytest.raises(BeatwiseError, match="at least 2 permutations"):
        knox_test(xy, days, permutations=1)
    with pytest.raises(BeatwiseError, match="must increase"):
        knox_test(xy, days, distance_bands_m=(0, 100, 100), permutations=9)


def test_cancel__stops_the_permutations():
    xy, days = _data(300)

    def cancel(f, m):
        if f > 0.04:
            raise Cancelled()

    with pytest.raises(Cancelled):
        knox_test(xy, days, permutations=999, progress=cancel)


def test_sentence__wording_of_each_band_kind():
    """One "within" only, a link that fits the time band ("as", "of", "after"), "an incident"."""
    from dataclasses import replace

    rng = np.random.default_rng(2)
    base = rng.uniform(0, 5000, (1500, 2))
    days = rng.integers(0, 365, 1500)
    src = rng.integers(0, 1500, 150)
    r = knox_test(np.vstack([base, base[src] + rng.uniform(-25, 25, (150, 2))]),
                  np.concatenate([days, days[src] + rng.integers(0, 4, 150)]),
                  distance_bands_m=(0, 1, 100, 200), time_bands_days=(0, 1, 7, 14), permutations=19)
    def only(i, j):
        p = np.ones(r.observed.shape)
        p[i, j] = 0.01
        ratio = np.ones(r.observed.shape)
        ratio[i, j] = 3.0
        return replace(r, p_value=p, knox_ratio=ratio)

    assert only(0, 0).sentence().startswith("At the same place and on the same day as an incident, ")
    assert only(1, 0).sentence().startswith("Between 1 and 100 m away and on the same day as an incident, ")
    assert only(1, 1).sentence().startswith("Between 1 and 100 m away and 1 to 7 days after an incident, ")
    assert only(2, 2).sentence().startswith("Between 100 and 200 m away and 7 to 14 days after an incident, ")
    assert "3.0 times what chance alone gives (p = 0.010;" in only(2, 2).sentence()
    for i in range(3):
        for j in range(3):
            assert only(i, j).sentence().lower().count("within") <= 1
