"""How well did each method's boxes do? A rolling-origin back-test on the force's own past periods.

For each of the last ``test_periods`` complete periods (weeks by default) each method is fitted on
the incidents strictly before the period's start and forecasts it; its top cells covering
``c`` % of the study area are compared with what happened (Chainey, Tompson & Uhlig 2008;
Levine 2008, *The "hottest" part of a hotspot*):

* **hit rate** ``n / N``: the share of the period's incidents inside the chosen cells;
* **PAI** (Prediction Accuracy Index, Chainey et al. 2008) ``(n / N) / (a / A)``: hit rate over
  the share of the area (1 = no better than chance);
* **PEI** (Predictive Efficiency Index, Hunt 2016) ``n / n*``: hit rate against the best any
  ``a``-sized choice of cells could have done, ``n*`` the incidents in the period's ``k`` busiest
  cells; PEI = PAI / PAI_max at the same area;
* **RRI** (Recapture Rate Index, Levine 2008) ``(n2 / n1) / (N2 / N1)``: the chosen cells'
  incidents in the period over those in the period before, against the same ratio of totals
  (NaN when the cells had none before).

The coverage ``c`` is ``k`` cells of the study area's ``A_n``, ``k = max(1, round(c/100 A_n))``;
cells with equal risk are ordered at random with a fixed seed (``TIE_SEED``), so a method that
scores many cells 0 is credited with what chance gives among them, no more. A uniform random
forecast's expected hit rate at ``k`` cells is exactly ``k / A_n``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from analysis.progress import BeatwiseError, ProgressFn, report
from analysis.spacetime.forecast import METHODS, ForecastData, ForecastParams, predict
from analysis.spacetime.periods import check_period, period_floor, period_label

COVERAGES_PCT = (0.5, 1.0, 2.0, 5.0, 10.0)
#: Coverages of the coverage curve (percent of the study area).
CURVE_PCT = tuple(float(v) for v in np.round(np.arange(0.5, 20.001, 0.5), 3))
DEFAULT_TEST_PERIODS = 12
TIE_SEED = 20040101
METRICS = ("hit_rate", "pai", "pei", "rri")


def cells_for(coverage_pct: float, n_study_cells: int) -> int:
    """``k = max(1, round(coverage/100 * A_n))`` cells, at most ``A_n``."""
    if not 0 < coverage_pct <= 100:
        raise BeatwiseError(f"coverage must be a percentage above 0 and at most 100, got {coverage_pct!r}")
    return int(min(n_study_cells, max(1, round(coverage_pct / 100.0 * n_study_cells))))


def ranking(risk: np.ndarray, k_max: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the ``k_max`` highest values of ``risk`` (NaN lowest), highest first, ties in random order."""
    r = np.where(np.isfinite(risk), risk, -np.inf)
    n = len(r)
    k_max = min(k_max, n)
    jitter = rng.random(n)
    if k_max < n:
        threshold = np.partition(r, n - k_max)[n - k_max]
        cand = np.flatnonzero(r >= threshold)
    else:
        cand = np.arange(n)
    order = cand[np.lexsort((jitter[cand], -r[cand]))]
    return order[:k_max]


