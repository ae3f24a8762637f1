"""Import: data.police.uk, mapped tables, GIS layers, encodings and bad input."""
from __future__ import annotations

import glob

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.ingest import validation as v
from analysis.ingest.columns import ColumnMapping
from analysis.ingest.incidents import read_incidents
from analysis.ingest.schema import COLUMNS
from analysis.progress import BeatwiseError
from tests.conftest import shared_path

POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
                 "LSOA name,Crime type,Last outcome category,Context\n")


def police_row(cid="abc", month="2024-01", lon="0.72338", lat="51.5366",
               loc="On or near York Road", lsoa="Southend-on-Sea 014B", ctype="Drugs"):
    return f"{cid},{month},Essex Police,Essex Police,{lon},{lat},{loc},E01,{lsoa},{ctype},,\n"


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_police_uk__recognised_by_header(tmp_path):
    p = write(tmp_path, "a.csv", POLICE_HEADER + police_row() + police_row(cid="", ctype="Anti-social behaviour")
              + police_row(cid="x2", lon="", lat="", loc="No Location"))
    r = read_incidents(p)
    rep = r.report
    assert (rep.rows_read, rep.accepted, len(rep.rejected)) == (3, 2, 1)
    assert rep.rejected[0] == v.RejectedRow(str(p), 4, v.NO_COORDINATES)
    assert rep.time_precision == "month" and rep.crs == "EPSG:27700"
    inc = r.incidents
    assert list(inc.columns[:len(COLUMNS)]) == COLUMNS
    assert inc["incident_id"].iloc[1].startswith("asb-")  # generated id for ASB rows
    assert inc["area"].tolist() == ["Southend-on-Sea", "Southend-on-Sea"]
    assert inc["t_start"].iloc[0] == pd.Timestamp("2024-01-01")
    assert inc["t_end"].iloc[0] == pd.Timestamp("2024-02-01")
    # York Road snap point (0.72338, 51.5366) in British National Grid, checked against pyproj
    from pyproj import Transformer
    ex, ey = Transformer.from_crs(4326, 27700, always_xy=True).transform(0.72338, 51.5366)
    assert inc.geometry.iloc[0].x == pytest.approx(ex, abs=1e-6)
    assert inc.geometry.iloc[0].y == pytest.approx(ey, abs=1e-6)
    assert 588_000 < ex < 590_000 and 185_000 < ey < 187_000


def test_police_uk__folder_of_files(tmp_path):
    d = tmp_path / "months"
    d.mkdir()
    for m in ("01", "02"):
        write(d, f"2024-{m}-x-street.csv", POLICE_HEADER + police_row(month=f"2024-{m}") * 3)
    r = read_incidents(d)
    assert r.report.rows_read == 6 and r.report.accepted == 6
    assert sorted(r.incidents["t_start"].dt.month.unique()) == [1, 2]


def test_police_uk__essex_real_files():
    files = sorted(glob.glob(str(shared_path("police_uk") / "2024-0*-essex-street.csv")))
    assert len(files) == 4
    r = read_incidents(files)
    rep = r.report
    assert rep.rows_read == 52_837
    assert rep.accepted + len(rep.rejected) == 52_837
    assert rep.rejections == {v.NO_COORDINATES: 1394}
    assert rep.crs == "EPSG:27700"
    # every rejected row really has no coordinates in its file
    raw = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False).assign(_f=f,
                     _row=lambda d: np.arange(len(d)) + 2) for f in files])
    nocoord = raw[(raw["Longitude"] == "") | (raw["Latitude"] == "")]
    assert {(r_.file, r_.row) for r_ in rep.rejected} == set(zip(nocoord["_f"], nocoord["_row"]))
    assert any("snap" in w for w in rep.warnings)
    assert any("month only" in w for w in rep.warnings)


def test_chicago__auto_detected_minutes():
    p = shared_path("timed", "chicago_crimes_sample_2017_2019.csv")
    r = read_incidents(p)
    assert r.report.accepted + len(r.report.rejected) == r.report.rows_read == 25_000
    assert r.report.time_precision == "minute"
    cols = r.report.columns[str(p)]
    assert (cols["lon"], cols["lat"], cols["time"], cols["crime_type"]) == (
        "longitude", "latitude", "date", "primary_type")
    assert cols["location"] == "block"  # not the "(lat, lon)" location column
    raw = pd.read_csv(p, dtype=str)
    expected = pd.to_datetime(raw["date"], format="%m/%d/%Y %H:%M")
    assert (r.incidents["t_start"].to_numpy() == expected.to_numpy()).all()
    assert r.report.crs == "EPSG:32616"  # UTM 16N for Chicago, never degrees


