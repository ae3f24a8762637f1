"""Where next period: four forecasting methods on the common grid, each giving expected incidents per cell.

Every method sees only the incidents strictly before the forecast's origin ``T`` and scores each
cell of the study area for the period ``[T, T + P)``:

``naive``
    Counts per cell over the last ``window_weeks`` (default 4): last month's hot cells are next
    week's.
``kde``
    Retrospective hotspotting: the same counts smoothed by a quartic kernel of ``bandwidth_m``
    (default 2 cells: 300 m at 150 m cells), the usual KDE hotspot map (Chainey, Tompson & Uhlig
    2008, *The utility of hotspot mapping for predicting spatial patterns of crime*).
``prospective``
    Bowers, Johnson & Pease (2004), *Prospective hot-spotting*, Brit. J. Criminol. 44, 641-658:
    each incident adds ``1 / ((1 + d) (1 + t))`` to a cell ``d`` cells away (the larger of the row
    and column offsets: diagonals count as 1) where ``t`` is its age in whole weeks, for
    ``d < space_cells`` (8) and ``t < time_weeks`` (8): open_cp's ``ProspectiveHotSpot`` with
    ``ClassicWeight`` and ``DistanceDiagonalsSame``, its defaults. Computed as one FFT convolution
    of the age-weighted counts with the ``1/(1+d)`` stencil.
``etas``
    The self-exciting point process of Mohler et al. (2015) fitted by EM on the last
    ``train_days`` (default 365): :mod:`analysis.spacetime.etas`.

Scale: ``etas`` is an expected count. The other three are scores, so each is scaled to expected
incidents by sharing out the window's mean count per period in proportion to the score (the
ranking, which is all the back-test scores, is unchanged). Cells outside the study area are NaN.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import _ZERO_BELOW, fft_convolve, kernel_stencil
from analysis.hotspots.study_area import StudyArea
from analysis.progress import BeatwiseError
from analysis.spacetime.etas import DEFAULT_TRAIN_DAYS, EtasFit, etas_expected, fit_etas
from analysis.spacetime.periods import check_period

METHODS = ("naive", "kde", "prospective", "etas")
METHOD_NAMES = {"naive": "Naive (last 4 weeks' counts)", "kde": "Retrospective KDE",
                "prospective": "Prospective hotspotting (Bowers et al. 2004)",
                "etas": "Self-exciting (ETAS, Mohler et al. 2015)"}
DEFAULT_CELL_M = 150.0
DEFAULT_WINDOW_WEEKS = 4
DEFAULT_BANDWIDTH_CELLS = 2.0


@dataclass(frozen=True)
class ForecastParams:
    """The parameters of every method (each method reads its own).

    Attributes
    ----------
    window_weeks : int
        ``naive`` and ``kde``: the weeks of past incidents counted.
    bandwidth_m : float or None
        ``kde``: quartic kernel radius; None = ``DEFAULT_BANDWIDTH_CELLS`` cells.
    space_cells, time_weeks : int
        ``prospective``: the cut-offs (weights are 0 at ``d >= space_cells`` or ``t >= time_weeks``).
    train_days : float
        ``etas``: length of the training window in days.
    """

    window_weeks: int = DEFAULT_WINDOW_WEEKS
    bandwidth_m: Optional[float] = None
    space_cells: int = 8
    time_weeks: int = 8
    train_days: float = DEFAULT_TRAIN_DAYS

    def __post_init__(self) -> None:
        if not (isinstance(self.window_weeks, (int, np.integer)) and self.window_weeks >= 1):
            raise BeatwiseError(f"--window-weeks must be a whole number of weeks, 1 or more; got {self.window_weeks!r}")
        if self.bandwidth_m is not None and not (self.bandwidth_m > 0 and math.isfinite(self.bandwidth_m)):
            raise BeatwiseError(f"--bandwidth-m must be a positive number of metres, got {self.bandwidth_m!r}")
        if self.space_cells < 1 or self.time_weeks < 1:
            raise BeatwiseError("the prospective cut-offs must be at least 1 cell and 1 week")
        if not self.train_days >= 7:
            raise BeatwiseError(f"--train-days must be at least 7, got {self.train_days!r}")

    def bandwidth_for(self, cell_m: float) -> float:
        return float(self.bandwidth_m) if self.bandwidth_m else DEFAULT_BANDWIDTH_CELLS * cell_m

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ForecastData:
    """The incidents a forecast works on: their grid cells and times, sorted by time.

    Attributes
    ----------
    grid : GridSpec
    study : StudyArea
        Only its cells are forecast and scored.
    cell : ndarray of int64
        Flat cell index (``row * nx + col``) of each incident inside the study area.
    t_days : ndarray of float
        Their times, days since 1970-01-01 local (:func:`analysis.spacetime.periods.incident_days`),
        ascending.
    source_index : ndarray of int64
        Each one's row in the incidents frame it came from (for street names).
    n_outside : int
        Incidents with a time that fall outside the study area (not forecast, not scored).
    """

    grid: GridSpec
    study: StudyArea
    cell: np.ndarray
    t_days: np.ndarray
    source_index: np.ndarray
    n_outside: int = 0

    @property
    def n_events(self) -> int:
        return len(self.t_days)

    @property
    def start_days(self) -> float:
        """Start of the data: midnight before the first incident (``-inf`` with no incidents)."""
        return float(np.floor(self.t_days[0])) if len(self.t_days) else -np.inf

    @property
    def study_flat(self) -> np.ndarray:
        """Flat indices of the study area's cells."""
        return np.flatnonzero(self.study.mask.ravel())

    def before(self, origin_days: float, since_days: float = -np.inf) -> slice:
        """The slice of incidents with ``since <= t < origin`` (times are sorted)."""
        lo = 0 if not np.isfinite(since_days) else int(np.searchsorted(self.t_days, since_days, "left"))
        return slice(lo, int(np.searchsorted(self.t_days, origin_days, "left")))

    def counts_between(self, start_days: float, end_days: float) -> np.ndarray:
        """Incidents per flat cell with ``start <= t < end``."""
        sl = self.before(end_days, start_days)
        return np.bincount(self.cell[sl], minlength=self.grid.n_cells).astype(float)


