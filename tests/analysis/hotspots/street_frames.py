"""Incident and street-layer frames for the street tests."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

BNG = "EPSG:27700"


def incidents(rows, crs=BNG):
    """rows: (location, area, crime_type, t_start, precision, x, y)."""
    recs = []
    for i, (loc, area, ctype, t, prec, x, y) in enumerate(rows):
        t0 = pd.Timestamp(t) if t else pd.NaT
        if prec == "month":
            t1 = t0 + pd.offsets.MonthBegin(1)
        else:
            t1 = t0
        recs.append(dict(incident_id=str(i), crime_type=ctype, location=loc, area=area,
                         lsoa=f"{area} 001A" if area else "", t_start=t0, t_end=t1,
                         time_precision=prec, weight=1.0, source_file="t.csv", source_row=i + 2,
                         x=x, y=y))
    f = pd.DataFrame(recs)
    f["t_start"] = f["t_start"].astype("datetime64[ns]")
    f["t_end"] = f["t_end"].astype("datetime64[ns]")
    return gpd.GeoDataFrame(f.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(f.x, f.y), crs=crs)


ESSEXISH = [
    ("On or near York Road", "Southend-on-Sea", "Drugs", "2024-01-01", "month", 0, 0),
    ("On or near YORK  ROAD", "southend-on-sea", "Burglary", "2024-02-01", "month", 0, 0),
    ("On or near York Road", "Southend-on-Sea", "Drugs", "2024-02-01", "month", 0, 0),
    ("On or near York Road", "Chelmsford", "Drugs", "2024-01-01", "month", 0, 0),
    ("On or near High Street", "Southend-on-Sea", "Drugs", "2024-01-01", "month", 0, 0),
    ("On or near Supermarket", "Southend-on-Sea", "Shoplifting", "2024-01-01", "month", 0, 0),
    ("On or near Supermarket", "Southend-on-Sea", "Shoplifting", "2024-01-01", "month", 0, 0),
    ("On or near Supermarket", "Southend-on-Sea", "Shoplifting", "2024-01-01", "month", 0, 0),
    ("On or near Supermarket", "Southend-on-Sea", "Shoplifting", "2024-01-01", "month", 0, 0),
]


def layer_frame(crs=BNG, names=("A Street", "B Road", None), extra=None, origin=(0.0, 0.0)):
    ox, oy = origin
    geoms = [LineString([(ox, oy), (ox + 100, oy)]), LineString([(ox, oy + 50), (ox, oy + 150)]),
             LineString([(ox + 200, oy), (ox + 200, oy + 100)])]
    data = {"name": list(names)}
    if extra:
        data.update(extra)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=crs)
