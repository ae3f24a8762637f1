"""read_layer: one reader for incident, street and boundary layers, with clear messages."""
from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from analysis.ingest.layers import read_layer
from analysis.progress import BeatwiseError


def test_read_layer__reprojects(tmp_path):
    p = tmp_path / "pts.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0.72338, 51.5366)], crs=4326).to_file(p)
    layer = read_layer(p, "EPSG:27700")
    assert layer.crs == "EPSG:27700" and 588_000 < layer.geometry.iloc[0].x < 590_000


def test_read_layer__bad_inputs_name_the_file(tmp_path):
    with pytest.raises(BeatwiseError, match=r"nope.gpkg: no such boundaries layer"):
        read_layer(tmp_path / "nope.gpkg", what="boundaries layer")
    junk = tmp_path / "junk.geojson"
    junk.write_text("{not json")
    with pytest.raises(BeatwiseError, match=r"junk.geojson: cannot read this street layer"):
        read_layer(junk, what="street layer")
    nocrs = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):  # pyogrio's warning, wanted here
        gpd.GeoDataFrame({"a": [1]}, geometry=[Point(1, 2)]).to_file(nocrs)
    with pytest.raises(BeatwiseError, match=r"nocrs.shp: the GIS layer has no coordinate system"):
        read_layer(nocrs, "EPSG:27700")
    assert read_layer(nocrs, require_crs=False).crs is None