def test_nyc__windows_and_exact_times():
    p = shared_path("timed", "nyc_motor_vehicle_thefts_2014_2017_from_to.csv")
    r = read_incidents(p)
    rep = r.report
    assert rep.accepted + len(rep.rejected) == rep.rows_read == 35_746
    assert rep.time_precision == "window"
    raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    empty_end = (raw["date_end"] == "").to_numpy()
    assert empty_end.sum() == 2852
    inc = r.incidents.set_index("source_row")
    rows = np.flatnonzero(empty_end) + 2
    sub = inc.loc[rows]
    assert (sub["time_precision"] == "minute").all()
    assert (sub["t_start"] == sub["t_end"]).all()
    wins = inc[inc["time_precision"] == "window"]
    assert (wins["t_end"] > wins["t_start"]).all()


def test_mapping__explicit_columns_and_dayfirst(tmp_path):
    p = write(tmp_path, "uk.csv", "Ref,E,N,When,Offence\nA1,589000,186000,25/12/2023 23:10,Drugs\n"
              "A2,589100,186100,03/01/2024 01:00,Drugs\n")
    r = read_incidents(p, ColumnMapping(x="E", y="N", crs="EPSG:27700", time="When",
                                        crime_type="Offence", id="Ref", dayfirst=True))
    assert r.report.accepted == 2
    assert r.incidents["t_start"].tolist() == [pd.Timestamp("2023-12-25 23:10"),
                                               pd.Timestamp("2024-01-03 01:00")]
    assert r.incidents["incident_id"].tolist() == ["A1", "A2"]
    assert r.incidents.geometry.iloc[0].x == pytest.approx(589000)


def test_mapping__ambiguous_dates_are_reported(tmp_path):
    p = write(tmp_path, "amb.csv", "lat,lon,date\n51.5,0.7,03/04/2024 10:00\n")
    r = read_incidents(p)
    assert any("ambiguous" in w for w in r.report.warnings)
    assert r.incidents["t_start"].iloc[0] == pd.Timestamp("2024-03-04 10:00")
    r2 = read_incidents(p, ColumnMapping(dayfirst=True))
    assert r2.incidents["t_start"].iloc[0] == pd.Timestamp("2024-04-03 10:00")


def test_mapping__date_and_time_of_day_columns(tmp_path):
    p = write(tmp_path, "dt.csv", "latitude,longitude,date,time\n51.5,0.7,2024-01-05,13:45\n"
              "51.5,0.7,2024-01-06,\n")
    r = read_incidents(p)
    assert r.incidents["t_start"].tolist() == [pd.Timestamp("2024-01-05 13:45"),
                                               pd.Timestamp("2024-01-06")]
    assert r.incidents["time_precision"].tolist() == ["minute", "day"]


@pytest.mark.parametrize("value,expected", [
    ("45296.5729166667", "2024-01-05 13:45"),      # Excel serial
    ("1704462300", "2024-01-05 13:45"),            # Unix epoch seconds
    ("2024-01-05T13:45:00", "2024-01-05 13:45"),   # ISO
    ("1/5/2024 13:45", "2024-01-05 13:45"),        # US M/D/YYYY
])
def test_time_formats(tmp_path, value, expected):
    p = write(tmp_path, "t.csv", f"lat,lon,time\n51.5,0.7,{value}\n")
    r = read_incidents(p)
    assert r.incidents["t_start"].iloc[0] == pd.Timestamp(expected)


def test_window__end_before_start_rejected(tmp_path):
    p = write(tmp_path, "w.csv", "lat,lon,date_start,date_end\n51.5,0.7,2024-01-05 10:00,2024-01-05 09:00\n"
              "51.5,0.7,2024-01-05 10:00,2024-01-05 12:00\n")
    r = read_incidents(p)
    assert r.report.rejected == (v.RejectedRow(str(p), 2, v.END_BEFORE_START),)
    assert r.incidents["time_precision"].tolist() == ["window"]


def test_coordinates__out_of_range_zero_and_swapped(tmp_path):
    p = write(tmp_path, "c.csv", "lat,lon,id\n95,0.7,a\n51.5,200,b\n0,0,c\n51.5,0.7,d\n")
    r = read_incidents(p)
    reasons = {x.row: x.reason for x in r.report.rejected}
    assert reasons == {2: v.LAT_OUT_OF_RANGE, 3: v.LON_OUT_OF_RANGE, 4: v.ZERO_ZERO}
    assert r.report.accepted == 1
    swapped = write(tmp_path, "s.csv", "latitude,longitude\n0.71,51.53\n0.72,51.54\n")
    r = read_incidents(swapped)
    assert any("swapped" in w for w in r.report.warnings)
    assert r.report.crs == "EPSG:27700"
    assert r.incidents.to_crs(4326).geometry.iloc[0].y == pytest.approx(51.53, abs=1e-6)


