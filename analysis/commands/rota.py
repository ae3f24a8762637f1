"""``beatwise rota``: a rota of named officers over weeks, fitted to demand, within the rules."""
from __future__ import annotations

import datetime as dt

from analysis.progress import BeatwiseError
from analysis.commands._common import (add_filter_arguments, add_input_arguments, filters_from_args,
                                       finish, import_summary, load_project_or_data, out_dir, say)

JSON_NAME = "rota.json"
DEFAULT_TEMPLATES = "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"


def register(sub) -> None:
    p = sub.add_parser(
        "rota", help="a rota of named officers over weeks, fitted to demand, within the rules",
        description="Lay a rotating cycle or a free roster of named officers over --weeks from "
                    "--start, within a rule pack (Police Regulations 2003 Annex E, Working Time "
                    "Regulations 1998, HSE fatigue guidance; every number editable), maximising the "
                    "coverage of the hourly incident demand (OR-Tools CP-SAT), or --check a given "
                    "rota against the same rules and demand. The column of window starts in "
                    "incident data is --start-column here (--start is the rota's first day).",
        conflict_handler="resolve")
    add_input_arguments(p)
    p.add_argument("--start-column", dest="map_start", metavar="COL",
                   help="column of window start (aoristic from/to data)")
    add_filter_arguments(p)
    g = p.add_argument_group("team and tours")
    g.add_argument("--team", metavar="FILE", help="team CSV/XLSX: officer_id, name, rank (PC/PS/PCSO), "
                   "hours_per_week, nights_ok, leave, rest_days")
    g.add_argument("--officers", type=int, metavar="N", help="N full-time constables (no --team)")
    g.add_argument("--sergeants", type=int, default=0, metavar="S", help="S sergeants (with --officers)")
    g.add_argument("--templates", metavar="SPEC",
                   help=f'tour templates, e.g. "{DEFAULT_TEMPLATES}" (the default)')
    g.add_argument("--from-shifts", action="store_true",
                   help="take the tour templates from the shift-timing recommendation (beatwise shifts)")
    r = p.add_argument_group("rules and horizon")
    r.add_argument("--rules", default="england-wales", metavar="NAME|FILE",
                   help="rule pack: england-wales (default), scotland, or a TOML file")
    r.add_argument("--weeks", type=int, default=13, metavar="W", help="weeks of the rota (default 13)")
    r.add_argument("--cycle-weeks", type=int, default=None, metavar="C",
                   help="rotating cycle in weeks (default: the constables' number when 2..12); "
                        "0 = a free roster")
    r.add_argument("--start", metavar="DATE", help="first day, YYYY-MM-DD (default: next Monday)")
    r.add_argument("--time-limit-s", type=float, default=30.0, metavar="T",
                   help="solver time limit; the best rota by then is given with its proven gap")
    r.add_argument("--current", metavar="SPEC", help='current rota to compare coverage with, '
                   'e.g. "07:00-17:00x4,14:00-00:00x3" (default: the project\'s, if it has one)')
    p.add_argument("--check", metavar="ROTA", help="check this rota CSV instead of making one")
    p.add_argument("--out", metavar="DIR", help="write rota.csv, rota.xlsx, rota.pdf, rota.json and "
                                                "one .ics per officer here")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def _start(text) -> dt.date:
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise BeatwiseError(f"--start {text!r}: give a date as YYYY-MM-DD") from None
    today = dt.date.today()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


def _team(args):
    from analysis.staffing.team import numbered_team, read_team
    if args.team and args.officers is not None:
        raise BeatwiseError("give --team FILE or --officers N, not both")
    if args.team:
        return read_team(args.team)
    if args.officers is not None:
        return numbered_team(args.officers, args.sergeants)
    return None


def _templates(args, rules, demand, team):
    from analysis.staffing.team import parse_templates, templates_from_shifts
    max_h = rules["max_tour_length"]["max_h"]
    if args.templates and args.from_shifts:
        raise BeatwiseError("give --templates SPEC or --from-shifts, not both")
    if not args.from_shifts:
        return parse_templates(args.templates or DEFAULT_TEMPLATES, max_h)
    from analysis.staffing.timing import recommend_shifts
    pcs = [o for o in team if o.rank != "PS"]
    lengths = tuple(h for h in (8, 10) if h <= max_h)
    per_day = max(1, round(sum(o.hours_per_week for o in pcs) / 7.0 / (sum(lengths) / len(lengths))))
    # the rule pack's minimum cover holds in the shift plan too, so its tours cover every hour
    rec = recommend_shifts(demand, officers=per_day, shift_hours=lengths, time_limit_s=10.0,
                           min_on_duty=min(per_day, int(rules["minimum_cover"]["constables"])))
    if not rec.best.feasible:
        raise BeatwiseError(f"--from-shifts: the shift-timing plan failed ({rec.best.status})")
    say(f"tour templates from the shift-timing plan ({rec.best.shift_hours}-hour shifts, "
        f"{per_day} a day): {', '.join(s.label() for s in rec.best.shifts)}")
    return templates_from_shifts(rec.best.shifts, max_h)


