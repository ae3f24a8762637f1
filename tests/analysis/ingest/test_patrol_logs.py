"""Patrol logs through the ingest path (analysis/ingest/patrol_logs.py): every row accepted or rejected
with file, row and reason; times as pings; areas from WKT, streets or a polygon layer."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from analysis.ingest.patrol_logs import LogMapping, detect_log_columns, read_patrol_logs
from analysis.progress import BeatwiseError

BNG = "EPSG:27700"
SQUARE = "POLYGON((583000 186000, 583200 186000, 583200 186200, 583000 186200, 583000 186000))"


def _streets():
    from analysis.hotspots.streets import street_layer_from_frame
    from analysis.patrols.logs import street_areas

    frame = gpd.GeoDataFrame({"name": ["York Road"]}, geometry=[LineString([(583000, 186000), (583400, 186000)])],
                             crs=BNG)
    return street_areas(street_layer_from_frame(frame, BNG), 15)


def test_read_patrol_logs__accounting_times_and_reasons(tmp_path):
    path = tmp_path / "logs.csv"
    path.write_text(
        "Callsign,Start,End,Area,Street\n"
        f'PCSO 1,2026-01-12 10:00,2026-01-12 12:00,"{SQUARE}",\n'              # naive GMT = UTC
        f'PCSO 2,2026-07-01T10:00:00+01:00,2026-07-01T11:00:00+01:00,"{SQUARE}",\n'
        "PCSO 4,13/07/2026 22:00,14/07/2026 01:30,,York Road\n"                 # BST: 21:00 UTC
        "PCSO 5,2026-01-12 10:00,2026-01-12 11:00,,Nowhere Lane\n"
        f'PCSO 6,2026-01-12 12:00,2026-01-12 12:00,"{SQUARE}",\n'
        f',2026-01-12 10:00,2026-01-12 11:00,"{SQUARE}",\n'
        "PCSO 8,2026-01-12 10:00,2026-01-12 11:00,,\n"
        'PCSO 9,2026-01-12 10:00,2026-01-12 11:00,"LINESTRING(583000 186000, 583100 186000)",\n'
        f'PCSO 10,yesterday,2026-01-12 11:00,"{SQUARE}",\n', encoding="utf-8")
    r = read_patrol_logs(path, working_crs=BNG, street_area=_streets(), streets_source="streets.gpkg")
    rep = r.report
    assert rep.rows_read == 9 and rep.accepted == 3 and rep.accepted + len(rep.rejected) == rep.rows_read
    why = {row.row: row.reason for row in rep.rejected}
    assert all(row.file == str(path) for row in rep.rejected)
    assert why[5] == "unknown street 'Nowhere Lane' (not in the street layer streets.gpkg)"
    assert why[6] == "end is not after start"
    assert why[7] == "no unit id"
    assert why[8] == "no area and no street"
    assert why[9].startswith("area is not a polygon")
    assert why[10] == "unparseable date/time in 'Start'"
    logs = r.logs.set_index("unit_id")
    assert logs.loc["PCSO 1", "t_start"] == pd.Timestamp("2026-01-12 10:00", tz="UTC")
    assert logs.loc["PCSO 2", "t_start"] == pd.Timestamp("2026-07-01 09:00", tz="UTC")
    assert logs.loc["PCSO 4", "t_start"] == pd.Timestamp("2026-07-13 21:00", tz="UTC")   # day first, BST
    assert logs.loc["PCSO 4", "street"] == "York Road"
    york = logs.loc["PCSO 4", "geometry"]
    assert york.area == pytest.approx(400 * 30 + 3.14159 * 15 ** 2, rel=1e-2)          # buffered 15 m
    assert logs.loc["PCSO 1", "geometry"].area == pytest.approx(200 * 200)
    assert rep.columns[str(path)]["wkt"] == "Area" and rep.columns[str(path)]["street"] == "Street"


def test_read_patrol_logs__epoch_seconds_and_milliseconds(tmp_path):
    path = tmp_path / "logs.csv"
    path.write_text(f'unit,start,end,area\nA,1783000000,1783003600,"{SQUARE}"\n', encoding="utf-8")
    logs = read_patrol_logs(path, working_crs=BNG).logs
    assert logs["t_end"].iloc[0] == pd.Timestamp(1783003600, unit="s", tz="UTC")
    path.write_text(f'unit,start,end,area\nA,1783000000000,1783001800000,"{SQUARE}"\n', encoding="utf-8")
    logs = read_patrol_logs(path, working_crs=BNG).logs
    assert (logs["t_end"] - logs["t_start"]).iloc[0] == pd.Timedelta(minutes=30)


def test_read_patrol_logs__streets_without_a_street_layer_is_a_message(tmp_path):
    path = tmp_path / "logs.csv"
    path.write_text("unit,start,end,street\nA,2026-01-12 10:00,2026-01-12 11:00,York Road\n", encoding="utf-8")
    with pytest.raises(BeatwiseError, match=r"name a street \(e.g. 'York Road'\).*--streets LAYER"):
        read_patrol_logs(path, working_crs=BNG)


def test_read_patrol_logs__no_start_column_names_the_columns(tmp_path):
    path = tmp_path / "logs.csv"
    path.write_text(f'unit,when,area\nA,2026-01-12 10:00,"{SQUARE}"\n', encoding="utf-8")
    with pytest.raises(BeatwiseError, match="no start, end column found.*Columns found: unit, when, area"):
        read_patrol_logs(path, working_crs=BNG)


def test_read_patrol_logs__wgs84_wkt_is_detected_and_projected(tmp_path):
    path = tmp_path / "logs.tsv"
    wkt = "POLYGON((0.714 51.5355, 0.7255 51.5355, 0.7255 51.5372, 0.714 51.5372, 0.714 51.5355))"
    path.write_text(f"officer\ttime on\ttime off\twkt\nPC 1\t2026-01-12 10:00\t2026-01-12 11:00\t{wkt}\n",
                    encoding="utf-8")
    r = read_patrol_logs(path, LogMapping(start="time on", end="time off"), working_crs=BNG)
    xmin, ymin, xmax, ymax = r.logs.total_bounds
    assert 580_000 < xmin < xmax < 590_000 and 185_000 < ymin < ymax < 188_000   # Southend, in metres


def test_read_patrol_logs__polygon_layer(tmp_path):
    path = tmp_path / "logs.gpkg"
    gpd.GeoDataFrame({"unit": ["A", "B"], "start": ["2026-01-12 10:00", "2026-01-12 13:00"],
                      "end": ["2026-01-12 11:00", "2026-01-12 12:00"]},
                     geometry=[box(0, 0, 100, 100), box(0, 0, 50, 50)], crs=BNG).to_file(path, driver="GPKG")
    r = read_patrol_logs(path, working_crs=BNG)
    assert r.report.rows_read == 2 and r.report.accepted == 1
    assert r.report.rejected[0].row == 2 and r.report.rejected[0].reason == "end is not after start"


def test_detect_log_columns__by_name_and_wkt_by_value():
    head = pd.DataFrame({"Radio ID": ["1"], "Start time": ["2026-01-12 10:00"], "End time": ["x"],
                         "Area": ["Beat 3"], "Location": ["York Road"]})
    assert detect_log_columns(list(head.columns), head) == {
        "unit": "Radio ID", "start": "Start time", "end": "End time", "street": "Location"}
    head["Area"] = [SQUARE]
    assert detect_log_columns(list(head.columns), head)["wkt"] == "Area"


def test_read_patrol_logs__xlsx_with_streets_and_no_source_name(tmp_path):
    path = tmp_path / "logs.xlsx"
    pd.DataFrame({"Officer": ["PC 1", "PC 2"], "Start": ["2026-01-12 10:00", "2026-01-12 10:00"],
                  "End": ["2026-01-12 10:45", "2026-01-12 11:00"], "Road": ["york road", "Mill Lane"]}).to_excel(
        path, index=False)
    r = read_patrol_logs(path, working_crs=BNG, street_area=_streets())
    assert r.report.accepted == 1 and r.logs["street"].iloc[0] == "york road"
    assert r.report.rejected[0].row == 3 and r.report.rejected[0].reason == (
        "unknown street 'Mill Lane' (not in the street layer)")
