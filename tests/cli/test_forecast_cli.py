"""``beatwise forecast`` as a user runs it: Chicago weekly boxes and back-test files; month-only data refused."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[2]


def beatwise(*args):
    return subprocess.run([sys.executable, "-m", "analysis.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_forecast__chicago_week_files_and_json(tmp_path):
    chicago = shared_path("timed", "chicago_crimes_sample_2017_2019.csv")
    run = beatwise("forecast", chicago, "--test-weeks", "6", "--out", tmp_path, "--json")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    assert d["period"] == "week" and d["cell_m"] == 150 and d["method"] in ("naive", "kde", "prospective", "etas")
    assert set(d["backtest"]) == {"naive", "kde", "prospective", "etas"}
    for method, by_cov in d["backtest"].items():
        assert set(by_cov) == {"0.5", "1", "2", "5", "10"}
        assert {"hit_rate", "pai", "pei"} <= set(by_cov["2"])
        assert by_cov["2"]["hit_rate"]["n"] == 6
    best = max(d["backtest"], key=lambda m: d["backtest"][m]["2"]["pai"]["mean"])
    assert d["method"] == best and "best mean PAI" in d["chosen_by"]
    boxes = d["boxes"]
    assert boxes and [b["rank"] for b in boxes] == list(range(1, len(boxes) + 1))
    assert all(boxes[i]["risk"] >= boxes[i + 1]["risk"] for i in range(len(boxes) - 1))
    assert sum(b["cells"] for b in boxes) == round(0.02 * d["study_area"]["n_cells"])
    assert any("STATE ST" in s for s in boxes[0]["streets"])          # the Loop's State Street
    hit = d["expected_hit_rate"]
    assert hit["mean"] == pytest.approx(d["backtest"][d["method"]]["2"]["hit_rate"]["mean"])
    assert f"caught {100 * hit['mean']:.1f}% of incidents" in d["expected_hit_text"]
    assert f"range {100 * hit['min']:.1f}-{100 * hit['max']:.1f}%" in d["expected_hit_text"]
    for name in ("forecast.tif", "forecast.qml", "boxes.gpkg", "backtest.csv", "coverage_curves.png", "forecast.json"):
        assert (tmp_path / name).stat().st_size > 500, name
    rows = list(csv.DictReader(open(tmp_path / "backtest.csv", encoding="utf-8-sig")))
    assert len(rows) == 4 * 6 * 5
    import geopandas as gpd
    import rasterio

    layer = gpd.read_file(tmp_path / "boxes.gpkg", layer="boxes")
    assert list(layer["rank"]) == [b["rank"] for b in boxes]
    with rasterio.open(tmp_path / "forecast.tif") as src:
        band = src.read(1, masked=True)
        assert src.crs.to_epsg() == 32616 and abs(float(band.sum()) - d["expected_total"]) < 1e-3 * d["expected_total"]


def test_forecast__month_only_data_is_refused():
    essex = shared_path("police_uk", "2024-01-essex-street.csv")
    run = beatwise("forecast", essex)
    assert run.returncode == 2
    assert "months only" in run.stderr and "Traceback" not in run.stderr


def test_forecast__bad_coverage_is_a_message():
    chicago = shared_path("timed", "chicago_crimes_sample_2017_2019.csv")
    run = beatwise("forecast", chicago, "--coverage", "0")
    assert run.returncode == 2 and "--coverage" in run.stderr and "Traceback" not in run.stderr
