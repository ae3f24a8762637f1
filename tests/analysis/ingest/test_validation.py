"""The import report and its accounting invariant."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from analysis.ingest import validation as v


def test_report__invariant_enforced():
    with pytest.raises(AssertionError, match="accounting"):
        v.ImportReport(files=("a",), rows_read=3, accepted=1, rejected=(v.RejectedRow("a", 2, "x"),))


def test_report__rejections_and_rejects_csv(tmp_path):
    rej = (v.RejectedRow("a.csv", 3, v.NO_COORDINATES), v.RejectedRow("a.csv", 5, v.NO_COORDINATES),
           v.RejectedRow("b.csv", 2, v.BAD_TIME))
    r = v.ImportReport(files=("a.csv", "b.csv"), rows_read=10, accepted=7, rejected=rej)
    assert r.rejections == {v.NO_COORDINATES: 2, v.BAD_TIME: 1}
    d = r.to_dict()
    assert (d["rows_read"], d["accepted"], d["rejected"]) == (10, 7, 3)
    out = r.write_rejects(tmp_path / "rej.csv")
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["file", "row", "reason"] and rows[1] == ["a.csv", "3", v.NO_COORDINATES]
    assert len(rows) == 4


def test_coordinate_reasons__first_reason_wins():
    lon = np.array([0.7, np.nan, 0.7, 200, 0, 0.7])
    lat = np.array([51.5, np.nan, 95, 51.5, 0, 51.5])
    missing = np.array([False, True, False, False, False, False])
    reasons = np.full(6, "", dtype=object)
    v.coordinate_reasons(lon, lat, missing, reasons)
    assert list(reasons) == ["", v.NO_COORDINATES, v.LAT_OUT_OF_RANGE, v.LON_OUT_OF_RANGE,
                             v.ZERO_ZERO, ""]
