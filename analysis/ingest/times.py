"""Step 5: times from the mapped columns: one column, date + time of day, or from/to windows.

Dates that cannot be real are rejected, not kept: before 1970-01-02 (Excel day 0 or 1 gives
1899/1900, Unix time 0 or -1 gives 1 January 1970 or the last second of 1969: placeholders for
a missing date) or more than a year after today (2100, a typo in the century). One such row
would otherwise stretch a monthly series over 650 months.
"""
from __future__ import annotations

import numpy as np

from analysis.ingest import validation as v
from analysis.ingest.tables import RawTable
from analysis.ingest.timeparse import parse_time_of_day, parse_times

PRECISIONS = ("none", "month", "day", "minute", "window")   # the codes below index this
NONE, MONTH, DAY, MINUTE, WINDOW = range(5)
EARLIEST = np.datetime64("1970-01-02T00:00:00", "ns")
LATEST_AHEAD = np.timedelta64(366, "D")


def latest() -> np.datetime64:
    """The latest believable time: a year from now."""
    return (np.datetime64("now", "s") + LATEST_AHEAD).astype("datetime64[ns]")


def _in_range(start: np.ndarray, end: np.ndarray, pr: np.ndarray, reasons: np.ndarray):
    with np.errstate(invalid="ignore"):
        out = ~np.isnat(start) & ((start < EARLIEST) | (start > latest()))
    v.first_reason(reasons, out, v.DATE_OUT_OF_RANGE)
    return start, end, pr


def incident_times(raw: RawTable, chosen: dict, dayfirst: bool | None, reasons: np.ndarray,
                   warnings: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(t_start, t_end, precision)`` of every row of ``raw``, writing reasons for bad rows.

    Precision per row, as a code into :data:`PRECISIONS`: ``month`` (YYYY-MM), ``day`` (a
    date), ``minute`` (a time of day), ``window`` (from/to with an end after the start; ends
    are exclusive) or ``none``.
    """
    n = len(raw)
    path = raw.path
    frame = raw.columns
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    prec = np.full(n, NONE, dtype=np.int8)
    df = dayfirst

    def precision_of(p):
        if p.kind == "month":
            return np.where(p.missing, NONE, MONTH).astype(np.int8)
        return np.where(p.missing, NONE, np.where(p.has_time, MINUTE, DAY)).astype(np.int8)

    def spans(values, pr):
        end = values.copy()
        day = pr == DAY
        end[day] = values[day] + np.timedelta64(1, "D")
        mon = pr == MONTH
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
            pr = np.where(win, WINDOW, pr).astype(np.int8)
            n_empty = int((pe.missing & ~ps.missing).sum())
            if n_empty:
                warnings.append(f"{path.name}: {n_empty:,} rows have no '{chosen['end']}': "
                                "counted as exact times at their start")
        return _in_range(start, end, pr, reasons)
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
        pr = np.where(pd_.missing, NONE, np.where(has, MINUTE, DAY)).astype(np.int8)
        start = start.astype("datetime64[ns]")
        return _in_range(start, spans(start, pr), pr, reasons)
    if "time" in chosen:
        p = parse_times(frame[chosen["time"]], dayfirst=df, column=chosen["time"])
        warnings.extend(f"{path.name}: {n_}" for n_ in p.notes)
        v.first_reason(reasons, p.missing, v.NO_TIME)
        v.first_reason(reasons, p.bad, f"{v.BAD_TIME} in '{chosen['time']}'")
        pr = precision_of(p)
        return _in_range(p.values, spans(p.values, pr), pr, reasons)
    warnings.append(f"{path.name}: no date/time column found: only maps are possible (map one "
                    "with --time, --date/--time-of-day or --start/--end)")
    return nat, nat.copy(), prec
