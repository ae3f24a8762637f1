"""The HiGHS models: the sergeants' lexicographic optimum, cancel inside a solve, no output."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.analysis.staffing.reference import random_demand, ref_on_duty

from analysis.progress import Cancelled
from analysis.staffing.timing import recommend_shifts


# ---------------------------------------------------------------------------------------------
# sergeants

def _ref_sergeant_cost(on, sg_on):
    """(unsupervised hours, unsupervised constable-hours, sergeant-hours with no constable)."""
    unsup = [t for t in range(168) if on[t] > 0 and sg_on[t] == 0]
    return (len(unsup), sum(on[t] for t in unsup), sum(sg_on[t] for t in range(168) if on[t] == 0))


def test_sergeants__brute_force_lexicographic_optimum():
    d = random_demand(9)
    starts = [0, 6, 12, 18]
    rec = recommend_shifts(d, officers=3, shift_hours=8, starts=starts, sergeants=1)
    plan = rec.best
    on = list(plan.on_duty)
    best = min(_ref_sergeant_cost(on, ref_on_duty([{s: 1}] * 7, 8)) for s in starts)
    got = _ref_sergeant_cost(on, list(plan.sergeant_on_duty))
    assert got == best
    assert len(plan.unsupervised) == best[0]
    assert {(t // 24, t % 24) for t in range(168) if on[t] > 0 and plan.sergeant_on_duty[t] == 0} \
        == set(plan.unsupervised)


def test_sergeants__cover_every_constable_hour_when_possible():
    d = random_demand(10)
    plan = recommend_shifts(d, officers=4, shift_hours=8, starts=[8, 16], max_starts=2,
                            sergeants=2).best
    assert plan.unsupervised == ()
    assert all(s >= 1 for o, s in zip(plan.on_duty, plan.sergeant_on_duty) if o > 0)
    assert "a sergeant is on duty whenever constables are" in plan.summary


# ---------------------------------------------------------------------------------------------
# the solver

def test_cancel__stops_highs_within_a_solve():
    """Cancel reaches HiGHS through its interrupt callbacks, not only between shift lengths."""
    import time

    import analysis.staffing.milp as milp

    hour = np.arange(168) % 24
    d = np.random.default_rng(0).gamma(2, 1, 168) * np.where((hour >= 18) | (hour < 3), 4, 1)
    cols = milp.columns(10, tuple(range(24)), True)      # 20 officers per weekday: a long solve
    seen = []

    def cancel_after_half_a_second(fraction, message):
        seen.append(message)
        if fraction * 60.0 > 0.5:
            raise Cancelled

    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        milp.solve_constables(d, 20, 10, cols, 3, 0, 60.0, progress=cancel_after_half_a_second)
    assert time.perf_counter() - t0 < 5.0                # the time limit was 60 s
    assert seen and all(m == "Solving 10-hour shifts" for m in seen)


def test_highs__prints_nothing_in_a_fresh_process():
    """HiGHS prints its banner once per process, at the first call on an instance whose output
    is on; so the check runs in a new interpreter: a cancellable per-weekday solve (callbacks)
    and a sergeant solve, with nothing on stdout or stderr."""
    code = (
        "import numpy as np\n"
        "import analysis.staffing.milp as milp\n"
        "d = np.random.default_rng(0).gamma(2, 1, 168)\n"
        "cols = milp.columns(8, tuple(range(0, 24, 4)), True)\n"
        "r = milp.solve_constables(d, 3, 8, cols, 3, 0, 5.0, progress=lambda f, m: None)\n"
        "on = np.rint(cols.cover @ r.x)\n"
        "milp.solve_sergeants(on, 1, 8, cols, 3, 5.0)\n")
    root = Path(__file__).resolve().parents[3]
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "" and run.stderr == ""


def test_highs__made_in_one_place():
    """Every HiGHS instance comes from milp._silent_highs (output off before any other call)."""
    root = Path(__file__).resolve().parents[3] / "analysis"
    made = [f"{p.relative_to(root)}:{i}" for p in sorted(root.rglob("*.py"))
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"(=|with|return)\s*(highspy\.)?_?Highs\(", line)]
    assert len(made) == 1 and made[0].startswith("staffing/milp.py:"), made
