"""Patrol pings (GPS positions of a unit over time): the same path as incidents, another row.

What a ping row is: ``unit_id``, ``t`` (an instant, UTC), a position, optional ``speed_kmh`` and
``accuracy_m`` (DESIGN.md section 2). Tables (CSV/TSV/XLSX) and GIS point layers go through
:mod:`.tables`, :mod:`.columns`, :mod:`.coordinates` and :mod:`.timeparse` exactly as incidents
do; GPX files (tracks, segments and waypoints with times) are read here. Times with a UTC offset
or as Unix epochs are instants; naive times are local time in ``tz`` (Europe/London), where the
hour that does not exist at the spring change is moved forward and the repeated autumn hour is
read as its first occurrence, both counted in the report.

Cleaning, reported (issue "Were we there" item 2): pings are sorted by unit and time (the number
out of order is counted), exact duplicates are rejected with the line they repeat, jumps faster
than ``max_speed_kmh`` (200) are flagged (kept, but not counted as presence), units with one ping
are named, and the median interval between pings is reported per unit (a warning above 60 s:
dwell is uncertain at coarse intervals). ``accepted + rejected == rows_read``, as for incidents.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.ingest import columns as colmod
from analysis.ingest import crs as crsmod
from analysis.ingest import sources, tables
from analysis.ingest import validation as v
from analysis.ingest.columns import ColumnMapping
from analysis.ingest.coordinates import coordinates, numbers
from analysis.ingest.layers import point_layer
from analysis.ingest.ping_columns import TIME_CANDIDATES, UNIT_CANDIDATES, detect_ping_columns, pick_column
from analysis.ingest.times import EARLIEST
from analysis.ingest.timeparse import LOCAL_TZ, clock_changes, parse_times
from analysis.progress import BeatwiseError, ProgressFn, report

PING_COLUMNS = ["unit_id", "t", "speed_kmh", "accuracy_m", "status", "flagged", "source_file", "source_row"]
NO_UNIT = "no unit id"
TIME_IN_FUTURE = "time in the future"
MAX_SPEED_KMH = 200.0
COARSE_INTERVAL_S = 60.0


@dataclass(frozen=True)
class PingMapping:
    """Which columns hold what for pings; ``None`` means auto-detect (as :class:`ColumnMapping`).

    ``speed_unit`` says what a speed column holds: ``"m/s"`` (GPS and GTFS-realtime), or
    ``"km/h"`` (the default when the column name says kmh).
    """

    unit: Optional[str] = None
    time: Optional[str] = None
    lon: Optional[str] = None
    lat: Optional[str] = None
    x: Optional[str] = None
    y: Optional[str] = None
    crs: Optional[str] = None
    speed: Optional[str] = None
    speed_unit: Optional[str] = None
    accuracy: Optional[str] = None
    status: Optional[str] = None
    dayfirst: Optional[bool] = None
    sheet: Optional[str] = None
    tz: str = LOCAL_TZ
    max_speed_kmh: float = MAX_SPEED_KMH


@dataclass(frozen=True)
class PingCleaning:
    """What cleaning found: counts, and the interval between pings."""

    units: int
    out_of_order: int
    duplicates: int
    flagged_speed: int
    single_ping_units: tuple[str, ...]
    interval_s_median: float
    interval_s_p90: float
    interval_s_by_unit: dict
    dst_moved: int = 0
    dst_repeated: int = 0

    def to_dict(self) -> dict:
        return {"units": self.units, "sorted": self.out_of_order, "duplicates": self.duplicates,
                "flagged_speed": self.flagged_speed, "single_ping_units": list(self.single_ping_units),
                "ping_interval_s": {"median": self.interval_s_median, "p90": self.interval_s_p90},
                "dst_moved": self.dst_moved, "dst_repeated": self.dst_repeated}


@dataclass(frozen=True)
class PingResult:
    """Pings (GeoDataFrame, working CRS, sorted by unit then time), the report, the cleaning."""

    pings: gpd.GeoDataFrame
    report: v.ImportReport
    cleaning: PingCleaning


@dataclass
class _Raw:
    """One file's rows before projection: every row, with a reason where it fails."""

    file: str
    unit: np.ndarray
    local: np.ndarray          # datetime64[ns] as parsed
    absolute: np.ndarray       # the time was an instant (offset/epoch): ``local`` is UTC
    x: np.ndarray
    y: np.ndarray
    src_crs: str
    speed: np.ndarray
    accuracy: np.ndarray
    rows: np.ndarray
    reasons: np.ndarray
    malformed: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)
    status: Optional[np.ndarray] = None


