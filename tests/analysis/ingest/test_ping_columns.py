"""detect_ping_columns: one detection for read_pings and the patrol import wizard."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.ingest import tables
from analysis.ingest.ping_columns import detect_ping_columns
from analysis.ingest.tracks import PingMapping, read_pings
from analysis.progress import BeatwiseError


def test_detect_ping_columns__real_gtfs_realtime_vehicle_csv(shared_data):
    path = shared_data / "patrol" / "wmata_bus_avl_gtfsrt_2026-02-16.csv"
    head = tables.peek(path, 200)
    assert detect_ping_columns(list(head.columns), head) == {
        "unit": "vehicle.vehicle.id", "time": "vehicle.timestamp", "lon": "vehicle.position.longitude",
        "lat": "vehicle.position.latitude", "speed": "vehicle.position.speed", "status": "vehicle.current_status"}


@pytest.mark.parametrize("header, row, expected", [
    (["Radio ID", "Timestamp", "Easting", "Northing"], ["1234", "12/03/2026 10:00:05", "583000", "186000"],
     {"unit": "Radio ID", "time": "Timestamp", "x": "Easting", "y": "Northing"}),
    (["callsign", "datetime", "lat", "lon"], ["A1", "2026-03-12T10:00:05Z", "51.53", "0.71"],
     {"unit": "callsign", "time": "datetime", "lon": "lon", "lat": "lat"}),
    # no telling time name: the values decide (epoch seconds); X/Y holding degrees are lon/lat
    (["ISSI", "Fix", "X", "Y", "Status"], ["99", "1773309605", "0.71", "51.53", "At scene"],
     {"unit": "ISSI", "time": "Fix", "lon": "X", "lat": "Y", "status": "Status"}),
    (["Collar Number", "Recorded", "Longitude", "Latitude", "Speed (km/h)", "Accuracy"],
     ["PC 123", "2026-03-12 10:00", "0.71", "51.53", "12", "5"],
     {"unit": "Collar Number", "time": "Recorded", "lon": "Longitude", "lat": "Latitude",
      "speed": "Speed (km/h)", "accuracy": "Accuracy"}),
])
def test_detect_ping_columns__header_variants(header, row, expected):
    assert detect_ping_columns(header, pd.DataFrame([row], columns=header)) == expected


def test_detect_ping_columns__a_count_column_is_not_a_time():
    header = ["unit", "count", "lat", "lon"]
    assert "time" not in detect_ping_columns(header, pd.DataFrame([["A", "12", "51.5", "0.7"]], columns=header))


def test_detect_ping_columns__explicit_choices_win_and_must_exist():
    header = ["Radio ID", "Timestamp", "Easting", "Northing", "t2"]
    got = detect_ping_columns(header, None, PingMapping(time="t2"))
    assert got["time"] == "t2" and got["unit"] == "Radio ID"
    with pytest.raises(BeatwiseError, match="'nope' is not in the file"):
        detect_ping_columns(header, None, PingMapping(unit="nope"))


def test_read_pings__uses_the_detection_for_easting_northing_and_status(tmp_path):
    path = tmp_path / "radios.csv"
    path.write_text("Radio ID,Timestamp,Easting,Northing,Status\n"
                    "1234,13/03/2026 10:00:05,583000,186000,Patrol\n"
                    "1234,13/03/2026 10:00:35,583010,186000,At scene\n", encoding="utf-8")
    r = read_pings(path, working_crs="EPSG:27700")
    assert r.report.columns[str(path)]["x"] == "Easting" and r.report.accepted == 2
    assert r.pings["status"].tolist() == ["Patrol", "At scene"]
    assert r.pings["t"].iloc[0] == pd.Timestamp("2026-03-13 10:00:05", tz="UTC")   # day first, GMT
