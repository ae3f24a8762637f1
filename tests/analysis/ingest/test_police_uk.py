"""data.police.uk files: fixed columns, month precision, made ids, districts."""
from __future__ import annotations

import pytest

from analysis.ingest import police_uk
from analysis.ingest.incidents import read_incidents
from analysis.progress import BeatwiseError

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context\n")


def test_police_uk__header_only_is_an_error(tmp_path):
    """Regression: a header-only data.police.uk file imported as 0 incidents with exit 0."""
    p = tmp_path / "2024-01-x-street.csv"
    p.write_text(HEADER, encoding="utf-8")
    with pytest.raises(BeatwiseError, match="header but no data rows"):
        read_incidents(p)


def test_made_ids_and_district(tmp_path):
    p = tmp_path / "2024-01-x-street.csv"
    p.write_text(HEADER + ",2024-01,E,E,0.7,51.5,On or near A Road,E01,Rochford 001A,Anti-social behaviour,,\n"
                 " ,2024-01,E,E,0.7,51.5,On or near A Road,E01,Rochford 001A,Anti-social behaviour,,\n",
                 encoding="utf-8")
    part = police_uk.read(p)
    assert part.data["incident_id"].to_pylist() == ["asb-2024-01-x-street-2", "asb-2024-01-x-street-3"]
    assert part.data["area"].to_pylist() == ["Rochford", "Rochford"]
    assert part.data["lsoa"].to_pylist() == ["Rochford 001A"] * 2
