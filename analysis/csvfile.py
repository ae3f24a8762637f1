"""The one CSV writer: every CSV Beatwise writes is safe to open in a spreadsheet.

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a line break (after any leading spaces) is prefixed with an apostrophe, so
Excel and LibreOffice show it as text and never evaluate it (``@SUM(1)``, ``+cmd|' /C calc'!A0``,
a file named ``=1+2.csv`` in a list of rejected rows). Numbers are written as numbers. Files are
written atomically (:func:`analysis.atomic.atomic_write`).
"""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from analysis.atomic import atomic_write
from analysis.progress import BeatwiseError

PathLike = Union[str, os.PathLike]

#: Leading characters that make a spreadsheet treat a cell as a formula (OWASP CSV Injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_cell(value):
    """A CSV cell value that a spreadsheet cannot run as a formula.

    Text whose first non-space character is one of :data:`FORMULA_PREFIXES` gets a leading
    apostrophe (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``); other values are returned unchanged.
    Numbers (including negative ones) are not text and are left alone.
    """
    if isinstance(value, str):
        stripped = value.lstrip(" ")
        if stripped[:1] and stripped[0] in FORMULA_PREFIXES:
            return "'" + value
    return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        return "" if not math.isfinite(float(value)) else repr(float(value))
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return "" if pd.isna(value) else value.isoformat()
    if value is pd.NaT:
        return ""
    return neutralise_cell(str(value)) if not isinstance(value, (int, bool)) else value


def write_rows(path: PathLike, header: Sequence[str], rows: Iterable[Sequence]) -> Path:
    """Write ``header`` and ``rows`` as UTF-8 CSV (with a BOM, so Excel reads accents), atomically.

    Every text cell passes through :func:`neutralise_cell`; numbers are written as numbers.
    """
    path = Path(path)
    with atomic_write(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow([neutralise_cell(str(c)) for c in header])
            for row in rows:
                w.writerow([_cell(v) for v in row])
    return path


def write_csv(frame: pd.DataFrame, path: PathLike, *, columns: Optional[Sequence[str]] = None) -> Path:
    """Write a table as UTF-8 CSV (with a byte-order mark, so Excel reads accents) safely.

    Parameters
    ----------
    frame : DataFrame
        A ``geometry`` column, if any, is left out (use x/y or lon/lat columns).
    path : path-like
    columns : optional column order (default: all but the geometry).

    Returns
    -------
    Path of the file. Every text cell passes through :func:`neutralise_cell`.
    """
    path = Path(path)
    geometry = getattr(frame, "geometry", None)
    geom_name = geometry.name if geometry is not None and hasattr(frame, "crs") else None
    cols = list(columns) if columns is not None else [c for c in frame.columns if c != geom_name]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise BeatwiseError(f"write_csv: no column(s) {', '.join(missing)}")
    return write_rows(path, cols, frame[cols].itertuples(index=False, name=None))
