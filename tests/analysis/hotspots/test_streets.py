"""Tests for analysis.hotspots.streets: street matching and snapping (and, on real data, the rankings and
profiles built on them).

References: counts straight from the data.police.uk CSV text, brute-force nearest segment over
every (incident, segment) pair, lengths summed by hand.
"""
from __future__ import annotations

import glob
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA
import shapely
from shapely.geometry import LineString, Point

from analysis.progress import BeatwiseError, Cancelled
from analysis.hotspots.street_ranking import rank_streets, street_profile
from analysis.hotspots.streets import (DEFAULT_MAX_DISTANCE_M, NoStreetNames, filter_street, match_by_location,
                                       name_key, read_street_layer, snap_to_streets, street_layer_from_frame,
                                       street_name)
from tests.analysis.hotspots.street_frames import BNG, ESSEXISH, incidents, layer_frame

DATA = SHARED_DATA


def test_street_name_and_key():
    assert street_name("On or near York Road") == "York Road"
    assert street_name("  on OR near   York   Road ") == "York Road"
    assert street_name("Chalkwell Avenue") == "Chalkwell Avenue"
    assert street_name("No Location") == "" and street_name(None) == ""
    assert name_key("St. John's  Road") == name_key("st john's road")


def test_filter_street__area_separates_same_named_streets():
    g = incidents(ESSEXISH)
    on = filter_street(g, "york road", area="SOUTHEND-ON-SEA")
    assert list(on["incident_id"]) == ["0", "1", "2"]
    assert len(filter_street(g, "York Road")) == 4
    assert len(filter_street(g, "York Road", area="Chelmsford")) == 1


def test_filter_street__unknown_street_lists_closest_names():
    g = incidents(ESSEXISH)
    with pytest.raises(BeatwiseError, match=r"no street called 'Yrok Road'.*closest names: York Road"):
        filter_street(g, "Yrok Road")
    with pytest.raises(BeatwiseError, match=r"'Hihg Street' in Southend-on-Sea.*High Street"):
        street_profile(g, "Hihg Street", area="Southend-on-Sea")
    with pytest.raises(BeatwiseError, match="no similar street names"):
        filter_street(g, "Zzzzqx Boulevard")


def test_filter_street__street_not_in_area_names_the_areas_it_is_in():
    g = incidents(ESSEXISH)
    with pytest.raises(BeatwiseError, match=r"High Street.*in: Southend-on-Sea"):
        filter_street(g, "High Street", area="Chelmsford")
    with pytest.raises(BeatwiseError, match=r"no incidents in area 'Colchester'"):
        filter_street(g, "High Street", area="Colchester")


def test_match_by_location__no_location_text():
    """NoStreetNames (a BeatwiseError): the app says 'add a street layer' instead of failing."""
    g = incidents([("", "", "Drugs", "2024-01-01", "month", 0, 0)])
    with pytest.raises(NoStreetNames, match="street layer"):
        match_by_location(g)
    with pytest.raises(NoStreetNames, match="no 'location' column"):
        match_by_location(g.drop(columns=["location"]))
    assert issubclass(NoStreetNames, BeatwiseError)


# ---------------------------------------------------------------------------------------------
# street layers and snapping (hand-built)

SOUTHEND = (588000.0, 186000.0)


def test_snap_to_streets__nearest_within_distance():
    layer = street_layer_from_frame(layer_frame(), BNG)
    g = incidents([("", "X", "Drugs", "2024-01-01 10:00", "minute", 50, 10),    # 10 m from A Street
                   ("", "X", "Drugs", "2024-01-01 10:00", "minute", 5, 120),    # 5 m from B Road
                   ("", "X", "Drugs", "2024-01-01 10:00", "minute", 50, 45),    # 45 m: too far
                   ("", "X", "Drugs", "2024-01-01 10:00", "minute", 195, 50)])  # unnamed way
    a = snap_to_streets(g, layer)
    assert list(a.name) == ["A Street", "B Road", "", ""]
    np.testing.assert_allclose(a.distance_m.to_numpy()[[0, 1, 3]], [10, 5, 5])
    assert np.isnan(a.distance_m.iloc[2]) and a.segment.iloc[2] == -1
    assert a.n_matched == 2 and a.n_unmatched == 2 and a.max_distance_m == DEFAULT_MAX_DISTANCE_M
    b = snap_to_streets(g, layer, max_distance_m=50)
    # (50, 45) is 45 m from A Street and sqrt(50^2 + 5^2) = 50.25 m from B Road's end
    assert b.name.iloc[2] == "A Street" and b.distance_m.iloc[2] == pytest.approx(45)


