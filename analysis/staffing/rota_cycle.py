"""A proven bound on the constables' coverage in a rotating cycle, by HiGHS: the bound that
CP-SAT alone closes too slowly (:func:`analysis.staffing.rota.make_rota`).

CP-SAT's own bound on the rota model (:mod:`analysis.staffing.rota_model`) stays several per
cent above its best rota for minutes, because the model's linear relaxation lets a fractional
pattern spread tours thinly over the hours and days. Here the group's pattern is written as a
mixed-integer programme over whole weekday columns (:mod:`analysis.staffing.rota_columns`),
each valued exactly, whose relaxation can no longer do that:

* ``y_{j,k}``: weekday ``j`` of the ``C`` pattern weeks takes column ``k`` (exactly one a
  weekday); its coverage ``sum_h min(D'_h, o_h)`` over the horizon's days of that weekday is
  known exactly, so the objective is ``sum_{j,k} v_{j,k} y_{j,k}``;
* the pattern cells ``p_{c,t} = sum_{k: k_q = t} y_{j,k}`` (cell ``c = 7 q + j``);
* every hard rule of :func:`analysis.staffing.rota_model._hard`, written for each line
  officer's days as the model writes it on its ``x``, with ``x[i, d, t]`` replaced by the cell
  ``p[(d + 7 o_i) mod 7C, t]`` the day falls on (rows met again on the same cells are kept
  once); ``minimum_cover`` removes every column that leaves an hour short.

This is the column (configuration) formulation of rostering (Ernst, Jiang, Krishnamoorthy &
Sier 2004, "Staff scheduling and rostering", EJOR 153, section 4), with the columns enumerated
in full. The soft rules are left out: they only lower the rota's objective, so the programme's
optimum (and HiGHS's dual bound at any time) bounds the constables' part of the CP-SAT
objective from above, provided every constable is a line officer with no leave in the horizon
(:func:`analysis.staffing.rota_model.column_group`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from analysis.progress import ProgressFn
from analysis.staffing import rota_columns as columns
from analysis.staffing.milp import _Model
from analysis.staffing.rota_check import DAY_MIN
from analysis.staffing.rota_model import LINE_HOURS_PER_WEEK
from analysis.staffing.rules import RulePack
from analysis.staffing.team import Template


@dataclass(frozen=True)
class CycleSolution:
    """HiGHS's result for one group's pattern.

    Attributes
    ----------
    bound : proven upper bound on ``sum v y`` over the rules' patterns (officer-minutes);
        ``-inf`` when no pattern keeps the rules.
    objective : the best pattern's value (nan if none was found).
    status : ``optimal`` (``bound`` = ``objective``), ``time limit`` or ``infeasible``.
    pattern : ``(cell, template code) -> 0/1`` of the best pattern, or None.
    """

    bound: float
    objective: float
    status: str
    seconds: float
    pattern: Optional[dict] = None


def solve_cycle(templates: Sequence[Template], rules: RulePack, cycle_weeks: int,
                offsets: Sequence[int], days: int, values: np.ndarray, keep: np.ndarray, *,
                hours_per_week: float = LINE_HOURS_PER_WEEK, time_limit_s: float = 10.0,
                progress: Optional[ProgressFn] = None) -> CycleSolution:
    """Maximise the column values over the patterns that keep the hard rules (module docstring).

    Parameters
    ----------
    templates, rules : the rota's; ``cycle_weeks`` its cycle ``C``, ``days`` its horizon.
    offsets : the pattern week each line officer starts on (``k mod C`` for the ``k``-th).
    values, keep : ``(7, n)`` each column's coverage on each weekday and whether it keeps
        ``minimum_cover`` (:func:`analysis.staffing.rota_columns.column_values` and ``allowed``,
        as :class:`analysis.staffing.rota_model.ColumnGroup` holds them).
    hours_per_week : the line officers' contracted hours.
    time_limit_s, progress : HiGHS's limit; ``progress`` raising Cancelled stops it.
    """
    c_weeks, n_t = int(cycle_weeks), len(templates)
    period = 7 * c_weeks
    cols = columns.every_column(n_t, c_weeks)
    m = _Model()
    y = {j: (np.flatnonzero(keep[j]), m.block(int(keep[j].sum()))) for j in range(7)}
    p0 = m.block(period * n_t)

    def p(c: int, r: int) -> int:
        return p0 + (c % period) * n_t + r

    for j, (ks, base) in y.items():
        m.row(base + np.arange(len(ks)), 1.0, 1.0, 1.0)
    for c in range(period):
        q, j = divmod(c, 7)
        ks, base = y[j]
        for r in range(n_t):
            by_col = base + np.flatnonzero(cols[ks, q] == r + 1)
            m.row(np.r_[p(c, r), by_col], np.r_[1.0, -np.ones(len(by_col))], 0.0, 0.0)
    rows = _HardRows(m, templates, rules, period, p, hours_per_week)
    for o in offsets:
        rows.officer(days, 7 * int(o))
    cost = np.zeros(m.n)
    for j, (ks, base) in y.items():
        cost[base:base + len(ks)] = -values[j, ks]
    upper = np.ones(m.n)
    integrality = np.zeros(m.n, dtype=bool)
    integrality[:p0] = True                         # the columns; the cells follow from them
    res, seconds = m.solve(cost, integrality, np.zeros(m.n), upper, time_limit_s,
                           progress=progress, message="rota: proving the constables' bound")
    if res.status == 2:
        return CycleSolution(-math.inf, math.nan, "infeasible", seconds)
    bound = -res.mip_dual_bound if math.isfinite(res.mip_dual_bound) else math.inf
    status = {0: "optimal", 1: "time limit"}.get(res.status, res.message)
    if res.x is None:
        return CycleSolution(bound, math.nan, status, seconds)
    pattern = {(c, t.code): int(round(res.x[p(c, r)])) for c in range(period)
               for r, t in enumerate(templates)}
    objective = -res.fun
    return CycleSolution(min(bound, objective) if status == "optimal" else bound,
                         objective, status, seconds, pattern)


class _HardRows:
    """The hard rules of one line officer at a time as rows over the pattern cells ``p(c, r)``
    (each written as :func:`analysis.staffing.rota_model._hard` writes it)."""

    def __init__(self, m: _Model, templates: Sequence[Template], rules: RulePack, period: int,
                 p, hours_per_week: float) -> None:
        self.m, self.templates, self.rules, self.period, self.p = m, templates, rules, period, p
        self.hours_per_week = hours_per_week
        self.seen: set = set()
        self.aux: dict = {}
        self.night = [rules.is_night(t.start_min, t.length_min) for t in templates]
        self.early = [rules.is_early(t.start_min, t.length_min) for t in templates]

    def _row(self, key, terms: dict, lo: float, hi: float) -> None:
        """``lo <= sum terms <= hi`` once per ``key`` (terms: column -> coefficient)."""
        if key not in self.seen:
            self.seen.add(key)
            self.m.row(list(terms), list(terms.values()), lo, hi)

    def _cells(self, cells, which=None, minutes: bool = False) -> dict:
        """``sum_{c in cells} sum_{t in which} a_t p_{c,t}`` as column -> coefficient (``a_t``:
        the tour's minutes, or 1)."""
        acc: dict = {}
        for c in cells:
            for r, t in enumerate(self.templates):
                if which is None or which[r]:
                    k = self.p(c, r)
                    acc[k] = acc.get(k, 0) + (t.length_min if minutes else 1)
        return acc

    def _once(self, name: str, acc: dict, lo: float, hi: float) -> None:
        self._row((name,) + tuple(sorted(acc.items())), acc, lo, hi)

    def officer(self, days: int, shift: int) -> None:
        """The rows of the line officer who starts the pattern ``shift`` days in."""
        rules, tpl, n_t = self.rules, self.templates, len(self.templates)
        cell = [(d + shift) % self.period for d in range(days)]
        rest_min = rules["daily_rest"]["min_h"] * 60
        within = int(rules["night_then_early"]["within_days"])
        for d in range(days):                       # daily rest; no early soon after a night
            for k in range(1, max(3, within) + 1):
                if d + k >= days:
                    break
                for a in range(n_t):
                    for b in range(n_t):
                        if ((k <= 3 and k * DAY_MIN + tpl[b].start_min - tpl[a].end_min < rest_min)
                                or (k <= within and self.night[a] and self.early[b])):
                            self._row(("pair", cell[d], a, cell[d + k], b),
                                      {self.p(cell[d], a): 1, self.p(cell[d + k], b): 1}, 0, 1)
        self._weekly_rest(days, cell)
        ch = rules["contracted_hours"]
        weeks = days / 7.0
        lo = (self.hours_per_week - ch["tolerance_h_per_week"]) * weeks * 60
        hi = (self.hours_per_week + ch["tolerance_h_per_week"]) * weeks * 60
        self._once("hours", self._cells(cell, minutes=True), float(np.ceil(lo - 1e-6)),
                   float(np.floor(hi + 1e-6)))
        need = int(rules["rest_days"]["per_week"] * days / 7 + 1e-9)
        self._once("rest", self._cells(cell), -np.inf, float(days - need))
        aw = rules["average_weekly_hours"]
        window = min(int(aw["reference_weeks"]) * 7, days)
        cap = int(np.floor(aw["max_h"] * 60 * window / 7.0 + 1e-6))
        for w0 in range(0, days - window + 1):
            self._once("avg", self._cells(cell[w0:w0 + window], minutes=True), -np.inf, float(cap))
        for name, which in (("consecutive_tours", None), ("consecutive_nights", self.night)):
            limit = int(rules[name]["max"])
            for d0 in range(0, days - limit):
                acc = self._cells(cell[d0:d0 + limit + 1], which)
                if acc:
                    self._once(name, acc, -np.inf, float(limit))

    def _weekly_rest(self, days: int, cell) -> None:
        """A qualifying rest day (no tour; for a day between two tours, at least the rule's
        hours from the first's end to the second's start) in every period of the horizon."""
        wr = self.rules["weekly_rest"]
        need, span = wr["min_h"] * 60, int(wr["period_days"])
        tpl, n_t = self.templates, len(self.templates)
        q = []
        for d in range(days):
            inner = 0 < d < days - 1
            key = ("q", cell[d], inner) if not inner else ("q", cell[d - 1], cell[d], cell[d + 1])
            if key not in self.aux:
                v = self.aux[key] = self.m.block(1)
                self.m.row([v] + [self.p(cell[d], r) for r in range(n_t)], 1.0, -np.inf, 1.0)
                if inner:
                    for a in range(n_t):
                        for b in range(n_t):
                            if 2 * DAY_MIN + tpl[b].start_min - tpl[a].end_min < need:
                                self.m.row([v, self.p(cell[d - 1], a), self.p(cell[d + 1], b)],
                                           1.0, -np.inf, 2.0)
            q.append(self.aux[key])
        for w0 in range(0, days - span + 1, span):
            vs = q[w0:w0 + span]
            self._row(("weekly",) + tuple(sorted(vs)), {v: 1 for v in vs}, 1.0, np.inf)


__all__ = ["CycleSolution", "solve_cycle"]
