"""Patrol logs (tasking records): a unit, a start, an end and where: an area polygon or a street.

For forces that keep no GPS, only who was tasked where and when (DESIGN.md section 2, "patrol
logs"). The rows come in as incidents and pings do: CSV/TSV/XLSX through :mod:`.tables` (the area
as a WKT column, in ``crs`` or detected: degrees are WGS84, British National Grid numbers are
EPSG:27700) or a GIS polygon layer (the area is the feature's geometry). Times are parsed as for
pings (:mod:`.timeparse`): ISO with or without a UTC offset, Unix epochs, UK day-first; naive times
are Europe/London wall-clock, the clock changes handled as for pings. A row naming a street instead
of an area is given the street's area by ``street_area`` (the caller's lookup: the ingest layer
knows no street layer; :func:`analysis.patrols.logs.street_areas` makes one from ``--streets``).

Every row is accepted or rejected with its file, line and reason (no unit, a missing or unreadable
start or end, an end not after the start, a time out of range or in the future, an area that is
not a polygon, an unknown street, neither area nor street): ``accepted + rejected == rows_read``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.ingest import crs as crsmod
from analysis.ingest import sources, tables
from analysis.ingest import validation as v
from analysis.ingest.columns import norm
from analysis.ingest.ping_columns import UNIT_CANDIDATES, pick_column
from analysis.ingest.times import EARLIEST
from analysis.ingest.timeparse import LOCAL_TZ, parse_times
from analysis.ingest.tracks import NO_UNIT, TIME_IN_FUTURE, local_to_utc
from analysis.progress import BeatwiseError, ProgressFn, report

LOG_COLUMNS = ["unit_id", "t_start", "t_end", "street", "source_file", "source_row"]
START_CANDIDATES = ("start", "starttime", "startdatetime", "datestart", "startdate", "timestart", "from",
                    "timefrom", "fromtime", "timeon", "begin", "began", "started", "taskstart", "onduty")
END_CANDIDATES = ("end", "endtime", "enddatetime", "dateend", "enddate", "timeend", "to", "timeto",
                  "totime", "timeoff", "finish", "finished", "ended", "taskend", "offduty")
AREA_CANDIDATES = ("wkt", "area", "areawkt", "polygon", "geometry", "geom", "shape", "patrolarea", "beat")
STREET_CANDIDATES = ("street", "streetname", "road", "roadname", "location")
END_NOT_AFTER_START = "end is not after start"
NO_AREA = "no area and no street"
NOT_A_POLYGON = "area is not a polygon"
POLYGON_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class LogMapping:
    """Which columns hold what in a logs table; ``None`` means auto-detect.

    ``wkt`` is the area polygon as WKT in ``crs`` (detected when not given), ``street`` a street
    name looked up in the street layer.
    """

    unit: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None
    wkt: Optional[str] = None
    street: Optional[str] = None
    crs: Optional[str] = None
    dayfirst: Optional[bool] = None
    sheet: Optional[str] = None
    tz: str = LOCAL_TZ


@dataclass(frozen=True)
class LogResult:
    """Logs (GeoDataFrame: :data:`LOG_COLUMNS`, ``t_start``/``t_end`` tz-aware UTC, polygon
    geometry in the working CRS, sorted by unit then start) and the import report."""

    logs: gpd.GeoDataFrame
    report: v.ImportReport


def _exact(header, candidates, given):
    """Like :func:`pick_column` but by whole names only ("to" must not find "photo")."""
    if given is not None:
        return pick_column(header, (), given)
    by_norm = {}
    for c in header:
        by_norm.setdefault(norm(c), c)
    return next((by_norm[c] for c in candidates if c in by_norm), None)


def _is_wkt(values) -> bool:
    text = pd.Series(values, dtype=object).astype(str).str.strip().str.upper()
    text = text[text != ""]
    return len(text) > 0 and bool(text.str.match(r"^(MULTI)?POLYGON\s*(Z|M|ZM)?\s*\(").mean() > 0.5)


def detect_log_columns(header, sample: Optional[pd.DataFrame] = None, mapping: Optional[LogMapping] = None) -> dict:
    """Field -> column for a logs table: ``unit``, ``start``, ``end``, ``wkt`` (a column whose
    values are WKT polygons), ``street``; the fields found only."""
    header = [str(c) for c in header]
    m = mapping or LogMapping()
    out = {}
    for key, cands in (("unit", UNIT_CANDIDATES), ("start", START_CANDIDATES), ("end", END_CANDIDATES)):
        col = _exact(header, cands, getattr(m, key))
        if col:
            out[key] = col
    if m.wkt:
        out["wkt"] = pick_column(header, (), m.wkt)
    else:
        for c in header:
            if norm(c) in AREA_CANDIDATES and c not in out.values() and (sample is None or _is_wkt(sample[c])):
                out["wkt"] = c
                break
    street = _exact([c for c in header if c not in out.values()], STREET_CANDIDATES, m.street)
    if street:
        out["street"] = street
    return out


def _wkt_crs(geoms: np.ndarray, given: Optional[str], path: Path, warnings: list) -> str:
    if given:
        return given
    ok = geoms[~shapely.is_missing(geoms)]
    if not len(ok):
        return crsmod.WGS84
    xy = shapely.get_coordinates(ok)
    if np.all((np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90)):
        return crsmod.WGS84
    if np.all((xy[:, 0] >= crsmod.BNG_X[0]) & (xy[:, 0] <= crsmod.BNG_X[1])
              & (xy[:, 1] >= crsmod.BNG_Y[0]) & (xy[:, 1] <= crsmod.BNG_Y[1])):
        warnings.append(f"{path.name}: the area coordinates are not degrees but fit British National "
                        "Grid: read as EPSG:27700 (give --log-crs to choose another)")
        return crsmod.BNG
    raise BeatwiseError(f"{path}: the area coordinates are not longitude/latitude degrees; say which "
                        "coordinate system they are in with --log-crs EPSG:NNNN")


def _read_file(path: Path, m: LogMapping, working_crs: str):
    """(units, start parse, end parse, areas in the working CRS or None, street names, lines, reasons,
    malformed, warnings, columns) of one file."""
    warnings: list = []
    if sources.kind_of(path) == "layer":
        from analysis.ingest.layers import read_layer

        layer = read_layer(path, working_crs, what="patrol log layer")
        attrs = layer.drop(columns=layer.geometry.name).astype(str).replace({"None": "", "nan": "", "NaT": ""})
        header = [str(c) for c in attrs.columns]
        found = detect_log_columns(header, None, m)
        found.pop("wkt", None)
        cells = {c: attrs[c].to_numpy(dtype=object) for c in found.values()}
        geoms = layer.geometry.to_numpy()
        lines, malformed, fmt = np.arange(1, len(layer) + 1, dtype=np.int64), [], path.suffix.lower().lstrip(".")
    else:
        head = tables.peek(path, 200, sheet=m.sheet)
        header = [str(c) for c in head.columns]
        found = detect_log_columns(header, head, m)
        raw = tables.read_table(path, set(found.values()), coded=[found["unit"]] if "unit" in found else [],
                                sheet=m.sheet)
        cells = {c: raw.strings(c) for c in found.values()}
        lines, malformed, fmt = raw.lines, list(raw.malformed), raw.fmt
        warnings += list(raw.warnings)
        geoms = None
        if "wkt" in found:
            text = cells[found["wkt"]]
            geoms = shapely.from_wkt(np.where(text == "", None, text), on_invalid="ignore")
            src = _wkt_crs(geoms, m.crs, path, warnings)
            geoms = gpd.GeoSeries(geoms, crs=src).to_crs(working_crs).to_numpy()
    missing = [k for k in ("unit", "start", "end") if k not in found]
    if missing or not ({"wkt", "street"} & set(found) or sources.kind_of(path) == "layer"):
        what = ", ".join(missing) or "area (a WKT polygon column) or street"
        raise BeatwiseError(f"{path}: a patrol log needs a unit, a start, an end and an area or a street; "
                            f"no {what} column found (map it with --log-unit/--log-start/--log-end/"
                            f"--log-wkt/--log-street). Columns found: {', '.join(header)}")
    n = len(lines)
    units = cells[found["unit"]]
    streets = cells[found["street"]] if "street" in found else np.full(n, "", dtype=object)
    times = []
    for key in ("start", "end"):
        col = found[key]
        parsed = parse_times(cells[col], dayfirst=m.dayfirst, column=col, tz="UTC")
        warnings += [f"{path.name}: {t}".replace(", converted to UTC time", "") for t in parsed.notes]
        times.append(parsed)
    return (units, times, geoms, streets, lines, malformed, warnings,
            {str(path): {"format": fmt, **found}})


def read_patrol_logs(paths, mapping: Optional[LogMapping] = None, *, working_crs: str,
                     street_area: Optional[Callable[[str], object]] = None, streets_source: str = "",
                     progress: Optional[ProgressFn] = None) -> LogResult:
    """Read patrol logs from CSV/TSV/XLSX (a WKT area column or a street column) or polygon layers.

    Parameters
    ----------
    paths : path or list of paths (files or folders)
    mapping : LogMapping, optional
    working_crs : str
        The project's (the incidents') CRS, metres: the areas are reprojected to it.
    street_area : callable, optional
        Street name -> its area polygon in ``working_crs``, or None for a street it does not know
        (:func:`analysis.patrols.logs.street_areas`). Needed when a row names a street.
    streets_source : str
        The street layer's file, for messages.

    Returns
    -------
    LogResult
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    m = mapping or LogMapping()
    files, notes = sources.expand_paths(paths)
    latest = (np.datetime64("now", "s") + np.timedelta64(1, "D")).astype("datetime64[ns]")
    frames, rejected, warnings, columns, rows_read = [], [], list(notes), {}, 0
    for i, path in enumerate(files):
        report(progress, i / max(len(files), 1), f"reading {path.name}")
        units, (ps, pe), geoms, streets, lines, malformed, w, cols = _read_file(path, m, working_crs)
        warnings += w
        columns.update(cols)
        n = len(lines)
        rows_read += n + len(malformed)
        rejected += [v.RejectedRow(str(path), int(line), f"malformed line: {why}") for line, why in malformed]
        reasons = np.full(n, "", dtype=object)
        v.first_reason(reasons, units == "", NO_UNIT)
        t = []
        for parsed, col, what in ((ps, cols[str(path)]["start"], "start"), (pe, cols[str(path)]["end"], "end")):
            v.first_reason(reasons, parsed.missing, f"no {what} time in '{col}'")
            v.first_reason(reasons, parsed.bad, f"{v.BAD_TIME} in '{col}'")
            utc = local_to_utc(parsed.values, parsed.absolute, m.tz)[0]
            with np.errstate(invalid="ignore"):
                v.first_reason(reasons, ~np.isnat(utc) & (utc < EARLIEST), v.DATE_OUT_OF_RANGE)
                v.first_reason(reasons, ~np.isnat(utc) & (utc > latest), TIME_IN_FUTURE)
            t.append(utc)
        v.first_reason(reasons, ~np.isnat(t[0]) & ~np.isnat(t[1]) & (t[1] <= t[0]), END_NOT_AFTER_START)
        area = np.full(n, None, dtype=object)
        has_geom = np.zeros(n, bool)
        if geoms is not None:
            has_geom = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
            polygonal = has_geom & np.isin(shapely.get_type_id(geoms), (3, 6))
            fixed = geoms.copy()
            fixed[polygonal] = shapely.make_valid(geoms[polygonal])
            good = polygonal & (shapely.area(np.where(polygonal, fixed, None)) > 0)
            v.first_reason(reasons, has_geom & ~good, NOT_A_POLYGON + " (or has no size)")
            area[good] = fixed[good]
        named = ~has_geom & (streets != "")
        if named.any() and (reasons[named] == "").any():
            if street_area is None:
                example = streets[named][0]
                raise BeatwiseError(f"{path}: {int(named.sum()):,} log(s) name a street (e.g. {example!r}) but "
                                    "no street layer was given: add --streets LAYER (a road centre-line layer)")
            lookup = {}
            for name in dict.fromkeys(streets[named & (reasons == "")]):
                lookup[name] = street_area(name)
            for i in np.flatnonzero(named & (reasons == "")):
                poly = lookup[streets[i]]
                if poly is None:
                    where = f"the street layer {streets_source}" if streets_source else "the street layer"
                    reasons[i] = f"unknown street {streets[i]!r} (not in {where})"
                else:
                    area[i] = poly
        v.first_reason(reasons, ~has_geom & (streets == ""), NO_AREA)
        rejected += v.rejected_rows(str(path), lines, reasons)
        ok = reasons == ""
        frames.append(gpd.GeoDataFrame({
            "unit_id": pd.array(units[ok].astype(str), dtype="str"),
            "t_start": pd.DatetimeIndex(t[0][ok]).tz_localize("UTC"),
            "t_end": pd.DatetimeIndex(t[1][ok]).tz_localize("UTC"),
            "street": pd.array(np.where(has_geom[ok], "", streets[ok]).astype(str), dtype="str"),
            "source_file": pd.array(np.full(int(ok.sum()), str(path)), dtype="str"),
            "source_row": lines[ok].astype(np.int64)},
            geometry=gpd.GeoSeries(area[ok], crs=working_crs), crs=working_crs))
    logs = (pd.concat(frames, ignore_index=True) if frames
            else gpd.GeoDataFrame({c: [] for c in LOG_COLUMNS}, geometry=[], crs=working_crs))
    logs = gpd.GeoDataFrame(logs, geometry="geometry", crs=working_crs).sort_values(
        ["unit_id", "t_start"], kind="stable").reset_index(drop=True)
    rep = v.ImportReport(files=tuple(str(f) for f in files), rows_read=rows_read, accepted=len(logs),
                         rejected=tuple(rejected), warnings=tuple(dict.fromkeys(warnings)), crs=working_crs,
                         time_precision="window" if len(logs) else "none",
                         bounds=tuple(float(b) for b in logs.total_bounds) if len(logs) else None,
                         columns=columns)
    if len(logs) == 0:
        raise BeatwiseError(f"no usable patrol log of {rows_read:,} rows read"
                            + (f" (most rejected: {next(iter(rep.rejections))})" if rep.rejected else ""))
    report(progress, 1.0, f"{len(logs):,} patrol logs of {logs['unit_id'].nunique()} units")
    return LogResult(logs, rep)
