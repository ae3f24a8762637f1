"""A rota an inspector can publish: named officers over weeks, fitted to demand, within the rules.

:func:`make_rota` lays a rotating cycle (``cycle_weeks``) or a free roster over ``weeks``
(default 13: Police Regulations 2003 Annex E asks for rosters of at least three months) from
``start``, solves :mod:`analysis.staffing.rota_model` with OR-Tools CP-SAT (time limit,
progress, cancel), and returns the best rota found with its proven bound as a gap, checked by
:func:`analysis.staffing.rota_check.check_rota`, with the bank holidays of the rule pack's
country marked. When the rules cannot all hold it says which ones, in words.
"""
from __future__ import annotations

import datetime as dt
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from ortools.sat.python import cp_model

from analysis.progress import BeatwiseError, Cancelled, ProgressFn, report
from analysis.staffing.rota_check import Rota, RotaCheck, check_rota
from analysis.staffing.rota_cycle import CycleSolution, solve_cycle
from analysis.staffing.rota_model import HARD_FAMILIES, RotaModel, build_model
from analysis.staffing.rules import RulePack
from analysis.staffing.team import LEAVE, REST, Officer, Template, check_team

DEFAULT_WEEKS = 13
DEFAULT_TIME_LIMIT_S = 30.0
#: CP-SAT workers, even on 2 cores: with 2 its portfolio has no bound-proving LP worker and a
#: 3-officer week stayed at a 50% gap for 60 s; with 8 it is proven optimal in 0.4 s.
DEFAULT_WORKERS = 8
#: Share of a part's time HiGHS may spend proving the constables' bound (rota_cycle); the seed
#: team's 5-week cycle over 13 weeks is proven in about 3 s, 4-5 s on a loaded machine.
BOUND_SHARE = 0.4
#: The least share of the time for the sergeants' part when it is solved first: the seed team's
#: 2 sergeants are proven optimal in about 6 s, and left at a 1-2% gap at 4 s; the constables'
#: gap closes far more slowly with time.
SERGEANTS_SHARE = 0.4
#: A part with no rota at its share of the time limit searches this long more for a first one
#: (under load on 2 cores the sergeants' part of the seed team had none at 4 s).
FIRST_ROTA_S = 10.0
#: A default rotating cycle is the constables' number in weeks when it is in this range.
DEFAULT_CYCLE_RANGE = (2, 12)


@dataclass(frozen=True)
class RotaResult:
    """The rota, its check, and how good it is proven to be.

    Attributes
    ----------
    status : str
        ``optimal`` (proven), ``feasible`` (time limit or stop: the best found, with ``gap``),
        or ``infeasible: <why>``.
    objective_min, bound_min : float
        The model's objective (officer-minutes of demand covered less penalties) and CP-SAT's
        proven upper bound on it.
    gap : float
        ``(bound - objective) / |bound|`` (0 when optimal).
    gap_coverage : float
        ``(bound - objective) / sum_h D'_h``: how far, in points of coverage, the rota's
        objective may be below the best possible (penalties count in the same officer-minutes).
    cycle_weeks : int or None
        The rotating cycle, or None for a free roster.
    lines : dict
        officer_id -> week of the cycle each line officer starts on.
    bank_holidays : dict of date -> name
    parts : tuple of dict
        Per part solved (sergeants, constables, or the team together): officers, objective,
        CP-SAT's bound, and HiGHS's bound on the constables' coverage where one was proven
        (:mod:`analysis.staffing.rota_cycle`); ``bound_min`` sums the smaller of the two.
    """

    rota: Optional[Rota]
    check: Optional[RotaCheck]
    status: str
    objective_min: float
    bound_min: float
    gap: float
    solve_seconds: float
    gap_coverage: float
    cycle_weeks: Optional[int]
    lines: dict = field(default_factory=dict)
    bank_holidays: dict = field(default_factory=dict)
    rules: Optional[RulePack] = field(default=None, repr=False)
    parts: tuple = ()

    @property
    def feasible(self) -> bool:
        return self.rota is not None

    def to_dict(self) -> dict[str, Any]:
        out = {"status": self.status, "objective_officer_min": self.objective_min,
               "bound_officer_min": self.bound_min, "gap": self.gap,
               "gap_coverage": self.gap_coverage,
               "solve_seconds": self.solve_seconds, "cycle_weeks": self.cycle_weeks,
               "lines": self.lines, "parts": list(self.parts),
               "bank_holidays": {d.isoformat(): n for d, n in self.bank_holidays.items()},
               "rules": None if self.rules is None else self.rules.to_dict()}
        if self.rota is not None:
            out.update({"start": self.rota.start.isoformat(), "days": self.rota.days,
                        "templates": [t.to_dict() | {"refreshment_min": self.rules.refreshment_min(
                            t.length_h)} for t in self.rota.templates],
                        "team": [o.to_dict() for o in self.rota.officers]})
        if self.check is not None:
            out["check"] = self.check.to_dict()
            out["coverage"] = self.check.coverage
        return out


