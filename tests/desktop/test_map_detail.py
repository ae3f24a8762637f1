"""Level of detail on the map: zoomed in, the view is redrawn at finer cells with the analysis's
own surface for that view; zoomed out, the overview comes back."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def hotspot_window(window, demo, qtbot):
    import dataclasses

    from analysis.filters import Filters
    from desktop.params import HotspotParams
    from desktop.tasks import demo_basemap, run_hotspots

    window.auto_run = False
    project = dataclasses.replace(demo, settings=dict(demo.settings))
    window.model.set_project(project, None, basemap_streets=demo_basemap(project.crs))
    run = run_hotspots(demo.incidents, Filters(), HotspotParams(gi_star=False))
    window.model.set_result("hotspots", run)
    qtbot.waitUntil(lambda: not window.tasks.is_running(), timeout=30_000)
    return window, run


def test_map_detail__zoom_in_redraws_the_view_finer_and_zoom_out_returns(hotspot_window, qtbot):
    from analysis.hotspots.detail import view_grid, view_surface

    w, run = hotspot_window
    m = w.map
    m.zoom_to(run.surface.grid.bounds, padding=0)
    qtbot.waitUntil(lambda: not w.tasks.is_running(), timeout=30_000)
    qtbot.wait(250)  # the debounce
    qtbot.waitUntil(lambda: not w.tasks.is_running(), timeout=30_000)
    overview = m.density_shown_cell_m
    assert overview == run.overview.grid.cell_m >= run.surface.grid.cell_m
    assert m.density_view is None and m.layers["density"].items == [m.density_image]

    # zoom into the densest hotspot
    h = run.areas.hotspots[0]
    m.zoom_to(h.geometry.bounds, padding=0.2, min_extent_m=300.0)
    qtbot.waitUntil(lambda: m.density_view is not None, timeout=30_000)
    qtbot.waitUntil(lambda: not w.tasks.is_running(), timeout=30_000)
    view = m.density_view
    assert view.grid.cell_m <= overview / 2
    assert m.layers["density"].items == [m.density_view_image]
    # what is drawn is the analysis's surface for this view, at the view's cells
    expected = view_surface(run.source, view_grid(run.surface, m.view_bounds(), w.detail.cells_across(),
                                                  shown_cell_m=m.density_shown_cell_m))
    assert expected.grid == view.grid
    drawn = np.asarray(m.density_view_image.image)
    want = np.sqrt(expected.values.astype(np.float32))
    want[want <= 0] = np.nan
    np.testing.assert_allclose(drawn, want, rtol=1e-6, equal_nan=True)
    # the overview's colour scale, so a colour means the same density at every zoom
    assert tuple(m.density_view_image.levels) == pytest.approx((0.0, np.sqrt(run.surface.max_density)))
    # the view covers the visible part of the overview; identify reads the finer cells
    x0, y0, x1, y1 = m.view_bounds()
    g, o = view.grid, run.surface.grid
    assert g.x0 <= max(x0, o.x0) and g.y0 <= max(y0, o.y0) and g.x1 >= min(x1, o.x1) and g.y1 >= min(y1, o.y1)
    assert w.detail._still_fits(view)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    col, row = int((cx - g.x0) // g.cell_m), int((cy - g.y0) // g.cell_m)
    assert f"{view.values[row, col]:,.0f}" in m.identify(cx, cy)

    # zoom out again: the overview
    m.zoom_to(run.surface.grid.bounds, padding=0)
    qtbot.waitUntil(lambda: m.density_view is None, timeout=30_000)
    assert m.layers["density"].items == [m.density_image]


def test_map_detail__a_new_run_drops_the_old_view(hotspot_window, qtbot):
    w, run = hotspot_window
    m = w.map
    h = run.areas.hotspots[0]
    m.zoom_to(h.geometry.bounds, padding=0.2, min_extent_m=300.0)
    qtbot.waitUntil(lambda: m.density_view is not None, timeout=30_000)
    w.model.set_result("hotspots", None)
    assert m.density_view is None and w.detail.source is None
