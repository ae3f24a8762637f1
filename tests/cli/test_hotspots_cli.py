"""``beatwise hotspots``: files written, JSON keys, counts against an independent point-in-polygon,
options, weights, Gi*, and the bad-input cases (clear message, exit 2, nothing on stdout)."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from pyproj import Transformer

from analysis.cli import main
from analysis.export.vector import read_layer_styles
from analysis.hotspots.streets import POLICE_UK_PLACES

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SOUTHEND = DATA / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv"
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context\n")


def need(path):
    if not path.exists():
        pytest.skip(f"shared test data not present: {path}")


def run_json(capsys, *argv):
    code = main(["hotspots", *map(str, argv), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)  # exactly one JSON object on stdout, nothing else


def run_error(capsys, *argv):
    code = main(["hotspots", *map(str, argv)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    return err


def southend_points_bng():
    """The CSV's points projected to EPSG:27700 with pyproj directly (independent of the importer)."""
    raw = pd.read_csv(SOUTHEND).dropna(subset=["Longitude", "Latitude"])
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(raw["Longitude"].to_numpy(),
                                                                      raw["Latitude"].to_numpy())
    return raw, np.column_stack([x, y])


def write_police_csv(path: Path, rows: list[tuple[float, float, str, str]]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i, (lon, lat, location, ctype) in enumerate(rows):
            fh.write(f"id{i},2024-01,Essex Police,Essex Police,{lon},{lat},{location},E01015833,"
                     f"Southend-on-Sea 001A,{ctype},,\n")
    return path


def test_hotspots_cli__southend_files_and_counts(tmp_path, capsys):
    need(SOUTHEND)
    out = tmp_path / "out"
    d = run_json(capsys, SOUTHEND, "--gi-star", "--out", out)
    for key in ("n_incidents", "kernel", "bandwidth_m", "bandwidth_rule", "cell_m", "grid", "density_units",
                "integral", "hotspots", "gi_star"):
        assert key in d
    assert set(d["grid"]) >= {"nx", "ny", "x0", "y0", "crs"} and d["grid"]["crs"] == "EPSG:27700"
    assert d["kernel"] == "quartic" and d["density_units"] == "incidents per km^2"
    assert d["n_incidents"] == 6134
    assert d["integral"] == pytest.approx(6134, rel=0.01)
    assert set(d["gi_star"]) >= {"cell_m", "distance_m", "fdr", "hot", "cold"}
    assert d["gi_star"]["fdr"] is True and d["gi_star"]["cell_m"] == 100
    # the band comes from the data (issue 20 item 4): average distance to the 8 nearest occupied cells
    assert 200 <= d["gi_star"]["distance_m"] < d["bandwidth_m"]
    assert d["gi_star"]["distance_rule"].startswith("data-driven")
    assert d["kernel_bandwidth"]["mode"] == "fixed"  # one town
    assert set(d["gi_star"]["hot"]) == {"99", "95", "90"}
    for h in d["hotspots"]:
        assert set(h) >= {"rank", "incidents", "area_km2", "share", "pai", "locations"}
    # summary.json is what --json printed
    assert json.loads((out / "summary.json").read_text()) == d
    # density.tif: float32, CRS, geotransform matching the JSON grid, nodata
    with rasterio.open(out / "density.tif") as src:
        assert src.dtypes[0] == "float32" and src.crs.to_epsg() == 27700 and src.nodata is not None
        assert (src.width, src.height) == (d["grid"]["nx"], d["grid"]["ny"])
        assert src.transform.c == d["grid"]["x0"] and src.transform.a == d["cell_m"]
        assert src.bounds.bottom == pytest.approx(d["grid"]["y0"])
        assert src.read(1).max() == pytest.approx(d["max_density"], rel=1e-6)
    # hotspots.gpkg: the briefing's layer names, each styled; rank field matching the JSON
    layers = {name for name, _ in pyogrio.list_layers(out / "hotspots.gpkg")}
    assert layers == {"hotspots", "gi_star_cells", "layer_styles"}
    styles = read_layer_styles(out / "hotspots.gpkg")
    assert set(styles["f_table_name"]) == {"hotspots", "gi_star_cells"} and (styles["useAsDefault"] == 1).all()
    assert (out / "density.qml").exists() and str(out / "density.qml") in d["files"]
    hs = gpd.read_file(out / "hotspots.gpkg", layer="hotspots")
    assert list(hs["rank"]) == [h["rank"] for h in d["hotspots"]]
    assert list(hs["incidents"]) == [h["incidents"] for h in d["hotspots"]]
    gi = gpd.read_file(out / "hotspots.gpkg", layer="gi_star_cells")
    assert (gi["gi_class"] == 3).sum() == d["gi_star"]["hot"]["99"]
    # each hotspot's incidents equal a point-in-polygon count of the raw CSV points projected here
    raw, xy = southend_points_bng()
    pts = shapely.points(xy)
    for _, row in hs.iterrows():
        inside = shapely.contains(row.geometry, pts)
        assert row["incidents"] == int(inside.sum())
        names = [n for n in row["locations"].split("; ") if n]
        if inside.any():  # the first name is (one of) the most frequent streets inside
            top = raw.loc[inside, "Location"].value_counts()
            place = top.index.str.replace("On or near ", "").str.casefold().isin(POLICE_UK_PLACES)
            top = top[~place] if (~place).any() else top  # streets before place labels
            assert top[names[0]] == top.iloc[0]
        else:             # a small top-density area can hold no incident at all
            assert names == []
    # the top hotspots name real Southend streets from the data
    names = [n for h in d["hotspots"][:3] for n in h["locations"]]
    assert any(n.split()[-1] in ("Road", "Avenue", "Street", "Close", "Drive", "Way") for n in names)
    assert set(names) <= set(raw["Location"])


def test_hotspots_cli__options_are_used(tmp_path, capsys):
    need(SOUTHEND)
    d = run_json(capsys, SOUTHEND, "--cell-m", "50", "--bandwidth-m", "400", "--kernel", "epanechnikov",
                 "--top-percent", "10", "--min-incidents", "0", "--out", tmp_path)
    assert d["cell_m"] == 50 and d["bandwidth_m"] == 400 and d["kernel"] == "epanechnikov"
    assert d["min_incidents"] == 0 and d["n_unlisted"] == 0
    assert d["top_percent"] == 10 and d["gi_star"] is None
    assert d["bandwidth_rule"].startswith("fixed")
    assert {n for n, _ in pyogrio.list_layers(tmp_path / "hotspots.gpkg")} == {"hotspots", "layer_styles"}
    cells = sum(h["n_cells"] for h in d["hotspots"])
    study = d["study_area_km2"] / (0.05 * 0.05)
    assert study == pytest.approx(d["study_area"]["n_cells"])
    assert cells == pytest.approx(0.10 * study, abs=1.5)
    d2 = run_json(capsys, SOUTHEND, "--bandwidth-m", "silverman", "--gi-star", "--no-fdr", "--gi-cell-m", "200",
                  "--gi-distance-m", "500", "--out", tmp_path / "b")
    assert "silverman" in d2["bandwidth_rule"]
    gi = d2["gi_star"]
    assert (gi["fdr"], gi["cell_m"], gi["distance_m"]) == (False, 200, 500)


def test_hotspots_cli__crime_type_filter(tmp_path, capsys):
    need(SOUTHEND)
    raw = pd.read_csv(SOUTHEND)
    d = run_json(capsys, SOUTHEND, "--crime-type", "Burglary", "--out", tmp_path)
    assert d["n_incidents"] == int((raw["Crime type"] == "Burglary").sum())


def test_hotspots_cli__weights_table_and_column(tmp_path, capsys):
    rows = [(0.71 + 0.001 * i, 51.54 + 0.0005 * (i % 7), "On or near York Road",
             "Burglary" if i % 3 else "Robbery") for i in range(60)]
    f = write_police_csv(tmp_path / "street.csv", rows)
    table = tmp_path / "harm.csv"
    table.write_text("crime_type,weight\nBurglary,2\nRobbery,10\n")
    d = run_json(capsys, f, "--weights", table, "--bandwidth-m", "300", "--out", tmp_path / "a")
    assert d["total_weight"] == 40 * 2 + 20 * 10
    assert d["integral"] == pytest.approx(280, rel=0.01)
    assert d["density_units"] == "weighted incidents per km^2"
    (tmp_path / "harm.json").write_text(json.dumps({"Burglary": 2, "Robbery": 10}))
    d2 = run_json(capsys, f, "--weights", tmp_path / "harm.json", "--bandwidth-m", "300", "--out", tmp_path / "b")
    assert d2["total_weight"] == d["total_weight"]
    # a numeric column of a general CSV
    g = tmp_path / "force.csv"
    g.write_text("ref,lon,lat,harm\n" + "".join(f"r{i},{0.71 + 0.001 * i},51.54,{i % 4}\n" for i in range(40)))
    d3 = run_json(capsys, g, "--lon", "lon", "--lat", "lat", "--weights", "harm", "--bandwidth-m", "200",
                  "--out", tmp_path / "c")
    assert d3["total_weight"] == sum(i % 4 for i in range(40))
    # a crime type missing from the table is a clear error
    table.write_text("Burglary,2\n")
    err = run_error(capsys, f, "--weights", table, "--out", tmp_path / "d")
    assert "Robbery" in err


def test_hotspots_cli__no_incidents_after_filters(tmp_path, capsys):
    need(SOUTHEND)
    err = run_error(capsys, SOUTHEND, "--crime-type", "Piracy", "--out", tmp_path)
    assert "no incidents" in err.lower() and "Piracy" in err


def test_hotspots_cli__one_incident(tmp_path, capsys):
    f = write_police_csv(tmp_path / "one.csv", [(0.7101, 51.5402, "On or near High Street", "Robbery")])
    d = run_json(capsys, f, "--gi-star", "--out", tmp_path / "out")
    assert d["n_incidents"] == 1 and d["bandwidth_m"] == 250
    assert any("fallback" in w for w in d["warnings"])
    assert len(d["hotspots"]) == 1 and d["hotspots"][0]["incidents"] == 1
    assert d["hotspots"][0]["locations"] == ["On or near High Street"]
    # the study area within reach of one incident is its own cell: no Gi*, and the reason why
    assert d["study_area"]["n_cells"] == 1
    assert d["gi_star"] is None and any("Gi* not computed" in w and "two cells" in w for w in d["warnings"])


def test_hotspots_cli__all_on_one_snap_point(tmp_path, capsys):
    f = write_police_csv(tmp_path / "snap.csv", [(0.7101, 51.5402, "On or near York Road", "Drugs")] * 40)
    d = run_json(capsys, f, "--out", tmp_path / "out")
    assert any("fallback bandwidth of 250 m" in w for w in d["warnings"])
    assert [h["incidents"] for h in d["hotspots"]] == [40]
    assert d["integral"] == pytest.approx(40, rel=0.01)


def test_hotspots_cli__grid_too_large(tmp_path, capsys):
    need(SOUTHEND)
    err = run_error(capsys, SOUTHEND, "--cell-m", "0.5", "--out", tmp_path / "out")
    assert "25,000,000" in err and "--cell-m" in err
    assert not (tmp_path / "out" / "density.tif").exists()


def test_hotspots_cli__kernel_choices_match_the_analysis():
    from analysis.commands import hotspots as cmd
    from analysis.hotspots.kde import KERNELS

    assert cmd.KERNELS == KERNELS


def test_hotspots_cli__human_output_on_stderr(tmp_path, capsys):
    f = write_police_csv(tmp_path / "s.csv", [(0.71 + 0.002 * (i % 5), 51.54, f"On or near Road {i % 5}", "Drugs")
                                                for i in range(30)])
    code = main(["hotspots", str(f), "--out", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert code == 0 and out == ""
    assert "hotspot areas" in err and "wrote" in err


# ---------------------------------------------------------------------------------------------- study area (issue 12)
def _southend_boundary(path, crs="EPSG:4326"):
    """Half of the Southend data's extent, west of its middle, as a GeoJSON polygon."""
    raw, xy = southend_points_bng()
    xmin, ymin = xy.min(axis=0)
    xmax, ymax = xy.max(axis=0)
    west = shapely.box(xmin - 100, ymin - 100, (xmin + xmax) / 2, ymax + 100)
    gpd.GeoDataFrame({"name": ["west"]}, geometry=[west], crs="EPSG:27700").to_crs(crs).to_file(path, driver="GeoJSON")
    return west, xy


def test_hotspots_cli__study_area_from_a_geojson_polygon(tmp_path, capsys):
    need(SOUTHEND)
    west, xy = _southend_boundary(tmp_path / "west.geojson")
    d = run_json(capsys, SOUTHEND, "--gi-star", "--study-area", tmp_path / "west.geojson", "--out", tmp_path / "o")
    a = d["study_area"]
    assert a["kind"] == "boundary" and a["description"] == "boundary west.geojson"
    assert a["source"] == str(tmp_path / "west.geojson")
    cell_km2 = (d["cell_m"] / 1000) ** 2
    assert a["area_km2"] == pytest.approx(a["n_cells"] * cell_km2) == pytest.approx(west.area / 1e6, rel=0.02)
    assert d["study_area_km2"] == a["area_km2"]
    # hotspots lie in the boundary, and their PAI uses its area
    hs = gpd.read_file(tmp_path / "o" / "hotspots.gpkg", layer="hotspots")
    assert hs.geometry.within(west.buffer(d["cell_m"])).all()
    for h in d["hotspots"]:
        assert h["pai"] == pytest.approx(h["share"] / (h["area_km2"] / a["area_km2"]))
    # Gi* over the boundary's cells only
    gi = d["gi_star"]
    assert gi["study_area"]["kind"] == "boundary" and gi["n_cells"] == gi["study_area"]["n_cells"]
    assert gi["n_cells"] == pytest.approx(west.area / 1e4, rel=0.03)
    cells = gpd.read_file(tmp_path / "o" / "hotspots.gpkg", layer="gi_star_cells")
    assert cells.geometry.centroid.within(west).all() and "gi_label" in cells.columns


def test_hotspots_cli__default_study_area_is_stated(tmp_path, capsys):
    need(SOUTHEND)
    d = run_json(capsys, SOUTHEND, "--gi-star", "--out", tmp_path)
    a = d["study_area"]
    assert a["kind"] == "reach" and a["source"] is None and a["reach_m"] >= d["gi_star"]["distance_m"]
    assert "within reach of the incidents" in a["description"]
    assert 0 < a["area_km2"] < d["grid"]["nx"] * d["grid"]["ny"] * (d["cell_m"] / 1000) ** 2
    assert d["gi_star"]["study_area"]["reach_m"] == a["reach_m"]
    main(["hotspots", str(SOUTHEND), "--out", str(tmp_path / "h")])
    _, err = capsys.readouterr()
    assert "study area: cells within reach of the incidents" in err


def test_hotspots_cli__study_area_errors(tmp_path, capsys):
    need(SOUTHEND)
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(-3.2, 55.9, -3.1, 56.0)], crs=4326).to_file(far, driver="GeoJSON")
    err = run_error(capsys, SOUTHEND, "--study-area", far, "--out", tmp_path / "a")
    assert "far.geojson" in err and "covers no cell" in err
    _, xy = southend_points_bng()
    xmin, ymin = xy.min(axis=0)
    empty = tmp_path / "empty.geojson"   # inside the grid's margin, away from every incident
    gpd.GeoDataFrame(geometry=[shapely.box(xmin - 250, ymin - 250, xmin - 150, ymin - 150)],
                     crs=27700).to_file(empty, driver="GeoJSON")
    err = run_error(capsys, SOUTHEND, "--study-area", empty, "--out", tmp_path / "b")
    assert "No incidents in the study area" in err and "empty.geojson" in err
    line = tmp_path / "line.geojson"
    gpd.GeoDataFrame(geometry=[shapely.LineString([(0.7, 51.5), (0.71, 51.55)])], crs=4326).to_file(line)
    err = run_error(capsys, SOUTHEND, "--study-area", line, "--out", tmp_path / "c")
    assert "no polygons" in err
    err = run_error(capsys, SOUTHEND, "--study-area", tmp_path / "missing.geojson", "--out", tmp_path / "d")
    assert "no such study area" in err
    assert not (tmp_path / "a" / "density.tif").exists()


@pytest.mark.parametrize("distance", ["1e9", "5e5"])
def test_hotspots_cli__huge_gi_distance_is_refused(tmp_path, capsys, distance):
    """Issue 12 item 8: refused with the limit and a suggestion, before anything is allocated."""
    need(SOUTHEND)
    err = run_error(capsys, SOUTHEND, "--gi-star", "--gi-distance-m", distance, "--out", tmp_path)
    assert "longer than the whole grid" in err and "Use at most" in err and "--gi-distance-m" in err


def test_hotspots_cli__matrix_class_of_every_hotspot(tmp_path, capsys, demo_dir):
    d = run_json(capsys, demo_dir / "incidents.csv", "--out", tmp_path)
    assert d["matrix_rule"] == "Beatwise rule after Ratcliffe 2004"
    for h in d["hotspots"]:
        m = h["matrix"]
        assert m["spatial"] in ("dispersed", "clustered", "hotpoint") and m["temporal"] in ("diffused", "focused", "acute")
        assert 0 < m["top_place_share"] <= m["top_cells_share"] + 1e-9 <= 1 + 1e-9 and m["response"]
