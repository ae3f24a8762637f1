"""``beatwise hotspots`` at force scale (issue 20): out-of-area rows, bandwidth choice, patrol-sized areas."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.cli import main

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context\n")


def run_json(capsys, *argv):
    code = main(["hotspots", *map(str, argv), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _town_with_strays(path: Path) -> Path:
    """300 incidents around Southend-on-Sea and two recorded in Exeter."""
    rng = np.random.default_rng(7)
    lon = 0.71 + rng.normal(0, 0.01, 300)
    lat = 51.54 + rng.normal(0, 0.006, 300)
    rows = [(a, b, "On or near High Street", "Southend-on-Sea 001A") for a, b in zip(lon, lat)]
    rows += [(-3.5275, 50.7236, "On or near Queen Street", "Exeter 004D")] * 2
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i, (x, y, loc, lsoa) in enumerate(rows):
            fh.write(f"id{i},2024-01,Essex Police,Essex Police,{x:.6f},{y:.6f},{loc},E0,{lsoa},Burglary,,\n")
    return path


def test_hotspots_cli__out_of_area_rows_reported_and_left_out(tmp_path, capsys):
    csv = _town_with_strays(tmp_path / "in.csv")
    d = run_json(capsys, csv, "--out", tmp_path / "a")
    o = d["out_of_area"]
    assert o["n"] == 2 and o["kept"] is False and o["n_total"] == 302
    assert o["names"] == [{"name": "Exeter 004D", "incidents": 2}]
    assert o["sentence"].startswith("2 incidents lie outside the main area: Exeter 004D (2)")
    assert d["n_incidents"] == 300 and d["n_incidents_all"] == 302
    assert d["import"]["accepted"] == 302  # kept in the data and the accounting
    assert d["grid"]["nx"] * d["cell_m"] < 20_000  # the extent is the town, not Essex to Devon
    k = run_json(capsys, csv, "--keep-outliers", "--out", tmp_path / "b")
    assert k["out_of_area"]["n"] == 2 and k["out_of_area"]["kept"] is True
    assert k["n_incidents"] == 302 and k["grid"]["nx"] * k["cell_m"] > 200_000


def test_hotspots_cli__out_of_area_text_output(tmp_path, capsys):
    csv = _town_with_strays(tmp_path / "in.csv")
    assert main(["hotspots", str(csv), "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "2 incidents lie outside the main area: Exeter 004D (2)" in err


def test_hotspots_cli__study_area_decides_the_out_of_area_rows(tmp_path, capsys):
    import geopandas as gpd
    import shapely

    csv = _town_with_strays(tmp_path / "in.csv")
    box = gpd.GeoDataFrame(geometry=[shapely.box(0.6, 51.5, 0.8, 51.6)], crs="EPSG:4326")
    box.to_file(tmp_path / "town.geojson", driver="GeoJSON")
    d = run_json(capsys, csv, "--study-area", tmp_path / "town.geojson", "--out", tmp_path / "a")
    assert d["out_of_area"]["n"] == 2 and "boundary decides" in d["out_of_area"]["rule"]
    assert d["n_incidents"] == 300
