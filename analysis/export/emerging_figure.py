"""The map of emerging hot spot classes (colours: :mod:`analysis.export.emerging_style`)."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.export.emerging_style import EMERGING_STYLE, NO_PATTERN_RGB, present_classes  # noqa: F401 (re-exported)


def view_classes(result, view=None) -> np.ndarray:
    """The class grid of ``result`` with the cells outside ``view`` (x0, x1, y0, y1) blanked."""
    classes = np.asarray(result.classes, dtype=object)
    if view is None:
        return classes
    g = result.grid
    xc = g.x0 + (np.arange(g.nx) + 0.5) * g.cell_m
    yc = g.y0 + (np.arange(g.ny) + 0.5) * g.cell_m
    inside = ((yc >= view[2]) & (yc <= view[3]))[:, None] & ((xc >= view[0]) & (xc <= view[1]))[None, :]
    return np.where(inside, classes, "")


def emerging_figure(result, title: str, subtitle: str = "", *, dpi: int = 150, basemap=None, view=None,
                    figsize=(8.5, 6.5), areas=None) -> Figure:
    """The classes of ``result`` (:class:`analysis.spacetime.emerging.EmergingHotSpots`) on a map; the
    legend lists the classes present (in ``view``, x0, x1, y0, y1, when given) only. ``basemap``
    (:class:`analysis.basemap.Basemap`) is drawn muted under the cells, and the cells with no
    pattern are then left clear; ``areas`` (HotspotAreas) outlines and numbers its hotspots."""
    from matplotlib.colors import to_hex
    from matplotlib.patches import Patch

    g = result.grid
    rgba = np.zeros(g.shape + (4,))
    present = []
    for name, rgb, label, n in present_classes(view_classes(result, view)):
        rgba[result.classes == name] = (*(c / 255 for c in rgb), 1.0)
        present.append(Patch(facecolor=to_hex([c / 255 for c in rgb]), label=f"{label} ({n})"))
    outline = result.mask & ~np.isin(result.classes, list(EMERGING_STYLE))
    rgba[outline] = (*(c / 255 for c in NO_PATTERN_RGB), 0.35 if basemap is not None else 1.0)
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    from analysis.export.basemap_draw import draw_basemap

    draw_basemap(ax, basemap)
    ax.imshow(rgba, origin="lower", extent=(g.x0, g.x1, g.y0, g.y1), interpolation="nearest", zorder=2)
    x0, x1, y0, y1 = view if view is not None else (g.x0, g.x1, g.y0, g.y1)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    if areas is not None:
        import matplotlib.patheffects as pe

        for h in areas.hotspots:
            for poly in getattr(h.geometry, "geoms", [h.geometry]):
                xs, ys = poly.exterior.xy
                ax.plot(xs, ys, color="black", lw=0.8, zorder=3)
            c = h.geometry.representative_point()
            if view is None or (x0 <= c.x <= x1 and y0 <= c.y <= y1):
                ax.annotate(str(h.rank), (c.x, c.y), fontsize=9, ha="center", va="center", weight="bold", zorder=4,
                            path_effects=[pe.withStroke(linewidth=3, foreground="white")], annotation_clip=True)
    ax.set_aspect("equal")
    from matplotlib.ticker import FuncFormatter

    km = FuncFormatter(lambda v, _: f"{v / 1000:g}")
    ax.xaxis.set_major_formatter(km)
    ax.yaxis.set_major_formatter(km)
    ax.set_xlabel(f"Easting, km ({g.crs})", fontsize=8)
    ax.set_ylabel("Northing, km", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title + (f"\n{subtitle}" if subtitle else ""), fontsize=10, loc="left")
    present.append(Patch(facecolor=to_hex([c / 255 for c in NO_PATTERN_RGB]), label="No pattern detected"))
    ax.legend(handles=present, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    return fig
