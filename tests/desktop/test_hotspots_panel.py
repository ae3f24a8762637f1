"""The hotspot panel and its task at force scale: the same path as ``beatwise hotspots``
(out-of-area incidents left out and named, the bandwidth mode and its reason, the data-driven Gi*
band), shown in the panel and the status bar."""
from __future__ import annotations

import numpy as np

from tests.cli.test_hotspots_force_scale_cli import _town_with_strays


def _incidents(tmp_path):
    from analysis.ingest.incidents import read_incidents

    return read_incidents([_town_with_strays(tmp_path / "strays.csv")]).incidents


def test_run_hotspots__force_scale_path_as_the_cli(tmp_path):
    from analysis.filters import Filters
    from analysis.hotspots.gistar import data_gi_distance_m
    from analysis.hotspots.grid import points_xy
    from analysis.hotspots.surface import density_surface
    from desktop.params import HotspotParams
    from desktop.tasks import run_hotspots

    inc = _incidents(tmp_path)
    run = run_hotspots(inc, Filters(), HotspotParams())
    assert run.outliers.n == 2 and dict(run.outliers.names) == {"Exeter 004D": 2} and not run.outliers.kept
    assert run.n_incidents == 300 == run.surface.n_points == len(run.source.xy)
    # the surface is analysis.hotspots.surface.density_surface on the incidents in the area
    xy, crs = points_xy(inc[~run.outliers.mask])
    ref, mode = density_surface(xy, crs=crs)
    np.testing.assert_array_equal(run.surface.values, ref.values)
    assert run.mode.reason == mode.reason and run.mode.mode == "fixed"   # one town: fixed
    band, rule = data_gi_distance_m(xy, run.surface.grid.with_cell_m(100.0))
    assert run.gi.distance_m == band and run.gi_band_rule == rule
    # Exeter no longer stretches the grid: it spans the town only
    assert run.surface.grid.width_m < 20_000
    kept = run_hotspots(inc, Filters(), HotspotParams(keep_outliers=True, gi_star=False))
    assert kept.outliers.kept and kept.n_incidents == 302 and kept.surface.grid.width_m > 200_000


def test_hotspots_panel__shows_the_reasons_and_the_out_of_area_names(tmp_path, qtbot):
    from analysis.filters import Filters
    from desktop.panels.hotspots_panel import HotspotsPanel, status_text
    from desktop.params import HotspotParams
    from desktop.tasks import run_hotspots

    run = run_hotspots(_incidents(tmp_path), Filters(), HotspotParams())
    panel = HotspotsPanel()
    qtbot.addWidget(panel)
    panel.show_run(run)
    text = panel.summary.text()
    assert "2 incidents lie outside the main area: Exeter 004D (2)" in text
    assert "'Keep out-of-area incidents'" in text and "--keep-outliers" not in text
    assert "Bandwidth fixed: the fixed (ArcGIS) bandwidth" in text
    assert f"band {run.gi.distance_m:.0f} m from the data" in text
    tip = panel.summary.toolTip()
    assert run.mode.reason in tip and run.gi_band_rule in tip and run.outliers.rule in tip
    assert status_text(run).startswith(f"Hotspots: fixed bandwidth {run.surface.bandwidth_m:.0f} m")
    assert "2 out-of-area incidents left out" in status_text(run)


def test_hotspots_panel__force_scale_parameters_round_trip(qtbot):
    from desktop.panels.hotspots_panel import HotspotsPanel
    from desktop.params import HotspotParams

    panel = HotspotsPanel()
    qtbot.addWidget(panel)
    assert panel.params() == HotspotParams()
    p = HotspotParams(kernel_bandwidth="adaptive", adaptive_k=50, max_hotspot_km2=0.5, keep_outliers=True,
                      gi_distance_m=300.0)
    panel.set_params(p)
    assert panel.params() == p
    panel.defaults_button.click()
    assert panel.params() == HotspotParams()


def test_hotspots_panel__matrix_column_from_hotspot_matrix(tmp_path, qtbot):
    """The Matrix column (column 5, before Main location) is analysis.spacetime.hotspot_matrix of the
    run's areas and incidents, as ``beatwise hotspots`` computes it."""
    from analysis.filters import Filters
    from analysis.hotspots.analysis import hotspot_analysis
    from analysis.spacetime.hotspot_matrix import hotspot_matrix
    from desktop.panels.hotspots_panel import TABLE_COLUMNS, HotspotsPanel
    from desktop.params import HotspotParams
    from desktop.tasks import run_hotspots

    inc = _incidents(tmp_path)
    run = run_hotspots(inc, Filters(), HotspotParams())
    ref = hotspot_analysis(inc, HotspotParams().to_options())
    expect = hotspot_matrix(ref.areas, ref.incidents, ref.xy)
    assert run.matrix == expect and set(run.matrix) == {h.rank for h in run.areas.hotspots}
    panel = HotspotsPanel()
    qtbot.addWidget(panel)
    panel.show_run(run)
    t = panel.table
    assert [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())] == list(TABLE_COLUMNS)
    assert TABLE_COLUMNS.index("Matrix") == 5 and TABLE_COLUMNS[-1] == "Main location"
    for r, h in enumerate(run.areas.hotspots):
        m = expect[h.rank]
        assert t.item(r, 5).text() == f"{m.spatial} / {m.temporal}"
        assert m.response in t.item(r, 5).toolTip()
        assert t.item(r, 6).text() == (h.locations[0] if h.locations else "")
