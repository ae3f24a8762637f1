"""Static hotspot maps (matplotlib) for ``map.png`` and the PDF briefing.

A map shows, from the bottom up: a kilometre grid in the working CRS, boundaries and the street
layer when the project has them, the incidents as small grey dots, the kernel density surface
(incidents per km^2, a sequential colour map whose lightness falls monotonically so it survives
greyscale printing), every hotspot outlined (black line with a white halo, readable on light and
dark density alike) and the top ``n`` numbered by rank, street names taken from the incidents'
own location text (placed at the middle incident of each busy street, turned along the street),
a scale bar and a north arrow (grid north of the working CRS).

Labels are placed greedily in priority order (hotspot numbers, then streets by incidents) and a
label that would overlap one already placed is moved to another candidate position or left out,
so nothing is printed on top of anything else.

Figures use the Agg canvas directly (no ``pyplot``), so they are safe in worker threads.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap, PowerNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FuncFormatter

from analysis.export.map_parts import (Placer, add_furniture, draw_context, draw_frame, padded_frame,
                                      place_numbers, place_street_labels, polygon_path, street_name_handle)
from analysis.hotspots.grid import readable_number

#: A4 in inches (portrait width, height).
A4_IN = (8.27, 11.69)

#: Above this many incidents in the frame the dots are drawn as one image in PDFs (size, speed).
RASTERIZE_POINTS = 30_000

#: Resolution of map.png.
PRINT_DPI = 300

#: Cells below this fraction of the maximum density are left transparent (the incidents and the
#: context stay visible around the hotspots).
DENSITY_FLOOR = 0.02

#: Power-law colour scaling of the density (gamma < 1 shows structure below the peak); the colour
#: bar is labelled in true incidents per km^2.
DENSITY_GAMMA = 0.5


def density_cmap() -> ListedColormap:
    """The density colour map: ``YlOrRd`` from its 8 % point (light yellow) to dark red.

    Made of the base map's own colours 20..255 (no resampling, so no two neighbours repeat); its
    lightness falls strictly (tested), so density stays ordered when printed in grey.
    """
    base = colormaps["YlOrRd"].resampled(256)
    return ListedColormap(base(np.arange(20, 256)), name="beatwise_density")


def luminance(rgb) -> np.ndarray:
    """Relative luminance (ITU-R BT.709 on linearised sRGB) of RGB(A) colours in 0..1."""
    c = np.asarray(rgb, dtype=float)[..., :3]
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def units_text(units: str) -> str:
    """``"incidents per km^2"`` -> ``"incidents per km²"``."""
    return units.replace("km^2", "km²")


# ---------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class MapData:
    """Everything a hotspot map draws (all in the working CRS, metres).

    Attributes
    ----------
    incidents : GeoDataFrame of points (the data contract).
    surface : DensitySurface
    hotspots : HotspotAreas (made from ``surface``)
    gi : GiStar or None
    streets : GeoDataFrame of lines or None (the project's street layer)
    boundaries : GeoDataFrame of polygons or None
    basemap : :class:`analysis.basemap.Basemap` or None (drawn muted under everything)
    """

    incidents: object = field(repr=False)
    surface: object = field(repr=False)
    hotspots: object = field(repr=False)
    gi: object = field(default=None, repr=False)
    streets: object = field(default=None, repr=False)
    boundaries: object = field(default=None, repr=False)
    basemap: object = field(default=None, repr=False)

    @property
    def crs(self) -> Optional[str]:
        return self.surface.grid.crs

    def xy(self) -> np.ndarray:
        g = self.incidents.geometry
        return np.column_stack([np.asarray(g.x, dtype=float), np.asarray(g.y, dtype=float)])


@dataclass(frozen=True)
class StreetLabel:
    """Where to write a street's name: its middle incident, turned along the street."""

    name: str
    x: float
    y: float
    angle_deg: float
    incidents: int


def street_labels(incidents, *, top: int = 25, extent: Optional[Sequence[float]] = None) -> list[StreetLabel]:
    """Street names for map context, from the incidents' ``location`` text.

    For each of the ``top`` streets with most incidents (inside ``extent`` =
    ``(xmin, xmax, ymin, ymax)`` if given; data.police.uk place names such as "Supermarket" are
    not streets and are skipped), the label goes at the incident nearest the coordinate-wise
    median of the street's incidents and is turned to the main axis of their spread (principal
    component) when that spread is clearly elongated (variance ratio above 4), else horizontal.
    """
    from analysis.hotspots.streets import POLICE_UK_PLACES, name_key, street_name

    if len(incidents) == 0 or "location" not in incidents.columns:
        return []
    g = incidents.geometry
    x = np.asarray(g.x, dtype=float)
    y = np.asarray(g.y, dtype=float)
    keep = np.ones(len(x), dtype=bool)
    if extent is not None:
        xmin, xmax, ymin, ymax = extent
        keep = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    loc = incidents["location"].fillna("").astype(str).to_numpy()[keep]
    x, y = x[keep], y[keep]
    uniq, inverse = np.unique(loc, return_inverse=True)
    names = np.array([street_name(u) for u in uniq], dtype=object)
    keys = np.array([name_key(n) for n in names], dtype=object)
    frame = pd.DataFrame({"key": keys[inverse], "name": names[inverse], "x": x, "y": y})
    frame = frame[(frame["key"] != "") & ~frame["key"].isin(POLICE_UK_PLACES)]
    if frame.empty:
        return []
    counts = frame.groupby("key").size().sort_values(ascending=False, kind="stable")
    out = []
    for key in counts.index[:top]:
        grp = frame[frame["key"] == key]
        px, py = grp["x"].to_numpy(), grp["y"].to_numpy()
        mx, my = np.median(px), np.median(py)
        i = int(np.argmin((px - mx) ** 2 + (py - my) ** 2))
        angle = 0.0
        if len(px) >= 2:
            cov = np.cov(np.vstack([px, py]))
            vals, vecs = np.linalg.eigh(cov)
            if vals[0] >= 0 and vals[1] > 4 * max(vals[0], 1e-9):
                vx, vy = vecs[:, 1]
                angle = math.degrees(math.atan2(vy, vx))
                if angle > 90:
                    angle -= 180
                elif angle <= -90:
                    angle += 180
        display = grp["name"].value_counts().index[0]
        out.append(StreetLabel(str(display), float(px[i]), float(py[i]), float(angle), int(len(grp))))
    return out


def hotspot_anchor(data: MapData, rank: int) -> tuple[float, float]:
    """Centre of the highest-density cell of hotspot ``rank`` (where its number is pinned)."""
    labels = data.hotspots.labels
    values = np.where(labels == rank, data.surface.values, -np.inf)
    r, c = np.unravel_index(int(np.argmax(values)), values.shape)
    g = data.surface.grid
    return (g.x0 + (c + 0.5) * g.cell_m, g.y0 + (r + 0.5) * g.cell_m)


def hotspot_gi_class(data: MapData, rank: int) -> Optional[int]:
    """Gi* class (-3..3) of the Gi* cell holding hotspot ``rank``'s peak; None without Gi*."""
    if data.gi is None:
        return None
    x, y = hotspot_anchor(data, rank)
    rows, cols = data.gi.grid.cell_index(np.array([[x, y]]))
    if rows[0] < 0:
        return 0
    return int(data.gi.classes[rows[0], cols[0]])


def choose_extent(data: MapData, aspect: float, *, top_n: int = 5) -> tuple[float, float, float, float]:
    """Map frame ``(xmin, xmax, ymin, ymax)`` with width / height = ``aspect``.

    Around the top ``top_n`` hotspots (padded by 15 % of their span, at least two bandwidths and
    250 m) so they are readable; without hotspots, around the central 98 % of the incidents.
    """
    hs = data.hotspots.hotspots[:top_n]
    if hs:
        b = np.array([h.geometry.bounds for h in hs])
        xmin, ymin = b[:, 0].min(), b[:, 1].min()
        xmax, ymax = b[:, 2].max(), b[:, 3].max()
        pad = max(0.15 * max(xmax - xmin, ymax - ymin), 2 * data.surface.bandwidth_m, 250.0)
    else:
        xy = data.xy()
        xmin, ymin = np.percentile(xy, 1, axis=0)
        xmax, ymax = np.percentile(xy, 99, axis=0)
        pad = max(0.05 * max(xmax - xmin, ymax - ymin), 250.0)
    return padded_frame((xmin, xmax, ymin, ymax), pad, aspect)


def axes_aspect(ax) -> float:
    """Width / height of an axes in inches."""
    pos = ax.get_position()
    fw, fh = ax.figure.get_size_inches()
    return (pos.width * fw) / (pos.height * fh)


# ---------------------------------------------------------------------------------------------- drawing
@dataclass(frozen=True)
class DrawnMap:
    """What :func:`draw_map` drew: legend handles, the density colour scale, what was left out."""

    handles: tuple
    mappable: object
    extent: tuple
    numbered: tuple
    streets_labelled: tuple
    incidents_in_frame: int


def draw_map(ax, data: MapData, extent: Sequence[float], *, top_n: int = 5, label_streets: bool = True,
             max_street_labels: int = 25, font_scale: float = 1.0, synthetic: bool = False,
             reserve: Sequence = ()) -> DrawnMap:
    """Draw the hotspot map into ``ax`` (see the module docstring); returns :class:`DrawnMap`.

    Parameters
    ----------
    ax : matplotlib Axes on a figure with an Agg canvas.
    data : MapData
    extent : (xmin, xmax, ymin, ymax) in the working CRS, e.g. from :func:`choose_extent`.
    top_n : hotspots to number (by rank).
    label_streets : write street names from the incidents' location text.
    font_scale : multiply every font size (1 = map.png at A4 landscape).
    synthetic : stamp "SYNTHETIC DEMO DATA - NOT REAL CRIMES" in the map corner.
    reserve : artists (e.g. an inset legend) whose area labels must avoid.
    """
    fs = font_scale
    xmin, xmax, ymin, ymax = extent
    draw_frame(ax, extent, data.crs, font_scale=fs)
    # context layers: the basemap under everything, then boundaries and the street layer
    handles = draw_context(ax, extent, basemap=data.basemap, boundaries=data.boundaries, streets=data.streets,
                           font_scale=fs)

    # incidents
    xy = data.xy()
    inside = (xy[:, 0] >= xmin) & (xy[:, 0] <= xmax) & (xy[:, 1] >= ymin) & (xy[:, 1] <= ymax)
    n_in = int(inside.sum())
    if n_in:
        ax.scatter(xy[inside, 0], xy[inside, 1], s=(1.2 * fs) ** 2, c="0.35", alpha=0.55, linewidths=0,
                   zorder=2, rasterized=n_in > RASTERIZE_POINTS)
    handles.append(Line2D([], [], marker="o", ls="none", ms=2.5, color="0.35", alpha=0.7,
                          label=f"Incident ({len(xy):,} in all)"))

    # density
    surf = data.surface
    g = surf.grid
    vmax = float(surf.values.max()) if surf.values.size else 0.0
    norm = PowerNorm(gamma=DENSITY_GAMMA, vmin=0.0, vmax=vmax if vmax > 0 else 1.0)
    cmap = density_cmap()
    shown = np.ma.masked_less(surf.values, DENSITY_FLOOR * vmax if vmax > 0 else np.inf)
    image = ax.imshow(shown, origin="lower", extent=(g.x0, g.x1, g.y0, g.y1), cmap=cmap, norm=norm,
                      # "nearest", not "none": PDF pages then resample the cells at the page's dpi
                      # (with "none" a 350-cell grid was embedded as is: 49 ppi on paper)
                      interpolation="nearest", alpha=0.8, zorder=3)

    # hotspot outlines
    halo = [withStroke(linewidth=3.2 * fs, foreground="white")]
    top = data.hotspots.hotspots[:top_n]
    for h in data.hotspots.hotspots:
        path = polygon_path(h.geometry)
        if path is None:
            continue
        strong = h.rank <= top_n
        patch = PathPatch(path, facecolor="none", edgecolor="black", linewidth=(1.4 if strong else 0.6) * fs,
                          zorder=4 if strong else 3.5, path_effects=halo if strong else None)
        ax.add_patch(patch)
    handles.insert(0, Line2D([], [], color="black", lw=1.4, path_effects=[withStroke(linewidth=3.2,
                                                                                       foreground="white")],
                             label=f"Hotspot (top {data.hotspots.top_percent:g}% of density), numbered by rank"))

    # furniture, then numbered hotspots (priority), then street names
    placer = Placer.for_axes(ax)
    add_furniture(ax, extent, placer, font_scale=fs, synthetic=synthetic, reserve=reserve)
    numbered = place_numbers(ax, placer, [(h.rank, *hotspot_anchor(data, h.rank)) for h in top], extent,
                             font_scale=fs)
    labelled = []
    if label_streets:
        labelled = place_street_labels(ax, placer, street_labels(data.incidents, top=max_street_labels, extent=extent),
                                       font_scale=fs)
        if labelled:
            handles.append(street_name_handle())

    return DrawnMap(handles=tuple(handles), mappable=image, extent=tuple(extent), numbered=tuple(numbered),
                    streets_labelled=tuple(labelled), incidents_in_frame=n_in)


def colorbar_ticks(vmax: float) -> list[float]:
    """Readable colour-bar ticks for the square-root density scale: 0 and about 2, 10, 30, 60 and
    100 % of ``vmax`` rounded to 1, 2, 2.5 or 5 times a power of ten (evenly spread on the bar)."""
    if not vmax > 0:
        return [0.0]
    ticks = [0.0]
    for f in (0.02, 0.1, 0.3, 0.6, 1.0):
        t = readable_number(vmax * f)
        if t > vmax * 1.0001:
            t = readable_number(vmax * f * 0.8)
        if t <= vmax * 1.0001 and t > ticks[-1] and (t / vmax) ** DENSITY_GAMMA - (ticks[-1] / vmax) ** DENSITY_GAMMA > 0.12:
            ticks.append(t)
    return ticks


def add_colorbar(fig, cax, drawn: DrawnMap, units: str, *, font_scale: float = 1.0):
    """Vertical or horizontal density colour bar labelled in ``units`` (incidents per km²)."""
    horizontal = cax.get_position().width > cax.get_position().height
    bar = fig.colorbar(drawn.mappable, cax=cax, orientation="horizontal" if horizontal else "vertical")
    bar.set_label(f"Density ({units_text(units)})", fontsize=7.5 * font_scale)
    bar.ax.tick_params(labelsize=6.5 * font_scale)
    bar.set_ticks(colorbar_ticks(float(drawn.mappable.norm.vmax)))
    bar.formatter = FuncFormatter(lambda v, _: f"{v:,.0f}")
    bar.update_ticks()
    bar.solids.set_alpha(0.8)
    return bar


# ---------------------------------------------------------------------------------------------- A4 map
def map_figure(data: MapData, *, title: str, subtitle: str = "", marking: Optional[str] = "OFFICIAL-SENSITIVE",
               synthetic: bool = False, date_range: str = "", source: str = "",
               notes: Sequence[str] = (), top_n: int = 5, dpi: int = 100) -> Figure:
    """The A4 landscape hotspot map of ``map.png``.

    Parameters
    ----------
    data : MapData
    title, subtitle : printed at the top (the title gains "SYNTHETIC" for synthetic data).
    marking : protective marking printed at the top and bottom; None or "" for none.
    synthetic : SYNTHETIC demo data: stamped on the map and in the footer.
    date_range, source : printed in the side panel and the footer.
    notes : further lines for the side panel (parameters).
    top_n : hotspots numbered.
    dpi : resolution used for the layout; save at 300 dpi for print (:data:`PRINT_DPI`).

    Returns
    -------
    Figure (Agg canvas attached; ``fig.savefig(path, dpi=PRINT_DPI)``).
    """
    import textwrap

    w_in, h_in = A4_IN[1], A4_IN[0]
    fig = Figure(figsize=(w_in, h_in), dpi=dpi)
    FigureCanvasAgg(fig)
    if synthetic and "SYNTHETIC" not in title.upper():
        title = f"SYNTHETIC: {title}"
    if marking:
        fig.text(0.5, 0.978, marking, ha="center", va="center", fontsize=11, fontweight="bold")
        fig.text(0.5, 0.018, marking, ha="center", va="center", fontsize=11, fontweight="bold")
    fig.text(0.035, 0.935, title, ha="left", va="center", fontsize=16, fontweight="bold")
    if subtitle:
        fig.text(0.035, 0.902, subtitle, ha="left", va="center", fontsize=9, color="0.25")
    ax = fig.add_axes((0.045, 0.085, 0.69, 0.79))
    extent = choose_extent(data, axes_aspect(ax), top_n=top_n)
    drawn = draw_map(ax, data, extent, top_n=top_n, synthetic=synthetic)

    # side panel: colour bar, legend, table of the numbered hotspots, notes
    cax = fig.add_axes((0.765, 0.80, 0.20, 0.018))
    add_colorbar(fig, cax, drawn, data.surface.density_units)
    leg = fig.legend(handles=list(drawn.handles), loc="upper left", bbox_to_anchor=(0.757, 0.745), frameon=False,
                     fontsize=7, handlelength=2.2, borderaxespad=0.0, labelspacing=0.6)
    for text in leg.get_texts():
        wrapped = textwrap.fill(text.get_text(), 38)
        text.set_text(wrapped)
    leg_box = leg.get_window_extent(fig.canvas.get_renderer()).transformed(fig.transFigure.inverted())
    y = leg_box.y0 - 0.03
    lines = []
    for h in data.hotspots.hotspots[:top_n]:
        where = ", ".join(_short(loc) for loc in h.locations[:2]) or "(no location names)"
        lines.append(f"{h.rank}. {where}: {h.incidents:,} incidents ({100 * h.share:.1f}%), PAI {h.pai:.1f}")
    if lines:
        fig.text(0.762, y, "Numbered hotspots", fontsize=8, fontweight="bold", va="top")
        y -= 0.025
        for line in lines:
            wrapped = textwrap.fill(line, 46, subsequent_indent="    ")
            fig.text(0.762, y, wrapped, fontsize=6.8, va="top")
            y -= 0.019 * (wrapped.count("\n") + 1) + 0.004
        y -= 0.01
    panel = []
    if date_range:
        panel.append(f"Dates: {date_range}")
    if source:
        panel.append(f"Source: {source}")
    panel.extend(notes)
    if drawn.incidents_in_frame < len(data.incidents):
        panel.append(f"The frame shows the top {top_n} hotspots: {drawn.incidents_in_frame:,} of "
                     f"{len(data.incidents):,} incidents lie inside it.")
    panel.append("North arrow: grid north of the map's coordinate system.")
    for line in panel:
        wrapped = textwrap.fill(line, 50, subsequent_indent="  ")
        fig.text(0.762, y, wrapped, fontsize=6.6, va="top", color="0.15")
        y -= 0.0165 * (wrapped.count("\n") + 1) + 0.004
    foot = [x for x in (f"Source: {source}" if source else "", date_range,
                        "SYNTHETIC DEMO DATA – NOT REAL CRIMES" if synthetic else "") if x]
    fig.text(0.035, 0.045, "  ·  ".join(foot), fontsize=7, color="0.2", ha="left", va="center",
             fontweight="bold" if synthetic else "normal")
    return fig


def _short(location: str) -> str:
    from analysis.hotspots.streets import street_name

    return street_name(location) or location
