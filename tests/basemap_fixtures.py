"""Offline basemaps made in the test, for tests/analysis/basemap and tests/analysis/export: an OSM
extract from the Rutland street layer, and tile sets (MBTiles, GeoPackage tiles, XYZ folder) whose
tile colours encode their own position."""
from __future__ import annotations

import math
import sqlite3
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_path

ZOOM = 14
#: A patch of Southend-on-Sea (WGS84), tiles at ZOOM around it.
LON0, LAT0, LON1, LAT1 = 0.68, 51.52, 0.74, 51.56


def write_osm_pbf(lines, path: Path) -> Path:
    """An ``.osm.pbf`` of ``lines`` (a WGS84 GeoDataFrame with ``highway``, ``name``), nodes first."""
    import osmium

    nodes, ways = [], []
    nid = 1
    for wid, (geom, highway, name) in enumerate(zip(lines.geometry, lines["highway"], lines["name"]), start=1):
        refs = []
        for lon, lat in geom.coords:
            nodes.append(osmium.osm.mutable.Node(id=nid, location=osmium.osm.Location(lon, lat)))
            refs.append(nid)
            nid += 1
        tags = {"highway": str(highway)}
        if isinstance(name, str) and name:
            tags["name"] = name
        ways.append(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    w = osmium.SimpleWriter(str(path))
    try:
        for n in nodes:
            w.add_node(n)
        for way in ways:
            w.add_way(way)
    finally:
        w.close()
    return path


@pytest.fixture(scope="session")
def rutland_lines():
    import geopandas as gpd

    return gpd.read_file(shared_path("streets", "rutland_highways.geojson"))


@pytest.fixture(scope="session")
def rutland_pbf(rutland_lines, tmp_path_factory) -> Path:
    return write_osm_pbf(rutland_lines, tmp_path_factory.mktemp("osm") / "rutland.osm.pbf")


def tile_colour(x: int, y: int) -> tuple[int, int, int]:
    """Each tile's own colour: its x and y (mod 8) in red and green, so position can be checked."""
    return (30 + 28 * (x % 8), 30 + 28 * (y % 8), 200)


def tile_png(x: int, y: int) -> bytes:
    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (256, 256), tile_colour(x, y)).save(buf, format="PNG")
    return buf.getvalue()


def tile_range(z: int = ZOOM):
    def t(lon, lat):
        n = 2 ** z
        return (int((lon + 180) / 360 * n),
                int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))
    (ax, ay), (bx, by) = t(LON0, LAT1), t(LON1, LAT0)
    return range(ax, bx + 1), range(ay, by + 1)


@pytest.fixture(scope="session")
def xyz_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("xyz") / "tiles"
    xs, ys = tile_range()
    for x in xs:
        for y in ys:
            f = root / str(ZOOM) / str(x) / f"{y}.png"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(tile_png(x, y))
    return root


@pytest.fixture(scope="session")
def mbtiles(tmp_path_factory) -> Path:
    """MBTiles 1.3 by hand: metadata and tiles, rows in the TMS scheme (flipped)."""
    path = tmp_path_factory.mktemp("mb") / "patch.mbtiles"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name text, value text)")
    con.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
    meta = {"name": "patch", "format": "png", "minzoom": str(ZOOM), "maxzoom": str(ZOOM),
            "bounds": f"{LON0},{LAT0},{LON1},{LAT1}", "type": "baselayer", "version": "1"}
    con.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    xs, ys = tile_range()
    rows = [(ZOOM, x, 2 ** ZOOM - 1 - y, tile_png(x, y)) for x in xs for y in ys]
    con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return path


@pytest.fixture(scope="session")
def gpkg_tiles(xyz_folder, tmp_path_factory) -> Path:
    """A GeoPackage of raster tiles, written by GDAL from the XYZ mosaic (EPSG:3857)."""
    import rasterio
    from PIL import Image
    from rasterio.transform import from_origin

    xs, ys = tile_range()
    mosaic = np.zeros((len(ys) * 256, len(xs) * 256, 3), dtype=np.uint8)
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            mosaic[j * 256:(j + 1) * 256, i * 256:(i + 1) * 256] = np.asarray(Image.open(
                xyz_folder / str(ZOOM) / str(x) / f"{y}.png").convert("RGB"))
    half = 20037508.342789244
    tile_m = 2 * half / 2 ** ZOOM
    transform = from_origin(-half + xs[0] * tile_m, half - ys[0] * tile_m, tile_m / 256, tile_m / 256)
    path = tmp_path_factory.mktemp("gpkg") / "patch.gpkg"
    with rasterio.open(path, "w", driver="GPKG", width=mosaic.shape[1], height=mosaic.shape[0], count=3,
                       dtype="uint8", crs="EPSG:3857", transform=transform, TILE_FORMAT="PNG") as dst:
        dst.write(np.moveaxis(mosaic, -1, 0))
    return path
