"""``beatwise streets``: York Road in Southend (81), snapping to the Rutland layer, errors."""
from __future__ import annotations

import csv
import glob
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from analysis.cli import main

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
RUTLAND = DATA / "police_uk" / "2024-01_to_2024-04-rutland-street.csv"
RUTLAND_STREETS = DATA / "streets" / "rutland_highways.geojson"
CHICAGO = DATA / "timed" / "chicago_crimes_sample_2017_2019.csv"


def need(*paths):
    for p in paths:
        if not Path(p).exists():
            pytest.skip(f"shared test data not present: {p}")


def run(capsys, *argv):
    code = main(["streets", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_streets_cli__essex_york_road_southend_is_81(capsys):
    files = sorted(glob.glob(str(DATA / "police_uk" / "2024-0*-essex-street.csv")))
    if len(files) != 4:
        pytest.skip("shared Essex data not present")
    d = run_json(capsys, *files, "--street", "York Road", "--area", "Southend-on-Sea", "--top", "50")
    raw = pd.concat([pd.read_csv(f) for f in files])
    ref = raw[(raw["Location"] == "On or near York Road")
              & raw["LSOA name"].str.startswith("Southend-on-Sea", na=False)]
    assert len(ref) == 81
    p = d["profile"]
    assert p["incidents"] == 81 and p["name"] == "York Road" and p["area"] == "Southend-on-Sea"
    assert p["by_month"] == {k: float(v) for k, v in ref.groupby("Month").size().items()}
    assert p["by_crime_type"] == {k: float(v) for k, v in ref.groupby("Crime type").size().items()}
    assert p["matrix"] is None and "only a month" in p["temporal_message"]
    york = [s for s in d["streets"] if s["name"] == "York Road"]
    assert york == [{"name": "York Road", "area": "Southend-on-Sea", "incidents": 81,
                     "length_m": None, "per_100m": None}]
    assert all(s["area"] == "Southend-on-Sea" for s in d["streets"])
    counts = [s["incidents"] for s in d["streets"]]
    assert counts == sorted(counts, reverse=True) and len(counts) == 50


def test_streets_cli__rutland_snapped_to_layer(tmp_path, capsys):
    need(RUTLAND, RUTLAND_STREETS)
    d = run_json(capsys, RUTLAND, "--streets", RUTLAND_STREETS, "--top", "5", "--out", tmp_path)
    assert d["method"] == "snap" and d["max_distance_m"] == 30.0 and len(d["streets"]) == 5
    layer = gpd.read_file(RUTLAND_STREETS).to_crs("EPSG:27700")
    names = layer["name"].fillna("").str.strip()
    names = names.where(names != "", layer["ref"].fillna("").str.strip())
    lengths = pd.Series(layer.geometry.length.to_numpy(), index=names.str.casefold()).groupby(level=0).sum()
    for s in d["streets"]:
        assert s["length_m"] == pytest.approx(lengths[s["name"].casefold()], rel=1e-9)
        assert s["per_100m"] == pytest.approx(s["incidents"] / (s["length_m"] / 100), rel=1e-12)
        assert s["area"] == "Rutland"
    with open(tmp_path / "streets.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == [s["name"] for s in d["streets"]]
    assert int(rows[0]["incidents"]) == d["streets"][0]["incidents"]


def test_streets_cli__profile_with_times_writes_heatmap(tmp_path, capsys):
    need(CHICAGO)
    raw = pd.read_csv(CHICAGO, usecols=["date", "block"])
    block = raw["block"].value_counts().index[0]
    d = run_json(capsys, CHICAGO, "--street", block, "--top", "3", "--out", tmp_path)
    t = pd.to_datetime(raw.loc[raw["block"] == block, "date"], format="%m/%d/%Y %H:%M")
    ref = np.zeros((7, 24))
    np.add.at(ref, (t.dt.day_of_week.to_numpy(), t.dt.hour.to_numpy()), 1)
    p = d["profile"]
    assert p["incidents"] == len(t) and p["name"].casefold() == block.casefold()
    np.testing.assert_array_equal(np.array(p["matrix"]), ref)
    png = tmp_path / "street_heatmap.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert d["streets"][0]["name"].casefold() == block.casefold()


def test_streets_cli__unknown_street_lists_closest_names(capsys):
    need(RUTLAND)
    code, out, err = run(capsys, RUTLAND, "--street", "Lawrence Clsoe", "--json")
    assert code == 2 and out == ""
    assert "no street called 'Lawrence Clsoe'" in err and "Lawrence Close" in err


def test_streets_cli__layer_without_names(tmp_path, capsys):
    need(RUTLAND)
    layer = gpd.GeoDataFrame({"highway": ["residential"]},
                             geometry=[LineString([(-0.72, 52.67), (-0.71, 52.67)])], crs="EPSG:4326")
    path = tmp_path / "nonames.geojson"
    layer.to_file(path, driver="GeoJSON")
    code, out, err = run(capsys, RUTLAND, "--streets", path, "--json")
    assert code == 2 and out == ""
    assert "has no street names" in err and "highway" in err


def test_streets_cli__human_output(capsys):
    need(RUTLAND)
    code, out, err = run(capsys, RUTLAND, "--top", "3")
    assert code == 0 and out == ""
    assert "matched by location text" in err and " 1. " in err
