"""Roads from an OpenStreetMap extract: counted against the layer it was built from."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from analysis.basemap import OSM, basemap_kind, load_basemap
from analysis.basemap.osm import HIGHWAY_CLASS, read_osm_roads
from analysis.progress import BeatwiseError


def test_osm_roads__every_way_in_the_extent_with_its_class_and_name(rutland_pbf, rutland_lines):
    assert basemap_kind(rutland_pbf) == OSM
    bng = rutland_lines.to_crs("EPSG:27700")
    x0, y0, x1, y1 = bng.total_bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    extent = (cx - 3000, cy - 3000, cx + 3000, cy + 3000)
    roads = read_osm_roads(rutland_pbf, "EPSG:27700", extent)
    assert roads.crs.to_epsg() == 27700 and set(roads.columns) >= {"name", "highway", "road_class"}
    # independent count: source lines meeting the extent (the filter adds a 5 % margin)
    box = shapely.box(*extent)
    near = bng[bng.intersects(box)]
    assert len(near) > 50
    # at most the lines whose envelope meets the WGS84 box around the extent and its 5 % margin
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(
        np.array([cx - 3300, cx + 3300, cx + 3300, cx - 3300]), np.array([cy - 3300, cy - 3300, cy + 3300, cy + 3300]))
    wgs_box = shapely.box(lon.min(), lat.min(), lon.max(), lat.max())
    upper = int(shapely.intersects(shapely.envelope(rutland_lines.geometry.values), wgs_box).sum())
    assert len(near) <= len(roads) <= upper
    named = set(near["name"].dropna())
    assert named <= set(roads["name"])
    assert set(roads["road_class"]) <= set(HIGHWAY_CLASS.values())
    trunk = roads[roads["highway"] == "trunk"]
    assert (trunk["road_class"] == "major").all()
    # same geometry as the source, to GDAL's 1e-7 degree storage (about 1 cm)
    a47 = bng[bng["osm_id"] == bng["osm_id"].iloc[0]]
    if len(a47) and a47.intersects(box).any():
        assert roads.geometry.distance(a47.geometry.iloc[0]).min() < 0.05


def test_osm_basemap__describes_itself(rutland_pbf, rutland_lines):
    x0, y0, x1, y1 = rutland_lines.to_crs("EPSG:27700").total_bounds
    bm = load_basemap(rutland_pbf, "EPSG:27700", (x0, y0, x1, y1))
    assert bm.kind == OSM and bm.image is None and len(bm.roads) == len(rutland_lines)
    assert "OpenStreetMap" in bm.attribution and "road segments" in bm.describe()


def test_osm_roads__not_an_extract_is_a_message(tmp_path):
    bad = tmp_path / "x.osm.pbf"
    bad.write_bytes(b"not a pbf at all" * 10)
    with pytest.raises(BeatwiseError, match="x.osm.pbf"):
        read_osm_roads(bad, "EPSG:27700", (0, 0, 1000, 1000))
