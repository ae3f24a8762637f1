"""``store load``: every row accounted for, the import log, a re-load refused, one transaction."""
from __future__ import annotations

import csv
import hashlib
import json

import psycopg
import pytest

from analysis.cli import main
from analysis.progress import BeatwiseError
from analysis.store.address import parse_address
from analysis.store.load import load_files


def _data_rows(path) -> int:
    """Rows of a CSV counted with the csv module, independently of the importer."""
    with open(path, newline="", encoding="utf-8") as fh:
        return sum(1 for row in csv.reader(fh) if any(c.strip() for c in row)) - 1


def _count(url, sql):
    with psycopg.connect(parse_address(url).conninfo) as c:
        return c.execute(sql).fetchone()[0]


def test_load_logs_each_file_and_keeps_the_rejected_rows(pg_db, essex_files, capsys):
    url = pg_db + "&table=essex"
    files = [str(f) for f in essex_files[:2]]
    assert main(["store", "load", *files, url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["created"] and out["crs"] == "EPSG:27700"
    for f, logged in zip(files, out["files"]):
        assert logged["file"] == f
        assert logged["rows_read"] == _data_rows(f) == logged["accepted"] + logged["rejected"]
        assert logged["sha256"] == hashlib.sha256(open(f, "rb").read()).hexdigest()
    assert _count(url, "SELECT count(*) FROM essex") == sum(x["accepted"] for x in out["files"]) == out["rows_in_store"]
    assert _count(url, "SELECT count(*) FROM essex_rejected") == sum(x["rejected"] for x in out["files"]) > 0
    assert _count(url, "SELECT count(*) FROM essex_imports WHERE loaded_by = current_user") == 2
    assert _count(url, "SELECT count(DISTINCT ST_SRID(geom)) FROM essex") == 1
    assert _count(url, "SELECT (report->>'rows_read')::int FROM essex_imports LIMIT 1") == \
        sum(x["rows_read"] for x in out["files"])
    indexes = _count(url, "SELECT string_agg(indexdef, ' ') FROM pg_indexes WHERE tablename = 'essex'")
    assert "USING gist (geom)" in indexes and "USING brin (t_start)" in indexes


def test_reloading_a_file_is_refused_and_changes_nothing(pg_db, essex_files, tmp_path, capsys):
    url = pg_db + "&table=essex"
    load_files(essex_files[:1], parse_address(url))
    n = _count(url, "SELECT count(*) FROM essex")
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(essex_files[0].read_bytes())  # same bytes, another name
    assert main(["store", "load", str(essex_files[1]), str(copy), url]) == 2
    assert "already in the store (import 1" in capsys.readouterr().err
    assert _count(url, "SELECT count(*) FROM essex") == n
    assert _count(url, "SELECT count(*) FROM essex_imports") == 1


def test_a_dropped_connection_mid_copy_leaves_the_table_as_it_was(pg_db, essex_files):
    """The server ends the loading session while rows stream in: nothing of that load stays."""
    url = pg_db + "&table=essex"
    address = parse_address(url)
    load_files(essex_files[:1], address)
    before = _count(url, "SELECT count(*) FROM essex"), _count(url, "SELECT count(*) FROM essex_imports")
    from tests.conftest import terminate_beatwise_sessions_on

    with pytest.raises(BeatwiseError, match="stopped or the connection dropped|unreachable"):
        load_files(essex_files[1:3], address, progress=terminate_beatwise_sessions_on(url, "Sent"))
    assert (_count(url, "SELECT count(*) FROM essex"), _count(url, "SELECT count(*) FROM essex_imports")) == before
    load_files(essex_files[1:2], address)  # and the file can be loaded afterwards
    assert _count(url, "SELECT count(*) FROM essex_imports") == 2


def test_later_loads_are_projected_to_the_store_crs(pg_db, demo_dir, tmp_path):
    """The demo is in Southend (EPSG:27700); the store keeps one CRS and says which."""
    address = parse_address(pg_db + "&table=demo")
    r = load_files([demo_dir / "incidents.csv"], address)
    assert r.crs == "EPSG:27700" and r.rows_in_store == r.report.accepted


def test_not_a_beatwise_table(pg_db):
    from analysis.store.read import read_store

    with psycopg.connect(parse_address(pg_db).conninfo, autocommit=True) as c:
        c.execute("CREATE TABLE other (a int)")
    with pytest.raises(BeatwiseError, match="not a Beatwise incidents table"):
        read_store(parse_address(pg_db + "&table=other"))
    with pytest.raises(BeatwiseError, match="there is no table public.nothing"):
        read_store(parse_address(pg_db + "&table=nothing"))


def test_the_log_records_each_files_longest_window(pg_db, demo_dir):
    """The bound the date filters use (``where.where_clause``'s ``t_start >= date_from - W``) is safe
    only if W is the longest window in the table: the log's figure against the table's own."""
    from datetime import date

    from analysis.filters import Filters
    from analysis.store.connection import connect
    from analysis.store.read import read_store
    from analysis.store.tables import longest_window
    from tests.conftest import SHARED_DATA

    files = [demo_dir / "incidents.csv"]
    nyc = SHARED_DATA / "timed" / "nyc_motor_vehicle_thefts_2014_2017_from_to.csv"
    if nyc.exists():
        files.append(nyc)
    url = pg_db + "&table=timed"
    load_files(files, parse_address(url))
    table = _count(url, "SELECT extract(epoch FROM max(t_end - t_start)) FROM timed")
    with connect(parse_address(url)) as conn:
        w = longest_window(conn, parse_address(url))
    assert w.total_seconds() == pytest.approx(float(table), abs=1e-6) and w.total_seconds() > 0
    # the rows of a range equal the rows the unbounded filter (no log figure) keeps
    mid = _count(url, "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY t_start) FROM timed").date()
    f = Filters(date_from=mid, date_to=date(mid.year + 1, 2, 28))
    bounded = read_store(parse_address(url), f, geometry=False).incidents
    with psycopg.connect(parse_address(url).conninfo, autocommit=True) as c:
        c.execute("ALTER TABLE timed_imports DROP COLUMN longest_window_s")
    unbounded = read_store(parse_address(url), f, geometry=False).incidents
    assert 0 < len(bounded) == len(unbounded) and set(bounded["incident_id"]) == set(unbounded["incident_id"])


def test_an_analyst_with_create_on_the_schema_only_can_load_and_write_results(pg_db, demo_dir):
    """Regression (stop 26): ``CREATE SCHEMA IF NOT EXISTS`` needs CREATE on the database even
    when the schema exists, so an analyst granted CREATE on ``public`` alone was refused."""
    import os

    from analysis.export.vector import StyledLayer, qml_hotspots, sld_hotspots
    from analysis.store.results import write_results

    role = f"analyst_{os.getpid()}"
    with psycopg.connect(parse_address(pg_db).conninfo, autocommit=True) as c:
        c.execute(f"CREATE ROLE {role} LOGIN")
        c.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}")
        db = c.execute("SELECT current_database()").fetchone()[0]
        c.execute(f"REVOKE CREATE ON DATABASE {db} FROM PUBLIC")
    url = pg_db.replace("user=postgres", f"user={role}") + "&table=mine"
    assert f"user={role}" in url
    load_files([demo_dir / "incidents.csv"], parse_address(url))
    assert _count(url, "SELECT count(*) FROM mine") > 0 and _count(url, "SELECT current_user") == role
    import geopandas as gpd
    from shapely.geometry import box

    areas = gpd.GeoDataFrame({"rank": [1]}, geometry=[box(0, 0, 50, 50)], crs="EPSG:27700")
    write_results(parse_address(url), [StyledLayer("hotspots", areas, qml_hotspots(), sld_hotspots(), "areas")],
                  schema="public", prefix="mine", command="test", parameters={})
    assert _count(url, "SELECT count(*) FROM mine_hotspots") == 1


def test_results_to_a_schema_the_user_may_not_write_are_refused_before_any_work(pg_db, demo_dir, capsys):
    import os

    from analysis.cli import main

    role = f"reader_{os.getpid()}"
    load_files([demo_dir / "incidents.csv"], parse_address(pg_db + "&table=inc"))
    with psycopg.connect(parse_address(pg_db).conninfo, autocommit=True) as c:
        c.execute(f"CREATE ROLE {role} LOGIN")
        c.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    url = pg_db.replace("user=postgres", f"user={role}")
    code = main(["hotspots", url + "&table=inc", "--out", url + "&table=res"])
    err = capsys.readouterr().err
    assert code == 2 and f"user {role} may not create tables in schema public" in err
    assert "GRANT CREATE ON SCHEMA public" in err and "Reading" not in err   # no import was started
