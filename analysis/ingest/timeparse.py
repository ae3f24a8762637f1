"""Parsing the date/time formats police exports come in.

Handled: ISO 8601 (``2024-01-05 13:45``, ``2024-01-05T13:45:00``), US ``M/D/YYYY H:MM``
(Chicago), UK ``DD/MM/YYYY HH:MM`` (with ``dayfirst`` or detected from a day above
12), 12-hour clocks (``01:45:00 PM``), ``YYYY-MM`` months (data.police.uk), Excel
serial day numbers and Unix epoch seconds (or milliseconds). Each distinct string
is parsed once, so a million rows with repeated timestamps parse quickly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_MONTH = re.compile(r"^\d{4}-\d{1,2}$")
_SLASH = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})")
_HAS_TIME = re.compile(r"\d:\d\d")
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
    """

    values: np.ndarray
    missing: np.ndarray
    bad: np.ndarray
    has_time: np.ndarray
    kind: str
    notes: tuple[str, ...] = ()


def _as_str(raw) -> pd.Series:
    s = pd.Series(raw, copy=False)
    if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
        s = s.astype(str)
    return s.fillna("").astype(str).str.strip()


def _parse_numeric(u: np.ndarray, column: str) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    num = pd.to_numeric(pd.Series(u), errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(num).all():
        return None
    med = float(np.median(num))
    if med > 1e11:  # epoch milliseconds
        vals = (num * 1e6).astype("int64").astype("datetime64[ns]")
        return vals, np.ones(len(u), bool), [f"'{column}' read as Unix epoch milliseconds (UTC)"]
    if med > 1e8:  # epoch seconds
        vals = (num * 1e9).astype("int64").astype("datetime64[ns]")
        return vals, np.ones(len(u), bool), [f"'{column}' read as Unix epoch seconds (UTC)"]
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


def parse_times(raw, *, dayfirst: bool | None = None, column: str = "time") -> ParsedTimes:
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
    """
    s = _as_str(raw)
    missing = (s == "").to_numpy()
    codes, uniq = pd.factorize(s.where(~missing, None), use_na_sentinel=True)
    u = np.asarray(uniq, dtype=object)
    notes: list[str] = []
    parsed = np.full(len(u), np.datetime64("NaT"), dtype="datetime64[ns]")
    has_time_u = np.zeros(len(u), dtype=bool)
    kind = "datetime"
    if len(u):
        us = pd.Series(u, dtype=object)
        num = _parse_numeric(u, column)
        if num is not None:
            parsed, has_time_u, notes = num[0], num[1], num[2]
        elif us.str.match(_MONTH).all():
            parsed = pd.to_datetime(us, format="%Y-%m", errors="coerce").to_numpy("datetime64[ns]")
            kind = "month"
        else:
            has_time_u = us.str.contains(_HAS_TIME).to_numpy()
            todo = np.ones(len(u), dtype=bool)
            slash = us.str.match(_SLASH).to_numpy()
            if slash.any():
                df, n = _slash_order(u[slash], dayfirst, column)
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
            idx = np.flatnonzero(todo & ~slash)
            if len(idx):
                got = pd.to_datetime(us.iloc[idx], format="ISO8601", errors="coerce", utc=False)
                if isinstance(got.dtype, pd.DatetimeTZDtype):
                    got = got.dt.tz_localize(None)
                ok = got.notna().to_numpy()
                parsed[idx[ok]] = got[ok].to_numpy("datetime64[ns]")
                todo[idx[ok]] = False
            idx = np.flatnonzero(todo & ~slash)
            if len(idx):  # last resort: dateutil, value by value (e.g. "5 Jan 2024 13:45")
                got = pd.to_datetime(us.iloc[idx], format="mixed", errors="coerce",
                                     dayfirst=bool(dayfirst))
                if isinstance(got.dtype, pd.DatetimeTZDtype):
                    got = got.dt.tz_localize(None)
                ok = got.notna().to_numpy()
                parsed[idx[ok]] = got[ok].to_numpy("datetime64[ns]")
    values = np.where(codes >= 0, parsed[np.maximum(codes, 0)], np.datetime64("NaT"))
    values = values.astype("datetime64[ns]")
    has_time = np.where(codes >= 0, has_time_u[np.maximum(codes, 0)], False)
    bad = ~missing & np.isnat(values)
    if kind == "datetime" and has_time.any():
        ok = ~np.isnat(values) & has_time
        if ok.sum() >= 20:
            tod = (values[ok] - values[ok].astype("datetime64[D]")).astype("int64")
            if (tod == 0).all():
                has_time = np.zeros_like(has_time)
                notes.append(f"'{column}': every time is 00:00, so it is treated as a date "
                             "without time of day")
    return ParsedTimes(values, missing, bad, has_time, kind, tuple(notes))


def parse_time_of_day(raw, column: str = "time") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse ``HH:MM[:SS]``, ``HHMM`` or Excel day fractions into timedelta64[ns].

    Returns (values, missing, bad).
    """
    s = _as_str(raw)
    missing = (s == "").to_numpy()
    codes, uniq = pd.factorize(s.where(~missing, None), use_na_sentinel=True)
    us = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
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
