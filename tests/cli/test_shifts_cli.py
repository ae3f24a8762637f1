"""``beatwise shifts``: JSON keys, coverage recomputed from the JSON, chart, errors."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SOUTHEND = DATA / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv"
CURRENT = "07:00-17:00x4,14:00-00:00x3"


def run(capsys, *argv):
    code = main(["shifts", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)          # exactly one JSON object on stdout, nothing else


def ref_coverage(demand, on):
    d = np.asarray(demand, dtype=float)
    on = np.asarray(on, dtype=float)
    k = d.sum() / on.sum()
    return float(np.minimum(d, k * on).sum() / d.sum())


def ref_demand(csv_path, crime_type=None):
    """Incidents per week per hour of the week, from the CSV with pandas (independent)."""
    raw = pd.read_csv(csv_path, usecols=["crime_type", "date_time"])
    if crime_type:
        raw = raw[raw["crime_type"] == crime_type]
    t = pd.to_datetime(raw["date_time"])
    how = t.dt.day_of_week * 24 + t.dt.hour
    days = (t.max().normalize() - t.min().normalize()).days + 1
    return np.bincount(how, minlength=168) / (days / 7)


@pytest.fixture(scope="module")
def demo_json(demo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("shifts_out")
    code = main(["shifts", str(demo_dir / "incidents.csv"), "--current", CURRENT,
                 "--shift-hours", "8,10", "--sergeants", "2", "--out", str(out), "--json"])
    assert code == 0
    return out


def test_shifts_cli__demo_json(demo_dir, capsys):
    s = run_json(capsys, demo_dir / "incidents.csv", "--current", CURRENT, "--shift-hours", "8,10",
                 "--sergeants", "2")
    for key in ("objective", "demand", "status", "shift_hours", "shifts", "on_duty", "coverage",
                "alternatives", "current", "understaffed", "summary", "sergeants"):
        assert key in s, key
    assert s["status"] == "optimal"
    assert s["objective"].startswith("Coverage = sum over the 168 hours")
    # demand: the CSV's incidents per week per hour, computed here with pandas
    assert np.allclose(s["demand"], ref_demand(demo_dir / "incidents.csv"), rtol=1e-9)
    assert len(s["on_duty"]) == 168
    # the reported coverage is the formula applied to the reported on_duty (and the current's)
    assert s["coverage"] == pytest.approx(ref_coverage(s["demand"], s["on_duty"]), abs=1e-12)
    cur = s["current"]
    assert set(cur) >= {"shifts", "on_duty", "coverage"}
    assert cur["coverage"] == pytest.approx(ref_coverage(s["demand"], cur["on_duty"]), abs=1e-12)
    assert s["coverage"] > cur["coverage"] + 0.15
    # 7 officers a day (from --current), each on a shift of the reported length
    assert sum(x["officers"] for x in s["shifts"]) == 7
    assert all(x["hours"] == s["shift_hours"] for x in s["shifts"])
    assert set(s["shifts"][0]) >= {"start", "end", "officers", "weekdays"}
    assert [a["shift_hours"] for a in s["alternatives"]] == [8 if s["shift_hours"] == 10 else 10]
    assert s["alternatives"][0]["coverage"] <= s["coverage"]
    u = s["understaffed"][0]
    assert set(u) >= {"weekday", "hour", "demand", "on_duty"}
    k = sum(s["demand"]) / sum(s["on_duty"])
    assert u["demand"] > k * u["on_duty"]
    assert f"{s['coverage']:.0%}" in s["summary"] and f"{cur['coverage']:.0%}" in s["summary"]
    assert s["sergeants"]["unsupervised"] == []
    assert "a sergeant is on duty whenever constables are" in s["summary"]


def test_shifts_cli__out_dir_has_chart_and_json(demo_json):
    png = demo_json / "shifts_chart.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    s = json.loads((demo_json / "shifts.json").read_text())
    assert s["files"][0].endswith("shifts_chart.png")
    assert s["current"]["coverage"] < s["coverage"]


def test_shifts_cli__crime_type_filter_changes_demand(demo_dir, capsys):
    s = run_json(capsys, demo_dir / "incidents.csv", "--crime-type", "Drugs", "--officers", "3",
                 "--starts", "00:00,04:00,08:00,12:00,16:00,20:00")
    # Drugs only, per week over the Drugs rows' own date range
    assert np.allclose(s["demand"], ref_demand(demo_dir / "incidents.csv", "Drugs"), rtol=1e-9)
    assert s["parameters"]["starts"] == ["00:00", "04:00", "08:00", "12:00", "16:00", "20:00"]
    assert all(x["start"] in s["parameters"]["starts"] for x in s["shifts"])


def test_shifts_cli__per_weekday(demo_dir, capsys):
    s = run_json(capsys, demo_dir / "incidents.csv", "--officers", "2", "--shift-hours", "10",
                 "--starts", "06:00,18:00", "--per-weekday")
    assert s["status"] == "optimal" and s["parameters"]["per_weekday"] is True
    per_day = {d: 0 for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
    for x in s["shifts"]:
        for d in x["weekdays"]:
            per_day[d] += x["officers"]
    assert set(per_day.values()) == {2}


def test_shifts_cli__sergeants_cannot_cover(demo_dir, capsys):
    s = run_json(capsys, demo_dir / "incidents.csv", "--officers", "3", "--starts",
                 "00:00,08:00,16:00", "--min-on-duty", "1", "--sergeants", "1")
    assert len(s["sergeants"]["unsupervised"]) == 7 * 16
    assert "cannot be on duty whenever constables are" in s["summary"]


def test_shifts_cli__month_only_data(capsys):
    if not SOUTHEND.exists():
        pytest.skip(f"shared test data not present: {SOUTHEND}")
    code, out, err = run(capsys, SOUTHEND, "--officers", "7", "--json")
    assert code == 2 and out == ""
    assert "has a time of day" in err and "RMS/CAD export with date-times" in err
    assert "Traceback" not in err


def test_shifts_cli__infeasible_min_on_duty(demo_dir, capsys):
    code, out, err = run(capsys, demo_dir / "incidents.csv", "--officers", "2", "--min-on-duty", "3")
    assert code == 2 and out == ""
    assert "72 officer-hours a day" in err and "give only 16" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, match", [
    ([], "give --officers N"),
    (["--officers", "3", "--starts", "06:30"], "not on the hour"),
    (["--officers", "3", "--shift-hours", "8,x"], "--shift-hours"),
    (["--current", "7-17x4"], "HH:MM-HH:MMxN"),
])
def test_shifts_cli__bad_options(demo_dir, capsys, argv, match):
    code, out, err = run(capsys, demo_dir / "incidents.csv", *argv)
    assert code == 2 and out == ""
    assert match in err


def test_shifts_json_stdout_is_json__per_weekday_highs_banner(demo_dir):
    """HiGHS printed "Running HiGHS ..." on stdout (C level, past capsys) before the JSON of
    ``--per-weekday`` (per-weekday and sergeant MILPs); run as a user runs it."""
    from tests.cli.test_import_cli import beatwise

    run = beatwise("shifts", demo_dir / "incidents.csv", "--officers", "7", "--per-weekday",
                   "--sergeants", "1", "--time-limit-s", "2", "--json")
    assert run.returncode == 0, run.stderr
    assert "HiGHS" not in run.stdout + run.stderr
    s = json.loads(run.stdout)      # the whole of stdout is one JSON object
    assert s["parameters"]["per_weekday"] is True and "sergeants" in s


def test_shifts_cli__officers_100000_refused_before_allocating(demo_dir, capsys):
    code, out, err = run(capsys, demo_dir / "incidents.csv", "--officers", "100000", "--json")
    assert code == 2 and out == ""
    assert err.startswith("beatwise shifts: error: 100,000 officers a day is more than one plan "
                          "can take: at most 1,000")
    assert "Split the team by area" in err and "Traceback" not in err


def test_shifts_cli__current_from_patrols_scored_like_for_like(demo_dir, capsys):
    """Issue 13 item 6: officers on duty from the pings as the current rota."""
    import numpy as np

    from analysis.ingest.tracks import read_pings
    from analysis.patrols.on_duty import on_duty
    from analysis.staffing.demand import coverage, demand_from_incidents
    from analysis.ingest.incidents import read_incidents

    code = main(["shifts", str(demo_dir / "incidents.csv"), "--current-from-patrols", str(demo_dir / "patrols.csv"),
                 "--shift-hours", "8", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    d = json.loads(out)
    observed = np.asarray(on_duty(read_pings(demo_dir / "patrols.csv").pings).to_list(), dtype=float)
    observed = np.where(np.isfinite(observed), observed, 0)
    demand = demand_from_incidents(read_incidents(demo_dir / "incidents.csv").incidents).per_hour
    assert d["current"]["coverage"] == pytest.approx(coverage(demand, observed), abs=1e-12)
    assert d["current"]["label"].startswith("observed on duty")
    assert d["coverage"] > d["current"]["coverage"]
