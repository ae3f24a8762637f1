"""Next period's forecast from an incidents frame: back-test every method, pick one, forecast, box.

The one sequence ``beatwise forecast``, the app's Forecast panel and the briefing's "Next week's
boxes" page share:

1. out-of-area incidents set aside (:func:`analysis.hotspots.outliers.without_outliers`);
2. each incident's time (:func:`analysis.spacetime.periods.incident_days`), the common grid
   (``cell_m``, default 150 m) and the study area (a boundary, else the cells within reach);
3. the rolling-origin back-test of every method (:mod:`analysis.spacetime.evaluation`);
4. the method: the one asked for, else the best mean PAI at ``coverage_pct`` in the back-test,
   the choice stated in words;
5. its forecast for the first whole period after the data and the boxes covering
   ``coverage_pct`` of the study area (:mod:`analysis.spacetime.boxes`), with the back-tested hit
   rate of that method at that coverage as the expected share caught.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from analysis.hotspots.grid import GridSpec, points_xy
from analysis.hotspots.study_area import StudyArea
from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from analysis.spacetime.boxes import ForecastBox, expected_hit_text, forecast_boxes
from analysis.spacetime.evaluation import COVERAGES_PCT, DEFAULT_TEST_PERIODS, Backtest, backtest
from analysis.spacetime.forecast import (DEFAULT_CELL_M, METHOD_NAMES, METHODS, ForecastData, ForecastParams,
                                         forecast_data, predict)
from analysis.spacetime.periods import check_period, incident_days, period_ceil, period_label

DEFAULT_COVERAGE_PCT = 2.0


@dataclass(frozen=True)
class ForecastResult:
    """A forecast for the next period with the back-test it was chosen by.

    Attributes
    ----------
    method : str
    chosen_by : str
        Why this method, in words.
    period : str
    origin_days : float
        Start of the forecast period (days since 1970-01-01).
    label : str
    risk : ndarray (ny, nx)
        Expected incidents per cell over the period; NaN outside the study area.
    boxes : list of ForecastBox
    coverage_pct : float
    backtest : Backtest
    data : ForecastData
    params : ForecastParams
    n_without_time : int
        Incidents whose time could not be placed in a period (left out, counted).
    outliers : object
        The out-of-area incidents found (:class:`analysis.hotspots.outliers.Outliers`).
    """

    method: str
    chosen_by: str
    period: str
    origin_days: float
    label: str
    risk: np.ndarray = field(repr=False)
    boxes: tuple[ForecastBox, ...]
    coverage_pct: float
    backtest: Backtest = field(repr=False)
    data: ForecastData = field(repr=False)
    params: ForecastParams = ForecastParams()
    n_without_time: int = 0
    outliers: object = field(default=None, repr=False)

    @property
    def grid(self) -> GridSpec:
        return self.data.grid

    @property
    def study(self) -> StudyArea:
        return self.data.study

    @property
    def expected_hit(self) -> dict:
        """The chosen method's back-tested hit rate at the boxes' coverage: ``{mean, sd, min, max, n}``."""
        cov = self.coverage_pct
        if cov not in self.backtest.coverages_pct or self.method not in self.backtest.methods:
            return {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
        return self.backtest.stats(self.method, "hit_rate", cov)

    def expected_hit_text(self) -> str:
        return expected_hit_text(self.expected_hit, self.coverage_pct, len(self.backtest.origins))

    def summary(self) -> dict:
        """The JSON of ``beatwise forecast``: ``method, period, cell_m, backtest, boxes`` and the rest."""
        bt = self.backtest
        random = {f"{c:g}": float(r) for c, r in zip(bt.coverages_pct, bt.random_hit_rate)}
        return {"method": self.method, "method_name": METHOD_NAMES[self.method], "chosen_by": self.chosen_by,
                "period": self.period, "forecast_period": self.label, "origin": self.origin_days,
                "cell_m": self.grid.cell_m, "grid": self.grid.describe(), "study_area": self.study.summary(),
                "coverage_pct": self.coverage_pct, "params": self.params.to_dict(),
                "n_incidents": self.data.n_events, "n_without_time": self.n_without_time,
                "n_outside_study_area": self.data.n_outside,
                "expected_total": float(np.nansum(self.risk)),
                "expected_hit_rate": self.expected_hit, "expected_hit_text": self.expected_hit_text(),
                "backtest": bt.summary(), "backtest_periods": list(bt.labels),
                "random_hit_rate": random, "etas_fits": list(bt.etas[-1:]),
                "boxes": [b.to_dict() for b in self.boxes]}


def choose_method(bt: Backtest, method: Optional[str], coverage_pct: float) -> tuple[str, str]:
    """``(method, reason)``: the one asked for, else the back-test's best mean PAI at ``coverage_pct``."""
    if method:
        if method not in METHODS:
            raise BeatwiseError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
        return method, "chosen by the user"
    cov = coverage_pct if coverage_pct in bt.coverages_pct else 2.0
    best = bt.best_method(cov)
    pai = bt.stats(best, "pai", cov)["mean"]
    return best, (f"the best mean PAI at {cov:g}% of the area over the last {len(bt.origins)} {bt.period}s "
                  f"({pai:.2f})" if pai is not None else f"the first method ({best}): no test period had incidents")


