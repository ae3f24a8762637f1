"""Reading incidents from data.police.uk CSVs, force exports and GIS layers.

``read_incidents(paths, mapping)`` returns an :class:`ImportResult`: the incidents as a
GeoDataFrame in the working CRS (metres) with the columns of DESIGN.md section 2, and an
:class:`~analysis.ingest.validation.ImportReport` in which every row read is either accepted
or rejected with its file, line number and reason.
"""
from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Optional, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from analysis.ingest import crs as crsmod
from analysis.ingest import validation as v
from analysis.ingest.layers import read_layer
from analysis.progress import BeatwiseError, ProgressFn, report
from analysis.ingest.timeparse import parse_time_of_day, parse_times

TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm"}
LAYER_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp"}
SUPPORTED_SUFFIXES = TABLE_SUFFIXES | LAYER_SUFFIXES
COLUMNS = ["incident_id", "crime_type", "location", "area", "lsoa", "t_start", "t_end",
           "time_precision", "weight", "source_file", "source_row"]
TIME_PRECISIONS = ("month", "day", "minute", "window", "none")

POLICE_UK_COLUMNS = ("Crime ID", "Month", "Longitude", "Latitude", "Location", "LSOA name",
                     "Crime type")

# Auto-detection: normalised column name candidates, best first.
CANDIDATES = {
    "lon": ("longitude", "lon", "long", "lng", "xlon", "longitudewgs84"),
    "lat": ("latitude", "lat", "ylat", "latitudewgs84"),
    "x": ("x", "xcoordinate", "xcoord", "easting", "eastings", "east", "pointx"),
    "y": ("y", "ycoordinate", "ycoord", "northing", "northings", "north", "pointy"),
    "wkt": ("wkt", "geometry", "geom", "thegeom", "shape"),
    "start": ("datestart", "startdate", "start", "from", "datefrom", "fromdate", "startdatetime",
              "occurredfrom", "committedfrom", "firstdate"),
    "end": ("dateend", "enddate", "end", "to", "dateto", "todate", "enddatetime", "occurredto",
            "committedto", "lastdate"),
    "time": ("datetime", "date", "datetimeoccurred", "occurred", "occurreddate", "timestamp",
             "incidentdate", "reporteddate", "datesingle", "dateofoffence", "offencedate",
             "eventdate", "calldate", "created"),
    "time_of_day": ("time", "timeofday", "hour", "incidenttime", "occurredtime"),
    "crime_type": ("crimetype", "primarytype", "offencetype", "offensetype", "offence", "offense",
                   "category", "type", "crime", "incidenttype", "calltype", "offencedescription"),
    "id": ("incidentid", "crimeid", "id", "uid", "casenumber", "reference", "ref", "crimeref",
           "incidentnumber", "eventid", "objectid"),
    "location": ("location", "address", "street", "streetname", "block", "road", "locationname"),
    "area": ("area", "lsoaname", "district", "ward", "beat", "neighbourhood", "neighborhood",
             "sector", "communityarea", "borough"),
}
MAPPING_FIELDS = ("lon", "lat", "x", "y", "wkt", "time", "date", "time_of_day", "start", "end",
                  "crime_type", "id", "location", "area", "weight")


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns hold what; ``None`` means auto-detect.

    Exactly one way of giving coordinates applies: ``lon``+``lat`` (WGS84), ``x``+``y``
    with ``crs``, or ``wkt`` (with ``crs``, default WGS84). Times: ``time`` (one column),
    ``date``+``time_of_day``, or ``start``+``end`` (windows; an empty end is an exact time).
    """

    lon: Optional[str] = None
    lat: Optional[str] = None
    x: Optional[str] = None
    y: Optional[str] = None
    crs: Optional[str] = None
    wkt: Optional[str] = None
    time: Optional[str] = None
    date: Optional[str] = None
    time_of_day: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None
    crime_type: Optional[str] = None
    id: Optional[str] = None
    location: Optional[str] = None
    area: Optional[str] = None
    weight: Optional[str] = None
    dayfirst: Optional[bool] = None
    sheet: Optional[str] = None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if getattr(self, k) is not None}


@dataclass(frozen=True)
class ImportResult:
    """Incidents (GeoDataFrame, working CRS) and the report of how they were read."""

    incidents: gpd.GeoDataFrame
    report: v.ImportReport


@dataclass
class _Part:
    """One file's accepted rows, before projection to the working CRS."""

    file: str
    frame: pd.DataFrame          # COLUMNS except geometry
    x: np.ndarray
    y: np.ndarray
    src_crs: str
    rows_read: int
    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)
    synthetic: bool = False


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files to read: the given files, and the supported files inside given folders."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file()
                           and f.suffix.lower() in SUPPORTED_SUFFIXES)
            if not found:
                raise BeatwiseError(f"{p}: the folder has no CSV, TSV, XLSX, GeoPackage, GeoJSON "
                                    "or Shapefile to import")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise BeatwiseError(f"{p}: no such file or folder")
    if not out:
        raise BeatwiseError("no input files given")
    return out