def test_encodings__bom_and_cp1252(tmp_path):
    text = "lat,lon,location\n51.5,0.7,Café £5 shop\n"
    r1 = read_incidents(write(tmp_path, "bom.csv", "\ufeff" + text, "utf-8"))
    assert r1.report.columns[str(tmp_path / "bom.csv")]["lat"] == "lat"
    r2 = read_incidents(write(tmp_path, "win.csv", text, "cp1252"))
    assert r2.incidents["location"].iloc[0] == "Café £5 shop"
    assert any("Windows-1252" in w for w in r2.report.warnings)


def test_tsv_and_xlsx(tmp_path):
    r = read_incidents(write(tmp_path, "a.tsv", "lat\tlon\tdate\n51.5\t0.7\t2024-01-05 10:00\n"))
    assert r.report.accepted == 1 and r.report.time_precision == "minute"
    df = pd.DataFrame({"Latitude": [51.5, 51.6], "Longitude": [0.7, 0.71],
                       "Date": pd.to_datetime(["2024-01-05 13:45", "2024-01-06 02:10"]),
                       "Offence": ["Drugs", "Robbery"]})
    x = tmp_path / "a.xlsx"
    df.to_excel(x, index=False)
    r = read_incidents(x)
    assert r.report.accepted == 2
    assert r.incidents["t_start"].tolist() == df["Date"].tolist()
    assert r.incidents["crime_type"].tolist() == ["Drugs", "Robbery"]
    assert r.report.rejected == ()


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_gis_layers_with_their_own_crs(tmp_path, suffix):
    gdf = gpd.GeoDataFrame({"offence": ["Drugs", "Burglary"], "date": ["2024-01-05 22:00", "2024-01-06 03:00"]},
                           geometry=[Point(589000, 186000), Point(589500, 186500)], crs="EPSG:27700")
    if suffix == ".geojson":
        gdf = gdf.to_crs(4326)
    p = tmp_path / f"layer{suffix}"
    gdf.to_file(p)
    r = read_incidents(p)
    assert r.report.accepted == 2 and r.report.crs == "EPSG:27700"
    assert r.incidents.geometry.iloc[0].x == pytest.approx(589000, abs=0.01)
    assert r.incidents["crime_type"].tolist() == ["Drugs", "Burglary"]
    assert r.report.time_precision == "minute"


def test_gis_layer__lines_refused(tmp_path):
    from shapely.geometry import LineString
    p = tmp_path / "lines.gpkg"
    gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs=27700).to_file(p)
    with pytest.raises(BeatwiseError, match="incidents must be points"):
        read_incidents(p)


def test_bad__empty_file(tmp_path):
    with pytest.raises(BeatwiseError, match=r"empty.csv: the file is empty"):
        read_incidents(write(tmp_path, "empty.csv", ""))


def test_bad__header_only(tmp_path):
    with pytest.raises(BeatwiseError, match=r"header.csv: the file has a header but no data rows"):
        read_incidents(write(tmp_path, "header.csv", "lat,lon,date\n"))


def test_bad__wrong_delimiter(tmp_path):
    with pytest.raises(BeatwiseError) as e:
        read_incidents(write(tmp_path, "spaces.csv", "lat lon date\n51.5 0.7 2024-01-01\n"))
    msg = str(e.value)
    assert "spaces.csv" in msg and "delimiter" in msg and "'lat lon date'" in msg


def test_bad__binary_renamed_csv(tmp_path):
    p = tmp_path / "photo.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(BeatwiseError, match="photo.csv: this is a binary file"):
        read_incidents(p)


def test_bad__no_coordinate_columns(tmp_path):
    with pytest.raises(BeatwiseError) as e:
        read_incidents(write(tmp_path, "nocoords.csv", "street,date\nYork Road,2024-01-01\n"))
    msg = str(e.value)
    assert "nocoords.csv" in msg and "'street', 'date'" in msg
    assert "--lon COL --lat COL" in msg and "--x COL --y COL --crs" in msg and "--wkt COL" in msg


def test_bad__every_row_invalid(tmp_path):
    p = write(tmp_path, "allbad.csv", "lat,lon\n999,0.7\nabc,def\n,\n")
    r = read_incidents(p)
    rep = r.report
    assert rep.accepted == 0 and rep.rows_read == 3 and len(rep.rejected) == 3
    assert [x.reason for x in rep.rejected] == [v.LAT_OUT_OF_RANGE, v.BAD_COORDINATES, v.NO_COORDINATES]
    assert any("every row was rejected" in w for w in rep.warnings)
    assert len(r.incidents) == 0


