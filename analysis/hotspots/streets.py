"""Which street: matching incidents to streets (location text or snapping to a street layer).

Three ways to put an incident on a street:

1. **Location text** (data.police.uk): ``"On or near York Road"`` is York Road. Essex has seven
   York Roads, so a street is the pair *(name, area)*, ``area`` being the LSOA name's district
   (``Southend-on-Sea``). Matching is case-insensitive and ignores repeated spaces and full stops.
2. **A location column of force data**: mapped onto the same ``location`` column at import; any
   "On or near " prefix is dropped, the rest is the street name.
3. **Snapping** to the nearest segment of an imported street layer (GeoJSON, GeoPackage,
   Shapefile: OpenStreetMap ways, OS Open Roads links) within ``max_distance_m`` (default 30 m),
   with a shapely ``STRtree`` spatial index. The layer is reprojected to the incidents' CRS.
   A street is then the layer's name (all features with that name, case-insensitive, however
   far apart: two villages' "Main Street"s are one street, as in the layer's own naming).
   Features without a name use their road number (``ref``/``roadNumber``) if they have one;
   incidents whose nearest way has neither stay unmatched.

In location-text mode, data.police.uk's place categories ("On or near Supermarket", "Parking
Area", ... :data:`POLICE_UK_PLACES`) are not streets: rankings leave them out (counted in
``n_places``) unless ``include_places=True``; a profile of one of them can still be asked for.

Street rankings and one street's profile are :mod:`analysis.hotspots.street_ranking`.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd
import shapely

from analysis.progress import BeatwiseError, ProgressFn, report

DEFAULT_MAX_DISTANCE_M = 30.0
_PREFIX = re.compile(r"^\s*on\s+or\s+near\s+", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
NAME_COLUMNS = ("name", "name1", "road_name", "roadname", "street", "street_name", "streetname",
                "str_name", "st_name", "rd_name", "full_name", "fullname")
REF_COLUMNS = ("ref", "roadnumber", "road_number", "name2")
_LINE_TYPES = ("LineString", "MultiLineString", "LinearRing")
# data.police.uk anonymous map points that are a kind of place, not a street
# (https://data.police.uk/about/#location-anonymisation); left out of rankings unless asked for.
POLICE_UK_PLACES = frozenset(name.casefold() for name in (
    "Supermarket", "Parking Area", "Petrol Station", "Shopping Area", "Nightclub", "Police Station",
    "Hospital", "Sports/Recreation Area", "Park/Open Space", "Further/Higher Educational Building",
    "Bus/Coach Station", "Conference/Exhibition Centre", "Prison", "Motorway Service Area",
    "Theatre/Concert Hall", "Airport/Airfield", "Train Station", "Underground Station",
    "Pedestrian Subway"))


class NoStreetNames(BeatwiseError):
    """No street to match: the incidents have no location text and no street layer was given."""


# ---------------------------------------------------------------------------------------------
# names

def street_name(location: Any) -> str:
    """The street in a location text: ``"On or near York Road"`` -> ``"York Road"``."""
    if location is None or (isinstance(location, float) and np.isnan(location)):
        return ""
    text = _SPACES.sub(" ", _PREFIX.sub("", str(location))).strip()
    return "" if text.casefold() in ("no location", "nan", "none") else text


def name_key(name: Any) -> str:
    """Case- and spacing-insensitive key for a street or area name (full stops dropped)."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    return _SPACES.sub(" ", str(name).replace(".", " ")).strip().casefold()


def per_distinct(text: pd.Series, fn) -> pd.Series:
    """``fn(text)`` for a text Series without missing values and a ``fn`` that maps each value on its
    own (string methods): ``fn`` runs on the distinct values once and is read back for every row,
    the same Series (a force's incidents repeat a few thousand location texts tens of thousands of
    times, and each string method is a Python call per value)."""
    codes, uniques = pd.factorize(text, sort=False)
    if 2 * len(uniques) > len(text) or (codes < 0).any():
        return fn(text)
    done = fn(pd.Series(uniques, dtype=text.dtype, name=text.name)).take(codes)
    done.index = text.index
    return done


