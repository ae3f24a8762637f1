"""Check any rota against a rule pack: every hard and soft rule, with officer and dates, and its
demand coverage over the horizon. Ours or the current one, scored like for like.

A rota
    :class:`Rota`: officers x dates -> a tour code of the templates, ``R`` (rest day) or ``AL``
    (leave). A tour belongs to the day it starts; times are minutes from 00:00 of the first day.
Coverage
    ``../shared/DESIGN.md`` section 7 over the hours of the horizon: ``D_h`` is the hourly
    aoristic demand of that hour of the week, ``o_h`` the constables and PCSOs on duty
    (fractional where a tour starts within the hour), ``sum_h min(D_h, k o_h) / sum_h D_h`` with
    ``k = sum_h D_h / sum_h o_h``. Sergeants supervise: hours with constables and no sergeant are
    the ``supervision`` rule's count (for teams with sergeants). ``minimum_cover`` and
    ``supervision`` count the hours from the first template's start on the first day (the hours
    before it belong to the previous rota).
The rules
    :mod:`analysis.staffing.rules` (Police Regulations 2003 Annex E, Working Time Regulations
    1998, HSE HSG256). Each is counted here from its text; the solver
    (:mod:`analysis.staffing.rota`) keeps the same rules as constraints.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from analysis.staffing.rules import RulePack
from analysis.staffing.team import LEAVE, REST, Officer, Template

DAY_MIN = 1440


@dataclass(frozen=True)
class Rota:
    """Officers x days: ``cells[i][d]`` is a template code, ``R`` or ``AL``."""

    start: dt.date
    officers: tuple[Officer, ...]
    templates: tuple[Template, ...]
    cells: tuple[tuple[str, ...], ...]

    @property
    def days(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    @property
    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=d) for d in range(self.days)]

    def template(self, code: str) -> Optional[Template]:
        return next((t for t in self.templates if t.code == code), None)

    def tours(self, i: int) -> list[tuple[int, Template]]:
        """(day, template) of officer ``i``'s tours, in time order."""
        return [(d, self.template(c)) for d, c in enumerate(self.cells[i]) if c not in (REST, LEAVE)]


@dataclass(frozen=True)
class Violation:
    """One breach: the rule, the officer (or ``""`` for the team), the dates and what happened."""

    rule: str
    officer_id: str
    first: dt.date
    last: dt.date
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "officer_id": self.officer_id, "first": self.first.isoformat(),
                "last": self.last.isoformat(), "text": self.text}


@dataclass(frozen=True)
class RuleResult:
    """A rule's outcome: how often it was broken (hard) or incurred (soft) and its penalty."""

    name: str
    kind: str
    basis: str
    count: int
    penalty_h: float
    source: str

    @property
    def ok(self) -> bool:
        return self.kind == "soft" or self.count == 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "basis": self.basis, "count": self.count,
                "penalty_h": self.penalty_h, "ok": self.ok, "source": self.source}


@dataclass(frozen=True)
class RotaCheck:
    """Every rule's result, the violations, coverage and per-officer figures."""

    results: tuple[RuleResult, ...]
    violations: tuple[Violation, ...]
    coverage: float
    on_duty: tuple[float, ...] = field(repr=False)
    officers: tuple[dict, ...] = field(repr=False)
    penalty_h: float = 0.0

    @property
    def hard_ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def broken(self) -> list[str]:
        return [r.name for r in self.results if not r.ok]

    def to_dict(self, max_violations: int = 200) -> dict[str, Any]:
        return {"hard_rules_kept": self.hard_ok, "coverage": self.coverage,
                "soft_penalty_h": self.penalty_h, "rules": [r.to_dict() for r in self.results],
                "violations": [v.to_dict() for v in self.violations[:max_violations]],
                "violations_total": len(self.violations), "officers": list(self.officers)}


