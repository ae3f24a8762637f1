"""Emerging hot spot classes: their colours (shared by the map PNG and the QGIS style) and the map.

Hot classes in reds and oranges (darkest: new and intensifying), cold ones in blues, after the
palette ArcGIS Pro uses for Emerging Hot Spot Analysis; "no pattern" is not drawn.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: class -> (RGB, label), in legend order.
EMERGING_STYLE = {
    "new hot spot": ((153, 0, 13), "New hot spot"),
    "consecutive hot spot": ((203, 24, 29), "Consecutive hot spot"),
    "intensifying hot spot": ((239, 59, 44), "Intensifying hot spot"),
    "persistent hot spot": ((251, 106, 74), "Persistent hot spot"),
    "diminishing hot spot": ((252, 146, 114), "Diminishing hot spot"),
    "sporadic hot spot": ((252, 187, 161), "Sporadic hot spot"),
    "oscillating hot spot": ((197, 27, 125), "Oscillating hot spot"),
    "historical hot spot": ((191, 129, 45), "Historical hot spot"),
    "new cold spot": ((8, 48, 107), "New cold spot"),
    "consecutive cold spot": ((8, 81, 156), "Consecutive cold spot"),
    "intensifying cold spot": ((33, 113, 181), "Intensifying cold spot"),
    "persistent cold spot": ((66, 146, 198), "Persistent cold spot"),
    "diminishing cold spot": ((107, 174, 214), "Diminishing cold spot"),
    "sporadic cold spot": ((158, 202, 225), "Sporadic cold spot"),
    "oscillating cold spot": ((106, 81, 163), "Oscillating cold spot"),
    "historical cold spot": ((1, 102, 94), "Historical cold spot"),
}


def emerging_figure(result, title: str, subtitle: str = "", *, dpi: int = 150, basemap=None) -> Figure:
    """The classes of ``result`` (:class:`analysis.spacetime.emerging.EmergingHotSpots`) on a map; the
    legend lists the classes present only. ``basemap`` (:class:`analysis.basemap.Basemap`) is drawn
    muted under the cells, and the cells with no pattern are then left clear."""
    from matplotlib.colors import to_hex
    from matplotlib.patches import Patch

    g = result.grid
    rgba = np.zeros(g.shape + (4,))
    present = []
    for name, (rgb, label) in EMERGING_STYLE.items():
        cells = result.classes == name
        if cells.any():
            rgba[cells] = (*(c / 255 for c in rgb), 1.0)
            present.append(Patch(facecolor=to_hex([c / 255 for c in rgb]), label=f"{label} ({int(cells.sum())})"))
    outline = result.mask & ~np.isin(result.classes, list(EMERGING_STYLE))
    rgba[outline] = (0.93, 0.93, 0.93, 0.35 if basemap is not None else 1.0)
    fig = Figure(figsize=(8.5, 6.5), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    from analysis.export.basemap_draw import draw_basemap

    draw_basemap(ax, basemap)
    ax.imshow(rgba, origin="lower", extent=(g.x0, g.x1, g.y0, g.y1), interpolation="nearest", zorder=2)
    ax.set_xlim(g.x0, g.x1)
    ax.set_ylim(g.y0, g.y1)
    ax.set_aspect("equal")
    from matplotlib.ticker import FuncFormatter

    km = FuncFormatter(lambda v, _: f"{v / 1000:g}")
    ax.xaxis.set_major_formatter(km)
    ax.yaxis.set_major_formatter(km)
    ax.set_xlabel(f"Easting, km ({g.crs})", fontsize=8)
    ax.set_ylabel("Northing, km", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title + (f"\n{subtitle}" if subtitle else ""), fontsize=10, loc="left")
    present.append(Patch(facecolor="#eeeeee", label="No pattern detected"))
    ax.legend(handles=present, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    return fig
