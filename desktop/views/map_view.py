"""The map canvas: a native pyqtgraph view in the working CRS (metres), aspect locked, no tiles.

Layers, bottom to top: boundaries, streets (the basemap), density (``ImageItem`` with a
perceptual colour map, colour bar in incidents per km^2), Gi* cells (red hot / blue cold
classes), incidents (points; aggregated into cells above :data:`MAX_POINTS`), hotspot
polygons with rank labels, and the highlighted street. A scale bar, a north arrow and a small
legend are painted over the view. Every number drawn comes from an analysis result; this
module only draws.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsPathItem, QVBoxLayout, QWidget

from analysis.hotspots.grid import GridSpec, readable_number

#: Above this many incidents the point layer shows counts per cell instead of every point.
MAX_POINTS = 50_000
#: Aggregated incidents use at most about this many cells along the longer side.
AGGREGATE_CELLS = 150
#: Street names are drawn when a layer has at most this many named streets.
MAX_STREET_LABELS = 40

DENSITY_CMAP = "CET-L18"       # white-yellow-orange-red, perceptually uniform (colorcet)
BACKGROUND = "#f3f1ec"
GI_COLOURS = {3: (178, 24, 43, 200), 2: (239, 138, 98, 190), 1: (253, 219, 199, 180),
              -1: (209, 229, 240, 180), -2: (103, 169, 207, 190), -3: (33, 102, 172, 200)}
GI_LABELS = {3: "Hot 99%", 2: "Hot 95%", 1: "Hot 90%", -1: "Cold 90%", -2: "Cold 95%", -3: "Cold 99%"}
HOTSPOT_PEN = QColor(20, 20, 90)
HIGHLIGHT = QColor(0, 160, 255)
FORECAST_PEN = QColor(200, 0, 150)  # magenta: unlike the hotspot areas' navy and the heat colours
INCIDENT_RGBA = (45, 45, 70, 70)

LAYER_TITLES = {
    "basemap": "Basemap",
    "boundaries": "Boundaries",
    "streets": "Streets",
    "density": "Density (KDE)",
    "gi": "Gi* hot/cold cells",
    "incidents": "Incidents",
    "hotspots": "Hotspot areas",
    "presence": "Patrol presence",
    "emerging": "Emerging hot spots",
    "forecast": "Forecast boxes",
    "units": "Units in the chosen hour",
}
LAYER_ORDER = ("units", "forecast", "hotspots", "incidents", "gi", "emerging", "presence", "density", "streets", "boundaries",
               "basemap")  # top first
Z = {"basemap": -1, "boundaries": 0, "streets": 1, "density": 2, "presence": 2.5, "emerging": 2.8, "gi": 3, "incidents": 4, "hotspots": 5,
     "forecast": 5.5, "labels": 6, "units": 6.5, "highlight": 7}
UNIT_COLOURS = ((0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0), (86, 180, 233),
                (120, 60, 160), (90, 90, 90))  # Okabe-Ito and friends: told apart by most eyes
PRESENCE_CMAP = "CET-L6"  # light to dark blue: unlike the density's heat colours
PRESENCE_RGB = (40, 90, 200)


@dataclass
class Layer:
    """One map layer: its graphics items, visibility, opacity and extent."""

    key: str
    title: str
    items: list = field(default_factory=list)
    visible: bool = True
    opacity: float = 1.0
    bounds: Optional[tuple[float, float, float, float]] = None
    count: int = 0

    def apply(self) -> None:
        for item in self.items:
            item.setVisible(self.visible)
            item.setOpacity(self.opacity)


def _lines_xy(geoms) -> tuple[np.ndarray, np.ndarray]:
    """NaN-separated x, y of every line / polygon ring in ``geoms`` (for one PlotCurveItem)."""
    import shapely

    parts_x, parts_y = [], []
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.empty(0), np.empty(0)
    arr = np.asarray(geoms, dtype=object)
    polys = shapely.get_type_id(arr)
    # polygon rings become lines
    rings = []
    for g, t in zip(arr, polys):
        if t in (3, 6):  # Polygon, MultiPolygon
            rings.extend(shapely.get_rings(shapely.get_parts(g)))
        else:
            rings.extend(shapely.get_parts(g))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return np.empty(0), np.empty(0)
    # insert a NaN where the line index changes
    breaks = np.flatnonzero(np.diff(index)) + 1
    x = np.insert(coords[:, 0], breaks, np.nan)
    y = np.insert(coords[:, 1], breaks, np.nan)
    parts_x.append(x)
    parts_y.append(y)
    return np.concatenate(parts_x), np.concatenate(parts_y)


def density_colormap() -> pg.ColorMap:
    """:data:`DENSITY_CMAP` with an opacity ramp: transparent at 0, opaque from a quarter up, so
    the basemap shows through where density is low."""
    base = pg.colormap.get(DENSITY_CMAP)
    pos = np.linspace(0.0, 1.0, 64)
    rgba = base.map(pos, mode="byte").astype(float)
    rgba[:, 3] = 255 * np.clip(pos / 0.25, 0.0, 1.0) ** 0.7
    return pg.ColorMap(pos, rgba.astype(np.ubyte), name=f"{DENSITY_CMAP} with opacity ramp")


def presence_colormap() -> pg.ColorMap:
    """Blues for patrol presence, transparent at 0 and opaque from a fifth of the scale up."""
    base = pg.colormap.get(PRESENCE_CMAP)
    pos = np.linspace(0.0, 1.0, 64)
    rgba = base.map(1.0 - 0.85 * pos, mode="byte").astype(float)  # dark = more minutes
    rgba[:, 3] = 255 * np.clip(pos / 0.2, 0.0, 1.0) ** 0.7
    return pg.ColorMap(pos, rgba.astype(np.ubyte), name=f"{PRESENCE_CMAP} with opacity ramp")


def sqrt_ticks(vmax: float, min_gap: float = 0.11) -> list:
    """Colour bar ticks for a square-root scale: positions sqrt(v) labelled v, for round v
    (the largest single-digit x 10^k not above ``vmax``, then 1, 2, 5 x 10^k) at least
    ``min_gap`` of the bar apart."""
    if not vmax > 0 or not math.isfinite(vmax):
        return [[(0.0, "0")], []]
    top = math.sqrt(vmax)
    e_max = math.floor(math.log10(vmax))
    first = math.floor(vmax / 10.0 ** e_max + 1e-9) * 10.0 ** e_max
    cands = [first] + sorted({m * 10.0 ** e for e in range(e_max - 4, e_max + 1) for m in (1, 2, 5)
                              if m * 10.0 ** e <= vmax * (1 + 1e-9)}, reverse=True)
    chosen = [0.0]
    for v in cands:
        if all(abs(math.sqrt(v) - math.sqrt(c)) >= min_gap * top for c in chosen):
            chosen.append(v)

    def label(v: float) -> str:
        if v >= 10_000:
            return f"{v / 1000:g}k"
        return f"{v:,.0f}" if v >= 1 else f"{v:g}"

    return [[(math.sqrt(v), label(v)) for v in sorted(chosen)], []]


def nice_length(target: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``target`` (a scale bar's length)."""
    if not target > 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * power <= target * (1 + 1e-9):
            return step * power
    return power