def on_duty_minutes(rota: Rota, ranks=("PC", "PCSO")) -> np.ndarray:
    """Officer-minutes on duty of the given ranks in each hour of the horizon (clipped to it)."""
    horizon = rota.days * DAY_MIN
    minutes = np.zeros(horizon)
    for i, o in enumerate(rota.officers):
        if o.rank not in ranks:
            continue
        for d, t in rota.tours(i):
            a = d * DAY_MIN + t.start_min
            minutes[a:min(a + t.length_min, horizon)] += 1
    return minutes.reshape(rota.days * 24, 60).sum(axis=1)


def horizon_demand(demand, start: dt.date, days: int) -> np.ndarray:
    """The hour-of-week demand laid over the horizon's hours (Monday 00:00 = slot 0)."""
    d = np.asarray(demand, dtype=float).reshape(-1)
    slots = (start.weekday() * 24 + np.arange(days * 24)) % 168
    return d[slots]


def horizon_coverage(demand_h: np.ndarray, on_h: np.ndarray) -> float:
    """DESIGN.md section 7 over the horizon: ``sum min(D, k o) / sum D``, ``k = sum D / sum o``."""
    if on_h.sum() <= 0 or demand_h.sum() <= 0:
        return 0.0
    k = demand_h.sum() / on_h.sum()
    return float(np.minimum(demand_h, k * on_h).sum() / demand_h.sum())


