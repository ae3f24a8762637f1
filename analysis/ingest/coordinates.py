"""Step 4: coordinates from the mapped columns, with the source CRS and a reason per bad row.

Three ways of giving a position: ``lon``+``lat`` (WGS84 degrees, swapped columns detected),
``x``+``y`` with a CRS (British National Grid detected when no CRS is given and every
point fits it), or a ``wkt`` column. Numbers come from the table reader as ``float64`` when
every cell was a plain number; otherwise as text, judged here row by row, where decimal
commas (``51,53``) are read as decimal points when the column has no points and the reading is
unambiguous (a value with exactly three digits after its comma could be a thousands separator:
those rows are rejected with that reason, never guessed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyproj import CRS

from analysis.ingest import crs as crsmod
from analysis.ingest import validation as v
from analysis.ingest.tables import RawTable, as_strings
from analysis.progress import BeatwiseError

_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_THOUSANDS_LIKE = re.compile(r"^[+-]?\d{1,3},\d{3}$")


@dataclass
class Coordinates:
    """Positions of every row in ``src_crs`` (NaN where the row has none)."""

    x: np.ndarray
    y: np.ndarray
    src_crs: str
    warnings: list = field(default_factory=list)


def numbers(arr, column: str, reasons: np.ndarray, warnings: list, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(values, missing)`` of a number column; sets reasons for ambiguous decimal commas."""
    if isinstance(arr, (pa.Array, pa.ChunkedArray)) and pa.types.is_floating(arr.type):
        vals = arr.to_numpy(zero_copy_only=False).astype(float)
        return vals, np.isnan(vals)
    s = as_strings(arr)
    missing = s == ""
    vals = np.array(pd.to_numeric(pd.Series(s), errors="coerce"), dtype=float)
    failed = np.isnan(vals) & ~missing
    if failed.any():
        ss = pd.Series(s[failed])
        comma = ss.str.match(_DECIMAL_COMMA).to_numpy()
        has_point = bool(pd.Series(s).str.contains(".", regex=False).any())
        if comma.any() and not has_point:
            idx = np.flatnonzero(failed)[comma]
            thousands = ss[comma].str.match(_THOUSANDS_LIKE).to_numpy()
            ok_idx = idx[~thousands]
            vals[ok_idx] = pd.to_numeric(pd.Series(s[ok_idx]).str.replace(",", ".", regex=False),
                                         errors="coerce").to_numpy(dtype=float)
            v.first_reason(reasons, np.isin(np.arange(len(s)), idx[thousands]), v.AMBIGUOUS_COMMA)
            if len(ok_idx):
                warnings.append(f"{path.name}: '{column}' uses decimal commas (e.g. "
                                f"{s[ok_idx[0]]!r}): read as decimal points")
    return vals, missing


