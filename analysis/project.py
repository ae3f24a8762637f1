"""The ``.beatwise`` project file: a GeoPackage holding a whole analysis.

Schema 2: the incidents are stored column by column, as Parquet (zstd) in the table
``beatwise_columns`` (one blob per million rows, coordinates as ``x``/``y`` in the working CRS),
so a national year (5,000,000+ rows) saves and opens in seconds; GDAL's row-by-row GeoPackage
layer needed two minutes for that. Optional layers ``patrols``, ``streets``, ``boundaries``, ``patrol_logs`` are
GeoPackage layers; attribute tables ``beatwise_settings`` (key, JSON value; includes
``schema_version``) and ``rejected_rows`` (file, row, reason) keep the import report. Schema 1
projects (incidents as a GeoPackage point layer) still open. Saves are atomic: everything is written to a temporary file in the
same folder, flushed to disk with ``fsync``, then renamed over the target, so a crash
or a full disk never leaves a half-written project in place of a good one.
"""
from __future__ import annotations

import json
import os
import sqlite3
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from analysis.atomic import atomic_write
from analysis.gpkg import GPKG_DATASET_OPTIONS
from analysis.ingest.schema import COLUMNS, ImportResult, empty_incidents
from analysis.progress import BeatwiseError, ProgressFn, report
from analysis.ingest.validation import ImportReport, RejectedRow

SCHEMA_VERSION = 2
CHUNK_ROWS = 1_000_000
SUFFIX = ".beatwise"
STRING_COLUMNS = ("incident_id", "crime_type", "location", "area", "lsoa", "time_precision",
                  "source_file")
OPTIONAL_LAYERS = ("patrols", "streets", "boundaries", "patrol_logs")


@dataclass
class Project:
    """Everything a session works on; saved to and loaded from a ``.beatwise`` file.

    Attributes
    ----------
    incidents : GeoDataFrame
        The incidents (DESIGN.md section 2), in the working CRS.
    report : ImportReport or None
        How the incidents were imported.
    patrols, streets, boundaries : GeoDataFrame or None
        Further layers, in the working CRS.
    patrol_logs : GeoDataFrame or None
        Patrol logs (tasking records: unit, start, end, area polygon), in the working CRS.
    settings : dict
        JSON-serialisable settings: title, ``synthetic`` flag, filters, analysis parameters.
    """

    incidents: gpd.GeoDataFrame
    report: Optional[ImportReport] = None
    patrols: Optional[gpd.GeoDataFrame] = None
    streets: Optional[gpd.GeoDataFrame] = None
    boundaries: Optional[gpd.GeoDataFrame] = None
    patrol_logs: Optional[gpd.GeoDataFrame] = None
    settings: dict = field(default_factory=dict)

    @classmethod
    def from_import(cls, result: ImportResult, **settings) -> "Project":
        return cls(incidents=result.incidents, report=result.report, settings=dict(settings))

    @property
    def crs(self) -> str:
        return self.report.crs if self.report is not None else str(self.incidents.crs)

    @property
    def synthetic(self) -> bool:
        return bool(self.settings.get("synthetic", False))


def _write_incidents(con: sqlite3.Connection, inc: gpd.GeoDataFrame) -> None:
    """The incidents as Parquet blobs of :data:`CHUNK_ROWS` rows (coordinates as x, y)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame(inc.drop(columns=inc.geometry.name))
    frame["x"] = inc.geometry.x.to_numpy() if len(inc) else np.zeros(0)
    frame["y"] = inc.geometry.y.to_numpy() if len(inc) else np.zeros(0)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    con.execute("CREATE TABLE beatwise_columns (name TEXT, chunk INTEGER, data BLOB, "
                "PRIMARY KEY (name, chunk))")
    for i, start in enumerate(range(0, max(len(frame), 1), CHUNK_ROWS)):
        sink = pa.BufferOutputStream()
        pq.write_table(table.slice(start, CHUNK_ROWS), sink, compression="zstd")
        con.execute("INSERT INTO beatwise_columns VALUES (?, ?, ?)",
                    ("incidents", i, sqlite3.Binary(sink.getvalue().to_pybytes())))


def _read_incidents(con: sqlite3.Connection, crs) -> gpd.GeoDataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.ingest.crs import geoseries, point_array
    from analysis.ingest.frame import shared_points

    blobs = [bytes(b) for (b,) in con.execute(
        "SELECT data FROM beatwise_columns WHERE name = 'incidents' ORDER BY chunk")]
    if not blobs:
        raise KeyError("no incidents columns")
    table = pa.concat_tables([pq.read_table(pa.BufferReader(b)) for b in blobs])
    x = table.column("x").to_numpy()
    y = table.column("y").to_numpy()
    table = table.drop_columns(["x", "y"])
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype(na_value=np.nan)
                            if t in (pa.string(), pa.large_string()) else None)
    shared = shared_points(x, y)
    if shared is None:
        shapes = point_array(x, y)
    else:
        codes, ux, uy = shared
        shapes = point_array(ux, uy)[codes]
    return gpd.GeoDataFrame(frame, geometry=geoseries(shapes, crs), crs=crs)


def _prepare_layer(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Times as ISO text: naive times as written, instants (tz-aware, e.g. pings' ``t``) in UTC
    with a ``Z``, so that :func:`_restore_layer` gives back exactly what was saved."""
    layer = layer.copy()
    for c in layer.columns:
        if isinstance(layer[c].dtype, pd.DatetimeTZDtype):
            layer[c] = layer[c].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif pd.api.types.is_datetime64_any_dtype(layer[c]):
            layer[c] = layer[c].dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return layer


