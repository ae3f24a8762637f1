"""Drawing a :class:`~analysis.basemap.Basemap` muted under the data: the PNG/PDF maps (matplotlib)
and the HTML map (Leaflet).

Muted means it never competes with the analysis: roads in light greys by class (wider and darker
for major roads, :data:`analysis.basemap.osm.ROAD_CLASSES`), tiles washed towards white
(:data:`TILE_WASH`) and desaturated, both at the bottom of the drawing order.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

#: Share of white mixed into basemap tiles, and how much of their colour is kept.
TILE_WASH = 0.45
TILE_SATURATION = 0.35


def muted_tiles(image: np.ndarray) -> np.ndarray:
    """RGBA tiles washed towards white and desaturated (alpha kept)."""
    rgb = image[..., :3].astype(float)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    rgb = grey[..., None] + TILE_SATURATION * (rgb - grey[..., None])
    rgb = (1 - TILE_WASH) * rgb + TILE_WASH * 255.0
    return np.dstack([np.clip(rgb, 0, 255).astype(np.uint8), image[..., 3]])


def draw_basemap(ax, basemap, *, font_scale: float = 1.0, zorder: float = 0.6) -> Optional[object]:
    """Draw ``basemap`` into a matplotlib ``ax`` (working CRS); returns a legend handle or None."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from analysis.basemap.osm import ROAD_CLASSES

    if basemap is None:
        return None
    if basemap.image is not None:
        x0, y0, x1, y1 = basemap.extent
        ax.imshow(muted_tiles(basemap.image), extent=(x0, x1, y0, y1), origin="upper", interpolation="bilinear",
                  zorder=zorder)
        return Line2D([], [], color="0.8", lw=4, label=f"Basemap: {basemap.describe()}")
    roads = basemap.roads
    if roads is None or not len(roads):
        return None
    import shapely

    for i, (cls, (width_pt, grey)) in enumerate(ROAD_CLASSES.items()):
        part = roads.geometry[(roads["road_class"] == cls).to_numpy()]
        if not len(part):
            continue
        lines = shapely.get_parts(part.to_numpy())
        segs = [np.asarray(g.coords)[:, :2] for g in lines if g.geom_type == "LineString" and not g.is_empty]
        ax.add_collection(LineCollection(segs, colors=str(grey), linewidths=width_pt * font_scale,
                                         capstyle="round", zorder=zorder + 0.01 * i))
    return Line2D([], [], color="0.62", lw=1.3, label="Roads (© OpenStreetMap contributors)")


def add_basemap_to_leaflet(m, basemap, *, pane: str = "bwBase") -> Optional[str]:
    """Add ``basemap`` to a folium map (tiles as one image overlay, roads as lines); returns the
    layer's name or None. Coordinates go to WGS84; nothing is fetched, everything is inlined."""
    import json

    import folium
    from folium.utilities import JsCode

    from analysis.basemap.osm import ROAD_CLASSES

    if basemap is None:
        return None
    name = f"Basemap ({basemap.describe()})"
    if basemap.image is not None:
        from folium.raster_layers import ImageOverlay
        from rasterio.warp import Resampling, calculate_default_transform, reproject

        x0, y0, x1, y1 = basemap.extent
        h, w = basemap.image.shape[:2]
        from rasterio.transform import from_bounds

        src_t = from_bounds(x0, y0, x1, y1, w, h)
        dst_t, dw, dh = calculate_default_transform(basemap.crs, "EPSG:3857", w, h, x0, y0, x1, y1)
        out = np.zeros((4, dh, dw), dtype=np.uint8)
        img = muted_tiles(basemap.image)
        for b in range(4):
            reproject(np.ascontiguousarray(img[..., b]), out[b], src_transform=src_t, src_crs=basemap.crs,
                      dst_transform=dst_t, dst_crs="EPSG:3857", resampling=Resampling.bilinear)
        from pyproj import Transformer

        t = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
        lon0, lat1 = t.transform(dst_t.c, dst_t.f)
        lon1, lat0 = t.transform(dst_t.c + dst_t.a * dw, dst_t.f + dst_t.e * dh)
        ImageOverlay(np.moveaxis(out, 0, -1), bounds=[[lat0, lon0], [lat1, lon1]], name=name, opacity=1.0,
                     interactive=False, pane=pane).add_to(m)
        return name
    roads = basemap.roads
    if roads is None or not len(roads):
        return None
    w = roads.to_crs("EPSG:4326").copy()
    w["geometry"] = w.geometry.simplify(0.00002)  # about 2 m: invisible, a much smaller page
    styles = {cls: {"color": "#{0:02x}{0:02x}{0:02x}".format(int(255 * grey)), "weight": round(1.3 * width_pt, 2),
                    "opacity": 1.0} for cls, (width_pt, grey) in ROAD_CLASSES.items()}
    order = {cls: i for i, cls in enumerate(ROAD_CLASSES)}
    w = w.iloc[np.argsort([order.get(c, 0) for c in w["road_class"]], kind="stable")]
    features = [{"type": "Feature", "geometry": json.loads(shapely_json(g)),
                 "properties": {"c": c}} for g, c in zip(w.geometry, w["road_class"])]
    style_js = f"function(feature) {{ var s = {json.dumps(styles)}; return s[feature.properties.c]; }}"
    folium.GeoJson({"type": "FeatureCollection", "features": features}, name=name,
                   style=JsCode(style_js), pane=pane, interactive=False).add_to(m)
    return name


def shapely_json(geom, nd: int = 6) -> str:
    """GeoJSON text of a shapely geometry, coordinates rounded to ``nd`` decimals (about 10 cm)."""
    import shapely

    return shapely.to_geojson(shapely.set_precision(geom, 10 ** -nd))
