"""An independent rota checker, written from the rule text of the rule pack (not from the solver
model nor from analysis.staffing.rota_check): every tour is an absolute interval in minutes from
the rota's first midnight, and each rule is checked by its wording.

``hard_breaches(rota, pack)`` lists (rule, officer_id) for every hard rule broken;
``soft_counts(rota, pack)`` counts each soft rule's occurrences; ``objective(...)`` is the
solver's documented objective computed from scratch (coverage minutes less weighted counts).
"""
from __future__ import annotations

import datetime as dt
import functools

import numpy as np

DAY = 1440


def _hm(text):
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _intervals(rota, i):
    """[(day, start, end, template)] in absolute minutes."""
    out = []
    for d, code in enumerate(rota.cells[i]):
        t = next((t for t in rota.templates if t.code == code), None)
        if t is not None:
            s = d * DAY + t.start_min
            out.append((d, s, s + t.length_min, t))
    return out


def _is_night(pack_dict, t):
    """At least min_h hours between the night window's start and end (23:00-06:00)."""
    return _night_minutes_ok(pack_dict["night"]["window"], pack_dict["night"]["min_h"], t.start_min, t.length_min)


@functools.lru_cache(maxsize=None)
def _night_minutes_ok(window: str, min_h: float, start_min: int, length_min: int) -> bool:
    """Minute by minute (memoised: the brute-force test asks for the same tours many times)."""
    a, b = (_hm(x) for x in window.split("-"))
    minutes = set()
    for k in range(length_min):
        tod = (start_min + k) % DAY
        inside = (tod >= a or tod < b) if b <= a else (a <= tod < b)
        if inside:
            minutes.add(k)
    return len(minutes) >= min_h * 60


def _is_early(pack_dict, t):
    return t.start_min < _hm(pack_dict["early_starts_before"]) and not _is_night(pack_dict, t)


def _rule(pack_dict, name):
    return next(r for r in pack_dict["rules"] if r["name"] == name)


def hard_breaches(rota, pack) -> set[tuple[str, str]]:
    p = pack.to_dict()
    out = set()
    n = len(rota.cells[0])
    dates = [rota.start + dt.timedelta(days=k) for k in range(n)]
    first_h = min(t.start_min for t in rota.templates) // 60
    for i, o in enumerate(rota.officers):
        iv = _intervals(rota, i)
        oid = o.officer_id
        worked = {d for d, *_ in iv}
        nights = {d for d, s, e, t in iv if _is_night(p, t)}
        earlies = {d for d, s, e, t in iv if _is_early(p, t)}
        leave_days = [d for d in range(n) if rota.cells[i][d] == "AL"]
        rest_days = [d for d in range(n) if rota.cells[i][d] == "R"]
        # tours longer than max_h
        if any((e - s) > _rule(p, "max_tour_length")["max_h"] * 60 for _, s, e, _ in iv):
            out.add(("max_tour_length", oid))
        # 11 h from the end of one tour to the start of the next
        for a, b in zip(iv, iv[1:]):
            if b[1] - a[2] < _rule(p, "daily_rest")["min_h"] * 60:
                out.add(("daily_rest", oid))
        # each whole 7-day period: a day without a tour inside a free stretch of >= 24 h
        wr = _rule(p, "weekly_rest")
        per = wr["period_days"]
        busy = sorted((s, e) for _, s, e, _ in iv)
        for p0 in range(0, n - per + 1, per):
            ok = False
            for d in range(p0, p0 + per):
                if d in worked:
                    continue
                prev_end = max([e for dd, s, e, _ in iv if dd < d], default=None)
                next_start = min([s for dd, s, e, _ in iv if dd > d], default=None)
                if prev_end is None or next_start is None or \
                        next_start - prev_end >= wr["min_h"] * 60:
                    ok = True
            if not ok:
                out.add(("weekly_rest", oid))
        del busy
        # two rest days a week on average, over the days not on leave
        if len(rest_days) < int(_rule(p, "rest_days")["per_week"] * (n - len(leave_days)) / 7 + 1e-9):
            out.add(("rest_days", oid))
        ch = _rule(p, "contracted_hours")
        paid_min = sum(e - s for _, s, e, _ in iv) + len(leave_days) * o.hours_per_week * 60 / \
            ch["working_days_per_week"]
        if abs(paid_min / 60 - o.hours_per_week * n / 7) > ch["tolerance_h_per_week"] * n / 7 + 1e-9:
            out.add(("contracted_hours", oid))
        aw = _rule(p, "average_weekly_hours")
        span = min(aw["reference_weeks"] * 7, n)
        for w0 in range(n - span + 1):
            mins = sum(e - s for d, s, e, _ in iv if w0 <= d < w0 + span)
            if mins / 60 / (span / 7) > aw["max_h"] + 1e-9:
                out.add(("average_weekly_hours", oid))
        for name, days in (("consecutive_tours", worked), ("consecutive_nights", nights)):
            run = 0
            for d in range(n):
                run = run + 1 if d in days else 0
                if run > _rule(p, name)["max"]:
                    out.add((name, oid))
        for d in nights:
            for k in range(1, _rule(p, "night_then_early")["within_days"] + 1):
                if d + k in earlies:
                    out.add(("night_then_early", oid))
        for d in worked:
            if dates[d] in o.leave:
                out.add(("leave_kept", oid))
            if dates[d] in o.rest_days:
                out.add(("fixed_rest_days_kept", oid))
        if nights and not o.nights_ok:
            out.add(("nights_ok_kept", oid))
    # a constable on duty in every hour from the first template's start
    on = _minutes_on(rota, ("PC", "PCSO"))
    need = _rule(p, "minimum_cover")["constables"] * 60
    if any(on[h] < need for h in range(first_h, n * 24)):
        out.add(("minimum_cover", ""))
    return out


