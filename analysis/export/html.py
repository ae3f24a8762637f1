"""Self-contained, offline interactive map (``map.html``) made with folium.

Police maps must not leak what is being looked at, and must work on an offline workstation, so
the page loads nothing from the internet:

* folium 0.20's page links Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from
  CDNs. Here the map's resource lists are emptied and Leaflet 1.9.3 and jQuery 3.7.1 are inlined
  from the PyPI packages ``XStatic-Leaflet`` and ``XStatic-jQuery`` (read from their data folders
  at run time; no third-party JavaScript is kept in this repository). Leaflet's CSS images become
  ``data:`` URIs, and ``L.Icon.Default`` is given its marker images as ``data:`` URIs too (its
  CSS-based image path detection breaks once the CSS is inlined). Bootstrap and Font Awesome are
  not needed: no awesome-markers are used.
* There are no tiles unless ``online_basemap=True``; the basemap is the street layer (and
  boundaries) drawn as vectors, or street names from the incidents' location text when the
  project has no street layer.
* Every text that comes from the data (crime types, locations, ids, street names, titles) is
  HTML-escaped in Python before it reaches the page; popups are bound from those pre-escaped
  strings, and folium's JSON embedding escapes ``<``, ``>`` and ``&`` again inside ``<script>``.

Layers (toggleable): hotspots (outlines, top ones numbered), density overlay (incidents per
km^2, reprojected to Web Mercator so it lines up exactly), Gi* hot/cold cells, incidents
(points, or counts per Gi* cell when there are very many), streets / street names, boundaries.
"""
from __future__ import annotations

import base64
import html
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from analysis.export.mapfig import (DENSITY_FLOOR, DENSITY_GAMMA, MapData, colorbar_ticks, density_cmap,
                                    hotspot_anchor, street_labels, units_text)
from analysis.atomic import atomic_write
from analysis.export.basemap_draw import add_basemap_to_leaflet
from analysis.export.vector import GI_CLASS_STYLE
from analysis.progress import BeatwiseError, ProgressFn, report

#: Above this many incidents the incident layer shows counts per Gi* cell instead of points.
MAX_INCIDENT_POINTS = 25_000

#: Leaflet panes, bottom to top (Leaflet's own: overlayPane 400 for the hotspot outlines, markerPane
#: 600 for their numbers): the basemap, then the incidents, then the density over them, then Gi*.
PANES = {"bwBase": 360, "bwIncidents": 380, "bwDensity": 390, "bwGi": 395}
#: Room (px) kept free of data when the map opens: the legend's corner (bottom right, with the layer
#: list above it) and the title box (top left).
FIT_PADDING_BOTTOM_RIGHT = (290, 50)
FIT_PADDING_TOP_LEFT = (60, 140)

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                   'contributors')

_CSS_URL = re.compile(r"url\((['\"]?)images/([A-Za-z0-9_.-]+)\1\)")