# ---------------------------------------------------------------- reading tables
def _sniff(path: Path) -> tuple[str, str]:
    """(encoding, delimiter) of a text table; BeatwiseError for empty or binary files."""
    size = path.stat().st_size
    if size == 0:
        raise BeatwiseError(f"{path}: the file is empty (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(b"PK\x03\x04"):
        raise BeatwiseError(f"{path}: this is a zip or Excel workbook, not a text CSV; save it "
                            "as .xlsx (Beatwise reads workbooks) or export it as CSV")
    if b"\x00" in head:
        raise BeatwiseError(f"{path}: this is a binary file, not a text table (CSV/TSV)")
    try:
        text = head.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4 and len(head) == 65536:  # cut mid-character
            text, encoding = head[: exc.start].decode("utf-8-sig"), "utf-8-sig"
        else:
            text, encoding = head.decode("cp1252", errors="replace"), "cp1252"
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise BeatwiseError(f"{path}: the file has no header line")
    counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
    delim = max(counts, key=counts.get)
    if counts[delim] == 0:
        delim = "\t" if path.suffix.lower() == ".tsv" else ","
    return encoding, delim


def _read_csv_robust(path: Path, encoding: str, delim: str, **kw) -> tuple[pd.DataFrame, list, str]:
    """Read with the fast C parser; on malformed lines fall back to the csv module.

    Returns (frame, bad_rows, encoding); bad_rows are (line, reason) of rows with too many fields.
    """
    def attempt(enc):
        na = {"na_filter": True} if "na_values" in kw else {"na_filter": False}
        return pd.read_csv(path, sep=delim, encoding=enc, keep_default_na=False,
                           engine="c", low_memory=False, **na, **kw)
    try:
        try:
            return attempt(encoding), [], encoding
        except UnicodeDecodeError:
            return attempt("cp1252"), [], "cp1252"
    except pd.errors.ParserError:
        pass
    # Slow path: some lines have more fields than the header. Keep them as rejections.
    enc = encoding
    try:
        text = path.read_text(encoding=enc)
    except UnicodeDecodeError:
        enc = "cp1252"
        text = path.read_text(encoding=enc, errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    header = next(reader)
    rows, lines, bad = [], [], []
    for rec in reader:
        line = reader.line_num
        if len(rec) > len(header):
            bad.append((line, f"{len(rec)} fields where the header has {len(header)}"))
            continue
        rows.append(rec + [""] * (len(header) - len(rec)))
        lines.append(line)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    usecols = kw.get("usecols")
    if usecols is not None:
        frame = frame[[c for c in frame.columns if c in set(usecols)]]
    frame.index = pd.Index(np.asarray(lines, dtype=np.int64) - 2)
    return frame, bad, enc


def _read_table(path: Path, mapping: ColumnMapping) -> tuple[pd.DataFrame, np.ndarray, list, list]:
    """All cells as strings; returns (frame, line numbers, bad rows, warnings)."""
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, sheet_name=mapping.sheet or 0, dtype=str,
                                  keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for broken workbooks
            raise BeatwiseError(f"{path}: cannot read the workbook ({exc})") from exc
        frame = frame.fillna("")
        rows = np.arange(len(frame), dtype=np.int64) + 2
        return frame, rows, [], warnings
    encoding, delim = _sniff(path)
    frame, bad, enc = _read_csv_robust(path, encoding, delim, dtype=str)
    if enc == "cp1252":
        warnings.append(f"{path.name}: not UTF-8; read as Windows-1252 (Excel) text")
    rows = frame.index.to_numpy(dtype=np.int64) + 2
    frame = frame.reset_index(drop=True)
    return frame, rows, bad, warnings


def is_police_uk(columns: Sequence[str]) -> bool:
    """True for a data.police.uk street-level crime header."""
    return set(POLICE_UK_COLUMNS).issubset({str(c).strip() for c in columns})


def _police_uk_header(path: Path) -> bool:
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    try:
        encoding, delim = _sniff(path)
    except BeatwiseError:
        return False
    with open(path, encoding=encoding, errors="replace") as fh:
        header = next(csv.reader([fh.readline()], delimiter=delim), [])
    return is_police_uk(header)


# ---------------------------------------------------------------- data.police.uk
def _str_series(codes: np.ndarray, categories) -> pd.Series:
    """A ``str`` Series from integer codes into ``categories`` (-1 means "").

    With pyarrow the strings are decoded from a dictionary array in C++ (about 20 ms for a
    million rows, against about 350 ms building a million Python strings).
    """
    cats = pd.Index(categories).astype(str)
    codes = np.asarray(codes)
    if (codes < 0).any():
        cats = cats.append(pd.Index([""]))
        codes = np.where(codes < 0, len(cats) - 1, codes)
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return pd.Series(np.asarray(cats, dtype=object)[codes], dtype=str)
    arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)),
                                         pa.array(list(cats), type=pa.large_string()))
    return pd.Series(pd.array(arr.cast(pa.large_string()), dtype="str"))


def _cat_column(col: pd.Series, mask: np.ndarray, rename=None) -> pd.Series:
    """Rows ``mask`` of a categorical column as ``str`` (categories optionally renamed)."""
    cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    cats = pd.Series(cat.cat.categories.astype(str))
    if rename is not None:
        cats = rename(cats)
    return _str_series(cat.cat.codes.to_numpy()[mask], cats)


