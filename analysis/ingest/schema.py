"""What an incident row is: the columns of the incidents frame and one file's accepted rows.

DESIGN.md section 2: ``incident_id, crime_type, location, area, lsoa, t_start, t_end,
time_precision, weight, source_file, source_row`` plus point geometry in the working CRS.
String columns are pandas ``str`` backed by Arrow, built straight from the reader's Arrow
arrays (no Python string per row); each file's part keeps its columns as arrays, and the
frame's string columns are the parts' Arrow arrays chunked together, not copied.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.ingest.validation import ImportReport

COLUMNS = ["incident_id", "crime_type", "location", "area", "lsoa", "t_start", "t_end",
           "time_precision", "weight", "source_file", "source_row"]
STRING_COLUMNS = ("incident_id", "crime_type", "location", "area", "lsoa", "time_precision",
                  "source_file")
TIME_PRECISIONS = ("month", "day", "minute", "window", "none")
SYNTHETIC_NOTE = "SYNTHETIC demo data - not real crimes"


@dataclass(frozen=True)
class ImportResult:
    """Incidents (GeoDataFrame, working CRS) and the report of how they were read."""

    incidents: gpd.GeoDataFrame
    report: ImportReport


@dataclass
class Part:
    """One file's accepted rows, before projection to the working CRS.

    ``data`` holds :data:`COLUMNS`: Arrow ``large_string`` arrays for :data:`STRING_COLUMNS`,
    numpy arrays for the others.
    """

    file: str
    data: dict
    x: np.ndarray
    y: np.ndarray
    src_crs: str
    rows_read: int
    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)
    synthetic: bool = False

    def __len__(self) -> int:
        return len(self.x)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where ``mask`` holds."""
        m = pa.array(np.asarray(mask, dtype=bool))
        self.data = {k: (a.filter(m) if isinstance(a, (pa.Array, pa.ChunkedArray)) else a[mask])
                     for k, a in self.data.items()}
        self.x, self.y = self.x[mask], self.y[mask]


def to_frame(parts: Sequence[Part]) -> pd.DataFrame:
    """The parts' rows as one DataFrame of :data:`COLUMNS` (string columns chunked, not copied)."""
    out = {}
    for c in COLUMNS:
        arrays = [p.data[c] for p in parts]
        if c in STRING_COLUMNS:
            chunks = [ch for a in arrays for ch in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
            out[c] = pd.array(pa.chunked_array(chunks, type=pa.large_string()), dtype="str")
        else:
            out[c] = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    return pd.DataFrame(out)


def text(arr, keep: np.ndarray | None = None) -> pa.Array:
    """An Arrow (or numpy) column of text as a trimmed ``large_string`` array, "" for empty.

    ``keep`` (a boolean mask) selects rows first. Dictionary-encoded columns are decoded in
    C++ (milliseconds for a million rows).
    """
    if not isinstance(arr, (pa.Array, pa.ChunkedArray)):
        arr = pa.array(np.asarray(arr, dtype=object), type=pa.string())
    if keep is not None:
        arr = arr.filter(pa.array(np.asarray(keep, dtype=bool)))
    arr = pc.utf8_trim_whitespace(arr.cast(pa.large_string())).fill_null("")
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def constant_text(value: str, n: int) -> pa.Array:
    """``n`` copies of one string as a ``large_string`` array."""
    return codes_text(np.zeros(n, dtype=np.int32), [value])


def codes_text(codes: np.ndarray, categories: Sequence[str]) -> pa.Array:
    """A ``large_string`` array from integer codes into ``categories`` (-1 means "")."""
    cats = [str(c) for c in categories]
    codes = np.asarray(codes)
    if (codes < 0).any():
        cats.append("")
        codes = np.where(codes < 0, len(cats) - 1, codes)
    arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)),
                                         pa.array(cats, type=pa.large_string()))
    return arr.cast(pa.large_string())


def row_ids(prefix: str, rows: np.ndarray) -> pa.Array:
    """Generated ids ``prefix + row`` (for rows with no id of their own), built in Arrow."""
    nums = pa.array(np.asarray(rows, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(pa.scalar(prefix), nums, "")


def ids_or_made(arr, lines: np.ndarray, prefix: str) -> pa.Array:
    """A text column of ids, with ``prefix + line`` made for every empty one.

    Ids are taken as they are (not trimmed: a million distinct ids would be copied to find
    none with spaces); an id of only spaces counts as empty.
    """
    ids = arr.cast(pa.large_string()).fill_null("")
    empty = pc.or_(pc.equal(ids, ""), pc.utf8_is_space(ids))
    if not pc.any(empty).as_py():
        return ids
    return pc.if_else(empty, row_ids(prefix, lines).cast(pa.large_string()), ids)


def empty_incidents(crs: str | None = None) -> gpd.GeoDataFrame:
    """An empty incidents frame with the standard columns."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in COLUMNS})
    frame["t_start"] = pd.Series(dtype="datetime64[ns]")
    frame["t_end"] = pd.Series(dtype="datetime64[ns]")
    frame["weight"] = pd.Series(dtype=float)
    frame["source_row"] = pd.Series(dtype=np.int64)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