def esc(value) -> str:
    """HTML-escape any value for the page (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


# ---------------------------------------------------------------------------------------------- assets
def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _script_safe(text: str) -> str:
    """Text safe inside ``<script>``/``<style>``: no element-closing sequence."""
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)


@lru_cache(maxsize=1)
def leaflet_assets() -> dict:
    """Leaflet 1.9.3 JS/CSS and jQuery 3.7.1 from the XStatic packages, ready to inline.

    Returns
    -------
    dict with ``leaflet_js``, ``leaflet_css`` (its ``images/`` URLs as ``data:`` URIs),
    ``jquery_js``, ``icon_js`` (``L.Icon.Default`` set to ``data:`` images), ``versions``.

    Raises
    ------
    BeatwiseError
        The packages (declared dependencies) are not installed.
    """
    try:
        import xstatic.pkg.jquery as xjq
        import xstatic.pkg.leaflet as xl
    except ImportError as exc:  # pragma: no cover - both are declared dependencies
        raise BeatwiseError("The offline map needs the XStatic-Leaflet and XStatic-jQuery packages "
                            f"(pip install XStatic-Leaflet XStatic-jQuery): {exc}") from exc
    lbase = Path(xl.BASE_DIR)
    jbase = Path(xjq.BASE_DIR)
    css = (lbase / "leaflet.css").read_text(encoding="utf-8")
    images = lbase / "images"

    def inline(m):
        return f'url("{_data_uri(images / m.group(2), "image/png")}")'

    css = _CSS_URL.sub(inline, css)
    icon = {k: _data_uri(images / f, "image/png") for k, f in (
        ("iconUrl", "marker-icon.png"), ("iconRetinaUrl", "marker-icon-2x.png"), ("shadowUrl", "marker-shadow.png"))}
    icon_js = ("L.Icon.Default.imagePath = '';\n"
               f"L.Icon.Default.mergeOptions({json.dumps(icon)});\n")
    return {
        "leaflet_js": _script_safe((lbase / "leaflet.js").read_text(encoding="utf-8")),
        "leaflet_css": _script_safe(css),
        "jquery_js": _script_safe((jbase / "jquery.min.js").read_text(encoding="utf-8")),
        "icon_js": icon_js,
        "versions": {"leaflet": xl.VERSION, "jquery": xjq.VERSION},
    }


# ---------------------------------------------------------------------------------------------- helpers
def _to_wgs84(frame):
    return frame.to_crs("EPSG:4326")


def _rows(pairs: Sequence[tuple[str, object]]) -> str:
    return "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs)


def popup_html(title: str, pairs: Sequence[tuple[str, object]]) -> str:
    """Popup markup: an escaped title and a table of escaped key/value pairs."""
    return f"<div class='bw-pop'><b>{esc(title)}</b><table>{_rows(pairs)}</table></div>"


def _point_features(lon, lat, props: list[dict]) -> dict:
    """A FeatureCollection of points (coordinates rounded to 6 decimals, about 0.1 m)."""
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]},
              "properties": p} for x, y, p in zip(lon, lat, props)]
    return {"type": "FeatureCollection", "features": feats}


def _features(geoms, props: list[dict]) -> dict:
    import shapely

    feats = []
    for g, p in zip(geoms, props):
        if g is None or g.is_empty:
            continue
        feats.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(g, indent=None)),
                      "properties": p})
    return {"type": "FeatureCollection", "features": feats}


def _round_coords(fc: dict, nd: int = 6) -> dict:
    def r(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(float(v), nd) for v in c]
        return [r(x) for x in c]

    for f in fc["features"]:
        f["geometry"]["coordinates"] = r(f["geometry"]["coordinates"])
    return fc


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


_POPUP_JS = ("function(feature, layer) { if (feature.properties && feature.properties.popup) "
             "{ layer.bindPopup(feature.properties.popup, {maxWidth: 340}); } }")
_CIRCLE_JS = "function(feature, latlng) { return L.circleMarker(latlng, feature.properties.style); }"
_LABEL_JS = ("function(feature, latlng) { var p = feature.properties; return L.marker(latlng, {icon: "
             "L.divIcon({className: p.css, html: p.label, iconSize: null}), interactive: !!p.popup, "
             "keyboard: false, zIndexOffset: p.z || 0}); }")


def _geojson_layer(fc: dict, name: str, *, points: str = "", popup_js: str = _POPUP_JS, **kwargs):
    import folium
    from folium.utilities import JsCode

    opts = {}
    if points == "circle":
        opts["point_to_layer"] = JsCode(_CIRCLE_JS)
    elif points == "label":
        opts["point_to_layer"] = JsCode(_LABEL_JS)
    elif points:
        opts["point_to_layer"] = JsCode(points)
    return folium.GeoJson(fc, name=name, on_each_feature=JsCode(popup_js), **opts, **kwargs)


def _js_json(obj) -> str:
    """JSON for a ``<script>``: ``<``, ``>`` and ``&`` as unicode escapes (cannot close the element)."""
    return json.dumps(obj).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def when_text(incidents) -> np.ndarray:
    """Plain-English time of each incident by its precision (month, day, exact, from-to window)."""
    import pandas as pd

    n = len(incidents)
    out = np.full(n, "no time", dtype=object)
    if n == 0 or "t_start" not in incidents.columns:
        return out
    s = pd.to_datetime(incidents["t_start"])
    e = pd.to_datetime(incidents["t_end"]) if "t_end" in incidents.columns else s
    prec = (incidents["time_precision"].astype(str).to_numpy() if "time_precision" in incidents.columns
            else np.full(n, "minute"))
    ok = s.notna().to_numpy()
    exact = s.dt.strftime("%a %d %b %Y %H:%M").to_numpy()
    out[ok] = exact[ok]
    for kind, fmt in (("month", "%B %Y"), ("day", "%a %d %b %Y")):
        m = ok & (prec == kind)
        if m.any():
            out[m] = s[m].dt.strftime(fmt).to_numpy()
    m = ok & (prec == "window") & e.notna().to_numpy() & (e > s).to_numpy()
    if m.any():
        out[m] = exact[m] + " to " + e[m].dt.strftime("%a %d %b %Y %H:%M").to_numpy()
    return out


def _lookup_lines(m, geoms, names: np.ndarray, layer_name: str, style: dict) -> None:
    """Many lines (a street layer) compactly: one layer-wide style and an index into a table of
    escaped name popups (streets repeat their name over many segments)."""
    from branca.element import Element
    from folium.utilities import JsCode

    uniq, idx = np.unique(names.astype(str), return_inverse=True)
    table = f"bw_names_{m.get_name()}"
    popups = [popup_html(n, []) if n else "" for n in uniq]
    m.get_root().header.add_child(Element(f"<script>var {table} = {_js_json(popups)};</script>"), name=table)
    fc = _round_coords(_features(geoms, [{"p": int(i)} for i in idx]), nd=5)  # 5 decimals: about 1 m
    popup_js = (f"function(feature, layer) {{ var t = {table}[feature.properties.p]; "
                "if (t) { layer.bindPopup(t, {maxWidth: 340}); } }")
    style_js = f"function(feature) {{ return {json.dumps(style)}; }}"
    _geojson_layer(fc, layer_name, popup_js=popup_js, style=JsCode(style_js), pane="bwBase").add_to(m)


def _gi_layer(m, cells, layer_name: str) -> None:
    """Gi* cells compactly: class, count, z and p values per cell; colours and the (constant,
    escaped) class names come from one table, and the popup is put together when it opens."""
    from branca.element import Element
    from folium.utilities import JsCode

    w = _to_wgs84(cells)
    table = f"bw_gi_{m.get_name()}"
    classes = {str(c): {"label": esc(f"Gi* {label}"), "fill": _hex(rgb)} for c, (rgb, label) in GI_CLASS_STYLE.items()}
    m.get_root().header.add_child(Element(f"<script>var {table} = {_js_json(classes)};</script>"), name=table)

    def num(v, fmt):
        return None if not np.isfinite(v) else float(format(float(v), fmt))

    props = [{"c": int(c), "n": float(n), "z": num(z, ".3g"), "p": num(p, ".3g"), "q": num(q, ".3g")}
             for c, n, z, p, q in zip(w["gi_class"], w["count"], w["z"], w["p"], w["p_fdr"])]
    fc = _round_coords(_features(w.geometry, props))
    style_js = (f"function(feature) {{ return {{color: '#777777', weight: 0.3, fillOpacity: 0.55, "
                f"fillColor: {table}[feature.properties.c].fill}}; }}")
    popup_js = (
        f"function(feature, layer) {{ var p = feature.properties; layer.bindPopup(function() {{ "
        f"var row = function(k, v) {{ return (v === null || v === undefined) ? '' : "
        f"'<tr><th>' + k + '</th><td>' + Number(v) + '</td></tr>'; }}; "
        f"return \"<div class='bw-pop'><b>\" + {table}[p.c].label + \"</b><table>\" + row('Incidents in cell', "
        "p.n) + row('z-score', p.z) + row('p-value', p.p) + row('p (FDR-adjusted)', p.q) + '</table></div>'; }, "
        "{maxWidth: 340}); }")
    _geojson_layer(fc, layer_name, popup_js=popup_js, style=JsCode(style_js), show=False, pane="bwGi").add_to(m)


def _incident_layer(m, inc, lon, lat) -> None:
    """Incident points with popups (crime type, when, location, id), compactly encoded.

    Crime types and locations are HTML-escaped once into lookup tables; each feature carries
    indices into them plus its escaped time text and id, and the popup is put together from those
    escaped pieces when it opens.
    """
    from branca.element import Element

    def col(name):
        return (inc[name].fillna("").astype(str).to_numpy() if name in inc.columns
                else np.full(len(inc), "", dtype=object))

    types_u, t_idx = np.unique(col("crime_type"), return_inverse=True)
    locs_u, l_idx = np.unique(col("location"), return_inverse=True)
    when_u, w_idx = np.unique(when_text(inc).astype(str), return_inverse=True)
    ids = col("incident_id")
    name = f"bw_lookup_{m.get_name()}"
    lookup = {"t": [esc(t) if t else "(crime type unknown)" for t in types_u],
              "l": [esc(x) if x else "-" for x in locs_u], "w": [esc(w) for w in when_u]}
    m.get_root().header.add_child(Element(f"<script>var {name} = {_js_json(lookup)};</script>"), name=name)
    props = [{"t": int(a), "l": int(b), "w": int(c), "i": esc(i) if i else "-"}
             for a, b, c, i in zip(t_idx, l_idx, w_idx, ids)]
    fc = _point_features(lon, lat, props)
    # small and see-through, under the density (their pane): the surface, not the dots, is the message
    style = {"radius": 2, "stroke": False, "fillColor": "#333333", "fillOpacity": 0.45, "pane": "bwIncidents"}
    point_js = f"function(feature, latlng) {{ return L.circleMarker(latlng, {json.dumps(style)}); }}"
    popup_js = (
        "function(feature, layer) { var p = feature.properties; layer.bindPopup(function() { "
        f"var L_ = {name}; return \"<div class='bw-pop'><b>\" + L_.t[p.t] + \"</b><table>"
        "<tr><th>When</th><td>\" + L_.w[p.w] + \"</td></tr><tr><th>Location</th><td>\" + L_.l[p.l] + "
        "\"</td></tr><tr><th>Incident id</th><td>\" + p.i + \"</td></tr></table></div>\"; }, {maxWidth: 340}); }")
    _geojson_layer(fc, f"Incidents ({len(inc):,})", points=point_js, popup_js=popup_js, pane="bwIncidents").add_to(m)


def density_overlay_rgba(surface):
    """The density surface reprojected to Web Mercator and coloured.

    Returns
    -------
    rgba : uint8 array (rows, cols, 4), row 0 north; transparent below
        :data:`DENSITY_FLOOR` of the maximum (as on the static map).
    bounds : [[lat_min, lon_min], [lat_max, lon_max]]
    """
    from matplotlib.colors import PowerNorm
    from pyproj import Transformer
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    g = surface.grid
    src = np.ascontiguousarray(surface.values[::-1], dtype=np.float32)
    dst_crs = "EPSG:3857"
    transform, width, height = calculate_default_transform(g.crs, dst_crs, g.nx, g.ny, *g.bounds)
    dst = np.zeros((height, width), dtype=np.float32)
    reproject(src, dst, src_transform=g.transform, src_crs=g.crs, dst_transform=transform, dst_crs=dst_crs,
              resampling=Resampling.bilinear, src_nodata=None, dst_nodata=0.0)
    vmax = float(surface.values.max())
    norm = PowerNorm(gamma=DENSITY_GAMMA, vmin=0.0, vmax=vmax if vmax > 0 else 1.0)
    rgba = (density_cmap()(norm(dst)) * 255).astype(np.uint8)
    rgba[..., 3] = np.where(dst >= DENSITY_FLOOR * vmax, 255, 0).astype(np.uint8) if vmax > 0 else 0
    x0, y1 = transform.c, transform.f  # north-up: no rotation terms
    x1, y0 = transform.c + transform.a * width, transform.f + transform.e * height
    t = Transformer.from_crs(dst_crs, "EPSG:4326", always_xy=True)
    lon0, lat0 = t.transform(x0, y0)
    lon1, lat1 = t.transform(x1, y1)
    return rgba, [[lat0, lon0], [lat1, lon1]]


def _legend_row(layer: str, html_: str, *, shown: bool = True) -> str:
    """A legend section tied to a map layer: hidden while that layer is switched off."""
    style = "" if shown else " style='display:none'"
    return f"<div class='bw-lrow' data-layer='{esc(layer)}'{style}>{html_}</div>"


#: Shows and hides legend sections with their layers (the layer control's add/remove events).
_LEGEND_JS = """<script>document.addEventListener('DOMContentLoaded', function() {
  var map = window.%(map)s; if (!map) { return; }
  function toggle(e, on) { document.querySelectorAll('.bw-lrow').forEach(function(row) {
    if (row.getAttribute('data-layer') === e.name) { row.style.display = on ? '' : 'none'; } }); }
  map.on('overlayadd', function(e) { toggle(e, true); });
  map.on('overlayremove', function(e) { toggle(e, false); });
});</script>"""


def _legend_html(data: MapData, *, layers: dict, gi_classes: Sequence[int], synthetic: bool, date_range: str,
                 source: str, top_n: int, incidents_cell_m: Optional[float] = None) -> str:
    """The legend: only what the map shows (a section per layer, hidden with it; Gi* classes present)."""
    vmax = float(data.surface.values.max())
    cmap = density_cmap()
    stops = ", ".join(_hex([int(255 * c) for c in cmap(i / 10)[:3]]) for i in range(11))
    ticks = colorbar_ticks(vmax)
    labels = "".join(
        f"<span style='left:{100 * (t / vmax) ** DENSITY_GAMMA:.1f}%'>{esc(f'{t:,.0f}')}</span>"
        for t in ticks) if vmax > 0 else ""
    rows = [_legend_row(layers["density"],
                        f"<div class='bw-h'>Density ({esc(units_text(data.surface.density_units))})</div>"
                        f"<div class='bw-ramp' style='background:linear-gradient(to right, {stops})'></div>"
                        f"<div class='bw-ticks'>{labels}</div>")]
    if data.hotspots.hotspots:
        rows.append(_legend_row(layers["hotspots"],
                                f"<div class='bw-h'>Hotspots</div><div><i class='bw-line'></i>top "
                                f"{esc(f'{data.hotspots.top_percent:g}')}% of density; 1&ndash;"
                                f"{min(top_n, len(data.hotspots.hotspots))} numbered by incidents</div>"))
    present = [v for v in GI_CLASS_STYLE if v != 0 and v in set(gi_classes)]
    if present and layers.get("gi"):
        items = "".join(f"<div><i style='background:{_hex(GI_CLASS_STYLE[v][0])}'></i>{esc(GI_CLASS_STYLE[v][1])}</div>"
                        for v in present)
        rows.append(_legend_row(layers["gi"], f"<div class='bw-h'>Gi* cells (FDR-corrected)</div>{items}",
                                shown=False))  # the Gi* layer starts switched off
    if layers.get("incidents"):
        what = ("one incident" if incidents_cell_m is None
                else f"incidents per {incidents_cell_m:g} m cell (larger: more)")
        rows.append(_legend_row(layers["incidents"],
                                f"<div class='bw-h'>Incidents</div><div><i class='bw-dot'></i>{esc(what)}</div>"))
    meta = [x for x in (f"Dates: {date_range}" if date_range else "", f"Source: {source}" if source else "") if x]
    if synthetic:
        meta.append("SYNTHETIC DEMO DATA - NOT REAL CRIMES")
    rows.append("".join(f"<div class='bw-meta'>{esc(m)}</div>" for m in meta))
    return f"<div class='bw-legend'>{''.join(rows)}</div>"


_PAGE_CSS = """
html, body { background: #f7f7f4; }
.leaflet-container { background: #f7f7f4; font-family: 'DejaVu Sans', Arial, sans-serif; }
.bw-marking { position: fixed; left: 50%; transform: translateX(-50%); z-index: 1001; background: #fff;
  border: 2px solid #000; padding: 2px 14px; font: bold 14px Arial, sans-serif; letter-spacing: 1px; }
.bw-marking.top { top: 4px; } .bw-marking.bottom { bottom: 4px; }
.bw-title { position: fixed; top: 40px; left: 54px; z-index: 1000; background: rgba(255,255,255,.92);
  padding: 6px 10px; border: 1px solid #999; max-width: 45%; font: 13px Arial, sans-serif; }
.bw-title h1 { font-size: 17px; margin: 0 0 3px 0; }
.bw-synthetic { display: inline-block; margin-top: 4px; padding: 2px 6px; border: 2px solid #000;
  font-weight: bold; background: #fff; }
.bw-legend { position: fixed; bottom: 40px; right: 10px; z-index: 1000; background: rgba(255,255,255,.94);
  padding: 6px 10px 8px 10px; border: 1px solid #999; width: 250px; font: 12px Arial, sans-serif; }
.bw-legend .bw-h { font-weight: bold; margin-top: 5px; }
.bw-legend i { display: inline-block; width: 14px; height: 10px; margin-right: 6px; border: 1px solid #777; }
.bw-legend i.bw-line { border: 2px solid #000; background: transparent; }
.bw-legend i.bw-dot { width: 6px; height: 6px; border-radius: 3px; background: #555; border: none; }
.bw-ramp { height: 12px; border: 1px solid #777; opacity: .85; }
.bw-ticks { position: relative; height: 14px; font-size: 10px; }
.bw-ticks span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.bw-meta { font-size: 11px; color: #333; margin-top: 3px; }
.bw-num { background: #fff; border: 2px solid #000; border-radius: 50%; width: 22px; height: 22px;
  line-height: 22px; text-align: center; font: bold 13px Arial, sans-serif; margin: -13px 0 0 -13px; }
.bw-street { width: 0; height: 0; overflow: visible; }
.bw-street-text { display: inline-block; font: italic 11px Arial, sans-serif; color: #222; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; }
.bw-pop table { border-collapse: collapse; margin-top: 4px; }
.bw-pop th { text-align: left; padding: 1px 8px 1px 0; font-weight: normal; color: #555; vertical-align: top; }
.bw-pop td { padding: 1px 0; }
.leaflet-top.leaflet-right { top: 36px; }
"""


# ---------------------------------------------------------------------------------------------- map
def build_map(data: MapData, *, title: str, subtitle: str = "", marking: Optional[str] = "OFFICIAL-SENSITIVE",
              synthetic: bool = False, date_range: str = "", source: str = "", online_basemap: bool = False,
              top_n: int = 5, max_incident_points: int = MAX_INCIDENT_POINTS,
              progress: Optional[ProgressFn] = None):
    """The folium Map (offline assets inlined) of the hotspot analysis; see the module docstring.

    Returns
    -------
    folium.Map; :func:`write_html_map` saves it.
    """
    import folium
    from branca.element import Element
    from folium.raster_layers import ImageOverlay

    assets = leaflet_assets()
    if synthetic and "SYNTHETIC" not in title.upper():
        title = f"SYNTHETIC: {title}"
    report(progress, 0.0, "Preparing the web map")
    inc = data.incidents
    xy = data.xy()
    from analysis.ingest.crs import transform

    lon, lat = transform(xy[:, 0], xy[:, 1], data.crs, "EPSG:4326")
    g = data.surface.grid
    blon, blat = transform(np.array([g.x0, g.x1]), np.array([g.y0, g.y1]), data.crs, "EPSG:4326")
    m = folium.Map(location=[float(np.mean(blat)), float(np.mean(blon))], zoom_start=13, tiles=None,
                   control_scale=True, prefer_canvas=True, max_zoom=19, zoom_snap=0.25)
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    root.header.add_child(Element(f"<style>{assets['leaflet_css']}</style>"), name="leaflet_css_inline")
    root.header.add_child(Element(f"<script>{assets['leaflet_js']}</script>"), name="leaflet_inline")
    root.header.add_child(Element(f"<script>{assets['jquery_js']}</script>"), name="jquery_inline")
    root.header.add_child(Element(f"<script>{assets['icon_js']}</script>"), name="leaflet_icon_default")
    root.header.add_child(Element(f"<style>{_PAGE_CSS}</style>"), name="beatwise_css")
    root.header.add_child(Element(f"<title>{esc(title)}</title>"), name="beatwise_title")
    for pane, z in PANES.items():
        folium.map.CustomPane(pane, z_index=z, pointer_events=pane != "bwDensity").add_to(m)
    if online_basemap:
        folium.TileLayer(OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap (online)", max_zoom=19,
                         overlay=False, control=True).add_to(m)

    # basemap (an offline OSM extract or tiles), then the street layer / street names, boundaries
    add_basemap_to_leaflet(m, data.basemap, pane="bwBase")
    if data.boundaries is not None and len(data.boundaries):
        b = _to_wgs84(data.boundaries)
        name_col = next((c for c in b.columns if c.lower() in ("name", "lad17nm", "lad22nm", "lad23nm", "label")),
                        None)
        props = [{"style": {"color": "#333333", "weight": 2, "dashArray": "8 4 2 4", "fill": False},
                  "popup": popup_html("Boundary", [("Name", row[name_col])]) if name_col else ""}
                 for _, row in b.iterrows()]
        _geojson_layer(_round_coords(_features(b.geometry, props)), "Boundaries", pane="bwBase").add_to(m)
    report(progress, 0.1, "Street layer")
    if data.streets is not None and len(data.streets):
        s = data.streets.copy()
        s["geometry"] = s.geometry.simplify(2.0)  # 2 m in the working CRS: invisible, a much smaller page
        s = _to_wgs84(s)
        names = (s["name"].fillna("").astype(str).to_numpy() if "name" in s.columns
                 else np.full(len(s), "", dtype=object))
        _lookup_lines(m, s.geometry, names, "Streets (street layer)",
                      {"color": "#8c8c8c", "weight": 1.5, "opacity": 0.9})
    else:
        labels = street_labels(inc, top=40)
        if labels:
            lx, ly = transform(np.array([lb.x for lb in labels]), np.array([lb.y for lb in labels]), data.crs,
                               "EPSG:4326")
            props = [{"label": f"<span class='bw-street-text' style='transform:translate(-50%,-50%) "
                               f"rotate({-lb.angle_deg:.0f}deg)'>{esc(lb.name)}</span>", "css": "bw-street",
                      "popup": popup_html(lb.name, [("Incidents on this street", f"{lb.incidents:,}")])}
                     for lb in labels]
            fc = _point_features(lx, ly, props)
            _geojson_layer(fc, "Street names (from incident locations)", points="label").add_to(m)

    # density overlay
    report(progress, 0.25, "Density overlay")
    rgba, bounds = density_overlay_rgba(data.surface)
    layers = {"density": f"Density ({units_text(data.surface.density_units)})", "hotspots": "Hotspot areas"}
    ImageOverlay(rgba, bounds=bounds, name=layers["density"], opacity=0.75,
                 pixelated=False, interactive=False, pane="bwDensity").add_to(m)

    # Gi*
    gi_classes: list[int] = []
    if data.gi is not None:
        report(progress, 0.4, "Gi* cells")
        cells = data.gi.to_geodataframe(significant_only=True)
        if len(cells):
            gi_classes = sorted(set(int(c) for c in cells["gi_class"]))
            layers["gi"] = f"Gi* hot and cold spots ({data.gi.grid.cell_m:g} m cells)"
            _gi_layer(m, cells, layers["gi"])

    # incidents
    report(progress, 0.55, "Incidents")
    incidents_cell_m = None
    if len(inc) <= max_incident_points:
        layers["incidents"] = f"Incidents ({len(inc):,})"
        _incident_layer(m, inc, lon, lat)
    elif data.gi is not None:
        counts = data.gi.counts
        rows, cols = np.nonzero(counts > 0)
        gg = data.gi.grid
        cx = gg.x0 + (cols + 0.5) * gg.cell_m
        cy = gg.y0 + (rows + 0.5) * gg.cell_m
        clon, clat = transform(cx, cy, data.crs, "EPSG:4326")
        vmax = float(counts.max())
        props = [{"style": {"radius": float(2 + 8 * np.sqrt(counts[r, c] / vmax)), "stroke": False,
                            "fillColor": "#333333", "fillOpacity": 0.4, "pane": "bwIncidents"},
                  "popup": popup_html(f"{counts[r, c]:g} incidents", [("Cell", f"{gg.cell_m:g} m square")])}
                 for r, c in zip(rows, cols)]
        fc = _point_features(clon, clat, props)
        incidents_cell_m = gg.cell_m
        layers["incidents"] = f"Incidents ({len(inc):,}, counted per {gg.cell_m:g} m cell)"
        _geojson_layer(fc, layers["incidents"], points="circle", pane="bwIncidents").add_to(m)

    # hotspots on top
    report(progress, 0.8, "Hotspots")
    hs = data.hotspots.to_geodataframe()
    if len(hs):
        w = _to_wgs84(hs)
        props = []
        for h in data.hotspots.hotspots:
            top = h.rank <= top_n
            props.append({"style": {"color": "#000000", "weight": 3 if top else 1.2, "fill": False},
                          "popup": _hotspot_popup(h, data.hotspots)})
        _geojson_layer(_round_coords(_features(w.geometry, props)), layers["hotspots"]).add_to(m)
        anchors = [hotspot_anchor(data, h.rank) for h in data.hotspots.hotspots[:top_n]]
        if anchors:
            ax_, ay_ = np.array(anchors).T
            alon, alat = transform(ax_, ay_, data.crs, "EPSG:4326")
            props = [{"label": f"<div class='bw-num'>{h.rank}</div>", "css": "bw-num-wrap", "z": 1000,
                      "popup": _hotspot_popup(h, data.hotspots)} for h in data.hotspots.hotspots[:top_n]]
            fc = _point_features(alon, alat, props)
            _geojson_layer(fc, f"Hotspot numbers (top {top_n})", points="label").add_to(m)

    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds([[float(np.min(lat)), float(np.min(lon))], [float(np.max(lat)), float(np.max(lon))]],
                 padding_top_left=FIT_PADDING_TOP_LEFT, padding_bottom_right=FIT_PADDING_BOTTOM_RIGHT)

    # page furniture: marking, title, legend
    parts = []
    if marking:
        parts.append(f"<div class='bw-marking top'>{esc(marking)}</div>")
        parts.append(f"<div class='bw-marking bottom'>{esc(marking)}</div>")
    parts.append(f"<div class='bw-title'><h1>{esc(title)}</h1>{esc(subtitle)}"
                 + ("<br><span class='bw-synthetic'>SYNTHETIC DEMO DATA - NOT REAL CRIMES</span>" if synthetic else "")
                 + "</div>")
    parts.append(_legend_html(data, layers=layers, gi_classes=gi_classes, synthetic=synthetic,
                              date_range=date_range, source=source, top_n=top_n, incidents_cell_m=incidents_cell_m))
    parts.append(_LEGEND_JS % {"map": m.get_name()})
    root.html.add_child(Element("".join(parts)), name="beatwise_furniture")
    report(progress, 1.0, "Web map ready")
    return m


def _hotspot_popup(h, areas) -> str:
    pairs = [("Incidents", f"{h.incidents:,} ({100 * h.share:.1f}% of {areas.n_incidents:,})"),
             ("PAI", f"{h.pai:.1f}"), ("Area", f"{h.area_km2:.3f} km²"),
             ("Peak density", f"{h.peak_density:,.0f} {units_text(areas.density_units)}")]
    for loc, n in zip(h.locations, h.location_counts):
        pairs.append(("Location", f"{loc} ({n:,})"))
    return popup_html(f"Hotspot {h.rank}", pairs)


def write_html_map(path: Union[str, os.PathLike], data: MapData, **kwargs) -> Path:
    """Build the map (:func:`build_map`, same keyword arguments) and save it atomically as one file."""
    path = Path(path)
    m = build_map(data, **kwargs)
    text = m.get_root().render()
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
