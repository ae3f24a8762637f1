"""Back-test scores by hand on a tiny case, random ties, and the Chicago sample against a random forecast."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.grid import GridSpec
from analysis.hotspots.study_area import StudyArea
from analysis.progress import BeatwiseError
from analysis.spacetime.evaluation import backtest, cells_for, ranking
from analysis.spacetime.forecast import forecast_data

MONDAY = 18004.0


def tiny():
    """4 cells in a row (100 m); two weeks of history, then a test week."""
    grid = GridSpec(x0=0.0, y0=0.0, nx=4, ny=1, cell_m=100.0, crs="EPSG:27700")
    study = StudyArea(grid, np.ones(grid.shape, dtype=bool), "boundary", "row")
    # history (4 weeks before the test week): cell 0 x3, cell 1 x1; the week before the test: cell 0 x1, cell 2 x2
    xs = [50, 50, 50, 150, 50, 250, 250]
    ts = [MONDAY - 20, MONDAY - 18, MONDAY - 15, MONDAY - 10, MONDAY - 3, MONDAY - 2, MONDAY - 1]
    # the test week: cell 0 x1, cell 2 x3, cell 3 x1
    xs += [50, 250, 250, 250, 350]
    ts += [MONDAY + 1, MONDAY + 2, MONDAY + 3, MONDAY + 4, MONDAY + 5]
    xy = np.column_stack([np.array(xs, float), np.full(len(xs), 50.0)])
    return forecast_data(xy, np.array(ts), grid, study)


def test_scores__by_hand():
    data = tiny()
    bt = backtest(data, "week", methods=("naive",), origins=[MONDAY], coverages_pct=(25.0, 50.0))
    # naive counts: cell 0 = 4, cell 2 = 2, cell 1 = 1, cell 3 = 0 -> top 1 = {0}, top 2 = {0, 2}
    assert list(bt.ks) == [1, 2]
    assert bt.incidents[0] == 5 and bt.previous[0] == 3
    assert list(bt.caught[0, 0]) == [1, 4]
    assert list(bt.best[0]) == [3, 4]                      # the week's own busiest cells: 2 (3), then 0 or 3 (1)
    np.testing.assert_allclose(bt.hit_rate[0, 0], [1 / 5, 4 / 5])
    np.testing.assert_allclose(bt.pai[0, 0], [(1 / 5) / (1 / 4), (4 / 5) / (2 / 4)])
    np.testing.assert_allclose(bt.pei[0, 0], [1 / 3, 1.0])
    # RRI: chosen cells' incidents this week over last week, against the totals' ratio 5/3
    assert list(bt.caught_before[0, 0]) == [1, 3]
    np.testing.assert_allclose(bt.rri[0, 0], [(1 / 1) / (5 / 3), (4 / 3) / (5 / 3)])
    assert bt.stats("naive", "hit_rate", 50.0)["mean"] == pytest.approx(0.8)
    table = bt.table()
    assert len(table) == 2 and set(table.columns) >= {"hit_rate", "pai", "pei", "rri", "caught"}


def test_ranking__ties_in_random_order_nan_last():
    rng = np.random.default_rng(0)
    risk = np.array([np.nan, 1.0, 1.0, 1.0, 3.0, 0.0])
    seen = set()
    for _ in range(50):
        order = ranking(risk, 2, rng)
        assert order[0] == 4 and order[1] in (1, 2, 3)
        seen.add(int(order[1]))
    assert seen == {1, 2, 3}
    assert ranking(risk, 6, rng)[-1] == 0


def test_cells_for__rounding_and_bounds():
    assert cells_for(2.0, 1000) == 20 and cells_for(0.5, 10) == 1 and cells_for(100, 7) == 7
    with pytest.raises(BeatwiseError, match="coverage"):
        cells_for(0, 100)


def test_backtest__too_little_history_is_a_message():
    data = tiny()
    with pytest.raises(BeatwiseError, match="too little history"):
        backtest(data, "week", test_periods=1)


def test_backtest__chicago_every_method_beats_random_at_5_percent():
    from analysis.hotspots.grid import points_xy
    from analysis.hotspots.study_area import study_area_for
    from analysis.ingest.incidents import read_incidents
    from analysis.spacetime.periods import incident_days
    from tests.conftest import shared_path

    res = read_incidents([shared_path("timed", "chicago_crimes_sample_2017_2019.csv")])
    keep, t = incident_days(res.incidents, "week")
    xy, crs = points_xy(res.incidents)
    xy = xy[keep]
    grid = GridSpec.for_points(xy, cell_m=150.0, margin_m=300.0, crs=crs)
    data = forecast_data(xy, t, grid, study_area_for(xy, grid, band_m=300.0))
    bt = backtest(data, "week", test_periods=12)
    assert len(bt.origins) == 12 and bt.incidents.min() > 50
    # a uniform random forecast, simulated: k random study cells per test week
    rng = np.random.default_rng(11)
    study = data.study_flat
    k = int(bt.ks[list(bt.coverages_pct).index(5.0)])
    random_hits = []
    for origin in bt.origins:
        actual = data.counts_between(origin, origin + 7.0)[study]
        random_hits += [actual[rng.choice(len(study), k, replace=False)].sum() / actual.sum() for _ in range(20)]
    random_mean = float(np.mean(random_hits))
    assert random_mean == pytest.approx(k / len(study), abs=0.01)
    for method in bt.methods:
        hit = bt.stats(method, "hit_rate", 5.0)["mean"]
        assert hit > 2 * random_mean, (method, hit, random_mean)
        assert bt.stats(method, "pai", 5.0)["mean"] > 1.5
        assert 0 < bt.stats(method, "pei", 5.0)["mean"] <= 1


def test_backtest__uniform_random_incidents_no_method_beats_chance():
    """Null data: incidents uniform in space and time over 20 x 20 cells; every method's mean PAI
    at 5% and 10% stays near 1 (chance), and ETAS finds no triggering."""
    rng = np.random.default_rng(8)
    grid = GridSpec(x0=0.0, y0=0.0, nx=20, ny=20, cell_m=150.0, crs="EPSG:27700")
    study = StudyArea(grid, np.ones(grid.shape, dtype=bool), "boundary", "square")
    n = 12_000
    xy = rng.uniform(0, 3000, (n, 2))
    t = MONDAY - rng.uniform(0, 420, n)
    data = forecast_data(xy, t, grid, study)
    bt = backtest(data, "week", test_periods=12, coverages_pct=(5.0, 10.0))
    for method in bt.methods:
        for cov in (5.0, 10.0):
            pai = bt.stats(method, "pai", cov)["mean"]
            assert 0.7 < pai < 1.3, (method, cov, pai)
    assert max(f["theta"] for f in bt.etas) < 0.05
