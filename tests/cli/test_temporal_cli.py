"""``beatwise temporal``: JSON keys, heatmap PNG, period comparison, month-only data, errors."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.cli import main
from analysis.temporal.compare import pool_blocks

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
NYC = DATA / "timed" / "nyc_motor_vehicle_thefts_2014_2017_from_to.csv"
CHICAGO = DATA / "timed" / "chicago_crimes_sample_2017_2019.csv"
SOUTHEND = DATA / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv"


def need(path):
    if not path.exists():
        pytest.skip(f"shared test data not present: {path}")


def run_json(capsys, *argv):
    code = main(["temporal", *map(str, argv), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)   # exactly one JSON object on stdout, nothing else


def chicago_times(crime_type=None):
    raw = pd.read_csv(CHICAGO, usecols=["date", "primary_type"])
    if crime_type:
        raw = raw[raw["primary_type"].str.lower() == crime_type.lower()]
    return pd.to_datetime(raw["date"], format="%m/%d/%Y %H:%M")


def groupby_matrix(t):
    ref = t.groupby([t.dt.day_of_week, t.dt.hour]).size().unstack(fill_value=0)
    return ref.reindex(index=range(7), columns=range(24), fill_value=0).to_numpy(dtype=float)


def test_temporal_cli__hand_made_windows(tmp_path, capsys):
    f = tmp_path / "windows.csv"
    f.write_text("id,date_start,date_end,longitude,latitude,offence\n"
                 "1,2024-01-02 08:00,2024-01-02 16:00,0.71,51.54,Burglary\n"      # Tue 08-16
                 "2,2024-01-07 22:00,2024-01-08 02:00,0.71,51.54,Burglary\n"      # Sun 22 - Mon 02
                 "3,2024-01-07 22:30,,0.71,51.54,Burglary\n"                      # no end: exact
                 "4,2024-01-02 10:00,2024-01-02 08:00,0.71,51.54,Burglary\n")     # end before start
    d = run_json(capsys, f)
    assert d["import"]["accepted"] == 3 and d["import"]["rejected"] == 1
    assert "end before start" in d["import"]["rejections"]
    m = np.array(d["matrix"])
    expected = np.zeros((7, 24))
    expected[1, 8:16] += 0.125
    expected[6, 22:24] += 0.25
    expected[0, 0:2] += 0.25
    expected[6, 22] += 1
    np.testing.assert_allclose(m, expected, atol=1e-12)
    assert d["n"] == 3 and d["weighting"] == "mixed"
    assert d["peak"] == {"weekday": "Sunday", "weekday_index": 6, "hour": 22, "value": 1.25}
    assert d["by_month"] == {"2024-01": 3.0}


def test_temporal_cli__nyc_sums_to_accepted_rows(capsys):
    need(NYC)
    d = run_json(capsys, NYC)
    assert set(d) >= {"n", "weighting", "matrix", "by_month", "peak"}
    m = np.array(d["matrix"])
    assert m.shape == (7, 24) and d["weighting"] == "mixed"
    assert d["n"] == d["import"]["accepted"] == 35_746
    assert m.sum() == pytest.approx(35_746, rel=1e-9)
    wd, hr = np.unravel_index(np.argmax(m), m.shape)
    assert (d["peak"]["weekday_index"], d["peak"]["hour"]) == (wd, hr)


def test_temporal_cli__chicago_filter_and_png(tmp_path, capsys):
    need(CHICAGO)
    out = tmp_path / "out"
    d = run_json(capsys, CHICAGO, "--crime-type", "theft", "--from", "2018-01-01", "--to",
                 "2018-12-31", "--out", out)
    t = chicago_times("THEFT")
    t = t[(t >= "2018-01-01") & (t < "2019-01-01")]
    ref = groupby_matrix(t)
    np.testing.assert_array_equal(np.array(d["matrix"]), ref)
    assert d["n"] == len(t) and d["weighting"] == "exact"
    png = out / "temporal_heatmap.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    with open(out / "temporal_matrix.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["weekday", "00", "01"] and rows[1][0] == "Mon"
    np.testing.assert_array_equal(np.array([[float(v) for v in r[1:]] for r in rows[1:]]), ref)
    assert json.loads((out / "temporal.json").read_text())["n"] == d["n"]
    assert str(png) in d["files"]


def test_temporal_cli__compare_at(tmp_path, capsys):
    need(CHICAGO)
    d = run_json(capsys, CHICAGO, "--compare-at", "2018-07-01", "--out", tmp_path)
    c = d["compare"]
    assert set(c) >= {"before", "after", "change", "chi2", "p_value"}
    t = chicago_times()
    start = t.min().floor("D")
    end = t.max().floor("D") + pd.Timedelta(days=1)
    at = pd.Timestamp("2018-07-01")
    wb = (at - start) / pd.Timedelta(weeks=1)
    wa = (end - at) / pd.Timedelta(weeks=1)
    before, after = groupby_matrix(t[t < at]), groupby_matrix(t[t >= at])
    np.testing.assert_allclose(c["before"], before / wb, rtol=1e-12)
    np.testing.assert_allclose(c["after"], after / wa, rtol=1e-12)
    np.testing.assert_allclose(c["change"], after / wa - before / wb, rtol=1e-9, atol=1e-12)
    table = np.vstack([pool_blocks(before.ravel(), c["block_hours"], c["across_weekdays"]),
                       pool_blocks(after.ravel(), c["block_hours"], c["across_weekdays"])])
    table = table[:, table.sum(0) > 0]
    e = np.outer(table.sum(1), table.sum(0)) / table.sum()
    chi2 = ((table - e) ** 2 / e).sum()
    assert c["chi2"] == pytest.approx(chi2, rel=1e-9)
    assert c["p_value"] == pytest.approx(stats.chi2.sf(chi2, table.shape[1] - 1), rel=1e-6, abs=1e-300)
    assert (tmp_path / "temporal_change.png").exists()


def test_temporal_cli__month_only_street_says_so(tmp_path, capsys):
    need(SOUTHEND)
    code = main(["temporal", str(SOUTHEND), "--street", "York Road", "--area", "Southend-on-Sea",
                 "--json", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0
    d = json.loads(out)
    assert d["matrix"] is None and d["peak"] is None and d["weighting"] == "none"
    assert d["n_total"] == 81 and "only a month" in d["message"]
    assert sum(d["by_month"].values()) == 81 and sum(d["by_crime_type"].values()) == 81
    assert "no heatmap written" in err and not (tmp_path / "temporal_heatmap.png").exists()


def test_temporal_cli__unknown_street_lists_closest(capsys):
    need(SOUTHEND)
    code = main(["temporal", str(SOUTHEND), "--street", "Yrok Road", "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "no street called 'Yrok Road'" in err and "York Road" in err


def test_temporal_cli__bad_compare_date(tmp_path, capsys):
    f = tmp_path / "t.csv"
    f.write_text("id,datetime,longitude,latitude\n1,2024-01-02 08:00,0.71,51.54\n"
                 "2,2024-01-09 08:00,0.71,51.54\n")
    code = main(["temporal", str(f), "--compare-at", "2030-01-01", "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "must fall inside" in err


def test_temporal_cli__human_output(tmp_path, capsys):
    f = tmp_path / "t.csv"
    f.write_text("id,datetime,longitude,latitude\n1,2024-01-02 08:00,0.71,51.54\n")
    assert main(["temporal", str(f)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "peak: Tuesday 08:00-08:59" in err


def test_temporal_cli__mixed_utc_offsets_across_dst(tmp_path, capsys):
    """Regression: times with +00:00 and +01:00 (a UK export across the clock change) crashed temporal."""
    p = tmp_path / "offsets.csv"
    p.write_text("lat,lon,time\n51.5,0.7,2024-03-30T23:30:00+00:00\n51.5,0.7,2024-03-31T12:00:00+01:00\n"
                 "51.5,0.7,2024-04-01T08:15:00+01:00\n", encoding="utf-8")
    d = run_json(capsys, str(p))
    m = np.asarray(d["matrix"])
    # Saturday 23:00, Sunday 12:00, Monday 08:00 in UK local time (Monday first)
    assert m.sum() == 3 and m[5, 23] == 1 and m[6, 12] == 1 and m[0, 8] == 1
