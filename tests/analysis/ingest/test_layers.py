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


def _bng_geojson_without_crs(path):
    feats = ",".join('{"type":"Feature","properties":{"offence":"Drugs","date":"2024-01-05 22:00"},'
                     f'"geometry":{{"type":"Point","coordinates":[{x},{y}]}}}}'
                     for x, y in ((589000, 186000), (589500, 186500)))
    path.write_text('{"type":"FeatureCollection","features":[' + feats + "]}", encoding="utf-8")
    return path


def test_geojson_bng_without_crs_member__crs_option_used(tmp_path):
    """Regression: a BNG GeoJSON without a crs member, with --crs EPSG:27700, was all 'latitude out of range'."""
    from analysis.ingest.columns import ColumnMapping
    from analysis.ingest.incidents import read_incidents

    p = _bng_geojson_without_crs(tmp_path / "bng.geojson")
    r = read_incidents(p, ColumnMapping(crs="EPSG:27700"))
    assert r.report.accepted == 2 and r.report.rejected == ()
    assert r.incidents.geometry.iloc[0].x == pytest.approx(589000, abs=0.01)
    assert any("--crs" in w for w in r.report.warnings)
    r = read_incidents(p)  # no --crs: the coordinates fit the grid and are not degrees
    assert r.report.accepted == 2 and any("fit British National Grid" in w for w in r.report.warnings)


def test_read_layer__a_table_is_not_a_layer(tmp_path):
    """Regression: a CSV given as --streets came back from GDAL as a plain DataFrame, and the
    street layer then failed with AttributeError ('DataFrame' object has no attribute 'crs')."""
    from analysis.ingest.layers import read_layer
    from analysis.progress import BeatwiseError

    path = tmp_path / "streets.csv"
    path.write_text("name,length\nYork Road,400\n", encoding="utf-8")
    with pytest.raises(BeatwiseError, match="not a GIS layer .*street layer must be a GeoPackage"):
        read_layer(path, what="street layer")