def test_snap_to_streets__tie_prefers_named_then_first():
    frame = gpd.GeoDataFrame({"name": [None, "Second Street", "First Street"]},
                             geometry=[LineString([(0, 10), (100, 10)]),
                                       LineString([(0, -10), (100, -10)]),
                                       LineString([(0, 20), (100, 20)])], crs=BNG)
    layer = street_layer_from_frame(frame, BNG)
    g = incidents([("", "X", "Drugs", "2024-01-01", "month", 50, 0)])
    a = snap_to_streets(g, layer)
    assert a.name.iloc[0] == "Second Street" and a.distance_m.iloc[0] == 10


def test_street_layer__other_crs_is_reprojected():
    bng = layer_frame(origin=SOUTHEND)
    wgs = bng.to_crs("EPSG:4326")
    layer = street_layer_from_frame(wgs, BNG, source="osm.geojson")
    assert layer.source_crs == "EPSG:4326" and layer.segments.crs.to_epsg() == 27700
    np.testing.assert_allclose(layer.segments.geometry.length, bng.geometry.length, rtol=1e-6)
    g = incidents([("", "X", "Drugs", "2024-01-01", "month", SOUTHEND[0] + 50, SOUTHEND[1] + 10)])
    assert snap_to_streets(g, layer).distance_m.iloc[0] == pytest.approx(10, abs=1e-3)


def test_street_layer__no_names_is_a_clear_error():
    geoms = layer_frame().geometry
    with pytest.raises(BeatwiseError, match=r"has no street names.*its columns are: highway"):
        street_layer_from_frame(gpd.GeoDataFrame({"highway": ["a", "b", "c"]}, geometry=geoms,
                                                 crs=BNG), BNG, source="roads.gpkg")
    with pytest.raises(BeatwiseError, match="empty in every feature"):
        street_layer_from_frame(layer_frame(names=(None, "", None)), BNG)
    with pytest.raises(BeatwiseError, match="no column 'road'"):
        street_layer_from_frame(layer_frame(), BNG, name_column="road")


def test_street_layer__ref_used_when_unnamed_and_other_errors():
    layer = street_layer_from_frame(layer_frame(extra={"ref": [None, "A13", "B1014"]}), BNG)
    assert list(layer.segments["name"]) == ["A Street", "B Road", "B1014"]
    assert layer.n_unnamed == 0
    os_roads = gpd.GeoDataFrame({"name1": ["Victoria Avenue"]},
                                geometry=[LineString([(0, 0), (3, 4)])], crs=BNG)
    assert street_layer_from_frame(os_roads, BNG).lengths_m == {"victoria avenue": 5.0}
    with pytest.raises(BeatwiseError, match="no coordinate reference system"):
        street_layer_from_frame(layer_frame().set_crs(None, allow_override=True), BNG)
    with pytest.raises(BeatwiseError, match="no line features"):
        street_layer_from_frame(gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(0, 0)], crs=BNG), BNG)


def test_read_street_layer__files(tmp_path):
    path = tmp_path / "streets.gpkg"
    layer_frame(origin=SOUTHEND).to_crs("EPSG:4326").to_file(path, driver="GPKG")
    layer = read_street_layer(path, BNG)
    assert set(layer.lengths_m) == {"a street", "b road"} and layer.n_unnamed == 1
    assert layer.lengths_m["a street"] == pytest.approx(100, rel=1e-6)
    with pytest.raises(BeatwiseError, match="no such street layer"):
        read_street_layer(tmp_path / "missing.geojson", BNG)
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json")
    with pytest.raises(BeatwiseError, match="cannot read this street layer"):
        read_street_layer(bad, BNG)


def test_snap_to_streets__cancel_and_bad_distance():
    layer = street_layer_from_frame(layer_frame(), BNG)
    g = incidents([("", "X", "Drugs", "2024-01-01", "month", 50, 5)])

    def cancel(fraction, message):
        raise Cancelled
    with pytest.raises(Cancelled):
        snap_to_streets(g, layer, progress=cancel)
    with pytest.raises(BeatwiseError, match="positive number of metres"):
        snap_to_streets(g, layer, max_distance_m=0)


# ---------------------------------------------------------------------------------------------
# real data

def _need(*paths):
    for p in paths:
        if not Path(p).exists():
            pytest.skip(f"shared test data not present: {p}")