def _speed_kmh(values: np.ndarray, column: str, unit: Optional[str]) -> np.ndarray:
    unit = unit or ("km/h" if "kmh" in colmod.norm(column) or "kph" in colmod.norm(column) else "m/s")
    return values * 3.6 if unit == "m/s" else values


def _table(path: Path, mapping: PingMapping) -> _Raw:
    head = tables.peek(path, 200, sheet=mapping.sheet)
    header = [str(c) for c in head.columns]
    chosen = detect_ping_columns(header, head, mapping)
    unit = chosen.get("unit")
    if unit is None:
        raise BeatwiseError(f"{path}: no unit column (which vehicle, radio or officer each ping is "
                            f"from): map it with --unit COL. Columns found: {', '.join(header)}")
    coords = {k: chosen[k] for k in ("lon", "lat", "x", "y") if k in chosen}
    tcol = chosen.get("time")
    if tcol is None:
        raise BeatwiseError(f"{path}: no time column: map it with --time COL. Columns found: "
                            f"{', '.join(header)}")
    speed, acc, status = chosen.get("speed"), chosen.get("accuracy"), chosen.get("status")
    nums = [c for k, c in chosen.items() if k in ("lon", "lat", "x", "y", "speed", "accuracy")]
    raw = tables.read_table(path, set(chosen.values()), numbers=nums, coded=[unit], sheet=mapping.sheet)
    reasons = np.full(len(raw), "", dtype=object)
    if not coords:
        from analysis.ingest.coordinates import no_coordinates_message
        raise BeatwiseError(no_coordinates_message(path, header))
    xy = coordinates(raw, coords, mapping.crs, reasons)
    units = raw.strings(unit)
    warnings = list(raw.warnings) + xy.warnings
    sp = np.full(len(raw), np.nan)
    if speed:
        sp = _speed_kmh(numbers(raw.columns[speed], speed, reasons, warnings, path)[0], speed,
                        mapping.speed_unit)
    ac = numbers(raw.columns[acc], acc, reasons, warnings, path)[0] if acc else np.full(len(raw), np.nan)
    times = parse_times(raw.columns[tcol], dayfirst=mapping.dayfirst, column=tcol, tz="UTC")
    warnings += [f"{path.name}: {n}".replace(", converted to UTC time", "") for n in times.notes]
    v.first_reason(reasons, times.missing, v.NO_TIME)
    v.first_reason(reasons, times.bad, f"{v.BAD_TIME} in '{tcol}'")
    return _Raw(str(path), units, times.values, times.absolute, xy.x, xy.y, xy.src_crs, sp, ac,
                raw.lines, reasons, list(raw.malformed), warnings,
                {str(path): {"format": raw.fmt, **chosen}}, raw.strings(status) if status else None)


def _layer(path: Path, mapping: PingMapping) -> _Raw:
    raw, x, y, not_point, src, warnings = point_layer(path, mapping.crs)
    unit = pick_column(raw.header, UNIT_CANDIDATES, mapping.unit)
    tcol = pick_column(raw.header, TIME_CANDIDATES, mapping.time)
    if unit is None or tcol is None:
        raise BeatwiseError(f"{path}: needs a unit and a time column (--unit COL, --time COL); "
                            f"columns found: {', '.join(raw.header)}")
    reasons = np.full(len(raw), "", dtype=object)
    v.first_reason(reasons, not_point, v.BAD_GEOMETRY)
    times = parse_times(raw.columns[tcol], dayfirst=mapping.dayfirst, column=tcol, tz="UTC")
    v.first_reason(reasons, times.missing, v.NO_TIME)
    v.first_reason(reasons, times.bad, f"{v.BAD_TIME} in '{tcol}'")
    n = len(raw)
    return _Raw(str(path), raw.strings(unit), times.values, times.absolute, x, y, src,
                np.full(n, np.nan), np.full(n, np.nan), raw.lines, reasons, [], warnings,
                {str(path): {"format": raw.fmt, "unit": unit, "time": tcol}})


