"""A store gives what the same files give: the incidents frame, the filters, hotspots, Gi*, the matrix."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from analysis.filters import Filters, apply_filters
from analysis.ingest.incidents import read_incidents
from analysis.store.address import parse_address
from analysis.store.read import project_from_store, read_store
from tests.conftest import SHARED_DATA

FILTERS = [
    Filters(),
    Filters(crime_types=("Burglary", "drugs")),
    Filters(date_from=pd.Timestamp("2024-02-10").date(), date_to=pd.Timestamp("2024-03-05").date()),
    Filters(area="southend-on-sea"),
    Filters(area="Southend-on-Sea 0", crime_types=("Violence and sexual offences",),
            date_from=pd.Timestamp("2024-03-01").date()),
    Filters(polygon=shapely.box(585000, 185000, 590000, 188000)),
]


@pytest.fixture(scope="module")
def csv_frame(essex_files):
    return read_incidents(essex_files, geometry=False).incidents


def test_store_gives_the_files_frame(essex_store, csv_frame):
    got = read_store(parse_address(essex_store), geometry=False).incidents
    pd.testing.assert_frame_equal(got.reset_index(drop=True), csv_frame.reset_index(drop=True))
    assert got.attrs["crs"] == "EPSG:27700"


def test_store_gives_the_files_points(essex_store, essex_files):
    got = read_store(parse_address(essex_store), filters=Filters(area="Rochford")).incidents
    want = apply_filters(read_incidents(essex_files).incidents, Filters(area="Rochford"))
    assert got.crs == want.crs
    assert np.array_equal(shapely.get_coordinates(got.geometry), shapely.get_coordinates(want.geometry))
    assert list(got["incident_id"]) == list(want["incident_id"])


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.describe())
def test_server_filters_keep_the_rows_apply_filters_keeps(essex_store, csv_frame, filters):
    got = read_store(parse_address(essex_store), filters, geometry=False)
    want = apply_filters(csv_frame, filters)
    assert len(want) > 0
    assert list(got.incidents["incident_id"]) == list(want["incident_id"])
    assert np.array_equal(got.incidents["x"].to_numpy(), want["x"].to_numpy())
    assert got.report.accepted == got.report.rows_read == len(want)


def test_hotspots_and_gi_classes_equal_the_files(essex_store, csv_frame):
    from analysis.hotspots.analysis import hotspot_analysis

    f = Filters(area="Southend-on-Sea")
    a = hotspot_analysis(read_store(parse_address(essex_store), f, geometry=False).incidents)
    b = hotspot_analysis(apply_filters(csv_frame, f))
    assert len(a.areas.hotspots) == len(b.areas.hotspots) > 0
    assert [h.incidents for h in a.areas.hotspots] == [h.incidents for h in b.areas.hotspots]
    assert np.array_equal(a.gi.classes, b.gi.classes)
    assert (a.gi.classes != 0).any()
    assert np.array_equal(a.surface.values, b.surface.values)


def test_temporal_matrix_equals_the_files(pg_db, demo_dir):
    """The demo has minute times (the Essex files only months): the 168 cells are identical."""
    from analysis.store.load import load_files
    from analysis.temporal.matrix import hour_weekday_matrix

    address = parse_address(pg_db + "&table=demo")
    load_files([demo_dir / "incidents.csv"], address)
    f = Filters(date_from=pd.Timestamp("2025-03-01").date(), date_to=pd.Timestamp("2025-06-30").date())
    got = hour_weekday_matrix(read_store(address, f, geometry=False).incidents)
    want = hour_weekday_matrix(apply_filters(read_incidents([demo_dir / "incidents.csv"], geometry=False).incidents, f))
    assert got.n == want.n > 1000
    assert np.array_equal(got.matrix, want.matrix)


def test_month_only_matrix_equals_the_files(essex_store, csv_frame):
    from analysis.temporal.matrix import hour_weekday_matrix

    got = hour_weekday_matrix(read_store(parse_address(essex_store), Filters(area="Basildon"), geometry=False).incidents)
    want = hour_weekday_matrix(apply_filters(csv_frame, Filters(area="Basildon")))
    assert (got.matrix is None) == (want.matrix is None)
    assert got.excluded_by_precision == want.excluded_by_precision and got.message == want.message


def test_hostile_names_are_data_not_sql(pg_db, demo_dir):
    """A table and a crime type made of SQL: the table is made under that name, the filter matches
    nothing, and every table is still there."""
    from analysis.store.load import load_files

    hostile = 'x"; DROP TABLE demo; --'
    address = parse_address(pg_db + "&table=demo")
    load_files([demo_dir / "incidents.csv"], address)
    evil = address.with_table(f"public.{hostile}")
    load_files([demo_dir / "incidents.csv"], evil)
    n = len(read_store(address, geometry=False).incidents)
    assert len(read_store(evil, geometry=False).incidents) == n
    for t in ("Burglary' OR '1'='1", "'); DROP TABLE demo; --", "%", "_"):
        assert len(read_store(address, Filters(crime_types=(t,)), geometry=False).incidents) == 0
    assert len(read_store(address, Filters(area="%"), geometry=False).incidents) == 0
    assert len(read_store(address, geometry=False).incidents) == n


def test_analysis_connections_cannot_write(essex_store):
    import psycopg

    from analysis.store.connection import connect

    conn = connect(parse_address(essex_store))
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM essex")
    finally:
        conn.close()


def test_project_from_store_keeps_no_password(pg_cluster, essex_store, tmp_path):
    """trust authentication accepts any password: the one in the URL must not reach the project file."""
    from analysis.project import load_project, save_project

    url = essex_store.replace("postgresql:///", "postgresql://postgres:SeCrEt@/")
    project = project_from_store(url, Filters(area="Castle Point"))
    assert "SeCrEt" not in str(project.settings) and "SeCrEt" not in str(project.report.to_dict())
    path = save_project(project, tmp_path / "castle.beatwise")
    assert b"SeCrEt" not in path.read_bytes()
    assert len(load_project(path).incidents) == len(project.incidents) > 0


@pytest.fixture(scope="module")
def timed_store(pg_cluster, demo_dir):
    """The demo (minute times) and the NYC thefts (from/to windows) in one store."""
    import os

    from analysis.store.load import load_files

    files = [demo_dir / "incidents.csv"]
    nyc = SHARED_DATA / "timed" / "nyc_motor_vehicle_thefts_2014_2017_from_to.csv"
    if nyc.exists():
        files.append(nyc)
    url = pg_cluster.createdb(f"timed_{os.getpid()}") + "&table=timed"
    load_files(files, parse_address(url))
    return url, files


@pytest.mark.parametrize("filters", [Filters(), Filters(date_from=pd.Timestamp("2015-03-01").date(),
                                                         date_to=pd.Timestamp("2025-06-30").date()),
                                     Filters(crime_types=("burglary",))], ids=lambda f: f.describe())
def test_168_sums_on_the_server_equal_the_matrix(timed_store, filters):
    from analysis.store.week import server_week_profile
    from analysis.temporal.matrix import hour_weekday_matrix

    url, files = timed_store
    got, rep = server_week_profile(parse_address(url), filters)
    assert rep.accepted == got.n_total
    want = hour_weekday_matrix(apply_filters(read_incidents(files, geometry=False).incidents, filters))
    assert got.n == want.n > 0
    np.testing.assert_allclose(got.matrix, want.matrix, rtol=1e-12, atol=1e-9)
    for key in ("n_total", "n_exact", "n_window", "n_window_over_week", "excluded_by_precision", "message",
                "by_month", "by_crime_type", "weighting", "peak"):
        assert getattr(got, key) == getattr(want, key), key
    assert got.total_weight == pytest.approx(want.total_weight, rel=1e-12)


def test_168_sums_of_month_only_data(essex_store, csv_frame):
    from analysis.store.week import server_week_profile
    from analysis.temporal.matrix import hour_weekday_matrix

    got, rep = server_week_profile(parse_address(essex_store), Filters(area="Basildon"))
    assert rep.time_precision == "month"
    want = hour_weekday_matrix(apply_filters(csv_frame, Filters(area="Basildon")))
    assert got.matrix is None and want.matrix is None
    assert (got.message, got.by_month, got.by_crime_type) == (want.message, want.by_month, want.by_crime_type)