def check_rota(rota: Rota, rules: RulePack, demand=None) -> RotaCheck:
    """Check ``rota`` against every rule of ``rules``; coverage of ``demand`` (168 values) if given.

    Returns
    -------
    RotaCheck
        ``results`` in pack order, then the team rules (leave, fixed rest days, nights_ok);
        ``violations`` name the officer and the first and last date concerned.
    """
    dates = rota.dates
    v: list[Violation] = []
    counts: dict[str, int] = {name: 0 for name in rules.rules}
    counts.update({"leave_kept": 0, "fixed_rest_days_kept": 0, "nights_ok_kept": 0})

    def add(rule, i, d0, d1, text):
        counts[rule] += 1
        v.append(Violation(rule, rota.officers[i].officer_id if i is not None else "",
                           dates[d0], dates[min(d1, len(dates) - 1)], text))

    stats = [_officer(rota, rules, i, add) for i in range(len(rota.officers))]
    _fairness(rota, rules, stats, counts)
    on = on_duty_minutes(rota) / 60.0
    first_h = min(t.start_min for t in rota.templates) // 60 if rota.templates else 0
    sup = on_duty_minutes(rota, ("PS",))
    unsup = [h for h in range(first_h, len(on)) if on[h] > 0 and sup[h] == 0]
    need_min = 60 * rules["minimum_cover"]["constables"]
    short = [h for h in range(first_h, len(on)) if on[h] * 60 < need_min - 1e-9]
    counts["minimum_cover"] = len(short)
    for a, b in _runs([h in set(short) for h in range(len(on))]):
        v.append(Violation("minimum_cover", "", dates[a // 24], dates[(b - 1) // 24],
                           f"fewer than {rules['minimum_cover']['constables']} constables on duty "
                           f"from {dates[a // 24]} {a % 24:02d}:00 for {b - a} h"))
    has_sergeant = any(o.rank == "PS" for o in rota.officers)
    counts["supervision"] = len(unsup) if has_sergeant else 0   # counted for teams with sergeants
    if unsup and has_sergeant:
        first, last = unsup[0] // 24, unsup[-1] // 24
        v.append(Violation("supervision", "", dates[first], dates[last],
                           f"{len(unsup)} hours with constables on duty and no sergeant"))
    results, penalty = [], 0.0
    for name, rule in rules.rules.items():
        p = rule.params.get("weight", 0.0) * counts[name] if not rule.hard else 0.0
        penalty += p
        results.append(RuleResult(name, rule.kind, rule.basis, counts[name], p, rule.source))
    for name, text in (("leave_kept", "no tour on a leave date"),
                       ("fixed_rest_days_kept", "no tour on a fixed rest day"),
                       ("nights_ok_kept", "no night for an officer with nights_ok = no")):
        results.append(RuleResult(name, "hard", "team", counts[name], 0.0, f"team file: {text}"))
    cov = float("nan") if demand is None else horizon_coverage(
        horizon_demand(demand, rota.start, rota.days), on)
    return RotaCheck(results=tuple(results), violations=tuple(v), coverage=cov,
                     on_duty=tuple(float(x) for x in on), officers=tuple(stats), penalty_h=penalty)


def _officer(rota: Rota, rules: RulePack, i: int, add) -> dict:
    o, cells, n = rota.officers[i], rota.cells[i], rota.days
    dates = rota.dates
    tours = rota.tours(i)
    work = [c not in (REST, LEAVE) for c in cells]
    night = [w and rules.is_night(rota.template(c).start_min, rota.template(c).length_min)
             for w, c in zip(work, cells)]
    early = [w and rules.is_early(rota.template(c).start_min, rota.template(c).length_min)
             for w, c in zip(work, cells)]
    hours = sum(t.length_h for _, t in tours)
    leave = sum(c == LEAVE for c in cells)
    rests = sum(c == REST for c in cells)
    weeks = n / 7.0
    for d, c in enumerate(cells):
        if work[d] and dates[d] in o.leave:
            add("leave_kept", i, d, d, f"{c} on {dates[d]}, a leave date")
        if work[d] and dates[d] in o.rest_days:
            add("fixed_rest_days_kept", i, d, d, f"{c} on {dates[d]}, a fixed rest day")
        if night[d] and not o.nights_ok:
            add("nights_ok_kept", i, d, d, f"night {c} on {dates[d]} (nights_ok = no)")
    for _, t in tours:
        if t.length_h > rules["max_tour_length"]["max_h"]:
            add("max_tour_length", i, 0, n - 1, f"tour {t.code} is {t.length_h:g} h")
            break
    # daily rest: between the end of each tour and the start of the next
    for (d0, t0), (d1, t1) in zip(tours, tours[1:]):
        gap = d1 * DAY_MIN + t1.start_min - (d0 * DAY_MIN + t0.end_min)
        if gap < rules["daily_rest"]["min_h"] * 60:
            add("daily_rest", i, d0, d1, f"{gap / 60:g} h between {t0.code} on {dates[d0]} and "
                                         f"{t1.code} on {dates[d1]}")
    # weekly rest: each whole period holds a non-tour day inside a rest of at least min_h
    wr = rules["weekly_rest"]
    period = int(wr["period_days"])
    for p0 in range(0, n - period + 1, period):
        if not any(not work[d] and _rest_through(tours, d) >= wr["min_h"] * 60
                   for d in range(p0, p0 + period)):
            add("weekly_rest", i, p0, p0 + period - 1, f"no {wr['min_h']:g} h rest in "
                                                       f"{dates[p0]} to {dates[p0 + period - 1]}")
    need = int(rules["rest_days"]["per_week"] * (n - leave) / 7 + 1e-9)
    if rests < need:
        add("rest_days", i, 0, n - 1, f"{rests} rest days, {need} needed")
    ch = rules["contracted_hours"]
    paid = hours + leave * o.hours_per_week / ch["working_days_per_week"]
    if abs(paid - o.hours_per_week * weeks) > ch["tolerance_h_per_week"] * weeks + 1e-9:
        add("contracted_hours", i, 0, n - 1, f"{paid:g} h (with leave) against "
                                             f"{o.hours_per_week * weeks:g} h contracted")
    aw = rules["average_weekly_hours"]
    window = min(int(aw["reference_weeks"]) * 7, n)
    for w0 in range(0, n - window + 1):
        h = sum(t.length_h for d, t in tours if w0 <= d < w0 + window)
        if h / (window / 7.0) > aw["max_h"] + 1e-9:
            add("average_weekly_hours", i, w0, w0 + window - 1,
                f"{h / (window / 7.0):.1f} h a week on average")
            break
    for name, flags in (("consecutive_tours", work), ("consecutive_nights", night)):
        limit = rules[name]["max"]
        for a, b in _runs(flags):
            if b - a > limit:
                add(name, i, a, b - 1, f"{b - a} in a row from {dates[a]}")
    within = int(rules["night_then_early"]["within_days"])
    for d in range(n):
        for k in range(1, within + 1):
            if night[d] and d + k < n and early[d + k]:
                add("night_then_early", i, d, d + k, f"night {cells[d]} on {dates[d]}, early "
                                                     f"{cells[d + k]} on {dates[d + k]}")
    # soft rules
    for d in range(n - 1):
        if work[d] and work[d + 1] and rota.template(cells[d + 1]).start_min < \
                rota.template(cells[d]).start_min:
            add("forward_rotation", i, d, d + 1, f"{cells[d]} then {cells[d + 1]}")
    for d in range(1, n - 1):
        if cells[d] == REST and work[d - 1] and work[d + 1]:
            add("rest_days_in_pairs", i, d, d, f"single rest day {dates[d]}")
    off = int(rules["days_off_after_nights"]["days"])
    for d in range(n - 1):
        if night[d] and not night[d + 1] and any(work[d + k] for k in range(1, off + 1) if d + k < n):
            add("days_off_after_nights", i, d, d + off, f"nights end {dates[d]}, a tour within {off} days")
    weekends = [d for d in range(n - 1) if dates[d].weekday() == 5]
    free = [not work[d] and not work[d + 1] for d in weekends]
    ww = int(rules["weekends_spread"]["window_weeks"])
    for w0 in range(0, len(weekends) - ww + 1):
        if not any(free[w0:w0 + ww]):
            add("weekends_spread", i, weekends[w0], weekends[w0 + ww - 1] + 1,
                f"no free weekend in {ww} weeks from {dates[weekends[w0]]}")
    for d, t in tours:
        if t.length_h >= rules["long_tours"]["min_h"]:
            add("long_tours", i, d, d, f"{t.length_h:g} h tour {t.code} on {dates[d]}")
    return {"officer_id": o.officer_id, "name": o.name, "rank": o.rank, "hours": hours,
            "hours_per_week": hours / weeks, "tours": len(tours), "rest_days": rests,
            "leave_days": leave, "nights": sum(night),
            "weekend_tours": sum(work[d] for d in range(n) if dates[d].weekday() >= 5),
            "nights_ok": o.nights_ok}


def _rest_through(tours: Sequence[tuple[int, Template]], day: int) -> float:
    """Minutes from the end of the last tour before ``day`` to the start of the first after it
    (infinite towards an end of the rota)."""
    before = [d * DAY_MIN + t.end_min for d, t in tours if d < day]
    after = [d * DAY_MIN + t.start_min for d, t in tours if d > day]
    if not before or not after:
        return float("inf")
    return after[0] - before[-1]


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    out, a = [], None
    for d, f in enumerate(list(flags) + [False]):
        if f and a is None:
            a = d
        elif not f and a is not None:
            out.append((a, d))
            a = None
    return out


def _fairness(rota: Rota, rules: RulePack, stats: list[dict], counts: dict) -> None:
    """``max - min`` nights (officers with nights_ok) and weekend tours, within each rank group
    (sergeants; constables and PCSOs)."""
    counts["fair_nights"] = counts["fair_weekends"] = 0
    for group in (("PS",), ("PC", "PCSO")):
        members = [s for s in stats if s["rank"] in group]
        nights = [s["nights"] for s in members if s["nights_ok"]]
        if len(nights) >= 2:
            counts["fair_nights"] += max(nights) - min(nights)
        weekend = [s["weekend_tours"] for s in members]
        if len(weekend) >= 2:
            counts["fair_weekends"] += max(weekend) - min(weekend)
