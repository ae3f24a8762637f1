"""The filtered incidents from a store, as the incidents frame every analysis takes.

The filters run on the server (:func:`analysis.store.where.where_clause`); only the matching rows
cross the network, as CSV from ``COPY (SELECT ...) TO STDOUT`` parsed by Arrow, in load order
(``rid``), so a store gives exactly the frame the same files give. Callers that need fewer
columns (coordinates only) name them. The report says the rows came from the store, how many
it holds, and which filters the server applied.
"""
from __future__ import annotations

import io
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.filters import Filters
from analysis.ingest.schema import COLUMNS, ImportResult, STRING_COLUMNS
from analysis.ingest.validation import ImportReport
from analysis.progress import ProgressFn, report
from analysis.store.address import StoreAddress
from analysis.store.connection import connect, store_errors
from analysis.store.tables import COLUMN_TYPES, check_incidents_table, longest_window, names
from analysis.store.where import where_clause

_ARROW_TYPES = {"text": "large_string", "timestamp": "timestamp[us]", "float8": "float64", "bigint": "int64"}


def fetch_csv(conn, query, params, columns: Sequence[str]):
    """Run ``COPY (query) TO STDOUT`` and parse it with Arrow: a ``pyarrow.Table`` of ``columns``."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from psycopg import sql

    buf = io.BytesIO()
    with conn.cursor() as cur:
        with cur.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(query), params) as copy:
            for block in copy:
                buf.write(block)
    types = {c: pa.type_for_alias(_ARROW_TYPES[COLUMN_TYPES[c]]) for c in columns}
    if buf.tell() == 0:
        return pa.table({c: pa.array([], type=t) for c, t in types.items()})
    buf.seek(0)
    return pacsv.read_csv(buf, read_options=pacsv.ReadOptions(column_names=list(columns)),
                          convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                               quoted_strings_can_be_null=False))


def incidents_frame(table, crs: str, geometry: bool) -> pd.DataFrame:
    """An Arrow table of the store's columns as the incidents frame (GeoDataFrame or x/y table)."""
    import pyarrow as pa

    out = {}
    for c in table.column_names:
        col = table.column(c)
        if c in STRING_COLUMNS:
            out[c] = pd.array(col.cast(pa.large_string()), dtype="str")
        elif c in ("t_start", "t_end"):
            out[c] = col.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
        else:
            out[c] = col.to_numpy()
    frame = pd.DataFrame(out)
    if not geometry:
        frame.attrs["crs"] = crs
        return frame
    import geopandas as gpd

    from analysis.ingest.crs import geoseries, point_array
    from analysis.ingest.frame import shared_points

    x, y = frame.pop("x").to_numpy(), frame.pop("y").to_numpy()
    shared = shared_points(x, y) if len(x) else None
    if shared is None:
        shapes = point_array(x, y)
    else:
        codes, ux, uy = shared
        shapes = point_array(ux, uy)[codes]
    return gpd.GeoDataFrame(frame, geometry=geoseries(shapes, crs), crs=crs)


def store_report(conn, address: StoreAddress, filters: Optional[Filters], n: int, crs: str,
                 precision: str, bounds) -> ImportReport:
    """The report of a read: the rows came from the store (none rejected: the load kept those)."""
    from psycopg import sql

    t = names(address)
    total, synthetic = conn.execute(sql.SQL(
        "SELECT (SELECT count(*) FROM {}), coalesce(bool_or((report->>'synthetic')::boolean), false) FROM {}"
    ).format(t["incidents"], t["imports"])).fetchone()
    warnings = []
    if filters is not None and not filters.is_empty():
        warnings.append(f"filtered on the server ({filters.describe()}): {n:,} of {total:,} incidents in the store")
    if precision == "month":
        warnings.append("no time of day: month only (data.police.uk); hour-of-day and shift "
                        "analysis need force data with times")
    return ImportReport(files=(address.redacted(),), rows_read=n, accepted=n, warnings=tuple(warnings), crs=crs,
                        time_precision=precision, bounds=bounds,
                        columns={address.redacted(): {"format": "PostGIS store", "rows_in_store": int(total)}},
                        synthetic=bool(synthetic))


