"""Step 3: which column holds what. Detection from the header and a sample, and the mapping.

The mapping says what a row *is* (an incident: coordinates, times, type, id, location, area,
weight); how the table is read is :mod:`analysis.ingest.tables`' business. Explicit choices
win; the rest is matched against normalised candidate names, best first, with a look at the
sample where a name alone is ambiguous (a "location" column that holds coordinates, a "time"
column that holds whole date-times).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

import pandas as pd

from analysis.progress import BeatwiseError

# Auto-detection: normalised column name candidates, best first.
CANDIDATES = {
    "lon": ("longitude", "lon", "long", "lng", "xlon", "longitudewgs84"),
    "lat": ("latitude", "lat", "ylat", "latitudewgs84"),
    "x": ("x", "xcoordinate", "xcoord", "easting", "eastings", "east", "pointx"),
    "y": ("y", "ycoordinate", "ycoord", "northing", "northings", "north", "pointy"),
    "wkt": ("wkt", "geometry", "geom", "thegeom", "shape"),
    "start": ("datestart", "startdate", "start", "from", "datefrom", "fromdate", "startdatetime",
              "occurredfrom", "committedfrom", "firstdate"),
    "end": ("dateend", "enddate", "end", "to", "dateto", "todate", "enddatetime", "occurredto",
            "committedto", "lastdate"),
    "time": ("datetime", "date", "datetimeoccurred", "occurred", "occurreddate", "timestamp",
             "incidentdate", "reporteddate", "datesingle", "dateofoffence", "offencedate",
             "eventdate", "calldate", "created"),
    "time_of_day": ("time", "timeofday", "hour", "incidenttime", "occurredtime"),
    "crime_type": ("crimetype", "primarytype", "offencetype", "offensetype", "offence", "offense",
                   "category", "type", "crime", "incidenttype", "calltype", "offencedescription"),
    "id": ("incidentid", "crimeid", "id", "uid", "casenumber", "reference", "ref", "crimeref",
           "incidentnumber", "eventid", "objectid"),
    "location": ("location", "address", "street", "streetname", "block", "road", "locationname"),
    "area": ("area", "lsoaname", "district", "ward", "beat", "neighbourhood", "neighborhood",
             "sector", "communityarea", "borough"),
}
MAPPING_FIELDS = ("lon", "lat", "x", "y", "wkt", "time", "date", "time_of_day", "start", "end",
                  "crime_type", "id", "location", "area", "weight")


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns hold what; ``None`` means auto-detect.

    Exactly one way of giving coordinates applies: ``lon``+``lat`` (WGS84), ``x``+``y``
    with ``crs``, or ``wkt`` (with ``crs``, default WGS84). Times: ``time`` (one column),
    ``date``+``time_of_day``, or ``start``+``end`` (windows; an empty end is an exact time).
    """

    lon: Optional[str] = None
    lat: Optional[str] = None
    x: Optional[str] = None
    y: Optional[str] = None
    crs: Optional[str] = None
    wkt: Optional[str] = None
    time: Optional[str] = None
    date: Optional[str] = None
    time_of_day: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None
    crime_type: Optional[str] = None
    id: Optional[str] = None
    location: Optional[str] = None
    area: Optional[str] = None
    weight: Optional[str] = None
    dayfirst: Optional[bool] = None
    sheet: Optional[str] = None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if getattr(self, k) is not None}


def norm(name: str) -> str:
    """A column name for matching: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def resolve(columns: Sequence[str], mapping: ColumnMapping, frame: pd.DataFrame | None) -> dict:
    """Resolve the mapping against actual column names (explicit names win, else candidates)."""
    by_norm = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    chosen: dict[str, str] = {}
    for key in MAPPING_FIELDS:
        given = getattr(mapping, key)
        if given is not None:
            if given not in columns:
                match = by_norm.get(norm(given))
                if match is None:
                    raise BeatwiseError(f"column {given!r} (given for --{key.replace('_', '-')}) is "
                                        f"not in the file; columns found: {', '.join(map(str, columns))}")
                given = match
            chosen[key] = given
    explicit = set(chosen)

    def pick(key):
        for cand in CANDIDATES.get(key, ()):
            col = by_norm.get(cand)
            if col is not None and col not in chosen.values():
                if key == "location" and frame is not None and _looks_like_coords(frame[col]):
                    continue
                return col
        return None

    coord_given = explicit & {"lon", "lat", "x", "y", "wkt"}
    if not coord_given:
        lon, lat = pick("lon"), pick("lat")
        if lon and lat:
            chosen.update(lon=lon, lat=lat)
        else:
            x, y = pick("x"), pick("y")
            if x and y:
                chosen.update(x=x, y=y)
            else:
                w = pick("wkt")
                if w:
                    chosen["wkt"] = w
    time_given = explicit & {"time", "date", "time_of_day", "start", "end"}
    if not time_given:
        s, e = pick("start"), pick("end")
        if s:
            chosen["start"] = s
            if e:
                chosen["end"] = e
        else:
            t = pick("time")
            if not t:  # a column called "time" that holds whole date-times
                tod = pick("time_of_day")
                if tod and frame is not None and not _looks_like_time_of_day(frame[tod]):
                    t = tod
            if t:
                chosen["time"] = t
                tod = pick("time_of_day")
                if tod and frame is not None and _looks_like_time_of_day(frame[tod]):
                    chosen.pop("time")
                    chosen.update(date=t, time_of_day=tod)
    elif "date" in chosen and "time" in chosen and "time_of_day" not in chosen:
        chosen["time_of_day"] = chosen.pop("time")
    for key in ("crime_type", "id", "location", "area"):
        if key not in chosen:
            col = pick(key)
            if col:
                chosen[key] = col
    return chosen


def _looks_like_coords(col: pd.Series) -> bool:
    sample = col.astype(str).head(50)
    return bool(sample.str.match(r"^\s*[\(\[]?\s*-?\d+\.\d+\s*,\s*-?\d+\.\d+").mean() > 0.5)


def _looks_like_time_of_day(col: pd.Series) -> bool:
    sample = col.astype(str).str.strip().head(200)
    sample = sample[sample != ""]
    return len(sample) > 0 and bool(sample.str.match(r"^\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp][Mm])?$|^\d{4}$").mean() > 0.8)

