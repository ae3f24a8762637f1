"""data.police.uk street-level crime CSVs: recognised by their header, read with fixed columns.

Schema (data.police.uk, "Street-level crime"): ``Crime ID, Month, Reported by, Falls within,
Longitude, Latitude, Location, LSOA code, LSOA name, Crime type, Last outcome category,
Context``. ``Month`` is ``YYYY-MM``: rows are ``month`` precision, ``t_start`` the 1st of the
month and ``t_end`` the 1st of the next. Anti-social behaviour rows have no Crime ID and get
one made from the file and line; "No Location" rows have no coordinates and are rejected.
The district (``area``) is the LSOA name without its code ("Southend-on-Sea 014B" ->
"Southend-on-Sea").
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.ingest import crs as crsmod
from analysis.ingest import schema, tables
from analysis.ingest import validation as v
from analysis.ingest.coordinates import numbers
from analysis.ingest.timeparse import parse_times
from analysis.progress import BeatwiseError

COLUMNS = ("Crime ID", "Month", "Longitude", "Latitude", "Location", "LSOA name", "Crime type")
USED = {"lon": "Longitude", "lat": "Latitude", "time": "Month", "id": "Crime ID",
        "crime_type": "Crime type", "location": "Location", "area": "LSOA name"}


def is_police_uk(columns: Sequence[str]) -> bool:
    """True for a data.police.uk street-level crime header."""
    return set(COLUMNS).issubset({str(c).strip() for c in columns})


def _district(names: pd.Series) -> pd.Series:
    """'Southend-on-Sea 014B' -> 'Southend-on-Sea' (LSOA names end in a 3-digit code + letter)."""
    return names.str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)


def _dict_column(arr, keep: np.ndarray, rename=None) -> pa.Array:
    """A dictionary-encoded column's kept rows as ``str``, categories optionally renamed."""
    arr = arr.unify_dictionaries().combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    cats = pd.Series(pd.array(schema.text(arr.dictionary), dtype="str"))
    if rename is not None:
        cats = rename(cats)
    codes = arr.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return schema.codes_text(codes[keep], list(cats))


def read(path: Path) -> schema.Part:
    """One data.police.uk file as a :class:`~analysis.ingest.schema.Part` (WGS84, not projected)."""
    raw = tables.read_table(path, COLUMNS, numbers=("Longitude", "Latitude"),
                            coded=("Month", "Location", "LSOA name", "Crime type"))
    n = len(raw)
    if n == 0 and not raw.malformed:
        raise BeatwiseError(f"{path}: the file has a header but no data rows")
    reasons = np.full(n, "", dtype=object)
    warnings = list(raw.warnings)
    lon, m1 = numbers(raw.columns["Longitude"], "Longitude", reasons, warnings, path)
    lat, m2 = numbers(raw.columns["Latitude"], "Latitude", reasons, warnings, path)
    v.coordinate_reasons(lon, lat, m1 | m2, reasons)
    month = parse_times(raw.columns["Month"], column="Month")
    v.first_reason(reasons, month.missing | month.bad, v.BAD_TIME)
    ok = reasons == ""
    k = int(ok.sum())
    # anti-social behaviour rows have no Crime ID: make one from file and line
    ids = schema.ids_or_made(raw.columns["Crime ID"], raw.lines,
                             f"asb-{re.sub(r'[^A-Za-z0-9]+', '-', path.stem)}-")
    t_start = month.values[ok]
    t_end = (t_start.astype("datetime64[M]") + np.timedelta64(1, "M")).astype("datetime64[ns]")
    out = {
        "incident_id": ids.filter(pa.array(ok)),
        "crime_type": _dict_column(raw.columns["Crime type"], ok),
        "location": _dict_column(raw.columns["Location"], ok),
        "area": _dict_column(raw.columns["LSOA name"], ok, _district),
        "lsoa": _dict_column(raw.columns["LSOA name"], ok),
        "t_start": t_start,
        "t_end": t_end,
        "time_precision": schema.constant_text("month", k),
        "weight": np.ones(k),
        "source_file": schema.constant_text(str(path), k),
        "source_row": raw.lines[ok],
    }
    rejected = [v.RejectedRow(str(path), int(line), f"malformed line: {why}")
                for line, why in raw.malformed]
    rejected += v.rejected_rows(str(path), raw.lines, reasons)
    return schema.Part(str(path), out, lon[ok], lat[ok], crsmod.WGS84, raw.rows_read, rejected,
                       warnings, {str(path): {"format": "data.police.uk", **USED}})
