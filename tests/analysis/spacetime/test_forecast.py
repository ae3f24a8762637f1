"""Forecast methods against independent implementations on small grids; no event from the future is used."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.grid import GridSpec
from analysis.hotspots.study_area import StudyArea
from analysis.progress import BeatwiseError
from analysis.spacetime.forecast import ForecastParams, forecast_data, predict, prospective_stencil
from analysis.spacetime.periods import period_ceil, period_floor, period_label

ORIGIN = 18000.0 + (4 - 18000) % 7          # a Monday 00:00 (days since 1970-01-01)


def small_case(n=300, seed=5):
    rng = np.random.default_rng(seed)
    grid = GridSpec(x0=0.0, y0=0.0, nx=30, ny=25, cell_m=100.0, crs="EPSG:27700")
    mask = np.ones(grid.shape, dtype=bool)
    mask[:3, :5] = False                      # a corner outside the study area
    study = StudyArea(grid, mask, "boundary", "test square")
    xy = np.column_stack([rng.uniform(0, 3000, n), rng.uniform(0, 2500, n)])
    xy[: n // 3] = rng.normal([1500, 1200], 150, (n // 3, 2))
    t = ORIGIN - rng.uniform(0, 70, n)
    return grid, study, xy, t, forecast_data(xy, t, grid, study)


def test_periods__week_day_shift_boundaries():
    monday = ORIGIN
    assert period_label(monday, "week").startswith("week of ") and np.datetime64(int(monday), "D").astype(object).weekday() == 0
    assert period_floor(monday + 3.2, "week") == pytest.approx(monday)
    assert period_floor(monday + 0.3, "shift") == pytest.approx(monday + 0.25)   # 07:12 is in the 06:00 early
    assert period_floor(monday + 0.1, "shift") == pytest.approx(monday - 1 / 12)  # 02:24 in the 22:00 night
    assert period_ceil(monday, "week") == pytest.approx(monday)
    assert "night (22:00-06:00)" in period_label(monday - 1 / 12, "shift")
    with pytest.raises(BeatwiseError, match="--period"):
        period_floor(monday, "month")


def test_naive__counts_of_the_last_window_scaled_to_a_week():
    grid, study, xy, t, data = small_case()
    risk, _ = predict("naive", data, ORIGIN, "week", ForecastParams(window_weeks=4))
    recent = (t >= ORIGIN - 28) & study.mask.ravel()[grid.flat_index(xy)]
    counts = np.bincount(grid.flat_index(xy[recent]), minlength=grid.n_cells).astype(float)
    inside = study.mask.ravel()
    assert np.isnan(risk[~inside]).all()
    np.testing.assert_allclose(risk[inside], counts[inside] / 4.0, rtol=1e-12)


def test_prospective__weights_by_hand_loop():
    """open_cp's grid ProspectiveHotSpot: sum over events of 1/((1+d)(1+t)), d Chebyshev cells < 8,
    t whole weeks < 8, computed cell by cell."""
    grid, study, xy, t, data = small_case(n=120)
    risk, _ = predict("prospective", data, ORIGIN, "week")
    rows, cols = grid.cell_index(xy)
    keep = study.mask[rows, cols]
    age = np.floor((ORIGIN - t[keep]) / 7.0)
    er, ec = rows[keep], cols[keep]
    ref = np.zeros(grid.shape)
    for i in range(grid.ny):
        for j in range(grid.nx):
            d = np.maximum(np.abs(er - i), np.abs(ec - j))
            w = np.where((d < 8) & (age < 8), 1.0 / ((1 + d) * (1 + age)), 0.0)
            ref[i, j] = w.sum()
    inside = study.mask.ravel()
    ref = ref.ravel()[inside]
    got = risk[inside]
    np.testing.assert_allclose(got / got.sum(), ref / ref.sum(), rtol=1e-9, atol=1e-15)
    assert prospective_stencil(8).shape == (15, 15) and prospective_stencil(8)[7, 7] == 1.0


def test_kde__quartic_sum_at_cell_centres():
    """Incidents binned to their cell centres, then a direct quartic sum (1 - d^2/h^2)^2 at every centre."""
    grid, study, xy, t, data = small_case(n=150)
    h = 350.0
    risk, _ = predict("kde", data, ORIGIN, "week", ForecastParams(bandwidth_m=h))
    flat = grid.flat_index(xy)
    recent = (t >= ORIGIN - 28) & study.mask.ravel()[flat]
    rows, cols = grid.cell_index(xy[recent])
    xs, ys = grid.x0 + (cols + 0.5) * grid.cell_m, grid.y0 + (rows + 0.5) * grid.cell_m
    gx, gy = np.meshgrid(grid.x_centres(), grid.y_centres())
    d2 = (gx.ravel()[:, None] - xs[None]) ** 2 + (gy.ravel()[:, None] - ys[None]) ** 2
    ref = np.where(d2 < h ** 2, (1 - d2 / h ** 2) ** 2, 0.0).sum(axis=1)
    inside = study.mask.ravel()
    np.testing.assert_allclose(risk[inside] / risk[inside].sum(), ref[inside] / ref[inside].sum(),
                               rtol=1e-9, atol=1e-15)
    assert (risk[inside] == 0).sum() == (ref[inside] == 0).sum()


@pytest.mark.parametrize("method", ["naive", "kde", "prospective", "etas"])
def test_forecast__planted_future_event_changes_nothing(method):
    grid, study, xy, t, data = small_case()
    before, _ = predict(method, data, ORIGIN, "week")
    xy2 = np.vstack([xy, [[1500.0, 1200.0], [1510.0, 1190.0]]])
    t2 = np.append(t, [ORIGIN, ORIGIN + 0.5])          # at and after the origin
    after, _ = predict(method, forecast_data(xy2, t2, grid, study), ORIGIN, "week")
    np.testing.assert_array_equal(np.isnan(before), np.isnan(after))
    np.testing.assert_allclose(np.nan_to_num(after), np.nan_to_num(before), rtol=0, atol=0)
    # and an event just before the origin does change it
    t3 = np.append(t, [ORIGIN - 0.01, ORIGIN - 0.02])
    moved, _ = predict(method, forecast_data(xy2, t3, grid, study), ORIGIN, "week")
    assert not np.allclose(np.nan_to_num(moved), np.nan_to_num(before))


def test_forecast__scaled_to_expected_incidents():
    grid, study, xy, t, data = small_case()
    inside_recent = ((t >= ORIGIN - 28) & study.mask.ravel()[grid.flat_index(xy)]).sum()
    for method in ("naive", "kde", "prospective"):
        risk, _ = predict(method, data, ORIGIN, "day")
        assert np.nansum(risk) == pytest.approx(inside_recent / 28.0)


def test_params__bad_values_are_messages():
    with pytest.raises(BeatwiseError, match="--window-weeks"):
        ForecastParams(window_weeks=0)
    with pytest.raises(BeatwiseError, match="--bandwidth-m"):
        ForecastParams(bandwidth_m=-5.0)
    _, _, _, _, data = small_case()
    with pytest.raises(BeatwiseError, match="--method"):
        predict("magic", data, ORIGIN, "week")


def test_etas__training_window_longer_than_the_data_is_not_read_as_triggering():
    """Regression: a 365-day window over 60 days of uniform incidents took the empty 305 days as
    part of the background's time, so the incidents looked clustered (theta 0.07 on null data)."""
    rng = np.random.default_rng(9)
    grid = GridSpec(x0=0.0, y0=0.0, nx=20, ny=20, cell_m=150.0, crs="EPSG:27700")
    study = StudyArea(grid, np.ones(grid.shape, dtype=bool), "boundary", "square")
    xy = rng.uniform(0, 3000, (4000, 2))
    t = ORIGIN - rng.uniform(0, 60, 4000)
    risk, fit = predict("etas", forecast_data(xy, t, grid, study), ORIGIN, "week")
    assert fit.window_days[0] == np.floor(t.min())
    assert fit.theta < 0.02
    assert np.nansum(risk) == pytest.approx(4000 / (ORIGIN - np.floor(t.min())) * 7, rel=0.05)
