"""Step 5: times from the mapped columns; dates that cannot be real are rejected."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ingest import validation as v
from analysis.ingest.incidents import read_incidents
from analysis.ingest.tables import read_table
from analysis.ingest.times import PRECISIONS, incident_times


def test_dates_1899_1900_2100_and_epoch_minus_one_rejected(tmp_path):
    """Regression: dates in 1899/1900/2100 and epoch -1 were accepted silently (650-month series)."""
    p = tmp_path / "d.csv"
    p.write_text("lat,lon,date\n51.5,0.7,1899-12-31 10:00\n51.5,0.7,1900-01-01\n51.5,0.7,2100-01-01\n"
                 "51.5,0.7,2024-05-01 10:00\n", encoding="utf-8")
    r = read_incidents(p)
    assert {x.row: x.reason for x in r.report.rejected} == {2: v.DATE_OUT_OF_RANGE, 3: v.DATE_OUT_OF_RANGE,
                                                           4: v.DATE_OUT_OF_RANGE}
    assert r.report.accepted == 1
    q = tmp_path / "e.csv"
    q.write_text("lat,lon,time\n51.5,0.7,-1\n51.5,0.7,1714557600\n51.5,0.7,1714561200\n", encoding="utf-8")
    r = read_incidents(q)
    assert [(x.row, x.reason) for x in r.report.rejected] == [(2, v.DATE_OUT_OF_RANGE)]


def test_precision_codes_and_spans(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("date_start,date_end\n2024-01-05 10:00,2024-01-05 12:00\n2024-01-06,\n2024-01-07 08:00,\n",
                 encoding="utf-8")
    raw = read_table(p)
    reasons = np.full(len(raw), "", dtype=object)
    warnings = []
    t0, t1, pr = incident_times(raw, {"start": "date_start", "end": "date_end"}, None, reasons, warnings)
    assert [PRECISIONS[c] for c in pr] == ["window", "day", "minute"]
    assert t1[1] - t0[1] == np.timedelta64(1, "D") and t1[2] == t0[2]
    assert any("no 'date_end'" in w for w in warnings)


def test_mixed_utc_offsets_across_dst__to_local(tmp_path):
    """Regression: '+00:00' and '+01:00' in one column (every UK export across a clock change) crashed."""
    p = tmp_path / "o.csv"
    p.write_text("lat,lon,time\n51.5,0.7,2024-03-30T23:30:00+00:00\n51.5,0.7,2024-03-31T12:00:00+01:00\n"
                 "51.5,0.7,2024-03-31T11:00:00Z\n", encoding="utf-8")
    r = read_incidents(p)
    t = r.incidents["t_start"].tolist()
    assert t == [pd.Timestamp("2024-03-30 23:30"), pd.Timestamp("2024-03-31 12:00"), pd.Timestamp("2024-03-31 12:00")]
    assert any("UTC offsets" in w and "Europe/London" in w for w in r.report.warnings)
