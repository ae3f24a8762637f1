"""Reading incidents: the one entry point, :func:`read_incidents`.

The path, each step a module with one job::

    sources (which files)  ->  tables / layers / police_uk (how a file is read)
      ->  columns (which column is what)  ->  coordinates  ->  times  ->  validation
      ->  frame (projected to the working CRS, one GeoDataFrame and one report)

``read_incidents(paths, mapping)`` returns an :class:`~analysis.ingest.schema.ImportResult`:
the incidents in the working CRS (metres) with the columns of DESIGN.md section 2, and an
:class:`~analysis.ingest.validation.ImportReport` in which every row read is either accepted or
rejected with its file, line number and reason.
"""
from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.ingest import columns as colmod
from analysis.ingest import frame, police_uk, schema, sources, tables
from analysis.ingest import validation as v
from analysis.ingest.columns import ColumnMapping
from analysis.ingest.coordinates import Coordinates, coordinates, no_coordinates_message, numbers
from analysis.ingest.layers import point_layer
from analysis.ingest.schema import ImportResult
from analysis.ingest.times import PRECISIONS, incident_times
from analysis.progress import BeatwiseError, ProgressFn, report

NUMBER_KEYS = ("lon", "lat", "x", "y", "weight")
READ_WORKERS = 2   # files read at once (a national year is 12 monthly files)
CODED_KEYS = ("crime_type", "area")   # few distinct values: dictionary-encoded by the reader


def _police_uk_header(path: Path) -> bool:
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    try:
        head = tables.peek(path, rows=0)
    except BeatwiseError:
        return False
    return police_uk.is_police_uk(head.columns)


def is_synthetic(raw: tables.RawTable) -> bool:
    """True when a ``data_note`` column says the rows are SYNTHETIC (Beatwise's demo data)."""
    for col in raw.columns:
        if colmod.norm(col) == "datanote":
            return bool(any("SYNTHETIC" in s for s in set(raw.strings(col))))
    return False


def _note_columns(header) -> list[str]:
    return [c for c in header if colmod.norm(c) == "datanote"]


def table_part(raw: tables.RawTable, chosen: dict, mapping: ColumnMapping,
               xy: Optional[Coordinates] = None, reasons: Optional[np.ndarray] = None) -> schema.Part:
    """The incidents of one table: coordinates, times and checks over its mapped columns.

    ``xy`` gives the positions when they do not come from columns (a GIS layer's geometry),
    ``reasons`` any rejections already found (one per row, "" = fine).
    """
    path = raw.path
    n = len(raw)
    warnings = list(raw.warnings)
    if n == 0 and not raw.malformed:
        raise BeatwiseError(f"{path}: the file has a header but no data rows")
    if reasons is None:
        reasons = np.full(n, "", dtype=object)
    if xy is None:
        xy = coordinates(raw, chosen, mapping.crs, reasons)
    warnings += xy.warnings
    t0, t1, pr = incident_times(raw, chosen, mapping.dayfirst, reasons, warnings)
    weight = np.ones(n)
    if "weight" in chosen:
        weight, _ = numbers(raw.columns[chosen["weight"]], chosen["weight"], reasons, warnings, path)
        v.first_reason(reasons, ~np.isfinite(weight) | (weight < 0), v.BAD_WEIGHT)
    ok = reasons == ""
    k = int(ok.sum())

    def text(key):
        return schema.text(raw.columns[chosen[key]], ok) if key in chosen else \
            schema.constant_text("", k)

    prefix = f"{re.sub(r'[^A-Za-z0-9]+', '-', path.stem)}-"
    if "id" in chosen:
        incident_id = schema.ids_or_made(raw.columns[chosen["id"]], raw.lines, prefix).filter(pa.array(ok))
    else:
        incident_id = schema.text(schema.row_ids(prefix, raw.lines[ok]))
    out = {
        "incident_id": incident_id,
        "crime_type": text("crime_type"),
        "location": text("location"),
        "area": text("area"),
        "lsoa": schema.constant_text("", k),
        "t_start": t0[ok],
        "t_end": t1[ok],
        "time_precision": schema.codes_text(pr[ok], PRECISIONS),
        "weight": weight[ok],
        "source_file": schema.constant_text(str(path), k),
        "source_row": raw.lines[ok],
    }
    rejected = [v.RejectedRow(str(path), int(line), f"malformed line: {why}")
                for line, why in raw.malformed]
    rejected += v.rejected_rows(str(path), raw.lines, reasons)
    if n and not ok.any():
        top = pd.Series(reasons[reasons != ""]).value_counts()
        warnings.append(f"{path.name}: every row was rejected (most often: {top.index[0]}, "
                        f"{int(top.iloc[0]):,} rows)")
    synthetic = is_synthetic(raw)
    if synthetic:
        warnings.append(f"{path.name}: {schema.SYNTHETIC_NOTE}")
    return schema.Part(str(path), out, xy.x[ok], xy.y[ok], xy.src_crs, raw.rows_read, rejected,
                       warnings, {str(path): {"format": raw.fmt, **chosen}}, synthetic)