def _top_left_corner(geom) -> tuple[float, float]:
    """The leftmost of a polygon's topmost vertices (a corner on its boundary)."""
    import shapely

    xy = shapely.get_coordinates(geom)
    top = xy[xy[:, 1] >= xy[:, 1].max() - 1e-6]
    x = float(top[:, 0].min())
    return x, float(xy[:, 1].max())


def polygon_path(geom) -> QPainterPath:
    """A QPainterPath of a (multi)polygon with holes (odd-even fill)."""
    import shapely

    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            pts = np.asarray(ring.coords)
            path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in pts]))
            path.closeSubpath()
    return path


class MapOverlay(QWidget):
    """Scale bar, north arrow and legend painted over the map (not part of the scene)."""

    def __init__(self, view: "MapView"):
        super().__init__(view.plot)
        self.view = view
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.legend: list[tuple[str, QColor, str]] = []  # (label, colour, kind: fill/line/dot)
        self.scale_text = ""

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt)
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._scale_bar(p)
            self._north_arrow(p)
            self._legend(p)
        finally:
            p.end()

    def _area(self) -> QRectF:
        """The view box's rectangle in this widget's coordinates (excludes the colour bar)."""
        vb = self.view.vb
        scene_rect = vb.sceneBoundingRect()
        poly = self.view.plot.mapFromScene(scene_rect)
        r = QRectF(poly.boundingRect())
        return r if r.width() > 50 and r.height() > 50 else QRectF(self.rect())

    def _panel(self, p: QPainter, rect: QRectF) -> None:
        p.setPen(QPen(QColor(0, 0, 0, 60), 1))
        p.setBrush(QColor(255, 255, 255, 215))
        p.drawRoundedRect(rect, 4, 4)

    def _scale_bar(self, p: QPainter) -> None:
        m_per_px = self.view.metres_per_pixel()
        if not m_per_px or not math.isfinite(m_per_px):
            self.scale_text = ""
            return
        target_m = m_per_px * min(160, self.width() / 4)
        length_m = nice_length(target_m)
        px = length_m / m_per_px
        text = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
        self.scale_text = text
        font = QFont(self.font())
        font.setPointSizeF(9)
        p.setFont(font)
        area = self._area()
        w = px + 70
        rect = QRectF(area.right() - w - 12, area.bottom() - 44, w, 32)
        self._panel(p, rect)
        x0 = rect.left() + 10
        y = rect.bottom() - 10
        p.setPen(QPen(QColor(30, 30, 30), 2))
        half = px / 2
        p.fillRect(QRectF(x0, y - 5, half, 5), QColor(30, 30, 30))
        p.fillRect(QRectF(x0 + half, y - 5, half, 5), QColor(255, 255, 255))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(30, 30, 30), 1))
        p.drawRect(QRectF(x0, y - 5, px, 5))
        p.drawText(QRectF(x0 + px + 6, rect.top(), 60, rect.height() - 4),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        p.drawText(QRectF(x0, rect.top() + 2, px, 14), Qt.AlignmentFlag.AlignLeft, "0")

    def _north_arrow(self, p: QPainter) -> None:
        area = self._area()
        cx, top = area.right() - 32, area.top() + 14
        rect = QRectF(cx - 18, top - 4, 36, 52)
        self._panel(p, rect)
        left = QPolygonF([QPointF(cx, top + 4), QPointF(cx - 9, top + 34), QPointF(cx, top + 28)])
        right = QPolygonF([QPointF(cx, top + 4), QPointF(cx + 9, top + 34), QPointF(cx, top + 28)])
        p.setPen(QPen(QColor(30, 30, 30), 1))
        p.setBrush(QColor(30, 30, 30))
        p.drawPolygon(left)
        p.setBrush(QColor(255, 255, 255))
        p.drawPolygon(right)
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(9)
        p.setFont(font)
        p.drawText(QRectF(cx - 10, top + 33, 20, 14), Qt.AlignmentFlag.AlignCenter, "N")

    def _legend(self, p: QPainter) -> None:
        if not self.legend:
            return
        font = QFont(self.font())
        font.setPointSizeF(9)
        p.setFont(font)
        fm = p.fontMetrics()
        line_h = fm.height() + 3
        width = max(fm.horizontalAdvance(label) for label, _, _ in self.legend) + 40
        area = self._area()
        rect = QRectF(area.left() + 12, area.bottom() - 16 - line_h * len(self.legend) - 8, width,
                      line_h * len(self.legend) + 8)
        self._panel(p, rect)
        y = rect.top() + 4
        for label, colour, kind in self.legend:
            sym = QRectF(rect.left() + 8, y + line_h / 2 - 6, 18, 12)
            if kind == "line":
                p.setPen(QPen(colour, 2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(sym.adjusted(2, 1, -2, -1))
            elif kind == "dot":
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
                p.drawEllipse(sym.center(), 3, 3)
            elif kind == "stroke":
                p.setPen(QPen(colour, 3))
                p.drawLine(QPointF(sym.left(), sym.center().y()), QPointF(sym.right(), sym.center().y()))
            else:
                p.setPen(QPen(QColor(0, 0, 0, 80), 1))
                p.setBrush(colour)
                p.drawRect(sym)
            p.setPen(QColor(20, 20, 20))
            p.drawText(QRectF(sym.right() + 8, y, width, line_h), Qt.AlignmentFlag.AlignVCenter, label)
            y += line_h


class MapView(QWidget):
    """The map. Signals: ``cursorMoved(x, y)`` in the working CRS, ``identified(html)`` on a click,
    ``layersChanged()`` when a layer is added, removed or restyled."""

    cursorMoved = Signal(float, float)
    identified = Signal(str)
    layersChanged = Signal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        self.plot = pg.PlotWidget(background=BACKGROUND)
        self.plot.setObjectName("map")
        self.item = self.plot.getPlotItem()
        self.item.setAspectLocked(True, ratio=1.0)
        for axis in ("left", "bottom"):
            self.item.hideAxis(axis)
        self.item.hideButtons()
        self.item.setMenuEnabled(False)
        self.vb = self.item.getViewBox()
        self.vb.setDefaultPadding(0.02)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.layers: dict[str, Layer] = {}
        self.overlay = MapOverlay(self)
        self.colour_bar: Optional[pg.ColorBarItem] = None
        self.density_image: Optional[pg.ImageItem] = None
        self.density_surface = None
        self.density_overview = None       # the surface as drawn whole (coarser cells)
        self.density_view = None           # the surface of the view at finer cells (level of detail)
        self.density_view_image: Optional[pg.ImageItem] = None
        self._density_levels = (0.0, 1.0)
        self.presence = None       # (minutes per cell, GridSpec)
        self.emerging = None       # [(class, RGB, label, cells)] of the emerging layer, legend order
        self.hotspot_areas = None
        self.forecast = None       # ForecastResult whose boxes are drawn
        self.forecast_items: dict = {}
        self.gi = None
        self.incidents = None      # GeoDataFrame shown (filtered)
        self._inc_xy = np.empty((0, 2))
        self.aggregated = False
        self.highlight_items: list = []
        self.selected_hotspot_item = None
        self.vb.sigRangeChanged.connect(lambda *_: self.overlay.update())
        self.vb.sigResized.connect(lambda *_: self.overlay.update())
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._mouse_clicked)

    # ------------------------------------------------------------------ geometry helpers
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.overlay.setGeometry(self.plot.rect())

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.overlay.setGeometry(self.plot.rect())

    def metres_per_pixel(self) -> float:
        px = self.vb.viewPixelSize()
        return float(px[0]) if px and px[0] > 0 else 0.0

    def view_rect(self) -> QRectF:
        return self.vb.viewRect()

    def view_bounds(self) -> tuple[float, float, float, float]:
        """The visible extent (xmin, ymin, xmax, ymax) in the working CRS."""
        r = self.vb.viewRect()
        return (float(r.left()), float(r.top()), float(r.right()), float(r.bottom()))

    def view_pixels(self) -> tuple[int, int]:
        """The view box's size in device pixels."""
        r = self.vb.sceneBoundingRect()
        ratio = float(self.devicePixelRatioF() or 1.0)
        return (int(round(r.width() * ratio)), int(round(r.height() * ratio)))

    # ------------------------------------------------------------------ layers
    def _set_layer(self, key: str, items: list, bounds=None, count: int = 0) -> Layer:
        old = self.layers.get(key)
        if old is not None:
            for it in old.items:
                self.vb.removeItem(it)
        layer = Layer(key, LAYER_TITLES[key], list(items),
                      visible=old.visible if old else True,
                      opacity=old.opacity if old else 1.0, bounds=bounds, count=count)
        for it in layer.items:
            it.setZValue(max(it.zValue(), Z[key]))
            self.vb.addItem(it)
        layer.apply()
        self.layers[key] = layer
        self._update_legend()
        self.layersChanged.emit()
        return layer

    def remove_layer(self, key: str) -> None:
        layer = self.layers.pop(key, None)
        if layer is None:
            return
        for it in layer.items:
            self.vb.removeItem(it)
        if key == "density" and self.colour_bar is not None:
            self.colour_bar.setVisible(False)
        self._update_legend()
        self.layersChanged.emit()

    def layer_keys(self) -> list[str]:
        """Layers present, top first."""
        return [k for k in LAYER_ORDER if k in self.layers]

    def set_layer_visible(self, key: str, visible: bool) -> None:
        layer = self.layers.get(key)
        if layer is None:
            return
        layer.visible = bool(visible)
        layer.apply()
        if key == "density" and self.colour_bar is not None:
            self.colour_bar.setVisible(layer.visible)
        self._update_legend()
        self.layersChanged.emit()

    def set_layer_opacity(self, key: str, opacity: float) -> None:
        layer = self.layers.get(key)
        if layer is None:
            return
        layer.opacity = min(max(float(opacity), 0.0), 1.0)
        layer.apply()
        self.layersChanged.emit()

    def zoom_to(self, bounds, padding: float = 0.05, min_extent_m: float = 200.0) -> None:
        """Show ``bounds`` (x0, y0, x1, y1), widened to at least ``min_extent_m`` each way."""
        if bounds is None:
            return
        x0, y0, x1, y1 = (float(b) for b in bounds)
        if x1 - x0 < min_extent_m:
            x0, x1 = (x0 + x1 - min_extent_m) / 2, (x0 + x1 + min_extent_m) / 2
        if y1 - y0 < min_extent_m:
            y0, y1 = (y0 + y1 - min_extent_m) / 2, (y0 + y1 + min_extent_m) / 2
        self.vb.setRange(QRectF(x0, y0, x1 - x0, y1 - y0), padding=padding)
        self.overlay.update()

    def zoom_to_layer(self, key: str) -> None:
        layer = self.layers.get(key)
        if layer is not None:
            self.zoom_to(layer.bounds)

    def zoom_to_all(self) -> None:
        boxes = [layer.bounds for k, layer in self.layers.items()
                 if layer.bounds is not None and k in ("incidents", "density")]
        if not boxes:
            boxes = [layer.bounds for layer in self.layers.values() if layer.bounds is not None]
        if boxes:
            b = np.asarray(boxes, dtype=float)
            self.zoom_to((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()), padding=0.03)

    def clear(self) -> None:
        for key in list(self.layers):
            self.remove_layer(key)
        self.clear_highlight()
        self.presence = None
        self.emerging = None
        self.density_surface = None
        self.density_overview = None
        self.density_view = None
        self.density_view_image = None
        self.hotspot_areas = None
        self.forecast = None
        self.forecast_items = {}
        self.gi = None
        self.incidents = None
        self._inc_xy = np.empty((0, 2))

    # ------------------------------------------------------------------ basemap
    def set_lines(self, key: str, gdf, *, colour=(150, 150, 150), width: float = 1.2,
                  name_column: Optional[str] = None) -> None:
        """Streets or boundaries (any line/polygon GeoDataFrame in the working CRS)."""
        if gdf is None or len(gdf) == 0:
            self.remove_layer(key)
            return
        x, y = _lines_xy(list(gdf.geometry))
        pen = pg.mkPen(color=colour, width=width)
        pen.setCosmetic(True)
        curve = pg.PlotCurveItem(x, y, pen=pen, connect="finite", antialias=True)
        items = [curve]
        if name_column and name_column in gdf.columns:
            names = gdf[name_column].fillna("").astype(str)
            named = gdf[names != ""]
            if 0 < named[name_column].nunique() <= MAX_STREET_LABELS:
                for name, group in named.groupby(name_column):
                    geom = group.geometry.union_all() if hasattr(group.geometry, "union_all") \
                        else group.geometry.unary_union
                    pt = geom.interpolate(0.5, normalized=True) if geom.geom_type != "MultiLineString" \
                        else max(geom.geoms, key=lambda g: g.length).interpolate(0.5, normalized=True)
                    label = pg.TextItem(str(name), color=(70, 70, 70), anchor=(0.5, 1.1),
                                        fill=pg.mkBrush(255, 255, 255, 150))
                    label.setFont(QFont(self.font().family(), 8))
                    label.setZValue(Z["labels"])
                    label.setPos(pt.x, pt.y)
                    items.append(label)
        b = gdf.total_bounds
        self._set_layer(key, items, bounds=tuple(float(v) for v in b), count=len(gdf))
        self.street_frame = gdf if key == "streets" else getattr(self, "street_frame", None)

    def set_basemap(self, basemap) -> None:
        """An offline basemap (:class:`analysis.basemap.Basemap`) drawn muted under everything:
        OSM roads as grey lines by class, tiles as one washed-out image."""
        if basemap is None:
            self.remove_layer("basemap")
            return
        from analysis.basemap.osm import ROAD_CLASSES
        from analysis.export.basemap_draw import muted_tiles

        x0, y0, x1, y1 = basemap.extent
        items = []
        if basemap.image is not None:
            img = pg.ImageItem(axisOrder="row-major")  # as the density: rows from the south, then setRect
            img.setImage(np.ascontiguousarray(muted_tiles(basemap.image)[::-1]), autoLevels=False, levels=(0, 255))
            img.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            items.append(img)
            count = 1
        else:
            roads = basemap.roads
            count = 0 if roads is None else len(roads)
            for cls, (width_pt, grey) in ROAD_CLASSES.items():
                part = roads[(roads["road_class"] == cls).to_numpy()] if count else roads
                if part is None or not len(part):
                    continue
                x, y = _lines_xy(list(part.geometry))
                g = int(255 * grey)
                pen = pg.mkPen(color=(g, g, g), width=max(0.6, width_pt * 1.1))
                pen.setCosmetic(True)
                items.append(pg.PlotCurveItem(x, y, pen=pen, connect="finite", antialias=True))
        if not items:
            self.remove_layer("basemap")
            return
        self._set_layer("basemap", items, bounds=None, count=count)  # the data, not the basemap, sets the zoom

    # ------------------------------------------------------------------ incidents
    def set_incidents(self, incidents) -> None:
        """Incident points (already filtered); aggregated into cells above :data:`MAX_POINTS`."""
        self.incidents = incidents
        if incidents is None or len(incidents) == 0:
            self._inc_xy = np.empty((0, 2))
            self.remove_layer("incidents")
            return
        xy = np.column_stack([incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()])
        self._inc_xy = xy
        n = len(xy)
        bounds = (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))
        if n <= MAX_POINTS:
            self.aggregated = False
            scatter = pg.ScatterPlotItem(xy[:, 0], xy[:, 1], size=2.5, pen=None,
                                         brush=pg.mkBrush(*INCIDENT_RGBA), pxMode=True)
            self._set_layer("incidents", [scatter], bounds=bounds, count=n)
        else:
            # counts per display cell (analysis.hotspots.grid) drawn as squares sized by count
            self.aggregated = True
            side = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1.0)
            grid = GridSpec.from_bounds(*bounds, cell_m=readable_number(side / AGGREGATE_CELLS, direction="up"))
            counts = grid.counts(xy)
            rows, cols = np.nonzero(counts)
            cx = grid.x0 + (cols + 0.5) * grid.cell_m
            cy = grid.y0 + (rows + 0.5) * grid.cell_m
            c = counts[rows, cols]
            sizes = 2.0 + 6.0 * np.sqrt(c / c.max())
            scatter = pg.ScatterPlotItem(cx, cy, size=sizes, pen=None, symbol="s",
                                         brush=pg.mkBrush(*INCIDENT_RGBA), pxMode=True)
            self.aggregate_grid = grid
            self.aggregate_counts = counts
            self._set_layer("incidents", [scatter], bounds=bounds, count=n)

    # ------------------------------------------------------------------ density, hotspots, Gi*
    def set_density(self, surface, overview=None) -> None:
        """The density surface, coloured on a square-root scale (the colour bar is labelled in the
        surface's own units, incidents per km², at its true values). ``overview`` is the same surface
        as drawn whole, at coarser cells (:func:`analysis.hotspots.detail.display_overview`; default
        ``surface``); identify reads ``surface``. A view drawn at finer cells
        (:meth:`set_density_view`) is dropped."""
        self.density_surface = surface
        self.density_overview = overview if overview is not None else surface
        self.density_view = None
        self.density_view_image = None
        if surface is None:
            self.remove_layer("density")
            return
        vmax = float(surface.max_density) if surface.values.size else 0.0
        top = math.sqrt(vmax) if vmax > 0 else 1.0
        self._density_levels = (0.0, top)
        img = self._density_item(self.density_overview)
        self.density_image = img
        layer = self._set_layer("density", [img], bounds=surface.grid.bounds, count=int(surface.n_points))
        if layer.opacity == 1.0:
            self.set_layer_opacity("density", 0.9)
        units = surface.density_units.replace("km^2", "km²") + " (square-root scale)"
        if self.colour_bar is None:
            self.colour_bar = pg.ColorBarItem(values=(0, top), colorMap=density_colormap(), label=units,
                                              interactive=False, width=14, colorMapMenu=False)
            self.colour_bar.setImageItem(img, insert_in=self.item)
            axis = self.colour_bar.getAxis("right")
            axis.setTextPen(pg.mkPen(40, 40, 40))
            axis.setPen(pg.mkPen(80, 80, 80))
            axis.label.setDefaultTextColor(QColor(40, 40, 40))
        else:
            self.colour_bar.setImageItem(img)
            self.colour_bar.setLevels((0, top))
            self.colour_bar.getAxis("right").setLabel(units)
        self.colour_bar.getAxis("right").setTicks(sqrt_ticks(vmax))
        self.colour_bar.setVisible(self.layers["density"].visible)

    def _density_item(self, surface) -> pg.ImageItem:
        """An image of ``surface`` on the overview's colour scale (square root, transparent at 0)."""
        g = surface.grid
        vals = np.sqrt(np.asarray(surface.values, dtype=np.float32))
        vals[vals <= 0] = np.nan  # transparent where there is no density
        img = pg.ImageItem(axisOrder="row-major")
        img.setColorMap(density_colormap())
        img.setImage(vals, levels=self._density_levels, autoLevels=False)
        img.setRect(QRectF(g.x0, g.y0, g.width_m, g.height_m))
        return img

    @property
    def density_shown_cell_m(self) -> Optional[float]:
        """The cell of the overview as drawn (None: no density)."""
        return None if self.density_overview is None else float(self.density_overview.grid.cell_m)

    def set_density_view(self, surface) -> None:
        """Draw the density of the current view at finer cells (level of detail) instead of the
        overview, on the overview's colour scale; None returns to the overview."""
        layer = self.layers.get("density")
        if layer is None or self.density_image is None:
            return
        if surface is None:
            if self.density_view is None:
                return
            self.density_view = None
            self.density_view_image = None
            items = [self.density_image]
        else:
            self.density_view = surface
            self.density_view_image = self._density_item(surface)
            items = [self.density_view_image]
        for it in layer.items:
            self.vb.removeItem(it)
        layer.items = items
        for it in items:
            it.setZValue(Z["density"])
            self.vb.addItem(it)
        layer.apply()
        if self.colour_bar is not None:
            self.colour_bar.setImageItem(items[0])
            self.colour_bar.setLevels(self._density_levels)
            self.colour_bar.setVisible(layer.visible)

    def set_presence(self, minutes, grid=None) -> None:
        """Observed patrol presence (minutes per cell on ``grid``) as a blue image, square-root
        scale, transparent where no unit was seen; None removes the layer."""
        if minutes is None:
            self.presence = None
            self.remove_layer("presence")
            return
        minutes = np.asarray(minutes, dtype=np.float32)
        self.presence = (minutes, grid)
        vals = np.sqrt(minutes)
        positive = minutes[minutes > 0]
        top = math.sqrt(float(np.percentile(positive, 99))) if positive.size else 1.0
        vals[minutes <= 0] = np.nan
        img = pg.ImageItem(axisOrder="row-major")
        img.setColorMap(presence_colormap())
        img.setImage(vals, levels=(0.0, max(top, 1e-6)), autoLevels=False)
        img.setRect(QRectF(grid.x0, grid.y0, grid.width_m, grid.height_m))
        layer = self._set_layer("presence", [img], bounds=grid.bounds, count=0)
        if layer.opacity == 1.0:
            self.set_layer_opacity("presence", 0.85)

    def set_emerging(self, result) -> None:
        """The classes of an emerging hot spot analysis (EmergingHotSpots) as coloured cells, no
        pattern left clear; the legend lists the classes present. None removes the layer."""
        from analysis.export.emerging_style import present_classes

        self.emerging = None
        if result is None:
            self.remove_layer("emerging")
            return
        self.emerging = present_classes(result.classes)
        g = result.grid
        rgba = np.zeros(g.shape + (4,), dtype=np.uint8)
        for name, rgb, _label, _n in self.emerging:
            rgba[result.classes == name] = (*rgb, 215)
        img = pg.ImageItem(rgba, axisOrder="row-major")
        img.setRect(QRectF(g.x0, g.y0, g.width_m, g.height_m))
        self._set_layer("emerging", [img], bounds=g.bounds, count=sum(n for *_, n in self.emerging))

    def set_units(self, pings, label: str = "") -> None:
        """Where each unit was in a chosen hour: its pings joined as a track, its last position a dot
        (a colour per unit); None or no pings removes the layer."""
        if pings is None or len(pings) == 0:
            self.remove_layer("units")
            return
        items = []
        units = pings["unit_id"].to_numpy()
        x, y = pings.geometry.x.to_numpy(), pings.geometry.y.to_numpy()
        names = list(dict.fromkeys(units))
        for i, unit in enumerate(names):
            rows = np.flatnonzero(units == unit)
            colour = UNIT_COLOURS[i % len(UNIT_COLOURS)]
            if len(rows) > 1:
                pen = pg.mkPen(*colour, width=2)
                items.append(pg.PlotCurveItem(x[rows], y[rows], pen=pen))
            dot = pg.ScatterPlotItem([x[rows[-1]]], [y[rows[-1]]], size=11, pen=pg.mkPen(255, 255, 255, width=1.5),
                                     brush=pg.mkBrush(*colour), pxMode=True)
            dot.setToolTip(str(unit))
            items.append(dot)
        bounds = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
        self.units_label = label
        self._set_layer("units", items, bounds=bounds, count=len(names))

    def set_hotspots(self, areas) -> None:
        self.hotspot_areas = areas
        self.selected_hotspot_item = None
        if areas is None or not areas.hotspots:
            self.remove_layer("hotspots")
            return
        items = []
        self.hotspot_items = {}
        for h in areas.hotspots:
            path_item = QGraphicsPathItem(polygon_path(h.geometry))
            pen = QPen(HOTSPOT_PEN, 2.0)
            pen.setCosmetic(True)
            path_item.setPen(pen)
            path_item.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            items.append(path_item)
            self.hotspot_items[h.rank] = path_item
            if h.rank <= 20:
                pt = h.geometry.representative_point()
                label = pg.TextItem(str(h.rank), color=(255, 255, 255), anchor=(0.5, 0.5),
                                    fill=pg.mkBrush(20, 20, 90, 220), border=pg.mkPen(255, 255, 255))
                font = QFont(self.font().family(), 9)
                font.setBold(True)
                label.setFont(font)
                label.setPos(pt.x, pt.y)
                label.setZValue(Z["labels"] + 0.5)
                items.append(label)
        b = np.asarray([h.geometry.bounds for h in areas.hotspots])
        self._set_layer("hotspots", items, bounds=(b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()),
                        count=len(areas.hotspots))

    def zoom_to_hotspots(self, top: int = 10) -> None:
        """Zoom to the ``top`` highest-ranked hotspot areas."""
        if self.hotspot_areas is None or not self.hotspot_areas.hotspots:
            return
        b = np.asarray([h.geometry.bounds for h in self.hotspot_areas.hotspots[:top]])
        self.zoom_to((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()), padding=0.12)

    def select_hotspot(self, rank: Optional[int]) -> None:
        for r, item in getattr(self, "hotspot_items", {}).items():
            pen = QPen(HIGHLIGHT if r == rank else HOTSPOT_PEN, 4.0 if r == rank else 2.0)
            pen.setCosmetic(True)
            item.setPen(pen)
        if rank is not None and self.hotspot_areas is not None:
            for h in self.hotspot_areas.hotspots:
                if h.rank == rank:
                    self.zoom_to(h.geometry.bounds, padding=0.6)

    def set_forecast(self, result) -> None:
        """The boxes of a forecast (:class:`analysis.spacetime.next_period.ForecastResult`) outlined
        with their rank numbers; None (or no boxes) removes the layer."""
        self.forecast = result
        self.forecast_items = {}
        if result is None or not result.boxes:
            self.remove_layer("forecast")
            return
        items = []
        for b in result.boxes:
            path_item = QGraphicsPathItem(polygon_path(b.geometry))
            path_item.setPen(self._forecast_pen(False))
            path_item.setBrush(QBrush(QColor(FORECAST_PEN.red(), FORECAST_PEN.green(), FORECAST_PEN.blue(), 40)))
            items.append(path_item)
            self.forecast_items[b.rank] = path_item
            label = pg.TextItem(str(b.rank), color=(255, 255, 255), anchor=(0.0, 0.0),
                                fill=pg.mkBrush(FORECAST_PEN), border=pg.mkPen(255, 255, 255))
            font = QFont(self.font().family(), 9)
            font.setBold(True)
            label.setFont(font)
            label.setPos(*_top_left_corner(b.geometry))  # inside the box's top-left: clear of hotspot ranks
            label.setZValue(Z["labels"] + 0.6)
            items.append(label)
        b = np.asarray([box.geometry.bounds for box in result.boxes])
        self._set_layer("forecast", items, bounds=(b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()),
                        count=len(result.boxes))

    @staticmethod
    def _forecast_pen(selected: bool) -> QPen:
        pen = QPen(HIGHLIGHT if selected else FORECAST_PEN, 4.0 if selected else 2.5)
        pen.setCosmetic(True)
        return pen

    def select_forecast_box(self, rank: Optional[int]) -> None:
        """Mark box ``rank`` and zoom the map to it (None: unmark)."""
        for r, item in self.forecast_items.items():
            item.setPen(self._forecast_pen(r == rank))
        if rank is not None and self.forecast is not None:
            for b in self.forecast.boxes:
                if b.rank == rank:
                    self.zoom_to(b.geometry.bounds, padding=0.6)

    def set_gi(self, gi) -> None:
        self.gi = gi
        if gi is None:
            self.remove_layer("gi")
            return
        g = gi.grid
        rgba = np.zeros(gi.classes.shape + (4,), dtype=np.uint8)
        for cls, colour in GI_COLOURS.items():
            rgba[gi.classes == cls] = colour
        img = pg.ImageItem(rgba, axisOrder="row-major")
        img.setRect(QRectF(g.x0, g.y0, g.width_m, g.height_m))
        n_sig = int(np.count_nonzero(gi.classes))
        layer = self._set_layer("gi", [img], bounds=g.bounds, count=n_sig)
        if "gi" in self.layers and layer.visible and not getattr(self, "_gi_shown_once", False):
            # Gi* overlaps the density: shown on demand (layer list), hidden at first
            self._gi_shown_once = True
            self.set_layer_visible("gi", False)

    # ------------------------------------------------------------------ highlight
    def clear_highlight(self) -> None:
        for it in self.highlight_items:
            self.vb.removeItem(it)
        self.highlight_items = []
        self._update_legend()

    def highlight(self, lines=None, xy: Optional[np.ndarray] = None, zoom: bool = True) -> None:
        """Draw a selected street: its line geometry and/or its incidents' points."""
        self.clear_highlight()
        boxes = []
        if lines is not None and len(lines):
            x, y = _lines_xy(list(lines))
            pen = pg.mkPen(color=HIGHLIGHT, width=5)
            pen.setCosmetic(True)
            curve = pg.PlotCurveItem(x, y, pen=pen, connect="finite")
            self.highlight_items.append(curve)
            boxes.append(lines.total_bounds if hasattr(lines, "total_bounds") else None)
        if xy is not None and len(xy):
            sc = pg.ScatterPlotItem(xy[:, 0], xy[:, 1], size=5, pen=pg.mkPen(255, 255, 255, 160),
                                    brush=pg.mkBrush(HIGHLIGHT), pxMode=True)
            self.highlight_items.append(sc)
            boxes.append((xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()))
        for it in self.highlight_items:
            it.setZValue(Z["highlight"])
            self.vb.addItem(it)
        self._update_legend()
        boxes = [b for b in boxes if b is not None]
        if zoom and boxes:
            b = np.asarray(boxes, dtype=float)
            # at least 800 m: a street of one data.police.uk snap point is shown among its neighbours
            self.zoom_to((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()), padding=0.4,
                         min_extent_m=800.0)

    # ------------------------------------------------------------------ legend
    def _update_legend(self) -> None:
        entries = []
        visible = {k for k, layer in self.layers.items() if layer.visible}
        if "hotspots" in visible and self.hotspot_areas is not None:
            entries.append((f"Hotspot area (top {self.hotspot_areas.top_percent:g}% density), rank",
                            HOTSPOT_PEN, "line"))
        if "forecast" in visible and self.forecast is not None:
            entries.append((f"Forecast box, {self.forecast.label}, rank", FORECAST_PEN, "line"))
        if "incidents" in visible:
            entries.append(("Incidents (squares: count per cell)" if self.aggregated else "Incident",
                            QColor(45, 45, 70, 200), "dot"))
        if "gi" in visible and self.gi is not None:
            for cls in (3, 2, 1, -1, -2, -3):
                entries.append((f"Gi* {GI_LABELS[cls]}", QColor(*GI_COLOURS[cls]), "fill"))
        if "emerging" in visible and self.emerging:
            for _name, rgb, label, n in self.emerging:
                entries.append((f"{label} ({n} cells)", QColor(*rgb), "fill"))
        if "units" in visible:
            entries.append((getattr(self, "units_label", "") or "Unit (dot: last position in the hour)",
                            QColor(*UNIT_COLOURS[0]), "dot"))
        if "presence" in visible and self.presence is not None:
            entries.append(("Patrol presence (darker: more minutes)", QColor(*PRESENCE_RGB), "fill"))
        if "streets" in visible:
            entries.append(("Street", QColor(150, 150, 150), "stroke"))
        if self.highlight_items:
            entries.append(("Selected street and its incidents", HIGHLIGHT, "stroke"))
        self.overlay.legend = entries
        self.overlay.update()

    # ------------------------------------------------------------------ cursor and identify
    def _mouse_moved(self, pos) -> None:
        if not self.vb.sceneBoundingRect().contains(pos):
            return
        pt = self.vb.mapSceneToView(pos)
        self.cursorMoved.emit(float(pt.x()), float(pt.y()))

    def _mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self.vb.sceneBoundingRect().contains(event.scenePos()):
            return
        pt = self.vb.mapSceneToView(event.scenePos())
        self.identify(float(pt.x()), float(pt.y()))

    def identify(self, x: float, y: float, tolerance_px: float = 6.0) -> str:
        """HTML describing what is at (x, y): the nearest incident within ``tolerance_px``, else
        the hotspot, Gi* cell and density there. Emits :attr:`identified`."""
        parts = []
        tol = tolerance_px * (self.metres_per_pixel() or 1.0)
        inc_layer = self.layers.get("incidents")
        if (inc_layer is not None and inc_layer.visible and not self.aggregated and len(self._inc_xy)):
            d2 = (self._inc_xy[:, 0] - x) ** 2 + (self._inc_xy[:, 1] - y) ** 2
            i = int(np.argmin(d2))
            if d2[i] <= tol * tol:
                parts.append(self._incident_html(i, int(np.count_nonzero(d2 <= 1.0))))
        if self.hotspot_areas is not None and "hotspots" in self.layers:
            import shapely
            p = shapely.Point(x, y)
            for h in self.hotspot_areas.hotspots:
                if h.geometry.covers(p):
                    parts.append(hotspot_html(h))
                    break
        if self.forecast is not None and "forecast" in self.layers:
            import shapely
            p = shapely.Point(x, y)
            for b in self.forecast.boxes:
                if b.geometry.covers(p):
                    streets = ", ".join(html.escape(s) for s in b.streets) or "-"
                    parts.append(f"<b>Forecast box {b.rank}</b> ({html.escape(self.forecast.label)}): "
                                 f"{b.risk:.1f} incidents expected, {b.area_km2:.3f} km²; {streets}")
                    break
        if self.gi is not None and "gi" in self.layers and self.layers["gi"].visible:
            g = self.gi.grid
            col = int(math.floor((x - g.x0) / g.cell_m))
            row = int(math.floor((y - g.y0) / g.cell_m))
            if 0 <= row < g.ny and 0 <= col < g.nx:
                cls = int(self.gi.classes[row, col])
                label = GI_LABELS.get(cls, "not significant")
                parts.append(f"<b>Gi* cell</b> ({g.cell_m:g} m): {self.gi.counts[row, col]:g} incidents, "
                             f"z = {self.gi.z[row, col]:.2f}, p = {self.gi.p[row, col]:.3g} &rarr; {label}")
        surface = self.density_surface
        if self.density_view is not None:
            vx0, vy0, vx1, vy1 = self.density_view.grid.bounds
            if vx0 <= x < vx1 and vy0 <= y < vy1:
                surface = self.density_view  # the finer cells drawn
        if surface is not None:
            g = surface.grid
            col = int(math.floor((x - g.x0) / g.cell_m))
            row = int(math.floor((y - g.y0) / g.cell_m))
            if 0 <= row < g.ny and 0 <= col < g.nx:
                v = float(surface.values[row, col])
                units = html.escape(surface.density_units.replace("km^2", "km²"))
                parts.append(f"<b>Density</b>: {v:,.0f} {units}")
        if self.presence is not None and "presence" in self.layers:
            minutes, g = self.presence
            col = int(math.floor((x - g.x0) / g.cell_m))
            row = int(math.floor((y - g.y0) / g.cell_m))
            if 0 <= row < g.ny and 0 <= col < g.nx:
                parts.append(f"<b>Patrol presence</b>: {float(minutes[row, col]):,.1f} minutes in this "
                             f"{g.cell_m:g} m cell")
        text = "<br><br>".join(parts) if parts else "Nothing here."
        self.identified.emit(text)
        return text

    def _incident_html(self, i: int, same_point: int) -> str:
        row = self.incidents.iloc[i]

        def cell(label, value):
            return f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(str(value))}</td></tr>"

        t0, t1 = row["t_start"], row["t_end"]
        when = "unknown"
        if row["time_precision"] == "minute":
            when = f"{t0:%a %d %b %Y %H:%M}"
        elif row["time_precision"] == "window":
            when = f"{t0:%d %b %Y %H:%M} to {t1:%d %b %Y %H:%M}"
        elif row["time_precision"] == "day":
            when = f"{t0:%a %d %b %Y} (no time of day)"
        elif row["time_precision"] == "month":
            when = f"{t0:%B %Y} (month only)"
        rows = [cell("Incident", row["incident_id"]), cell("Crime type", row["crime_type"] or "(unknown)"),
                cell("When", when), cell("Location", row["location"] or "-"),
                cell("Area", row["lsoa"] or row["area"] or "-"),
                cell("Source", f"{row['source_file'].split('/')[-1]}, line {row['source_row']}")]
        if same_point > 1:
            rows.append(cell("At this point", f"{same_point} incidents (shared map point)"))
        return "<table>" + "".join(rows) + "</table>"


def hotspot_html(h) -> str:
    """The numbers of one hotspot (used by the map's identify and the hotspot panel)."""
    locs = "".join(f"<li>{html.escape(loc)} ({n})</li>" for loc, n in zip(h.locations, h.location_counts))
    return (f"<b>Hotspot {h.rank}</b><table>"
            f"<tr><td>Incidents inside</td><td>{h.incidents:,}</td></tr>"
            f"<tr><td>Share of all</td><td>{100 * h.share:.1f}%</td></tr>"
            f"<tr><td>Area</td><td>{h.area_km2:.3f} km²</td></tr>"
            f"<tr><td>PAI</td><td>{h.pai:.1f}</td></tr>"
            f"<tr><td>Peak density</td><td>{h.peak_density:,.0f} per km²</td></tr></table>"
            + (f"Streets:<ul>{locs}</ul>" if locs else ""))
