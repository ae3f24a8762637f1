"""Results into a store: ``--out postgresql://...`` writes each layer as a table QGIS opens styled.

Table names. The ``?table=`` of the ``--out`` address is a PREFIX (``SCHEMA.PREFIX``): each layer
becomes ``SCHEMA.PREFIX_LAYER``, e.g. ``?table=essex`` gives ``public.essex_hotspots``,
``public.essex_gi_star_cells`` and ``public.essex_emerging_cells``. With no ``?table=`` the prefix
is the input store's incidents table (``beatwise hotspots STORE --out STORE`` puts the results
beside the incidents), else ``beatwise`` (:func:`result_prefix`). Names longer than PostgreSQL's
63 bytes are refused rather than silently cut.

Each table: ``fid integer`` primary key (1..n, the GeoPackage's order), the layer's attributes
(integer, float8, boolean, text, timestamp(tz) columns), ``geom geometry(TYPE, SRID)`` (SRID
from the layer's CRS; a mix of Polygon and MultiPolygon becomes MultiPolygon), a GiST index, and
the table comment ``Beatwise result: ...`` with the command, its parameters and when. Rows go in
by ``COPY`` (geometry as hex EWKB). Every table and style of one run is written in ONE
transaction: a fault anywhere leaves the store as it was.

Never overwriting user data: an existing table of the same name is replaced only when its
comment starts with ``Beatwise result`` (an earlier run); anything else is refused by name.

Styles go into ``public.layer_styles``, created when absent with QGIS's own ``CREATE TABLE``
(QGIS 3.22, ``QgsPostgresProviderMetadata::saveStyle``), one default row per table (QML and SLD),
replacing Beatwise's earlier row and clearing other defaults of that table as QGIS itself does
when saving a default style. ``type`` is left NULL: QGIS 3.22 only matches a row with a type when
the layer's URI names the geometry type, which a layer added from the browser does not.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.progress import BeatwiseError, ProgressFn, report
from analysis.store.address import StoreAddress, split_table
from analysis.store.connection import StoreError, connect, store_errors
from analysis.store.tables import ensure_schema, ident

COMMENT_PREFIX = "Beatwise result"
STYLE_DESCRIPTION = "Beatwise style"
DEFAULT_PREFIX = "beatwise"
MAX_NAME_BYTES = 63
#: QGIS 3.22's own DDL for its style table (strings of libprovider_postgres.so), schema-qualified.
LAYER_STYLES_SQL = (
    "CREATE TABLE public.layer_styles(id SERIAL PRIMARY KEY,f_table_catalog varchar,f_table_schema varchar,"
    "f_table_name varchar,f_geometry_column varchar,styleName text,styleQML xml,styleSLD xml,"
    "useAsDefault boolean,description text,owner varchar(63) DEFAULT CURRENT_USER,ui xml,"
    "update_time timestamp DEFAULT CURRENT_TIMESTAMP,type varchar)")
_QML_GEOMETRY = {"0": "Point", "1": "LineString", "2": "Polygon"}


@dataclass(frozen=True)
class WrittenTable:
    """One result table: ``schema.name``, its rows, geometry type and SRID, and the layer it holds."""

    schema: str
    name: str
    layer: str
    rows: int
    geometry_type: str
    srid: int
    replaced: bool

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def to_dict(self) -> dict:
        return {"table": self.qualified, "layer": self.layer, "rows": self.rows,
                "geometry": f"{self.geometry_type}, EPSG:{self.srid}", "replaced": self.replaced}


def table_given(text) -> bool:
    """Whether a store text names a table itself (``?table=`` or ``table=``), not the default."""
    from urllib.parse import parse_qsl, urlsplit

    s = str(text).strip()
    if re.match(r"^postgres(ql)?://", s, re.IGNORECASE):
        return any(k == "table" for k, _ in parse_qsl(urlsplit(s).query, keep_blank_values=True))
    return any(w.lower().startswith("table=") for w in s.split())


def result_prefix(out: StoreAddress, given: bool, inputs: Sequence = ()) -> tuple[str, str]:
    """(schema, prefix) of the result tables: ``--out``'s ``?table=`` when ``given``, else the
    input store's table, else ``public.beatwise``."""
    if given:
        return out.schema, out.table
    stores = [i for i in inputs if isinstance(i, StoreAddress)]
    if stores:
        return stores[0].schema, stores[0].table
    return split_table(DEFAULT_PREFIX)


def check_writable(out: StoreAddress, schema: str) -> None:
    """Before any work: the ``--out`` store can be reached and its user may create tables in
    ``schema`` (or create the schema). Raises StoreError naming the user and the GRANT needed."""
    conn = connect(out, write=True)
    try:
        with store_errors(out, "checking the right to write results"):
            user, may = conn.execute(
                "SELECT current_user, CASE WHEN to_regnamespace(%s) IS NULL "
                "THEN has_database_privilege(current_database(), 'CREATE') "
                "ELSE has_schema_privilege(%s, 'CREATE') END", (schema, schema)).fetchone()
        if not may:
            raise StoreError(f"store {out.redacted()}: user {user} may not create tables in schema {schema}; "
                             f"ask the database owner for GRANT CREATE ON SCHEMA {schema} TO {user} "
                             "(nothing was computed or written)")
    finally:
        conn.close()