def default_cycle(team: Sequence[Officer], weeks: int) -> Optional[int]:
    """The default rotating cycle: the constables' number ``N`` in weeks (one line each) when the
    horizon is a whole number of cycles, else the horizon itself when ``N`` fits in it. Either
    way every line officer works the whole cycle the same number of times, so nights, weekends
    and hours come out equal by construction. None (a free roster) outside 2..12 constables."""
    n = sum(o.rank != "PS" for o in team)
    lo, hi = DEFAULT_CYCLE_RANGE
    if not lo <= n <= hi or n > weeks:
        return None
    return n if weeks % n == 0 else weeks


class _Watch(cp_model.CpSolverSolutionCallback):
    """Records solutions and reports progress; a progress callback that raises Cancelled (or
    ``stop`` being set) stops the search, keeping the best rota found."""

    def __init__(self, solver, progress, limit_s, stop):
        super().__init__()
        self.solver, self.progress, self.limit_s, self.stop = solver, progress, limit_s, stop
        self.cancelled = False
        self.t0 = time.monotonic()
        self.solutions = 0

    def on_solution_callback(self):
        self.solutions += 1
        self.tick(f"rota: solution {self.solutions}, objective {self.ObjectiveValue():,.0f}, "
                  f"bound {self.BestObjectiveBound():,.0f}")

    def tick(self, message):
        if self.cancelled:
            return
        try:
            report(self.progress, (time.monotonic() - self.t0) / max(self.limit_s, 1e-3), message)
            if self.stop is not None and self.stop.is_set():
                raise Cancelled()
        except Cancelled:
            self.cancelled = True
            self.solver.StopSearch()


def _search(built: RotaModel, limit_s: float, workers, progress, time_limit_s: float, stop,
            first_only: bool):
    """CP-SAT on one part, reporting progress twice a second; a cancel from ``progress`` is
    raised again here, ``stop`` ends the search with the best rota so far."""
    solver = _solver(limit_s, workers)
    solver.parameters.stop_after_first_solution = first_only
    watch = _Watch(solver, progress, time_limit_s,    # stopped already: let the first rota come
                   None if stop is not None and stop.is_set() else stop)
    watch.running = True
    ticker = threading.Thread(target=_tick, args=(watch, solver), daemon=True)
    ticker.start()
    status = solver.Solve(built.model, watch)
    watch.running = False
    ticker.join()
    if watch.cancelled and (stop is None or not stop.is_set()):
        raise Cancelled()
    return solver, status


def _solver(time_limit_s: float, workers: Optional[int], seed: int = 0) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = float(time_limit_s)
    s.parameters.num_workers = int(workers) if workers else DEFAULT_WORKERS
    s.parameters.random_seed = seed
    s.parameters.log_search_progress = False
    return s


