"""The rota as files an inspector can publish: ``rota.csv``, ``rota.xlsx``, one ``.ics`` per
officer, and the reader of a rota CSV (ours or a current one) for ``beatwise rota --check``.

``rota.csv``: one row per officer (``officer_id, name, rank``, then one column per date holding
a tour code, ``R`` rest day or ``AL`` leave, then ``hours, nights, weekend_tours``), with a
first row ``(bank holiday)`` naming the bank holidays. Written through
:mod:`analysis.csvfile` (safe for spreadsheets, atomic). Calendars give each tour in UTC from its Europe/London wall-clock start.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Optional, Sequence
from zoneinfo import ZoneInfo

from analysis.atomic import atomic_write, protect
from analysis.csvfile import write_rows
from analysis.progress import BeatwiseError
from analysis.staffing.rota_check import Rota, RotaCheck
from analysis.staffing.team import LEAVE, REST, Officer, Template

HOLIDAY_ROW = "(bank holiday)"
LONDON = ZoneInfo("Europe/London")
STAT_COLUMNS = ("hours", "nights", "weekend_tours")
_COLOURS = ("FFF2CC", "DDEBF7", "E2EFDA", "FCE4D6", "EDE1F5", "D9D9D9")


def _stats(check: Optional[RotaCheck]) -> dict:
    return {} if check is None else {s["officer_id"]: s for s in check.officers}


def write_rota_csv(path: Path, rota: Rota, check: Optional[RotaCheck] = None,
                   holidays: Optional[dict] = None) -> Path:
    dates = rota.dates
    stats = _stats(check)
    rows = [[HOLIDAY_ROW, "", ""] + [(holidays or {}).get(d, "") for d in dates] + ["", "", ""]]
    for o, cells in zip(rota.officers, rota.cells):
        s = stats.get(o.officer_id, {})
        rows.append([o.officer_id, o.name, o.rank, *cells] + [s.get(k, "") for k in STAT_COLUMNS])
    header = ["officer_id", "name", "rank"] + [d.isoformat() for d in dates] + list(STAT_COLUMNS)
    return write_rows(path, header, rows)


def write_rota_xlsx(path: Path, rota: Rota, check: Optional[RotaCheck] = None,
                    holidays: Optional[dict] = None, title: str = "Rota") -> Path:
    """Officers x dates, one colour per tour code, bank holidays and weekends shaded."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    holidays = holidays or {}
    wb = Workbook()
    ws = wb.active
    ws.title = "Rota"
    ws.append([title])
    ws["A1"].font = Font(bold=True)
    dates = rota.dates
    ws.append(["officer_id", "name", "rank"] + [d.strftime("%a %d %b") for d in dates]
              + list(STAT_COLUMNS))
    ws.append(["", "", "bank holiday"] + [holidays.get(d, "") for d in dates])
    fills = {t.code: PatternFill("solid", fgColor=_COLOURS[k % len(_COLOURS)])
             for k, t in enumerate(rota.templates)}
    grey = PatternFill("solid", fgColor="EEEEEE")
    holiday_fill = PatternFill("solid", fgColor="F4B6B6")
    stats = _stats(check)
    for o, cells in zip(rota.officers, rota.cells):
        s = stats.get(o.officer_id, {})
        ws.append([o.officer_id, o.name, o.rank, *cells] + [s.get(k, "") for k in STAT_COLUMNS])
        row = ws.max_row
        for k, code in enumerate(cells):
            cell = ws.cell(row=row, column=4 + k)
            cell.alignment = Alignment(horizontal="center")
            if code in fills:
                cell.fill = fills[code]
            elif dates[k] in holidays:
                cell.fill = holiday_fill
            elif dates[k].weekday() >= 5:
                cell.fill = grey
    for k, d in enumerate(dates):
        ws.column_dimensions[get_column_letter(4 + k)].width = 6
        if d in holidays:
            ws.cell(row=2, column=4 + k).fill = holiday_fill
    ws.freeze_panes = "D3"
    key = wb.create_sheet("Key")
    key.append(["code", "start", "end", "hours"])
    for t in rota.templates:
        d = t.to_dict()
        key.append([t.code, d["start"], d["end"], d["hours"]])
    key.append([REST, "rest day"])
    key.append([LEAVE, "leave"])
    path = Path(path)
    with atomic_write(path) as tmp:
        wb.save(tmp)
    return path