def test_essex__york_road_southend_is_exactly_the_81_southend_rows():
    files = sorted(glob.glob(str(DATA / "police_uk" / "2024-0*-essex-street.csv")))
    if len(files) != 4:
        pytest.skip("shared Essex data not present")
    from analysis.ingest.incidents import read_incidents
    g = read_incidents(files).incidents
    raw = pd.concat([pd.read_csv(f).assign(file=Path(f).name, line=lambda d: d.index + 2)
                     for f in files])
    raw = raw[raw["Longitude"].notna()]
    york = raw[raw["Location"] == "On or near York Road"]
    southend = york[york["LSOA name"].str.startswith("Southend-on-Sea")]
    assert len(southend) == 81 and len(york) > 81   # other districts have York Roads too
    on = filter_street(g, "York Road", area="Southend-on-Sea")
    assert len(on) == 81
    got_lines = set(zip(on["source_file"].map(lambda f: Path(f).name), on["source_row"].astype(int)))
    assert got_lines == set(zip(southend["file"], southend["line"]))
    p = street_profile(g, "York Road", area="Southend-on-Sea")
    assert p.incidents == 81
    assert p.by_month == {k: float(v) for k, v in southend.groupby("Month").size().items()}
    assert p.by_crime_type == pytest.approx(
        {k: float(v) for k, v in southend.groupby("Crime type").size().items()})
    n_southend = raw["LSOA name"].str.startswith("Southend-on-Sea").sum()
    assert p.share_of_area == pytest.approx(81 / n_southend)
    ranking = rank_streets(g)
    york_rows = {s.area: s.incidents for s in ranking.streets if s.name == "York Road"}
    ref = york.assign(district=york["LSOA name"].str.rsplit(" ", n=1).str[0]).groupby("district").size()
    assert york_rows == ref.to_dict()


def test_rutland__snapping_agrees_with_brute_force_nearest_segment():
    inc_path = DATA / "police_uk" / "2024-01_to_2024-04-rutland-street.csv"
    layer_path = DATA / "streets" / "rutland_highways.geojson"
    _need(inc_path, layer_path)
    from analysis.ingest.incidents import read_incidents
    g = read_incidents([inc_path]).incidents
    layer = read_street_layer(layer_path, g.crs)
    a = snap_to_streets(g, layer)
    # brute force: every incident against every feature, reprojected independently
    raw = gpd.read_file(layer_path).to_crs(g.crs)
    assert len(raw) == len(layer.segments) == 4461
    names = raw["name"].fillna("").astype(str).str.strip()
    refs = raw["ref"].fillna("").astype(str).str.strip()
    names = names.where(names != "", refs).to_numpy()
    d = shapely.distance(g.geometry.to_numpy()[:, None], raw.geometry.to_numpy()[None, :])
    dmin = d.min(axis=1)
    within = dmin <= 30.0
    assert within.sum() > 300  # most police.uk snap points sit on a street
    np.testing.assert_array_equal(a.segment.to_numpy() >= 0, within)
    np.testing.assert_allclose(a.distance_m.to_numpy()[within], dmin[within], atol=1e-6)
    got = a.name.to_numpy()
    checked = 0
    for i in np.flatnonzero(within):
        tied = np.flatnonzero(d[i] <= dmin[i] + 1e-9)
        tied_names = {names[j] for j in tied}
        named = [names[j] for j in tied if names[j]]
        assert got[i] == (named[0] if named else "") or got[i] in tied_names
        checked += len(tied_names) == 1
    assert checked > 300
    # the ranking's lengths are the layer's lengths summed by name
    r = rank_streets(g, streets=layer)
    lengths = pd.Series(raw.geometry.length.to_numpy(), index=pd.Index(names).str.casefold())
    lengths = lengths[lengths.index != ""].groupby(level=0).sum()
    for s in r.streets[:10]:
        assert s.length_m == pytest.approx(lengths[name_key(s.name)], rel=1e-9)
        assert s.per_100m == pytest.approx(s.incidents / (s.length_m / 100))
    assert sum(s.incidents for s in r.streets) == int((got != "").sum())


def test_per_distinct__same_series_as_every_row():
    import pandas as pd

    from analysis.hotspots.streets import name_key, name_keys, per_distinct

    values = pd.Series(["On or near York  Road", "St. Mary's", "st mary's", "On or near York  Road", "",
                        "No Location"] * 5, index=range(100, 130), name="location")
    fn = lambda t: t.str.replace(".", " ", regex=False).str.strip().str.casefold()  # noqa: E731
    pd.testing.assert_series_equal(per_distinct(values, fn), fn(values))
    assert list(name_keys(values)) == [name_key(v) for v in values]
    few = pd.Series(["a", "b"], index=[7, 3])   # mostly distinct: fn runs on the rows themselves
    pd.testing.assert_series_equal(per_distinct(few, fn), fn(few))
