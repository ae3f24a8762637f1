"""Streets ranked by incidents (per 100 m with a street layer), and one street's profile.

A street is as :mod:`analysis.hotspots.streets` matches it: *(name, area)* by location text, or a
street layer's name when snapping. Counts are incident rows (``incidents``); lengths come from the
street layer in metres of the working CRS; ``per_100m = incidents / (length_m / 100)``. A street's
profile adds its hour x weekday matrix (:mod:`analysis.temporal.matrix`) and its share of its
area's incidents.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.hotspots.streets import (DEFAULT_MAX_DISTANCE_M, POLICE_UK_PLACES, StreetAssignment, StreetLayer,
                                       area_mask, area_series, assign_streets, display_spellings, name_key, name_keys,
                                       select_area, street_mask)
from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from analysis.temporal.matrix import TemporalProfile, crime_type_series, hour_weekday_matrix, month_series


@dataclass(frozen=True)
class StreetRank:
    """One street of a ranking; ``length_m``/``per_100m`` are None without street geometry."""

    name: str
    area: str
    incidents: int
    length_m: Optional[float]
    per_100m: Optional[float]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "area": self.area, "incidents": self.incidents,
                "length_m": self.length_m, "per_100m": self.per_100m}


@dataclass(frozen=True)
class StreetRanking:
    """Streets by number of incidents (largest first; ties by name).

    Attributes
    ----------
    streets : tuple of StreetRank (the top ``top`` if given).
    n_streets : int
        Streets with at least one incident (before ``top``).
    n_incidents, n_matched, n_unmatched : int
        Incidents considered (after ``area``), with a street, without one.
    n_places : int
        Matched incidents at data.police.uk place categories left out of the ranking.
    method : ``location`` or ``snap``; max_distance_m, area, top, layer_source : parameters.
    """

    streets: tuple
    n_streets: int
    n_incidents: int
    n_matched: int
    n_unmatched: int
    n_places: int
    method: str
    max_distance_m: Optional[float]
    area: Optional[str]
    top: Optional[int]
    layer_source: Optional[str]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "n_incidents": self.n_incidents, "n_matched": self.n_matched,
                "n_unmatched": self.n_unmatched, "n_places": self.n_places, "n_streets": self.n_streets,
                "max_distance_m": self.max_distance_m, "area": self.area, "top": self.top,
                "layer": self.layer_source, "streets": [s.to_dict() for s in self.streets]}


def rank_streets(incidents, *, streets: Optional[StreetLayer] = None, area: Optional[str] = None,
                 top: Optional[int] = None, max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
                 include_places: bool = False, assignment: Optional[StreetAssignment] = None,
                 progress: Optional[ProgressFn] = None) -> StreetRanking:
    """Rank streets by incidents (and per 100 m of street where a street layer gives lengths).

    With location text a street is *(name, area)*: the Southend York Road and the Colchester
    York Road are separate rows. With a street layer a street is the layer's name, ``area`` the
    most common area of its incidents and ``length_m`` the total length of its features.
    ``assignment`` (from :func:`assign_streets` on the same incidents) saves snapping twice.
    """
    if top is not None and top < 1:
        raise BeatwiseError(f"--top must be at least 1, got {top}")
    if assignment is not None and area is not None:
        keep = area_mask(incidents, area)
        assignment = assignment.subset(keep)
    incidents = select_area(incidents, area)
    if assignment is None:
        assignment = assign_streets(incidents, streets, max_distance_m, progress=scaled(progress, 0, 0.9))
    report(progress, 0.9, "Ranking streets")
    keys = assignment.key.to_numpy()
    areas = area_series(incidents).to_numpy()
    area_keys = name_keys(area_series(incidents)).to_numpy()
    ok = keys != ""
    n_places = 0
    if assignment.method == "location" and not include_places:
        place = np.isin(keys, list(POLICE_UK_PLACES))
        n_places = int(place.sum())
        ok &= ~place
    frame = pd.DataFrame({"key": keys[ok], "name": assignment.name.to_numpy()[ok],
                          "area": areas[ok], "akey": area_keys[ok]})
    rows = []
    if len(frame):
        names = display_spellings(frame["name"], frame["key"])
        if assignment.method == "location":
            area_names = display_spellings(frame["area"], frame["akey"])
            counts = frame.groupby(["key", "akey"]).size()
            for (key, akey), count in counts.items():
                rows.append(StreetRank(names[key], area_names.get(akey, ""), int(count), None, None))
        else:
            lengths = assignment.layer.lengths_m
            for key, group in frame.groupby("key"):
                main_area = group["area"].value_counts().sort_index().sort_values(
                    ascending=False, kind="stable").index[0]
                length = lengths.get(key)
                count = len(group)
                per = None if not length else float(count / (length / 100.0))
                rows.append(StreetRank(names[key], str(main_area), int(count),
                                       None if length is None else float(length), per))
    rows.sort(key=lambda r: (-r.incidents, name_key(r.name), name_key(r.area)))
    n_streets = len(rows)
    if top is not None:
        rows = rows[:top]
    report(progress, 1.0, "Done")
    return StreetRanking(
        streets=tuple(rows), n_streets=n_streets, n_incidents=len(incidents),
        n_matched=assignment.n_matched, n_unmatched=assignment.n_unmatched, n_places=n_places,
        method=assignment.method,
        max_distance_m=assignment.max_distance_m, area=area, top=top,
        layer_source=None if assignment.layer is None else assignment.layer.source)


# ---------------------------------------------------------------------------------------------
# one street's profile

@dataclass(frozen=True)
class StreetProfile:
    """One street: how many, when, what, and its share of its area.

    Attributes
    ----------
    name, area : the street (display spelling) and area ("" if unknown / several).
    incidents : int
    by_month, by_crime_type : dict (weights; see :mod:`analysis.temporal.matrix`).
    temporal : TemporalProfile
        Its hour x weekday profile (``temporal.matrix`` is None for month-only data, with the
        reason in ``temporal.message``).
    area_incidents : int
        Incidents in the same area (all given incidents if the area is unknown).
    share_of_area : float
        ``incidents / area_incidents`` (0..1).
    length_m, per_100m : float or None (street layer only).
    method : ``location`` or ``snap``; max_distance_m : parameter.
    """

    name: str
    area: str
    incidents: int
    by_month: dict
    by_crime_type: dict
    temporal: TemporalProfile
    area_incidents: int
    share_of_area: float
    length_m: Optional[float]
    per_100m: Optional[float]
    method: str
    max_distance_m: Optional[float]

    @property
    def matrix(self):
        return self.temporal.matrix

    def to_dict(self) -> dict[str, Any]:
        t = self.temporal
        return {
            "name": self.name, "area": self.area, "incidents": self.incidents,
            "by_month": dict(self.by_month), "by_crime_type": dict(self.by_crime_type),
            "matrix": None if t.matrix is None else [[float(v) for v in r] for r in t.matrix],
            "weighting": t.weighting, "peak": None if t.peak is None else t.peak.to_dict(),
            "temporal_message": t.message, "area_incidents": self.area_incidents,
            "share_of_area": self.share_of_area, "length_m": self.length_m,
            "per_100m": self.per_100m, "method": self.method, "max_distance_m": self.max_distance_m,
        }


def street_profile(incidents, name: str, *, area: Optional[str] = None,
                   streets: Optional[StreetLayer] = None,
                   max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
                   assignment: Optional[StreetAssignment] = None,
                   progress: Optional[ProgressFn] = None) -> StreetProfile:
    """Profile of street ``name`` (in ``area`` if given): counts by month and crime type, hour x
    weekday matrix where times exist, and its share of its area's incidents.

    Raises
    ------
    BeatwiseError
        Unknown street (listing the closest names), unknown area.
    """
    if assignment is None:
        assignment = assign_streets(incidents, streets, max_distance_m, progress=scaled(progress, 0, 0.8))
    mask = street_mask(incidents, name, area, assignment)
    chosen = incidents[mask]
    key = name_key(name)
    display = display_spellings(assignment.name[mask], assignment.key[mask]).get(key)
    if display is None and assignment.layer is not None:
        display = assignment.layer.display_names().get(key, name)
    areas = area_series(incidents)
    if area is not None:
        present = areas[mask][areas[mask] != ""]
        street_area = str(present.value_counts().index[0]) if len(present) else area
    else:
        present = sorted(set(areas[mask]) - {""})
        street_area = present[0] if len(present) == 1 else ""
    if area is not None and name_key(area):
        area_incidents = int(area_mask(incidents, area).sum())
    elif street_area:
        area_incidents = int((name_keys(areas) == name_key(street_area)).sum())
    else:
        area_incidents = len(incidents)
    report(progress, 0.85, "Street profile")
    temporal = hour_weekday_matrix(chosen)
    length = assignment.layer.lengths_m.get(key) if assignment.layer is not None else None
    count = int(mask.sum())
    report(progress, 1.0, "Done")
    return StreetProfile(
        name=display or name, area=street_area, incidents=count, by_month=month_series(chosen),
        by_crime_type=crime_type_series(chosen), temporal=temporal, area_incidents=area_incidents,
        share_of_area=float(count / area_incidents) if area_incidents else 0.0,
        length_m=None if length is None else float(length),
        per_100m=None if not length else float(count / (length / 100.0)),
        method=assignment.method, max_distance_m=assignment.max_distance_m)
