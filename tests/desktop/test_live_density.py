"""The live surface (issue 15): the map's density follows the hotspot controls and the filters
without Run, equal to the analysis's own surface for those controls; changes are coalesced; the
areas follow when the controls settle; large projects keep the Run button."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.desktop.conftest import wait_idle


@pytest.fixture
def live_window(window, demo, qtbot):
    window.model.set_project(dataclasses.replace(demo, settings=dict(demo.settings)))
    wait_idle(window, qtbot)
    return window


def _reference(incidents, **controls):
    """The density a full hotspot analysis (what Run and ``beatwise hotspots`` compute) gives for
    ``controls``: the live surface must be the same surface, not an approximation of it."""
    from analysis.hotspots.analysis import HotspotOptions, hotspot_analysis

    return hotspot_analysis(incidents, HotspotOptions(**controls, gi_star=False)).surface


def _drawn(window):
    """The density values the map draws (its image holds their square roots, NaN where 0)."""
    return np.nan_to_num(window.map.density_image.image, nan=0.0) ** 2


def test_bandwidth_change__map_density_follows_without_run(live_window, demo, qtbot):
    w = live_window
    panel = w.hotspots_panel
    assert "density" not in w.map.layers
    panel.bandwidth.setCurrentText("250")
    qtbot.waitUntil(lambda: w.live.last is not None and not w.live.running, timeout=30_000)
    ref = _reference(demo.incidents, bandwidth_m=250.0)
    shown = w.map.density_surface
    assert shown.bandwidth_m == 250.0 and shown.grid == ref.grid
    np.testing.assert_array_equal(shown.values, ref.values)
    np.testing.assert_allclose(_drawn(w), ref.values, rtol=1e-5, atol=1e-9 * ref.max_density)
    assert "250 m" in w.status_message.text()
    # no Run was pressed: the hotspot areas come only once the controls have settled
    qtbot.waitUntil(lambda: w.model.result("hotspots") is not None, timeout=60_000)
    run = w.model.result("hotspots")
    assert run.params.bandwidth_m == 250.0 and panel.table.rowCount() == len(run.areas.hotspots) > 0
    np.testing.assert_array_equal(w.map.density_surface.values, ref.values)


def test_cell_and_kernel_changes__coalesced_newest_wins(live_window, demo, qtbot, monkeypatch):
    from desktop import tasks

    w = live_window
    calls = []
    real = tasks.live_density

    def counted(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "live_density", counted)
    panel = w.hotspots_panel
    panel.bandwidth.setCurrentText("200")
    for cell in (20, 15, 12, 10, 8):      # five edits in a row, as a spin box's arrows give
        panel.cell.setValue(cell)
    panel.kernel.setCurrentText("gaussian")
    qtbot.waitUntil(lambda: w.live.last is not None and not w.live.running and w.live.pending is None,
                    timeout=60_000)
    # the first edit at once, the newest after it; the ones in between never computed
    assert len(calls) <= 3 and calls[-1].cell_m == 8 and calls[-1].kernel == "gaussian"
    ref = _reference(demo.incidents, bandwidth_m=200.0, cell_m=8.0, kernel="gaussian")
    np.testing.assert_array_equal(w.map.density_surface.values, ref.values)


def test_filters_change__live_density_of_the_filtered_incidents(live_window, demo, qtbot):
    from analysis.filters import Filters, apply_filters

    w = live_window
    kinds = sorted(demo.incidents["crime_type"].dropna().unique())
    f = Filters(crime_types=(kinds[0],))
    w.model.set_filters(f)
    qtbot.waitUntil(lambda: w.live.last is not None and w.live.last.filters == f and not w.live.running,
                    timeout=30_000)
    ref = _reference(apply_filters(demo.incidents, f))
    assert w.map.density_surface.n_points == ref.n_points < len(demo.incidents)
    np.testing.assert_array_equal(w.map.density_surface.values, ref.values)


def test_only_area_controls_change__no_new_surface_but_areas_follow(live_window, qtbot):
    w = live_window
    panel = w.hotspots_panel
    panel.bandwidth.setCurrentText("300")
    qtbot.waitUntil(lambda: w.model.result("hotspots") is not None, timeout=60_000)
    wait_idle(w, qtbot)
    first = w.live.last
    panel.top.setValue(2.0)               # top % changes the areas, not the density
    assert w.live.last is first and not w.live.running
    qtbot.waitUntil(lambda: w.model.result("hotspots").params.top_percent == 2.0, timeout=60_000)


def test_live_off__only_run_updates_the_map(live_window, qtbot):
    w = live_window
    w.hotspots_panel.live.setChecked(False)
    w.hotspots_panel.bandwidth.setCurrentText("250")
    qtbot.wait(w.live.settle.interval() + 300)
    assert w.live.last is None and "density" not in w.map.layers and w.model.result("hotspots") is None


def test_large_project__keeps_the_run_button(window, demo, qtbot, monkeypatch):
    from desktop import live_density

    monkeypatch.setattr(live_density, "LIVE_LIMIT", 1_000)
    window.model.set_project(dataclasses.replace(demo, settings=dict(demo.settings)))
    wait_idle(window, qtbot)
    panel = window.hotspots_panel
    assert not panel.live.isEnabled() and "1,000" in panel.live.toolTip()
    panel.bandwidth.setCurrentText("250")
    qtbot.wait(window.live.settle.interval() + 300)
    assert window.live.last is None and not window.tasks.is_running()


def test_bad_bandwidth_text__a_status_message_not_a_dialog(live_window, qtbot):
    w = live_window
    w.hotspots_panel.bandwidth.setCurrentText("wide")
    qtbot.waitUntil(lambda: "Density:" in w.status_message.text(), timeout=30_000)
    assert "bandwidth" in w.status_message.text().lower()
    assert w.errors == [] and w.live.last is None


def test_window_closed_while_controls_settle__no_run_after_the_threads_stop(live_window, qtbot):
    """CI regression (stop 26): the settle timer fired after ``shutdown`` and started a hotspot
    run on a stopped thread pool ("cannot schedule new futures after shutdown")."""
    w = live_window
    w.hotspots_panel.bandwidth.setCurrentText("300")
    assert w.live.settle.isActive()
    w.shutdown()
    assert not w.live.settle.isActive()
    qtbot.wait(int(w.live.settle.interval()) + 200)   # the timer would have fired by now
    assert w.run_hotspots() is None and not w.tasks.is_running()
