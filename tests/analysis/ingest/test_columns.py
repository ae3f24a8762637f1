"""Step 3: which column holds what."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.ingest.columns import ColumnMapping, norm, resolve
from analysis.progress import BeatwiseError


def test_detection_by_name():
    cols = ["Crime Ref", "Easting", "Northing", "Date/Time", "Offence"]
    assert resolve(cols, ColumnMapping(), None) == {
        "x": "Easting", "y": "Northing", "time": "Date/Time", "crime_type": "Offence", "id": "Crime Ref"}


def test_date_and_time_of_day_pair_from_the_sample():
    frame = pd.DataFrame({"lat": ["51.5"], "lon": ["0.7"], "date": ["2024-01-05"], "time": ["13:45"]})
    got = resolve(list(frame.columns), ColumnMapping(), frame)
    assert (got["date"], got["time_of_day"]) == ("date", "time")


def test_location_holding_coordinates_is_not_a_street():
    frame = pd.DataFrame({"lat": ["41.8"], "lon": ["-87.6"], "location": ["(41.8, -87.6)"], "block": ["0 W X ST"]})
    assert resolve(list(frame.columns), ColumnMapping(), frame)["location"] == "block"


def test_explicit_choice_wins_and_names_are_matched_loosely():
    got = resolve(["LAT", "LON", "when"], ColumnMapping(time="When"), None)
    assert got["time"] == "when"
    with pytest.raises(BeatwiseError, match=r"column 'nope' \(given for --time\)"):
        resolve(["a"], ColumnMapping(time="nope"), None)
    assert norm(" Date/Time ") == "datetime"