def _lsoa_district(names: pd.Series) -> pd.Series:
    """'Southend-on-Sea 014B' -> 'Southend-on-Sea' (LSOA names end in a 3-digit code + letter)."""
    return names.str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)


def _read_police_uk_arrow(path: Path, encoding: str, delim: str) -> pd.DataFrame | None:
    """data.police.uk columns read by Arrow's multi-threaded CSV reader (about 3x the C parser).

    Returns None when the file needs the careful path: not UTF-8, a malformed line, or a
    coordinate that is not a number (those rows must be rejected one by one, with reasons).
    """
    if encoding != "utf-8-sig":
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    text = pa.dictionary(pa.int32(), pa.string())
    types = {"Crime ID": pa.string(), "Month": text, "Longitude": pa.float64(),
             "Latitude": pa.float64(), "Location": text, "LSOA name": text, "Crime type": text}
    try:
        table = pacsv.read_csv(
            path, parse_options=pacsv.ParseOptions(delimiter=delim),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(POLICE_UK_COLUMNS), column_types=types,
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowKeyError, UnicodeDecodeError):
        return None
    return table.to_pandas()


def _read_police_uk(path: Path, mapping: ColumnMapping) -> _Part:
    encoding, delim = _sniff(path)
    cols = list(POLICE_UK_COLUMNS)
    dtypes = {"Crime ID": str, "Month": "category", "Longitude": float, "Latitude": float,
              "Location": "category", "LSOA name": "category", "Crime type": "category"}
    try:  # fast paths: coordinates parsed as numbers by the parser, "" -> NaN
        frame = _read_police_uk_arrow(path, encoding, delim)
        if frame is not None:
            bad, enc = [], encoding
        else:
            frame, bad, enc = _read_csv_robust(path, encoding, delim, usecols=cols, dtype=dtypes,
                                               na_values={"Longitude": [""], "Latitude": [""]})
        lon = frame["Longitude"].to_numpy(dtype=float)
        lat = frame["Latitude"].to_numpy(dtype=float)
        missing = np.isnan(lon) | np.isnan(lat)
    except ValueError:  # some coordinate is not a number: read as text, reject those rows
        dtypes.update(Longitude=str, Latitude=str)
        frame, bad, enc = _read_csv_robust(path, encoding, delim, usecols=cols, dtype=dtypes)
        lon_s = frame["Longitude"].fillna("").astype(str).str.strip()
        lat_s = frame["Latitude"].fillna("").astype(str).str.strip()
        lon = pd.to_numeric(lon_s, errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(lat_s, errors="coerce").to_numpy(dtype=float)
        missing = ((lon_s == "") | (lat_s == "")).to_numpy()
    n_ok = len(frame)
    rows = frame.index.to_numpy(dtype=np.int64) + 2
    frame = frame.reset_index(drop=True)
    warnings = []
    if enc == "cp1252":
        warnings.append(f"{path.name}: not UTF-8; read as Windows-1252 (Excel) text")
    reasons = np.full(n_ok, "", dtype=object)
    v.coordinate_reasons(lon, lat, missing, reasons)
    month = parse_times(frame["Month"].astype("category").cat.categories.astype(str), column="Month")
    mcat = frame["Month"].astype("category")
    codes = mcat.cat.codes.to_numpy()
    mvals = np.where(codes >= 0, month.values[np.maximum(codes, 0)], np.datetime64("NaT"))
    mvals = mvals.astype("datetime64[ns]")
    v.first_reason(reasons, np.isnat(mvals), v.BAD_TIME)
    ok = reasons == ""
    n = int(ok.sum())
    ids = frame["Crime ID"].fillna("").astype(str)
    no_id = (ids == "").to_numpy()
    if no_id.any():  # anti-social behaviour rows have no Crime ID: make one from file and line
        stem = re.sub(r"[^A-Za-z0-9]+", "-", path.stem)
        ids = ids.copy()
        ids[no_id] = np.char.add(f"asb-{stem}-", rows[no_id].astype(str))
    t_start = mvals[ok]
    t_end = (t_start.astype("datetime64[M]") + np.timedelta64(1, "M")).astype("datetime64[ns]")
    out = pd.DataFrame({
        "incident_id": ids[ok].reset_index(drop=True),
        "crime_type": _cat_column(frame["Crime type"], ok),
        "location": _cat_column(frame["Location"], ok),
        "area": _cat_column(frame["LSOA name"], ok, _lsoa_district),
        "lsoa": _cat_column(frame["LSOA name"], ok),
        "t_start": t_start,
        "t_end": t_end,
        "time_precision": _str_series(np.zeros(n, dtype=np.int32), ["month"]),
        "weight": np.ones(n),
        "source_file": _str_series(np.zeros(n, dtype=np.int32), [str(path)]),
        "source_row": rows[ok],
    })
    rejected = [v.RejectedRow(str(path), int(line), f"malformed line: {why}") for line, why in bad]
    rejected += v.rejected_rows(str(path), rows, reasons)
    cols_used = {"lon": "Longitude", "lat": "Latitude", "time": "Month", "id": "Crime ID",
                 "crime_type": "Crime type", "location": "Location", "area": "LSOA name"}
    return _Part(str(path), out, lon[ok], lat[ok], crsmod.WGS84, n_ok + len(bad), rejected,
                 warnings, {str(path): {"format": "data.police.uk", **cols_used}})


# ---------------------------------------------------------------- general tables
def _detect(columns: Sequence[str], mapping: ColumnMapping, frame: pd.DataFrame | None) -> dict:
    """Resolve the mapping against actual column names (explicit names win, else candidates)."""
    by_norm = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    chosen: dict[str, str] = {}
    for key in MAPPING_FIELDS:
        given = getattr(mapping, key)
        if given is not None:
            if given not in columns:
                match = by_norm.get(_norm(given))
                if match is None:
                    raise BeatwiseError(f"column {given!r} (given for --{key.replace('_', '-')}) is "
                                        f"not in the file; columns found: {', '.join(map(str, columns))}")
                given = match
            chosen[key] = given
    explicit = set(chosen)

    def pick(key):
        for cand in CANDIDATES.get(key, ()):
            col = by_norm.get(cand)
            if col is not None and col not in chosen.values():
                if key == "location" and frame is not None and _looks_like_coords(frame[col]):
                    continue
                return col
        return None

    coord_given = explicit & {"lon", "lat", "x", "y", "wkt"}
    if not coord_given:
        lon, lat = pick("lon"), pick("lat")
        if lon and lat:
            chosen.update(lon=lon, lat=lat)
        else:
            x, y = pick("x"), pick("y")
            if x and y:
                chosen.update(x=x, y=y)
            else:
                w = pick("wkt")
                if w:
                    chosen["wkt"] = w
    time_given = explicit & {"time", "date", "time_of_day", "start", "end"}
    if not time_given:
        s, e = pick("start"), pick("end")
        if s:
            chosen["start"] = s
            if e:
                chosen["end"] = e
        else:
            t = pick("time")
            if not t:  # a column called "time" that holds whole date-times
                tod = pick("time_of_day")
                if tod and frame is not None and not _looks_like_time_of_day(frame[tod]):
                    t = tod
            if t:
                chosen["time"] = t
                tod = pick("time_of_day")
                if tod and frame is not None and _looks_like_time_of_day(frame[tod]):
                    chosen.pop("time")
                    chosen.update(date=t, time_of_day=tod)
    elif "date" in chosen and "time" in chosen and "time_of_day" not in chosen:
        chosen["time_of_day"] = chosen.pop("time")
    for key in ("crime_type", "id", "location", "area"):
        if key not in chosen:
            col = pick(key)
            if col:
                chosen[key] = col
    return chosen


def _looks_like_coords(col: pd.Series) -> bool:
    sample = col.astype(str).head(50)
    return bool(sample.str.match(r"^\s*[\(\[]?\s*-?\d+\.\d+\s*,\s*-?\d+\.\d+").mean() > 0.5)


def _looks_like_time_of_day(col: pd.Series) -> bool:
    sample = col.astype(str).str.strip().head(200)
    sample = sample[sample != ""]
    return len(sample) > 0 and bool(sample.str.match(r"^\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp][Mm])?$|^\d{4}$").mean() > 0.8)


def _no_coordinates_message(path: Path, columns: Sequence[str]) -> str:
    cols = ", ".join(repr(str(c)) for c in columns)
    hint = ""
    if len(columns) == 1 and any(d in str(columns[0]) for d in (" ", ":", ";", "|", "\t")):
        hint = (" Only one column was found: is the delimiter right? Beatwise reads comma, tab, "
                "semicolon and pipe separated files.")
    return (f"{path}: no usable coordinate columns. Columns found: {cols}. Map them with "
            "--lon COL --lat COL (WGS84), --x COL --y COL --crs EPSG:NNNN (projected), "
            f"or --wkt COL.{hint}")


def _coordinates(path: Path, frame: pd.DataFrame, chosen: dict, mapping: ColumnMapping,
                 reasons: np.ndarray, warnings: list) -> tuple[np.ndarray, np.ndarray, str]:
    def num(col):
        s = frame[col].astype(str).str.strip()
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float), (s == "").to_numpy()

    if "lon" in chosen and "lat" in chosen:
        lon, m1 = num(chosen["lon"])
        lat, m2 = num(chosen["lat"])
        missing = m1 | m2
        fin = np.isfinite(lon) & np.isfinite(lat)
        # Swapped columns: most "latitudes" beyond 90 while "longitudes" fit, or data that
        # lands in Great Britain only when swapped.
        if fin.sum() >= 1:
            valid = ((np.abs(lat[fin]) <= 90) & (np.abs(lon[fin]) <= 180)).mean()
            valid_sw = ((np.abs(lon[fin]) <= 90) & (np.abs(lat[fin]) <= 180)).mean()
            gb = crsmod.in_great_britain(lon[fin], lat[fin]).mean()
            gb_sw = crsmod.in_great_britain(lat[fin], lon[fin]).mean()
            if (valid_sw > 0.5 and valid < 0.5) or (gb_sw > 0.5 and gb < 0.1):
                lon, lat = lat, lon
                warnings.append(f"{path.name}: coordinates look like lat/lon swapped "
                                f"('{chosen['lat']}' holds longitudes); read them swapped")
        v.coordinate_reasons(lon, lat, missing, reasons)
        return lon, lat, crsmod.WGS84
    if "x" in chosen and "y" in chosen:
        x, m1 = num(chosen["x"])
        y, m2 = num(chosen["y"])
        v.first_reason(reasons, m1 | m2, v.NO_COORDINATES)
        v.first_reason(reasons, ~(np.isfinite(x) & np.isfinite(y)), v.BAD_COORDINATES)
        v.first_reason(reasons, (x == 0) & (y == 0), v.ZERO_ZERO)
        src = mapping.crs
        if src is None:
            fin = np.isfinite(x) & np.isfinite(y)
            if fin.any() and np.all((np.abs(x[fin]) <= 180) & (np.abs(y[fin]) <= 90)):
                src = crsmod.WGS84
                warnings.append(f"{path.name}: x/y look like degrees; read as WGS84 lon/lat")
            elif fin.any() and np.all((x[fin] >= crsmod.BNG_X[0]) & (x[fin] <= crsmod.BNG_X[1])
                                      & (y[fin] >= crsmod.BNG_Y[0]) & (y[fin] <= crsmod.BNG_Y[1])):
                src = crsmod.BNG
                warnings.append(f"{path.name}: no --crs given; x/y fit British National Grid, "
                                "read as EPSG:27700")
            else:
                raise BeatwiseError(f"{path}: x/y columns {chosen['x']!r}/{chosen['y']!r} need "
                                    "their coordinate system: add --crs EPSG:NNNN")
        try:
            CRS.from_user_input(src)
        except Exception as exc:
            raise BeatwiseError(f"unknown coordinate system {src!r} ({exc})") from exc
        return x, y, crsmod.crs_name(src)
    if "wkt" in chosen:
        s = frame[chosen["wkt"]].astype(str).str.strip()
        geo = gpd.GeoSeries.from_wkt(s.where(s != "", None), on_invalid="ignore")
        missing = (s == "").to_numpy()
        isnull = geo.isna().to_numpy() | geo.is_empty.to_numpy()
        v.first_reason(reasons, missing, v.NO_COORDINATES)
        v.first_reason(reasons, isnull, v.BAD_GEOMETRY)
        is_pt = np.zeros(len(geo), bool)
        is_pt[~isnull] = (geo[~isnull].geom_type == "Point").to_numpy()
        v.first_reason(reasons, ~is_pt, v.BAD_GEOMETRY)
        x = np.full(len(geo), np.nan)
        y = np.full(len(geo), np.nan)
        x[is_pt] = geo[is_pt].x.to_numpy()
        y[is_pt] = geo[is_pt].y.to_numpy()
        src = mapping.crs or crsmod.WGS84
        if CRS.from_user_input(src).is_geographic:
            v.coordinate_reasons(x, y, np.zeros(len(x), bool), reasons)
        return x, y, crsmod.crs_name(src)
    raise BeatwiseError(_no_coordinates_message(path, list(frame.columns)))