def write_officer_ics(folder: Path, rota: Rota, holidays: Optional[dict] = None,
                      title: str = "Beatwise rota") -> list[Path]:
    """One calendar per officer: a timed event per tour (Europe/London), rest days and leave as
    all-day events."""
    from icalendar import Calendar, Event

    out = []
    stamp = dt.datetime.now(dt.timezone.utc)
    for o, cells in zip(rota.officers, rota.cells):
        cal = Calendar()
        cal.add("prodid", "-//Beatwise//rota//EN")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", f"{title}: {o.officer_id}")
        for d, code in zip(rota.dates, cells):
            ev = Event()
            ev.add("uid", f"{o.officer_id}-{d.isoformat()}@beatwise")
            ev.add("dtstamp", stamp)
            t = rota.template(code)
            if t is None:
                ev.add("summary", "Rest day" if code == REST else "Leave")
                ev.add("dtstart", d)
                ev.add("dtend", d + dt.timedelta(days=1))
            else:
                # wall-clock London time, written in UTC: a tour across a clock change keeps
                # its length in hours
                begin = (dt.datetime.combine(d, dt.time(0), LONDON)
                         + dt.timedelta(minutes=t.start_min)).astimezone(dt.timezone.utc)
                ev.add("summary", f"Tour {t.label()}")
                ev.add("dtstart", begin)
                ev.add("dtend", begin + dt.timedelta(minutes=t.length_min))
            if d in (holidays or {}):
                ev.add("description", f"Bank holiday: {holidays[d]}")
            cal.add_component(ev)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", o.officer_id)
        path = Path(folder) / f"rota_{safe}.ics"
        with atomic_write(path) as tmp:
            Path(tmp).write_bytes(cal.to_ical())
        out.append(path)
    return out


def read_rota_csv(path: str | Path, templates: Sequence[Template],
                  team: Optional[Sequence[Officer]] = None) -> Rota:
    """A rota CSV (``officer_id``, optional ``name``/``rank``, one ``YYYY-MM-DD`` column per day)
    as a :class:`Rota`. Cells: a template code, ``R`` (or empty) rest, ``AL`` leave.

    Raises
    ------
    BeatwiseError
        Naming the file, row and column: no date columns, dates not consecutive, an unknown code,
        an officer not in ``team``.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise BeatwiseError(f"--check {path}: no such file")
    protect([path])
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:  # noqa: BLE001 - the user's file
        raise BeatwiseError(f"--check {path}: cannot read it as CSV ({exc})") from None
    if "officer_id" not in frame.columns:
        raise BeatwiseError(f"{path}: no officer_id column")
    day_cols = []
    for c in frame.columns:
        try:
            day_cols.append((dt.date.fromisoformat(str(c).strip()), c))
        except ValueError:
            continue
    if not day_cols:
        raise BeatwiseError(f"{path}: no date columns (YYYY-MM-DD)")
    day_cols.sort()
    start = day_cols[0][0]
    for k, (d, c) in enumerate(day_cols):
        if d != start + dt.timedelta(days=k):
            raise BeatwiseError(f"{path}: column {c}: the dates must follow one another day by day")
    codes = {t.code for t in templates} | {REST, LEAVE}
    by_id = {o.officer_id: o for o in team or ()}
    officers, cells = [], []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        oid = str(row["officer_id"]).strip()
        if oid == HOLIDAY_ROW or not oid:
            continue
        if team is not None and oid not in by_id:
            raise BeatwiseError(f"{path}, row {i}: officer {oid} is not in the team file")
        o = by_id.get(oid) or Officer(oid, (str(row.get("rank", "")).strip().upper() or "PC"),
                                      name=str(row.get("name", "")).strip(), source=f"{path}, row {i}")
        line = []
        for d, c in day_cols:
            code = str(row[c]).strip().upper() or REST
            if code not in codes:
                raise BeatwiseError(f"{path}, row {i}, column {c}: code {code!r} is not a tour "
                                    f"template ({', '.join(sorted(codes - {REST, LEAVE}))}), "
                                    f"{REST} or {LEAVE}; give the templates with --templates")
            line.append(code)
        officers.append(o)
        cells.append(tuple(line))
    if not officers:
        raise BeatwiseError(f"{path}: no officers")
    if len({o.officer_id for o in officers}) != len(officers):
        raise BeatwiseError(f"{path}: an officer_id appears twice")
    return Rota(start=start, officers=tuple(officers), templates=tuple(templates), cells=tuple(cells))
