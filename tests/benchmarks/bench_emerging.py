"""Benchmark (make bench): emerging hot spots of 1,000,000 incidents, 36 monthly steps, 10,000 cells.

Target (issue "is it growing, does it repeat"): at most 5 s for the analysis (cube, Gi* per bin, FDR,
Mann-Kendall, classes). Measured beside a minimal reference in the same run: the cube by one
bincount and a band convolution per step (no statistics, no classes).
"""
from __future__ import annotations

import os
import time

import numpy as np
import shapely

from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import fft_convolve
from analysis.hotspots.study_area import band_stencil, boundary_study_area
from analysis.spacetime.emerging import emerging_hot_spots
from analysis.spacetime.steps import time_steps


def test_benchmark__emerging_1m_incidents_36_months_10000_cells():
    rng = np.random.default_rng(2)
    n, T = 1_000_000, 36
    xy = rng.uniform(0, 20_000, (n, 2))
    month = rng.integers(0, T, n)
    t = (np.datetime64("2021-01", "M") + month).astype("datetime64[ns]") + np.timedelta64(3, "D")
    prec = np.full(n, "day")
    grid = GridSpec(0.0, 0.0, 200.0, 100, 100, "EPSG:27700")          # 10,000 cells
    study = boundary_study_area(shapely.box(0, 0, 20_000, 20_000), grid)

    t0 = time.perf_counter()
    rows, cols = grid.cell_index(xy)
    cube = np.bincount((month * grid.ny + rows) * grid.nx + cols, minlength=T * grid.n_cells).reshape(T, *grid.shape)
    fft_convolve(cube.astype(float), band_stencil(200.0, 400.0), mode="same")
    t_ref = time.perf_counter() - t0

    t0 = time.perf_counter()
    keep, index, labels = time_steps(t, prec, "month")
    r = emerging_hot_spots(index, labels, xy[keep], grid, study, distance_m=400.0)
    t_ours = time.perf_counter() - t0
    print(f"\nemerging hot spots, {n:,} incidents x {len(labels)} months x {int(r.mask.sum()):,} cells: {t_ours:.2f} s "
          f"(target 5 s); minimal reference (cube + one band convolution per step): {t_ref:.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}; classes {r.class_counts()}")
    assert len(labels) == 36 and r.mask.sum() == 10_000
    assert t_ours <= 5.0
