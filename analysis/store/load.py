"""``beatwise store load``: files into the store through the normal import, in one transaction.

Each file is read by :func:`analysis.ingest.incidents.read_incidents` (every row accounted for:
accepted + rejected = rows read), projected to the store's working CRS, and sent with ``COPY``
(CSV made by Arrow, a few MB at a time). The import log gets one row per file (file, rows,
SHA-256, size, when, by whom, the report) and the rejected rows are kept. Everything happens
in one transaction under an advisory lock: a dropped connection or a stopped server leaves
the tables exactly as they were. A file whose SHA-256 is already in the log is refused. The first
load, or one larger than the table, builds the indexes after the rows are in (each index built once,
sorted: PostgreSQL's advice for bulk loads), still inside the transaction; smaller loads keep them.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from analysis.store.address import StoreAddress
from analysis.store.connection import connect, store_errors
from analysis.store.tables import COLUMN_TYPES, create_indexes, create_tables, drop_indexes, names, store_srid

COPY_ROWS = 200_000


@dataclass(frozen=True)
class LoadedFile:
    """One file's row in the import log."""

    import_id: int
    file: str
    rows_read: int
    accepted: int
    rejected: int
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class LoadResult:
    """What ``store load`` did: the files logged, the import report, the store's CRS and row count."""

    store: str
    files: tuple[LoadedFile, ...]
    report: object
    crs: str
    rows_in_store: int
    created: bool

    def to_dict(self) -> dict:
        return {"store": self.store, "created": self.created, "crs": self.crs,
                "rows_in_store": self.rows_in_store,
                "files": [f.__dict__ for f in self.files], "import": self.report.to_dict()}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _epsg(crs: str) -> int:
    from pyproj import CRS

    code = CRS.from_user_input(crs).to_epsg()
    if code is None:
        raise BeatwiseError(f"the working CRS {crs} has no EPSG code; a store needs one (give --crs EPSG:N)")
    return int(code)


def copy_csv(frame: pd.DataFrame, import_ids: np.ndarray) -> "pa.Table":  # noqa: F821
    """The rows as an Arrow table in the COPY column order (times to microseconds)."""
    import pyarrow as pa

    cols, arrays = [], []
    for c in COLUMN_TYPES:
        s = frame[c]
        if c in ("t_start", "t_end"):
            arr = pa.array(s.to_numpy(dtype="datetime64[us]"), type=pa.timestamp("us"),
                           from_pandas=True)
        elif pd.api.types.is_string_dtype(s.dtype):
            arr = pa.array(s, type=pa.large_string(), from_pandas=True)
        else:
            arr = pa.array(s.to_numpy())
        cols.append(c)
        arrays.append(arr)
    cols.append("import_id")
    arrays.append(pa.array(import_ids.astype(np.int32)))
    return pa.Table.from_arrays(arrays, names=cols)


def _copy_rows(cur, table, target, progress: Optional[ProgressFn]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from psycopg import sql

    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names))
    opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    n = table.num_rows
    with cur.copy(stmt) as copy:
        for start in range(0, max(n, 1), COPY_ROWS):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(table.slice(start, COPY_ROWS), sink, opts)
            copy.write(sink.getvalue().to_pybytes())
            report(progress, min(1.0, (start + COPY_ROWS) / max(n, 1)),
                   f"Sent {min(n, start + COPY_ROWS):,} of {n:,} incidents")