def name_keys(values: pd.Series) -> pd.Series:
    """:func:`name_key` of every value of a Series."""
    def keys(text: pd.Series) -> pd.Series:
        text = text.str.replace(".", " ", regex=False)
        return text.str.replace(_SPACES, " ", regex=True).str.strip().str.casefold()
    return per_distinct(values.fillna("").astype(str), keys)


def _location_names(incidents: pd.DataFrame, column: str) -> pd.Series:
    def names_of(text: pd.Series) -> pd.Series:
        names = text.str.replace(_PREFIX, "", regex=True).str.replace(_SPACES, " ", regex=True).str.strip()
        return names.where(~names.str.casefold().isin(["no location", "nan", "none"]), "")
    return per_distinct(incidents[column].fillna("").astype(str), names_of)


def display_spellings(names: pd.Series, keys: pd.Series) -> dict[str, str]:
    """key -> the most common original spelling (ties: alphabetical)."""
    frame = pd.DataFrame({"k": keys.to_numpy(), "n": names.to_numpy()})
    frame = frame[frame["k"] != ""]
    if frame.empty:
        return {}
    counts = frame.groupby(["k", "n"]).size().reset_index(name="c")
    counts = counts.sort_values(["k", "c", "n"], ascending=[True, False, True])
    return dict(zip(counts.drop_duplicates("k")["k"], counts.drop_duplicates("k")["n"]))


def area_mask(incidents: pd.DataFrame, area: Optional[str]) -> np.ndarray:
    """Rows in ``area``: the ``area`` (district) or ``lsoa`` starts with it, case-insensitive.

    The same rule as ``analysis.filters.Filters.area``, so ``--area Southend-on-Sea`` means the
    same thing to the filter and to the street match.
    """
    key = name_key(area)
    if not key:
        return np.ones(len(incidents), dtype=bool)
    mask = name_keys(area_series(incidents)).str.startswith(key).to_numpy()
    if "lsoa" in incidents.columns:
        mask = mask | name_keys(incidents["lsoa"]).str.startswith(key).to_numpy()
    return mask


def area_series(incidents: pd.DataFrame) -> pd.Series:
    """The ``area`` column as text ("" where missing or when there is no such column)."""
    if "area" in incidents.columns:
        return incidents["area"].fillna("").astype(str)
    return pd.Series([""] * len(incidents), index=incidents.index)


# ---------------------------------------------------------------------------------------------
# street layer

@dataclass(frozen=True)
class StreetLayer:
    """A street layer reprojected to the incidents' CRS.

    Attributes
    ----------
    segments : GeoDataFrame
        One row per line feature: ``name`` (display), ``key`` (match key, "" if unnamed),
        ``length_m``, geometry in ``crs``.
    crs : str
        The working CRS (the incidents').
    source_crs : str
        The layer's own CRS before reprojection.
    source : str
        File path (or "" for an in-memory layer).
    name_column : str
        Column the names came from (with ``ref_column`` as fall-back for unnamed features).
    ref_column : str or None
    n_unnamed : int
        Features with neither a name nor a road number.
    lengths_m : dict
        ``key -> total length in metres`` over all features with that name.
    """

    segments: Any = field(repr=False)
    crs: str
    source_crs: str
    source: str
    name_column: str
    ref_column: Optional[str]
    n_unnamed: int
    lengths_m: dict = field(repr=False)

    def display_names(self) -> dict[str, str]:
        return display_spellings(self.segments["name"], self.segments["key"])


