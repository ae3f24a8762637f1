"""Roads from an OpenStreetMap extract (``.osm.pbf`` or ``.osm``), by class, with their names.

GDAL's OSM driver (through pyogrio) reads the extract's ``lines`` layer; only ways with a
``highway`` tag are kept, cut to the map extent (a spatial filter in WGS84 around it) and
reprojected to the working CRS. Each road gets a ``road_class`` from its ``highway`` tag
(OpenStreetMap wiki, *Key:highway*), which the maps draw from wide and dark (major roads) to thin
and light (paths): :data:`ROAD_CLASSES`.
"""
from __future__ import annotations

import os
from typing import Union

import numpy as np

from analysis.progress import BeatwiseError

PathLike = Union[str, os.PathLike]

#: highway tag -> road class.
HIGHWAY_CLASS = {
    **{k: "major" for k in ("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link")},
    **{k: "secondary" for k in ("secondary", "secondary_link", "tertiary", "tertiary_link")},
    **{k: "street" for k in ("residential", "unclassified", "living_street", "road", "pedestrian", "busway")},
    **{k: "service" for k in ("service", "track")},
    **{k: "path" for k in ("footway", "path", "cycleway", "steps", "bridleway", "corridor")},
}
#: Road classes, drawn in this order (bottom first), with a line width in points and a grey (0-1,
#: 1 = white) for muted drawing under the data.
ROAD_CLASSES = {
    "path": (0.35, 0.80),
    "service": (0.45, 0.78),
    "street": (0.8, 0.70),
    "secondary": (1.3, 0.62),
    "major": (2.0, 0.55),
}
#: Margin of the spatial filter around the extent (so roads leaving the map are not cut short).
MARGIN_SHARE = 0.05


def read_osm_roads(path: PathLike, crs: str, extent: tuple[float, float, float, float]):
    """The roads of the extract at ``path`` within ``extent`` (``crs``, metres).

    Returns
    -------
    GeoDataFrame
        ``name``, ``highway``, ``road_class`` and line geometry in ``crs``; empty (with those
        columns) when no road lies in the extent.

    Raises
    ------
    BeatwiseError
        Unreadable file, or an extract with no ``lines`` layer.
    """
    import geopandas as gpd
    import pyogrio
    from pyproj import Transformer

    x0, y0, x1, y1 = extent
    mx, my = (x1 - x0) * MARGIN_SHARE, (y1 - y0) * MARGIN_SHARE
    xs = np.array([x0 - mx, x1 + mx, x1 + mx, x0 - mx])
    ys = np.array([y0 - my, y0 - my, y1 + my, y1 + my])
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    bbox = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # GDAL's message names the problem (not OSM, truncated...)
        raise BeatwiseError(f"{path}: cannot read this OpenStreetMap extract ({exc})") from None
    if "lines" not in layers:
        raise BeatwiseError(f"{path}: the extract has no 'lines' layer (found {sorted(layers)})")
    try:
        roads = pyogrio.read_dataframe(path, layer="lines", columns=["name", "highway"], bbox=bbox,
                                       where="highway IS NOT NULL")
    except Exception as exc:
        raise BeatwiseError(f"{path}: cannot read the roads of this extract ({exc})") from None
    if roads.crs is None:
        roads = roads.set_crs("EPSG:4326")
    roads = roads.to_crs(crs)
    roads["name"] = roads["name"].fillna("").astype(str)
    roads["highway"] = roads["highway"].fillna("").astype(str)
    roads["road_class"] = roads["highway"].map(HIGHWAY_CLASS).fillna("street").astype(str)
    keep = roads.geometry.notna() & ~roads.geometry.is_empty
    return gpd.GeoDataFrame(roads.loc[keep, ["name", "highway", "road_class", "geometry"]].reset_index(drop=True),
                            geometry="geometry", crs=crs)