def make_rota(demand, team: Sequence[Officer], templates: Sequence[Template], rules: RulePack, *,
              start: dt.date, weeks: int = DEFAULT_WEEKS, cycle_weeks: Optional[int] = -1,
              time_limit_s: float = DEFAULT_TIME_LIMIT_S, workers: Optional[int] = None,
              progress: Optional[ProgressFn] = None, stop: Optional[threading.Event] = None,
              explain_infeasible: bool = True) -> RotaResult:
    """The best rota within the rules for the demand (module docstring).

    Parameters
    ----------
    demand : 168 values, incidents per week in each hour of the week (hourly aoristic).
    team, templates, rules : from :mod:`analysis.staffing.team` and :mod:`analysis.staffing.rules`.
    start : first day; weeks : horizon in weeks.
    cycle_weeks : rotating cycle in weeks; ``-1`` = :func:`default_cycle`; ``None`` or 0 = a free
        roster.
    time_limit_s : CP-SAT wall-time limit; the best rota at the limit is returned with its gap.
    progress : called with a fraction and a message; raising Cancelled stops the search and the
        Cancelled is re-raised after it stopped. ``stop`` (an Event) stops the search and the best
        rota so far is returned.

    Raises
    ------
    BeatwiseError
        A team the rules cannot fit (:func:`analysis.staffing.team.check_team`), a bad horizon.
    Cancelled
        From ``progress``.
    """
    if weeks < 1 or weeks > 104:
        raise BeatwiseError(f"--weeks {weeks}: give 1 to 104 weeks")
    days = 7 * int(weeks)
    dates = [start + dt.timedelta(days=k) for k in range(days)]
    check_team(team, templates, dates, rules)
    if len({o.officer_id for o in team}) != len(team):
        raise BeatwiseError("the team has a repeated officer_id")
    if cycle_weeks == -1:
        cycle_weeks = default_cycle(team, weeks)
    if cycle_weeks is not None and cycle_weeks < 0:
        raise BeatwiseError(f"--cycle-weeks {cycle_weeks}: give 0 (free roster) or a number of weeks")
    cycle_weeks = cycle_weeks or None
    _check_cover(team, templates, rules, dates)
    parts = _parts(team, rules)
    t0 = time.monotonic()
    x: dict = {}
    lines: dict = {}
    obj = bound = demand_total = 0.0
    statuses = []
    parts_out = []
    for k, members in enumerate(parts):
        report(progress, 0.0, f"rota: building the model ({len(members)} officers)")
        built = build_model(demand, team, templates, rules, start, days, cycle_weeks,
                            members=members)
        left = time_limit_s - (time.monotonic() - t0)
        share = left if k == len(parts) - 1 else left * max(SERGEANTS_SHARE,
                                                             len(members) / len(team))
        proved = _constables_bound(built, templates, rules, cycle_weeks, days,
                                   BOUND_SHARE * share, progress, stop, t0, time_limit_s)
        share -= proved.seconds if proved is not None else 0.0
        stopped = stop is not None and stop.is_set()
        solver, status = _search(built, max(share, 0.5), workers, progress, time_limit_s, stop,
                                 first_only=stopped)   # stopped already: this part's first rota
        if status == cp_model.UNKNOWN and not (stop is not None and stop.is_set()):
            report(progress, 1.0, "rota: no rota yet at the time limit; searching for a first one")
            solver, status = _search(built, max(FIRST_ROTA_S, share), workers, progress,
                                     time_limit_s, stop, first_only=True)
        statuses.append(status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        x.update({key: solver.BooleanValue(v) for key, v in built.x.items()})
        lines.update({team[i].officer_id: w for i, w in built.lines.items()})
        part_obj, part_bound = solver.ObjectiveValue(), solver.BestObjectiveBound()
        if built.constables is not None:
            part_bound = min(part_bound, built.constables.most_min)
        if proved is not None and proved.bound < part_bound:
            part_bound = max(proved.bound, part_obj)    # equal when HiGHS proved CP-SAT's rota optimal
        if status != cp_model.OPTIMAL and part_bound <= part_obj + 0.5:
            statuses[-1] = cp_model.OPTIMAL
        obj += part_obj
        demand_total = float(built.demand_min.sum())
        bound += part_bound
        parts_out.append({"officers": len(members), "objective_officer_min": part_obj,
                          "cp_sat_bound_officer_min": solver.BestObjectiveBound(),
                          "highs_bound_officer_min": None if proved is None else proved.bound,
                          "highs_status": None if proved is None else proved.status,
                          "highs_seconds": None if proved is None else round(proved.seconds, 2)})
    seconds = time.monotonic() - t0
    holidays = rules.bank_holidays(dates[0], dates[-1])
    status = statuses[-1]
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        why = ("no rota was found within the time limit; give more time (--time-limit-s)"
               if status == cp_model.UNKNOWN else
               _why_infeasible(demand, team, templates, rules, start, days, cycle_weeks, workers)
               if explain_infeasible else "the rules cannot all hold")
        return RotaResult(None, None, f"infeasible: {why}" if status == cp_model.INFEASIBLE
                          else f"no rota: {why}", math.nan, math.nan, math.nan, seconds, math.nan,
                          cycle_weeks, lines, holidays, rules, tuple(parts_out))
    optimal = all(st == cp_model.OPTIMAL for st in statuses)
    cells = tuple(tuple(next((c.code for c in templates if x.get((i, d, c.code))),
                             LEAVE if dates[d] in team[i].leave else REST)
                        for d in range(days)) for i in range(len(team)))
    rota = Rota(start=start, officers=tuple(team), templates=tuple(templates), cells=cells)
    gap = 0.0 if optimal else max(0.0, (bound - obj) / max(abs(bound), 1.0))
    report(progress, 1.0, "rota: checking")
    return RotaResult(rota, check_rota(rota, rules, demand),
                      "optimal" if optimal else "feasible", obj, bound, gap,
                      seconds, 0.0 if optimal else (bound - obj) / max(demand_total, 1.0),
                      cycle_weeks, lines, holidays, rules, tuple(parts_out))


def _constables_bound(built: RotaModel, templates, rules, cycle_weeks, days, time_limit_s,
                      progress, stop, t0: float, total_s: float) -> Optional[CycleSolution]:
    """HiGHS's proven bound on the constables' coverage (:mod:`analysis.staffing.rota_cycle`)
    when their coverage is written by weekday column (its best pattern is not handed to CP-SAT:
    covering the most demand, it breaks the soft rules, 9,480 officer-minutes of penalties
    for the seed team); None when there is no such group, no time, or the user stopped it (a stop keeps
    CP-SAT's own bound)."""
    group = built.constables
    if group is None or time_limit_s < 0.5 or (stop is not None and stop.is_set()):
        return None

    def watch(fraction, message):
        report(progress, (time.monotonic() - t0) / max(total_s, 1e-3), message)
        if stop is not None and stop.is_set():
            raise Cancelled()

    try:
        solved = solve_cycle(templates, rules, cycle_weeks, group.offsets, days, group.values,
                             group.keep, time_limit_s=time_limit_s, progress=watch)
    except Cancelled:
        if stop is not None and stop.is_set():
            return None
        raise
    if math.isfinite(solved.bound):
        group.cap(built.model, solved.bound)
    return solved


def _check_cover(team, templates, rules: RulePack, dates) -> None:
    """``minimum_cover`` against the constables' most hours (contracted plus the tolerance)."""
    need = int(rules["minimum_cover"]["constables"])
    if need <= 0:
        return
    covered = set()
    for t in templates:
        covered |= {(t.start_min + k) % 1440 // 60 for k in range(t.length_min)}
    gaps = sorted(set(range(24)) - covered)
    if gaps:
        raise BeatwiseError(
            f"the rules cannot all hold: {need} constable(s) on duty in every hour (minimum_cover), "
            f"and no tour template covers {', '.join(f'{h:02d}:00' for h in gaps)}; add a template "
            "that does or lower minimum_cover in the rule pack")
    weeks = len(dates) / 7.0
    tol = rules["contracted_hours"]["tolerance_h_per_week"]
    per_day = rules["contracted_hours"]["working_days_per_week"]
    most_h = sum((o.hours_per_week + tol) * weeks - len(o.leave & set(dates)) * o.hours_per_week / per_day
                 for o in team if o.rank != "PS")
    hours = len(dates) * 24 - min(t.start_min for t in templates) // 60
    if most_h < need * hours:
        raise BeatwiseError(
            f"the rules cannot all hold: {need} constable(s) on duty in every hour (minimum_cover) "
            f"needs {need * hours:,.0f} constable-hours over the {len(dates) // 7} weeks, and the "
            f"team's constables and PCSOs work at most {most_h:,.0f}; add officers or lower "
            "minimum_cover in the rule pack")


def _parts(team: Sequence[Officer], rules: RulePack) -> list[list[int]]:
    """Sergeants and constables solved apart when ``minimum_cover`` keeps a constable on duty in
    every hour (then no term of the objective joins them: :func:`build_model`), else together."""
    ps = [i for i, o in enumerate(team) if o.rank == "PS"]
    pc = [i for i, o in enumerate(team) if o.rank != "PS"]
    if ps and pc and rules["minimum_cover"]["constables"] >= 1:
        return [ps, pc]
    return [ps + pc]


def _tick(watch: _Watch, solver) -> None:
    """Report progress (and notice a cancel) twice a second between solutions."""
    while getattr(watch, "running", False):
        time.sleep(0.5)
        if getattr(watch, "running", False):
            watch.tick("rota: searching")


_RULE_WORDS = {
    "minimum_cover": "a constable on duty in every hour (minimum_cover)",
    "daily_rest": "11 hours between tours (daily_rest)",
    "weekly_rest": "a 24-hour rest in every week (weekly_rest)",
    "rest_days": "two rest days a week on average (rest_days)",
    "contracted_hours": "each officer's contracted hours (contracted_hours)",
    "average_weekly_hours": "48 hours a week on average (average_weekly_hours)",
    "consecutive_tours": "the most tours in a row (consecutive_tours)",
    "consecutive_nights": "the most nights in a row (consecutive_nights)",
    "night_then_early": "no early soon after a night (night_then_early)",
}


def _why_infeasible(demand, team, templates, rules, start, days, cycle_weeks, workers) -> str:
    """Which hard rules cannot hold together: each is left out in turn, with a short solve."""
    culprits = []
    for name in HARD_FAMILIES:
        built = build_model(demand, team, templates, rules, start, days, cycle_weeks, skip=(name,))
        s = _solver(5.0, workers)
        s.parameters.stop_after_first_solution = True
        if s.Solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            culprits.append(_RULE_WORDS[name] + f" = {_value(rules, name)}")
    where = f" in a {cycle_weeks}-week rotating cycle" if cycle_weeks else ""
    if culprits:
        return ("the rules cannot all hold" + where + "; a rota exists without " +
                " or without ".join(culprits) + ": change that number in the rule pack"
                + (" or use a free roster (--cycle-weeks 0)" if cycle_weeks else ""))
    return ("the rules cannot all hold" + where + ", even leaving any one rule out; check the "
            "team's hours, leave and fixed rest days against the templates")


def _value(rules: RulePack, name: str) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in rules[name].params.items())
