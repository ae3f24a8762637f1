"""Vector exports for colleagues in QGIS, ArcGIS and spreadsheets: GeoPackage, GeoJSON, CSV.

* :func:`write_geopackage` writes several layers into one GeoPackage and stores a QGIS style for
  each in the GeoPackage's ``layer_styles`` table (the table QGIS itself uses, registered in
  ``gpkg_contents`` as an attribute table), so the layers open styled in QGIS. Each style holds
  QGIS QML (``styleQML``) and an OGC SLD 1.1 version (``styleSLD``) for other tools.
* CSV goes through :func:`analysis.csvfile.write_csv`, the one CSV writer (safe for spreadsheets).
* :func:`write_geojson` writes RFC 7946 GeoJSON (WGS84 longitude/latitude).

Every writer writes to a temporary file next to the target and renames it, so a failure or a
cancel never leaves a half-written file.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from html import escape as _xml
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from analysis.atomic import atomic_write
from analysis.gpkg import GPKG_DATASET_OPTIONS
from analysis.progress import BeatwiseError, ProgressFn, report

PathLike = Union[str, os.PathLike]

#: QGIS version written into the QML header (the format is read by QGIS 3.x).
QGIS_VERSION = "3.22.0-Bialowieza"

#: Colours of the Gi* classes (ArcGIS Hot Spot Analysis palette), class -> (RGB, label).
GI_CLASS_STYLE = {
    3: ((215, 25, 28), "Hot spot, 99% confidence"),
    2: ((244, 109, 67), "Hot spot, 95% confidence"),
    1: ((253, 174, 97), "Hot spot, 90% confidence"),
    0: ((240, 240, 240), "Not significant"),
    -1: ((171, 217, 233), "Cold spot, 90% confidence"),
    -2: ((116, 173, 209), "Cold spot, 95% confidence"),
    -3: ((44, 123, 182), "Cold spot, 99% confidence"),
}


# ---------------------------------------------------------------------------------------------- GeoJSON
def write_geojson(frame, path: PathLike) -> Path:
    """Write a GeoDataFrame as RFC 7946 GeoJSON (reprojected to WGS84 longitude/latitude)."""
    import pyogrio

    path = Path(path)
    out = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
    with atomic_write(path, fresh=True) as tmp:
        pyogrio.write_dataframe(_prepare(out), tmp, driver="GeoJSON", RFC7946="YES")
    return path


# ---------------------------------------------------------------------------------------------- styles
def _opt(props: dict) -> str:
    """QGIS symbol-layer properties as both the modern ``Option`` map and the legacy ``prop`` list."""
    opts = "".join(f'<Option name="{_xml(k)}" value="{_xml(str(v))}" type="QString"/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{_xml(k)}" v="{_xml(str(v))}"/>' for k, v in props.items())
    return f'<Option type="Map">{opts}</Option>{legacy}'


def _rgba(rgb, alpha: int = 255) -> str:
    return f"{rgb[0]},{rgb[1]},{rgb[2]},{alpha}"


def _fill_symbol(name: str, rgb, alpha: int, outline_rgb=(0, 0, 0), outline_mm: float = 0.26) -> str:
    props = {"color": _rgba(rgb, alpha), "joinstyle": "miter", "offset": "0,0", "offset_unit": "MM",
             "outline_color": _rgba(outline_rgb), "outline_style": "solid", "outline_width": outline_mm,
             "outline_width_unit": "MM", "style": "solid"}
    return (f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">{_opt(props)}</layer></symbol>')


def _marker_symbol(name: str, rgb, size_mm: float = 1.4, alpha: int = 200, outline: bool = True) -> str:
    props = {"angle": 0, "color": _rgba(rgb, alpha), "joinstyle": "bevel", "name": "circle",
             "offset": "0,0", "offset_unit": "MM", "outline_color": "255,255,255,255",
             "outline_style": "solid" if outline else "no", "outline_width": 0.1, "outline_width_unit": "MM",
             "scale_method": "diameter", "size": size_mm, "size_unit": "MM", "vertical_anchor_point": 1}
    return (f'<symbol type="marker" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleMarker" enabled="1" locked="0" pass="0">{_opt(props)}</layer></symbol>')


def _qml(renderer: str, geometry_type: int, labeling: str = "") -> str:
    """A QGIS layer style document (``.qml``); geometry_type 0 point, 1 line, 2 polygon."""
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling">'
            f"{renderer}{labeling}<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
            f"<layerGeometryType>{geometry_type}</layerGeometryType></qgis>\n")


#: Label priority by rank in QGIS (0-10, higher wins a collision): hotspot 1 gets 10.
RANK_PRIORITY_EXPRESSION = 'max(0, 10 - ("rank" - 1) / 2)'


def _dd_priority(expression: str) -> str:
    """A data-defined label priority (QGIS ``Priority`` property) from an expression."""
    return ('<dd_properties><Option type="Map"><Option type="QString" name="name" value=""/>'
            '<Option type="Map" name="properties"><Option type="Map" name="Priority">'
            '<Option type="bool" name="active" value="true"/>'
            f'<Option type="QString" name="expression" value="{_xml(expression)}"/>'
            '<Option type="int" name="type" value="3"/></Option></Option>'
            '<Option type="QString" name="type" value="collection"/></Option></dd_properties>')


def _label_settings(field: str, priority_expression: str = "") -> str:
    """Labels that never print over each other: QGIS drops the lower-priority one of a colliding
    pair (``displayAll="0"``), so with ``priority_expression`` the better rank stays."""
    return ('<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName="{_xml(field)}" isExpression="0" fontFamily="Sans Serif" fontSize="11" '
            'fontSizeUnit="Point" fontWeight="75" fontItalic="0" textColor="0,0,0,255" textOpacity="1" '
            'namedStyle="Bold" multilineHeight="1" blendMode="0" previewBkgrdColor="255,255,255,255"/>'
            '<text-format wrapChar="" autoWrapLength="0" multilineAlign="3" placeDirectionSymbol="0" '
            'addDirectionSymbol="0" reverseDirectionSymbol="0" leftDirectionSymbol="&lt;" '
            'rightDirectionSymbol="&gt;" formatNumbers="0" decimals="3" plussign="0"/>'
            '<text-buffer bufferDraw="1" bufferSize="1.2" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
            'bufferOpacity="1" bufferJoinStyle="128" bufferNoFill="1" bufferBlendMode="0"/>'
            '<placement placement="1" offsetType="0" dist="0" priority="5" quadOffset="4" '
            'placementFlags="10" centroidInside="1" centroidWhole="0" fitInPolygonOnly="0"/>'
            '<rendering drawLabels="1" obstacle="1" scaleVisibility="0" upsidedownLabels="0" '
            'limitNumLabels="0" maxNumLabels="2000" fontLimitPixelSize="0" displayAll="0"/>'
            + (_dd_priority(priority_expression) if priority_expression else "")
            + '</settings></labeling>')


def qml_hotspots() -> str:
    """QML: hotspot polygons with a translucent red fill, black outline and their rank as label."""
    renderer = ('<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0">'
                f"<symbols>{_fill_symbol('0', (227, 26, 28), 90, outline_mm=0.6)}</symbols></renderer-v2>")
    return _qml(renderer, 2, _label_settings("rank", RANK_PRIORITY_EXPRESSION))


def qml_categories(field: str, styles: dict) -> str:
    """QML: polygons categorised by ``field``, ``styles`` value -> (RGB, label), in that order."""
    cats, syms = [], []
    for i, (value, (rgb, label)) in enumerate(styles.items()):
        cats.append(f'<category render="true" symbol="{i}" value="{_xml(str(value))}" label="{_xml(label)}"/>')
        syms.append(_fill_symbol(str(i), rgb, 200, outline_rgb=(120, 120, 120), outline_mm=0.1))
    renderer = (f'<renderer-v2 type="categorizedSymbol" attr="{_xml(field)}" forceraster="0" '
                'symbollevels="0" enableorderby="0">'
                f"<categories>{''.join(cats)}</categories><symbols>{''.join(syms)}</symbols></renderer-v2>")
    return _qml(renderer, 2)


def qml_gi_cells(field: str = "gi_class") -> str:
    """QML: Gi* cells categorised by class (-3..3) in the ArcGIS hot/cold palette."""
    return qml_categories(field, GI_CLASS_STYLE)


def qml_lines(rgb=(33, 102, 172), width_mm: float = 0.5) -> str:
    """QML: lines (patrol tracks) in one colour."""
    props = {"capstyle": "round", "joinstyle": "round", "line_color": _rgba(rgb, 220), "line_style": "solid",
             "line_width": width_mm, "line_width_unit": "MM", "offset": "0", "offset_unit": "MM"}
    symbol = (f'<symbol type="line" name="0" alpha="1" clip_to_extent="1" force_rhr="0">'
              f'<layer class="SimpleLine" enabled="1" locked="0" pass="0">{_opt(props)}</layer></symbol>')
    renderer = ('<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0">'
                f"<symbols>{symbol}</symbols></renderer-v2>")
    return _qml(renderer, 1)


def qml_fill(rgb, alpha: int = 70) -> str:
    """QML: polygons with a translucent fill (patrol log areas)."""
    renderer = ('<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0">'
                f"<symbols>{_fill_symbol('0', rgb, alpha, outline_rgb=rgb, outline_mm=0.4)}</symbols></renderer-v2>")
    return _qml(renderer, 2)


def qml_points(rgb=(60, 60, 60)) -> str:
    """QML: incidents as small, semi-transparent dark dots with no outline: thousands of them over a
    density raster still let it show through (QGIS puts the layers added last on top)."""
    renderer = ('<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0">'
                f"<symbols>{_marker_symbol('0', rgb, size_mm=0.9, alpha=80, outline=False)}</symbols></renderer-v2>")
    return _qml(renderer, 0)


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _sld(layer: str, rules: Iterable[str]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
            'xmlns:ogc="http://www.opengis.net/ogc" xmlns:se="http://www.opengis.net/se">'
            f"<NamedLayer><se:Name>{_xml(layer)}</se:Name><UserStyle><se:Name>{_xml(layer)}</se:Name>"
            f"<se:FeatureTypeStyle>{''.join(rules)}</se:FeatureTypeStyle></UserStyle></NamedLayer>"
            "</StyledLayerDescriptor>\n")


def _sld_polygon_rule(name: str, rgb, opacity: float, stroke="#000000", width: float = 1.0,
                      filter_xml: str = "") -> str:
    return (f"<se:Rule><se:Name>{_xml(name)}</se:Name>{filter_xml}<se:PolygonSymbolizer><se:Fill>"
            f'<se:SvgParameter name="fill">{_hex(rgb)}</se:SvgParameter>'
            f'<se:SvgParameter name="fill-opacity">{opacity:g}</se:SvgParameter></se:Fill><se:Stroke>'
            f'<se:SvgParameter name="stroke">{stroke}</se:SvgParameter>'
            f'<se:SvgParameter name="stroke-width">{width:g}</se:SvgParameter></se:Stroke>'
            "</se:PolygonSymbolizer></se:Rule>")


def sld_hotspots(layer: str = "hotspots") -> str:
    return _sld(layer, [_sld_polygon_rule("Hotspot", (227, 26, 28), 0.35, width=2.0)])


def sld_categories(layer: str, field: str, styles: dict) -> str:
    """SLD: polygons categorised by ``field`` (value -> (RGB, label))."""
    rules = []
    for value, (rgb, label) in styles.items():
        f = (f"<ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>{_xml(field)}</ogc:PropertyName>"
             f"<ogc:Literal>{_xml(str(value))}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>")
        rules.append(_sld_polygon_rule(label, rgb, 0.8, stroke="#787878", width=0.3, filter_xml=f))
    return _sld(layer, rules)


def sld_gi_cells(layer: str = "gi_star_cells", field: str = "gi_class") -> str:
    return sld_categories(layer, field, GI_CLASS_STYLE)


def sld_points(layer: str = "incidents", rgb=(60, 60, 60)) -> str:
    rule = ("<se:Rule><se:Name>Incident</se:Name><se:PointSymbolizer><se:Graphic><se:Mark>"
            "<se:WellKnownName>circle</se:WellKnownName><se:Fill>"
            f'<se:SvgParameter name="fill">{_hex(rgb)}</se:SvgParameter>'
            '<se:SvgParameter name="fill-opacity">0.31</se:SvgParameter></se:Fill></se:Mark>'
            "<se:Size>3</se:Size></se:Graphic></se:PointSymbolizer></se:Rule>")
    return _sld(layer, [rule])


# ---------------------------------------------------------------------------------------------- GeoPackage
@dataclass(frozen=True)
class StyledLayer:
    """A layer to write into a GeoPackage with its QGIS style.

    Attributes
    ----------
    name : str
        Layer (table) name.
    frame : GeoDataFrame
    qml : str
        QGIS style (``.qml`` document); ``""`` for none.
    sld : str
        OGC SLD version of the style; ``""`` for none.
    description : str
        Stored in ``gpkg_contents.description`` and the style's description.
    """

    name: str
    frame: object
    qml: str = ""
    sld: str = ""
    description: str = ""


def _prepare(frame):
    """A copy safe for OGR: object columns as text, bool as int, nothing else changed."""
    out = frame.copy()
    for c in out.columns:
        if c == out.geometry.name:
            continue
        s = out[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(np.int64)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            out[c] = s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v))
    return out


_LAYER_STYLES_SQL = (
    "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), "
    "f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), "
    "styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
    "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")


def write_geopackage(path: PathLike, layers: Sequence[StyledLayer], *,
                     progress: Optional[ProgressFn] = None) -> Path:
    """Write ``layers`` into a new GeoPackage with their styles in ``layer_styles``.

    Parameters
    ----------
    path : path-like
        Target ``.gpkg``; replaced if it exists (atomically, when everything is written).
    layers : sequence of StyledLayer
        Written in order; empty layers are written with their columns and no features.
    progress : ProgressFn, optional

    Returns
    -------
    Path of the file.

    Notes
    -----
    ``layer_styles`` follows the schema QGIS creates (``QgsOgrProviderUtils``): one row per layer
    with ``useAsDefault = 1``, so QGIS applies the style when the layer is added. The table is
    registered in ``gpkg_contents`` (``data_type = 'attributes'``) as the GeoPackage standard
    requires of every user table.
    """
    import pyogrio

    path = Path(path)
    if not layers:
        raise BeatwiseError("write_geopackage: no layers to write")
    names = [lyr.name for lyr in layers]
    if len(set(n.lower() for n in names)) != len(names):
        raise BeatwiseError(f"write_geopackage: layer names must be unique, got {names}")
    with atomic_write(path, fresh=True) as tmp:
        for i, lyr in enumerate(layers):
            report(progress, i / (len(layers) + 1), f"Writing layer {lyr.name}")
            pyogrio.write_dataframe(_prepare(lyr.frame), tmp, layer=lyr.name, driver="GPKG",
                                    dataset_options=GPKG_DATASET_OPTIONS if i == 0 else None,
                                    layer_options={"DESCRIPTION": lyr.description} if lyr.description else None)
        report(progress, len(layers) / (len(layers) + 1), "Writing QGIS styles")
        geom_cols = {}
        con = sqlite3.connect(tmp)
        try:
            for name, col in con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"):
                geom_cols[name] = col
            con.execute(_LAYER_STYLES_SQL)
            con.executemany(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', '')",
                [(lyr.name, geom_cols.get(lyr.name, "geom"), lyr.name, lyr.qml, lyr.sld,
                  lyr.description or f"Beatwise style for {lyr.name}") for lyr in layers if lyr.qml or lyr.sld])
            con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                        "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', "
                        "strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
            con.commit()
        finally:
            con.close()
    report(progress, 1.0, f"Wrote {path.name}")
    return path


def hotspot_layers(areas, gi=None) -> list[StyledLayer]:
    """The styled layers of ``hotspots.gpkg``, the same from ``beatwise hotspots`` and the briefing:
    ``hotspots`` (ranked areas, labelled by rank) and, with Gi*, ``gi_star_cells`` (the significant
    cells by class)."""
    layers = [StyledLayer("hotspots", areas.to_geodataframe(), qml_hotspots(), sld_hotspots(),
                          f"Hotspot areas: top {areas.top_percent:g}% of density cells, ranked by {areas.ranked_by}")]
    if gi is not None:
        layers.append(StyledLayer("gi_star_cells", gi.to_geodataframe(significant_only=True), qml_gi_cells(),
                                  sld_gi_cells(), f"Getis-Ord Gi* significant cells ({gi.grid.cell_m:g} m)"))
    return layers


def read_layer_styles(path: PathLike) -> pd.DataFrame:
    """The ``layer_styles`` table of a GeoPackage (empty frame when it has none)."""
    con = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "layer_styles" not in tables:
            return pd.DataFrame(columns=["f_table_name", "f_geometry_column", "styleName", "styleQML",
                                         "styleSLD", "useAsDefault"])
        return pd.read_sql_query("SELECT * FROM layer_styles ORDER BY id", con)
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------- tables
def hotspots_table(areas) -> pd.DataFrame:
    """One row per hotspot of a :class:`~analysis.hotspots.areas.HotspotAreas`, for ``hotspots.csv``.

    Columns: ``rank, incidents, share_percent, pai, area_km2, peak_density_per_km2, n_cells,
    locations`` (most frequent first, ``; ``-separated) ``, location_counts, centroid_x, centroid_y``
    (working CRS, metres) ``, centroid_lon, centroid_lat`` (WGS84), ``crs``.
    """
    from analysis.ingest.crs import transform

    rows = []
    for h in areas.hotspots:
        c = h.geometry.centroid
        rows.append({"rank": h.rank, "incidents": h.incidents, "share_percent": 100.0 * h.share, "pai": h.pai,
                     "area_km2": h.area_km2, "peak_density_per_km2": h.peak_density, "n_cells": h.n_cells,
                     "locations": "; ".join(h.locations),
                     "location_counts": "; ".join(str(n) for n in h.location_counts),
                     "centroid_x": float(c.x), "centroid_y": float(c.y)})
    columns = ["rank", "incidents", "share_percent", "pai", "area_km2", "peak_density_per_km2", "n_cells",
               "locations", "location_counts", "centroid_x", "centroid_y", "centroid_lon", "centroid_lat", "crs"]
    frame = pd.DataFrame(rows, columns=columns[:11])
    if len(frame) and areas.grid.crs:
        lon, lat = transform(frame["centroid_x"].to_numpy(), frame["centroid_y"].to_numpy(), areas.grid.crs,
                             "EPSG:4326")
        frame["centroid_lon"], frame["centroid_lat"] = np.round(lon, 6), np.round(lat, 6)
    else:
        frame["centroid_lon"], frame["centroid_lat"] = np.nan, np.nan
    frame["crs"] = areas.grid.crs or ""
    return frame[columns]
