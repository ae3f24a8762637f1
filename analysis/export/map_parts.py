"""The parts every static Beatwise map shares (matplotlib, Agg canvas, no ``pyplot``).

The hotspot map (:mod:`analysis.export.mapfig`) and the forecast boxes map
(:mod:`analysis.export.boxes_map`) are drawn from the same pieces, so they look alike and print
alike: a kilometre grid in the working CRS (:func:`draw_frame`); the context layers, i.e. the
offline basemap muted, boundaries and the street layer (:func:`draw_context`); a scale bar, a
north arrow (grid north of the working CRS) and the SYNTHETIC stamp (:func:`add_furniture`);
numbered markers and street names from the incidents' location text placed greedily so that no
label covers another (:class:`Placer`, :func:`place_numbers`, :func:`place_street_labels`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.export.basemap_draw import draw_basemap
from analysis.hotspots.grid import readable_number


def polygon_path(geom) -> Optional[MplPath]:
    """A (Multi)Polygon, holes included, as one matplotlib path; None when it has no ring."""
    polys = [geom] if geom.geom_type == "Polygon" else list(getattr(geom, "geoms", []))
    verts, codes = [], []
    for p in polys:
        for ring in [p.exterior, *p.interiors]:
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            verts.append(xy)
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def line_segments(frame, extent) -> list[np.ndarray]:
    """The lines (polygons: their boundaries) of a GeoDataFrame within ``extent`` as xy arrays."""
    xmin, xmax, ymin, ymax = extent
    sub = frame.cx[xmin:xmax, ymin:ymax]
    out = []
    for geom in sub.geometry:
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            geom = geom.boundary
        parts = [geom] if geom.geom_type in ("LineString", "LinearRing") else list(getattr(geom, "geoms", []))
        out.extend(np.asarray(p.coords)[:, :2] for p in parts if len(p.coords) >= 2)
    return out


@dataclass
class Placer:
    """Greedy label placement: keeps the display boxes already used and refuses overlaps."""

    ax: object
    renderer: object
    occupied: list = field(default_factory=list)
    pad_px: float = 2.0

    @classmethod
    def for_axes(cls, ax) -> "Placer":
        if not isinstance(ax.figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(ax.figure)
        return cls(ax, ax.figure.canvas.get_renderer())

    def reserve(self, artist) -> None:
        self.occupied.append(artist.get_window_extent(self.renderer).expanded(1.0, 1.0))

    def fits(self, bbox) -> bool:
        axbox = self.ax.get_window_extent(self.renderer)
        if bbox.x0 < axbox.x0 or bbox.x1 > axbox.x1 or bbox.y0 < axbox.y0 or bbox.y1 > axbox.y1:
            return False
        grown = bbox.padded(self.pad_px)
        return not any(grown.overlaps(o) for o in self.occupied)

    def try_place(self, make, candidates) -> Optional[object]:
        """``make(candidate)`` returns an artist; keep the first that fits, remove the others."""
        for cand in candidates:
            artist = make(cand)
            bbox = artist.get_window_extent(self.renderer)
            if self.fits(bbox):
                self.occupied.append(bbox)
                return artist
            artist.remove()
        return None


def padded_frame(bounds: Sequence[float], pad_m: float, aspect: float) -> tuple[float, float, float, float]:
    """``(xmin, xmax, ymin, ymax)`` padded by ``pad_m`` on every side, then widened (or heightened)
    about its centre to width / height = ``aspect``."""
    xmin, xmax, ymin, ymax = bounds
    xmin, xmax, ymin, ymax = xmin - pad_m, xmax + pad_m, ymin - pad_m, ymax + pad_m
    w, h = xmax - xmin, ymax - ymin
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return (cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2)


def draw_frame(ax, extent: Sequence[float], crs: Optional[str], *, font_scale: float = 1.0) -> None:
    """Limits, equal aspect, white ground and a kilometre grid labelled in the working CRS."""
    fs = font_scale
    xmin, xmax, ymin, ymax = extent
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    ax.set_facecolor("white")
    km = FuncFormatter(lambda v, _: f"{v / 1000:g}")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
        axis.set_major_formatter(km)
    ax.tick_params(labelsize=6 * fs, length=2, pad=1.5, colors="0.3")
    ax.grid(True, color="0.88", linewidth=0.5, zorder=0)
    ax.set_xlabel(f"Easting, km ({crs or 'working CRS'})", fontsize=6.5 * fs, color="0.3", labelpad=1)
    ax.set_ylabel("Northing, km", fontsize=6.5 * fs, color="0.3", labelpad=1)
    for s in ax.spines.values():
        s.set_linewidth(0.8)


def draw_context(ax, extent: Sequence[float], *, basemap=None, boundaries=None, streets=None,
                 font_scale: float = 1.0) -> list:
    """The basemap (muted, under everything), boundaries (dash-dot) and the street layer (grey);
    returns their legend handles."""
    fs = font_scale
    handles = []
    basemap_handle = draw_basemap(ax, basemap, font_scale=fs)
    if basemap_handle is not None:
        handles.append(basemap_handle)
    if boundaries is not None and len(boundaries):
        segs = line_segments(boundaries, extent)
        if segs:
            ax.add_collection(LineCollection(segs, colors="0.25", linewidths=1.1 * fs, linestyles=(0, (6, 2, 1, 2)),
                                             zorder=1))
            handles.append(Line2D([], [], color="0.25", lw=1.1, ls=(0, (6, 2, 1, 2)), label="Boundary"))
    if streets is not None and len(streets):
        segs = line_segments(streets, extent)
        if segs:
            ax.add_collection(LineCollection(segs, colors="0.6", linewidths=0.6 * fs, zorder=1.5))
            handles.append(Line2D([], [], color="0.6", lw=0.8, label="Street (street layer)"))
    return handles


def add_furniture(ax, extent: Sequence[float], placer: Placer, *, font_scale: float = 1.0,
                  synthetic: bool = False, reserve: Sequence = ()) -> None:
    """Scale bar (a readable fifth of the width), north arrow, the SYNTHETIC stamp; their areas
    and those of ``reserve`` (e.g. an inset legend) are kept free of labels in ``placer``."""
    from matplotlib.offsetbox import AnchoredText
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    fs = font_scale
    xmin, xmax, ymin, ymax = extent
    bar_m = readable_number((xmax - xmin) / 5.0)
    bar_label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    bar = AnchoredSizeBar(ax.transData, bar_m, bar_label, "lower left", pad=0.4, borderpad=0.6, sep=3,
                          frameon=True, size_vertical=(ymax - ymin) / 160, color="black",
                          fontproperties={"size": 7 * fs})
    bar.patch.set_alpha(0.85)
    bar.set_zorder(8)
    ax.add_artist(bar)
    arrow = ax.annotate("N", xy=(0.965, 0.955), xytext=(0.965, 0.85), xycoords="axes fraction",
                        textcoords="axes fraction", ha="center", va="center", fontsize=10 * fs,
                        fontweight="bold", zorder=8,
                        arrowprops=dict(facecolor="black", edgecolor="white", width=3 * fs, headwidth=9 * fs,
                                        headlength=9 * fs, lw=0.5),
                        bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec="none", alpha=0.85))
    stamp = None
    if synthetic:
        stamp = AnchoredText("SYNTHETIC DEMO DATA – NOT REAL CRIMES", loc="upper left", frameon=True,
                             prop=dict(size=8 * fs, fontweight="bold"), borderpad=0.6, pad=0.3)
        stamp.patch.set_boxstyle("square,pad=0.2")
        stamp.patch.set_linewidth(1.2)
        stamp.set_zorder(8)
        ax.add_artist(stamp)
    for artist in [bar, arrow, *([stamp] if stamp is not None else []), *reserve]:
        placer.reserve(artist)


def place_numbers(ax, placer: Placer, anchors, extent: Sequence[float], *, font_scale: float = 1.0,
                  edge: str = "black") -> list[int]:
    """Numbers in circles at ``anchors`` [(number, x, y)], moved off the anchor on a leader line
    when the spot is taken (always shown, overlapping at the anchor as a last resort); returns the
    numbers drawn (those inside ``extent``)."""
    fs = font_scale
    xmin, xmax, ymin, ymax = extent
    drawn = []
    for number, x, y in anchors:
        if not (xmin <= x <= xmax and ymin <= y <= ymax):
            continue

        def make(off, number=number, x=x, y=y):
            return ax.annotate(
                str(number), xy=(x, y), xytext=off, textcoords="offset points", ha="center", va="center",
                fontsize=9 * fs, fontweight="bold", zorder=9,
                bbox=dict(boxstyle="circle,pad=0.25", fc="white", ec=edge, lw=1.2 * fs),
                arrowprops=None if off == (0, 0) else dict(arrowstyle="-", color=edge, lw=0.9 * fs,
                                                           shrinkA=0, shrinkB=0))

        d = 16 * fs
        cands = [(0, 0), (d, d), (-d, d), (d, -d), (-d, -d), (1.5 * d, 0), (-1.5 * d, 0), (0, 1.5 * d),
                 (0, -1.5 * d), (2 * d, 2 * d), (-2 * d, 2 * d), (2 * d, -2 * d), (-2 * d, -2 * d)]
        artist = placer.try_place(make, cands)
        if artist is None:  # always show a number: accept the overlap at the anchor
            artist = make((0, 0))
            placer.reserve(artist)
        drawn.append(number)
    return drawn


def place_street_labels(ax, placer: Placer, labels, *, font_scale: float = 1.0) -> list[str]:
    """Street names (:class:`analysis.export.mapfig.StreetLabel`) along their streets, where they
    fit; returns the names written."""
    fs = font_scale
    written = []
    for lab in labels:

        def make_label(off, lab=lab):
            dx = -math.sin(math.radians(lab.angle_deg)) * off
            dy = math.cos(math.radians(lab.angle_deg)) * off
            return ax.annotate(lab.name, xy=(lab.x, lab.y), xytext=(dx, dy), textcoords="offset points",
                               ha="center", va="center", rotation=lab.angle_deg, rotation_mode="anchor",
                               fontsize=6.5 * fs, style="italic", color="0.1", zorder=7,
                               path_effects=[withStroke(linewidth=2.2 * fs, foreground="white")])

        if placer.try_place(make_label, [0, 9 * fs, -9 * fs, 18 * fs, -18 * fs]) is not None:
            written.append(lab.name)
    return written


#: Legend entry for street names written from the incidents' location text.
def street_name_handle() -> Line2D:
    return Line2D([], [], ls="none", marker="$Aa$", ms=7, color="0.1", label="Street name (from incident locations)")
