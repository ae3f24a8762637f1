"""Plain-English sentences: the summary, the hours named, why no plan meets the rules."""
from __future__ import annotations

import numpy as np
import pytest

from tests.analysis.staffing.reference import random_demand

from analysis.progress import BeatwiseError
from analysis.staffing.explain import describe_hours
from analysis.staffing.timing import recommend_shifts


# ---------------------------------------------------------------------------------------------
# summary

def test_summary__sentence_with_numbers():
    d = random_demand(11)
    rec = recommend_shifts(d, officers=3, shift_hours=8, starts=range(0, 24, 4),
                           current="08:00-16:00x3")
    s = rec.summary
    assert s.startswith("Start ") and "(8-hour shifts)" in s
    assert f"{rec.best.coverage:.0%} of incident demand" in s
    assert f"against {rec.current.coverage:.0%} for the current 08:00-16:00 rota" in s


def test_sergeants__unable_to_cover_says_which_hours():
    d = np.ones(168)                                       # flat demand: constables round the clock
    plan = recommend_shifts(d, officers=3, shift_hours=8, starts=[0, 8, 16], sergeants=1).best
    assert min(plan.on_duty) >= 1
    assert len(plan.unsupervised) == 7 * 16                 # one 8-hour sergeant a day
    assert "cannot be on duty whenever constables are: 112 hour(s)" in plan.summary
    assert describe_hours(plan.unsupervised) in plan.summary


def test_describe_hours__groups_days_and_runs():
    slots = [(d, h) for d in range(7) for h in (2, 3, 4)]
    assert describe_hours(slots) == "every day 02:00-05:00"
    assert describe_hours([(4, 22), (4, 23), (5, 22), (5, 23), (6, 0)]) == \
        "Fri, Sat 22:00-00:00; Sun 00:00-01:00"


# ---------------------------------------------------------------------------------------------
# infeasible rules: explanations, not stack traces

def test_recommend__min_on_duty_too_high_for_the_officers():
    with pytest.raises(BeatwiseError, match=r"72 officer-hours a day.*2 officer\(s\) on 8-hour shifts give only 16"):
        recommend_shifts(random_demand(1), officers=2, shift_hours=8, min_on_duty=3)


def test_recommend__min_on_duty_impossible_with_the_start_times(formulation):
    with pytest.raises(BeatwiseError, match="no plan with start times 00:00, 04:00"):
        recommend_shifts(random_demand(1), officers=3, shift_hours=8, starts=[0, 4], min_on_duty=1)


def test_recommend__infeasible_length_is_listed_last_with_its_reason():
    rec = recommend_shifts(random_demand(2), officers=6, shift_hours=(4, 8), min_on_duty=1,
                           max_starts=3, starts=range(0, 24, 2))
    assert [p.shift_hours for p in rec.plans] == [8, 4]
    assert rec.plans[1].status.startswith("infeasible: with at most 3 start time(s) a day and "
                                          "4-hour shifts only 12 of the 24 hours")
    assert not rec.plans[1].feasible and rec.plans[1].shifts == ()
    assert rec.to_dict()["alternatives"][0]["coverage"] is None
