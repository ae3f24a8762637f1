"""Step 0: which files to read, and what kind each is (a text/workbook table or a GIS layer).

A folder stands for the supported files inside it (recursively). Nothing is skipped without a
word: a broken link inside a folder is reported, a broken link given by name is an error.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from analysis.atomic import protect
from analysis.progress import BeatwiseError

TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm"}
LAYER_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp"}
SUPPORTED_SUFFIXES = TABLE_SUFFIXES | LAYER_SUFFIXES


def kind_of(path: Path) -> str:
    """``"layer"`` or ``"table"``; BeatwiseError for a type Beatwise does not read."""
    suffix = path.suffix.lower()
    if suffix in LAYER_SUFFIXES:
        return "layer"
    if suffix in TABLE_SUFFIXES or suffix == "":
        return "table"
    raise BeatwiseError(f"{path}: unsupported file type {suffix!r}; Beatwise reads CSV, TSV, "
                        "XLSX, GeoPackage, GeoJSON and Shapefile")


def expand_paths(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[str]]:
    """``(files, notes)``: the given files and the supported files inside given folders.

    ``notes`` says what a folder held that could not be read (broken links).
    """
    out: list[Path] = []
    notes: list[str] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found, broken = [], []
            for f in sorted(p.rglob("*")):
                if f.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                if f.is_file():
                    found.append(f)
                elif f.is_symlink() and not f.exists():
                    broken.append(f)
            for f in broken:
                notes.append(f"{f}: a broken link (to {os.readlink(f)}): not read")
            if not found:
                raise BeatwiseError(f"{p}: the folder has no CSV, TSV, XLSX, GeoPackage, GeoJSON "
                                    "or Shapefile to import" + (f" ({len(broken)} broken link(s))"
                                                                 if broken else ""))
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif p.is_symlink():
            raise BeatwiseError(f"{p}: a broken link (to {os.readlink(p)})")
        else:
            raise BeatwiseError(f"{p}: no such file or folder")
    if not out:
        raise BeatwiseError("no input files given")
    protect(out)  # no output of this run may replace an input
    return out, notes
