"""Live surface benchmark (issue 15): 100,000 incidents on a 1000 x 1000 grid, from a change of the
bandwidth control to the map's pixels in at most 150 ms.

Measured in the app: the panel's bandwidth text is set (as typing does), the window's live
controller computes the surface in a worker (:func:`desktop.tasks.live_density`), the map draws it
(:meth:`desktop.views.map_view.MapView.set_density`) and the map widget is rendered to a pixmap
(``QWidget.grab``: the pixels). Printed beside a minimal reference in the same run: the incidents
binned with ``np.bincount``, convolved with one quartic stencil by ``scipy.signal.fftconvolve`` and
mapped to RGBA through a 256-entry table, no GUI. Best and median of 7 changes (the machine's two
cores are shared); the target holds for the median.

Run with ``make bench`` or ``pytest tests/benchmarks/bench_live.py -s -o python_files='bench_*.py'``
(``QT_QPA_PLATFORM=offscreen``).
"""
from __future__ import annotations

import dataclasses
import os
import statistics
import time

import numpy as np

N = 100_000
CELLS = 1000
TARGET_S = 0.150


def _reference(xy, x0, y0, cell_m, nx, ny, h):
    from scipy.signal import fftconvolve

    r = int(np.ceil(h / cell_m))
    j = np.floor((xy[:, 0] - x0) / cell_m).astype(np.int64)
    i = np.floor((xy[:, 1] - y0) / cell_m).astype(np.int64)
    ok = (j >= 0) & (j < nx) & (i >= 0) & (i < ny)
    counts = np.bincount(i[ok] * nx + j[ok], minlength=nx * ny).reshape(ny, nx).astype(float)
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1] * cell_m
    d2 = (dx ** 2 + dy ** 2) / h ** 2
    k = np.where(d2 < 1, 3 / (np.pi * h ** 2) * (1 - d2) ** 2, 0) * cell_m ** 2
    dens = fftconvolve(counts, k, mode="same") / (cell_m ** 2 / 1e6)
    v = np.sqrt(np.clip(dens, 0, None))
    lut = np.linspace(0, 255, 256).astype(np.uint8)[:, None].repeat(4, 1)
    return lut[np.minimum((v / v.max() * 255).astype(np.int64), 255)]


def test_live_surface_100k_incidents_1000_cells_within_150_ms(qtbot):
    import geopandas as gpd
    from PySide6.QtCore import QEventLoop, QTimer

    from analysis.demo import demo_project
    from desktop.main_window import MainWindow

    demo = demo_project()
    base = demo.incidents
    rng = np.random.default_rng(15)
    pick = rng.integers(0, len(base), N)
    inc = base.iloc[pick].reset_index(drop=True)
    # a town-sized square (10 km) of 200 clusters, so that the grid is square: the demo's
    # attributes (types, times, areas), positions of its own
    centres = rng.uniform(0, 10_000, (200, 2))
    xy = np.clip(centres[rng.integers(0, 200, N)] + rng.normal(0, 150, (N, 2)), 0, 10_000)
    x, y = xy[:, 0] + 580_000, xy[:, 1] + 180_000
    inc = gpd.GeoDataFrame(inc.drop(columns="geometry"), geometry=gpd.points_from_xy(x, y), crs=base.crs)
    project = dataclasses.replace(demo, incidents=inc, patrols=None, patrol_logs=None, settings={})
    w = MainWindow(headless=True, autosave_minutes=0)
    w.auto_run = False
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    w.model.set_project(project)
    qtbot.waitUntil(lambda: not w.tasks.is_running(), timeout=60_000)
    w.live.settle.setInterval(10 ** 9)   # the areas' follow-up run is not what is measured
    w.detail.enabled = False             # nor the level-of-detail refinement of the view
    span = max(x.max() - x.min(), y.max() - y.min())
    panel = w.hotspots_panel
    panel.mode.setCurrentText("fixed")
    cell = round(span / (CELLS - 40), 1)
    panel.cell.setDecimals(1)
    panel.cell.setValue(cell)
    qtbot.waitUntil(lambda: w.live.last is not None and not w.live.running and w.live.pending is None,
                    timeout=60_000)

    def change(bandwidth: str) -> float:
        loop = QEventLoop()
        w.live.densityReady.connect(loop.quit)
        QTimer.singleShot(30_000, loop.quit)
        t0 = time.perf_counter()
        panel.bandwidth.setCurrentText(bandwidth)
        loop.exec()
        w.map.grab()
        dt = time.perf_counter() - t0
        w.live.densityReady.disconnect(loop.quit)
        assert w.map.density_surface.bandwidth_m == float(bandwidth)
        return dt

    change("230")  # warm-up (FFT plans, first image)
    times = [change(b) for b in ("200", "220", "240", "210", "250", "190", "205")]
    s = w.map.density_surface
    g = s.grid
    xy = np.column_stack([x, y])
    ref = []
    for _ in range(5):
        t0 = time.perf_counter()
        _reference(xy, g.x0, g.y0, g.cell_m, g.nx, g.ny, s.bandwidth_m)
        ref.append(time.perf_counter() - t0)
    best, med = min(times), statistics.median(times)
    print(f"\nlive surface: {s.n_points:,} incidents, {g.nx} x {g.ny} cells of {g.cell_m:g} m, bandwidth "
          f"{s.bandwidth_m:g} m (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)\n"
          f"  control change -> pixels: best {1000 * best:.0f} ms, median {1000 * med:.0f} ms "
          f"(target {1000 * TARGET_S:.0f} ms)\n"
          f"  minimal reference (bincount + fftconvolve + colour table, no GUI): best {1000 * min(ref):.0f} ms, "
          f"median {1000 * statistics.median(ref):.0f} ms; ratio {med / statistics.median(ref):.1f}x")
    assert 900 <= max(g.nx, g.ny) <= 1100 and min(g.nx, g.ny) >= 700
    assert med <= TARGET_S, f"median {1000 * med:.0f} ms"
    w.model.set_dirty(False)
    w.shutdown()
