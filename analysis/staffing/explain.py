"""Plain-English sentences about shift plans: patterns, hours, highlights, why none fits.

Every sentence is built from the plan's numbers (coverage is
:func:`analysis.staffing.demand.coverage`); nothing here changes a plan.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Optional, Sequence

import numpy as np

from analysis.staffing.week import (ALL_DAYS, HOURS_PER_WEEK, WEEKDAY_ABBR, WEEKDAYS, Shift,
                                    consecutive_runs, days_text, hhmm)

if TYPE_CHECKING:
    from analysis.staffing.rota_score import RotaScore


def _days_words(days: Sequence[int]) -> str:
    """Full names for a sentence: "Friday and Saturday", "every day"."""
    days = sorted(set(days))
    if len(days) == 7:
        return "every day"
    names = [WEEKDAYS[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _hour_runs(hours: Sequence[int]) -> str:
    """Hours of one day (0..23) as "02:00-06:00, 22:00-00:00"."""
    return ", ".join(f"{r[0]:02d}:00-{(r[-1] + 1) % 24:02d}:00"
                     for r in consecutive_runs(sorted(hours)))


def describe_hours(slots: Iterable[tuple[int, int]]) -> str:
    """(weekday, hour) slots as "every day 02:00-06:00" / "Fri, Sat 22:00-00:00; Sun 00:00-02:00"."""
    per_day: dict[int, list[int]] = {}
    for d, h in slots:
        per_day.setdefault(int(d), []).append(int(h))
    by_text: dict[str, list[int]] = {}
    for d in sorted(per_day):
        by_text.setdefault(_hour_runs(per_day[d]), []).append(d)
    return "; ".join(f"{days_text(days)} {text}" for text, days in by_text.items())


def explain_infeasible(officers: int, length_h: int, max_starts: int, min_on_duty: int,
                       starts: Sequence[int]) -> str:
    """Why no plan meets the rules, and what to change (a clause for ``infeasible: ...``)."""
    need = 24 * min_on_duty
    have = officers * length_h
    if have < need:
        return (f"{min_on_duty} officer(s) on duty in every hour needs at least {need} officer-hours "
                f"a day, but {officers} officer(s) on {length_h}-hour shifts give only {have}: "
                f"lower --min-on-duty or add officers")
    if max_starts * length_h < 24:
        return (f"with at most {max_starts} start time(s) a day and {length_h}-hour shifts only "
                f"{max_starts * length_h} of the 24 hours can be covered, so not every hour can have "
                f"{min_on_duty} on duty: allow more start times (--max-starts) or longer shifts")
    return (f"no plan with start times {', '.join(f'{h:02d}:00' for h in starts)} and at most "
            f"{max_starts} a day puts {min_on_duty} officer(s) on duty in every hour: allow more "
            f"start times (--starts any), raise --max-starts or lower --min-on-duty")


def pattern_text(shifts: Sequence[Shift]) -> str:
    """"4 officers at 18:00 and 3 at 10:00" (per weekday: "Mon-Thu: ...; Fri, Sat: ...")."""
    def one_day(lines: Sequence[tuple[int, int]]) -> str:
        lines = sorted(lines, key=lambda p: (-p[1], p[0]))
        parts = [f"{n} officer{'s' if n != 1 else ''} at {hhmm(60 * s)}" if i == 0
                 else f"{n} at {hhmm(60 * s)}" for i, (s, n) in enumerate(lines)]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    per_day: dict[int, list[tuple[int, int]]] = {d: [] for d in ALL_DAYS}
    for s in shifts:
        for d in s.weekdays:
            per_day[d].append((s.start_minute // 60, s.officers))
    groups: dict[tuple, list[int]] = {}
    for d in ALL_DAYS:
        groups.setdefault(tuple(sorted(per_day[d])), []).append(d)
    if len(groups) == 1:
        return "start " + one_day(next(iter(groups)))
    return "; ".join(f"{days_text(days)}: start {one_day(key)}" for key, days in groups.items())


def _run_around(t: int, same) -> list[int]:
    """The cyclic run of hours around ``t`` (at most 24) where ``same(u)`` holds."""
    back = t
    while len(range(back - 1, t + 1)) <= 24 and same((back - 1) % HOURS_PER_WEEK) and back - 1 > t - 24:
        back -= 1
    fwd = t
    while fwd + 1 < back + 24 and same((fwd + 1) % HOURS_PER_WEEK):
        fwd += 1
    return [u % HOURS_PER_WEEK for u in range(back, fwd + 1)]


def _fmt_n(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _highlight(d: np.ndarray, on: np.ndarray, cur: Optional[np.ndarray]) -> str:
    """One sentence on the busiest hours the plan staffs differently (or at all)."""
    if cur is not None:
        gain = d * np.maximum(on - cur, 0.0)
        if gain.max() <= 0:
            return ""
        t = int(np.argmax(gain))
        p, c = on[t], cur[t]
        run = _run_around(t, lambda u: on[u] == p and abs(cur[u] - c) < 1e-9)
    else:
        t = int(np.argmax(d))
        p = on[t]
        run = _run_around(t, lambda u: on[u] == p and d[u] >= 0.5 * d[t])
    offsets = [(u - run[0]) % HOURS_PER_WEEK for u in run]
    h0 = run[0] % 24
    base_day = run[0] // 24
    day_demand = {}
    for k in range(7):
        slots = [(run[0] + 24 * k + o) % HOURS_PER_WEEK for o in offsets]
        ok = all(on[u] == p for u in slots) and (cur is None or all(abs(cur[u] - c) < 1e-9 for u in slots))
        if ok:
            day_demand[(base_day + k) % 7] = float(d[slots].sum())
    top = max(day_demand.values())
    days = sorted(dd for dd, v in day_demand.items() if v >= 0.6 * top)
    share = sum(day_demand[dd] for dd in days) / float(d.sum())
    when = f"{_days_words(days)} {h0:02d}:00-{(h0 + len(run)) % 24:02d}:00"
    if cur is not None:
        return (f"{when[0].upper() + when[1:]} ({share:.0%} of the week's demand) go from "
                f"{_fmt_n(c)} to {_fmt_n(p)} officers.")
    return (f"The busiest hours, {when} ({share:.0%} of the week's demand), have {_fmt_n(p)} "
            f"officer{'s' if p != 1 else ''} on duty.")


def plan_summary(plan_shifts, length_h, cov, on, d, current: Optional[RotaScore],
                 understaffed, supervision, status) -> str:
    """The plan in a paragraph: pattern, coverage (against the current rota's), the busiest
    hours, the hours still most under-staffed, sergeant cover, and the status if not optimal."""
    text = (f"{pattern_text(plan_shifts)} ({length_h}-hour shifts): staffing matches "
            f"{cov:.0%} of incident demand")
    text = text[0].upper() + text[1:]
    if current is not None:
        text += f", against {current.coverage:.0%} for the current {current.label} rota"
    text += "."
    hl = _highlight(d, on.astype(float), None if current is None else np.asarray(current.on_duty))
    if hl:
        text += " " + hl
    if understaffed:
        worst = understaffed[:3]
        text += (" Still most under-staffed: " + ", ".join(
            f"{WEEKDAY_ABBR[u.weekday]} {u.hour:02d}:00 ({_fmt_n(u.on_duty)} on duty, "
            f"{u.needed:.1f} needed)" for u in worst) + ".")
    if supervision:
        text += " " + supervision
    if status != "optimal":
        text = f"Best plan found, {status}. " + text
    return text


def supervision_text(sergeant_shifts: Sequence[Shift], sergeants: int, length_h: int,
                     unsupervised: Sequence[tuple[int, int]], proven: bool) -> str:
    """A sentence on sergeant cover: their pattern, and the hours with constables and no
    sergeant if any (``proven`` False adds "best found, not proven optimal")."""
    note = "" if proven else " (best found, not proven optimal)"
    sg_text = pattern_text(sergeant_shifts).replace("officer", "sergeant")
    if not unsupervised:
        return f"Sergeants: {sg_text}; a sergeant is on duty whenever constables are{note}."
    return (f"Sergeants: {sg_text}. {sergeants} sergeant(s) a day on {length_h}-hour shifts "
            f"cannot be on duty whenever constables are: {len(unsupervised)} hour(s) a week have "
            f"constables and no sergeant ({describe_hours(unsupervised)}){note}.")
