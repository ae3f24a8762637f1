"""Benchmark (make bench): shift recommendation proven optimal.

Issue 5 target: 50 officers, every hourly start, --per-weekday, three shift lengths (8, 10, 12):
proven optimal in at most 2 s in total. Demands: the SYNTHETIC demo (night-time peaks) and,
when ../shared/data is present, the Chicago sample's hour-of-week profile (real times).
Also prints the default (common-pattern) case for the Southend team of 7 for reference, and
the day-by-day search (analysis.staffing.search) on its own: its time and coverage, against the
week-long MILP's proven bound.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.staffing.timing import recommend_shifts

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
CHICAGO = DATA / "timed" / "chicago_crimes_sample_2017_2019.csv"
TARGET_S = 2.0
# Per shift length; the figures printed say how far from the target the solver is.
TIME_LIMIT_S = 20.0


@pytest.fixture(scope="module")
def demands(tmp_path_factory):
    from analysis.demo import write_demo
    from analysis.ingest.incidents import read_incidents
    from analysis.staffing.demand import demand_from_incidents

    folder = tmp_path_factory.mktemp("bench_shifts")
    files = write_demo(folder, project=False)
    out = {"demo": np.asarray(demand_from_incidents(
        read_incidents([files.incidents_csv]).incidents).per_hour)}
    if CHICAGO.exists():
        t = pd.to_datetime(pd.read_csv(CHICAGO, usecols=["date"])["date"], format="%m/%d/%Y %H:%M")
        how = (t.dt.day_of_week * 24 + t.dt.hour).to_numpy()
        out["chicago"] = np.bincount(how, minlength=168) / 156.0
    return out


def _run(d, **kwargs):
    t0 = time.perf_counter()
    rec = recommend_shifts(d, time_limit_s=TIME_LIMIT_S, **kwargs)
    return time.perf_counter() - t0, rec


def _print(name, seconds, rec):
    print(f"\n{name}: {seconds:.2f} s in total")
    for p in sorted(rec.plans, key=lambda p: p.shift_hours):
        print(f"  {p.shift_hours:>2} h: coverage {p.coverage:.4f} (bound {p.coverage_bound:.4f}), "
              f"{p.status[:40]}, {p.solve_seconds:.2f} s")


@pytest.mark.parametrize("officers", [7, 50])
def test_benchmark__common_pattern(demands, officers):
    """Same pattern every day (the default): every plan enumerated, so proven optimal."""
    seconds, rec = _run(demands["demo"], officers=officers, shift_hours=(8, 10, 12))
    _print(f"demo, {officers} officers, every hourly start, same pattern every day, 8/10/12 h",
           seconds, rec)
    assert all(p.optimal for p in rec.plans)
    assert seconds <= TARGET_S


@pytest.mark.parametrize("name", ["demo", "chicago"])
def test_benchmark__50_officers_per_weekday_three_lengths(demands, name):
    """Issue 5's per-weekday target (proven optimal in 2 s) is blocked; issue 14 item 8 restated it
    as the best plan within the time limit with its proven gap. Printed, not asserted: the plans
    are valid and each length stops at its limit."""
    if name not in demands:
        pytest.skip(f"shared test data not present: {CHICAGO}")
    seconds, rec = _run(demands[name], officers=50, shift_hours=(8, 10, 12), per_weekday=True)
    _print(f"{name}, 50 officers, every hourly start, per weekday, 8/10/12 h, {TIME_LIMIT_S:g} s limit each",
           seconds, rec)
    for p in rec.plans:
        print(f"  {p.shift_hours:>2} h: proven gap {p.coverage_bound - p.coverage:.4f}")
    assert all(p.coverage <= p.coverage_bound + 1e-9 for p in rec.plans)
    assert seconds <= 3 * TIME_LIMIT_S + 10


@pytest.mark.parametrize("name", ["demo", "chicago"])
def test_benchmark__day_by_day_search(demands, name):
    """The search that starts the per-weekday MILP: seconds and coverage per length."""
    from analysis.staffing.methods import solve_common_enumerated
    from analysis.staffing.milp import columns
    from analysis.staffing.search import improve_by_days, week_on_duty

    if name not in demands:
        pytest.skip(f"shared test data not present: {CHICAGO}")
    d, n = demands[name], 50
    print(f"\n{name}, 50 officers, per weekday, day-by-day search:")
    for length_h in (8, 10, 12):
        r = d * 7 * n * length_h / d.sum()
        t0 = time.perf_counter()
        common = solve_common_enumerated(d, n, length_h, columns(length_h, tuple(range(24)), False),
                                         3, 0)
        t1 = time.perf_counter()
        x0 = np.tile(common.x, (7, 1))
        x_common, passes_c = improve_by_days(r, x0, length_h=length_h, starts=range(24), max_starts=3)
        t2 = time.perf_counter()
        x_empty, passes_e = improve_by_days(r, np.zeros((7, 24), dtype=int), length_h=length_h,
                                            starts=range(24), max_starts=3, officers=n)
        t3 = time.perf_counter()
        cov = [float(np.minimum(r, week_on_duty(x, length_h)).sum() / r.sum()) for x in (x_common, x_empty)]
        print(f"  {length_h:>2} h: same-every-day optimum {common.objective:.4f} ({t1 - t0:.2f} s); "
              f"search from it {cov[0]:.4f} ({passes_c} passes, {t2 - t1:.2f} s); "
              f"from an empty week {cov[1]:.4f} ({passes_e} passes, {t3 - t2:.2f} s)")
        assert max(cov) >= common.objective - 1e-12


def test_benchmark__seed_team_per_weekday_day_by_day_vs_milp(demands):
    """Issue 14 item 8: the seed team (7 constables), every hourly start, per weekday, 8/10/12 h,
    proven optimal in at most 5 s in total by the day-by-day programme; beside it, the same run
    with the programme switched off (the week-long MILP), whose proven optimum it must equal."""
    import os

    from analysis.staffing import overnight

    d = demands["demo"]
    seconds, rec = _run(d, officers=7, shift_hours=(8, 10, 12), per_weekday=True)
    _print("demo, 7 officers, per weekday, 8/10/12 h, day-by-day programme", seconds, rec)
    old_plans = overnight.MAX_PLANS
    overnight.MAX_PLANS = 0
    try:
        t_milp, ref = _run(d, officers=7, shift_hours=(8, 10, 12), per_weekday=True)
    finally:
        overnight.MAX_PLANS = old_plans
    _print("demo, 7 officers, per weekday, 8/10/12 h, week-long MILP", t_milp, ref)
    print(f"  load average {os.getloadavg()}")
    new = {p.shift_hours: p for p in rec.plans}
    for p in ref.plans:
        assert new[p.shift_hours].optimal and new[p.shift_hours].method.startswith("day-by-day")
        if p.optimal:
            assert new[p.shift_hours].coverage == pytest.approx(p.coverage, abs=1e-9)
    assert seconds <= 5.0


def test_benchmark__50_officers_per_weekday_5_s_limit(demands):
    """50 officers per weekday: too many for the programme; the best plan within a 5 s limit per
    length and its proven gap."""
    d = demands["demo"]
    t0 = time.perf_counter()
    rec = recommend_shifts(d, officers=50, shift_hours=(8, 10, 12), per_weekday=True, time_limit_s=5.0)
    seconds = time.perf_counter() - t0
    print(f"\ndemo, 50 officers, per weekday, 8/10/12 h, 5 s limit each: {seconds:.2f} s in total")
    for p in sorted(rec.plans, key=lambda p: p.shift_hours):
        print(f"  {p.shift_hours:>2} h: coverage {p.coverage:.4f}, bound {p.coverage_bound:.4f}, "
              f"proven gap {p.coverage_bound - p.coverage:.4f} ({p.method}, {p.solve_seconds:.2f} s)")
        assert p.coverage <= p.coverage_bound + 1e-12
        assert p.solve_seconds <= 5.0 * 1.5 + 1.0