def _layer_mapping(mapping: ColumnMapping) -> ColumnMapping:
    return replace(mapping, lon=None, lat=None, x=None, y=None, wkt=None)


def layer_part(path: Path, mapping: ColumnMapping) -> schema.Part:
    """The incidents of a GIS point layer (coordinates from its geometry, in its own CRS)."""
    from pyproj import CRS

    raw, x, y, not_point, src, warnings = point_layer(path, mapping.crs)
    sample = pd.DataFrame({c: raw.strings(c)[:500] for c in raw.header})
    chosen = colmod.resolve(raw.header, _layer_mapping(mapping), sample)
    reasons = np.full(len(raw), "", dtype=object)
    v.first_reason(reasons, not_point, v.BAD_GEOMETRY)
    if CRS.from_user_input(src).is_geographic:
        v.coordinate_reasons(x, y, np.zeros(len(x), bool), reasons)
    return table_part(raw, chosen, mapping, Coordinates(x, y, src, warnings), reasons)


def read_file_part(path: Path, mapping: ColumnMapping) -> schema.Part:
    """Read one file into a :class:`~analysis.ingest.schema.Part` (not yet projected)."""
    kind = sources.kind_of(path)
    if kind == "layer":
        return layer_part(path, mapping)
    if not mapping.to_dict() and _police_uk_header(path):
        return police_uk.read(path)
    head = tables.peek(path, 500, sheet=mapping.sheet)
    header = [str(c) for c in head.columns]
    if police_uk.is_police_uk(header) and not mapping.to_dict():
        return police_uk.read(path)
    chosen = colmod.resolve(header, mapping, head)
    if not ({"lon", "lat"} <= set(chosen) or {"x", "y"} <= set(chosen) or "wkt" in chosen):
        raise BeatwiseError(no_coordinates_message(path, header))
    wanted = set(chosen.values()) | set(_note_columns(header))
    raw = tables.read_table(path, wanted, numbers=[chosen[k] for k in NUMBER_KEYS if k in chosen],
                            coded=[chosen[k] for k in CODED_KEYS if k in chosen], sheet=mapping.sheet)
    return table_part(raw, chosen, mapping)


# ---------------------------------------------------------------- preview (import wizard)
def preview_rows(path: str | os.PathLike, rows: int = 20, *,
                 mapping: ColumnMapping | None = None) -> pd.DataFrame:
    """The first ``rows`` data rows of one file, every cell as text (for a preview).

    Reads only the start of the file, so it is quick for large files. BeatwiseError for files
    that cannot be read (empty, binary, unsupported type), as :func:`read_incidents`.
    """
    path = Path(path)
    if not path.is_file():
        raise BeatwiseError(f"{path}: no such file")
    if sources.kind_of(path) == "layer":
        import geopandas as gpd

        try:
            layer = gpd.read_file(path, engine="pyogrio", max_features=rows)
        except Exception as exc:  # GDAL raises many kinds for broken files
            raise BeatwiseError(f"{path}: cannot read this GIS layer ({exc})") from exc
        frame_ = pd.DataFrame(layer.drop(columns=layer.geometry.name)).astype(str)
        return frame_.replace({"None": "", "nan": "", "NaT": ""}).reset_index(drop=True)
    return tables.peek(path, rows, sheet=(mapping or ColumnMapping()).sheet).head(rows)


