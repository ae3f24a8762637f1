"""The store's tables: incidents, the import log and the rejected rows.

For an incidents table ``S.T`` (default ``public.incidents``)::

    S.T            rid (identity, primary key), the incidents frame's columns (DESIGN.md section 2),
                   x, y (float8, working CRS), geom geometry(Point, SRID) generated from x, y,
                   import_id (of S.T_imports; no foreign key: a per-row check would double a load's time); GiST index on geom, BRIN on t_start and t_end, b-tree on
                   crime_type and on lower(area), lower(lsoa) (prefix searches)
    S.T_imports    import_id, file, rows_read, accepted, rejected, sha256, size_bytes, loaded_at,
                   loaded_by, crs, report (jsonb: the import report, as ``beatwise import --json``)
    S.T_rejected   import_id, file, row, reason (every row the import refused)

One working CRS per store: the SRID of ``geom``; later loads are projected to it.
"""
from __future__ import annotations

from typing import Optional

from analysis.progress import BeatwiseError
from analysis.store.address import StoreAddress

STRING_COLUMNS = ("incident_id", "crime_type", "location", "area", "lsoa", "time_precision", "source_file")
#: incidents-frame column -> SQL type, in the order COPY sends them
COLUMN_TYPES = {
    "incident_id": "text", "crime_type": "text", "location": "text", "area": "text", "lsoa": "text",
    "t_start": "timestamp", "t_end": "timestamp", "time_precision": "text", "weight": "float8",
    "source_file": "text", "source_row": "bigint", "x": "float8", "y": "float8",
}


def ident(*names: str):
    """A quoted (schema-qualified) identifier: psycopg quotes it, so no name can inject SQL."""
    from psycopg import sql

    return sql.Identifier(*names)


#: index key -> (name suffix, definition after ``ON table``)
INDEXES = {
    "gist": ("_geom_gist", "USING gist (geom)"),
    "brin": ("_t_start_brin", "USING brin (t_start)"),
    "brin_end": ("_t_end_brin", "USING brin (t_end)"),
    "type_idx": ("_crime_type_idx", "(crime_type)"),
    "import_idx": ("_import_idx", "(import_id)"),
    "area_idx": ("_area_prefix_idx", "(lower(area) text_pattern_ops)"),
    "lsoa_idx": ("_lsoa_prefix_idx", "(lower(lsoa) text_pattern_ops)"),
}


def names(address: StoreAddress) -> dict:
    """The quoted identifiers of a store's tables."""
    s, t = address.schema, address.table
    return {"schema": ident(s), "incidents": ident(s, t), "imports": ident(s, f"{t}_imports"),
            "rejected": ident(s, f"{t}_rejected")}


def table_exists(conn, address: StoreAddress) -> bool:
    row = conn.execute("SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)) IS NOT NULL",
                       (address.schema, address.table)).fetchone()
    return bool(row[0])


def store_srid(conn, address: StoreAddress) -> Optional[int]:
    """The SRID of the incidents' geometry, or None when the table does not exist yet."""
    if not table_exists(conn, address):
        return None
    row = conn.execute("SELECT srid FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s "
                       "AND f_geometry_column = 'geom'", (address.schema, address.table)).fetchone()
    if row is None:
        raise BeatwiseError(f"store {address.redacted()}: {address.schema}.{address.table} exists but is not "
                            "a Beatwise incidents table (no geom column); name another with ?table=")
    return int(row[0])


def check_incidents_table(conn, address: StoreAddress) -> int:
    """The SRID of an existing incidents table with every column Beatwise reads; else BeatwiseError."""
    srid = store_srid(conn, address)
    if srid is None:
        raise BeatwiseError(f"store {address.redacted()}: there is no table {address.schema}.{address.table}; "
                            "load files into it with `beatwise store load FILE... STORE`")
    have = {r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
        (address.schema, address.table))}
    missing = [c for c in COLUMN_TYPES if c not in have]
    if missing:
        raise BeatwiseError(f"store {address.redacted()}: {address.schema}.{address.table} lacks the columns "
                            f"{', '.join(missing)}")
    return srid


def index_statements(address: StoreAddress) -> list:
    """``CREATE INDEX`` statements of the incidents table (the primary key aside)."""
    from psycopg import sql

    table = names(address)["incidents"]
    return [sql.SQL("CREATE INDEX {} ON {} " + definition).format(ident(address.table + suffix), table)
            for suffix, definition in INDEXES.values()]


def drop_indexes(conn, address: StoreAddress) -> None:
    """Drop the incidents' indexes (not the primary key), inside the caller's transaction: a large load
    then builds each index once, sorted, instead of inserting a million entries one by one."""
    from psycopg import sql

    for suffix, _ in INDEXES.values():
        conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(ident(address.schema, address.table + suffix)))


def create_indexes(conn, address: StoreAddress) -> None:
    for s in index_statements(address):
        conn.execute(s)


def longest_window(conn, address: StoreAddress):
    """The longest ``t_end - t_start`` of any incident loaded (a ``timedelta``; from the import log,
    which records it per file), or None when the log does not say.

    :func:`analysis.store.where.where_clause` turns it into a lower bound on ``t_start`` for a date
    filter, so the BRIN index on ``t_start`` reads only the blocks of the years asked for. The bound
    holds for rows added by ``store load``; a table without an import log (made by other tools)
    gets None, and the date filter without the bound.
    """
    from datetime import timedelta

    from psycopg import sql

    n = names(address)
    has = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                       "AND column_name = 'longest_window_s'", (address.schema, f"{address.table}_imports")).fetchone()
    if has is None:
        return None
    row = conn.execute(sql.SQL("SELECT max(longest_window_s) FROM {}").format(n["imports"])).fetchone()
    return None if row is None or row[0] is None else timedelta(seconds=float(row[0]))


def ensure_schema(conn, schema: str) -> None:
    """Create ``schema`` only if it is missing: ``CREATE SCHEMA IF NOT EXISTS`` needs the CREATE
    privilege on the database even when the schema exists, which an analyst given CREATE on
    their schema alone does not have."""
    from psycopg import sql

    if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident(schema)))


def create_tables(conn, address: StoreAddress, srid: int) -> None:
    """Create the schema and the three tables (inside the caller's transaction); the indexes come
    after the first load (:func:`create_indexes`)."""
    from psycopg import sql

    n = names(address)
    cols = sql.SQL(", ").join(sql.SQL("{} {}").format(ident(c), sql.SQL(t)) for c, t in COLUMN_TYPES.items())
    ensure_schema(conn, address.schema)
    statements = [
        sql.SQL("CREATE TABLE {} (import_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                "file text NOT NULL, rows_read bigint NOT NULL, accepted bigint NOT NULL, "
                "rejected bigint NOT NULL, sha256 text NOT NULL, size_bytes bigint NOT NULL, "
                "loaded_at timestamptz NOT NULL DEFAULT now(), loaded_by text NOT NULL DEFAULT current_user, "
                "crs text NOT NULL, longest_window_s double precision NOT NULL, report jsonb NOT NULL)"
                ).format(n["imports"]),
        sql.SQL("CREATE TABLE {} (rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {}, "
                "import_id integer NOT NULL, "
                "geom geometry(Point, {}) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(x, y), {})) STORED)"
                ).format(n["incidents"], cols, sql.Literal(int(srid)), sql.Literal(int(srid))),
        sql.SQL("CREATE TABLE {} (import_id integer NOT NULL REFERENCES {}, file text NOT NULL, "
                "row bigint NOT NULL, reason text NOT NULL)").format(n["rejected"], n["imports"]),
    ]
    for s in statements:
        conn.execute(s)