def _minutes_on(rota, ranks):
    n = len(rota.cells[0])
    per_min = np.zeros(n * DAY)
    for i, o in enumerate(rota.officers):
        if o.rank in ranks:
            for _, s, e, _ in _intervals(rota, i):
                per_min[s:min(e, n * DAY)] += 1
    return per_min.reshape(-1, 60).sum(axis=1)


def soft_counts(rota, pack) -> dict[str, int]:
    p = pack.to_dict()
    n = len(rota.cells[0])
    dates = [rota.start + dt.timedelta(days=k) for k in range(n)]
    c = {r["name"]: 0 for r in p["rules"] if r["kind"] == "soft"}
    per = {}
    for i, o in enumerate(rota.officers):
        iv = _intervals(rota, i)
        start_of = {d: t.start_min for d, s, e, t in iv}
        worked = set(start_of)
        nights = {d for d, s, e, t in iv if _is_night(p, t)}
        for d in range(n - 1):
            if d in worked and d + 1 in worked and start_of[d + 1] < start_of[d]:
                c["forward_rotation"] += 1
            if d in nights and d + 1 not in nights:
                k = _rule(p, "days_off_after_nights")["days"]
                if any(d + j in worked for j in range(1, k + 1)):
                    c["days_off_after_nights"] += 1
        for d in range(1, n - 1):
            if rota.cells[i][d] == "R" and d - 1 in worked and d + 1 in worked:
                c["rest_days_in_pairs"] += 1
        sats = [d for d in range(n - 1) if dates[d].weekday() == 5]
        free = [d not in worked and d + 1 not in worked for d in sats]
        ww = _rule(p, "weekends_spread")["window_weeks"]
        c["weekends_spread"] += sum(1 for w0 in range(len(sats) - ww + 1) if not any(free[w0:w0 + ww]))
        c["long_tours"] += sum(1 for _, s, e, _ in iv if e - s >= _rule(p, "long_tours")["min_h"] * 60)
        per[i] = (len(nights), sum(1 for d in worked if dates[d].weekday() >= 5))
    for group in (("PS",), ("PC", "PCSO")):
        idx = [i for i, o in enumerate(rota.officers) if o.rank in group]
        nn = [per[i][0] for i in idx if rota.officers[i].nights_ok]
        ww = [per[i][1] for i in idx]
        c["fair_nights"] += (max(nn) - min(nn)) if len(nn) >= 2 else 0
        c["fair_weekends"] += (max(ww) - min(ww)) if len(ww) >= 2 else 0
    if any(o.rank == "PS" for o in rota.officers):
        pc, ps = _minutes_on(rota, ("PC", "PCSO")), _minutes_on(rota, ("PS",))
        first_h = min(t.start_min for t in rota.templates) // 60
        c["supervision"] = int(sum(1 for h in range(first_h, n * 24) if pc[h] > 0 and ps[h] == 0))
    return c


def objective(rota, pack, demand_168) -> int:
    """The solver's documented objective: sum_h min(D'_h, o_h) in officer-minutes, D' the
    horizon's demand scaled to the contracted constable minutes and rounded, less
    round(60 w) x count for every soft rule."""
    n = len(rota.cells[0])
    slots = [((rota.start.weekday() * 24) + h) % 168 for h in range(n * 24)]
    d = np.asarray(demand_168, dtype=float)[slots]
    p = pack.to_dict()
    per_day = _rule(p, "contracted_hours")["working_days_per_week"]
    dates = {rota.start + dt.timedelta(days=k) for k in range(n)}
    total = 60 * sum(o.hours_per_week * n / 7 - len(o.leave & dates) * o.hours_per_week / per_day
                     for o in rota.officers if o.rank != "PS")
    dprime = np.rint(d * total / d.sum())
    on = _minutes_on(rota, ("PC", "PCSO"))
    value = int(np.minimum(dprime, on).sum())
    weights = {r["name"]: r.get("weight", 0) for r in p["rules"] if r["kind"] == "soft"}
    return value - sum(int(round(60 * weights[k])) * v for k, v in soft_counts(rota, pack).items())