def local_to_utc(values: np.ndarray, absolute: np.ndarray, tz: str) -> tuple[np.ndarray, int, int]:
    """Instants (UTC, datetime64[ns]) of parsed times; naive (not ``absolute``) ones are local
    wall-clock in ``tz``: the spring hour that does not exist is moved forward, the repeated
    autumn hour read as its first occurrence. Returns the instants and those two counts."""
    t = np.asarray(values, dtype="datetime64[ns]").copy()
    local = ~np.asarray(absolute, dtype=bool) & ~np.isnat(t)
    moved = repeated = 0
    if local.any():
        gap, twice = clock_changes(t[local], tz)
        moved, repeated = int(gap.sum()), int(twice.sum())
        idx = pd.DatetimeIndex(t[local])
        utc = idx.tz_localize(tz, ambiguous=np.ones(len(idx), bool), nonexistent=pd.Timedelta(hours=1))
        t[local] = utc.tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")
    return t, moved, repeated


def _to_utc(r: _Raw, tz: str) -> tuple[np.ndarray, int, int]:
    """Instants (UTC ns) of every row; naive times are local wall-clock in ``tz``."""
    return local_to_utc(r.local, r.absolute, tz)


def _read(path: Path, mapping: PingMapping) -> _Raw:
    if path.suffix.lower() == ".gpx":
        from analysis.ingest.gpx import read_gpx

        p = read_gpx(path)
        return _Raw(str(path), p.unit, p.times.values, p.times.absolute, p.lon, p.lat, crsmod.WGS84,
                    p.speed_kmh, np.full(len(p.unit), np.nan), p.lines, p.reasons, [], [], p.columns)
    if sources.kind_of(path) == "layer":
        return _layer(path, mapping)
    return _table(path, mapping)