def _times(path: Path, frame: pd.DataFrame, chosen: dict, mapping: ColumnMapping,
           reasons: np.ndarray, warnings: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t_start, t_end, precision) arrays, writing reasons for bad rows."""
    n = len(frame)
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    prec = np.full(n, "none", dtype=object)
    df = mapping.dayfirst

    def precision_of(p):
        if p.kind == "month":
            return np.where(p.missing, "none", "month")
        return np.where(p.missing, "none", np.where(p.has_time, "minute", "day"))

    def spans(values, pr):
        end = values.copy()
        day = pr == "day"
        end[day] = values[day] + np.timedelta64(1, "D")
        mon = pr == "month"
        end[mon] = (values[mon].astype("datetime64[M]") + np.timedelta64(1, "M")).astype("datetime64[ns]")
        return end

    if "start" in chosen:
        ps = parse_times(frame[chosen["start"]], dayfirst=df, column=chosen["start"])
        warnings.extend(f"{path.name}: {n_}" for n_ in ps.notes)
        v.first_reason(reasons, ps.missing, v.NO_TIME)
        v.first_reason(reasons, ps.bad, f"{v.BAD_TIME} in '{chosen['start']}'")
        start = ps.values
        pr = precision_of(ps)
        end = spans(start, pr)
        if "end" in chosen:
            pe = parse_times(frame[chosen["end"]], dayfirst=df, column=chosen["end"])
            warnings.extend(f"{path.name}: {n_}" for n_ in pe.notes)
            v.first_reason(reasons, pe.bad, f"{v.BAD_TIME} in '{chosen['end']}'")
            has_end = ~pe.missing & ~pe.bad
            e = pe.values
            # a date-only end covers that whole day
            e_day = has_end & ~pe.has_time & (pe.kind != "month")
            e = e.copy()
            e[e_day] = e[e_day] + np.timedelta64(1, "D")
            with np.errstate(invalid="ignore"):
                before = has_end & ~np.isnat(start) & (e < start)
            v.first_reason(reasons, before, v.END_BEFORE_START)
            win = has_end & ~before & (e > end)
            end = np.where(win, e, end)
            pr = np.where(win, "window", pr)
            n_empty = int((pe.missing & ~ps.missing).sum())
            if n_empty:
                warnings.append(f"{path.name}: {n_empty:,} rows have no '{chosen['end']}': "
                                "counted as exact times at their start")
        return start, end, pr
    if "date" in chosen and "time_of_day" in chosen:
        pd_ = parse_times(frame[chosen["date"]], dayfirst=df, column=chosen["date"])
        warnings.extend(f"{path.name}: {n_}" for n_ in pd_.notes)
        tod, tmiss, tbad = parse_time_of_day(frame[chosen["time_of_day"]], chosen["time_of_day"])
        v.first_reason(reasons, pd_.missing, v.NO_TIME)
        v.first_reason(reasons, pd_.bad, f"{v.BAD_TIME} in '{chosen['date']}'")
        v.first_reason(reasons, tbad, f"{v.BAD_TIME} in '{chosen['time_of_day']}'")
        day = pd_.values.astype("datetime64[D]").astype("datetime64[ns]")
        has = ~tmiss & ~tbad
        start = np.where(has, day + np.where(has, tod, np.timedelta64(0, "ns")), day)
        pr = np.where(pd_.missing, "none", np.where(has, "minute", "day"))
        return start.astype("datetime64[ns]"), spans(start.astype("datetime64[ns]"), pr), pr
    if "time" in chosen:
        p = parse_times(frame[chosen["time"]], dayfirst=df, column=chosen["time"])
        warnings.extend(f"{path.name}: {n_}" for n_ in p.notes)
        v.first_reason(reasons, p.missing, v.NO_TIME)
        v.first_reason(reasons, p.bad, f"{v.BAD_TIME} in '{chosen['time']}'")
        pr = precision_of(p)
        return p.values, spans(p.values, pr), pr
    warnings.append(f"{path.name}: no date/time column found: only maps are possible (map one "
                    "with --time, --date/--time-of-day or --start/--end)")
    return nat, nat.copy(), prec


def _text(frame: pd.DataFrame, chosen: dict, key: str) -> np.ndarray:
    if key not in chosen:
        return np.full(len(frame), "", dtype=object)
    return frame[chosen[key]].astype(str).str.strip().to_numpy(dtype=object)


def _read_general(path: Path, mapping: ColumnMapping, frame: pd.DataFrame, rows: np.ndarray,
                  bad: list, warnings: list, src_crs_default: str | None = None,
                  xy: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> _Part:
    n = len(frame)
    if n == 0 and not bad:
        raise BeatwiseError(f"{path}: the file has a header but no data rows")
    chosen = _detect([str(c) for c in frame.columns], mapping, frame)
    reasons = np.full(n, "", dtype=object)
    if xy is None:
        x, y, src = _coordinates(path, frame, chosen, mapping, reasons, warnings)
    else:  # GIS layer: coordinates from its geometry
        x, y, isnull = xy
        v.first_reason(reasons, isnull, v.BAD_GEOMETRY)
        src = src_crs_default
        if CRS.from_user_input(src).is_geographic:
            v.coordinate_reasons(x, y, np.zeros(n, bool), reasons)
    t0, t1, pr = _times(path, frame, chosen, mapping, reasons, warnings)
    weight = np.ones(n)
    if "weight" in chosen:
        ws = frame[chosen["weight"]].astype(str).str.strip()
        weight = pd.to_numeric(ws, errors="coerce").to_numpy(dtype=float)
        v.first_reason(reasons, ~np.isfinite(weight) | (weight < 0), v.BAD_WEIGHT)
    ok = reasons == ""
    ids = _text(frame, chosen, "id")
    noid = ids == ""
    if noid.any():
        stem = re.sub(r"[^A-Za-z0-9]+", "-", path.stem)
        ids[noid] = [f"{stem}-{r}" for r in rows[noid]]
    out = pd.DataFrame({
        "incident_id": ids[ok],
        "crime_type": _text(frame, chosen, "crime_type")[ok],
        "location": _text(frame, chosen, "location")[ok],
        "area": _text(frame, chosen, "area")[ok],
        "lsoa": np.full(int(ok.sum()), "", dtype=object),
        "t_start": t0[ok],
        "t_end": t1[ok],
        "time_precision": pr[ok].astype(object),
        "weight": weight[ok],
        "source_file": np.full(int(ok.sum()), str(path), dtype=object),
        "source_row": rows[ok],
    })
    rejected = [v.RejectedRow(str(path), int(line), f"malformed line: {why}") for line, why in bad]
    rejected += v.rejected_rows(str(path), rows, reasons)
    if n and not ok.any():
        top = pd.Series(reasons[reasons != ""]).value_counts()
        warnings.append(f"{path.name}: every row was rejected (most often: {top.index[0]}, "
                        f"{int(top.iloc[0]):,} rows)")
    synthetic = is_synthetic(frame)
    if synthetic:
        warnings.append(f"{path.name}: {SYNTHETIC_NOTE}")
    return _Part(str(path), out, x[ok], y[ok], src, n + len(bad), rejected, warnings,
                 {str(path): {"format": path.suffix.lower().lstrip("."), **chosen}}, synthetic)


SYNTHETIC_NOTE = "SYNTHETIC demo data - not real crimes"


def is_synthetic(frame: pd.DataFrame) -> bool:
    """True when a ``data_note`` column says the rows are SYNTHETIC (Beatwise's demo data)."""
    for col in frame.columns:
        if _norm(col) == "datanote":
            return bool(frame[col].astype(str).str.contains("SYNTHETIC", regex=False).any())
    return False


def _read_layer(path: Path, mapping: ColumnMapping) -> _Part:
    layer = read_layer(path, require_crs=False)
    warnings: list[str] = []
    src = layer.crs
    if src is None:
        src = mapping.crs or crsmod.WGS84
        warnings.append(f"{path.name}: the layer has no CRS; read as {src}")
    geom = layer.geometry
    isnull = (geom.isna() | geom.is_empty).to_numpy()
    is_pt = np.zeros(len(layer), bool)
    is_pt[~isnull] = (geom[~isnull].geom_type == "Point").to_numpy()
    x = np.full(len(layer), np.nan)
    y = np.full(len(layer), np.nan)
    x[is_pt] = geom[is_pt].x.to_numpy()
    y[is_pt] = geom[is_pt].y.to_numpy()
    if (~is_pt & ~isnull).all():
        raise BeatwiseError(f"{path}: this is a {geom.geom_type.iloc[0]} layer; incidents must "
                            "be points")
    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name)).astype(str)
    frame = frame.replace({"None": "", "nan": "", "NaT": ""})
    rows = np.arange(len(frame), dtype=np.int64) + 1  # feature number (1-based)
    return _read_general(path, replace(mapping, lon=None, lat=None, x=None, y=None, wkt=None),
                         frame, rows, [], warnings, crsmod.crs_name(src), (x, y, ~is_pt))