def test_bad__row_with_too_many_fields_is_rejected_not_dropped(tmp_path):
    p = write(tmp_path, "ragged.csv", "lat,lon,id\n51.5,0.7,a\n51.5,0.7,b,extra\n51.5,0.7,c\n")
    r = read_incidents(p)
    assert r.report.rows_read == 3 and r.report.accepted == 2
    assert r.report.rejected[0].row == 3 and "fields" in r.report.rejected[0].reason


def test_bad__missing_path(tmp_path):
    with pytest.raises(BeatwiseError, match="no such file or folder"):
        read_incidents(tmp_path / "nope.csv")


def test_bad__explicit_column_missing(tmp_path):
    p = write(tmp_path, "a.csv", "lat,lon\n51.5,0.7\n")
    with pytest.raises(BeatwiseError, match=r"column 'when' .*--time.* columns found: lat, lon"):
        read_incidents(p, ColumnMapping(time="when"))


def test_accounting_invariant_on_mixed_files(tmp_path):
    a = write(tmp_path, "a.csv", POLICE_HEADER + police_row() + police_row(lon="", lat=""))
    b = write(tmp_path, "b.csv", "lat,lon,date\n51.5,0.7,2024-01-01 10:00\n51.5,0.7,nonsense\n")
    r = read_incidents([a, b])
    rep = r.report
    assert rep.accepted + len(rep.rejected) == rep.rows_read == 4
    assert rep.time_precision == "mixed"
    assert len(r.incidents) == rep.accepted


# ---------------------------------------------------------------- preview / detection (import wizard)
def test_detect_columns__chicago_matches_the_import():
    from analysis.ingest.incidents import detect_columns, preview_rows
    p = shared_path("timed", "chicago_crimes_sample_2017_2019.csv")
    detected = detect_columns(p)
    used = read_incidents(p).report.columns[str(p)]
    assert detected == {k: c for k, c in used.items() if k != "format"}
    assert (detected["lon"], detected["lat"], detected["time"]) == ("longitude", "latitude", "date")
    head = preview_rows(p, 5)
    raw = pd.read_csv(p, dtype=str, nrows=5, keep_default_na=False)
    assert list(head.columns) == list(raw.columns)
    assert head.equals(raw)


def test_detect_columns__explicit_choice_wins_and_police_uk_fixed(tmp_path):
    from analysis.ingest.incidents import detect_columns
    p = write(tmp_path, "a.csv",
              "ref,easting,northing,date_time,offence\n1,583000,185000,2024-01-01 10:00,Drugs\n")
    expected = {"x": "easting", "y": "northing", "time": "date_time", "crime_type": "offence", "id": "ref"}
    assert detect_columns(p) == expected
    assert {k: c for k, c in read_incidents(p).report.columns[str(p)].items() if k != "format"} == expected
    swapped = detect_columns(p, ColumnMapping(id="offence", crime_type="ref"))
    assert (swapped["id"], swapped["crime_type"]) == ("offence", "ref")
    q = write(tmp_path, "b.csv", POLICE_HEADER + police_row())
    d = detect_columns(q)
    assert (d["lon"], d["time"], d["area"]) == ("Longitude", "Month", "LSOA name")


def test_detect_columns__bad_files(tmp_path):
    from analysis.ingest.incidents import detect_columns, preview_rows
    with pytest.raises(BeatwiseError, match="empty"):
        detect_columns(write(tmp_path, "e.csv", ""))
    with pytest.raises(BeatwiseError, match="no such file"):
        preview_rows(tmp_path / "missing.csv")
    with pytest.raises(BeatwiseError, match="unsupported"):
        preview_rows(write(tmp_path, "x.docx", "hello"))


def test_police_uk__fast_and_careful_readers_agree(tmp_path):
    rows = (police_row() + police_row(cid="", ctype="Anti-social behaviour", lsoa="Rochford 001A")
            + police_row(cid="x2", lon="", lat="", loc="No Location")
            + police_row(month="2024-02", loc="On or near Café Row"))
    fast = read_incidents(write(tmp_path, "fast.csv", POLICE_HEADER + rows))          # Arrow reader
    careful = read_incidents(write(tmp_path, "slow.csv", POLICE_HEADER + rows, "cp1252"))
    text = read_incidents(write(tmp_path, "text.csv", POLICE_HEADER + rows
                                + police_row(cid="x3", lon="east", lat="51.5")))    # non-numeric lon
    for r in (careful, text):
        a = fast.incidents.drop(columns=["incident_id", "source_file"])
        b = r.incidents.drop(columns=["incident_id", "source_file"]).iloc[: len(a)]
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    assert any("Windows-1252" in w for w in careful.report.warnings)  # really the careful path
    assert [x.reason for x in text.report.rejected] == [v.NO_COORDINATES, v.BAD_COORDINATES]
    assert text.report.rows_read == 5
