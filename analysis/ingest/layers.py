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

    from analysis.atomic import protect

    path = Path(os.fspath(path))
    if not path.exists():
        raise BeatwiseError(f"{path}: no such {what}")
    protect([path])
    try:
        layer = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # GDAL raises many kinds for broken files
        raise BeatwiseError(f"{path}: cannot read this {what} ({exc})") from exc
    if not isinstance(layer, gpd.GeoDataFrame):   # a table (CSV...) read by GDAL: no geometry
        raise BeatwiseError(f"{path}: this is not a GIS layer (no geometry); the {what} must be a "
                            "GeoPackage, GeoJSON or Shapefile")
    if len(layer) == 0:
        raise BeatwiseError(f"{path}: the {what} has no features")
    if layer.crs is None:
        if require_crs:
            raise BeatwiseError(f"{path}: the {what} has no coordinate system (CRS); save it with one")
        return layer
    return layer.to_crs(crs) if crs is not None else layer


def _declares_crs(path: Path) -> bool:
    """Whether a GeoJSON file has a ``crs`` member (else it is WGS84 by RFC 7946)."""
    import json

    try:
        doc = json.loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("crs") is not None


def point_layer(path, crs_option: str | None = None):
    """A GIS point layer as a table: ``(RawTable of attribute text, x, y, not_point, src_crs, warnings)``.

    The layer's own CRS is used. ``crs_option`` (``--crs``) applies when the layer has none,
    and for a GeoJSON without a ``crs`` member (which GDAL reads as WGS84, as RFC 7946 says)
    whose coordinates are plainly not degrees; a layer that declares another CRS keeps its own,
    with a warning. A GeoJSON in British National Grid with no ``crs`` member and no ``--crs``
    is read as BNG when every point fits the grid and none fits degrees, with a warning.
    """
    import numpy as np
    import pyarrow as pa

    from analysis.ingest import crs as crsmod
    from analysis.ingest.tables import RawTable

    path = Path(os.fspath(path))
    layer = read_layer(path, require_crs=False)
    warnings: list[str] = []
    geom = layer.geometry
    isnull = (geom.isna() | geom.is_empty).to_numpy()
    is_pt = np.zeros(len(layer), bool)
    is_pt[~isnull] = (geom[~isnull].geom_type == "Point").to_numpy()
    if (~is_pt & ~isnull).all():
        raise BeatwiseError(f"{path}: this is a {geom.geom_type.iloc[0]} layer; incidents must "
                            "be points")
    x = np.full(len(layer), np.nan)
    y = np.full(len(layer), np.nan)
    x[is_pt] = geom[is_pt].x.to_numpy()
    y[is_pt] = geom[is_pt].y.to_numpy()
    fin = np.isfinite(x) & np.isfinite(y)
    degrees = bool(fin.any() and np.all((np.abs(x[fin]) <= 180) & (np.abs(y[fin]) <= 90)))
    implied_wgs84 = path.suffix.lower() in (".geojson", ".json") and not _declares_crs(path)
    src = layer.crs
    if src is None or (implied_wgs84 and not degrees):
        if crs_option:
            src = crs_option
            warnings.append(f"{path.name}: the layer has no coordinate system of its own; read "
                            f"as {crs_option} (--crs)")
        elif fin.any() and not degrees and np.all(
                (x[fin] >= crsmod.BNG_X[0]) & (x[fin] <= crsmod.BNG_X[1])
                & (y[fin] >= crsmod.BNG_Y[0]) & (y[fin] <= crsmod.BNG_Y[1])):
            src = crsmod.BNG
            warnings.append(f"{path.name}: the layer has no coordinate system and its "
                            "coordinates are not degrees but fit British National Grid: read as "
                            "EPSG:27700 (give --crs to choose another)")
        elif src is None:
            src = crsmod.WGS84
            warnings.append(f"{path.name}: the layer has no CRS; read as {src}")
        else:
            raise BeatwiseError(f"{path}: the coordinates are not longitude/latitude degrees, "
                                "but the file does not say which coordinate system they are in: "
                                "give it with --crs EPSG:NNNN")
    elif crs_option and crsmod.crs_name(crs_option) != crsmod.crs_name(src):
        warnings.append(f"{path.name}: the layer declares {crsmod.crs_name(src)}; --crs "
                        f"{crs_option} is not used for it")
    attrs = layer.drop(columns=layer.geometry.name)
    header = [str(c) for c in attrs.columns]
    columns = {}
    for c in attrs.columns:
        col = attrs[c]
        s = col.astype(str).where(col.notna(), "")
        columns[str(c)] = pa.array(s.replace({"None": "", "nan": "", "NaT": ""}).tolist(),
                                   type=pa.string())
    raw = RawTable(path, header, columns, np.arange(1, len(layer) + 1, dtype=np.int64), [],
                   [], path.suffix.lower().lstrip("."))
    return raw, x, y, ~is_pt, crsmod.crs_name(src), warnings
