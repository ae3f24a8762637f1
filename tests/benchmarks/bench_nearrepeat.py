"""Benchmark (make bench): the near-repeat (Knox) test of 20,000 incidents, 999 permutations.

Target (issue "is it growing, does it repeat"): at most 10 s. Measured beside a minimal reference in
the same run: the same close pairs (one k-d tree query) and 999 single-threaded shuffles with a
2-D histogram each, no checks. A city-sized spread (20,000 incidents over 15 x 15 km, two years),
the default bands (to 400 m and 28 days), Manhattan distance.
"""
from __future__ import annotations

import os
import time

import numpy as np

from analysis.spacetime.near_repeat import DEFAULT_DISTANCE_BANDS_M, DEFAULT_TIME_BANDS_DAYS, knox_test


def _reference(xy, days, d_breaks, t_breaks, permutations, seed):
    from scipy.spatial import cKDTree

    pairs = cKDTree(xy).query_pairs(r=d_breaks[-1], p=1, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.abs(xy[i] - xy[j]).sum(axis=1)
    rng = np.random.default_rng(seed)
    # numpy's last bin is closed: end it just below the last break, as [a, b) (days are whole)
    d_breaks = np.r_[d_breaks[:-1], d_breaks[-1] - 1e-9]
    t_breaks = np.r_[t_breaks[:-1], t_breaks[-1] - 0.5]
    out = []
    for _ in range(permutations):
        s = days[rng.permutation(len(days))]
        h, _, _ = np.histogram2d(d, np.abs(s[i] - s[j]), bins=[d_breaks, t_breaks])
        out.append(h)
    return np.array(out)


def test_benchmark__near_repeat_20000_incidents_999_permutations():
    rng = np.random.default_rng(1)
    n = 20_000
    xy = rng.uniform(0, 15_000, (n, 2))
    days = rng.integers(0, 730, n)
    t0 = time.perf_counter()
    ref = _reference(xy, days, np.array(DEFAULT_DISTANCE_BANDS_M), np.array(DEFAULT_TIME_BANDS_DAYS), 999, 1)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = knox_test(xy, days, permutations=999, seed=1)
    t_ours = time.perf_counter() - t0
    load = os.getloadavg()[0]
    print(f"\nnear-repeat, {n:,} incidents, {r.n_pairs:,} close pairs, 999 permutations: {t_ours:.2f} s "
          f"(target 10 s); minimal reference (k-d pairs + histogram2d per shuffle, one thread): {t_ref:.2f} s; "
          f"load average {load:.1f}")
    assert abs(ref.mean(axis=0).sum() - r.expected.sum()) / r.expected.sum() < 0.01  # same work, same scale
    assert t_ours <= 10.0
