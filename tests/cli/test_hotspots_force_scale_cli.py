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


DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "police_uk"
ESSEX = sorted(DATA.glob("2024-0?-essex-street.csv"))
#: Essex Police's larger towns (LSOA names start with the district).
ESSEX_TOWNS = ("Southend-on-Sea", "Chelmsford", "Colchester", "Basildon", "Harlow", "Thurrock")


def test_hotspots_cli__essex_2024_at_force_scale(tmp_path, capsys):
    """The issue's Essex run: out-of-area row named, adaptive chosen with its reason, cells from
    the bandwidths, the data-driven Gi* band, and top-5 hotspots each under 1 km^2 in the towns."""
    if len(ESSEX) < 4:
        pytest.skip(f"Essex 2024 files not available in {DATA}")
    import geopandas as gpd

    from analysis.ingest.incidents import read_incidents

    d = run_json(capsys, *ESSEX, "--gi-star", "--out", tmp_path / "o")
    assert d["n_incidents_all"] == 51_443 and d["n_incidents"] == 51_442
    assert d["out_of_area"]["names"] == [{"name": "Great Yarmouth 002D", "incidents": 1}]
    kb = d["kernel_bandwidth"]
    assert kb["mode"] == "adaptive" and kb["requested"] == "auto" and kb["ratio"] > 3
    assert "2600 m" in kb["reason"]
    assert d["bandwidth_classes_m"][0] < 300 and d["cell_m"] <= d["bandwidth_classes_m"][0] / 5
    assert d["gi_star"]["distance_m"] < 1000 and d["gi_star"]["distance_rule"].startswith("data-driven")
    top = d["hotspots"][:5]
    assert all(h["area_km2"] < 1.0 and not h["oversized"] for h in top)
    # which towns: the most frequent LSOA district of the incidents inside each area
    inc = read_incidents(ESSEX).incidents
    areas = gpd.read_file(tmp_path / "o" / "hotspots.gpkg", layer="hotspots").sort_values("rank").head(5)
    joined = gpd.sjoin(inc[["lsoa", "geometry"]], areas[["rank", "geometry"]], predicate="within")
    towns = joined.groupby("rank")["lsoa"].agg(lambda s: s.str.rsplit(" ", n=1).str[0].mode()[0])
    assert set(towns) <= set(ESSEX_TOWNS), towns.to_dict()
    assert len(set(towns) & {"Southend-on-Sea", "Chelmsford", "Colchester", "Basildon"}) >= 2, towns.to_dict()
    print("\nEssex top 5:", [(int(h["rank"]), h["incidents"], round(h["area_km2"], 3), towns[h["rank"]])
                             for h in top])


def test_hotspots_cli__kernel_bandwidth_option(tmp_path, capsys):
    csv = _town_with_strays(tmp_path / "in.csv")
    f = run_json(capsys, csv, "--kernel-bandwidth", "fixed", "--out", tmp_path / "f")
    assert f["kernel_bandwidth"]["mode"] == "fixed" and f["bandwidth_classes_m"] == []
    a = run_json(capsys, csv, "--kernel-bandwidth", "adaptive", "--adaptive-k", "20", "--out", tmp_path / "a")
    assert a["kernel_bandwidth"]["mode"] == "adaptive" and len(a["bandwidth_classes_m"]) >= 1
    assert "k = 20" in a["bandwidth_rule"]
    assert a["integral"] == pytest.approx(300, rel=0.01)
    assert a["smallest_bandwidth_m"] == a["bandwidth_classes_m"][0]
    assert a["max_hotspot_km2"] == 1.0 and all("oversized" in h for h in a["hotspots"])