def forecast_incidents(incidents, *, period: str = "week", method: Optional[str] = None,
                       cell_m: float = DEFAULT_CELL_M, test_periods: int = DEFAULT_TEST_PERIODS,
                       coverage_pct: float = DEFAULT_COVERAGE_PCT, params: ForecastParams = ForecastParams(),
                       methods: Sequence[str] = METHODS, boundary_path=None, keep_outliers: bool = False,
                       progress: Optional[ProgressFn] = None) -> ForecastResult:
    """Back-test, choose, forecast and box (the module's steps) for an incidents GeoDataFrame.

    Raises
    ------
    BeatwiseError
        Month-only data, too little history, a bad parameter.
    """
    from analysis.hotspots.outliers import without_outliers
    from analysis.hotspots.study_area import read_study_area, study_area_for

    check_period(period)
    if not (cell_m > 0 and np.isfinite(cell_m)):
        raise BeatwiseError(f"--cell-m must be a positive number of metres, got {cell_m!r}")
    if not 0 < coverage_pct <= 100:
        raise BeatwiseError(f"--coverage must be a percentage above 0 and at most 100, got {coverage_pct!r}")
    if len(incidents) == 0:
        raise BeatwiseError("no incidents to forecast from: widen the filters or check the input")
    if method is not None and method not in METHODS:
        raise BeatwiseError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    methods = tuple(methods) if method is None or method in methods else tuple(methods) + (method,)
    _, crs = points_xy(incidents.iloc[:0])
    boundary = read_study_area(boundary_path, crs) if boundary_path else None
    incidents, outliers = without_outliers(incidents, keep=keep_outliers, boundary=boundary, source=boundary_path)
    keep, t_days = incident_days(incidents, period)
    xy, _ = points_xy(incidents)
    xy = xy[keep]
    report(progress, 0.02, "study area")
    band_m = max(2.0 * cell_m, params.bandwidth_for(cell_m))
    grid = GridSpec.for_points(xy, cell_m=cell_m, margin_m=band_m, crs=crs)
    study = study_area_for(xy, grid, band_m=band_m, boundary_path=boundary_path)
    data = forecast_data(xy, t_days, grid, study, np.flatnonzero(keep))
    coverages = tuple(sorted(set(COVERAGES_PCT) | {float(coverage_pct)}))
    bt = backtest(data, period, methods=methods, params=params, test_periods=test_periods,
                  coverages_pct=coverages, progress=scaled(progress, 0.05, 0.9))
    chosen, reason = choose_method(bt, method, float(coverage_pct))
    origin = period_ceil(float(np.floor(data.t_days[-1]) + 1.0), period)
    report(progress, 0.92, f"forecast: {METHOD_NAMES[chosen]}")
    risk, _ = predict(chosen, data, origin, period, params)
    locations = incidents["location"] if "location" in incidents.columns else None
    boxes = forecast_boxes(risk, data, float(coverage_pct), locations)
    report(progress, 1.0, "forecast done")
    return ForecastResult(chosen, reason, period, origin, period_label(origin, period), risk.reshape(grid.shape),
                          tuple(boxes), float(coverage_pct), bt, data, params, int((~keep).sum()), outliers)

