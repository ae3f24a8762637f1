"""Date/time parsing: each format against a hand-written expected value."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ingest.timeparse import parse_time_of_day, parse_times


def ts(s):
    return np.datetime64(pd.Timestamp(s).to_datetime64(), "ns")


def test_us_and_uk_orders():
    p = parse_times(["7/19/2017 13:45", "6/22/2019 19:00"])
    assert list(p.values) == [ts("2017-07-19 13:45"), ts("2019-06-22 19:00")]
    assert p.notes == ()
    p = parse_times(["25/12/2023 13:45", "01/02/2024 08:00"])
    assert list(p.values) == [ts("2023-12-25 13:45"), ts("2024-02-01 08:00")]
    assert "DD/MM/YYYY" in p.notes[0]


def test_ambiguous__month_first_with_note_unless_dayfirst():
    p = parse_times(["01/02/2024 08:00"])
    assert p.values[0] == ts("2024-01-02 08:00") and "ambiguous" in p.notes[0]
    p = parse_times(["01/02/2024 08:00"], dayfirst=True)
    assert p.values[0] == ts("2024-02-01 08:00") and p.notes == ()


def test_twelve_hour_clock_and_iso():
    p = parse_times(["07/19/2017 01:45:00 PM", "2024-01-05T13:45:00", "2024-01-05 13:45"])
    assert list(p.values) == [ts("2017-07-19 13:45"), ts("2024-01-05 13:45"), ts("2024-01-05 13:45")]
    assert p.has_time.all()


def test_month_only():
    p = parse_times(["2024-01", "2024-12"])
    assert p.kind == "month" and not p.has_time.any()
    assert list(p.values) == [ts("2024-01-01"), ts("2024-12-01")]


def test_excel_serials_and_epochs():
    # 45296 = 2024-01-05 (Excel's 1900 date system, epoch 1899-12-30); .5 = noon
    p = parse_times(["45296.5", "45296"])
    assert list(p.values) == [ts("2024-01-05 12:00"), ts("2024-01-05")]
    assert list(p.has_time) == [True, False]
    p = parse_times(["1704462300"])
    assert p.values[0] == ts("2024-01-05 13:45")
    p = parse_times(["1704462300000"])
    assert p.values[0] == ts("2024-01-05 13:45")


def test_missing_and_bad_are_told_apart():
    p = parse_times(["", "nonsense", "2024-01-05 10:00"])
    assert list(p.missing) == [True, False, False]
    assert list(p.bad) == [False, True, False]


def test_all_midnight_means_date_only():
    p = parse_times([f"2024-01-{d:02d} 00:00:00" for d in range(1, 29)])
    assert not p.has_time.any() and "00:00" in p.notes[0]


def test_time_of_day():
    vals, missing, bad = parse_time_of_day(["13:45", "1:05 PM", "12:30 am", "0930", "0.5", "25:00", ""])
    hours = [None if np.isnat(x) else x / np.timedelta64(1, "m") for x in vals]
    assert hours == [825, 785, 30, 570, 720, None, None]
    assert list(bad) == [False] * 5 + [True, False]
    assert list(missing) == [False] * 6 + [True]
