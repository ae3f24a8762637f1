"""Hotspot areas sized for patrol (issue 20 item 5): areas larger than the patrollable size are
split at their density peaks; a part still larger is flagged."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.areas import hotspot_areas, split_at_peaks
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import kde


def _two_peaks():
    """Two dense clusters 600 m apart joined by a ridge: one connected area of about 1.4 km^2."""
    rng = np.random.default_rng(11)
    xy = np.vstack([rng.normal([2000, 2000], 150, (800, 2)), rng.normal([2600, 2000], 150, (600, 2)),
                    rng.uniform([1700, 1850], [2900, 2150], (300, 2)), rng.uniform(0, 5000, (400, 2))])
    grid = GridSpec(0, 0, 20.0, 250, 250, crs="EPSG:27700")
    return xy, kde(xy, grid, bandwidth_m=300.0)


def test_split_at_peaks__two_peaks_two_basins():
    v = np.zeros((20, 40))
    yy, xx = np.mgrid[0:20, 0:40]
    v += np.exp(-((xx - 10) ** 2 + (yy - 10) ** 2) / 50.0) + 0.8 * np.exp(-((xx - 30) ** 2 + (yy - 10) ** 2) / 50.0)
    labels = (v > 0.05).astype(np.int32)
    assert labels.max() == 1 and (labels > 0).sum() > 100
    out, n, split, done = split_at_peaks(labels, 1, v, max_cells=100, peak_window=5)
    assert n == 2 and done == 1 and split[1:].all()
    assert out[10, 10] != out[10, 30] and out[10, 10] > 0 and out[10, 30] > 0
    assert ((out > 0) == (labels > 0)).all()  # the same cells, cut in two
    # the cut runs through the saddle (x = 20 or so), nearer the weaker peak
    assert 17 <= np.flatnonzero(out[10] == out[10, 30])[0] <= 22
    # small enough: untouched
    same, n1, split1, done1 = split_at_peaks(labels, 1, v, max_cells=10_000, peak_window=5)
    assert n1 == 1 and done1 == 0 and not split1.any()


def test_hotspot_areas__large_area_split_and_sizes_reported():
    xy, s = _two_peaks()
    whole = hotspot_areas(s, xy, top_percent=6, max_hotspot_km2=None)
    big = whole.hotspots[0]
    assert big.area_km2 > 1.0 and not big.split and whole.n_split == 0
    parts = hotspot_areas(s, xy, top_percent=6, max_hotspot_km2=1.0)
    assert parts.n_split == 1 and parts.max_hotspot_km2 == 1.0
    top2 = parts.hotspots[:2]
    assert all(h.split and not h.oversized and h.area_km2 <= 1.0 for h in top2)
    # the split keeps the cells and the incidents: the two parts add up to the whole
    assert top2[0].area_km2 + top2[1].area_km2 == pytest.approx(big.area_km2)
    assert top2[0].incidents + top2[1].incidents == big.incidents
    assert top2[0].incidents > top2[1].incidents  # the denser cluster first
    assert any("split at their density peaks" in w for w in parts.warnings)
    assert set(top2[0].summary()) >= {"area_km2", "split", "oversized"}
    gdf = parts.to_geodataframe()
    assert {"split", "oversized", "area_km2"} <= set(gdf.columns)


def test_hotspot_areas__one_broad_peak_is_flagged_oversized():
    rng = np.random.default_rng(3)
    xy = np.vstack([rng.normal([2500, 2500], 500, (3000, 2)), rng.uniform(0, 5000, (300, 2))])
    grid = GridSpec(0, 0, 20.0, 250, 250, crs="EPSG:27700")
    s = kde(xy, grid, bandwidth_m=800.0)
    a = hotspot_areas(s, xy, top_percent=10, max_hotspot_km2=0.5)
    assert a.hotspots[0].area_km2 > 0.5 and a.hotspots[0].oversized and not a.hotspots[0].split