def run(args) -> int:
    from analysis.filters import apply_filters
    from analysis.staffing.demand import demand_from_incidents
    from analysis.staffing.rules import load_rules

    rules = load_rules(args.rules)
    team = _team(args)
    if team is None and not args.check:
        raise BeatwiseError("give the team: --team FILE or --officers N [--sergeants S]")
    start = _start(args.start)
    folder = out_dir(args.out)
    project = load_project_or_data(args)
    filters = filters_from_args(args)
    incidents = apply_filters(project.incidents, filters)
    demand = demand_from_incidents(incidents, filters=filters if (filters.date_from or filters.date_to)
                                   else None)
    current_spec = args.current or project.settings.get("current_rota")
    summary = {"input": [str(p) for p in args.inputs], "import": import_summary(project.report),
               "filters": filters.to_dict(), "demand_source": demand.to_dict(),
               "synthetic": project.synthetic}
    if current_spec:
        from analysis.staffing.rota_score import score_rota
        summary["current"] = score_rota(demand.per_hour, current_spec).to_dict()
    if args.check:
        return _check(args, rules, team, demand, summary, folder)
    templates = _templates(args, rules, demand.per_hour, team)
    from analysis.staffing.rota import make_rota
    result = make_rota(demand.per_hour, team, templates, rules, start=start, weeks=args.weeks,
                       cycle_weeks=-1 if args.cycle_weeks is None else args.cycle_weeks,
                       time_limit_s=args.time_limit_s)
    summary.update(result.to_dict())
    if not result.feasible:
        raise BeatwiseError(f"no rota: {result.status}")
    if "current" in summary:
        summary["beats_current"] = result.check.coverage > summary["current"]["coverage"]
    files = _write(folder, result, demand, project, rules) if folder else []
    return finish(args, summary, folder, files, JSON_NAME, lambda: _say(summary, result.check, files))


def _check(args, rules, team, demand, summary, folder) -> int:
    from analysis.export.rota_files import read_rota_csv
    from analysis.staffing.rota_check import check_rota
    from analysis.staffing.team import parse_templates

    templates = parse_templates(args.templates or DEFAULT_TEMPLATES, rules["max_tour_length"]["max_h"])
    rota = read_rota_csv(args.check, templates, team)
    chk = check_rota(rota, rules, demand.per_hour)
    holidays = rules.bank_holidays(rota.dates[0], rota.dates[-1])
    summary.update({"checked": str(args.check), "start": rota.start.isoformat(), "days": rota.days,
                    "rules": rules.to_dict(), "coverage": chk.coverage, "check": chk.to_dict(),
                    "bank_holidays": {d.isoformat(): n for d, n in holidays.items()}})
    return finish(args, summary, folder, [], JSON_NAME, lambda: _say(summary, chk, []))


def _write(folder, result, demand, project, rules) -> list:
    from analysis.export.rota_files import write_officer_ics, write_rota_csv, write_rota_xlsx
    from analysis.export.rota_pdf import write_rota_pdf
    rota, chk, holidays = result.rota, result.check, result.bank_holidays
    title = "SYNTHETIC demo data: rota" if project.synthetic else "Rota"
    cycle = f"{result.cycle_weeks}-week rotating cycle" if result.cycle_weeks else "free roster"
    sub = (f"{rota.start:%d %b %Y} for {rota.days // 7} weeks, {cycle}; demand from {demand.n:,} "
           f"incidents, {demand.first_day} to {demand.last_day}.")
    files = [write_rota_csv(folder / "rota.csv", rota, chk, holidays),
             write_rota_xlsx(folder / "rota.xlsx", rota, chk, holidays, title=title),
             write_rota_pdf(folder / "rota.pdf", rota, chk, demand.per_hour, title=title, subtitle=sub,
                            holidays=holidays, rules_name=rules.title, gap=result.gap_coverage)]
    return files + write_officer_ics(folder, rota, holidays, title=title)


def _say(summary, chk, files) -> None:
    if "status" in summary:
        say(f"rota {summary['start']} for {summary['days'] // 7} weeks "
            f"({'free roster' if not summary['cycle_weeks'] else str(summary['cycle_weeks']) + '-week cycle'}): "
            f"{summary['status']}, proven gap {summary['gap']:.2%} of the objective bound "
            f"({summary['gap_coverage']:.2%} of demand), {summary['solve_seconds']:.1f} s")
        for part in summary.get("parts", []):
            if part["highs_bound_officer_min"] is not None:
                say(f"  bound: the constables' coverage proven by HiGHS at most "
                    f"{part['highs_bound_officer_min']:,.0f} officer-minutes ({part['highs_status']}, "
                    f"{part['highs_seconds']:.1f} s; CP-SAT's bound "
                    f"{part['cp_sat_bound_officer_min']:,.0f})")
    say(f"coverage {chk.coverage:.1%}" + (f" (current rota {summary['current']['coverage']:.1%})"
                                          if "current" in summary else ""))
    broken = [r for r in chk.results if not r.ok]
    say("every hard rule kept" if not broken else
        "hard rules broken: " + ", ".join(f"{r.name} ({r.count})" for r in broken))
    for v in chk.violations[:20]:
        if v.rule in {r.name for r in broken}:
            say(f"  {v.rule}: {v.officer_id or 'team'} {v.first}..{v.last}: {v.text}")
    soft = [r for r in chk.results if r.kind == "soft" and r.count]
    if soft:
        say("soft penalties: " + ", ".join(f"{r.name} {r.count}" for r in soft))
    for rank in ("PS", "PC", "PCSO"):
        group = [s for s in chk.officers if s["rank"] == rank]
        if group:
            nights = [s["nights"] for s in group if s["nights_ok"]] or [0]
            say(f"nights per {rank}: " + ", ".join(f"{s['officer_id']} {s['nights']}" for s in group)
                + f" (spread {max(nights) - min(nights)} among those doing nights)")
    for f in files:
        say(f"wrote {f}")