@dataclass(frozen=True)
class Backtest:
    """A rolling-origin back-test of forecasting methods.

    Attributes
    ----------
    methods : tuple of str
    period : str
    origins : tuple of float
        Start of each test period (days since 1970-01-01), oldest first.
    labels : tuple of str
    coverages_pct : tuple of float
    ks : ndarray (c,)
        Cells chosen at each coverage.
    n_study_cells : int
    incidents : ndarray (o,)
        Incidents in each test period (inside the study area).
    previous : ndarray (o,)
        Incidents in the period before each one.
    caught, caught_before : ndarray (m, o, c)
        Incidents in the chosen cells during the period, and during the period before.
    best : ndarray (o, c)
        Incidents in the period's own ``k`` busiest cells.
    curve_caught, curve_best : ndarray (m, o, len(CURVE_PCT)), (o, len(CURVE_PCT))
    params : ForecastParams
    """

    methods: tuple[str, ...]
    period: str
    origins: tuple[float, ...]
    labels: tuple[str, ...]
    coverages_pct: tuple[float, ...]
    ks: np.ndarray = field(repr=False)
    n_study_cells: int
    incidents: np.ndarray = field(repr=False)
    previous: np.ndarray = field(repr=False)
    caught: np.ndarray = field(repr=False)
    caught_before: np.ndarray = field(repr=False)
    best: np.ndarray = field(repr=False)
    curve_ks: np.ndarray = field(repr=False)
    curve_caught: np.ndarray = field(repr=False)
    params: ForecastParams = ForecastParams()
    etas: tuple = ()

    def _ratio(self, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)

    @property
    def hit_rate(self) -> np.ndarray:
        """(m, o, c); NaN for a period with no incidents."""
        return self._ratio(self.caught, self.incidents[None, :, None].astype(float))

    @property
    def pai(self) -> np.ndarray:
        return self.hit_rate / (self.ks / self.n_study_cells)[None, None, :]

    @property
    def pei(self) -> np.ndarray:
        return self._ratio(self.caught, np.broadcast_to(self.best[None], self.caught.shape).astype(float))

    @property
    def rri(self) -> np.ndarray:
        cells = self._ratio(self.caught, self.caught_before)
        totals = self._ratio(self.incidents.astype(float), self.previous.astype(float))
        return self._ratio(cells, np.broadcast_to(totals[None, :, None], cells.shape))

    def metric(self, name: str) -> np.ndarray:
        if name not in METRICS:
            raise KeyError(name)
        return getattr(self, name)

    @property
    def random_hit_rate(self) -> np.ndarray:
        """A uniform random choice's expected hit rate at each coverage: ``k / A_n``."""
        return self.ks / self.n_study_cells

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """``(coverage %, mean hit rate (m, len))`` over the test periods with incidents."""
        n = self.incidents.astype(float)
        use = n > 0
        rate = self.curve_caught[:, use, :] / n[use][None, :, None]
        return 100.0 * self.curve_ks / self.n_study_cells, rate.mean(axis=1) if use.any() else rate.sum(axis=1)

    def stats(self, method: str, metric: str, coverage_pct: float) -> dict:
        """``{mean, sd, min, max, n}`` of one method's metric at one coverage over the test periods."""
        m = self.methods.index(method)
        c = self.coverages_pct.index(coverage_pct)
        v = self.metric(metric)[m, :, c]
        v = v[np.isfinite(v)]
        if len(v) == 0:
            return {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
        return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                "min": float(v.min()), "max": float(v.max()), "n": int(len(v))}

    def best_method(self, coverage_pct: float = 2.0) -> str:
        """The method with the highest mean PAI at ``coverage_pct`` (ties: the simpler, listed first)."""
        if coverage_pct not in self.coverages_pct:
            raise BeatwiseError(f"the back-test has no {coverage_pct:g}% coverage")
        means = [self.stats(m, "pai", coverage_pct)["mean"] for m in self.methods]
        scores = [-np.inf if v is None else v for v in means]
        return self.methods[int(np.argmax(scores))]

    def summary(self) -> dict:
        """``{method: {"2": {hit_rate: {mean, sd, min, max, n}, pai: ..., pei: ..., rri: ...}}}``."""
        out = {}
        for method in self.methods:
            out[method] = {f"{c:g}": {metric: self.stats(method, metric, c) for metric in METRICS}
                           for c in self.coverages_pct}
        return out

    def table(self):
        """One row per method, test period and coverage (the back-test CSV)."""
        import pandas as pd

        hit, pai, pei, rri = self.hit_rate, self.pai, self.pei, self.rri
        rows = []
        for m, method in enumerate(self.methods):
            for o, label in enumerate(self.labels):
                for c, cov in enumerate(self.coverages_pct):
                    rows.append({"method": method, "period": label, "coverage_pct": cov, "cells": int(self.ks[c]),
                                 "incidents": int(self.incidents[o]), "caught": int(self.caught[m, o, c]),
                                 "best_possible": int(self.best[o, c]), "hit_rate": hit[m, o, c],
                                 "pai": pai[m, o, c], "pei": pei[m, o, c], "rri": rri[m, o, c]})
        return pd.DataFrame(rows)


