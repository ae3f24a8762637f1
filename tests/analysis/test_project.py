"""The .beatwise project file: round trip, atomic save, damaged files, versions."""
from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from analysis import project as projmod
from analysis.ingest.incidents import read_incidents
from analysis.progress import BeatwiseError, Cancelled
from analysis.project import Project, load_project, save_project


def _sample(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text("lat,lon,date_start,date_end,offence,location\n51.5,0.7,2024-01-05 10:00,2024-01-05 12:30,Drugs,On or near York Road\n"
                 "51.51,0.71,2024-01-06 22:00,,Robbery,\n999,0,2024-01-01,,x,\n", encoding="utf-8")
    return read_incidents(p)


def test_round_trip_is_exact(tmp_path):
    result = _sample(tmp_path)
    proj = Project.from_import(result, title="Test", synthetic=False, params={"cell_m": 25})
    path = save_project(proj, tmp_path / "p.beatwise")
    back = load_project(path)
    pd.testing.assert_frame_equal(pd.DataFrame(back.incidents), pd.DataFrame(proj.incidents))
    assert back.incidents.crs == proj.incidents.crs
    assert back.report == proj.report
    assert back.settings == {"title": "Test", "synthetic": False, "params": {"cell_m": 25}}


def test_demo_round_trip_with_patrols(demo_dir):
    back = load_project(demo_dir / "demo.beatwise")
    assert back.synthetic and len(back.incidents) == back.report.accepted
    assert back.patrols is not None and len(back.patrols) > 1000


def test_save_is_atomic__failure_keeps_the_old_file(tmp_path, monkeypatch):
    result = _sample(tmp_path)
    path = save_project(Project.from_import(result, title="old"), tmp_path / "p.beatwise")
    before = path.read_bytes()

    def boom(*a, **k):
        raise Cancelled

    with pytest.raises(Cancelled):
        save_project(Project.from_import(result, title="new"), path, progress=boom)
    assert path.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["in.csv", "p.beatwise"]  # no temp left
    assert load_project(path).settings["title"] == "old"


def test_damaged_and_foreign_files(tmp_path):
    bad = tmp_path / "junk.beatwise"
    bad.write_bytes(b"this is not a database")
    with pytest.raises(BeatwiseError, match="junk.beatwise: not a Beatwise project"):
        load_project(bad)
    result = _sample(tmp_path)
    path = save_project(Project.from_import(result), tmp_path / "p.beatwise")
    data = path.read_bytes()
    (tmp_path / "cut.beatwise").write_bytes(data[: len(data) // 3])
    with pytest.raises(BeatwiseError, match="cut.beatwise"):
        load_project(tmp_path / "cut.beatwise")
    with pytest.raises(BeatwiseError, match="no such project file"):
        load_project(tmp_path / "missing.beatwise")


def test_newer_schema_refused_and_migrations_run(tmp_path, monkeypatch):
    result = _sample(tmp_path)
    path = save_project(Project.from_import(result), tmp_path / "p.beatwise")
    con = sqlite3.connect(path)
    con.execute("UPDATE beatwise_settings SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()
    with pytest.raises(BeatwiseError, match="newer Beatwise"):
        load_project(path)
    # an older file is upgraded by the migration chain
    con = sqlite3.connect(path)
    con.execute("UPDATE beatwise_settings SET value='0' WHERE key='schema_version'")
    con.commit()
    con.close()
    monkeypatch.setitem(projmod.MIGRATIONS, 0, lambda s: {**s, "migrated": True})
    assert load_project(path).settings["migrated"] is True


@pytest.mark.filterwarnings("ignore:.*(non conformant file extension|filename extension should be):RuntimeWarning")
def test_project__schema_1_still_opens(tmp_path):
    """Projects saved before the columnar incidents (schema 1: a GeoPackage point layer) still open."""
    import json

    import pyogrio

    result = _sample(tmp_path)
    inc = result.incidents.copy()
    for c in ("t_start", "t_end"):
        inc[c] = inc[c].dt.strftime("%Y-%m-%dT%H:%M:%S.%f").where(inc[c].notna(), None)
    old = tmp_path / "old.beatwise"
    pyogrio.write_dataframe(inc, old, layer="incidents", driver="GPKG")
    r = result.report
    con = sqlite3.connect(old)
    con.execute("CREATE TABLE beatwise_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    info = {"files": list(r.files), "rows_read": r.rows_read, "accepted": r.accepted, "warnings": list(r.warnings),
            "crs": r.crs, "time_precision": r.time_precision, "bounds": list(r.bounds), "columns": r.columns,
            "synthetic": False}
    con.executemany("INSERT INTO beatwise_settings VALUES (?, ?)",
                    [("schema_version", "1"), ("title", json.dumps("v1")), ("import_report", json.dumps(info))])
    con.execute("CREATE TABLE rejected_rows (file TEXT, row INTEGER, reason TEXT)")
    con.executemany("INSERT INTO rejected_rows VALUES (?, ?, ?)", [(x.file, x.row, x.reason) for x in r.rejected])
    con.commit()
    con.close()
    back = load_project(old)
    pd.testing.assert_frame_equal(pd.DataFrame(back.incidents).drop(columns="geometry"),
                                  pd.DataFrame(result.incidents).drop(columns="geometry"))
    assert back.incidents.geometry.geom_equals(result.incidents.geometry).all()
    assert back.settings["title"] == "v1" and back.report == result.report


@pytest.mark.filterwarnings("ignore:.*(non conformant file extension|filename extension should be):RuntimeWarning")
def test_project__is_a_geopackage_gdal_opens(tmp_path):
    import pyogrio

    path = save_project(Project.from_import(_sample(tmp_path)), tmp_path / "p.beatwise")
    layers = dict(pyogrio.list_layers(path))
    assert "beatwise_about" in layers
    about = pyogrio.read_dataframe(path, layer="beatwise_about")
    assert about["incidents"].iloc[0] == 2 and about["schema_version"].iloc[0] == projmod.SCHEMA_VERSION


def test_project__patrol_pings_keep_their_utc_instants(tmp_path):
    """Regression: a saved project's patrols came back with `t` as text without its time zone."""
    from analysis.ingest.tracks import read_pings

    p = tmp_path / "pings.csv"
    p.write_text("unit,time,lat,lon\nA,2024-03-31T00:30:00+00:00,51.5,0.7\nA,2024-03-31 03:00,51.5,0.71\n"
                 "B,1711846800,51.51,0.7\nB,1711846860,51.51,0.71\n", encoding="utf-8")
    pings = read_pings(p).pings
    proj = Project.from_import(_sample(tmp_path))
    proj.patrols = pings
    back = load_project(save_project(proj, tmp_path / "p.beatwise")).patrols
    assert str(back["t"].dt.tz) == "UTC"
    assert back["t"].tolist() == pings["t"].tolist()
    assert back["unit_id"].tolist() == pings["unit_id"].tolist()


def test_project_file__geopackage_1_3_for_gdal_3_6(tmp_path):
    """Regression: the .beatwise GeoPackage was 1.4, which Debian 12's GDAL 3.6 warns about on open."""
    import sqlite3

    from analysis.demo import demo_project
    from analysis.project import save_project

    path = save_project(demo_project(), tmp_path / "p.beatwise")
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10300
    finally:
        con.close()
