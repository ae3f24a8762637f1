"""Officers on duty by hour of week from the pings."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.patrols.on_duty import on_duty
from tests.analysis.patrols.ping_frames import concat, pings, track


def test_on_duty__two_weeks_averaged_per_slot():
    # Monday 2026-01-05 and 2026-01-12 (GMT), 09:00-09:59: week 1 has A and B, week 2 only A
    g = concat(track("A", "2026-01-05 09:10", [0, 600], [0, 1], [0, 1]),
               track("B", "2026-01-05 09:50", [0], [0], [0]),
               track("A", "2026-01-12 09:05", [0, 60], [0, 1], [0, 1]))
    d = on_duty(g)
    mon9 = 9
    assert d.unit_hours[mon9] == 3 and d.occurrences[mon9] == 2
    assert d.hour_of_week[mon9] == 1.5
    assert d.hour_of_week[10] == 0                      # covered, nobody reporting
    assert d.occurrences[8] == 1 and d.hour_of_week[8] == 0  # only the second Monday's 08:00
    assert d.weeks == d.occurrences.sum() / 168


def test_on_duty__uncovered_slots_are_unknown_not_zero():
    d = on_duty(track("A", "2026-01-07 12:00", [0, 60], [0, 0], [0, 0]))   # a Wednesday noon only
    wed12 = 2 * 24 + 12
    assert d.hour_of_week[wed12] == 1 and np.isnan(d.hour_of_week).sum() == 167
    assert d.to_list()[0] is None


def test_on_duty__local_time_and_the_autumn_hour_twice():
    # 2026-10-25 00:30 and 01:30 UTC are both local 01:xx (BST then GMT): one slot, two hours
    g = pings(["A", "A"], ["2026-10-25 00:30", "2026-10-25 01:30"], [0, 0], [0, 0])
    d = on_duty(g)
    sun1 = 6 * 24 + 1
    assert d.occurrences[sun1] == 2 and d.unit_hours[sun1] == 2 and d.hour_of_week[sun1] == 1


def test_on_duty__empty():
    g = pings([], pd.to_datetime([], utc=True), [], [])
    assert np.isnan(on_duty(g).hour_of_week).all()
