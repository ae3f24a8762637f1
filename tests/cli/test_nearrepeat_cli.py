"""``beatwise nearrepeat`` as a user runs it: Chicago burglaries, month-only data refused, bad bands."""
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


def test_nearrepeat__chicago_burglaries_same_place_and_near_cells(tmp_path):
    chicago = shared_path("timed", "chicago_crimes_sample_2017_2019.csv")
    run = beatwise("nearrepeat", chicago, "--crime-type", "BURGLARY", "--distance-bands", "0,1,100,200",
                   "--time-bands", "0,7,14", "--permutations", "199", "--seed", "7", "--out", tmp_path, "--json")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    assert d["distance_labels"] == ["[0, 1) m", "[1, 100) m", "[100, 200) m"]
    assert d["time_labels"] == ["[0, 7) days", "[7, 14) days"]
    assert d["n_incidents"] > 1000 and d["permutations"] == 199 and d["metric"] == "manhattan"
    same, near = d["p_value"][0][0], d["p_value"][1][0]     # same location / 0-100 m, both 0-7 days
    for p in (same, near):
        assert 1 / 200 <= p <= 1 and round(p * 200, 6) == int(round(p * 200))
    assert d["observed"][0][0] >= 1 and d["knox_ratio"][0][0] > 1
    assert "Near Repeat Calculator" in d["note"] and d["sentence"]
    rows = list(csv.DictReader(open(tmp_path / "knox.csv", encoding="utf-8-sig")))
    assert len(rows) == 6 and rows[0]["distance"] == "[0, 1) m" and float(rows[0]["p_value"]) == pytest.approx(same)
    assert (tmp_path / "knox.png").stat().st_size > 10_000
    again = json.loads(beatwise("nearrepeat", chicago, "--crime-type", "BURGLARY", "--distance-bands", "0,1,100,200",
                                "--time-bands", "0,7,14", "--permutations", "199", "--seed", "7", "--json").stdout)
    assert again["p_value"] == d["p_value"] and again["expected"] == d["expected"]   # the seed fixes them


def test_nearrepeat__month_only_data_is_refused_with_the_reason():
    run = beatwise("nearrepeat", shared_path("police_uk", "2024-01_to_2024-04-rutland-street.csv"), "--permutations", "9")
    assert run.returncode == 2 and "months only" in run.stderr and "Traceback" not in run.stderr


def test_nearrepeat__bands_not_increasing(demo_dir):
    run = beatwise("nearrepeat", demo_dir / "incidents.csv", "--distance-bands", "0,200,100", "--permutations", "9")
    assert run.returncode == 2 and "must increase, but 100 follows 200" in run.stderr
    run = beatwise("nearrepeat", demo_dir / "incidents.csv", "--time-bands", "0,x", "--permutations", "9")
    assert run.returncode == 2 and "numbers separated by commas" in run.stderr
