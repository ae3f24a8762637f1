"""The team a rota is made for, and the tour templates it is made of.

Team
    Officers with ``officer_id``, optional ``name``, ``rank`` (``PC``, ``PS`` or ``PCSO``),
    ``hours_per_week`` (40 full time; fewer for part-timers), ``nights_ok``, ``leave`` dates and
    ``rest_days`` (fixed rest-day dates), read from a CSV or XLSX file (:func:`read_team`) or
    from rows of text such as the app's team table (:func:`officers_from_rows`, which both use), or
    made up as ``--officers N --sergeants S`` (:func:`numbered_team`). Date lists are written
    ``2026-01-05;2026-01-06`` or as ranges ``2026-01-05..2026-01-09``.
Tour templates
    ``E=07:00-17:00,L=14:00-00:00,N=22:00-07:00`` (:func:`parse_templates`): a code, a start and
    an end (an end at or before the start runs past midnight), or taken from a shift-timing plan
    (:func:`templates_from_shifts`). A tour belongs to the day it starts. Its refreshment time
    follows Police Regulations 2003 Annex E by length (:meth:`analysis.staffing.rules.RulePack.
    refreshment_min`); refreshment is duty time, so a tour's hours are its whole length.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from analysis.progress import BeatwiseError

RANKS = ("PC", "PS", "PCSO")
FULL_TIME_H = 40.0
#: Codes a rota uses for days that are not tours.
REST, LEAVE = "R", "AL"
_TEMPLATE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{0,3})\s*=\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


@dataclass(frozen=True)
class Template:
    """A tour template: ``code`` works ``start_min`` .. ``start_min + length_min`` from its day."""

    code: str
    start_min: int
    length_min: int

    @property
    def length_h(self) -> float:
        return self.length_min / 60.0

    @property
    def end_min(self) -> int:
        """Minutes after the start of its day (above 1440 when it runs past midnight)."""
        return self.start_min + self.length_min

    def label(self) -> str:
        e = self.end_min % 1440
        return f"{self.code}={self.start_min // 60:02d}:{self.start_min % 60:02d}-{e // 60:02d}:{e % 60:02d}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "start": self.label().split("=")[1].split("-")[0],
                "end": self.label().split("-")[1], "hours": self.length_h}


@dataclass(frozen=True)
class Officer:
    """One officer of the team (see the module docstring)."""

    officer_id: str
    rank: str = "PC"
    name: str = ""
    hours_per_week: float = FULL_TIME_H
    nights_ok: bool = True
    leave: frozenset = frozenset()
    rest_days: frozenset = frozenset()
    source: str = ""

    @property
    def supervisor(self) -> bool:
        return self.rank == "PS"

    def to_dict(self) -> dict[str, Any]:
        return {"officer_id": self.officer_id, "name": self.name, "rank": self.rank,
                "hours_per_week": self.hours_per_week, "nights_ok": self.nights_ok,
                "leave": sorted(d.isoformat() for d in self.leave),
                "rest_days": sorted(d.isoformat() for d in self.rest_days)}


def parse_templates(spec: str, max_h: float = 12.0) -> tuple[Template, ...]:
    """``"E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"`` -> templates.

    Raises
    ------
    BeatwiseError
        A part that cannot be read, a repeated code, the codes ``R``/``AL`` (rest, leave), a
        tour of no length, or a tour longer than ``max_h`` hours (the rule pack's
        ``max_tour_length``: HSE HSG256, Police Regulations 2003 Annex E).
    """
    if spec is None or not str(spec).strip():
        raise BeatwiseError('--templates is empty: give e.g. "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"')
    out: list[Template] = []
    for part in str(spec).split(","):
        m = _TEMPLATE.match(part)
        if not m:
            raise BeatwiseError(f'--templates: cannot read "{part.strip()}": expected CODE=HH:MM-HH:MM, '
                                'e.g. "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"')
        code = m.group(1).upper()
        h0, m0, h1, m1 = (int(g) for g in m.groups()[1:])
        if h0 > 23 or h1 > 24 or m0 > 59 or m1 > 59 or (h1 == 24 and m1):
            raise BeatwiseError(f'--templates: "{part.strip()}" has an impossible time of day')
        a, b = h0 * 60 + m0, (h1 * 60 + m1) % 1440
        out.append(Template(code, a, (b - a) % 1440))
    return check_templates(out, max_h)


def check_templates(templates: Sequence[Template], max_h: float) -> tuple[Template, ...]:
    """Refuse repeated or reserved codes, empty tours and tours over ``max_h`` hours."""
    seen = set()
    for t in templates:
        if t.code in (REST, LEAVE):
            raise BeatwiseError(f"tour code {t.code} is reserved ({REST} = rest day, {LEAVE} = leave)")
        if t.code in seen:
            raise BeatwiseError(f"tour code {t.code} is given twice")
        seen.add(t.code)
        if t.length_min <= 0:
            raise BeatwiseError(f"tour {t.label()} starts and ends at the same time")
        if t.length_h > max_h:
            raise BeatwiseError(f"tour {t.label()} is {t.length_h:g} hours, longer than the "
                                f"{max_h:g} hours the rule pack allows (max_tour_length)")
    if not templates:
        raise BeatwiseError("no tour templates")
    return tuple(templates)


def templates_from_shifts(shifts: Iterable, max_h: float = 12.0) -> tuple[Template, ...]:
    """Templates from a shift-timing plan's shift lines (:class:`analysis.staffing.week.Shift`),
    one per distinct start and length, coded by start time (``T07``, ``T14``, ``T22``)."""
    seen: dict[tuple[int, int], Template] = {}
    for s in shifts:
        key = (int(s.start_minute), int(s.length_minutes))
        if key not in seen:
            code = f"T{key[0] // 60:02d}" + (f"{key[0] % 60:02d}" if key[0] % 60 else "")
            codes = {t.code for t in seen.values()}
            if code in codes:
                code = next(f"{code}{c}" for c in "abcdefghij" if f"{code}{c}" not in codes)
            seen[key] = Template(code, key[0], key[1])
    return check_templates(sorted(seen.values(), key=lambda t: t.start_min), max_h)


def numbered_team(officers: int, sergeants: int = 0) -> tuple[Officer, ...]:
    """``--officers N --sergeants S``: full-time constables PC01.. and sergeants PS01.."""
    if officers < 1:
        raise BeatwiseError("--officers must be at least 1")
    if sergeants < 0:
        raise BeatwiseError("--sergeants must not be negative")
    return (tuple(Officer(f"PS{i + 1:02d}", "PS", source="--sergeants") for i in range(sergeants))
            + tuple(Officer(f"PC{i + 1:02d}", "PC", source="--officers") for i in range(officers)))


def _dates(text, where: str) -> frozenset:
    text = "" if text is None else str(text).strip()
    if text.lower() in ("", "nan", "none"):
        return frozenset()
    out = set()
    for part in re.split(r"[;|\s]+", text):
        if not part:
            continue
        try:
            if ".." in part:
                a, b = (dt.date.fromisoformat(p) for p in part.split("..", 1))
                if b < a:
                    raise ValueError
                out.update(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
            else:
                out.add(dt.date.fromisoformat(part[:10]))
        except ValueError:
            raise BeatwiseError(f"{where}: cannot read the date {part!r}; give YYYY-MM-DD, "
                                "several separated by ';', or a range YYYY-MM-DD..YYYY-MM-DD") from None
    return frozenset(out)


#: The columns of a team file and of the app's team table, in order.
TEAM_COLUMNS = ("officer_id", "name", "rank", "hours_per_week", "nights_ok", "leave", "rest_days")


def read_team(path: str | Path) -> tuple[Officer, ...]:
    """Officers from a CSV or XLSX file (columns: module docstring; only ``officer_id`` needed).

    Raises
    ------
    BeatwiseError
        Naming the file and row: no ``officer_id`` column, an empty or repeated id, an unknown
        rank, hours that are not a number in 1..48, a ``nights_ok`` that is not yes/no, a date
        that cannot be read (:func:`officers_from_rows`).
    """
    import pandas as pd

    from analysis.atomic import protect

    path = Path(path)
    if not path.is_file():
        raise BeatwiseError(f"--team {path}: no such file")
    protect([path])
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise BeatwiseError(f"--team {path}: cannot read it as a table ({exc})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "officer_id" not in frame.columns:
        raise BeatwiseError(f"{path}: no officer_id column (columns: {', '.join(TEAM_COLUMNS)})")
    return officers_from_rows(frame.fillna("").to_dict("records"), source=str(path), first_row=2)


def officers_from_rows(rows: Iterable[dict], source: str = "", first_row: int = 1) -> tuple[Officer, ...]:
    """Officers from rows of text keyed by :data:`TEAM_COLUMNS` (missing keys take the defaults:
    rank PC, 40 hours, nights yes, no leave or rest days), validated as :func:`read_team` does.

    ``source`` names the table in messages and ``first_row`` numbers its first row (2 in a file,
    under the header); each officer's ``source`` is ``"SOURCE, row N"``.

    Raises
    ------
    BeatwiseError
        ``"SOURCE, row N: REASON"``: an empty or repeated ``officer_id``, a rank not PC/PS/PCSO,
        hours that are not a number in 1..48, a ``nights_ok`` not yes/no, a date that cannot be
        read; ``"SOURCE: no officers"`` for no rows.
    """
    officers, seen = [], {}
    for i, row in enumerate(rows, start=first_row):
        where = f"{source}, row {i}" if source else f"row {i}"
        oid = _text(row.get("officer_id"))
        if not oid:
            raise BeatwiseError(f"{where}: officer_id is empty")
        if oid in seen:
            raise BeatwiseError(f"{where}: officer_id {oid} is a duplicate of row {seen[oid]}")
        seen[oid] = i
        rank = (_text(row.get("rank")) or "PC").upper()
        if rank not in RANKS:
            raise BeatwiseError(f"{where}: rank {rank!r} is not one of {', '.join(RANKS)}")
        hours_text = _text(row.get("hours_per_week")) or f"{FULL_TIME_H:g}"
        try:
            hours = float(hours_text)
        except ValueError:
            raise BeatwiseError(f"{where}: hours_per_week {hours_text!r} is not a number") from None
        if not 1 <= hours <= 48:
            raise BeatwiseError(f"{where}: hours_per_week {hours:g} is outside 1..48")
        nights = _text(row.get("nights_ok", "yes")).lower()
        if nights not in _TRUE | _FALSE:
            raise BeatwiseError(f"{where}: nights_ok {nights!r} is not yes or no")
        officers.append(Officer(
            officer_id=oid, rank=rank, name=_text(row.get("name")), hours_per_week=hours,
            nights_ok=nights in _TRUE or nights == "", leave=_dates(row.get("leave"), f"{where}, leave"),
            rest_days=_dates(row.get("rest_days"), f"{where}, rest_days"), source=where))
    if not officers:
        raise BeatwiseError(f"{source or 'the team'}: no officers")
    return tuple(officers)


def team_rows(team: Iterable[Officer]) -> list[dict[str, str]]:
    """The rows of text :func:`officers_from_rows` reads back to the same officers (date lists
    as ``;``-separated days)."""
    return [{"officer_id": o.officer_id, "name": o.name, "rank": o.rank,
             "hours_per_week": f"{o.hours_per_week:g}", "nights_ok": "yes" if o.nights_ok else "no",
             "leave": ";".join(sorted(d.isoformat() for d in o.leave)),
             "rest_days": ";".join(sorted(d.isoformat() for d in o.rest_days))} for o in team]


def _text(value) -> str:
    """A cell as stripped text (None and a float NaN from a spreadsheet are empty)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def check_team(team: Sequence[Officer], templates: Sequence[Template], dates: Sequence[dt.date],
               rules) -> None:
    """Refuse a team the rota cannot be made for, naming the officer (and file row).

    * leave covering every day of the horizon;
    * contracted hours (less leave, counted at ``hours_per_week / working_days_per_week`` a
      day, Police Regulations 2003 Annex E's 8-hour day for 40 hours) that no number of tours of
      the templates can meet within the ``contracted_hours`` tolerance on the days left after
      rest days and leave.
    """
    horizon = set(dates)
    weeks = len(dates) / 7.0
    rule = rules["contracted_hours"]
    tol_h = rule["tolerance_h_per_week"] * weeks
    lengths = sorted({t.length_min for t in templates})
    for o in team:
        who = o.source or o.officer_id
        who = f"{who} (officer {o.officer_id})" if o.source else f"officer {o.officer_id}"
        leave = o.leave & horizon
        if leave == horizon:
            raise BeatwiseError(f"{who}: leave covers every day of the rota "
                                f"({min(dates)} to {max(dates)}); leave them out of the team")
        target_h = o.hours_per_week * weeks - len(leave) * o.hours_per_week / rule["working_days_per_week"]
        free_days = len(horizon - leave - o.rest_days)
        days_cap = free_days - int(rules["rest_days"]["per_week"] * (len(dates) - len(leave)) / 7)
        if not _reachable(lengths, max(days_cap, 0), (target_h - tol_h) * 60, (target_h + tol_h) * 60):
            raise BeatwiseError(
                f"{who}: {o.hours_per_week:g} hours a week cannot be worked with tours of "
                f"{', '.join(f'{m / 60:g}' for m in lengths)} hours on at most {max(days_cap, 0)} "
                f"days within the {rule['tolerance_h_per_week']:g} h a week tolerance "
                f"(contracted_hours); give tours that fit, or change hours_per_week")


def _reachable(lengths_min: Sequence[int], max_tours: int, lo_min: float, hi_min: float) -> bool:
    """Whether some count of at most ``max_tours`` tours of these lengths sums into [lo, hi]."""
    sums = {0}
    for _ in range(max_tours):
        sums |= {s + length for s in sums for length in lengths_min if s + length <= hi_min}
        if any(lo_min <= s <= hi_min for s in sums):
            return True
    return any(lo_min <= s <= hi_min for s in sums)