def read_file_part(path: Path, mapping: ColumnMapping) -> _Part:
    """Read one file into a :class:`_Part` (not yet projected)."""
    suffix = path.suffix.lower()
    if suffix in LAYER_SUFFIXES:
        return _read_layer(path, mapping)
    if suffix not in TABLE_SUFFIXES and suffix != "":
        raise BeatwiseError(f"{path}: unsupported file type {suffix!r}; Beatwise reads CSV, TSV, "
                            "XLSX, GeoPackage, GeoJSON and Shapefile")
    if _police_uk_header(path) and not mapping.to_dict():
        return _read_police_uk(path, mapping)
    frame, rows, bad, warnings = _read_table(path, mapping)
    if len(frame.columns) and is_police_uk(frame.columns) and not mapping.to_dict():
        return _read_police_uk(path, mapping)
    return _read_general(path, mapping, frame, rows, bad, warnings)


# ---------------------------------------------------------------- preview (import wizard)
def _head(path: Path, rows: int, mapping: ColumnMapping) -> pd.DataFrame:
    """The first ``rows`` data rows of a table or GIS layer, every cell as text."""
    suffix = path.suffix.lower()
    if suffix in LAYER_SUFFIXES:
        try:
            layer = gpd.read_file(path, engine="pyogrio", max_features=rows)
        except Exception as exc:
            raise BeatwiseError(f"{path}: cannot read this GIS layer ({exc})") from exc
        frame = pd.DataFrame(layer.drop(columns=layer.geometry.name)).astype(str)
        return frame.replace({"None": "", "nan": "", "NaT": ""}).reset_index(drop=True)
    if suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, sheet_name=mapping.sheet or 0, dtype=str, nrows=rows,
                                  keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for broken workbooks
            raise BeatwiseError(f"{path}: cannot read the workbook ({exc})") from exc
        return frame.fillna("").reset_index(drop=True)
    if suffix not in TABLE_SUFFIXES and suffix != "":
        raise BeatwiseError(f"{path}: unsupported file type {suffix!r}; Beatwise reads CSV, TSV, "
                            "XLSX, GeoPackage, GeoJSON and Shapefile")
    encoding, delim = _sniff(path)
    frame, _, _ = _read_csv_robust(path, encoding, delim, dtype=str, nrows=rows)
    return frame.head(rows).fillna("").reset_index(drop=True)