def coordinates(raw: RawTable, chosen: dict, crs: str | None, reasons: np.ndarray) -> Coordinates:
    """Positions of ``raw``'s rows from the columns in ``chosen`` (see :mod:`.columns`).

    ``reasons`` (one per row, "" = fine) gets the first failing reason of each bad row.
    """
    path = raw.path
    warnings: list[str] = []

    def num(key):
        return numbers(raw.columns[chosen[key]], chosen[key], reasons, warnings, path)

    if "lon" in chosen and "lat" in chosen:
        lon, m1 = num("lon")
        lat, m2 = num("lat")
        fin = np.isfinite(lon) & np.isfinite(lat)
        # Swapped columns: most "latitudes" beyond 90 while "longitudes" fit, or data that
        # lands in Great Britain only when swapped.
        if fin.any():
            valid = ((np.abs(lat[fin]) <= 90) & (np.abs(lon[fin]) <= 180)).mean()
            valid_sw = ((np.abs(lon[fin]) <= 90) & (np.abs(lat[fin]) <= 180)).mean()
            gb = crsmod.in_great_britain(lon[fin], lat[fin]).mean()
            gb_sw = crsmod.in_great_britain(lat[fin], lon[fin]).mean()
            if (valid_sw > 0.5 and valid < 0.5) or (gb_sw > 0.5 and gb < 0.1):
                lon, lat = lat, lon
                warnings.append(f"{path.name}: coordinates look like lat/lon swapped "
                                f"('{chosen['lat']}' holds longitudes); read them swapped")
        v.coordinate_reasons(lon, lat, m1 | m2, reasons)
        return Coordinates(lon, lat, crsmod.WGS84, warnings)
    if "x" in chosen and "y" in chosen:
        x, m1 = num("x")
        y, m2 = num("y")
        v.first_reason(reasons, m1 | m2, v.NO_COORDINATES)
        v.first_reason(reasons, ~(np.isfinite(x) & np.isfinite(y)), v.BAD_COORDINATES)
        v.first_reason(reasons, (x == 0) & (y == 0), v.ZERO_ZERO)
        src = crs if crs is not None else guess_projected_crs(x, y, chosen, path, warnings)
        src = checked_crs(src)
        fin = np.isfinite(x) & np.isfinite(y)
        if (crs is not None and CRS.from_user_input(src).is_projected and fin.sum() >= 2
                and np.all((np.abs(x[fin]) <= 180) & (np.abs(y[fin]) <= 90))):
            raise BeatwiseError(f"{path}: the x/y columns {chosen['x']!r}/{chosen['y']!r} hold degrees "
                                f"(longitude/latitude), but --crs {crs} is in metres: give them with "
                                "--lon/--lat instead")
        return Coordinates(x, y, src, warnings)
    if "wkt" in chosen:
        x, y = wkt_points(raw.strings(chosen["wkt"]), reasons)
        src = crs or crsmod.WGS84
        if CRS.from_user_input(checked_crs(src)).is_geographic:
            v.coordinate_reasons(x, y, np.zeros(len(x), bool), reasons)
        return Coordinates(x, y, checked_crs(src), warnings)
    raise BeatwiseError(no_coordinates_message(path, raw.header))


def guess_projected_crs(x: np.ndarray, y: np.ndarray, chosen: dict, path: Path, warnings: list) -> str:
    """WGS84 when every x/y fits degrees, BNG when every point fits the grid, else refuse."""
    fin = np.isfinite(x) & np.isfinite(y)
    if fin.any() and np.all((np.abs(x[fin]) <= 180) & (np.abs(y[fin]) <= 90)):
        warnings.append(f"{path.name}: x/y look like degrees; read as WGS84 lon/lat")
        return crsmod.WGS84
    if fin.any() and np.all((x[fin] >= crsmod.BNG_X[0]) & (x[fin] <= crsmod.BNG_X[1])
                            & (y[fin] >= crsmod.BNG_Y[0]) & (y[fin] <= crsmod.BNG_Y[1])):
        warnings.append(f"{path.name}: no --crs given; x/y fit British National Grid, "
                        "read as EPSG:27700")
        return crsmod.BNG
    raise BeatwiseError(f"{path}: x/y columns {chosen.get('x')!r}/{chosen.get('y')!r} need "
                        "their coordinate system: add --crs EPSG:NNNN")


def checked_crs(src) -> str:
    """The authority name of ``src``, or a BeatwiseError for a CRS pyproj does not know."""
    try:
        return crsmod.crs_name(src)
    except Exception as exc:
        raise BeatwiseError(f"unknown coordinate system {src!r} ({exc})") from exc


def wkt_points(s: np.ndarray, reasons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of WKT point strings (NaN and a reason where empty, invalid or not a point)."""
    import geopandas as gpd

    series = pd.Series(s, dtype=object)
    geo = gpd.GeoSeries.from_wkt(series.where(series != "", None), on_invalid="ignore")
    missing = (series == "").to_numpy()
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
    return x, y


def no_coordinates_message(path: Path, columns) -> str:
    cols = ", ".join(repr(str(c)) for c in columns)
    hint = ""
    if len(columns) == 1 and any(d in str(columns[0]) for d in (" ", ":", ";", "|", "\t")):
        hint = (" Only one column was found: is the delimiter right? Beatwise reads comma, tab, "
                "semicolon and pipe separated files.")
    return (f"{path}: no usable coordinate columns. Columns found: {cols}. Map them with "
            "--lon COL --lat COL (WGS84), --x COL --y COL --crs EPSG:NNNN (projected), "
            f"or --wkt COL.{hint}")
