"""Mann-Kendall on many series at once against scipy.stats.kendalltau, ties included."""
import numpy as np
import pytest
from scipy import stats

from analysis.spacetime.trend import mann_kendall


def test_mann_kendall__tau_and_p_as_scipy_kendalltau():
    rng = np.random.default_rng(0)
    series = np.vstack([rng.normal(size=(40, 24)), np.round(rng.normal(size=(20, 24)), 0),   # many ties
                        np.arange(24)[None] + rng.normal(0, 3, (10, 24))])                     # trends
    s, tau, p = mann_kendall(series)
    for row, t_, p_ in zip(series, tau, p):
        ref = stats.kendalltau(np.arange(len(row)), row, method="asymptotic")
        assert t_ == pytest.approx(ref.statistic, abs=1e-12)
        assert p_ == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)


def test_mann_kendall__s_by_hand_and_flat_series():
    s, tau, p = mann_kendall(np.array([[1.0, 3.0, 2.0, 4.0], [5.0, 5.0, 5.0, 5.0]]))
    # pairs (1,3)+ (1,2)+ (1,4)+ (3,2)- (3,4)+ (2,4)+ : S = 4
    assert s[0] == 4 and tau[0] == pytest.approx(4 / 6)
    assert np.isnan(tau[1]) and np.isnan(p[1])