def preview_rows(path: str | os.PathLike, rows: int = 20, *,
                 mapping: ColumnMapping | None = None) -> pd.DataFrame:
    """The first ``rows`` data rows of one file, every cell as text (for a preview).

    Reads only the start of the file, so it is quick for large files. BeatwiseError for files
    that cannot be read (empty, binary, unsupported type), as :func:`read_incidents`.
    """
    path = Path(path)
    if not path.is_file():
        raise BeatwiseError(f"{path}: no such file")
    return _head(path, rows, mapping or ColumnMapping())


def detect_columns(path: str | os.PathLike, mapping: ColumnMapping | None = None, *,
                   sample_rows: int = 500) -> dict:
    """The columns :func:`read_incidents` would use for one file, e.g. ``{"lon": "Longitude", ...}``.

    Keys are from :data:`MAPPING_FIELDS`; choices given in ``mapping`` win, the rest are
    auto-detected from the header and the first ``sample_rows`` rows, exactly as an import
    does. A data.police.uk file (with no explicit mapping) gives its fixed columns. GIS layers
    take coordinates from their geometry, so no coordinate keys are returned for them.
    """
    path = Path(path)
    mapping = mapping or ColumnMapping()
    if not path.is_file():
        raise BeatwiseError(f"{path}: no such file")
    if not mapping.to_dict() and _police_uk_header(path):
        return {"lon": "Longitude", "lat": "Latitude", "time": "Month", "id": "Crime ID",
                "crime_type": "Crime type", "location": "Location", "area": "LSOA name"}
    frame = _head(path, sample_rows, mapping)
    if path.suffix.lower() in LAYER_SUFFIXES:
        mapping = replace(mapping, lon=None, lat=None, x=None, y=None, wkt=None)
    return _detect([str(c) for c in frame.columns], mapping, frame)