def _pick_column(columns: Sequence[str], candidates: Sequence[str]) -> Optional[str]:
    lower = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def street_layer_from_frame(frame, crs, *, name_column: Optional[str] = None, source: str = "") -> StreetLayer:
    """Make a :class:`StreetLayer` from a GeoDataFrame of lines (reprojected to ``crs``).

    Raises
    ------
    BeatwiseError
        No CRS, no line features, or no street names.
    """
    label = source or "the street layer"
    if frame.crs is None:
        raise BeatwiseError(f"{label} has no coordinate reference system: save it with one "
                            "(e.g. as GeoPackage from QGIS) and import it again")
    if len(frame) == 0:
        raise BeatwiseError(f"{label} has no features")
    kinds = frame.geometry.geom_type
    lines = frame[kinds.isin(_LINE_TYPES).to_numpy()]
    if len(lines) == 0:
        found = ", ".join(sorted(set(kinds.dropna().astype(str)))) or "no geometry"
        raise BeatwiseError(f"{label} has no line features (found {found}): give a road "
                            "centre-line layer such as OpenStreetMap highways or OS Open Roads")
    columns = [c for c in lines.columns if c != lines.geometry.name]
    if name_column is not None:
        if name_column not in columns:
            raise BeatwiseError(f"{label} has no column {name_column!r}; its columns are: "
                                f"{', '.join(columns) or '(none)'}")
        name_col = name_column
    else:
        name_col = _pick_column(columns, NAME_COLUMNS)
    ref_col = _pick_column([c for c in columns if c != name_col], REF_COLUMNS)
    if name_col is None and ref_col is None:
        raise BeatwiseError(
            f"{label} has no street names: none of the columns {', '.join(NAME_COLUMNS)} "
            f"is present (its columns are: {', '.join(columns) or '(none)'}). Choose the name "
            "column explicitly (--streets-name-column) or use a layer with street names")
    names = (lines[name_col].fillna("").astype(str).str.strip() if name_col is not None
             else pd.Series([""] * len(lines), index=lines.index))
    if ref_col is not None:
        refs = lines[ref_col].fillna("").astype(str).str.strip()
        names = names.where(names != "", refs)
    names = names.str.replace(_SPACES, " ", regex=True)
    if (names == "").all():
        raise BeatwiseError(f"{label} has no street names: column {name_col or ref_col!r} is empty "
                            "in every feature. Choose another column (--streets-name-column)")
    source_crs = frame.crs.to_string()
    try:
        projected = lines.geometry.to_crs(crs)
    except Exception as exc:  # pyproj errors are varied
        raise BeatwiseError(f"could not reproject {label} from {source_crs} to {crs}: {exc}") from exc
    import geopandas as gpd
    segments = gpd.GeoDataFrame({"name": names.to_numpy(), "key": name_keys(names).to_numpy()},
                                geometry=projected.to_numpy(), crs=projected.crs)
    segments["length_m"] = segments.geometry.length.to_numpy()
    lengths = segments[segments["key"] != ""].groupby("key")["length_m"].sum()
    return StreetLayer(segments=segments, crs=segments.crs.to_string(), source_crs=source_crs,
                       source=source, name_column=name_col or ref_col, ref_column=ref_col,
                       n_unnamed=int((segments["key"] == "").sum()),
                       lengths_m={str(k): float(v) for k, v in lengths.items()})


def read_street_layer(path, crs, *, name_column: Optional[str] = None,
                      progress: Optional[ProgressFn] = None) -> StreetLayer:
    """Read a street layer (GeoJSON / GeoPackage / Shapefile, via pyogrio) into ``crs``.

    Parameters
    ----------
    path : file path.
    crs : the incidents' working CRS (anything pyproj accepts).
    name_column : the street name column; default the first of :data:`NAME_COLUMNS`
        (case-insensitive), with :data:`REF_COLUMNS` for features without a name.
    """
    from analysis.ingest.layers import read_layer

    path = os.fspath(path)
    report(progress, 0.0, f"Reading {os.path.basename(path)}")
    frame = read_layer(path, what="street layer", require_crs=False)  # the CRS check is below
    report(progress, 0.7, "Reprojecting streets")
    layer = street_layer_from_frame(frame, crs, name_column=name_column, source=path)
    report(progress, 1.0, "Streets ready")
    return layer


# ---------------------------------------------------------------------------------------------
# assignment of incidents to streets

