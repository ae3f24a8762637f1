"""Map canvas: layers, identify, aggregation above 50k points, layer list, scale bar."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from PySide6.QtCore import Qt


def test_identify__incident_and_hotspot(demo_window, demo, qtbot):
    w = demo_window
    m = w.map
    qtbot.waitUntil(lambda: "incidents" in m.layers, timeout=10_000)
    row = demo.incidents.iloc[123]
    text = m.identify(row.geometry.x, row.geometry.y)
    assert row["incident_id"] in text and row["crime_type"] in text
    assert f"line {row['source_row']}" in text
    assert row["incident_id"] in w.identify_view.toPlainText()
    h = w.model.result("hotspots").areas.hotspots[0]
    pt = h.geometry.representative_point()
    m.set_layer_visible("incidents", False)
    text = m.identify(pt.x, pt.y)
    assert f"Hotspot {h.rank}" in text and f"{h.incidents:,}" in text and f"{h.pai:.1f}" in text
    assert h.locations[0] in text
    assert "Density" in text


def test_layers__visibility_opacity_and_zoom(demo_window, qtbot):
    w = demo_window
    panel = w.layers_panel
    keys = [panel.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(panel.list.count())]
    assert keys == ["hotspots", "incidents", "gi", "density", "streets"]
    item = panel.list.item(keys.index("density"))
    item.setCheckState(Qt.CheckState.Unchecked)
    assert not w.map.layers["density"].visible and not w.map.density_image.isVisible()
    assert not w.map.colour_bar.isVisible()
    item.setCheckState(Qt.CheckState.Checked)
    assert w.map.density_image.isVisible() and w.map.colour_bar.isVisible()
    panel.list.setCurrentRow(keys.index("density"))
    panel.opacity.setValue(40)
    assert w.map.density_image.opacity() == pytest.approx(0.4)
    panel.list.setCurrentRow(keys.index("hotspots"))
    panel.zoom_button.click()
    x0, y0, x1, y1 = w.map.layers["hotspots"].bounds
    view = w.map.view_rect()
    assert view.left() <= x0 + 1 and view.right() >= x1 - 1
    assert view.width() < 1.5 * max(x1 - x0, (y1 - y0) * view.width() / view.height())


def test_map__scale_bar_and_legend(demo_window, qtbot):
    demo_window.resize(1500, 940)  # a map wider than the bar (the offscreen screen is 800 px wide)
    m = demo_window.map
    m.zoom_to((588_000, 185_000, 590_000, 186_000), padding=0)
    m.overlay.repaint()
    mpp = m.metres_per_pixel()
    assert mpp > 0
    length = float(m.overlay.scale_text.split()[0]) * (1000 if "km" in m.overlay.scale_text else 1)
    assert length / mpp <= 160 + 1 and length / mpp >= 160 / 5 - 1  # a 1-2-5 step under 160 px
    assert str(length / 10 ** np.floor(np.log10(length)))[0] in "125"
    labels = [e[0] for e in m.overlay.legend]
    assert any(label.startswith("Hotspot area") for label in labels)


def test_map__many_incidents_are_aggregated(window, qtbot):
    from desktop.views.map_view import MAX_POINTS

    rng = np.random.default_rng(1)
    n = MAX_POINTS + 10_000
    x = rng.uniform(580_000, 590_000, n)
    y = rng.uniform(180_000, 186_000, n)
    gdf = gpd.GeoDataFrame({"incident_id": np.arange(n).astype(str)},
                           geometry=gpd.points_from_xy(x, y), crs="EPSG:27700")
    window.map.set_incidents(gdf)
    assert window.map.aggregated
    scatter = window.map.layers["incidents"].items[0]
    from desktop.views.map_view import AGGREGATE_CELLS

    assert len(scatter.data) <= (AGGREGATE_CELLS + 1) ** 2 < n / 2
    assert window.map.aggregate_counts.sum() == n  # every incident counted in a cell
    assert window.map.layers["incidents"].count == n
    small = gdf.iloc[:1000]
    window.map.set_incidents(small)
    assert not window.map.aggregated and len(window.map.layers["incidents"].items[0].data) == 1000


def test_map__boundaries_and_street_layer_added_from_files(demo_window, qtbot, tmp_path):
    from tests.conftest import shared_path

    w = demo_window
    path = shared_path("boundaries", "south-essex-districts.geojson")
    w.add_layer("boundaries", path)
    qtbot.waitUntil(lambda: "boundaries" in w.map.layers, timeout=30_000)
    b = w.model.project.boundaries
    assert b.crs.to_epsg() == 27700 and len(b) == 4
    assert w.map.layers["boundaries"].count == 4 and w.model.dirty
    w.map.zoom_to_layer("boundaries")
    x0, y0, x1, y1 = b.total_bounds
    assert w.map.view_rect().contains(x0 + 10, y0 + 10)


@pytest.mark.parametrize("vmax", [0.05, 3.7, 452.0, 63_253.0])
def test_colour_bar__square_root_ticks_label_true_values(vmax):
    from desktop.views.map_view import sqrt_ticks

    major = sqrt_ticks(vmax)[0]
    values = [float(label.replace(",", "").replace("k", "e3")) for _, label in major]
    assert [pos for pos, _ in major] == pytest.approx([v ** 0.5 for v in values])
    assert values == sorted(values) and values[0] == 0 and values[-1] <= vmax
    assert values[-1] >= 0.5 * vmax  # the top of the bar is labelled
    assert len(values) >= 4


def test_scale_bar__nice_lengths():
    from desktop.views.map_view import nice_length

    assert [nice_length(t) for t in (0.7, 1, 1.9, 2, 4.99, 5, 9.9, 160, 1234)] == [
        0.5, 1, 1, 2, 2, 5, 5, 100, 1000]