def backtest_origins(data: ForecastData, period: str, test_periods: int, min_history_days: float) -> tuple[float, ...]:
    """Starts of the last ``test_periods`` complete periods, each with ``min_history_days`` of data before it.

    The data end at the end of the day of the last incident; a period is complete when it ends by then.
    """
    length = check_period(period)
    if test_periods < 1:
        raise BeatwiseError(f"--test-weeks must be 1 or more, got {test_periods}")
    if data.n_events == 0:
        raise BeatwiseError("no incidents with times inside the study area to back-test")
    data_end = float(np.floor(data.t_days[-1]) + 1.0)
    last_end = float(period_floor(data_end + 1e-9, period))
    earliest = float(data.t_days[0]) + min_history_days
    origins = [last_end - length * k for k in range(test_periods, 0, -1)]
    usable = tuple(o for o in origins if o >= earliest - 1e-9)
    if not usable:
        raise BeatwiseError(f"too little history: the back-test needs at least {min_history_days:g} days of incidents "
                            f"before its first {period} (the data run {data.t_days[-1] - data.t_days[0]:.0f} days)")
    return usable


def backtest(data: ForecastData, period: str = "week", *, methods: Sequence[str] = METHODS,
             params: ForecastParams = ForecastParams(), test_periods: int = DEFAULT_TEST_PERIODS,
             coverages_pct: Sequence[float] = COVERAGES_PCT, origins: Optional[Sequence[float]] = None,
             progress: Optional[ProgressFn] = None) -> Backtest:
    """Rolling-origin back-test of ``methods`` over the last ``test_periods`` periods of ``data``.

    Each origin's forecast uses only incidents strictly before it (:meth:`ForecastData.before`).
    ``origins`` overrides the automatic test periods (starts, days since 1970-01-01).
    """
    length = check_period(period)
    for m in methods:
        if m not in METHODS:
            raise BeatwiseError(f"unknown method {m!r}: choose from {', '.join(METHODS)}")
    if origins is None:
        origins = backtest_origins(data, period, test_periods, 7.0 * params.window_weeks)
    origins = tuple(float(o) for o in origins)
    coverages = tuple(float(c) for c in coverages_pct)
    study = data.study_flat
    n_study = len(study)
    ks = np.array([cells_for(c, n_study) for c in coverages])
    curve_ks = np.unique([cells_for(c, n_study) for c in CURVE_PCT])
    k_max = int(max(ks.max(), curve_ks.max()))
    n_m, n_o = len(methods), len(origins)
    caught = np.zeros((n_m, n_o, len(ks)), dtype=np.int64)
    before = np.zeros_like(caught)
    curve = np.zeros((n_m, n_o, len(curve_ks)), dtype=np.int64)
    best = np.zeros((n_o, len(ks)), dtype=np.int64)
    incidents = np.zeros(n_o, dtype=np.int64)
    previous = np.zeros(n_o, dtype=np.int64)
    fits = []
    rng = np.random.default_rng(TIE_SEED)
    steps = n_o * n_m
    for o, origin in enumerate(origins):
        actual = data.counts_between(origin, origin + length)[study]
        prior = data.counts_between(origin - length, origin)[study]
        incidents[o], previous[o] = int(actual.sum()), int(prior.sum())
        top_actual = np.cumsum(np.sort(actual)[::-1])
        best[o] = top_actual[ks - 1]
        for m, method in enumerate(methods):
            report(progress, (o * n_m + m) / steps, f"back-test {method}: {period_label(origin, period)}")
            risk, fit = predict(method, data, origin, period, params)
            if method == "etas":
                fits.append(fit.summary())
            order = ranking(risk[study], k_max, rng)
            cum_actual = np.cumsum(actual[order])
            cum_prior = np.cumsum(prior[order])
            caught[m, o] = cum_actual[ks - 1]
            before[m, o] = cum_prior[ks - 1]
            curve[m, o] = cum_actual[curve_ks - 1]
    report(progress, 1.0, "back-test done")
    return Backtest(tuple(methods), period, origins, tuple(period_label(o, period) for o in origins), coverages, ks,
                    n_study, incidents, previous, caught, before, best, curve_ks, curve, params, tuple(fits))