@dataclass(frozen=True)
class StreetAssignment:
    """The street of every incident.

    Attributes
    ----------
    name, key : Series aligned with the incidents' index ("" = no street).
    distance_m : Series or None
        Distance to the snapped segment (snapping only; NaN if none within range).
    segment : Series or None
        Row position of the snapped segment in ``layer.segments`` (-1 if none).
    method : str
        ``location`` (text) or ``snap`` (street layer).
    max_distance_m : float or None
    n_matched, n_unmatched : int
    layer : StreetLayer or None
    """

    name: pd.Series = field(repr=False)
    key: pd.Series = field(repr=False)
    distance_m: Optional[pd.Series] = field(repr=False)
    segment: Optional[pd.Series] = field(repr=False)
    method: str
    max_distance_m: Optional[float]
    n_matched: int
    n_unmatched: int
    layer: Optional[StreetLayer] = field(default=None, repr=False)

    def subset(self, keep: np.ndarray) -> "StreetAssignment":
        """The assignment restricted to the rows where ``keep`` is True."""
        key = self.key[keep]
        matched = int((key != "").sum())
        return StreetAssignment(
            name=self.name[keep], key=key,
            distance_m=None if self.distance_m is None else self.distance_m[keep],
            segment=None if self.segment is None else self.segment[keep],
            method=self.method, max_distance_m=self.max_distance_m, n_matched=matched,
            n_unmatched=len(key) - matched, layer=self.layer)


def match_by_location(incidents: pd.DataFrame, column: str = "location") -> StreetAssignment:
    """Streets from location text (``"On or near York Road"`` or a force's street column)."""
    if column not in incidents.columns:
        raise NoStreetNames(f"the incidents have no {column!r} column: map a location/street "
                            "column at import or give a street layer to snap to (--streets)")
    names = _location_names(incidents, column)
    keys = name_keys(names)
    matched = int((keys != "").sum())
    if len(incidents) and matched == 0:
        raise NoStreetNames("no incident has a street in its location text: map a location/street "
                            "column at import or give a street layer to snap to (--streets)")
    return StreetAssignment(name=names, key=keys, distance_m=None, segment=None, method="location",
                            max_distance_m=None, n_matched=matched,
                            n_unmatched=len(incidents) - matched)


def snap_to_streets(incidents, layer: StreetLayer, max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
                    progress: Optional[ProgressFn] = None, chunk: int = 50_000) -> StreetAssignment:
    """Snap each incident to its nearest street segment within ``max_distance_m``.

    Uses ``shapely.STRtree.query_nearest`` (a spatial index). Ties at equal distance go to a named
    segment first, then the first in layer order. Incidents with no segment within range, or whose
    nearest segment has no name, are unmatched.
    """
    if max_distance_m is None or not np.isfinite(max_distance_m) or max_distance_m <= 0:
        raise BeatwiseError(f"the snapping distance must be a positive number of metres, got {max_distance_m}")
    if incidents.crs is None:
        raise BeatwiseError("the incidents have no CRS; import them with read_incidents")
    if incidents.crs.is_geographic:
        raise BeatwiseError("the incidents are in degrees; snapping needs a projected (metre) CRS")
    segs = layer.segments
    if segs.crs is None or not segs.crs.equals(incidents.crs):
        segs = segs.to_crs(incidents.crs)
    seg_geoms = segs.geometry.to_numpy()
    named = (segs["key"] != "").to_numpy()
    tree = shapely.STRtree(seg_geoms)
    pts = incidents.geometry.to_numpy()
    n = len(pts)
    seg_idx = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    valid = ~(shapely.is_missing(pts) | shapely.is_empty(pts)) if n else np.zeros(0, bool)
    positions = np.flatnonzero(valid)
    for lo in range(0, len(positions), chunk):
        report(progress, lo / max(len(positions), 1), "Snapping incidents to streets")
        part = positions[lo:lo + chunk]
        (inp, tre), d = tree.query_nearest(pts[part], max_distance=float(max_distance_m),
                                           return_distance=True, all_matches=True)
        if len(inp) == 0:
            continue
        # order candidates: per input, named first, then lowest segment index
        order = np.lexsort((tre, ~named[tre], inp))
        inp, tre, d = inp[order], tre[order], d[order]
        first = np.ones(len(inp), dtype=bool)
        first[1:] = inp[1:] != inp[:-1]
        seg_idx[part[inp[first]]] = tre[first]
        dist[part[inp[first]]] = d[first]
    report(progress, 1.0, "Snapped")
    hit = seg_idx >= 0
    names = np.full(n, "", dtype=object)
    keys = np.full(n, "", dtype=object)
    names[hit] = segs["name"].to_numpy()[seg_idx[hit]]
    keys[hit] = segs["key"].to_numpy()[seg_idx[hit]]
    index = incidents.index
    matched = int((keys != "").sum())
    return StreetAssignment(
        name=pd.Series(names, index=index, dtype=object), key=pd.Series(keys, index=index, dtype=object),
        distance_m=pd.Series(dist, index=index), segment=pd.Series(seg_idx, index=index),
        method="snap", max_distance_m=float(max_distance_m), n_matched=matched,
        n_unmatched=n - matched, layer=layer)


