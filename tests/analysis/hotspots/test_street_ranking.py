"""Tests for analysis.hotspots.street_ranking: streets ranked by incidents (per 100 m with a layer) and one
street's profile. References: counts by hand from the rows, lengths summed by hand."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.street_ranking import rank_streets, street_profile
from analysis.hotspots.streets import filter_street, street_layer_from_frame
from analysis.progress import BeatwiseError
from analysis.temporal.matrix import hour_weekday_matrix
from tests.analysis.hotspots.street_frames import BNG, ESSEXISH, incidents, layer_frame


def test_rank_streets__location_text_by_name_and_area():
    r = rank_streets(incidents(ESSEXISH))
    rows = [(s.name, s.area, s.incidents, s.length_m, s.per_100m) for s in r.streets]
    assert rows == [("York Road", "Southend-on-Sea", 3, None, None),
                    ("High Street", "Southend-on-Sea", 1, None, None),
                    ("York Road", "Chelmsford", 1, None, None)]
    assert r.method == "location" and r.n_places == 4 and r.n_streets == 3
    top = rank_streets(incidents(ESSEXISH), top=1, include_places=True)
    assert [(s.name, s.incidents) for s in top.streets] == [("Supermarket", 4)] and top.n_places == 0
    assert rank_streets(incidents(ESSEXISH), area="chelmsford").streets[0].incidents == 1


def test_street_profile__counts_share_and_month_only_message():
    p = street_profile(incidents(ESSEXISH), "York Road", area="Southend-on-Sea")
    assert (p.name, p.area, p.incidents) == ("York Road", "Southend-on-Sea", 3)
    assert p.by_month == {"2024-01": 1.0, "2024-02": 2.0}
    assert p.by_crime_type == {"Drugs": 2.0, "Burglary": 1.0}
    assert p.area_incidents == 8 and p.share_of_area == pytest.approx(3 / 8)
    assert p.matrix is None and "only a month" in p.temporal.message
    d = p.to_dict()
    assert {"incidents", "by_month", "by_crime_type", "matrix"} <= set(d)


def test_street_profile__timed_data_has_matrix():
    g = incidents([("Victoria Avenue", "Southend", "Robbery", "2024-01-05 23:10", "minute", 0, 0),
                   ("Victoria Avenue", "Southend", "Robbery", "2024-01-12 23:40", "minute", 0, 0),
                   ("Victoria Avenue", "Southend", "Robbery", "2024-01-13 02:00", "minute", 0, 0),
                   ("London Road", "Southend", "Robbery", "2024-01-13 02:00", "minute", 0, 0)])
    p = street_profile(g, "victoria avenue")
    assert p.incidents == 3 and p.temporal.weighting == "exact"
    assert p.matrix[4, 23] == 2 and p.matrix[5, 2] == 1 and p.matrix.sum() == 3
    assert p.share_of_area == pytest.approx(3 / 4)


def test_rank_streets__with_layer_lengths_and_per_100m():
    frame = layer_frame(names=("A Street", "B Road", "a street"))   # two features of A Street
    layer = street_layer_from_frame(frame, BNG)
    g = incidents([("", "X", "Drugs", "2024-01-01", "month", 50, 5)] * 4
                  + [("", "X", "Drugs", "2024-01-01", "month", 205, 50)] * 2
                  + [("", "X", "Drugs", "2024-01-01", "month", 3, 100)] * 3)
    r = rank_streets(g, streets=layer)
    rows = [(s.name, s.incidents, s.length_m, s.per_100m) for s in r.streets]
    assert rows == [("A Street", 6, 200.0, pytest.approx(3.0)), ("B Road", 3, 100.0, pytest.approx(3.0))]
    assert r.method == "snap" and r.max_distance_m == 30.0


def test_street_profile__layer_street_without_incidents():
    layer = street_layer_from_frame(layer_frame(), BNG)
    g = incidents([("", "X", "Drugs", "2024-01-01", "month", 50, 5)])
    p = street_profile(g, "B Road", streets=layer)
    assert p.incidents == 0 and p.length_m == 100.0 and p.per_100m == 0.0
    with pytest.raises(BeatwiseError, match="closest names: B Road"):
        street_profile(g, "B Raod", streets=layer)


def test_street_profile__hour_matrix_of_the_street_selected_first():
    """The temporal module takes incidents already on the street (the dependency runs streets -> temporal)."""
    g = incidents([("On or near York Road", "Southend-on-Sea", "Drugs", "2024-01-02 08:00", "minute", 0, 0),
                   ("On or near york road", "Southend-on-Sea", "Drugs", "2024-01-02 09:00", "minute", 0, 0),
                   ("On or near High Street", "Southend-on-Sea", "Drugs", "2024-01-02 10:00", "minute", 0, 0)])
    p = hour_weekday_matrix(filter_street(g, "York Road", area="southend-on-sea"))
    assert p.n == 2 and p.matrix[1, 8] == 1 and p.matrix[1, 9] == 1 and p.matrix.sum() == 2
    np.testing.assert_array_equal(street_profile(g, "York Road", area="southend-on-sea").matrix, p.matrix)
