"""The basemap drawn muted under the maps: matplotlib (PNG/PDF) and Leaflet (HTML)."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from pyproj import Transformer

from analysis.basemap import load_basemap
from analysis.export.basemap_draw import TILE_WASH, add_basemap_to_leaflet, draw_basemap, muted_tiles
from analysis.basemap.osm import ROAD_CLASSES


def test_muted_tiles__lighter_greyer_alpha_kept():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    out = muted_tiles(img)
    assert np.array_equal(out[..., 3], img[..., 3])
    assert (out[..., :3].astype(int) >= np.floor(TILE_WASH * 255) - 1).all()      # washed towards white
    spread_in = np.ptp(img[..., :3].astype(float), axis=-1).mean()
    spread_out = np.ptp(out[..., :3].astype(float), axis=-1).mean()
    assert spread_out < 0.4 * spread_in                                          # and desaturated


def test_draw_basemap__roads_by_class_under_the_data(rutland_pbf, rutland_lines):
    x0, y0, x1, y1 = rutland_lines.to_crs(27700).total_bounds
    bm = load_basemap(rutland_pbf, "EPSG:27700", (x0, y0, x1, y1))
    fig = Figure()
    ax = fig.add_subplot()
    handle = draw_basemap(ax, bm)
    cols = [c for c in ax.collections if isinstance(c, LineCollection)]
    present = [c for c in ROAD_CLASSES if (bm.roads["road_class"] == c).any()]
    assert len(cols) == len(present) and handle is not None and "OpenStreetMap" in handle.get_label()
    assert max(c.get_zorder() for c in cols) < 1                                # below boundaries, incidents
    widths = [float(c.get_linewidths()[0]) for c in cols]
    assert widths == sorted(widths)                                              # paths first, major roads last
    assert sum(len(c.get_segments()) for c in cols) >= len(bm.roads)


def test_draw_basemap__tiles_as_one_image_at_the_bottom(xyz_folder):
    t = Transformer.from_crs(4326, 27700, always_xy=True)
    (x0, x1), (y0, y1) = t.transform([0.69, 0.73], [51.53, 51.55])
    bm = load_basemap(xyz_folder, "EPSG:27700", (x0, y0, x1, y1), width_px=300)
    fig = Figure()
    ax = fig.add_subplot()
    assert draw_basemap(ax, bm) is not None
    (image,) = ax.get_images()
    assert image.get_zorder() < 1 and tuple(image.get_extent()) == pytest.approx((x0, x1, y0, y1))


def test_leaflet_basemap__inlined_no_url(xyz_folder, rutland_pbf, rutland_lines):
    import folium

    t = Transformer.from_crs(4326, 27700, always_xy=True)
    (x0, x1), (y0, y1) = t.transform([0.69, 0.73], [51.53, 51.55])
    m = folium.Map(tiles=None)
    folium.map.CustomPane("bwBase", z_index=360).add_to(m)
    name = add_basemap_to_leaflet(m, load_basemap(xyz_folder, "EPSG:27700", (x0, y0, x1, y1), width_px=200))
    rx0, ry0, rx1, ry1 = rutland_lines.to_crs(27700).total_bounds
    roads = add_basemap_to_leaflet(m, load_basemap(rutland_pbf, "EPSG:27700", (rx0, ry0, rx1, ry1)))
    html = m.get_root().render()
    assert name.startswith("Basemap (XYZ") and roads.startswith("Basemap (OpenStreetMap")
    assert "data:image/png;base64" in html and "file://" not in html and "tile.openstreetmap" not in html
    assert html.count('"c": "major"') >= 1 and '"pane": "bwBase"' in html