def read_pings(paths, mapping: PingMapping | None = None, *, working_crs: str | None = None,
               progress: Optional[ProgressFn] = None) -> PingResult:
    """Read patrol pings from CSV/TSV/XLSX, GIS point layers and GPX into the working CRS.

    Returns
    -------
    PingResult
        ``pings`` with :data:`PING_COLUMNS` (``t`` tz-aware UTC) sorted by unit then time,
        ``report`` (``accepted + rejected == rows_read``) and ``cleaning``.
    """
    from analysis.ingest.frame import choose_working_crs
    from analysis.ingest.schema import Part

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    mapping = mapping or PingMapping()
    files, notes = sources.expand_paths(paths)
    raws = []
    for i, f in enumerate(files):
        report(progress, 0.8 * i / len(files), f"reading {f.name}")
        raws.append(_read(f, mapping))
    latest = (np.datetime64("now", "s") + np.timedelta64(1, "D")).astype("datetime64[ns]")
    moved = repeated = 0
    for r in raws:
        t, m_, r_ = _to_utc(r, mapping.tz)
        moved, repeated = moved + m_, repeated + r_
        r.local = t
        v.first_reason(r.reasons, r.unit == "", NO_UNIT)
        with np.errstate(invalid="ignore"):
            v.first_reason(r.reasons, ~np.isnat(t) & (t < EARLIEST), v.DATE_OUT_OF_RANGE)
            v.first_reason(r.reasons, ~np.isnat(t) & (t > latest), TIME_IN_FUTURE)
    ok_parts = [Part(r.file, {}, r.x[r.reasons == ""], r.y[r.reasons == ""], r.src_crs, 0) for r in raws]
    if working_crs is None:
        working_crs = choose_working_crs(ok_parts)
    report(progress, 0.85, "projecting")
    cols = {k: [] for k in ("unit", "t", "x", "y", "speed", "acc", "status", "file", "row")}
    rejected: list[v.RejectedRow] = []
    per_file = {}
    for r in raws:
        x, y = crsmod.transform(r.x, r.y, r.src_crs, working_crs)
        v.first_reason(r.reasons, ~(np.isfinite(x) & np.isfinite(y)) & (r.reasons == ""), v.OUTSIDE_CRS)
        ok = r.reasons == ""
        rejected += [v.RejectedRow(r.file, int(line), f"malformed line: {why}") for line, why in r.malformed]
        rejected += v.rejected_rows(r.file, r.rows, r.reasons)
        per_file[r.file] = len(r.rows) + len(r.malformed)
        status = r.status if r.status is not None else np.full(len(r.rows), "", dtype=object)
        for key, arr in (("unit", r.unit), ("t", r.local), ("x", x), ("y", y), ("speed", r.speed),
                         ("acc", r.accuracy), ("status", status), ("row", r.rows)):
            cols[key].append(arr[ok])
        cols["file"].append(np.full(int(ok.sum()), r.file, dtype=object))
    c = {k: np.concatenate(a) if a else np.zeros(0) for k, a in cols.items()}
    frame, cleaning, dropped = _clean(c, mapping.max_speed_kmh)
    cleaning = replace(cleaning, dst_moved=moved, dst_repeated=repeated)
    rejected += dropped
    warnings = [w for r in raws for w in r.warnings] + list(notes) + _cleaning_warnings(cleaning, mapping.tz)
    pings = gpd.GeoDataFrame(frame.drop(columns=["x", "y"]),
                             geometry=crsmod.points(frame["x"].to_numpy(), frame["y"].to_numpy(), working_crs),
                             crs=working_crs)
    rep = v.ImportReport(files=tuple(r.file for r in raws), rows_read=sum(per_file.values()),
                         accepted=len(pings), rejected=tuple(rejected), warnings=tuple(dict.fromkeys(warnings)),
                         crs=working_crs, time_precision="minute" if len(pings) else "none",
                         bounds=tuple(float(b) for b in pings.total_bounds) if len(pings) else None,
                         columns={k: val for r in raws for k, val in r.columns.items()})
    if len(pings) < 2:
        raise BeatwiseError(f"only {len(pings)} usable ping(s) of {rep.rows_read:,} read"
                            + (f" (most rejected: {next(iter(rep.rejections))})" if rep.rejected else "")
                            + ": presence needs at least two pings of one unit")
    report(progress, 1.0, f"{len(pings):,} pings of {cleaning.units} units")
    return PingResult(pings, rep, cleaning)


