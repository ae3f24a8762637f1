"""Tests for analysis.temporal.matrix: aoristic hour x weekday matrices.

References: hand-worked aoristic cases from issue 4, a brute-force per-incident, per-hour loop,
a direct pandas groupby on real Chicago data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from analysis.filters import Filters
from analysis.progress import BeatwiseError, Cancelled
from analysis.temporal.matrix import aoristic_week_weights, hour_weekday_matrix
from tests.analysis.temporal.frames import incidents
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA


def brute_force_week(starts, ends):
    """Independent reference: walk every window hour by hour and add the overlap / length."""
    out = np.zeros(168)
    for s, e in zip(starts, ends):
        s, e = pd.Timestamp(s), pd.Timestamp(e)
        length = (e - s).total_seconds()
        if length > 7 * 24 * 3600:
            out += 1 / 168
            continue
        t = s
        while t < e:
            nxt = min(t.floor("h") + pd.Timedelta(hours=1), e)
            out[t.weekday() * 24 + t.hour] += (nxt - t).total_seconds() / length
            t = nxt
    return out


# ---------------------------------------------------------------------------------------------
# hand-worked aoristic cases (issue 4)

def test_aoristic__tuesday_0800_to_1600_gives_one_eighth_in_each_hour():
    # 2024-01-02 is a Tuesday
    p = hour_weekday_matrix(incidents([("2024-01-02 08:00", "2024-01-02 16:00", "window")]))
    expected = np.zeros((7, 24))
    expected[1, 8:16] = 0.125
    np.testing.assert_allclose(p.matrix, expected, atol=1e-12)
    assert p.weighting == "aoristic" and p.n == 1 and p.n_window == 1
    assert p.matrix.sum() == pytest.approx(1.0, abs=1e-12)


def test_aoristic__sunday_2200_to_monday_0200_splits_across_week_boundary():
    p = hour_weekday_matrix(incidents([("2024-01-07 22:00", "2024-01-08 02:00", "window")]))
    expected = np.zeros((7, 24))
    expected[6, 22] = expected[6, 23] = 0.25   # Sunday 22:00-23:59
    expected[0, 0] = expected[0, 1] = 0.25     # Monday 00:00-01:59
    np.testing.assert_allclose(p.matrix, expected, atol=1e-12)


def test_aoristic__missing_end_is_weight_one_at_start():
    # a window row whose end is missing is an exact time at its start
    p = hour_weekday_matrix(incidents([("2024-01-07 22:30", None, "window")]))
    expected = np.zeros((7, 24))
    expected[6, 22] = 1.0
    np.testing.assert_array_equal(p.matrix, expected)
    assert p.weighting == "exact" and p.n_exact == 1


def test_aoristic__ten_day_window_is_one_over_168_everywhere():
    p = hour_weekday_matrix(incidents([("2024-01-03 05:17", "2024-01-13 05:17", "window")]))
    np.testing.assert_allclose(p.matrix, np.full((7, 24), 1 / 168), rtol=1e-12)
    assert p.n_window_over_week == 1


def test_aoristic__partial_hours_and_exactly_one_week():
    # 07:30-09:15 Wednesday: 0.5 h, 1 h, 0.25 h of 1.75 h
    p = hour_weekday_matrix(incidents([("2024-01-03 07:30", "2024-01-03 09:15", "window")]))
    np.testing.assert_allclose(p.matrix[2, 7:10], [0.5 / 1.75, 1 / 1.75, 0.25 / 1.75], rtol=1e-12)
    assert p.matrix.sum() == pytest.approx(1.0, abs=1e-12)
    # exactly 7 days from a half hour: every bin overlapped for exactly one hour in total
    q = hour_weekday_matrix(incidents([("2024-01-03 07:30", "2024-01-10 07:30", "window")]))
    np.testing.assert_allclose(q.matrix, np.full((7, 24), 1 / 168), rtol=1e-9)
    assert q.n_window_over_week == 0


def test_aoristic__matches_brute_force_on_random_windows():
    rng = np.random.default_rng(42)
    base = pd.Timestamp("2023-03-01")
    starts = base + pd.to_timedelta(rng.integers(0, 60 * 24 * 200, 400), unit="min")
    lengths = pd.to_timedelta(rng.choice([1, 7, 45, 90, 600, 1439, 3000, 9000, 10079, 10081, 20000],
                                         400), unit="min")
    ends = starts + lengths
    got = aoristic_week_weights(starts, ends)
    np.testing.assert_allclose(got, brute_force_week(starts, ends), atol=1e-9)
    assert got.sum() == pytest.approx(400, rel=1e-12)


def test_hour_weekday_matrix__weights_column_scales_contributions():
    p = hour_weekday_matrix(incidents([
        ("2024-01-02 08:00", "2024-01-02 10:00", "window", "Burglary", 2.0),
        ("2024-01-01 03:10", None, "minute", "Burglary", 0.5)]))
    assert p.matrix[1, 8] == pytest.approx(1.0) and p.matrix[1, 9] == pytest.approx(1.0)
    assert p.matrix[0, 3] == pytest.approx(0.5)
    assert p.total_weight == pytest.approx(2.5) and p.n == 2 and p.weighting == "mixed"


def test_hour_weekday_matrix__exact_times_series_and_peak():
    rows = [("2024-01-05 23:59", None, "minute")] * 3 + [("2024-01-06 00:00", None, "minute")] * 2 \
        + [("2024-01-01 00:00", None, "minute")]
    p = hour_weekday_matrix(incidents(rows))
    assert p.weighting == "exact"
    assert (p.peak.weekday, p.peak.hour, p.peak.value) == (4, 23, 3.0)
    assert p.peak.to_dict() == {"weekday": "Friday", "weekday_index": 4, "hour": 23, "value": 3.0}
    assert p.by_weekday == (1.0, 0.0, 0.0, 0.0, 3.0, 2.0, 0.0)
    assert p.by_hour[0] == 3.0 and p.by_hour[23] == 3.0 and sum(p.by_hour) == 6.0
    assert not p.matrix.flags.writeable


def test_hour_weekday_matrix__peak_tie_goes_to_earliest_in_week():
    p = hour_weekday_matrix(incidents([("2024-01-07 10:00", None, "minute"),
                                       ("2024-01-02 05:00", None, "minute")]))
    assert (p.peak.weekday, p.peak.hour) == (1, 5)


def test_hour_weekday_matrix__day_and_none_rows_excluded_with_reason():
    p = hour_weekday_matrix(incidents([
        ("2024-01-02 08:00", None, "minute"),
        ("2024-01-02", "2024-01-03", "day"),
        ("2024-01-02", "2024-01-03", "day"),
        (None, None, "none")]))
    assert p.n == 1 and p.n_total == 4 and p.n_excluded_no_time == 3
    assert p.excluded_by_precision == {"day": 2, "none": 1}
    assert "2 have only a date" in p.excluded_reason and "1 have no date" in p.excluded_reason
    assert p.matrix.sum() == 1.0
    assert p.by_month == {"2024-01": 3.0}   # the undated row is not in any month


def test_hour_weekday_matrix__month_only_gives_no_matrix_but_breakdowns():
    p = hour_weekday_matrix(incidents([
        ("2024-01-01", "2024-02-01", "month", "Drugs"),
        ("2024-03-01", "2024-04-01", "month", "Drugs"),
        ("2024-03-01", "2024-04-01", "month", "Burglary")]))
    assert p.matrix is None and p.peak is None and p.weighting == "none" and p.n == 0
    assert "only a month" in p.message and "no hour x weekday" in p.message
    assert p.by_month == {"2024-01": 1.0, "2024-02": 0.0, "2024-03": 2.0}
    assert p.by_crime_type == {"Drugs": 2.0, "Burglary": 1.0}
    assert p.to_dict()["matrix"] is None


def test_hour_weekday_matrix__empty():
    p = hour_weekday_matrix(incidents([("2024-01-01 01:00", None, "minute")]).iloc[:0])
    assert p.matrix is None and p.n_total == 0 and p.message == "No incidents match the selection."


def test_hour_weekday_matrix__window_ending_before_start_is_an_error():
    bad = incidents([("2024-01-02 10:00", "2024-01-02 08:00", "window")])
    with pytest.raises(BeatwiseError, match=r"end before they start.*row 2"):
        hour_weekday_matrix(bad)


def test_import__window_ending_before_start_rejected_with_reason(tmp_path):
    from analysis.ingest.incidents import read_incidents
    from analysis.ingest.validation import END_BEFORE_START
    f = tmp_path / "windows.csv"
    f.write_text("id,date_start,date_end,longitude,latitude\n"
                 "1,2024-01-02 08:00,2024-01-02 16:00,0.71,51.54\n"
                 "2,2024-01-02 10:00,2024-01-02 08:00,0.71,51.54\n")
    res = read_incidents([f])
    assert res.report.accepted == 1 and len(res.report.rejected) == 1
    rej = res.report.rejected[0]
    assert rej.row == 3 and END_BEFORE_START in rej.reason
    p = hour_weekday_matrix(res.incidents)
    np.testing.assert_allclose(p.matrix[1, 8:16], 0.125)


def test_hour_weekday_matrix__filters_and_polygon():
    rows = [("2024-01-02 08:00", None, "minute", "Drugs", 1.0, 10.0, 10.0),
            ("2024-01-02 09:00", None, "minute", "Burglary", 1.0, 10.0, 10.0),
            ("2024-01-02 10:00", None, "minute", "Drugs", 1.0, 500.0, 500.0)]
    p = hour_weekday_matrix(incidents(rows), filters=Filters(crime_types=("drugs",)))
    assert p.n == 2 and p.matrix[1, 8] == 1 and p.matrix[1, 10] == 1 and p.matrix[1, 9] == 0
    q = hour_weekday_matrix(incidents(rows), filters=Filters(polygon=box(0, 0, 100, 100)))
    assert q.n == 2 and q.matrix[1, 10] == 0
    assert q.filters == Filters(polygon=box(0, 0, 100, 100))


def test_hour_weekday_matrix__cancel_propagates():
    def cancel(fraction, message):
        if fraction > 0.2:
            raise Cancelled
    with pytest.raises(Cancelled):
        hour_weekday_matrix(incidents([("2024-01-02 08:00", None, "minute")]), progress=cancel)


# ---------------------------------------------------------------------------------------------
# real data

def _real(path):
    if not path.exists():
        pytest.skip(f"shared test data not present: {path}")
    from analysis.ingest.incidents import read_incidents
    return read_incidents([path])


def test_hour_weekday_matrix__nyc_from_to_sums_to_accepted_rows():
    res = _real(DATA / "timed" / "nyc_motor_vehicle_thefts_2014_2017_from_to.csv")
    p = hour_weekday_matrix(res.incidents)
    assert p.n == res.report.accepted == 35_746
    assert p.matrix.sum() == pytest.approx(res.report.accepted, rel=1e-9)
    assert p.weighting == "mixed" and (p.matrix >= 0).all()
    # independent check on a sample of windows: brute force agrees with the vectorised sum
    g = res.incidents
    sample = g[g["time_precision"] == "window"].iloc[:300]
    np.testing.assert_allclose(aoristic_week_weights(sample["t_start"], sample["t_end"]),
                               brute_force_week(sample["t_start"], sample["t_end"]), atol=1e-9)


def test_hour_weekday_matrix__chicago_matches_direct_groupby():
    res = _real(DATA / "timed" / "chicago_crimes_sample_2017_2019.csv")
    g = res.incidents
    p = hour_weekday_matrix(g)
    assert p.weighting == "exact" and p.n == len(g) == 25_000
    # reference straight from the CSV's own text, not the importer's output
    raw = pd.read_csv(DATA / "timed" / "chicago_crimes_sample_2017_2019.csv", usecols=["date"])
    t = pd.to_datetime(raw["date"], format="%m/%d/%Y %H:%M")
    ref = t.groupby([t.dt.day_of_week, t.dt.hour]).size().unstack(fill_value=0)
    ref = ref.reindex(index=range(7), columns=range(24), fill_value=0).to_numpy(dtype=float)
    np.testing.assert_array_equal(p.matrix, ref)
    wd, hr = np.unravel_index(np.argmax(ref), ref.shape)
    assert (p.peak.weekday, p.peak.hour, p.peak.value) == (wd, hr, ref.max())


def test_hour_weekday_matrix__police_uk_month_only():
    res = _real(DATA / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv")
    p = hour_weekday_matrix(res.incidents)
    assert p.matrix is None and p.n_excluded_no_time == res.report.accepted
    raw = pd.read_csv(DATA / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv")
    raw = raw[raw["Longitude"].notna()]
    assert p.by_month == {k: float(v) for k, v in raw.groupby("Month").size().items()}
    assert sum(p.by_crime_type.values()) == len(raw)