# ---------------------------------------------------------------- assembling
def _overall_precision(prec: pd.Series) -> str:
    kinds = set(pd.unique(prec)) - {"none"}
    if not kinds:
        return "none"
    if kinds == {"window", "minute"}:  # from/to data: an exact time is a zero-length window
        return "window"
    return kinds.pop() if len(kinds) == 1 else "mixed"


def snap_point_warning(x: np.ndarray, y: np.ndarray) -> str | None:
    """Warn when many incidents share identical coordinates (data.police.uk snap points)."""
    n = len(x)
    if n < 20:
        return None
    key = np.round(x, 1) * 1e7 + np.round(y, 1)
    codes, uniq = pd.factorize(key)
    counts = np.bincount(codes)
    shared = counts >= 2
    n_on_shared = int(counts[shared].sum())
    if n_on_shared < 0.1 * n:
        return None
    return (f"{n_on_shared:,} incidents share {int(shared.sum()):,} map points (for example "
            "data.police.uk snaps crimes to anonymous points over street centres): a hotspot on "
            "one point may be an artefact of snapping")


def empty_incidents(crs: str | None = None) -> gpd.GeoDataFrame:
    """An empty incidents frame with the standard columns."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame["t_start"] = pd.Series(dtype="datetime64[ns]")
    frame["t_end"] = pd.Series(dtype="datetime64[ns]")
    frame["weight"] = pd.Series(dtype=float)
    frame["source_row"] = pd.Series(dtype=np.int64)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def read_incidents(paths, mapping: ColumnMapping | None = None, *,
                   working_crs: str | None = None,
                   progress: Optional[ProgressFn] = None) -> ImportResult:
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
    files = expand_paths(paths)
    parts: list[_Part] = []
    for i, f in enumerate(files):
        report(progress, 0.9 * i / len(files), f"reading {f.name}")
        parts.append(read_file_part(f, mapping))
    report(progress, 0.9, "projecting")
    lonlat = []
    for p in parts:
        if len(p.x):
            lonlat.append(crsmod.transform(p.x, p.y, p.src_crs, crsmod.WGS84))
    warnings: list[str] = []
    if working_crs is None:
        if lonlat:
            lon = np.concatenate([a for a, _ in lonlat])
            lat = np.concatenate([b for _, b in lonlat])
            sample = slice(None, None, max(1, len(lon) // 200_000))
            working_crs = crsmod.working_crs_for(lon[sample], lat[sample])
        else:
            working_crs = crsmod.BNG
    xs, ys, frames = [], [], []
    for p in parts:
        if len(p.x):
            x, y = crsmod.transform(p.x, p.y, p.src_crs, working_crs)
            bad = ~(np.isfinite(x) & np.isfinite(y))
            if bad.any():  # outside the CRS's area of use: reject, never drop
                rows = p.frame["source_row"].to_numpy()
                p.rejected += [v.RejectedRow(p.file, int(r), v.OUTSIDE_CRS) for r in rows[bad]]
                p.frame = p.frame.loc[~bad].reset_index(drop=True)
                x, y = x[~bad], y[~bad]
            xs.append(x)
            ys.append(y)
            frames.append(p.frame)
    if frames:
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        x = np.concatenate(xs)
        y = np.concatenate(ys)
        incidents = gpd.GeoDataFrame(frame, geometry=crsmod.points(x, y, working_crs),
                                     crs=working_crs)
        for c in ("incident_id", "crime_type", "location", "area", "lsoa", "time_precision",
                  "source_file"):
            incidents[c] = incidents[c].astype(str)
        incidents["source_row"] = incidents["source_row"].astype(np.int64)
        bounds = tuple(float(b) for b in (x.min(), y.min(), x.max(), y.max()))
        precision = _overall_precision(incidents["time_precision"])
        w = snap_point_warning(x, y)
        if w:
            warnings.append(w)
        if precision == "month":
            warnings.append("no time of day: month only (data.police.uk); hour-of-day and shift "
                            "analysis need force data with times")
        if working_crs != crsmod.BNG:
            warnings.append(f"data outside Great Britain: working CRS {working_crs} (UTM)")
    else:
        incidents = empty_incidents(working_crs)
        bounds = None
        precision = "none"
    rep = v.merge_reports(
        [v.ImportReport((p.file,), p.rows_read, len(p.frame), tuple(p.rejected), tuple(p.warnings),
                        columns=p.columns, synthetic=p.synthetic) for p in parts],
        crs=working_crs, time_precision=precision, bounds=bounds, extra_warnings=warnings)
    report(progress, 1.0, f"{rep.accepted:,} incidents imported")
    return ImportResult(incidents, rep)
