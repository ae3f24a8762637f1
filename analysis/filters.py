"""Filters shared by every analysis: crime types, date range, area and polygon.

One :class:`Filters` value is held by the app and passed to every panel's analysis, so
the hotspot map, the heatmap and the shift plan always describe the same incidents.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.progress import BeatwiseError


@dataclass(frozen=True)
class Filters:
    """Which incidents an analysis uses.

    Attributes
    ----------
    crime_types : tuple of str
        Keep these crime types (case-insensitive); empty keeps all.
    date_from, date_to : date or None
        Keep incidents whose time starts on or after ``date_from`` and before the end of
        ``date_to`` (both inclusive days). Month-only rows are kept when their month
        overlaps the range.
    area : str or None
        Keep incidents whose ``area`` (district) or ``lsoa`` starts with this text
        (case-insensitive), e.g. ``"Southend-on-Sea"``.
    polygon : shapely geometry or None
        Keep incidents inside (or on the boundary of) this polygon, in the incidents' CRS.
    """

    crime_types: tuple[str, ...] = ()
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    area: Optional[str] = None
    polygon: object = None

    def is_empty(self) -> bool:
        return not (self.crime_types or self.date_from or self.date_to or self.area
                    or self.polygon is not None)

    def describe(self) -> str:
        """Plain-English description for reports, e.g. 'Drugs; 2024-01-01 to 2024-03-31'."""
        parts = []
        if self.crime_types:
            parts.append(", ".join(self.crime_types))
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or 'start'} to {self.date_to or 'end'}")
        if self.area:
            parts.append(f"area {self.area}")
        if self.polygon is not None:
            parts.append("inside the selected polygon")
        return "; ".join(parts) if parts else "all incidents"

    def to_dict(self) -> dict:
        return {"crime_types": list(self.crime_types),
                "date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None,
                "area": self.area, "polygon": self.polygon is not None}


def parse_date(text: str | date | None, what: str = "date") -> Optional[date]:
    """``YYYY-MM-DD`` (or ``YYYY-MM``, meaning its first day) to a date; BeatwiseError if not."""
    if text is None or text == "":
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    for fmt in ("%Y-%m-%d", "%Y-%m", "%d/%m/%Y"):
        try:
            return datetime.strptime(str(text).strip(), fmt).date()
        except ValueError:
            continue
    raise BeatwiseError(f"{what} {text!r} is not a date: use YYYY-MM-DD")


def apply_filters(incidents: gpd.GeoDataFrame, filters: Filters | None) -> gpd.GeoDataFrame:
    """The incidents that pass ``filters`` (a new frame; the input is not changed)."""
    if filters is None or filters.is_empty():
        return incidents
    keep = np.ones(len(incidents), dtype=bool)
    if filters.crime_types:
        wanted = {t.strip().lower() for t in filters.crime_types}
        keep &= incidents["crime_type"].str.lower().isin(wanted).to_numpy()
    if filters.date_from or filters.date_to:
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            raise BeatwiseError(f"the date range is empty: {filters.date_from} is after "
                                f"{filters.date_to}")
        t0 = incidents["t_start"].to_numpy()
        t1 = incidents["t_end"].to_numpy()
        timed = ~np.isnat(t0)
        keep &= timed
        with np.errstate(invalid="ignore"):
            if filters.date_from:
                lo = np.datetime64(filters.date_from, "ns")
                # windows and months count when they overlap the range
                keep &= np.where(t1 > t0, t1 > lo, t0 >= lo)
            if filters.date_to:
                hi = np.datetime64(filters.date_to, "ns") + np.timedelta64(1, "D")
                keep &= t0 < hi
    if filters.area:
        a = filters.area.strip().lower()
        keep &= (incidents["area"].str.lower().str.startswith(a)
                 | incidents["lsoa"].str.lower().str.startswith(a)).to_numpy()
    if filters.polygon is not None:
        import shapely

        if hasattr(incidents, "geometry"):
            keep &= incidents.geometry.intersects(filters.polygon).to_numpy()
        else:  # an incidents table without geometry (x, y columns)
            keep &= np.asarray(shapely.intersects_xy(filters.polygon, incidents["x"].to_numpy(dtype=float),
                                                     incidents["y"].to_numpy(dtype=float)), dtype=bool)
    return incidents.loc[keep]


def crime_types(incidents: pd.DataFrame) -> list[str]:
    """Crime types present, most frequent first."""
    s = incidents["crime_type"]
    return [t for t in s[s != ""].value_counts().index]


def local_day_bounds_utc(filters: Filters | None, tz: str = "Europe/London"):
    """``(lo, hi)``: the UTC instants (tz-aware Timestamps, or None) where the date range starts and
    ends, local midnight of ``date_from`` and of the day after ``date_to`` (days are local time)."""
    if filters is None:
        return None, None
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise BeatwiseError(f"the date range is empty: {filters.date_from} is after {filters.date_to}")

    def at(day):
        return pd.Timestamp(day).tz_localize(tz, nonexistent="shift_forward", ambiguous=True).tz_convert("UTC")

    lo = at(filters.date_from) if filters.date_from else None
    hi = at(filters.date_to + pd.Timedelta(days=1)) if filters.date_to else None
    return lo, hi


def filter_pings(pings, filters: Filters | None):
    """The patrol pings inside the filters' date range (local days, inclusive), a new frame.

    Only the dates apply: crime types, area names and polygons select incidents, not patrols.
    """
    lo, hi = local_day_bounds_utc(filters)
    if pings is None or (lo is None and hi is None):
        return pings
    keep = np.ones(len(pings), dtype=bool)
    if lo is not None:
        keep &= (pings["t"] >= lo).to_numpy()
    if hi is not None:
        keep &= (pings["t"] < hi).to_numpy()
    return pings.loc[keep]


def clip_logs(logs, filters: Filters | None):
    """Patrol logs cut to the filters' date range (local days, inclusive): a log crossing an edge
    keeps its part inside, a log wholly outside is left out (a new frame)."""
    lo, hi = local_day_bounds_utc(filters)
    if logs is None or (lo is None and hi is None):
        return logs
    out = logs.copy()
    if lo is not None:
        out["t_start"] = out["t_start"].where(out["t_start"] >= lo, lo)
    if hi is not None:
        out["t_end"] = out["t_end"].where(out["t_end"] <= hi, hi)
    return out.loc[(out["t_end"] > out["t_start"]).to_numpy()]