def _geometry(frame, layer) -> tuple[str, np.ndarray]:
    """The column's type and the geometries (Polygons promoted when Multi ones are present)."""
    import shapely

    geoms = np.asarray(frame.geometry.values, dtype=object)
    kinds = {g.geom_type for g in geoms if g is not None and not g.is_empty}
    if not kinds:
        m = re.search(r"<layerGeometryType>(\d)</layerGeometryType>", layer.qml or "")
        return (_QML_GEOMETRY.get(m.group(1), "Geometry") if m else "Geometry"), geoms
    if len(kinds) == 1:
        return kinds.pop(), geoms
    bases = {k.replace("Multi", "") for k in kinds}
    if len(bases) == 1:
        base = bases.pop()
        multi = {"Point": shapely.MultiPoint, "LineString": shapely.MultiLineString,
                 "Polygon": shapely.MultiPolygon}[base]
        return f"Multi{base}", np.array([multi([g]) if g is not None and g.geom_type == base else g
                                         for g in geoms], dtype=object)
    return "Geometry", geoms


def _columns(frame) -> list[tuple[str, str, list]]:
    """(name, SQL type, Python values with None for missing) of each attribute column."""
    out = []
    for c in frame.columns:
        if c == frame.geometry.name:
            continue
        if str(c).lower() in ("fid", "geom"):
            raise BeatwiseError(f"a result layer has its own column {c!r}: the store's tables use fid and geom")
        s = frame[c]
        missing = s.isna().to_numpy()
        if pd.api.types.is_bool_dtype(s):
            kind, values = "boolean", [bool(v) for v in s.fillna(False)]
        elif pd.api.types.is_integer_dtype(s):
            kind = "integer" if s.dtype.itemsize <= 4 else "bigint"
            values = [int(v) for v in s.fillna(0)]
        elif pd.api.types.is_float_dtype(s):
            kind, values = "float8", [float(v) for v in s.fillna(0.0)]
        elif pd.api.types.is_datetime64_any_dtype(s):
            kind = "timestamptz" if getattr(s.dt, "tz", None) is not None else "timestamp"
            values = list(s.dt.to_pydatetime())
        else:
            kind, values = "text", [str(v) for v in s.astype(object).fillna("")]
        out.append((str(c), kind, [None if m else v for v, m in zip(values, missing)]))
    return out


def _existing(conn, schema: str, name: str) -> Optional[tuple[str, Optional[str]]]:
    """(relkind, comment) of the relation ``schema.name``, or None."""
    return conn.execute("SELECT c.relkind::text, obj_description(c.oid, 'pg_class') FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
                        (schema, name)).fetchone()


def _check_name(address: StoreAddress, name: str) -> None:
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise BeatwiseError(f"store {address.redacted()}: the table name {name!r} is longer than PostgreSQL's "
                            f"{MAX_NAME_BYTES} bytes; give a shorter ?table= in --out")