def read_store(address: StoreAddress, filters: Optional[Filters] = None, *, geometry: bool = True,
               progress: Optional[ProgressFn] = None) -> ImportResult:
    """The incidents of the store at ``address`` that pass ``filters``, with a report.

    Parameters
    ----------
    address : StoreAddress
    filters : Filters, optional
        Applied by the server (crime types, dates, area, polygon).
    geometry : bool
        False: an incidents table with ``x``, ``y`` (``attrs["crs"]``), as
        :func:`analysis.ingest.incidents.read_incidents`.

    Raises
    ------
    BeatwiseError
        The store is unreachable, stops mid-query, or has no incidents table.
    """
    from psycopg import sql

    from analysis.ingest.frame import overall_precision

    conn = connect(address)
    try:
        with store_errors(address, "reading incidents"):
            srid = check_incidents_table(conn, address)
            crs = f"EPSG:{srid}"
            clause, params = where_clause(filters, srid, longest_window(conn, address))
            columns = list(COLUMNS) + ["x", "y"]
            select = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY rid").format(
                select, names(address)["incidents"], clause)
            report(progress, 0.05, "Reading incidents from the store")
            table = fetch_csv(conn, query, params, columns)
            report(progress, 0.8, f"Read {table.num_rows:,} incidents")
            frame = incidents_frame(table, crs, geometry)
            n = len(frame)
            x = table.column("x").to_numpy()
            y = table.column("y").to_numpy()
            bounds = (float(x.min()), float(y.min()), float(x.max()), float(y.max())) if n else None
            precision = overall_precision(frame["time_precision"]) if n else "none"
            rep = store_report(conn, address, filters, n, crs, precision, bounds)
        report(progress, 1.0, f"{n:,} incidents from the store")
        return ImportResult(frame, rep)
    finally:
        conn.close()


def project_from_store(address, filters: Optional[Filters] = None, progress: Optional[ProgressFn] = None, *,
                       geometry: bool = True):
    """A :class:`analysis.project.Project` of the store's incidents that pass ``filters`` (filtered on
    the server). Its settings name the store (never with a password) and the filters it was read with."""
    from analysis.project import Project
    from analysis.store.address import parse_address

    address = address if isinstance(address, StoreAddress) else parse_address(address)
    result = read_store(address, filters, geometry=geometry, progress=progress)
    return Project.from_import(result, store=address.redacted(), title=f"{address.schema}.{address.table}",
                               store_filters=(filters or Filters()).to_dict())


def list_tables(address: StoreAddress) -> list[dict]:
    """The Beatwise incidents tables in the store's database: schema, table, rows (estimate), SRID."""
    conn = connect(address)
    try:
        with store_errors(address, "listing tables"):
            rows = conn.execute(
                "SELECT g.f_table_schema, g.f_table_name, g.srid, c.reltuples::bigint "
                "FROM geometry_columns g JOIN pg_class c ON c.relname = g.f_table_name "
                "JOIN pg_namespace s ON s.oid = c.relnamespace AND s.nspname = g.f_table_schema "
                "WHERE g.f_geometry_column = 'geom' AND EXISTS (SELECT 1 FROM information_schema.columns i "
                "WHERE i.table_schema = g.f_table_schema AND i.table_name = g.f_table_name "
                "AND i.column_name = 'time_precision') ORDER BY 1, 2").fetchall()
        return [{"schema": r[0], "table": r[1], "srid": int(r[2]), "rows": max(int(r[3]), 0)} for r in rows]
    finally:
        conn.close()


def import_log(address: StoreAddress) -> list[dict]:
    """The store's import log, oldest first (the report itself left out)."""
    from psycopg import sql

    conn = connect(address)
    try:
        with store_errors(address, "reading the import log"):
            check_incidents_table(conn, address)
            cur = conn.execute(sql.SQL("SELECT import_id, file, rows_read, accepted, rejected, sha256, size_bytes, "
                                       "loaded_at, loaded_by, crs FROM {} ORDER BY import_id"
                                       ).format(names(address)["imports"]))
            cols = [d.name for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        conn.close()
