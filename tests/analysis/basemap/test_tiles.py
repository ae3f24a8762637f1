"""Raster tiles reprojected to the working CRS: each pixel shows the tile that covers its place."""
from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Transformer

from analysis.basemap import GPKG_TILES, MBTILES, XYZ, basemap_kind, load_basemap
from analysis.basemap.tiles import zoom_for
from analysis.progress import BeatwiseError
from tests.basemap_fixtures import ZOOM, tile_colour

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _extent():
    x0, y0 = TO_BNG.transform(0.69, 51.53)
    x1, y1 = TO_BNG.transform(0.73, 51.55)
    return (x0, y0, x1, y1)


def _check_positions(image, extent):
    """Independent check: each sampled pixel's place -> its tile (slippy-map formula) -> colour."""
    x0, y0, x1, y1 = extent
    h, w = image.shape[:2]
    rng = np.random.default_rng(0)
    r = rng.integers(0, h, 400)
    c = rng.integers(0, w, 400)
    x = x0 + (c + 0.5) * (x1 - x0) / w
    y = y1 - (r + 0.5) * (y1 - y0) / h
    lon, lat = TO_WGS.transform(x, y)
    n = 2 ** ZOOM
    fx = (lon + 180) / 360 * n
    fy = (1 - np.arcsinh(np.tan(np.radians(lat))) / math.pi) / 2 * n
    inner = (np.abs(fx - np.round(fx)) * 256 > 3) & (np.abs(fy - np.round(fy)) * 256 > 3)  # off tile edges
    expected = np.array([tile_colour(int(a), int(b)) for a, b in zip(fx, fy)])
    got = image[r, c, :3].astype(int)
    ok = np.all(np.abs(got - expected) <= 6, axis=1)
    assert inner.sum() > 300
    assert ok[inner].mean() >= 0.99, f"{(~ok[inner]).sum()} of {inner.sum()} pixels show the wrong tile"
    assert (image[r, c, 3][inner] == 255).all()


@pytest.mark.parametrize("fixture,kind", [("xyz_folder", XYZ), ("mbtiles", MBTILES), ("gpkg_tiles", GPKG_TILES)])
def test_tiles__reprojected_to_bng_each_pixel_from_its_tile(request, fixture, kind):
    path = request.getfixturevalue(fixture)
    assert basemap_kind(path) == kind
    extent = _extent()
    bm = load_basemap(path, "EPSG:27700", extent, width_px=500)
    assert bm.kind == kind and bm.image.dtype == np.uint8 and bm.image.shape[2] == 4
    assert bm.image.shape[1] == 500
    assert bm.image.shape[0] == round(500 * (extent[3] - extent[1]) / (extent[2] - extent[0]))
    _check_positions(bm.image, extent)
    assert kind in bm.describe().lower().replace(" ", "-") or "tiles" in bm.describe().lower()


def test_xyz__outside_the_tiles_is_transparent(xyz_folder):
    x0, y0 = TO_BNG.transform(0.735, 51.555)   # the patch ends at 0.74 E, 51.56 N
    x1, y1 = TO_BNG.transform(0.80, 51.60)
    bm = load_basemap(xyz_folder, "EPSG:27700", (x0, y0, x1, y1), width_px=300)
    alpha = bm.image[..., 3]
    assert (alpha == 0).mean() > 0.5 and (alpha == 255).any()


def test_xyz__no_tile_in_the_extent_is_a_message(xyz_folder):
    x0, y0 = TO_BNG.transform(-1.0, 52.5)
    with pytest.raises(BeatwiseError, match="no tile at zoom"):
        load_basemap(xyz_folder, "EPSG:27700", (x0, y0, x0 + 1000, y0 + 1000), width_px=200)


def test_zoom_for__matches_the_slippy_map_resolution():
    # at 51.5 N a z-14 pixel is 156543.03 * cos(51.5 deg) / 2^14 = 5.95 m
    x0, y0 = TO_BNG.transform(0.70, 51.5)
    res = 156543.03392 * math.cos(math.radians(51.5)) / 2 ** 14
    assert zoom_for((x0, y0, x0 + 1000 * res, y0 + 500), "EPSG:27700", 1000) == 14


def test_basemap_kind__refuses_what_it_cannot_read(tmp_path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(BeatwiseError, match="not a basemap"):
        basemap_kind(tmp_path / "a.txt")
    with pytest.raises(BeatwiseError, match="no such basemap"):
        basemap_kind(tmp_path / "missing.mbtiles")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BeatwiseError, match="XYZ tile folder"):
        basemap_kind(tmp_path / "empty")
    import geopandas as gpd
    from shapely.geometry import Point

    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=27700).to_file(tmp_path / "v.gpkg", driver="GPKG")
    with pytest.raises(BeatwiseError, match="no raster tiles"):
        basemap_kind(tmp_path / "v.gpkg")