def write_results(address: StoreAddress, layers: Sequence, *, schema: str, prefix: str, command: str,
                  parameters: Optional[dict] = None, stale: Sequence[str] = (),
                  progress: Optional[ProgressFn] = None) -> list[WrittenTable]:
    """Write ``layers`` (:class:`analysis.export.vector.StyledLayer`) as ``schema.prefix_layer`` tables.

    Parameters
    ----------
    address : StoreAddress
        The ``--out`` store (its table is not used: see ``schema``, ``prefix``).
    layers : sequence of StyledLayer
        Each with a GeoDataFrame in a CRS with an EPSG code; its QML/SLD become the default style.
    schema, prefix : str
        Where and under which prefix (:func:`result_prefix`); the schema is created if absent.
    command : str
        What made the results (``beatwise hotspots``), for the table comment.
    parameters : dict, optional
        The run's parameters (JSON-serialisable), kept in the table comment.
    stale : sequence of str
        Layers an earlier run may have written that this run does not make (``gi_star_cells``
        without ``--gi-star``): their tables are dropped if they are Beatwise results, so QGIS never
        shows an old run's layer beside the new ones. Other tables of those names are left alone.
    progress : ProgressFn, optional

    Returns
    -------
    list of WrittenTable, in the order of ``layers``.

    Raises
    ------
    BeatwiseError
        A table of that name exists and is not a Beatwise result, a name is too long, a CRS has no
        EPSG code, or the server failed (then nothing at all was written).
    """
    from psycopg import sql

    if not layers:
        raise BeatwiseError("write_results: no layers to write")
    targets = [f"{prefix}_{lyr.name}" for lyr in layers]
    if len(set(targets)) != len(targets):
        raise BeatwiseError(f"write_results: layer names must be unique, got {[lyr.name for lyr in layers]}")
    for t in targets:
        _check_name(address, t)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    params = json.dumps(parameters or {}, default=str, sort_keys=True)
    conn = connect(address, write=True)
    written = []
    try:
        with store_errors(address, "writing results"):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"beatwise-results:{schema}.{prefix}",))
                existing = {}
                for t in targets:
                    row = _existing(conn, schema, t)
                    if row is not None and (row[0] != "r" or not (row[1] or "").startswith(COMMENT_PREFIX)):
                        raise BeatwiseError(
                            f"store {address.redacted()}: {schema}.{t} already exists and is not a Beatwise "
                            f"result (its comment does not start with {COMMENT_PREFIX!r}); nothing was written. "
                            "Give another prefix with ?table=PREFIX in --out, or drop that table yourself")
                    existing[t] = row is not None
                for old in (f"{prefix}_{name}" for name in stale):
                    row = _existing(conn, schema, old)
                    if row is not None and row[0] == "r" and (row[1] or "").startswith(COMMENT_PREFIX):
                        conn.execute(sql.SQL("DROP TABLE {}").format(ident(schema, old)))
                        conn.execute("DELETE FROM public.layer_styles WHERE f_table_catalog = current_database() "
                                     "AND f_table_schema = %s AND f_table_name = %s AND description LIKE %s",
                                     (schema, old, STYLE_DESCRIPTION + "%"))
                ensure_schema(conn, schema)
                for i, (lyr, t) in enumerate(zip(layers, targets)):
                    report(progress, i / (len(layers) + 1), f"Writing table {i + 1} of {len(layers)}: {schema}.{t}")
                    written.append(_write_table(conn, schema, t, lyr, existing[t],
                                                f"{COMMENT_PREFIX}: {lyr.description or lyr.name}. Made by {command} "
                                                f"at {when}. Parameters: {params}"))
                report(progress, len(layers) / (len(layers) + 1), "Writing QGIS styles")
                _write_styles(conn, schema, list(zip(layers, targets)))
        report(progress, 1.0, f"Wrote {len(written)} table(s)")
        return written
    finally:
        conn.close()


def _write_table(conn, schema: str, name: str, lyr, replace: bool, comment: str) -> WrittenTable:
    import shapely
    from psycopg import sql

    frame = lyr.frame
    if frame.crs is None or frame.crs.to_epsg() is None:
        raise BeatwiseError(f"layer {lyr.name}: its CRS has no EPSG code; a store table needs an SRID")
    srid = int(frame.crs.to_epsg())
    kind, geoms = _geometry(frame, lyr)
    columns = _columns(frame)
    table = ident(schema, name)
    if replace:
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
    defs = sql.SQL("").join(sql.SQL(", {} {}").format(ident(c), sql.SQL(k)) for c, k, _ in columns)
    conn.execute(sql.SQL("CREATE TABLE {} (fid integer PRIMARY KEY{}, geom geometry({}, {}))").format(
        table, defs, sql.SQL(kind), sql.Literal(srid)))
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    hexes = np.full(len(geoms), None, dtype=object)
    if present.any():
        hexes[present] = shapely.to_wkb(shapely.set_srid(geoms[present], srid), hex=True, include_srid=True)
    names = [c for c, _, _ in columns]
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        table, sql.SQL(", ").join(ident(c) for c in ["fid", *names, "geom"]))
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for k in range(len(frame)):
            copy.write_row((k + 1, *(vals[k] for _, _, vals in columns), hexes[k]))
    conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(table))
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(comment)))
    conn.execute(sql.SQL("ANALYZE {}").format(table))
    return WrittenTable(schema, name, lyr.name, len(frame), kind, srid, replace)


def _write_styles(conn, schema: str, pairs: list) -> None:
    """Each layer's QML/SLD as the default row of ``public.layer_styles`` (created when absent)."""
    styled = [(lyr, t) for lyr, t in pairs if lyr.qml or lyr.sld]
    if not styled:
        return
    if conn.execute("SELECT to_regclass('public.layer_styles')").fetchone()[0] is None:
        conn.execute(LAYER_STYLES_SQL)
    key = ("f_table_catalog = current_database() AND f_table_schema = %s AND f_table_name = %s "
           "AND f_geometry_column = 'geom'")
    for lyr, t in styled:
        conn.execute(f"DELETE FROM public.layer_styles WHERE {key} AND description LIKE %s",
                     (schema, t, STYLE_DESCRIPTION + "%"))
        conn.execute(f"UPDATE public.layer_styles SET useasdefault = false WHERE {key}", (schema, t))
        conn.execute("INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                     "f_geometry_column, stylename, styleqml, stylesld, useasdefault, description) "
                     "VALUES (current_database(), %s, %s, 'geom', %s, XMLPARSE(DOCUMENT %s), "
                     "XMLPARSE(DOCUMENT %s), true, %s)",
                     (schema, t, lyr.name, lyr.qml or None, lyr.sld or None,
                      f"{STYLE_DESCRIPTION} for {lyr.description or lyr.name}"))