def assign_streets(incidents, streets: Optional[StreetLayer] = None,
                   max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
                   progress: Optional[ProgressFn] = None) -> StreetAssignment:
    """Snap to ``streets`` if a layer is given, else match by the ``location`` text."""
    if streets is not None:
        return snap_to_streets(incidents, streets, max_distance_m, progress=progress)
    return match_by_location(incidents)


# ---------------------------------------------------------------------------------------------
# filter

def _suggest(target: str, display: dict[str, str], n: int = 5) -> list[str]:
    keys = list(display)
    close = difflib.get_close_matches(name_key(target), keys, n=n, cutoff=0.6)
    if not close:  # also try the words in the name ("York Rd" -> the York ... streets)
        word = name_key(target).split(" ")[0] if name_key(target) else ""
        close = [k for k in keys if word and k.startswith(word + " ")][:n]
    return [display[k] for k in close]


def _no_incidents_in_area(incidents, area: str) -> BeatwiseError:
    known = sorted(set(area_series(incidents)) - {""})
    return BeatwiseError(f"no incidents in area {area!r}; areas in the data: "
                         f"{', '.join(known[:20]) or '(none)'}{' ...' if len(known) > 20 else ''}")


def select_area(incidents, area: Optional[str]):
    """The incidents in ``area`` (:func:`area_mask`); all of them when ``area`` is None or blank.

    Raises
    ------
    BeatwiseError
        If no incident is in the area, listing the areas in the data.
    """
    if area is None or not name_key(area):
        return incidents
    mask = area_mask(incidents, area)
    if not mask.any():
        raise _no_incidents_in_area(incidents, area)
    return incidents[mask]


def street_mask(incidents, name: str, area: Optional[str], assignment: StreetAssignment) -> np.ndarray:
    """Rows of ``incidents`` on street ``name`` (in ``area``), by ``assignment``; see :func:`filter_street`."""
    key = name_key(name)
    if not key:
        raise BeatwiseError("give a street name")
    on_street = (assignment.key == key).to_numpy()
    if area is not None and name_key(area):
        in_area = area_mask(incidents, area)
        mask = on_street & in_area
    else:
        in_area = np.ones(len(incidents), dtype=bool)
        mask = on_street
    if mask.any():
        return mask
    known_in_layer = (assignment.layer is not None and key in assignment.layer.lengths_m)
    if known_in_layer and area is None:
        return mask  # a real street of the layer with no incidents near it
    display = display_spellings(assignment.name, assignment.key)
    if assignment.layer is not None:
        display = {**assignment.layer.display_names(), **display}
    if area is not None and not in_area.any():
        raise _no_incidents_in_area(incidents, area)
    if on_street.any() and area is not None:
        elsewhere = sorted(set(area_series(incidents)[on_street]) - {""})
        raise BeatwiseError(
            f"no incidents on {display.get(key, name)!r} in area {area!r}; that street has incidents "
            f"in: {', '.join(elsewhere) or '(no area given)'}")
    if area is not None:
        display = display_spellings(assignment.name[in_area], assignment.key[in_area]) or display
    close = _suggest(name, display)
    where = f" in {area}" if area is not None else ""
    hint = f"; closest names: {', '.join(close)}" if close else "; no similar street names found"
    raise BeatwiseError(f"no street called {name!r}{where} in the data{hint}")


def filter_street(incidents, name: str, *, area: Optional[str] = None,
                  streets: Optional[StreetLayer] = None,
                  max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
                  assignment: Optional[StreetAssignment] = None):
    """The incidents on street ``name`` (and in ``area`` if given; both case-insensitive).

    Raises
    ------
    BeatwiseError
        If no incident is on such a street, listing the closest street names (``difflib``).
    """
    if assignment is None:
        assignment = assign_streets(incidents, streets, max_distance_m)
    return incidents[street_mask(incidents, name, area, assignment)]
