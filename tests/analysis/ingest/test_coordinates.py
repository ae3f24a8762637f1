"""Step 4: coordinates from the mapped columns, with a reason per bad row."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.ingest import validation as v
from analysis.ingest.coordinates import coordinates
from analysis.ingest.incidents import read_incidents
from analysis.ingest.tables import read_table
from analysis.progress import BeatwiseError


def raw_of(tmp_path, text, numbers=()):
    p = tmp_path / "c.csv"
    p.write_text(text, encoding="utf-8")
    return read_table(p, numbers=numbers)


def test_decimal_commas__read_where_unambiguous(tmp_path):
    """Regression: decimal commas ('51,53') were rejected as 'not numbers'."""
    p = tmp_path / "dc.csv"
    p.write_text('lat;lon;id\n51,53;0,71;a\n51,54;0,72;b\n', encoding="utf-8")
    r = read_incidents(p)
    assert r.report.accepted == 2
    ll = r.incidents.to_crs(4326).geometry
    assert ll.iloc[0].y == pytest.approx(51.53, abs=1e-7) and ll.iloc[1].x == pytest.approx(0.72, abs=1e-7)
    assert any("decimal commas" in w for w in r.report.warnings)


def test_decimal_comma__three_digits_could_be_thousands_rejected(tmp_path):
    raw = raw_of(tmp_path, 'x;y\n583,000;185,000\n583,5;185,2\n', numbers=["x", "y"])
    reasons = np.full(len(raw), "", dtype=object)
    xy = coordinates(raw, {"x": "x", "y": "y"}, "EPSG:27700", reasons)
    assert reasons[0] == v.AMBIGUOUS_COMMA and reasons[1] == ""
    assert xy.x[1] == pytest.approx(583.5)


def test_bng_guessed_and_degrees_guessed(tmp_path):
    raw = raw_of(tmp_path, "x,y\n583000,185000\n584000,186000\n", numbers=["x", "y"])
    xy = coordinates(raw, {"x": "x", "y": "y"}, None, np.full(2, "", dtype=object))
    assert xy.src_crs == "EPSG:27700" and "British National Grid" in xy.warnings[0]
    raw = raw_of(tmp_path, "x,y\n0.7,51.5\n", numbers=["x", "y"])
    assert coordinates(raw, {"x": "x", "y": "y"}, None, np.full(1, "", dtype=object)).src_crs == "EPSG:4326"
    raw = raw_of(tmp_path, "x,y\n5e6,9e6\n", numbers=["x", "y"])
    with pytest.raises(BeatwiseError, match="add --crs"):
        coordinates(raw, {"x": "x", "y": "y"}, None, np.full(1, "", dtype=object))


def test_wkt_points_and_non_points(tmp_path):
    raw = raw_of(tmp_path, 'wkt\n"POINT (0.7 51.5)"\n"LINESTRING (0 0, 1 1)"\n\n"garbage"\n')
    reasons = np.full(len(raw), "", dtype=object)
    xy = coordinates(raw, {"wkt": "wkt"}, None, reasons)
    assert xy.x[0] == pytest.approx(0.7) and reasons.tolist() == ["", v.BAD_GEOMETRY, v.BAD_GEOMETRY]


def test_unknown_crs_is_a_message(tmp_path):
    raw = raw_of(tmp_path, "x,y\n1,2\n", numbers=["x", "y"])
    with pytest.raises(BeatwiseError, match="unknown coordinate system 'EPSG:999999'"):
        coordinates(raw, {"x": "x", "y": "y"}, "EPSG:999999", np.full(1, "", dtype=object))
