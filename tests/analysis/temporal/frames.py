"""Incident frames for the temporal tests, written from (start, end, precision, ...) rows."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd


def incidents(rows, crs="EPSG:27700"):
    """rows: (t_start, t_end or None, precision[, crime_type[, weight[, x, y]]])."""
    recs = []
    for i, r in enumerate(rows):
        start, end, prec = r[0], r[1], r[2]
        t0 = pd.Timestamp(start) if start else pd.NaT
        t1 = pd.Timestamp(end) if end else (t0 if prec == "minute" else pd.NaT)
        recs.append(dict(incident_id=str(i), crime_type=r[3] if len(r) > 3 else "Burglary",
                         location="", area="Southend-on-Sea", lsoa="", t_start=t0, t_end=t1,
                         time_precision=prec, weight=r[4] if len(r) > 4 else 1.0,
                         source_file="test.csv", source_row=i + 2,
                         x=r[5] if len(r) > 5 else 0.0, y=r[6] if len(r) > 6 else 0.0))
    frame = pd.DataFrame(recs)
    frame["t_start"] = frame["t_start"].astype("datetime64[ns]")
    frame["t_end"] = frame["t_end"].astype("datetime64[ns]")
    return gpd.GeoDataFrame(frame.drop(columns=["x", "y"]),
                            geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=crs)