def detect_columns(path: str | os.PathLike, mapping: ColumnMapping | None = None, *,
                   sample_rows: int = 500) -> dict:
    """The columns :func:`read_incidents` would use for one file, e.g. ``{"lon": "Longitude", ...}``.

    Keys are from :data:`~analysis.ingest.columns.MAPPING_FIELDS`; choices given in ``mapping``
    win, the rest are auto-detected from the header and the first ``sample_rows`` rows, exactly
    as an import does. A data.police.uk file (with no explicit mapping) gives its fixed columns.
    GIS layers take coordinates from their geometry, so no coordinate keys are returned for them.
    """
    path = Path(path)
    mapping = mapping or ColumnMapping()
    if not path.is_file():
        raise BeatwiseError(f"{path}: no such file")
    if not mapping.to_dict() and _police_uk_header(path):
        return dict(police_uk.USED)
    head = preview_rows(path, sample_rows, mapping=mapping)
    if sources.kind_of(path) == "layer":
        mapping = _layer_mapping(mapping)
    return colmod.resolve([str(c) for c in head.columns], mapping, head)


# ---------------------------------------------------------------- the entry point
def read_incidents(paths, mapping: ColumnMapping | None = None, *,
                   working_crs: str | None = None,
                   progress: Optional[ProgressFn] = None, geometry: bool = True) -> ImportResult:
    """Read incidents from files and folders into the working CRS.

    Parameters
    ----------
    paths : path or sequence of paths
        Files (CSV, TSV, XLSX, GeoPackage, GeoJSON, Shapefile) and folders of them;
        data.police.uk street CSVs are recognised by their header.
    mapping : ColumnMapping, optional
        Column choices; anything not given is auto-detected.
    working_crs : str, optional
        Force the working CRS; by default EPSG:27700 in Great Britain, else local UTM
        (:func:`analysis.ingest.crs.working_crs_for`).
    progress : ProgressFn, optional
        Called with (fraction, message) between files.
    geometry : bool
        False: make no shapely points; ``incidents`` is then a DataFrame with ``x``, ``y`` in the
        working CRS (named in ``incidents.attrs["crs"]``) instead of a geometry (the report is the same; :func:`frame.assemble`).

    Returns
    -------
    ImportResult
        ``incidents`` (GeoDataFrame, see DESIGN.md section 2) and ``report``, for which
        ``accepted + rejected == rows_read`` always holds.

    Raises
    ------
    BeatwiseError
        For files that cannot be read at all (empty, binary, no coordinate columns...),
        naming the file.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    mapping = mapping or ColumnMapping()
    files, notes = sources.expand_paths(paths)
    parts: list[schema.Part] = []
    report(progress, 0.0, f"reading {files[0].name}")
    if len(files) == 1:
        parts.append(read_file_part(files[0], mapping))
    else:  # two files at a time: Arrow parses one while Python checks the other
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
            futures = [pool.submit(read_file_part, f, mapping) for f in files]
            try:
                for i, fut in enumerate(futures):
                    parts.append(fut.result())
                    report(progress, 0.9 * (i + 1) / len(files), f"read {files[i].name}")
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    report(progress, 0.9, "projecting")
    result = frame.assemble(parts, working_crs=working_crs, extra_warnings=notes, geometry=geometry)
    report(progress, 1.0, f"{result.report.accepted:,} incidents imported")
    return result

