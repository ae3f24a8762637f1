"""``beatwise brief``: the demo pack (once per module), month-only police.uk data, options and errors."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SOUTHEND = DATA / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv"
BOUNDARIES = DATA / "boundaries" / "south-essex-districts.geojson"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["brief", *map(str, argv)])
    return code, out.getvalue(), err.getvalue()


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def demo_pack(demo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief")
    code, stdout, stderr = run(demo_dir / "demo.beatwise", "--out", out, "--json")
    return code, stdout, stderr, out


def test_brief_cli__demo_project_json(demo_pack):
    code, stdout, stderr, out = demo_pack
    assert code == 0, stderr
    summary = json.loads(stdout)  # exactly one JSON object on stdout
    assert summary["synthetic"] is True and summary["title"].startswith("SYNTHETIC")
    assert summary["marking"] == "OFFICIAL-SENSITIVE"
    assert summary["n_incidents"] == 12000 and summary["pages"] == 8  # with the patrol, trends and forecast pages
    fc = summary["forecast"]
    assert fc["period"] == "week" and fc["coverage_pct"] == 2.0 and fc["boxes"][0]["rank"] == 1
    assert fc["expected_hit_text"].startswith("Over the last 12 of 12 test periods")
    assert any("York Road" in g["location"] for g in summary["patrol_gaps"])
    assert summary["shifts"]["current"]["label"] == "07:00-17:00 / 14:00-00:00"
    assert summary["street"]["name"] == "York Road" and summary["street"]["area"] == "Southend-on-Sea"
    names = sorted(Path(f).name for f in summary["files"])
    assert names == sorted(["briefing.pdf", "map.png", "map.html", "hotspots.gpkg", "density.tif", "hotspots.csv",
                           "density.qml"])
    for f in summary["files"]:
        assert Path(f).parent == out and Path(f).stat().st_size > 0
    assert len(summary["hotspots"]) == min(5, summary["n_hotspots"]) >= 4 and summary["hotspots"][0]["rank"] == 1
    study = summary["study_area"]
    assert study["kind"] == "reach" and "within reach of the incidents" in study["description"]
    assert summary["gi_star"]["study_area"]["description"] == study["description"]
    assert len(summary["headlines"]) == 3
    assert stderr == ""  # --json: no progress chatter


@needs_poppler
def test_brief_cli__demo_pdf_is_synthetic_and_marked(demo_pack):
    *_, out = demo_pack
    pages = [p for p in pdf_text(out / "briefing.pdf").split("\f") if p.strip()]
    for page in pages:
        lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
        assert lines[0] == lines[-1] == "OFFICIAL-SENSITIVE"
        assert "SYNTHETIC" in page
    assert "Street profile: York Road, Southend-on-Sea" in "".join(pages)


def test_brief_cli__demo_csv_alone_still_says_synthetic(demo_dir, tmp_path):
    rows = pd.read_csv(demo_dir / "incidents.csv").iloc[:600]
    csv_path = tmp_path / "incidents.csv"
    rows.to_csv(csv_path, index=False)
    code, stdout, stderr = run(csv_path, "--out", tmp_path / "out", "--marking", "none", "--json")
    assert code == 0, stderr
    s = json.loads(stdout)
    assert s["synthetic"] is True and "SYNTHETIC" in s["title"] and s["marking"] is None
    assert s["street"]["name"] == "York Road"
    assert s["street"]["incidents"] == int((rows["location"] == "On or near York Road").sum())
    html = (tmp_path / "out" / "map.html").read_text()
    assert "SYNTHETIC DEMO DATA" in html and "OFFICIAL-SENSITIVE" not in html


@needs_poppler
def test_brief_cli__police_uk_month_only(tmp_path):
    if not SOUTHEND.exists() or not BOUNDARIES.exists():
        pytest.skip(f"shared test data not present: {SOUTHEND}")
    raw = pd.read_csv(SOUTHEND)
    york = raw[raw["Location"] == "On or near York Road"]
    code, stdout, stderr = run(SOUTHEND, "--out", tmp_path, "--street", "York Road", "--area", "Southend-on-Sea",
                               "--boundaries", BOUNDARIES, "--marking", "OFFICIAL", "--title", "Southend Q1",
                               "--json")
    assert code == 0, stderr
    s = json.loads(stdout)
    assert s["synthetic"] is False and s["title"] == "Southend Q1" and s["marking"] == "OFFICIAL"
    assert s["street"]["incidents"] == len(york) == 81
    assert s["peak"] is None and "only a month" in s["temporal_message"]
    assert s["date_range"] == "January 2024 to April 2024"
    text = pdf_text(tmp_path / "briefing.pdf")
    pages = [p for p in text.split("\f") if p.strip()]
    for page in pages:
        lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
        assert lines[0] == lines[-1] == "OFFICIAL"
    flat = " ".join(text.split())
    assert "Incidents by month" in flat and "only a month" in flat
    assert "No shift plan in this briefing: Shift timing needs the time of day" in flat
    assert s["shifts"] == {"note": s["shifts"]["note"]} and "data.police.uk" in s["shifts"]["note"]
    assert "Boundary" in pages[0]  # the boundaries layer is drawn and in the legend
    assert "snap" in pages[-1]  # the snap-point caveat from the import
    months = york.groupby("Month").size()
    assert "Street profile: York Road, Southend-on-Sea" in flat and f"{len(york)} incidents" in flat
    assert all(v > 0 for v in months)


def test_brief_cli__human_output_on_stderr(tmp_path, demo_dir):
    rows = pd.read_csv(demo_dir / "incidents.csv").iloc[:300]
    rows.to_csv(tmp_path / "i.csv", index=False)
    code, stdout, stderr = run(tmp_path / "i.csv", "--out", tmp_path / "o", "--crime-type", "Drugs",
                               "--crime-type", "Violence and sexual offences")
    assert code == 0, stderr
    assert stdout == ""
    assert "wrote" in stderr and "briefing.pdf" in stderr and "100%" in stderr


@pytest.mark.parametrize("extra, message", [
    (["--street", "Nowhere Lane"], "Nowhere Lane"),
    (["--officers", "0"], "--officers"),
    (["--shift-hours", "30"], "--shift-hours"),
    (["--crime-type", "Burglary of the moon"], "No incidents"),
    (["--gi-distance-m", "1e9"], "longer than the whole grid"),     # issue 12 item 8: refused, not skipped
])
def test_brief_cli__user_errors_exit_2(tmp_path, demo_dir, extra, message):
    rows = pd.read_csv(demo_dir / "incidents.csv").iloc[:200]
    rows.to_csv(tmp_path / "i.csv", index=False)
    code, stdout, stderr = run(tmp_path / "i.csv", "--out", tmp_path / "o", *extra)
    assert code == 2
    assert message in stderr and stdout == ""
    assert not any((tmp_path / "o").glob("*.pdf"))


def test_brief_cli__out_must_be_a_folder(tmp_path, demo_dir):
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, _, stderr = run(demo_dir / "demo.beatwise", "--out", f)
    assert code == 2 and "not a folder" in stderr


def test_brief_cli__street_layer_is_the_basemap_and_snaps(tmp_path):
    rutland = DATA / "police_uk" / "2024-01_to_2024-04-rutland-street.csv"
    layer = DATA / "streets" / "rutland_highways.geojson"
    if not rutland.exists() or not layer.exists():
        pytest.skip("shared Rutland data not present")
    code, stdout, stderr = run(rutland, "--streets", layer, "--out", tmp_path, "--json")
    assert code == 0, stderr
    s = json.loads(stdout)
    assert s["street"]["method"] == "snap"
    html = (tmp_path / "map.html").read_text()
    assert "Streets (street layer)" in html and "Street names (from incident locations)" not in html
    assert (tmp_path / "map.html").stat().st_size < 4_000_000  # simplified, compactly encoded
    if shutil.which("pdftotext"):
        assert "Street (street layer)" in pdf_text(tmp_path / "briefing.pdf").split("\f")[0]


def test_brief_cli__study_area_is_a_district_boundary(tmp_path):
    """--study-area: the PAI's A, the top percent and Gi* over Southend-on-Sea's own boundary (ONS)."""
    if not SOUTHEND.exists() or not BOUNDARIES.exists():
        pytest.skip(f"shared test data not present: {SOUTHEND}")
    import geopandas as gpd

    districts = gpd.read_file(BOUNDARIES)
    southend = districts[districts["lad17cd"] == "E06000033"]
    southend.to_file(tmp_path / "southend.geojson", driver="GeoJSON")
    code, stdout, stderr = run(SOUTHEND, "--out", tmp_path / "o", "--study-area", tmp_path / "southend.geojson",
                               "--json")
    assert code == 0, stderr
    s = json.loads(stdout)
    a = s["study_area"]
    area_km2 = southend.to_crs(27700).area.sum() / 1e6
    assert a["kind"] == "boundary" and a["description"] == "boundary southend.geojson"
    assert a["area_km2"] == pytest.approx(area_km2, rel=0.02)
    top = s["hotspots"][0]
    assert top["pai"] == pytest.approx(top["share"] / (top["area_km2"] / a["area_km2"]))
    assert s["gi_star"]["study_area"]["kind"] == "boundary"
    assert s["gi_star"]["n_cells"] == pytest.approx(area_km2 / 0.01, rel=0.03)   # 100 m cells
    flat = " ".join(pdf_text(tmp_path / "o" / "briefing.pdf").split())
    assert "Study area: boundary southend.geojson" in flat
