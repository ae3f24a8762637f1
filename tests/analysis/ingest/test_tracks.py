"""Patrol pings: tables, GPX and layers on the ingest path; cleaning reported; bad input named."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.tracks import NO_UNIT, TIME_IN_FUTURE, PingMapping, read_pings
from analysis.progress import BeatwiseError
from tests.conftest import shared_path


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv__sorted_duplicates_jumps_single_units_reported(tmp_path):
    p = write(tmp_path, "pings.csv",
              "unit,time,lat,lon\n"
              "A,2024-06-01 10:00:30,51.5400,0.7000\n"      # out of order for A
              "A,2024-06-01 10:00:00,51.5401,0.7000\n"
              "A,2024-06-01 10:00:00,51.5401,0.7000\n"      # exact duplicate of line 3
              "A,2024-06-01 10:01:00,51.9000,0.7000\n"      # 40 km in 30 s: a jump
              "B,2024-06-01 10:00:00,51.5,0.70\n"           # one ping only
              ",2024-06-01 10:00:00,51.5,0.70\n")            # no unit
    r = read_pings(p)
    rep, c = r.report, r.cleaning
    assert rep.rows_read == 6 and rep.accepted + len(rep.rejected) == 6
    reasons = {x.row: x.reason for x in rep.rejected}
    assert reasons[4].startswith("exact duplicate of line 3") and reasons[7] == NO_UNIT
    assert (c.out_of_order, c.duplicates, c.flagged_speed, c.single_ping_units) == (1, 1, 1, ("B",))
    a = r.pings[r.pings["unit_id"] == "A"]
    assert a["t"].is_monotonic_increasing and a["flagged"].tolist() == [False, False, True]
    assert str(r.pings["t"].dt.tz) == "UTC"
    # 10:00 BST is 09:00 UTC
    assert a["t"].iloc[0] == pd.Timestamp("2024-06-01 09:00:00", tz="UTC")
    assert any("one ping only" in w for w in rep.warnings)


def test_times__epochs_offsets_and_naive_local_across_dst(tmp_path):
    p = write(tmp_path, "t.csv",
              "unit,time,lat,lon\nA,2024-03-31T00:30:00+00:00,51.5,0.7\nA,2024-03-31 01:30,51.5,0.7\n"
              "A,2024-03-31 03:00,51.5,0.7\nB,2024-10-27 01:30,51.5,0.7\nB,2024-10-27 03:00,51.5,0.7\n")
    r = read_pings(p)
    t = dict(zip(r.pings["source_row"], r.pings["t"]))
    assert t[2] == pd.Timestamp("2024-03-31 00:30", tz="UTC")
    assert t[3] == pd.Timestamp("2024-03-31 01:30", tz="UTC")     # 01:30 does not exist: 02:30 BST
    assert t[4] == pd.Timestamp("2024-03-31 02:00", tz="UTC")
    assert t[5] == pd.Timestamp("2024-10-27 00:30", tz="UTC")     # repeated hour: the first (BST)
    assert (r.cleaning.dst_moved, r.cleaning.dst_repeated) == (1, 1)
    q = write(tmp_path, "e.csv", "unit,timestamp,lat,lon\nA,1717232400,51.5,0.7\nA,1717232460000,51.5,0.7\n")
    r = read_pings(q)   # epoch seconds and milliseconds in one column: each by its magnitude
    assert r.pings["t"].tolist() == [pd.Timestamp("2024-06-01 09:00", tz="UTC"),
                                     pd.Timestamp("2024-06-01 09:01", tz="UTC")]
    assert any("seconds and milliseconds" in w for w in r.report.warnings)


def test_bad_input__each_a_clear_message(tmp_path):
    with pytest.raises(BeatwiseError, match="no unit column.*--unit COL"):
        read_pings(write(tmp_path, "a.csv", "time,lat,lon\n2024-06-01 10:00,51.5,0.7\n2024-06-01 10:01,51.5,0.7\n"))
    with pytest.raises(BeatwiseError, match="only 1 usable ping"):
        read_pings(write(tmp_path, "b.csv", "unit,time,lat,lon\nA,2024-06-01 10:00,51.5,0.7\n"))
    with pytest.raises(BeatwiseError, match="only 1 usable ping"):   # all identical: duplicates of one
        read_pings(write(tmp_path, "c.csv", "unit,time,lat,lon\n" + "A,2024-06-01 10:00,51.5,0.7\n" * 5))
    r = read_pings(write(tmp_path, "d.csv", "unit,time,lat,lon\nA,2024-06-01 10:00,51.5,0.7\n"
                         "A,2024-06-01 10:01,51.5,0.7\nA,2099-01-01 10:00,51.5,0.7\n"))
    assert [x.reason for x in r.report.rejected] == [TIME_IN_FUTURE]
    with pytest.raises(BeatwiseError, match="hold degrees.*--lon/--lat"):
        read_pings(write(tmp_path, "e.csv", "unit,time,x,y\nA,2024-06-01 10:00,0.7,51.5\nA,2024-06-01 10:01,0.71,51.5\n"),
                   PingMapping(x="x", y="y", crs="EPSG:27700"))
    gpx = write(tmp_path, "f.gpx", '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
                '<trk><name>X</name><trkseg><trkpt lat="51.5" lon="0.7"/><trkpt lat="51.6" lon="0.7"/></trkseg></trk></gpx>')
    with pytest.raises(BeatwiseError, match="no times"):
        read_pings(gpx)


def test_gpx__tracks_and_waypoints_with_line_numbers(tmp_path):
    gpx = write(tmp_path, "g.gpx", '<?xml version="1.0"?>\n<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">\n'
                '<wpt lat="51.5" lon="0.7"><time>2024-06-01T09:00:00Z</time><name>PC 123</name></wpt>\n'
                '<trk><name>Car 7</name><trkseg>\n<trkpt lat="51.5" lon="0.7"><time>2024-06-01T09:00:00Z</time>'
                '<speed>5</speed></trkpt>\n<trkpt lat="51.501" lon="0.7"><time>2024-06-01T09:00:30Z</time></trkpt>\n'
                '</trkseg></trk>\n</gpx>\n')
    r = read_pings(gpx)
    assert sorted(r.pings["unit_id"].unique()) == ["Car 7", "PC 123"]
    car = r.pings[r.pings["unit_id"] == "Car 7"]
    assert car["source_row"].tolist() == [5, 6] and car["speed_kmh"].iloc[0] == pytest.approx(18.0)


def test_real_vehicle_gps__csv_and_gpx_agree():
    csv_path = shared_path("patrol", "wmata_bus_avl_gtfsrt_2026-02-16.csv")
    gpx_path = shared_path("patrol", "wmata_bus_avl_2026-02-16.gpx")
    a, b = read_pings(csv_path), read_pings(gpx_path)
    assert a.report.rows_read == b.report.rows_read == 20_777 and a.report.accepted == b.report.accepted == 20_777
    assert a.cleaning.units == b.cleaning.units == 31 and a.cleaning.interval_s_median == 30.0
    raw = pd.read_csv(csv_path)                      # independent reading of the same file
    assert a.pings["t"].min() == pd.Timestamp(int(raw["vehicle.timestamp"].min()), unit="s", tz="UTC")
    key_a = a.pings.assign(u=a.pings["unit_id"].astype(str)).sort_values(["u", "t"])
    key_b = b.pings.assign(u=b.pings["unit_id"].str.replace("vehicle ", "", regex=False)).sort_values(["u", "t"])
    assert (key_a["u"].to_numpy() == key_b["u"].to_numpy()).all()
    assert (key_a["t"].to_numpy() == key_b["t"].to_numpy()).all()
    d = np.hypot(key_a.geometry.x.to_numpy() - key_b.geometry.x.to_numpy(),
                 key_a.geometry.y.to_numpy() - key_b.geometry.y.to_numpy())
    assert d.max() < 1.0     # metres: the CSV's float32 degrees against the GPX's 7 decimals
