"""Reading GIS layers (GeoPackage, GeoJSON, Shapefile) with messages a user can act on.

One reader for every layer Beatwise opens: incident point layers, street layers, boundaries.
"""
from __future__ import annotations

import os
from pathlib import Path
from analysis.progress import BeatwiseError


def read_layer(path, crs=None, *, what: str = "GIS layer", require_crs: bool = True):
    """Read a vector layer with pyogrio, optionally reprojected to ``crs``.

    Parameters
    ----------
    path : path-like
        A GeoPackage, GeoJSON or Shapefile (any format GDAL/OGR reads).
    crs : optional
        Reproject to this CRS (anything pyproj accepts); ``None`` keeps the layer's own.
    what : str
        What the layer is, for messages ("street layer", "boundaries layer").
    require_crs : bool
        Refuse a layer without a CRS (else return it as read and let the caller decide).

    Raises
    ------
    BeatwiseError
        Missing file, unreadable file, no features, or no CRS; the message names the file.
    """
    import geopandas as gpd

    path = Path(os.fspath(path))
    if not path.exists():
        raise BeatwiseError(f"{path}: no such {what}")
    try:
        layer = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # GDAL raises many kinds for broken files
        raise BeatwiseError(f"{path}: cannot read this {what} ({exc})") from exc
    if len(layer) == 0:
        raise BeatwiseError(f"{path}: the {what} has no features")
    if layer.crs is None:
        if require_crs:
            raise BeatwiseError(f"{path}: the {what} has no coordinate system (CRS); save it with one")
        return layer
    return layer.to_crs(crs) if crs is not None else layer