def load_files(paths: Sequence, address: StoreAddress, mapping=None, *,
               progress: Optional[ProgressFn] = None) -> LoadResult:
    """Import ``paths`` (files or folders) and append them to the store at ``address``.

    Raises
    ------
    BeatwiseError
        A file already loaded (same SHA-256), unreadable input, or a store fault (nothing written).
    """
    from analysis.ingest.incidents import read_incidents
    from analysis.ingest.sources import expand_paths

    files, _ = expand_paths(paths)
    sums = {}
    for f in files:
        digest = file_sha256(f)
        if digest in sums.values():
            other = next(k for k, v in sums.items() if v == digest)
            raise BeatwiseError(f"{f}: the same file as {other} (SHA-256 {digest[:12]}...); give it once")
        sums[f] = digest
    conn = connect(address, write=True)
    n = names(address)
    try:
        with store_errors(address, "loading"):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                             (f"beatwise:{address.schema}.{address.table}",))
                srid = store_srid(conn, address)
                if srid is not None:
                    from psycopg import sql

                    for f, digest in sums.items():
                        row = conn.execute(sql.SQL("SELECT import_id, file, loaded_at, loaded_by FROM {} "
                                                   "WHERE sha256 = %s ORDER BY import_id LIMIT 1"
                                                   ).format(n["imports"]), (digest,)).fetchone()
                        if row is not None:
                            raise BeatwiseError(
                                f"{f}: already in the store (import {row[0]}, {row[1]}, loaded "
                                f"{row[2]:%Y-%m-%d %H:%M} by {row[3]}); nothing was loaded")
                report(progress, 0.0, f"Reading {len(files)} file(s)")
                result = read_incidents(files, mapping, working_crs=f"EPSG:{srid}" if srid else None,
                                        progress=scaled(progress, 0.0, 0.4), geometry=False)
                crs = result.report.crs
                created = srid is None
                if created:
                    srid = _epsg(crs)
                    create_tables(conn, address, srid)
                frame = result.incidents
                rebuild = created or len(frame) > _rows_in(conn, n)
                if rebuild and not created:
                    drop_indexes(conn, address)  # rebuilt below, in this transaction
                accepted = frame["source_file"].value_counts().to_dict() if len(frame) else {}
                logged = _log_imports(conn, n, files, sums, result.report, crs, accepted, _longest_windows(frame))
                ids = {lf.file: lf.import_id for lf in logged}
                import_ids = frame["source_file"].map(ids).to_numpy() if len(frame) else np.zeros(0, int)
                if len(frame) and pd.isna(import_ids).any():
                    raise BeatwiseError("an incident's source file is not among the files loaded")
                report(progress, 0.4, f"Sending {len(frame):,} incidents")
                with conn.cursor() as cur:
                    _copy_rows(cur, copy_csv(frame, import_ids.astype(np.int64)), n["incidents"],
                               scaled(progress, 0.4, 0.95))
                    _copy_rejected(cur, n["rejected"], result.report, ids)
                from psycopg import sql

                if rebuild:
                    report(progress, 0.95, "Indexing")
                    create_indexes(conn, address)
                total = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(n["incidents"])).fetchone()[0]
                conn.execute(sql.SQL("ANALYZE {}").format(n["incidents"]))
                report(progress, 0.97, "Committing")
        report(progress, 1.0, f"Loaded {len(frame):,} incidents; {total:,} in the store")
        return LoadResult(store=address.redacted(), files=tuple(logged), report=result.report, crs=crs,
                          rows_in_store=int(total), created=created)
    finally:
        conn.close()


def _rows_in(conn, n) -> int:
    """The planner's estimate of the rows in the incidents table (cheap; exact enough to decide)."""
    from psycopg import sql

    return int(conn.execute(sql.SQL("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass"),
                            (n["incidents"].as_string(conn),)).fetchone()[0])


def _longest_windows(frame: pd.DataFrame) -> dict:
    """Per source file, the longest ``t_end - t_start`` in seconds (0 for exact times and no times)."""
    if not len(frame):
        return {}
    span = (frame["t_end"] - frame["t_start"]).dt.total_seconds().fillna(0.0).clip(lower=0.0)
    return span.groupby(frame["source_file"].to_numpy()).max().to_dict()


def _log_imports(conn, n, files, sums, rep, crs, accepted_by_file: dict, windows: dict) -> list[LoadedFile]:
    import json

    from psycopg import sql
    from psycopg.types.json import Jsonb

    rejected_by_file: dict = {}
    for r in rep.rejected:
        rejected_by_file[r.file] = rejected_by_file.get(r.file, 0) + 1
    report_json = json.loads(json.dumps(rep.to_dict(), default=str))
    out = []
    for f in files:
        key = str(f)
        acc = accepted_by_file.get(key, 0)
        rej = rejected_by_file.get(key, 0)
        size = os.path.getsize(f)
        row = conn.execute(sql.SQL("INSERT INTO {} (file, rows_read, accepted, rejected, sha256, size_bytes, crs, "
                                   "longest_window_s, report) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                                   "RETURNING import_id"
                                   ).format(n["imports"]),
                           (key, acc + rej, acc, rej, sums[f], size, crs, float(windows.get(key, 0.0)),
                            Jsonb(report_json))).fetchone()
        out.append(LoadedFile(int(row[0]), key, acc + rej, acc, rej, sums[f], size))
    return out


def _copy_rejected(cur, target, rep, ids: dict) -> None:
    from psycopg import sql

    if not rep.rejected:
        return
    with cur.copy(sql.SQL("COPY {} (import_id, file, row, reason) FROM STDIN").format(target)) as copy:
        for r in rep.rejected:
            copy.write_row((ids.get(r.file), r.file, int(r.row), r.reason))
