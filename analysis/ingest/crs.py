"""Choosing and converting to the working CRS.

All distances in Beatwise are computed in a projected CRS in metres: British
National Grid (EPSG:27700) for data in Great Britain, else the WGS84 UTM zone of
the data's median longitude (EPSG:326zz north, 327zz south). Never degrees.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from pyproj import CRS, Transformer

from analysis.progress import BeatwiseError

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
# Great Britain (not Ireland or Northern Ireland, which have their own grids) as a few
# lon/lat bands, each (lat_min, lat_max, lon_min, lon_max): coarse, but it keeps Dublin and
# Belfast out and Cornwall, Anglesey, Kintyre and the Hebrides in.
GB_BANDS = ((49.8, 51.4, -6.5, 1.9), (51.4, 54.0, -5.4, 1.9), (54.0, 55.3, -5.3, 0.5),
            (55.3, 61.0, -8.8, 0.5))
GB_LON = (-8.8, 2.0)
GB_LAT = (49.8, 61.0)
# British National Grid easting/northing ranges.
BNG_X = (0.0, 700_000.0)
BNG_Y = (0.0, 1_300_000.0)


def in_great_britain(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean mask: points inside Great Britain (coarse lon/lat bands, see ``GB_BANDS``)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    inside = np.zeros(lon.shape, dtype=bool)
    for la0, la1, lo0, lo1 in GB_BANDS:
        inside |= (lat >= la0) & (lat < la1) & (lon >= lo0) & (lon <= lo1)
    return inside


def working_crs_for(lon: np.ndarray, lat: np.ndarray) -> str:
    """The working CRS for points given in WGS84 degrees.

    Parameters
    ----------
    lon, lat : ndarray
        WGS84 longitude and latitude (degrees).

    Returns
    -------
    str
        ``"EPSG:27700"`` when most points lie in Great Britain, else the UTM zone
        (EPSG:326zz / 327zz) of the median longitude and latitude.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size == 0:
        raise BeatwiseError("no points to choose a coordinate system for")
    if np.mean(in_great_britain(lon, lat)) >= 0.5:
        return BNG
    mlon = float(np.median(lon))
    mlat = float(np.median(lat))
    zone = int(np.floor((mlon + 180.0) / 6.0)) % 60 + 1
    return f"EPSG:{32600 + zone if mlat >= 0 else 32700 + zone}"


def check_projected(crs) -> CRS:
    """Raise a BeatwiseError unless ``crs`` is a projected CRS in metres."""
    if crs is None:
        raise BeatwiseError("the data has no coordinate system (CRS); say which one it is in")
    c = CRS.from_user_input(crs)
    if not c.is_projected:
        raise BeatwiseError(
            f"the data is in {c.to_string()} (degrees): distances would be wrong. "
            "Reproject to a metre-based CRS first (Beatwise does this on import)."
        )
    unit = c.axis_info[0].unit_name if c.axis_info else ""
    if unit not in ("metre", "meter", "m"):
        raise BeatwiseError(f"the data's CRS {c.to_string()} is in {unit}, not metres")
    return c


PARALLEL_MIN_POINTS = 200_000


def transform(x: np.ndarray, y: np.ndarray, src, dst) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays from ``src`` to ``dst`` (always x/lon first).

    Large arrays are split over the CPU cores (PROJ releases the GIL; each thread gets its
    own Transformer, which is not thread-safe).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if CRS.from_user_input(src) == CRS.from_user_input(dst):
        return x, y
    workers = min(os.cpu_count() or 1, 4)
    if len(x) < PARALLEL_MIN_POINTS or workers < 2:
        return Transformer.from_crs(src, dst, always_xy=True).transform(x, y)
    bounds = np.linspace(0, len(x), workers + 1).astype(int)
    ox = np.empty_like(x)
    oy = np.empty_like(y)

    def part(i):
        a, b = bounds[i], bounds[i + 1]
        t = Transformer.from_crs(src, dst, always_xy=True)
        ox[a:b], oy[a:b] = t.transform(x[a:b], y[a:b])

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(part, range(workers)))
    return ox, oy


def points(x: np.ndarray, y: np.ndarray, crs):
    """A GeoSeries of points, built over the CPU cores for large arrays (GEOS releases the GIL)."""
    return geoseries(point_array(x, y), crs)


def geoseries(shapes: np.ndarray, crs):
    """A GeoSeries of an object array of shapely geometries, taken as it is."""
    import geopandas as gpd
    from geopandas.array import GeometryArray

    # GeometryArray takes the shapely array as it is (GeoSeries(ndarray) re-checks every item)
    return gpd.GeoSeries(GeometryArray(shapes, crs=crs))


def point_array(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """An object array of shapely points, built over the CPU cores for large arrays."""
    import shapely

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    workers = min(os.cpu_count() or 1, 4)
    if len(x) < PARALLEL_MIN_POINTS or workers < 2:
        out = shapely.points(x, y)
    else:
        bounds = np.linspace(0, len(x), workers + 1).astype(int)
        out = np.empty(len(x), dtype=object)

        def part(i):
            a, b = bounds[i], bounds[i + 1]
            out[a:b] = shapely.points(x[a:b], y[a:b])

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(part, range(workers)))
    return out


def to_working(gdf, crs: str | None = None):
    """Reproject a GeoDataFrame to ``crs`` or to the working CRS chosen for its points."""
    if gdf.crs is None:
        raise BeatwiseError("the layer has no coordinate system (CRS)")
    if crs is None:
        geo = gdf.to_crs(WGS84) if not CRS.from_user_input(gdf.crs).is_geographic else gdf
        c = geo.geometry.centroid if not (geo.geom_type == "Point").all() else geo.geometry
        crs = working_crs_for(np.asarray(c.x), np.asarray(c.y))
    return gdf.to_crs(crs)


def crs_name(crs) -> str:
    """``"EPSG:27700"`` style name of a CRS (authority code when there is one)."""
    c = CRS.from_user_input(crs)
    auth = c.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else c.to_string()
