"""``beatwise shifts``: shift start times and head-counts matched to when incidents happen."""
from __future__ import annotations

import re

import numpy as np

from analysis.progress import BeatwiseError
from analysis.commands._common import (add_filter_arguments, add_input_arguments, add_street_arguments,
                      filters_from_args, finish, import_summary, load_input, on_street, out_dir, say,
                      titled)

CHART_NAME = "shifts_chart.png"
JSON_NAME = "shifts.json"


def register(sub) -> None:
    p = sub.add_parser(
        "shifts", help="recommend shift start times from when incidents happen (exact MILP)",
        description="Recommend when officers should start their shifts and how many on each, so "
                    "that staffing matches incident demand (incidents per week in each hour of "
                    "the week, aoristic for time windows). Coverage = sum over the week of "
                    "min(demand, k x officers on duty) / total demand, k = demand per "
                    "officer-hour; maximised exactly with a mixed-integer programme (HiGHS). "
                    "Needs incidents with times of day (not data.police.uk month-only data).")
    add_input_arguments(p)
    add_filter_arguments(p)
    add_street_arguments(p)
    r = p.add_argument_group("rules")
    r.add_argument("--officers", type=int, metavar="N",
                   help="officers (constables) working each day (default: as many as --current)")
    r.add_argument("--sergeants", type=int, default=0, metavar="S",
                   help="sergeants a day, planned to be on duty whenever constables are")
    r.add_argument("--shift-hours", default="8", metavar="L[,L...]",
                   help="shift length(s) in hours, e.g. 8,10,12: each is solved, best first "
                        "(default 8)")
    r.add_argument("--starts", default="any", metavar="any|HH:MM,...",
                   help="allowed start times (full hours), default any full hour")
    r.add_argument("--max-starts", type=int, default=3, metavar="K",
                   help="at most K distinct start times a day (default 3)")
    r.add_argument("--min-on-duty", type=int, default=0, metavar="M",
                   help="at least M officers on duty in every hour (default 0)")
    r.add_argument("--per-weekday", action="store_true",
                   help="let each weekday have its own start times and head-counts")
    r.add_argument("--current", metavar="SPEC",
                   help='current rota to compare with, e.g. "07:00-17:00x4,14:00-00:00x3"')
    r.add_argument("--current-from-patrols", nargs="+", metavar="PINGS",
                   help="use the officers on duty observed in patrol GPS (units reporting per hour of "
                        "the week) as the current rota, scored like for like")
    r.add_argument("--time-limit-s", type=float, default=None, metavar="S",
                   help="solver time limit per shift length; a plan not proven optimal by then "
                        "is reported as such with its bound (default 30)")
    p.add_argument("--out", metavar="DIR",
                   help=f"write {CHART_NAME} (demand against officers on duty, recommended and "
                        f"current) and {JSON_NAME} here")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def parse_shift_hours(text: str) -> tuple[int, ...]:
    try:
        hours = tuple(int(v) for v in str(text).replace(" ", "").split(",") if v)
    except ValueError:
        raise BeatwiseError(f'--shift-hours "{text}": give whole hours, e.g. 8 or 8,10,12') from None
    if not hours:
        raise BeatwiseError("--shift-hours needs at least one length")
    return hours


def parse_starts(text: str):
    """``any`` -> None (every full hour); ``"06:00,14:00,22:00"`` -> (6, 14, 22)."""
    if text is None or str(text).strip().lower() in ("any", "all", ""):
        return None
    hours = []
    for part in str(text).split(","):
        m = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*", part)
        if not m or int(m.group(1)) > 23:
            raise BeatwiseError(f'--starts: cannot read "{part.strip()}": give "any" or full hours '
                                'like 06:00,14:00,22:00')
        if m.group(2) not in (None, "00"):
            raise BeatwiseError(f'--starts: "{part.strip()}" is not on the hour; the plan works in '
                                "whole hours (e.g. 06:00)")
        hours.append(int(m.group(1)))
    return tuple(hours)


def run(args) -> int:
    from analysis.staffing.demand import demand_from_incidents
    from analysis.staffing.rota_score import parse_rota
    from analysis.staffing.timing import DEFAULT_TIME_LIMIT_S, recommend_shifts

    lengths = parse_shift_hours(args.shift_hours)
    starts = parse_starts(args.starts)
    if args.current and args.current_from_patrols:
        raise BeatwiseError("give --current SPEC or --current-from-patrols PINGS, not both")
    current = parse_rota(args.current) if args.current else None
    if args.current_from_patrols:
        from analysis.ingest.tracks import read_pings
        from analysis.patrols.on_duty import on_duty

        current = np.asarray(on_duty(read_pings(args.current_from_patrols).pings).to_list(), dtype=float)
        if not np.isfinite(current).all():
            covered = np.isfinite(current)
            say(f"the patrol GPS covers {int(covered.sum())} of the 168 hours of the week; the others "
                "count as nobody on duty")
            current = np.where(covered, current, 0.0)
    officers = args.officers
    if officers is None:
        if current is None:
            raise BeatwiseError("give --officers N (officers working each day) or --current SPEC "
                                "to plan for as many officers as the current rota")
        if isinstance(current, np.ndarray):  # officer-hours a day over the mean shift length
            officers = max(1, int(round(current.sum() / 7 / (sum(lengths) / len(lengths)))))
        else:
            officers = sum(s.officers for s in current)
    if args.streets and not args.street:
        raise BeatwiseError("--streets LAYER is used with --street NAME")
    folder = out_dir(args.out)

    result = load_input(args)
    incidents = on_street(args, result.incidents)
    filters = filters_from_args(args)
    demand = demand_from_incidents(incidents, filters=filters if (filters.date_from or filters.date_to)
                                   else None)
    rec = recommend_shifts(
        demand.per_hour, officers=officers, shift_hours=lengths, starts=starts,
        max_starts=args.max_starts, min_on_duty=args.min_on_duty, per_weekday=args.per_weekday,
        sergeants=args.sergeants, current=current,
        time_limit_s=DEFAULT_TIME_LIMIT_S if args.time_limit_s is None else args.time_limit_s)

    rep = result.report
    summary = {"input": [str(p) for p in args.inputs],
               "import": import_summary(rep),
               "filters": filters.to_dict(), "street": args.street,
               "demand_source": demand.to_dict()}
    summary.update(rec.to_dict())
    files = []
    if folder is not None:
        from analysis.export.shift_chart import shift_chart_figure
        sub = (f"{demand.n:,} incidents with times, {demand.first_day} to {demand.last_day} "
               f"({demand.weeks:.1f} weeks)")
        fig = shift_chart_figure(rec.best, rec.current, note=sub,
                                 title=titled(rep, "Officers on duty against incident demand"))
        png = folder / CHART_NAME
        fig.savefig(png)
        files.append(png)
    return finish(args, summary, folder, files, JSON_NAME, lambda: _say(rec, demand, files))


def _say(rec, demand, files) -> None:
    say(demand.message)
    say(rec.summary)
    for plan in rec.plans:
        if not plan.feasible:
            say(f"{plan.shift_hours}-hour shifts: {plan.status}")
            continue
        lines = ", ".join(s.label() for s in plan.shifts)
        how = f"{plan.status} by {plan.method}" if plan.optimal and plan.method else plan.status
        say(f"{plan.shift_hours}-hour shifts: coverage {plan.coverage:.1%} ({how}, "
            f"{plan.solve_seconds:.1f} s): {lines}")
    if rec.current is not None:
        say(f"current {rec.current.label}: coverage {rec.current.coverage:.1%}")
    for f in files:
        say(f"wrote {f}")
