"""The gap: shares of demand against shares of presence, the sentences, the 7 x 24 matrix."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from analysis.hotspots.grid import GridSpec
from analysis.patrols.gap import patrol_gap, peak_slots, slots_text
from analysis.patrols.presence import Presence, presence
from analysis.patrols.segments import patrol_segments
from analysis.patrols.visits import Visits, hotspot_visits
from analysis.progress import BeatwiseError
from tests.analysis.patrols.ping_frames import concat, track

FRI_SAT_LATE = [4 * 24 + h for h in (22, 23)] + [5 * 24 + h for h in (0, 1, 22, 23)] + [6 * 24 + h for h in (0, 1)]
WED_10 = 2 * 24 + 10


def fake_visits(patrol_how_s, names, qualifying, weeks=4):
    n = len(names)
    hotspots = pd.DataFrame({"hotspot": range(n), "name": names,
                             "patrol_minutes": np.asarray(patrol_how_s).sum(axis=1) / 60,
                             "officer_minutes": np.asarray(patrol_how_s).sum(axis=1) / 60,
                             "visits": qualifying, "visits_qualifying": qualifying,
                             "stops": qualifying, "drive_throughs": 0, "longest_gap_h": 100.0})
    return Visits(visit_buffer_m=15, koper_min=10, merge_pause_min=2, stop_kmh=8, max_gap_min=5,
                  day_start="06:00", names=tuple(names), visits=pd.DataFrame(), hotspots=hotspots,
                  dosage=pd.DataFrame(), hour_of_week_s=np.asarray(patrol_how_s, dtype=float),
                  period_start_ns=0, period_end_ns=weeks * 7 * 86400 * 10**9)


def test_gap__the_issue_sentence_with_hand_worked_shares():
    how = np.zeros((2, 168))
    how[0, WED_10] = 30 * 60                   # York Road: 30 patrol minutes, Wednesday 10:00
    how[1, WED_10] = 970 * 60                  # the rest at Market Square (1,000 minutes in all)
    inc = np.zeros((2, 168))
    inc[0, FRI_SAT_LATE] = [2, 2, 3, 2, 2, 2, 3, 2]   # 18 incidents at York Road
    inc[1, WED_10] = 82                               # 82 at Market Square: 100 in all
    gap = patrol_gap(fake_visits(how, ["York Road", "Market Square"], [2, 40]), inc)
    york = gap.hotspots[0]
    assert york.incident_share == pytest.approx(0.18) and york.patrol_share == pytest.approx(0.03)
    assert york.peak_slots and set(york.peak_slots) <= set(FRI_SAT_LATE)
    assert york.rank == 1 and gap.gaps == (york,)
    assert gap.hotspots[1].rank is None                # 82% of incidents, 97% of patrol time


def test_gap__sentence_reads_like_the_issue():
    how = np.zeros((1, 168))
    how[0, WED_10] = 30 * 60
    inc = np.zeros((1, 168))
    inc[0, FRI_SAT_LATE] = 1
    # shares against the whole area: 8 of 44.4 incidents = 18%; 30 of 1,000 patrol minutes = 3%
    total = Presence(grid=GridSpec(0, 0, 10, 1, 1), max_gap_min=5, raster_s=np.zeros((1, 1)),
                     hour_of_week_s=np.full(168, 60000 / 168), total_s=60000.0, counted_gap_s=60000.0,
                     uncounted_gap_s=0.0, n_segments=1, n_uncounted_gaps=0, outside_grid_s=0.0,
                     units=("A",), period_start_ns=0, period_end_ns=1)
    gap = patrol_gap(fake_visits(how, ["York Road"], [2]), inc, presence=total, total_incidents=8 / 0.18)
    assert gap.gaps[0].sentence == ("Hotspot 1 (York Road): 18% of incidents, 3% of patrol time; its peak, "
                                    "Fri, Sat 22:00-02:00, got no patrol minutes in 4 weeks; "
                                    "2 visits of 10 minutes or more.")
    assert gap.gaps[0].to_dict()["peak"] == {"weekday": "Friday", "hour": 22}


def test_gap__patrol_minutes_in_the_peak_counted():
    how = np.zeros((1, 168))
    how[0, FRI_SAT_LATE[0]] = 12 * 60
    inc = np.zeros((1, 168))
    inc[0, FRI_SAT_LATE] = 1
    g = patrol_gap(fake_visits(how, ["Hotspot 1"], [1]), inc, total_incidents=100).hotspots[0]
    assert g.patrol_minutes_in_peak == 12
    assert "got 12 patrol minutes in 4 weeks; 1 visit of 10 minutes" in g.sentence
    assert g.sentence.startswith("Hotspot 1: 8% of incidents, 100% of patrol time;")


def test_gap__matrix_is_demand_share_minus_presence_share():
    how = np.zeros((2, 168))
    how[0, 0], how[1, 1] = 300, 100
    inc = np.zeros((2, 168))
    inc[0, 0], inc[1, 2] = 1, 3
    gap = patrol_gap(fake_visits(how, ["A", "B"], [0, 0]), inc)
    assert gap.matrix.shape == (7, 24)
    assert gap.matrix[0, 0] == pytest.approx(0.25 - 0.75)
    assert gap.matrix[0, 1] == pytest.approx(-0.25) and gap.matrix[0, 2] == pytest.approx(0.75)
    assert gap.matrix.sum() == pytest.approx(0)


def test_gap__peak_slots_and_words():
    counts = np.zeros(168)
    counts[[118, 119, 120, 121]] = [5, 5, 1, 1]
    assert set(peak_slots(counts, 0.5)) == {118, 119}         # ties at the cut included
    assert slots_text([118, 119, 120, 121]) == "Fri 22:00-02:00"
    assert slots_text([166, 167, 0, 1]) == "Sun 22:00-02:00"  # wraps the week
    assert slots_text(range(24, 48)) == "Tue 00:00 to Wed 00:00"
    assert peak_slots(np.zeros(168)) == () and slots_text(()) == "none"


def test_gap__shape_checked():
    with pytest.raises(BeatwiseError, match="168"):
        patrol_gap(fake_visits(np.zeros((1, 168)), ["A"], [0]), np.zeros((2, 168)))


def test_gap__end_to_end_from_pings():
    # A patrols hotspot 0 on Wednesday 10:00-10:30; nobody at hotspot 1, whose incidents are at night
    g = concat(track("A", "2026-01-14 10:00", np.arange(0, 1801, 60), [50] * 31, [50] * 31),
               track("B", "2026-01-14 10:00", np.arange(0, 1801, 60), [900] * 31, [900] * 31))
    seg = patrol_segments(g)
    hs = [box(0, 0, 100, 100), box(500, 0, 600, 100)]
    v = hotspot_visits(g, hs, names=["Park", "Station"], segments=seg)
    p = presence(g, GridSpec(0, 0, 100, 10, 10), segments=seg)
    inc = np.zeros((2, 168))
    inc[0, WED_10], inc[1, 5 * 24 + 23] = 2, 6
    gap = patrol_gap(v, inc, presence=p)
    assert [x.name for x in gap.gaps] == ["Station"]
    assert gap.hotspots[0].patrol_share == pytest.approx(0.5)          # 30 of 60 unit-minutes
    assert gap.gaps[0].sentence == ("Hotspot 2 (Station): 75% of incidents, 0% of patrol time; its peak, "
                                    "Sat 23:00-00:00, got no patrol minutes in 1 hour; no visits of 10 minutes or more.")
