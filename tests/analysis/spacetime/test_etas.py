"""Grid ETAS: the O(N) history sums against pairs, and EM recovering simulated parameters."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.spacetime.etas import _collapse, _history, etas_expected, fit_etas


def simulate_hawkes(mu, theta, omega, days, rng):
    """Per-cell Hawkes process by branching: background Poisson, each event has Poisson(theta)
    children at exponential lags (an implementation independent of the EM code)."""
    cells, times = [], []
    for n, m in enumerate(mu):
        gen = list(rng.uniform(0, days, rng.poisson(m * days)))
        every = list(gen)
        while gen:
            children = []
            for t0 in gen:
                lags = rng.exponential(1 / omega, rng.poisson(theta))
                children += [t for t in t0 + lags if t < days]
            every += children
            gen = children
        cells += [n] * len(every)
        times += every
    return np.array(cells, dtype=np.int64), np.array(times)


def test_history__equals_brute_force_pair_sums():
    rng = np.random.default_rng(3)
    cell = rng.integers(0, 15, 400)
    t = np.round(rng.uniform(0, 300, 400), 1)          # rounded: ties within a cell happen
    rc, rt, tau, counts, group = _collapse(cell, t)
    assert counts.sum() == 400
    a, b = _history(tau, counts, group, 0.15)
    for k in range(len(rc)):
        earlier = (rc == rc[k]) & (rt < rt[k])
        lag = rt[k] - rt[earlier]
        assert a[k] == pytest.approx(np.sum(counts[earlier] * np.exp(-0.15 * lag)), rel=1e-9, abs=1e-12)
        assert b[k] == pytest.approx(np.sum(counts[earlier] * lag * np.exp(-0.15 * lag)), rel=1e-9, abs=1e-12)


def test_fit_etas__recovers_simulated_parameters():
    rng = np.random.default_rng(1)
    mu = rng.gamma(2.0, 0.02, 200)
    cell, t = simulate_hawkes(mu, 0.4, 0.2, 2000.0, rng)
    fit = fit_etas(cell, t, 200, (0.0, 2000.0))
    assert fit.converged
    assert fit.theta == pytest.approx(0.4, abs=0.05)
    assert fit.omega_per_day == pytest.approx(0.2, rel=0.2)
    assert fit.mu_per_day.sum() == pytest.approx(mu.sum(), rel=0.1)
    assert np.corrcoef(fit.mu_per_day, mu)[0, 1] > 0.8


def test_fit_etas__no_triggering_in_poisson_data():
    rng = np.random.default_rng(2)
    cell = rng.integers(0, 100, 5000)
    t = rng.uniform(0, 1000, 5000)
    fit = fit_etas(cell, t, 100, (0.0, 1000.0))
    assert fit.theta < 0.05
    assert fit.mu_per_day.sum() == pytest.approx(5.0, rel=0.1)


def test_etas_expected__by_hand():
    from analysis.spacetime.etas import EtasFit

    fit = EtasFit(np.array([0.1, 0.0]), 0.5, 0.25, (0.0, 10.0), 1, True, 0.0, 3)
    cell = np.array([0, 1, 1, 0])
    t = np.array([8.0, 9.0, 9.5, 10.5])                   # the last is after the origin: ignored
    got = etas_expected(fit, cell, t, 10.0, 7.0)
    boost = 0.5 * (1 - np.exp(-0.25 * 7))
    assert got[0] == pytest.approx(0.1 * 7 + boost * np.exp(-0.25 * 2))
    assert got[1] == pytest.approx(boost * (np.exp(-0.25 * 1) + np.exp(-0.25 * 0.5)))