_UTC_TEXT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"


def _restore_layer(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns :func:`_prepare_layer` wrote as UTC instants become tz-aware UTC again."""
    for c in layer.columns:
        if c == layer.geometry.name or not pd.api.types.is_string_dtype(layer[c].dtype):
            continue
        s = layer[c].dropna()
        if len(s) and s.astype(str).str.match(_UTC_TEXT).all():
            layer[c] = pd.to_datetime(layer[c], format="%Y-%m-%dT%H:%M:%S.%fZ", utc=True)
    return layer


def _write_project(project: Project, tmp: Path, progress: Optional[ProgressFn]) -> None:
    """Write every layer and table of ``project`` into the new GeoPackage ``tmp``."""
    inc = project.incidents
    if len(inc) == 0:
        inc = empty_incidents(inc.crs)
    # the GeoPackage itself: a one-row attribute table saying what the file is
    about = pd.DataFrame({"what": ["Beatwise project"], "schema_version": [SCHEMA_VERSION],
                          "incidents": [len(inc)], "crs": [str(inc.crs or "")]})
    pyogrio.write_dataframe(about, tmp, layer="beatwise_about", driver="GPKG",
                            dataset_options=GPKG_DATASET_OPTIONS)
    for i, name in enumerate(OPTIONAL_LAYERS):
        layer = getattr(project, name)
        if layer is not None and len(layer):
            report(progress, 0.05 + 0.1 * i, f"saving {name}")
            pyogrio.write_dataframe(_prepare_layer(layer), tmp, layer=name, driver="GPKG", append=False)
    report(progress, 0.4, "saving incidents")
    settings = dict(project.settings)
    settings["schema_version"] = SCHEMA_VERSION
    if project.report is not None:
        r = project.report
        settings["import_report"] = {
            "files": list(r.files), "rows_read": r.rows_read, "accepted": r.accepted,
            "warnings": list(r.warnings), "crs": r.crs, "time_precision": r.time_precision,
            "bounds": list(r.bounds) if r.bounds else None, "columns": r.columns,
            "synthetic": r.synthetic}
    settings["incidents_crs"] = str(inc.crs) if inc.crs is not None else None
    con = sqlite3.connect(tmp)
    try:
        _write_incidents(con, inc)
        report(progress, 0.9, "saving settings")
        con.execute("CREATE TABLE beatwise_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.executemany("INSERT INTO beatwise_settings VALUES (?, ?)",
                        [(k, json.dumps(v, default=str)) for k, v in settings.items()])
        con.execute("CREATE TABLE rejected_rows (file TEXT, row INTEGER, reason TEXT)")
        if project.report is not None:
            con.executemany("INSERT INTO rejected_rows VALUES (?, ?, ?)",
                            [(r.file, r.row, r.reason) for r in project.report.rejected])
        con.commit()
    finally:
        con.close()


def save_project(project: Project, path: str | os.PathLike, *,
                 progress: Optional[ProgressFn] = None) -> Path:
    """Write ``project`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    if path.is_dir():
        raise BeatwiseError(f"{path}: is a folder; give the project a file name (NAME{SUFFIX})")
    if path.suffix != SUFFIX:
        path = path.with_suffix(SUFFIX)
    with atomic_write(path, fresh=True, suffix=".gpkg") as tmp:
        _write_project(project, tmp, progress)
    report(progress, 1.0, f"saved {path.name}")
    return path


# Migrations: MIGRATIONS[v] turns the settings dict of schema version v into v + 1.
# 1 -> 2 changed only where the incidents are stored (read by both paths), not the settings.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: lambda settings: settings}


def _migrate(settings: dict, path: Path) -> dict:
    version = int(settings.get("schema_version", 0))
    if version > SCHEMA_VERSION:
        raise BeatwiseError(f"{path}: made by a newer Beatwise (schema {version}; this version "
                            f"reads up to {SCHEMA_VERSION}). Update Beatwise to open it.")
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise BeatwiseError(f"{path}: schema version {version} cannot be upgraded")
        settings = MIGRATIONS[version](settings)
        version += 1
        settings["schema_version"] = version
    return settings


def _restore_incidents(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    for c in ("t_start", "t_end"):
        if not pd.api.types.is_datetime64_any_dtype(gdf[c]):  # schema 1 kept ISO text
            gdf[c] = pd.to_datetime(gdf[c], format="%Y-%m-%dT%H:%M:%S.%f")
        gdf[c] = gdf[c].astype("datetime64[ns]")
    for c in STRING_COLUMNS:
        gdf[c] = gdf[c].fillna("").astype(str)
    gdf["weight"] = gdf["weight"].astype(float)
    gdf["source_row"] = gdf["source_row"].astype(np.int64)
    extra = [c for c in gdf.columns if c not in COLUMNS and c != gdf.geometry.name]
    return gdf[COLUMNS + extra + [gdf.geometry.name]]


def load_project(path: str | os.PathLike, *, progress: Optional[ProgressFn] = None) -> Project:
    """Read a ``.beatwise`` file; BeatwiseError when it is not one or is damaged."""
    path = Path(path)
    if not path.is_file():
        raise BeatwiseError(f"{path}: no such project file")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(16)
        if not magic.startswith(b"SQLite format 3"):
            raise BeatwiseError(f"{path}: not a Beatwise project (not a GeoPackage file)")
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "beatwise_settings" not in tables:
                raise BeatwiseError(f"{path}: a GeoPackage, but not a Beatwise project "
                                    "(no beatwise_settings table)")
            settings = {k: json.loads(val) for k, val in con.execute(
                "SELECT key, value FROM beatwise_settings")}
            rejected = tuple(RejectedRow(f, int(r), reason) for f, r, reason in con.execute(
                "SELECT file, row, reason FROM rejected_rows ORDER BY rowid"))
            report(progress, 0.1, "reading incidents")
            incidents = None
            if "beatwise_columns" in tables:
                incidents = _restore_incidents(_read_incidents(con, settings.get("incidents_crs")))
        finally:
            con.close()
        settings = _migrate(settings, path)
        settings.pop("incidents_crs", None)
        with warnings.catch_warnings():
            # GDAL notes that a GeoPackage is not named .gpkg: by design here
            warnings.filterwarnings("ignore", message=".*non conformant file extension")
            layers = {name for name, _ in pyogrio.list_layers(path)}
            if incidents is None:  # schema 1: a GeoPackage point layer
                incidents = _restore_incidents(pyogrio.read_dataframe(path, layer="incidents"))
            extra = {}
            for i, name in enumerate(OPTIONAL_LAYERS):
                if name in layers:
                    report(progress, 0.5 + 0.15 * i, f"reading {name}")
                    extra[name] = _restore_layer(pyogrio.read_dataframe(path, layer=name))
    except BeatwiseError:
        raise
    except (sqlite3.DatabaseError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            KeyError, ValueError, json.JSONDecodeError) as exc:
        raise BeatwiseError(f"{path}: the project file is damaged ({exc})") from exc
    rep = None
    info = settings.pop("import_report", None)
    if info is not None:
        rep = ImportReport(files=tuple(info["files"]), rows_read=int(info["rows_read"]),
                           accepted=int(info["accepted"]), rejected=rejected,
                           warnings=tuple(info["warnings"]), crs=info["crs"],
                           time_precision=info["time_precision"],
                           bounds=tuple(info["bounds"]) if info["bounds"] else None,
                           columns=info.get("columns", {}),
                           synthetic=bool(info.get("synthetic", settings.get("synthetic", False))))
        if rep.accepted != len(incidents):
            raise BeatwiseError(f"{path}: the project file is damaged ({len(incidents)} incidents "
                                f"stored, {rep.accepted} recorded)")
    settings.pop("schema_version", None)
    report(progress, 1.0, f"opened {path.name}")
    return Project(incidents=incidents, report=rep, settings=settings, **extra)