def forecast_data(xy: np.ndarray, t_days: np.ndarray, grid: GridSpec, study: StudyArea,
                  source_index: Optional[np.ndarray] = None) -> ForecastData:
    """:class:`ForecastData` from incident coordinates and times (cells outside the study area dropped,
    and counted)."""
    xy = np.asarray(xy, dtype=float)
    t = np.asarray(t_days, dtype=float)
    if len(xy) != len(t):
        raise ValueError("xy and t_days differ in length")
    if study.grid != grid:
        study = study.on(grid)
    idx = np.arange(len(t)) if source_index is None else np.asarray(source_index)
    flat = grid.flat_index(xy)
    inside = flat >= 0
    inside[inside] = study.mask.ravel()[flat[inside]]
    order = np.argsort(t[inside], kind="stable")
    return ForecastData(grid, study, flat[inside][order].astype(np.int64), t[inside][order],
                        idx[inside][order].astype(np.int64), int((~inside).sum()))


def _scaled(score: np.ndarray, data: ForecastData, expected_total: float) -> np.ndarray:
    """``score`` shared out to ``expected_total`` incidents over the study area; NaN outside it."""
    out = np.full(data.grid.n_cells, np.nan)
    study = data.study_flat
    s = np.clip(score[study], 0.0, None)
    total = s.sum()
    out[study] = s * (expected_total / total) if total > 0 else 0.0
    return out


def prospective_stencil(space_cells: int) -> np.ndarray:
    """``1 / (1 + d)`` for the Chebyshev distance ``d < space_cells``, shape ``(2s-1, 2s-1)``."""
    r = space_cells - 1
    off = np.arange(-r, r + 1)
    d = np.maximum(np.abs(off)[:, None], np.abs(off)[None, :])
    return 1.0 / (1.0 + d)


def _smooth(values: np.ndarray, grid: GridSpec, stencil: np.ndarray) -> np.ndarray:
    """``values`` convolved with ``stencil``; FFT round-off (below 1e-10 of the maximum) set to 0, so
    cells no incident reaches tie at 0 as they should."""
    out = fft_convolve(values.reshape(grid.shape), stencil).ravel()
    out[out < _ZERO_BELOW * max(float(out.max(initial=0.0)), 0.0)] = 0.0
    return out


def predict(method: str, data: ForecastData, origin_days: float, period: str, params: ForecastParams = ForecastParams()
            ) -> tuple[np.ndarray, Optional[EtasFit]]:
    """Expected incidents per flat cell for ``[origin, origin + period)`` by ``method``.

    Returns ``(risk, fit)``: ``risk`` of length ``grid.n_cells`` (NaN outside the study area) and,
    for ``etas``, the fitted model.
    """
    period_days = check_period(period)
    if method not in METHODS:
        raise BeatwiseError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    grid = data.grid
    window_days = 7.0 * params.window_weeks
    if method in ("naive", "kde"):
        counts = data.counts_between(origin_days - window_days, origin_days)
        expected = counts.sum() * period_days / window_days
        if method == "naive":
            return _scaled(counts, data, expected), None
        stencil = kernel_stencil("quartic", params.bandwidth_for(grid.cell_m), grid.cell_m)
        return _scaled(_smooth(counts, grid, stencil), data, expected), None
    if method == "prospective":
        horizon = 7.0 * params.time_weeks
        sl = data.before(origin_days, origin_days - horizon)
        age_weeks = np.floor((origin_days - data.t_days[sl]) / 7.0)
        keep = age_weeks < params.time_weeks
        weights = np.bincount(data.cell[sl][keep], weights=1.0 / (1.0 + age_weeks[keep]), minlength=grid.n_cells)
        score = _smooth(weights, grid, prospective_stencil(params.space_cells))
        n_recent = data.before(origin_days, origin_days - window_days)
        expected = (n_recent.stop - n_recent.start) * period_days / window_days
        return _scaled(score, data, expected), None
    # the window starts no earlier than the data: empty days before the first incident would lower
    # the background and make the incidents look clustered in time (triggered)
    start = max(origin_days - params.train_days, data.start_days)
    sl = data.before(origin_days, start)
    fit = fit_etas(data.cell[sl], data.t_days[sl], grid.n_cells, (start, origin_days))
    risk = etas_expected(fit, data.cell[sl], data.t_days[sl], origin_days, period_days)
    out = np.full(grid.n_cells, np.nan)
    study = data.study_flat
    out[study] = risk[study]
    return out, fit
