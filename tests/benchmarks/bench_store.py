"""Benchmark (make bench): the PostGIS store at force scale (issue 18).

1. ``store load`` of a 1,000,000-row data.police.uk CSV (the four real Essex months repeated, each
   copy in a later month), target at most 20 s; beside it the minimal reference: a bare ``COPY`` of
   the same rows already made (no parsing, checks or projection).
2. 10,000,000 incidents: the real Essex rows (loaded through ``store load``) repeated by SQL over 15
   years (45 four-month periods x 4 or 5 copies, times shifted, coordinates as they are).
   A filtered KDE (one district, one year) end to end: ``beatwise density STORE --area ... --from
   --to`` in this process, target at most 3 s; the same with ``--fetch-rows`` (no server binning);
   and the minimal reference, a ``count(*)`` of the filtered rows.
"""
from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pg_cluster import Cluster, available  # noqa: E402

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "police_uk"
ESSEX = [SHARED / f"2024-0{m}-essex-street.csv" for m in (1, 2, 3, 4)]
TARGET_ROWS = 10_000_000


@pytest.fixture(scope="module")
def cluster():
    why = available()
    if why:
        pytest.skip(why)
    if not all(f.exists() for f in ESSEX):
        pytest.skip("../shared/data/police_uk is absent")
    c = Cluster().start()
    yield c
    c.remove()


def _million_row_csv(path: Path) -> int:
    """The Essex months repeated to 1,000,000 data rows, copy k shifted by 4k months."""
    rows, header = [], None
    for f in ESSEX:
        with open(f, newline="", encoding="utf-8") as fh:
            r = csv.reader(fh)
            header = next(r)
            rows += list(r)
    month = header.index("Month")
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        k = 0
        while n < 1_000_000:
            for row in rows:
                if n == 1_000_000:
                    break
                y, m = map(int, row[month].split("-")) if row[month] else (2024, 1)
                m0 = (y * 12 + m - 1) + 4 * k
                out = list(row)
                out[month] = f"{m0 // 12}-{m0 % 12 + 1:02d}"
                w.writerow(out)
                n += 1
            k += 1
    return n


def test_benchmark__store_load_1m_rows(cluster, tmp_path):
    import psycopg

    from analysis.store.address import parse_address
    from analysis.store.load import load_files

    path = tmp_path / "essex-1m.csv"
    n = _million_row_csv(path)
    url = cluster.createdb("load1m") + "&table=incidents"
    t0 = time.perf_counter()
    result = load_files([path], parse_address(url))
    t_load = time.perf_counter() - t0
    # the minimal reference: COPY of the rows the load made, from a CSV of exactly those columns
    conn = psycopg.connect(parse_address(url).conninfo, autocommit=True)
    dump = tmp_path / "rows.csv"
    with open(dump, "wb") as fh, conn.cursor().copy(
            "COPY (SELECT incident_id, crime_type, location, area, lsoa, t_start, t_end, time_precision, weight, "
            "source_file, source_row, x, y, import_id FROM incidents) TO STDOUT (FORMAT csv)") as cp:
        for block in cp:
            fh.write(block)
    conn.execute("CREATE TABLE bare (LIKE incidents INCLUDING DEFAULTS)")
    conn.execute("ALTER TABLE bare DROP COLUMN geom, DROP COLUMN rid")
    t0 = time.perf_counter()
    with open(dump, "rb") as fh, conn.cursor().copy("COPY bare FROM STDIN (FORMAT csv)") as cp:
        while block := fh.read(1 << 20):
            cp.write(block)
    t_ref = time.perf_counter() - t0
    conn.close()
    print(f"\nstore load, {n:,} rows ({result.report.accepted:,} accepted, {len(result.report.rejected):,} rejected): "
          f"{t_load:.1f} s (target 20 s); minimal reference, bare COPY of the prepared rows without "
          f"indexes: {t_ref:.1f} s; load average {os.getloadavg()[0]:.1f}")
    assert result.report.rows_read == n


