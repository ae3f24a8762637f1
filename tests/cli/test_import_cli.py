"""``beatwise import`` and ``beatwise demo`` as a user runs them (subprocess, real exit codes)."""
from __future__ import annotations

import csv
import glob
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[2]


def beatwise(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "analysis.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT)


def test_import_essex_json():
    files = sorted(glob.glob(str(shared_path("police_uk") / "2024-0*-essex-street.csv")))
    run = beatwise("import", *files, "--json")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)  # stdout is exactly one JSON object
    assert d["rows_read"] == 52_837 and d["accepted"] + d["rejected"] == 52_837
    assert d["rejections"] == {"no coordinates": 1394}
    assert d["crs"] == "EPSG:27700" and d["time_precision"] == "month"
    assert len(d["bounds"]) == 4 and d["files"] == files
    assert any("month only" in w for w in d["warnings"])


def test_import_saves_project_and_reports_it_back(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("lat,lon,date\n51.5,0.7,2024-01-05 10:00\n95,0.7,2024-01-05 11:00\n")
    out = tmp_path / "p.beatwise"
    rej = tmp_path / "rejects.csv"
    run = beatwise("import", src, "--out", out, "--rejects", rej, "--json")
    assert run.returncode == 0, run.stderr
    first = json.loads(run.stdout)
    assert rej.read_text().splitlines()[1] == f"{src},3,latitude out of range (-90..90)"
    again = json.loads(beatwise("import", out, "--json").stdout)
    assert again["accepted"] == first["accepted"] == 1
    assert again["rows_read"] == 2 and again["rejections"] == first["rejections"]


@pytest.mark.parametrize("name,content,needle", [
    ("empty.csv", b"", "the file is empty"),
    ("header.csv", b"lat,lon\n", "header but no data rows"),
    ("binary.csv", b"\x00\x01\x02PNG\x00" * 50, "binary file"),
    ("cols.csv", b"a,b\n1,2\n", "no usable coordinate columns"),
])
def test_import_bad_input_exits_nonzero_naming_the_file(tmp_path, name, content, needle):
    p = tmp_path / name
    p.write_bytes(content)
    run = beatwise("import", p, "--json")
    assert run.returncode == 2
    assert run.stdout == ""
    assert name in run.stderr and needle in run.stderr
    assert "Traceback" not in run.stderr


def test_import_mapping_options(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("E;N;When;What\n589000;186000;25/12/2023 23:10;Drugs\n")
    run = beatwise("import", p, "--x", "E", "--y", "N", "--crs", "EPSG:27700", "--time", "When",
                   "--dayfirst", "--crime-type", "What", "--json")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    assert d["accepted"] == 1 and d["time_precision"] == "minute"
    assert d["columns"][str(p)]["crime_type"] == "What"


def test_demo_command(tmp_path):
    run = beatwise("demo", "--out", tmp_path / "d", "--json")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    for key in ("incidents", "patrols", "project"):
        assert Path(d[key]).is_file()
    assert "SYNTHETIC" in d["note"]


def test_console_script_flushes_output_and_keeps_exit_codes(tmp_path):
    """The installed ``beatwise`` exits without interpreter teardown: output and codes must survive."""
    exe = Path(sys.executable).with_name("beatwise")
    if not exe.exists():
        pytest.skip("the beatwise console script is not installed in this environment")
    src = tmp_path / "in.csv"
    src.write_text("lat,lon,date\n51.5,0.7,2024-01-05 10:00\n")
    ok = subprocess.run([str(exe), "import", str(src), "--out", str(tmp_path / "p.beatwise"), "--json"],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout)["accepted"] == 1
    assert (tmp_path / "p.beatwise").stat().st_size > 0
    bad = subprocess.run([str(exe), "import", str(tmp_path / "missing.csv")], capture_output=True, text=True)
    assert bad.returncode == 2 and "missing.csv: no such file or folder" in bad.stderr


def test_import__rejects_onto_input_refused_before_work(tmp_path):
    """Regression: `--rejects data.csv` replaced the input with the rejects list."""
    data = tmp_path / "data.csv"
    data.write_text("lat,lon\n51.5,0.7\n95,0.7\n", encoding="utf-8")
    before = data.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    for target in (data, link):
        r = beatwise("import", str(data), "--rejects", str(target))
        assert r.returncode == 2 and "is an input of this run" in r.stderr and "Traceback" not in r.stderr
    assert data.read_bytes() == before


@pytest.mark.parametrize("option, target, message", [
    ("--rejects", "{tmp}", "is a folder"),
    ("--out", "{tmp}", "is a folder"),
    ("--rejects", "/proc/no/such/r.csv", "could not be written"),
    ("--out", "/proc/no/such/p.beatwise", "could not be written"),
])
def test_import__bad_output_places_are_messages(tmp_path, option, target, message):
    """Regression: --rejects/--out onto a folder or an unwritable place gave a traceback."""
    data = tmp_path / "data.csv"
    data.write_text("lat,lon\n51.5,0.7\n95,0.7\n", encoding="utf-8")
    r = beatwise("import", str(data), option, target.format(tmp=tmp_path))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_import__rejects_into_missing_folder_created(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("lat,lon\n51.5,0.7\n95,0.7\n", encoding="utf-8")
    r = beatwise("import", str(data), "--rejects", str(tmp_path / "new" / "r.csv"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "new" / "r.csv").read_text(encoding="utf-8-sig").splitlines()[1].endswith(
        "latitude out of range (-90..90)")


def test_import__rejects_csv_safe_for_spreadsheets(tmp_path):
    """Regression: the --rejects CSV carried cells a spreadsheet evaluates (a file named =1+2.csv)."""
    data = tmp_path / "=1+2.csv"
    data.write_text("lat,lon\n51.5,0.7\n95,0.7\n", encoding="utf-8")
    r = beatwise("import", "=1+2.csv", "--rejects", "r.csv", cwd=tmp_path)   # as typed in its folder
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(open(tmp_path / "r.csv", encoding="utf-8-sig")))
    assert rows[1] == ["'=1+2.csv", "3", "latitude out of range (-90..90)"]


def test_import_report_is_the_same_with_and_without_a_project(tmp_path):
    """Without ``--out`` no points are made (speed): the report must not change because of it."""
    p = tmp_path / "f.csv"
    p.write_text("id,x,y,date_time,crime_type\nA,588000,185000,2024-05-01 10:00,Theft\n"
                 "B,588100,185100,2024-05-01 11:00,Theft\nC,,185100,2024-05-01 11:00,Theft\n"
                 "D,588200,185200,13/05/2024 11:00,Robbery\n", encoding="utf-8")
    plain = beatwise("import", p, "--crs", "EPSG:27700", "--json")
    saved = beatwise("import", p, "--crs", "EPSG:27700", "--json", "--out", tmp_path / "p.beatwise")
    assert plain.returncode == 0 and saved.returncode == 0, plain.stderr + saved.stderr
    a, b = json.loads(plain.stdout), json.loads(saved.stdout)
    assert b.pop("project").endswith("p.beatwise")
    assert a == b and a["rows_read"] == 4 and a["accepted"] == 3
