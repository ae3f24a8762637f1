"""Benchmark (make bench): the forecast back-test, 4 methods x 52 weekly origins on 100,000 incidents.

Target (issue "where next week"): at most 30 s. Beside it in the same run, a minimal reference: the
naive method alone (a bincount of the last 4 weeks and a full argsort per origin, no ties, no
scores). Synthetic city: 100,000 incidents over 30 x 30 km and three years, 60 % around 300
street-sized clusters, 40 % spread evenly; 150 m cells.
"""
from __future__ import annotations

import os
import time

import numpy as np

from analysis.hotspots.grid import GridSpec
from analysis.hotspots.study_area import study_area_for
from analysis.spacetime.evaluation import backtest
from analysis.spacetime.forecast import forecast_data


def _city(n=100_000, seed=4):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(2_000, 28_000, (300, 2))
    k = int(0.6 * n)
    xy = np.vstack([centres[rng.integers(0, 300, k)] + rng.normal(0, 120, (k, 2)),
                    rng.uniform(0, 30_000, (n - k, 2))])
    t = 17_000 + rng.uniform(0, 3 * 365, n)
    return xy, t


def _reference(data, origins, k):
    study = data.study_flat
    hits = []
    for origin in origins:
        past = data.counts_between(origin - 28, origin)[study]
        actual = data.counts_between(origin, origin + 7)[study]
        top = np.argsort(-past)[:k]
        hits.append(actual[top].sum() / max(actual.sum(), 1))
    return hits


def test_benchmark__backtest_4_methods_52_weeks_100000_incidents():
    xy, t = _city()
    grid = GridSpec.for_points(xy, cell_m=150.0, margin_m=300.0, crs="EPSG:27700")
    study = study_area_for(xy, grid, band_m=300.0)
    data = forecast_data(xy, t, grid, study)
    t0 = time.perf_counter()
    bt = backtest(data, "week", test_periods=52)
    t_ours = time.perf_counter() - t0
    k = int(bt.ks[list(bt.coverages_pct).index(2.0)])
    t0 = time.perf_counter()
    ref = _reference(data, bt.origins, k)
    t_ref = time.perf_counter() - t0
    per = {m: bt.stats(m, "pai", 2.0)["mean"] for m in bt.methods}
    print(f"\nforecast back-test, {data.n_events:,} incidents, {study.n_cells:,} study cells, 4 methods x "
          f"{len(bt.origins)} weekly origins: {t_ours:.2f} s (target 30 s); minimal reference (naive only, "
          f"argsort): {t_ref:.2f} s; PAI at 2%: " + ", ".join(f"{m} {v:.2f}" for m, v in per.items())
          + f"; ETAS EM iterations {[f['iterations'] for f in bt.etas][:5]}...; load average {os.getloadavg()[0]:.1f}")
    naive_hit = bt.stats("naive", "hit_rate", 2.0)["mean"]
    assert abs(naive_hit - float(np.mean(ref))) < 0.02          # the same method, the same scale
    assert len(bt.origins) == 52
    assert t_ours <= 30.0
