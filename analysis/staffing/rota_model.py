"""The rota as a CP-SAT model (OR-Tools): the rule pack's hard rules as constraints, its soft
rules as named penalty terms, demand coverage as the objective.

Variables
    ``x[i, d, t]``: officer ``i`` works template ``t`` on day ``d`` (none on leave, fixed rest
    days, or nights for an officer with ``nights_ok = no``). In a rotating cycle of ``C`` weeks
    each rank group (sergeants; constables and PCSOs) shares one pattern of ``7 C`` days and
    the ``k``-th full-time officer of the group starts it ``k mod C`` weeks in; part-timers and
    officers with fixed rest days or no nights get their own free roster.
Objective (maximised, in officer-minutes)
    ``sum_h min(D'_h, o_h) - sum_r round(60 w_r) n_r``: ``o_h`` constable and PCSO minutes on
    duty in hour ``h`` of the horizon, ``D'_h`` the hourly aoristic demand of that hour of the
    week scaled to the team's contracted officer-minutes and rounded to whole minutes (so ``k``
    = 1, ``../shared/DESIGN.md`` section 7), ``n_r`` the count of soft rule ``r`` exactly as
    :func:`analysis.staffing.rota_check.check_rota` counts it, ``w_r`` its weight in
    officer-hours.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
from ortools.sat.python import cp_model

from analysis.staffing import rota_columns as columns
from analysis.staffing.rota_check import DAY_MIN, horizon_demand
from analysis.staffing.rules import RulePack
from analysis.staffing.team import Officer, Template

HARD_FAMILIES = ("minimum_cover", "daily_rest", "weekly_rest", "rest_days", "contracted_hours",
                 "average_weekly_hours", "consecutive_tours", "consecutive_nights",
                 "night_then_early")


@dataclass
class RotaModel:
    """A built model and the handles needed to read a rota back."""

    model: cp_model.CpModel
    x: dict = field(repr=False)
    demand_min: np.ndarray = field(repr=False)
    days: int = 0
    lines: dict = field(default_factory=dict)
    constables: Optional["ColumnGroup"] = None


#: Contracted hours of a line officer of a rotating cycle (others get their own free roster).
LINE_HOURS_PER_WEEK = 40.0


@dataclass(frozen=True)
class ColumnGroup:
    """The constables' shared pattern when their coverage is written by weekday column
    (:func:`column_group`): each line officer's starting week, every weekday's column values
    and the columns that keep ``minimum_cover`` (:mod:`analysis.staffing.rota_columns`), their
    coverage term of the objective and a first bound on it (the best column of each weekday).
    :mod:`analysis.staffing.rota_cycle` bounds their coverage from these."""

    offsets: tuple
    values: np.ndarray = field(repr=False)
    keep: np.ndarray = field(repr=False)
    covered: object = field(repr=False)

    @property
    def most_min(self) -> int:
        return int(np.where(self.keep, self.values, 0).max(axis=1).sum())

    def cap(self, model: cp_model.CpModel, bound_min: float) -> None:
        """A proven bound on the coverage, handed to CP-SAT as a constraint (it keeps every
        rota: none covers more), which it prunes with at once."""
        model.Add(self.covered <= int(math.floor(bound_min + 0.5)))


def scaled_demand(demand, start: dt.date, days: int, officers: Sequence[Officer], rules: RulePack
                  ) -> np.ndarray:
    """``D'_h``: the horizon's hourly demand scaled to the contracted constable/PCSO minutes
    (hours_per_week x weeks, less leave at hours_per_week / working_days_per_week a day),
    rounded to whole officer-minutes."""
    d = horizon_demand(demand, start, days)
    dates = {start + dt.timedelta(days=k) for k in range(days)}
    per_day = rules["contracted_hours"]["working_days_per_week"]
    total_min = 60.0 * sum(o.hours_per_week * days / 7.0 - len(o.leave & dates) * o.hours_per_week / per_day
                           for o in officers if o.rank != "PS")
    if d.sum() <= 0 or total_min <= 0:
        return np.zeros(days * 24, dtype=np.int64)
    return np.rint(d * total_min / d.sum()).astype(np.int64)


def build_model(demand, team: Sequence[Officer], templates: Sequence[Template], rules: RulePack,
                start: dt.date, days: int, cycle_weeks: Optional[int] = None,
                skip: Sequence[str] = (), members: Optional[Sequence[int]] = None) -> RotaModel:
    """The CP-SAT model of the rota (module docstring).

    ``skip`` leaves hard rule families out (used to find which rules cannot all hold).
    ``members`` models only those officers (indices into ``team``): with ``minimum_cover`` of at
    least one constable, every hour counted for ``supervision`` has a constable on duty, so the
    sergeants' part (supervision and their own rules) and the constables' part (coverage and
    theirs) share no term and are solved apart, each to its own bound.
    """
    members = list(range(len(team))) if members is None else list(members)
    m = cp_model.CpModel()
    dates = [start + dt.timedelta(days=k) for k in range(days)]
    night = {t.code: rules.is_night(t.start_min, t.length_min) for t in templates}
    early = {t.code: rules.is_early(t.start_min, t.length_min) for t in templates}
    x: dict = {}
    for i in members:
        o = team[i]
        for d, day in enumerate(dates):
            if day in o.leave or day in o.rest_days:
                continue
            for t in templates:
                if night[t.code] and not o.nights_ok:
                    continue
                x[i, d, t.code] = m.NewBoolVar(f"x_{i}_{d}_{t.code}")
    by_code = {t.code: t for t in templates}

    def tours(i, d):
        return [(by_code[c], x[i, d, c]) for c in by_code if (i, d, c) in x]

    def work(i, d):
        return sum(v for _, v in tours(i, d)) if 0 <= d < days else 0

    def nights(i, d):
        return sum(v for t, v in tours(i, d) if night[t.code]) if 0 <= d < days else 0

    lines, patterns = _tie_cycle(m, x, team, members, templates, days, cycle_weeks)
    by_column = {g: p for g, p in patterns.items() if g == "PC"
                 and column_group(team, members, p[1], dates, templates, cycle_weeks)}
    penalties: list = []
    for i in members:
        o = team[i]
        for d in range(days):
            m.AddAtMostOne([v for _, v in tours(i, d)])
        _hard(m, rules, o, i, days, dates, tours, work, nights, early, skip)
        penalties += _soft(m, rules, i, days, dates, tours, work, nights, o)
    penalties += _fairness(m, rules, team, members, days, dates, tours, nights)
    dmin = scaled_demand(demand, start, days, team, rules)
    min_cover = 0 if "minimum_cover" in skip else int(rules["minimum_cover"]["constables"])
    cover = _coverage(m, team, templates, days, tours, dmin, 60 * min_cover,
                      hourly="PC" not in by_column)
    covered = sum(cover.values())
    group = None
    if "PC" in by_column:                           # the same sum, by weekday column
        group = _by_column(m, by_column["PC"], lines, templates, cycle_weeks, days,
                           columns.coverage_value(dmin), 60 * min_cover)
        covered = group.covered
        group.cap(m, group.most_min)                # else CP-SAT's first bound sums every column
    sergeants = any(team[i].rank == "PS" for i in members)
    constables = any(team[i].rank != "PS" for i in members)
    if sergeants and (constables or min_cover >= 1):
        penalties += _supervision(m, rules, team, templates, days, tours, cover, dmin,
                                  staffed=min_cover >= 1)
    m.Maximize(covered - sum(w * v for w, v in penalties if w))
    return RotaModel(model=m, x=x, demand_min=dmin, days=days, lines=lines, constables=group)


def _tie_cycle(m, x, team, members, templates, days, cycle_weeks) -> tuple[dict, dict]:
    """Rotating cycle: line officers follow their group's pattern, offset by whole weeks.

    Returns officer -> pattern week it starts on, and group ("PS" or "PC") -> (pattern, the
    group's line officers)."""
    if not cycle_weeks:
        return {}, {}
    period = 7 * int(cycle_weeks)
    lines: dict = {}
    patterns: dict = {}
    for group in (("PS",), ("PC", "PCSO")):
        line = [i for i in members if team[i].rank in group and team[i].nights_ok
                and team[i].hours_per_week == LINE_HOURS_PER_WEEK and not team[i].rest_days]
        if len(line) < 2:
            continue
        pattern = {(c, t.code): m.NewBoolVar(f"p_{group[0]}_{c}_{t.code}")
                   for c in range(period) for t in templates}
        for k, i in enumerate(line):
            offset = 7 * (k % int(cycle_weeks))
            lines[i] = k % int(cycle_weeks)
            for d in range(days):
                for t in templates:
                    if (i, d, t.code) in x:
                        m.Add(x[i, d, t.code] == pattern[(d + offset) % period, t.code])
        patterns[group[0]] = (pattern, line)
    return lines, patterns


def column_group(team, members, line, dates, templates, cycle_weeks) -> bool:
    """Whether the constables' coverage can be written by weekday column
    (:mod:`analysis.staffing.rota_columns`): every constable and PCSO in the model is a line
    officer with no leave in the horizon, and the templates and cycle allow it. (The
    sergeants' supervision keeps the hourly form: by column, CP-SAT's presolve took 2.6 s and
    its bound did not move.)"""
    who = [i for i in members if team[i].rank != "PS"]
    return (set(who) == set(line) and not any(team[i].leave & set(dates) for i in who)
            and columns.applies(templates, cycle_weeks))


def _by_column(m, pattern_line, lines, templates, cycle_weeks, days, hour_value,
               min_cover_min) -> ColumnGroup:
    """The group's coverage by weekday column, the columns short of ``minimum_cover`` left
    out."""
    pattern, line = pattern_line
    offsets = tuple(lines[i] for i in line)
    cols, values = columns.column_values(templates, cycle_weeks, offsets, days, hour_value)
    keep = columns.allowed(templates, cycle_weeks, offsets, days, min_cover_min)
    return ColumnGroup(offsets=offsets, values=values, keep=keep,
                       covered=columns.add_columns(m, pattern, templates, cycle_weeks, cols,
                                                   values, keep))


def _hard(m, rules, o, i, days, dates, tours, work, nights, early, skip) -> None:
    """Police Regulations 2003 Annex E / WTR 1998 / HSE HSG256 hard rules for officer ``i``."""
    if "daily_rest" not in skip:                    # WTR 1998 reg 10
        rest_min = rules["daily_rest"]["min_h"] * 60
        for d in range(days):
            for k in (1, 2, 3):
                if d + k >= days:
                    break
                for t0, v0 in tours(i, d):
                    for t1, v1 in tours(i, d + k):
                        if k * DAY_MIN + t1.start_min - t0.end_min < rest_min:
                            m.AddBoolOr([v0.Not(), v1.Not()])
    if "weekly_rest" not in skip:                   # WTR 1998 reg 11
        wr = rules["weekly_rest"]
        need = wr["min_h"] * 60
        period = int(wr["period_days"])
        qualifies = []
        for d in range(days):
            q = m.NewBoolVar("")
            m.Add(work(i, d) == 0).OnlyEnforceIf(q)
            if 0 < d < days - 1:                     # one rest day between two tours
                for t0, v0 in tours(i, d - 1):
                    for t1, v1 in tours(i, d + 1):
                        if 2 * DAY_MIN + t1.start_min - t0.end_min < need:
                            m.AddBoolOr([q.Not(), v0.Not(), v1.Not()])
            qualifies.append(q)
        for p0 in range(0, days - period + 1, period):
            m.AddBoolOr(qualifies[p0:p0 + period])
    leave = sum(day in o.leave for day in dates)
    if "rest_days" not in skip:                     # Annex E: 2 rest days a week on average
        need = int(rules["rest_days"]["per_week"] * (days - leave) / 7 + 1e-9)
        m.Add(sum(1 - work(i, d) for d in range(days) if dates[d] not in o.leave) >= need)
    if "contracted_hours" not in skip:              # Annex E: 8-hour day equivalent
        ch = rules["contracted_hours"]
        weeks = days / 7.0
        credit = leave * o.hours_per_week / ch["working_days_per_week"]
        lo = (o.hours_per_week * weeks - ch["tolerance_h_per_week"] * weeks - credit) * 60
        hi = (o.hours_per_week * weeks + ch["tolerance_h_per_week"] * weeks - credit) * 60
        minutes = sum(t.length_min * v for d in range(days) for t, v in tours(i, d))
        m.Add(minutes >= int(np.ceil(lo - 1e-6)))
        m.Add(minutes <= int(np.floor(hi + 1e-6)))
    if "average_weekly_hours" not in skip:          # WTR 1998 reg 4
        aw = rules["average_weekly_hours"]
        window = min(int(aw["reference_weeks"]) * 7, days)
        cap = int(np.floor(aw["max_h"] * 60 * window / 7.0 + 1e-6))
        for w0 in range(0, days - window + 1):
            m.Add(sum(t.length_min * v for d in range(w0, w0 + window) for t, v in tours(i, d)) <= cap)
    for name, flags in (("consecutive_tours", work), ("consecutive_nights", nights)):
        if name in skip:
            continue
        limit = int(rules[name]["max"])
        for d0 in range(0, days - limit):
            m.Add(sum(flags(i, d) for d in range(d0, d0 + limit + 1)) <= limit)
    if "night_then_early" not in skip:
        within = int(rules["night_then_early"]["within_days"])
        for d in range(days):
            for t0, v0 in tours(i, d):
                if not rules.is_night(t0.start_min, t0.length_min):
                    continue
                for k in range(1, within + 1):
                    for t1, v1 in (tours(i, d + k) if d + k < days else []):
                        if early[t1.code]:
                            m.AddBoolOr([v0.Not(), v1.Not()])


def _w(rules, name) -> int:
    return int(round(60 * rules[name]["weight"]))


def _soft(m, rules, i, days, dates, tours, work, nights, o) -> list:
    """Named penalty terms of officer ``i``: (weight in officer-minutes, count expression)."""
    out = []
    w = _w(rules, "forward_rotation")
    for d in range(days - 1):
        for t0, v0 in tours(i, d):
            for t1, v1 in tours(i, d + 1):
                if t1.start_min < t0.start_min:
                    b = m.NewBoolVar("")
                    m.Add(b >= v0 + v1 - 1)
                    out.append((w, b))
    w = _w(rules, "rest_days_in_pairs")
    for d in range(1, days - 1):
        if dates[d] in o.leave:
            continue
        b = m.NewBoolVar("")
        m.Add(b >= work(i, d - 1) + (1 - work(i, d)) + work(i, d + 1) - 2)
        out.append((w, b))
    w, off = _w(rules, "days_off_after_nights"), int(rules["days_off_after_nights"]["days"])
    for d in range(days - 1):
        b = m.NewBoolVar("")
        for k in range(1, off + 1):
            if d + k < days:
                m.Add(b >= nights(i, d) - nights(i, d + 1) + work(i, d + k) - 1)
        out.append((w, b))
    w, ww = _w(rules, "weekends_spread"), int(rules["weekends_spread"]["window_weeks"])
    sats = [d for d in range(days - 1) if dates[d].weekday() == 5]
    free = []
    for d in sats:
        f = m.NewBoolVar("")
        m.Add(work(i, d) + work(i, d + 1) == 0).OnlyEnforceIf(f)
        free.append(f)
    for w0 in range(0, len(sats) - ww + 1):
        b = m.NewBoolVar("")
        m.AddBoolOr(free[w0:w0 + ww] + [b])
        out.append((w, b))
    w, long_h = _w(rules, "long_tours"), rules["long_tours"]["min_h"]
    for d in range(days):
        out += [(w, v) for t, v in tours(i, d) if t.length_h >= long_h]
    return out


def _fairness(m, rules, team, modelled, days, dates, tours, nights) -> list:
    """max - min nights (nights_ok officers) and weekend tours, per rank group."""
    out = []
    for group in (("PS",), ("PC", "PCSO")):
        members = [i for i in modelled if team[i].rank in group]
        for name, who, count in (
                ("fair_nights", [i for i in members if team[i].nights_ok],
                 lambda i: sum(nights(i, d) for d in range(days))),
                ("fair_weekends", members,
                 lambda i: sum(v for d in range(days) if dates[d].weekday() >= 5 for _, v in tours(i, d)))):
            if len(who) < 2:
                continue
            hi, lo = m.NewIntVar(0, days, ""), m.NewIntVar(0, days, "")
            for i in who:
                c = count(i)
                m.Add(hi >= c)
                m.Add(lo <= c)
            spread = m.NewIntVar(0, days, "")
            m.Add(spread == hi - lo)
            out.append((_w(rules, name), spread))
    return out


def _overlaps(t: Template, d: int, hours: int):
    """(hour of the horizon, minutes) a tour on day ``d`` spends in each hour, clipped."""
    a = d * DAY_MIN + t.start_min
    b = min(a + t.length_min, hours * 60)
    h = a // 60
    while h * 60 < b:
        yield h, min(b, (h + 1) * 60) - max(a, h * 60)
        h += 1


def _coverage(m, team, templates, days, tours, dmin, min_cover_min: int = 0,
              hourly: bool = True) -> dict:
    """``min(D'_h, o_h)`` for every hour of the horizon (constables and PCSOs), and the
    ``minimum_cover`` rule: at least ``min_cover_min`` constable-minutes in every hour from the
    first template's start on the first day (the hours before it belong to the last rota).
    ``hourly`` False: the rule only (the coverage is written by weekday column)."""
    hours = days * 24
    on = [[] for _ in range(hours)]
    for i, o in enumerate(team):
        if o.rank == "PS":
            continue
        for d in range(days):
            for t, v in tours(i, d):
                for h, minutes in _overlaps(t, d, hours):
                    on[h].append(minutes * v)
    cover = {}
    modelled = any(on)                              # constables in this (part of the) model
    first_h = min(t.start_min for t in templates) // 60
    for h in range(hours):
        if min_cover_min > 0 and h >= first_h and modelled:
            m.Add(sum(on[h]) >= min_cover_min)
        if dmin[h] <= 0 or not on[h] or not hourly:
            continue
        c = m.NewIntVar(0, int(dmin[h]), "")
        m.Add(c <= sum(on[h]))
        cover[h] = c
    return cover


def _supervision(m, rules, team, templates, days, tours, cover, dmin, staffed: bool) -> list:
    """Hours with a constable or PCSO on duty and no sergeant (one count per hour), from the
    first template's start on the first day; ``staffed``: ``minimum_cover`` puts a constable on
    duty in each of those hours.

    ``on[h]`` (someone on duty in hour ``h``) is at least each constable's tour in it; the
    redundant ``cover[h] <= D'_h on[h]`` (no demand is covered in an hour nobody works) makes
    the relaxation see that the hours coverage fills are staffed, which keeps the bound close.
    """
    hours = days * 24
    pcs = [[] for _ in range(hours)]
    pss = [[] for _ in range(hours)]
    for i, o in enumerate(team):
        for d in range(days):
            for t, v in tours(i, d):
                for h, _ in _overlaps(t, d, hours):
                    (pss if o.rank == "PS" else pcs)[h].append(v)
    w = _w(rules, "supervision")
    out = []
    for h in range(min(t.start_min for t in templates) // 60, hours):
        if staffed:
            u = m.NewBoolVar("")
            m.AddBoolOr([u] + pss[h])              # no sergeant in an hour constables staff -> u
            out.append((w, u))
            continue
        if not pcs[h]:
            continue
        on, u = m.NewBoolVar(""), m.NewBoolVar("")
        for v in pcs[h]:
            m.AddImplication(v, on)
        if h in cover:
            m.Add(cover[h] <= int(dmin[h]) * on)
        m.Add(u + sum(pss[h]) >= on)                # a constable on duty, no sergeant -> u
        out.append((w, u))
    return out