def _clean(c: dict, max_speed_kmh: float) -> tuple[pd.DataFrame, PingCleaning, list]:
    """Sort by unit and time, reject exact duplicates, flag impossible jumps, measure intervals."""
    t_ns = c["t"].astype("datetime64[ns]").astype(np.int64)
    unit_codes, unit_names = pd.factorize(pd.Series(c["unit"], dtype=object))
    by_unit_in_file_order = np.argsort(unit_codes, kind="stable")
    tu, uu = t_ns[by_unit_in_file_order], unit_codes[by_unit_in_file_order]
    out_of_order = int(((uu[1:] == uu[:-1]) & (tu[1:] < tu[:-1])).sum())  # earlier than the unit's previous
    order = np.lexsort((t_ns, unit_codes))
    for k in c:
        c[k] = c[k][order]
    t_ns, unit_codes = t_ns[order], unit_codes[order]
    same_unit = np.r_[False, unit_codes[1:] == unit_codes[:-1]]
    dup = same_unit & np.r_[False, (t_ns[1:] == t_ns[:-1]) & (c["x"][1:] == c["x"][:-1])
                            & (c["y"][1:] == c["y"][:-1])]
    first = np.flatnonzero(~dup)
    rep_of = first[np.searchsorted(first, np.flatnonzero(dup), side="right") - 1]
    dropped = [v.RejectedRow(str(c["file"][i]), int(c["row"][i]),
                             f"exact duplicate of line {int(c['row'][j])} (same unit, time and place)")
               for i, j in zip(np.flatnonzero(dup), rep_of)]
    keep = ~dup
    for k in c:
        c[k] = c[k][keep]
    t_ns, unit_codes = t_ns[keep], unit_codes[keep]
    same_unit = np.r_[False, unit_codes[1:] == unit_codes[:-1]]
    dt_s = np.r_[np.nan, np.diff(t_ns) / 1e9]
    dist = np.r_[np.nan, np.hypot(np.diff(c["x"]), np.diff(c["y"]))]
    with np.errstate(divide="ignore", invalid="ignore"):
        jump_kmh = np.where(same_unit, dist / np.maximum(dt_s, 1e-9) * 3.6, np.nan)
    flagged = same_unit & (jump_kmh > max_speed_kmh)
    counts = np.bincount(unit_codes, minlength=len(unit_names))
    single = tuple(sorted(str(unit_names[i]) for i in np.flatnonzero(counts == 1)))
    intervals = dt_s[same_unit]
    by_unit = {str(unit_names[u]): float(np.median(dt_s[same_unit & (unit_codes == u)]))
               for u in np.unique(unit_codes[same_unit])}
    frame = pd.DataFrame({
        "unit_id": pd.array(c["unit"].astype(str), dtype="str"),
        "t": pd.DatetimeIndex(t_ns.astype("datetime64[ns]")).tz_localize("UTC"),
        "speed_kmh": c["speed"].astype(float), "accuracy_m": c["acc"].astype(float),
        "status": pd.array(c["status"].astype(str), dtype="str"), "flagged": flagged,
        "source_file": pd.array(c["file"].astype(str), dtype="str"),
        "source_row": c["row"].astype(np.int64), "x": c["x"], "y": c["y"]})
    cleaning = PingCleaning(
        units=int((counts > 0).sum()), out_of_order=out_of_order, duplicates=len(dropped),
        flagged_speed=int(flagged.sum()), single_ping_units=single,
        interval_s_median=float(np.median(intervals)) if len(intervals) else float("nan"),
        interval_s_p90=float(np.percentile(intervals, 90)) if len(intervals) else float("nan"),
        interval_s_by_unit=by_unit)
    return frame, cleaning, dropped


def _cleaning_warnings(c: PingCleaning, tz: str) -> list[str]:
    out = []
    if c.out_of_order:
        out.append(f"{c.out_of_order:,} pings were out of time order: sorted by unit and time")
    if c.duplicates:
        out.append(f"{c.duplicates:,} exact duplicate pings rejected")
    if c.flagged_speed:
        out.append(f"{c.flagged_speed:,} pings jump faster than {MAX_SPEED_KMH:g} km/h from the "
                   "previous one: flagged, not counted as presence")
    if c.single_ping_units:
        out.append(f"{len(c.single_ping_units)} unit(s) have one ping only ({', '.join(c.single_ping_units[:5])}): "
                   "no presence can be measured for them")
    coarse = sorted(u for u, s in c.interval_s_by_unit.items() if s > COARSE_INTERVAL_S)
    if coarse:
        out.append(f"{len(coarse)} unit(s) report less often than every {COARSE_INTERVAL_S:g} s "
                   f"(median interval; e.g. {coarse[0]}: {c.interval_s_by_unit[coarse[0]]:.0f} s): "
                   "time spent at a place is uncertain")
    if c.dst_moved:
        out.append(f"{c.dst_moved:,} pings have {tz} local times that do not exist (clocks went "
                   "forward): moved forward an hour")
    if c.dst_repeated:
        out.append(f"{c.dst_repeated:,} pings have {tz} local times that happened twice (clocks "
                   "went back): read as the first of the two")
    return out

