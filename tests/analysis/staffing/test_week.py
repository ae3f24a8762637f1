"""The week frame: weekday runs as text, and shift lines."""
from __future__ import annotations

from analysis.staffing.week import ALL_DAYS, Shift, consecutive_runs, days_text, hhmm


def test_consecutive_runs__split_at_gaps():
    assert consecutive_runs([1, 2, 3, 5, 7, 8]) == [[1, 2, 3], [5], [7, 8]]
    assert consecutive_runs([]) == []


def test_days_text__runs_of_three_or_more_become_ranges():
    assert days_text(ALL_DAYS) == "every day"
    assert days_text((0, 1, 2, 3)) == "Mon-Thu"
    assert days_text((4, 5)) == "Fri, Sat"
    assert days_text((6, 0, 1, 2, 4)) == "Mon-Wed, Fri, Sun"      # the week is not wrapped


def test_hhmm__wraps_at_midnight():
    assert hhmm(0) == "00:00" and hhmm(7 * 60 + 30) == "07:30" and hhmm(1440 + 60) == "01:00"


def test_shift__label_and_dict_across_midnight():
    night = Shift(start_minute=22 * 60, length_minutes=8 * 60, officers=2, weekdays=(4, 5))
    assert (night.start, night.end, night.hours) == ("22:00", "06:00", 8.0)
    assert night.label() == "22:00-06:00 x2 (Fri, Sat)"
    assert night.to_dict() == {"start": "22:00", "end": "06:00", "hours": 8.0, "officers": 2,
                               "weekdays": ["Fri", "Sat"]}
    assert Shift(start_minute=420, length_minutes=600, officers=4).label() == "07:00-17:00 x4"
