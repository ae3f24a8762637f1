"""Parsing the date/time formats police exports come in.

Handled: ISO 8601 (``2024-01-05 13:45``, ``2024-01-05T13:45:00``), US ``M/D/YYYY H:MM``
(Chicago), UK ``DD/MM/YYYY HH:MM`` (with ``dayfirst`` or detected from a day above
12), 12-hour clocks (``01:45:00 PM``), ``YYYY-MM`` months (data.police.uk), Excel
serial day numbers and Unix epoch seconds (or milliseconds). Each distinct string
is parsed once (a dictionary-encoded Arrow column hands over its distinct values directly), so
a million rows with repeated timestamps parse quickly.

Times are naive local time. Values with UTC offsets (``2024-03-31T02:30:00+01:00``; a UK
export has ``+00:00`` and ``+01:00`` either side of each clock change) and Unix epochs (UTC by
definition) are converted to local time in ``tz`` (default Europe/London), and the notes say so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_MONTH = re.compile(r"^\d{4}-\d{1,2}$")
_SLASH = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})")
_HAS_TIME = re.compile(r"\d:\d\d")
_OFFSET = re.compile(r"\d(?:Z|[+-]\d{2}(?::?\d{2})?)$")
LOCAL_TZ = "Europe/London"
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %H:%M:%S.%f",
                  "T%H:%M", "T%H:%M:%S")


@dataclass(frozen=True)
class ParsedTimes:
    """Result of :func:`parse_times`.

    Attributes
    ----------
    values : ndarray of datetime64[ns]
        Parsed times, naive local time; NaT where missing or unparseable.
    missing : ndarray of bool
        The cell was empty.
    bad : ndarray of bool
        The cell was not empty but could not be parsed.
    has_time : ndarray of bool
        The value carries a time of day (not just a date or month).
    kind : str
        ``"month"`` when every value is ``YYYY-MM``, else ``"datetime"``.
    notes : tuple of str
        Messages for the import report (ambiguous day/month order, Excel serials...).
    zoned : ndarray of bool or None
        Where the value carried its own time zone (a UTC offset or a Unix epoch); see
        :attr:`absolute`.
    """

    values: np.ndarray
    missing: np.ndarray
    bad: np.ndarray
    has_time: np.ndarray
    kind: str
    notes: tuple[str, ...] = ()
    zoned: np.ndarray | None = None

    @property
    def absolute(self) -> np.ndarray:
        """Rows whose value fixed an instant (a UTC offset or an epoch) before it became ``tz``
        local time; the others were local wall-clock times as written."""
        return self.zoned if self.zoned is not None else np.zeros(len(self.values), bool)


def factorize(raw) -> tuple[np.ndarray, pa.Array]:
    """``(codes, uniques)`` of a column of strings: -1 for empty; uniques stripped, distinct.

    Done in Arrow's C++ kernels: a dictionary-encoded column hands over its dictionary, which
    is trimmed and re-encoded (two values that differ only in spaces become one).
    """
    if not isinstance(raw, (pa.Array, pa.ChunkedArray)):
        s = pd.Series(raw, copy=False)
        if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
            s = s.astype(str)
        raw = pa.array(s.astype(object).where(s.notna(), None).tolist(), type=pa.string())
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.unify_dictionaries() if pa.types.is_dictionary(raw.type) else raw
        raw = raw.combine_chunks() if raw.num_chunks else pa.array([], type=raw.type)
    if not pa.types.is_dictionary(raw.type):
        raw = raw.cast(pa.string()).dictionary_encode()
    trimmed = pc.utf8_trim_whitespace(raw.dictionary.cast(pa.string()))
    again = trimmed.dictionary_encode()
    remap = again.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    uniq = again.dictionary
    empty = pc.index(uniq, "").as_py()
    codes = raw.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.where(codes >= 0, remap[np.maximum(codes, 0)] if len(remap) else -1, -1)
    if empty >= 0:  # "" means missing; renumber the others to keep codes dense
        codes = np.where(codes == empty, -1, codes - (codes > empty))
        uniq = pc.filter(uniq, pc.not_equal(uniq, ""))
    return codes, uniq


def _matches(u: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.match_substring_regex(u, pattern).to_numpy(zero_copy_only=False), bool)


def _arrow_iso(u: pa.Array) -> np.ndarray | None:
    """Naive ISO 8601 values ("2024-01-05 13:45", "...T13:45:00") parsed in C++, or None."""
    try:
        return u.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def clock_changes(local: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """``(missing, repeated)`` masks of naive local times at ``tz``'s clock changes.

    ``missing``: the time does not exist (the hour skipped when clocks go forward);
    ``repeated``: it happens twice (the hour repeated when they go back).
    """
    idx = pd.DatetimeIndex(np.asarray(local, dtype="datetime64[ns]"))
    twice = np.asarray(idx.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").isna())
    gap = np.asarray(idx.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").isna()) & ~twice
    nat = np.isnat(idx.to_numpy())
    return gap & ~nat, twice & ~nat


def utc_to_local(values: np.ndarray, tz: str) -> np.ndarray:
    """Naive UTC datetime64 values as naive local time in ``tz``."""
    idx = pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    return idx.to_numpy("datetime64[ns]")


def _iso_column(raw, column: str) -> ParsedTimes | None:
    """A plain Arrow string column of naive ISO 8601 times, parsed whole in C++ (or None).

    The common case of a force export ("2024-01-05 13:45" in every row, a million distinct
    values) needs no factorizing; anything else (offsets, other formats) returns None.
    """
    if not isinstance(raw, (pa.Array, pa.ChunkedArray)) or not pa.types.is_string(raw.type):
        return None
    s = pc.utf8_trim_whitespace(raw)
    s = pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)
    if s.null_count == len(s):
        return None
    try:
        ts = s.cast(pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = ts.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    missing = np.isnat(values)
    has_time = np.asarray(pc.greater(pc.utf8_length(s), 10).fill_null(False)
                          .to_numpy(zero_copy_only=False), dtype=bool)
    return _finish(values, missing, has_time, "datetime", [], column)


def _parse_numeric(u: pa.Array, column: str, tz: str) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    try:
        num = u.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(float)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not np.isfinite(num).all():
        return None
    med = float(np.median(num))
    if med > 1e8:  # epochs: milliseconds above 1e11 (1e11 s would be the year 5138), else seconds
        ms = np.abs(num) > 1e11
        vals = utc_to_local((num * np.where(ms, 1e6, 1e9)).astype("int64").astype("datetime64[ns]"), tz)
        what = ("milliseconds" if ms.all() else "seconds" if not ms.any()
                else f"seconds and milliseconds ({int(ms.sum()):,} of {len(ms):,} distinct values in ms)")
        return vals, np.ones(len(u), bool), [f"'{column}' read as Unix epoch {what} (UTC), "
                                            f"converted to {tz} time"]
    if 1 <= med < 2_958_466:  # Excel serial days
        ns = np.round(num * 86400.0) * 1e9
        vals = EXCEL_EPOCH + ns.astype("int64").astype("timedelta64[ns]")
        has_time = (num % 1) != 0
        return vals, has_time, [f"'{column}' read as Excel serial dates"]
    return None


def _slash_order(u: np.ndarray, dayfirst: bool | None, column: str) -> tuple[bool, list[str]]:
    """Decide day/month order of ``A/B/YYYY`` values; return (dayfirst, notes)."""
    parts = pd.Series(u).str.extract(_SLASH)
    a = pd.to_numeric(parts[0], errors="coerce")
    b = pd.to_numeric(parts[1], errors="coerce")
    a_day = bool((a > 12).any())
    b_day = bool((b > 12).any())
    if dayfirst is not None:
        if dayfirst and b_day and not a_day:
            return dayfirst, [f"'{column}': --dayfirst was given but values such as "
                              f"{u[np.flatnonzero(b > 12)[0]]!r} have a day in second place; "
                              "those rows are rejected"]
        if not dayfirst and a_day and not b_day:
            return dayfirst, [f"'{column}': values such as {u[np.flatnonzero(a > 12)[0]]!r} look "
                              "like DD/MM/YYYY; pass --dayfirst"]
        return dayfirst, []
    if a_day and not b_day:
        return True, [f"'{column}': dates read as DD/MM/YYYY (day first: values such as "
                      f"{u[np.flatnonzero(a > 12)[0]]!r})"]
    if b_day and not a_day:
        return False, []
    if not a_day and not b_day and len(u):
        return False, [f"'{column}': dates like {u[0]!r} are ambiguous (day and month both 12 or "
                       "less); read as month/day (US). Pass --dayfirst for UK DD/MM/YYYY dates"]
    return False, []


def parse_times(raw, *, dayfirst: bool | None = None, column: str = "time",
                tz: str = LOCAL_TZ) -> ParsedTimes:
    """Parse a column of date/time strings (or numbers).

    Parameters
    ----------
    raw : array-like
        The column as read (strings; numbers accepted).
    dayfirst : bool or None
        ``True`` for UK ``DD/MM/YYYY``, ``False`` for US ``M/D/YYYY``, ``None`` to detect
        (a first field above 12 means day first; when no value decides, month first with
        a note saying the dates were ambiguous).
    column : str
        The column's name, for messages.
    tz : str
        The local time zone that UTC offsets and epochs are converted to.
    """
    fast = _iso_column(raw, column)
    if fast is not None:
        return fast
    codes, u = factorize(raw)
    missing = codes < 0
    notes: list[str] = []
    parsed = np.full(len(u), np.datetime64("NaT"), dtype="datetime64[ns]")
    has_time_u = np.zeros(len(u), dtype=bool)
    zoned_u = np.zeros(len(u), dtype=bool)
    kind = "datetime"
    iso = None
    if len(u):
        num = _parse_numeric(u, column, tz)
        if num is None and _matches(u, _MONTH.pattern).all():
            kind = "month"
        elif num is None and not _matches(u, _OFFSET.pattern).any():
            iso = _arrow_iso(u)
    if kind == "month" or iso is not None:
        us = pd.Series(np.asarray(u.to_numpy(zero_copy_only=False), dtype=object), dtype=object)
        if kind == "month":
            parsed = pd.to_datetime(us, format="%Y-%m", errors="coerce").to_numpy("datetime64[ns]")
        else:
            parsed, has_time_u = iso, _matches(u, _HAS_TIME.pattern)
    elif len(u):
        us = pd.Series(np.asarray(u.to_numpy(zero_copy_only=False), dtype=object), dtype=object)
        if num is not None:
            parsed, has_time_u, notes = num[0], num[1], num[2]
            zoned_u[:] = "epoch" in notes[0]
        else:
            has_time_u = us.str.contains(_HAS_TIME).to_numpy()
            todo = np.ones(len(u), dtype=bool)
            slash = us.str.match(_SLASH).to_numpy()
            if slash.any():
                df, n = _slash_order(us.to_numpy()[slash], dayfirst, column)
                notes += n
                d, m = ("%d", "%m") if df else ("%m", "%d")
                for sep in ("/", "."):
                    for year in ("%Y", "%y"):
                        for suffix in _TIME_SUFFIXES:
                            idx = np.flatnonzero(todo & slash)
                            if not len(idx):
                                break
                            fmt = f"{d}{sep}{m}{sep}{year}{suffix}"
                            got = pd.to_datetime(us.iloc[idx], format=fmt, errors="coerce")
                            ok = got.notna().to_numpy()
                            parsed[idx[ok]] = got[ok].to_numpy("datetime64[ns]")
                            todo[idx[ok]] = False
            offset = us.str.contains(_OFFSET).to_numpy() & ~slash
            idx = np.flatnonzero(todo & offset)
            if len(idx):  # UTC offsets, mixed across clock changes: to UTC, then local time
                got = pd.to_datetime(us.iloc[idx], format="ISO8601", errors="coerce", utc=True)
                ok = got.notna().to_numpy()
                parsed[idx[ok]] = got[ok].dt.tz_convert(tz).dt.tz_localize(None).to_numpy("datetime64[ns]")
                zoned_u[idx[ok]] = True
                todo[idx[ok]] = False
                if ok.any():
                    found = sorted(set(us.iloc[idx[ok]].str.extract(r"(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})$")[0].dropna()))
                    notes.append(f"'{column}': times carry UTC offsets ({', '.join(found[:4])}"
                                 f"{' ...' if len(found) > 4 else ''}): converted to {tz} local time")
            idx = np.flatnonzero(todo & ~slash & ~offset)
            if len(idx):
                got = pd.to_datetime(us.iloc[idx], format="ISO8601", errors="coerce", utc=False)
                ok = got.notna().to_numpy()
                parsed[idx[ok]] = got[ok].to_numpy("datetime64[ns]")
                todo[idx[ok]] = False
            idx = np.flatnonzero(todo & ~slash)
            if len(idx):  # last resort: dateutil, value by value (e.g. "5 Jan 2024 13:45")
                got = pd.Series([_one(x, bool(dayfirst)) for x in us.iloc[idx]], dtype="datetime64[ns]")
                ok = got.notna().to_numpy()
                parsed[idx[ok]] = got[ok].to_numpy("datetime64[ns]")
    values = np.where(codes >= 0, parsed[np.maximum(codes, 0)], np.datetime64("NaT"))
    values = values.astype("datetime64[ns]")
    has_time = np.where(codes >= 0, has_time_u[np.maximum(codes, 0)], False)
    zoned = np.where(codes >= 0, zoned_u[np.maximum(codes, 0)], False)
    return _finish(values, missing, has_time, kind, notes, column, zoned)


def _finish(values: np.ndarray, missing: np.ndarray, has_time: np.ndarray, kind: str,
            notes: list, column: str, zoned: np.ndarray | None = None) -> ParsedTimes:
    """The result, with the rule that a column whose every time is 00:00 holds dates."""
    bad = ~missing & np.isnat(values)
    if kind == "datetime" and has_time.any():
        ok = ~np.isnat(values) & has_time
        if ok.sum() >= 20:
            tod = (values[ok] - values[ok].astype("datetime64[D]")).astype("int64")
            if (tod == 0).all():
                has_time = np.zeros_like(has_time)
                notes.append(f"'{column}': every time is 00:00, so it is treated as a date "
                             "without time of day")
    return ParsedTimes(values, missing, bad, has_time, kind, tuple(notes), zoned)


def _one(text: str, dayfirst: bool):
    """One free-form date ("5 Jan 2024 13:45") or NaT; an offset is dropped (rare here)."""
    try:
        ts = pd.to_datetime(text, dayfirst=dayfirst)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def parse_time_of_day(raw, column: str = "time") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse ``HH:MM[:SS]``, ``HHMM`` or Excel day fractions into timedelta64[ns].

    Returns (values, missing, bad).
    """
    codes, uniq = factorize(raw)
    missing = codes < 0
    us = pd.Series(uniq, dtype=object)
    out = np.full(len(us), np.timedelta64("NaT"), dtype="timedelta64[ns]")
    if len(us):
        m = us.str.extract(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?$")
        m2 = us.str.extract(r"^(\d{2})(\d{2})$")
        h = pd.to_numeric(m[0], errors="coerce").fillna(pd.to_numeric(m2[0], errors="coerce"))
        mi = pd.to_numeric(m[1], errors="coerce").fillna(pd.to_numeric(m2[1], errors="coerce"))
        sec = pd.to_numeric(m[2], errors="coerce").fillna(0)
        pm = m[3].fillna("").str.lower()
        h = h.where(pm != "pm", h % 12 + 12).where(pm != "am", h % 12)
        frac = pd.to_numeric(us, errors="coerce")
        use_frac = h.isna() & frac.between(0, 1, inclusive="left")
        total = (h * 3600 + mi * 60 + sec).where(~use_frac, np.round(frac * 86400))
        valid = total.notna() & (total >= 0) & (total < 86400) & ((h.isna()) | ((h < 24) & (mi < 60)))
        out[valid.to_numpy()] = (total[valid].to_numpy(dtype="int64") * 10**9).astype("timedelta64[ns]")
    values = np.where(codes >= 0, out[np.maximum(codes, 0)], np.timedelta64("NaT"))
    values = values.astype("timedelta64[ns]")
    bad = ~missing & np.isnat(values)
    return values, missing, bad
