"""Benchmark (make bench): aoristic hour x weekday matrix of the NYC from/to file.

Target (issue 4 / brief): the 35,746 windows take well under a second (vectorised, no loop per
incident). Also times a synthetic 1,000,000-window input and street snapping of the Rutland data.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.temporal.matrix import aoristic_week_weights, hour_weekday_matrix

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
NYC = DATA / "timed" / "nyc_motor_vehicle_thefts_2014_2017_from_to.csv"


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def test_benchmark__nyc_aoristic_matrix_under_a_second():
    if not NYC.exists():
        pytest.skip(f"shared test data not present: {NYC}")
    from analysis.ingest.incidents import read_incidents
    g = read_incidents([NYC]).incidents
    seconds, profile = best_of(lambda: hour_weekday_matrix(g))
    print(f"\nNYC {len(g):,} incidents ({profile.n_window:,} windows): matrix in {seconds * 1000:.1f} ms")
    assert profile.matrix.sum() == pytest.approx(len(g), rel=1e-9)
    assert seconds < 0.5


def test_benchmark__one_million_windows():
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 1440, 1_000_000), "min")
    end = start + pd.to_timedelta(rng.integers(1, 20 * 1440, 1_000_000), "min")
    seconds, week = best_of(lambda: aoristic_week_weights(start, end))
    print(f"\n1,000,000 windows: {seconds:.2f} s")
    assert week.sum() == pytest.approx(1_000_000, rel=1e-9)
    assert seconds < 5


def test_benchmark__rutland_snapping():
    inc = DATA / "police_uk" / "2024-01_to_2024-04-rutland-street.csv"
    layer_path = DATA / "streets" / "rutland_highways.geojson"
    if not (inc.exists() and layer_path.exists()):
        pytest.skip("shared Rutland data not present")
    from analysis.ingest.incidents import read_incidents
    from analysis.hotspots.streets import read_street_layer, snap_to_streets
    g = read_incidents([inc]).incidents
    t = time.perf_counter()
    layer = read_street_layer(layer_path, g.crs)
    read_s = time.perf_counter() - t
    seconds, a = best_of(lambda: snap_to_streets(g, layer))
    print(f"\nRutland: layer read {read_s:.2f} s; {len(g)} incidents snapped to "
          f"{len(layer.segments):,} ways in {seconds * 1000:.1f} ms ({a.n_matched} matched)")
    assert seconds < 1
