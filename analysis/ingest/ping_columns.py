"""Which columns of a patrol table hold what: unit, time, position, speed, accuracy, status.

One detection for the importer (:func:`analysis.ingest.tracks.read_pings`, when a column is not
given) and the app's patrol import wizard (which pre-fills its column boxes with it), so the two
never disagree. Names are matched after :func:`analysis.ingest.columns.norm` (lower case, letters
and digits), best candidate first, then by their last words (``vehicle.position.latitude``); the
values decide where a name alone cannot: a time column with no telling name is the first column
whose sample reads as dates/times or epochs, and ``x``/``y`` columns holding degrees are longitude
and latitude.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.ingest import columns as colmod
from analysis.ingest.columns import ColumnMapping
from analysis.progress import BeatwiseError

UNIT_CANDIDATES = ("unitid", "unit", "callsign", "vehicleid", "vehicle", "radioid", "radio", "issi",
                   "officerid", "officer", "deviceid", "device", "trackerid", "collarnumber")
SPEED_CANDIDATES = ("speedkmh", "speed", "velocity")
ACCURACY_CANDIDATES = ("accuracym", "accuracy", "hdop", "horizontalaccuracy")
TIME_CANDIDATES = ("timestamp", "time", "datetime", "gpstime", "fixtime", "recorded", "date")
STATUS_CANDIDATES = ("status", "statuscode", "state", "availability", "unitstatus")
LON_CANDIDATES = ("longitude", "lon", "lng", "long")
LAT_CANDIDATES = ("latitude", "lat")
#: The keys :func:`detect_ping_columns` may return.
PING_FIELDS = ("unit", "time", "lon", "lat", "x", "y", "speed", "accuracy", "status")


def pick_column(header: Sequence[str], candidates: Sequence[str], given: Optional[str]) -> Optional[str]:
    """The column for one field: ``given`` (exactly or after normalising), else the first
    candidate by normalised name, else the first candidate a column name ends with.

    Raises
    ------
    BeatwiseError
        ``given`` is not a column of the file.
    """
    by_norm: dict = {}
    for c in header:
        by_norm.setdefault(colmod.norm(c), c)
    if given is not None:
        match = given if given in header else by_norm.get(colmod.norm(given))
        if match is None:
            raise BeatwiseError(f"column {given!r} is not in the file; columns found: {', '.join(header)}")
        return match
    for cand in candidates:
        if cand in by_norm:
            return by_norm[cand]
    for cand in candidates:  # "vehicle.position.speed", "vehicle.vehicle.id": the last words
        hits = [c for n, c in by_norm.items() if n.endswith(cand)]
        if hits:
            return hits[0]
    return None


def _numbers(sample: Optional[pd.DataFrame], column: str) -> np.ndarray:
    if sample is None or column not in sample.columns:
        return np.zeros(0)
    values = pd.to_numeric(sample[column].astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
    return values[np.isfinite(values)]


def _in_degrees(sample: Optional[pd.DataFrame], xcol: str, ycol: str) -> bool:
    x, y = _numbers(sample, xcol), _numbers(sample, ycol)
    return bool(len(x) and len(y) and np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90)
                and not (np.all(x == np.round(x)) and np.all(y == np.round(y))))


def _coordinates(header, sample, mapping) -> dict:
    chosen = {k: pick_column(header, (), getattr(mapping, k)) for k in ("lon", "lat", "x", "y")
              if getattr(mapping, k)}
    if chosen:
        return chosen
    found = colmod.resolve(header, ColumnMapping(), None)
    coords = {k: found[k] for k in ("lon", "lat", "x", "y") if k in found}
    if not coords:
        lon, lat = pick_column(header, LON_CANDIDATES, None), pick_column(header, LAT_CANDIDATES, None)
        coords = {"lon": lon, "lat": lat} if lon and lat else {}
    if "x" in coords and _in_degrees(sample, coords["x"], coords["y"]):  # "X, Y" holding degrees
        coords = {"lon": coords["x"], "lat": coords["y"]}
    return coords


def _looks_like_times(values: pd.Series) -> bool:
    from analysis.ingest.timeparse import parse_times

    text = values.astype(str).str.strip()
    text = text[(text != "") & (text.str.lower() != "nan")]
    if len(text) == 0:
        return False
    parsed = parse_times(text.to_numpy(dtype=object), column="?", tz="UTC")
    ok = ~np.isnat(parsed.values)
    if not (ok.mean() > 0.8 and parsed.has_time[ok].mean() > 0.8):
        return False
    numeric = pd.to_numeric(text, errors="coerce")
    # a plain number column (counts, ids) read as epochs: only believe numbers of epoch size
    return bool(numeric.isna().all() or (numeric.dropna().abs() > 1e8).all())


def detect_ping_columns(header: Sequence[str], sample: Optional[pd.DataFrame] = None,
                        mapping=None) -> dict:
    """The columns a patrol ping table's fields are in.

    Parameters
    ----------
    header : sequence of str
        The table's column names.
    sample : DataFrame, optional
        The first rows (strings), for the checks by value: without it, names alone decide.
    mapping : PingMapping, optional
        Columns the user chose: they win (and must exist).

    Returns
    -------
    dict
        Field -> column for the fields found, of :data:`PING_FIELDS`: ``unit``, ``time``, either
        ``lon``+``lat`` or ``x``+``y``, and ``speed``, ``accuracy``, ``status`` when present.
    """
    header = [str(c) for c in header]

    def given(key):
        return getattr(mapping, key, None) if mapping is not None else None

    out: dict = {}
    unit = pick_column(header, UNIT_CANDIDATES, given("unit"))
    if unit:
        out["unit"] = unit
    time = pick_column(header, TIME_CANDIDATES, given("time"))
    if time is None and sample is not None:
        for c in header:
            if c != unit and c in sample.columns and _looks_like_times(sample[c]):
                time = c
                break
    if time:
        out["time"] = time
    out.update(_coordinates(header, sample, mapping if mapping is not None else ColumnMapping()))
    for key, cands in (("speed", SPEED_CANDIDATES), ("accuracy", ACCURACY_CANDIDATES),
                       ("status", STATUS_CANDIDATES)):
        col = pick_column([c for c in header if c not in out.values()], cands, given(key))
        if col:
            out[key] = col
    return out