def _ten_million(cluster) -> str:
    import psycopg

    from analysis.store.address import parse_address
    from analysis.store.load import load_files

    url = cluster.createdb("force") + "&table=incidents"
    address = parse_address(url)
    base = load_files(ESSEX, address).report.accepted
    copies = -(-TARGET_ROWS // base)          # 195 for 51,443 real rows
    cols = ("incident_id, crime_type, location, area, lsoa, t_start, t_end, time_precision, weight, source_file, "
            "source_row, x, y, import_id")
    t0 = time.perf_counter()
    with psycopg.connect(address.conninfo, autocommit=True) as c:
        c.execute("SET maintenance_work_mem = '1GB'")
        idx = c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'incidents' "
                        "AND indexname NOT LIKE '%pkey'").fetchall()
        for name, _ in idx:
            c.execute(f'DROP INDEX "{name}"')
        # copy k: period k % 45 (4 months later each), the oldest first, so the table is in time order
        c.execute(f"INSERT INTO incidents ({cols}) SELECT incident_id || '-' || k, crime_type, location, area, lsoa, "
                  "t_start + make_interval(months => 4 * (k % 45)) - interval '15 years', "
                  "t_end + make_interval(months => 4 * (k % 45)) - interval '15 years', time_precision, weight, "
                  "source_file, source_row, x, y, import_id "
                  f"FROM incidents, generate_series(1, {copies - 1}) AS k ORDER BY k % 45, k, rid")
        c.execute(f"DELETE FROM incidents WHERE rid IN (SELECT rid FROM incidents ORDER BY rid DESC "
                  f"LIMIT (SELECT count(*) - {TARGET_ROWS} FROM incidents))")
        for _, definition in idx:
            c.execute(definition)
        c.execute("VACUUM ANALYZE incidents")
        n = c.execute("SELECT count(*) FROM incidents").fetchone()[0]
    print(f"\n10M store: {n:,} incidents from {base:,} real Essex rows x {copies}, built in "
          f"{time.perf_counter() - t0:.0f} s")
    return url


def test_benchmark__filtered_kde_10m_store(cluster, tmp_path):
    import json
    from datetime import date

    from analysis.cli import main
    from analysis.filters import Filters
    from analysis.store.address import parse_address
    from analysis.store.where import where_clause

    url = _ten_million(cluster)
    year = ["--area", "Southend-on-Sea", "--from", "2020-01-01", "--to", "2020-12-31"]
    times, first = {}, {}
    for name, extra in (("server", []), ("rows", ["--fetch-rows"])):
        runs = []
        for i in range(3):
            t0 = time.perf_counter()
            assert main(["density", url, *year, *extra, "--out", str(tmp_path / f"{name}{i}"), "--json"]) == 0
            runs.append(time.perf_counter() - t0)
        times[name], first[name] = min(runs), runs[0]
    s = json.loads((tmp_path / "server0" / "density.json").read_text())
    r = json.loads((tmp_path / "rows0" / "density.json").read_text())
    from psycopg import sql

    from analysis.store.connection import connect
    from analysis.store.tables import longest_window

    address = parse_address(url)
    with connect(address) as c:  # the same session settings and filter SQL as the command's
        clause, params = where_clause(Filters(area="Southend-on-Sea", date_from=date(2020, 1, 1),
                                              date_to=date(2020, 12, 31)), 27700, longest_window(c, address))
        t0 = time.perf_counter()
        k = c.execute(sql.SQL("SELECT count(*) FROM incidents WHERE {}").format(clause), params).fetchone()[0]
        t_ref = time.perf_counter() - t0
    print(f"\nfiltered KDE, one district one year of a 10,000,000-incident store ({s['incidents']:,} incidents, "
          f"{s['grid']['nx']} x {s['grid']['ny']} cells of {s['grid']['cell_m']:g} m): server binning "
          f"{times['server']:.2f} s end to end, best of 3 (first run {first['server']:.2f} s; target 3 s); "
          f"fetching the rows instead {times['rows']:.2f} s (first {first['rows']:.2f} s); minimal reference, "
          f"count(*) of the filtered rows: {t_ref:.2f} s; load average {os.getloadavg()[0]:.1f}")
    assert s["incidents"] == r["incidents"] == k > 0
