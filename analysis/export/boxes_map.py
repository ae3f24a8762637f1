"""The map of next period's forecast boxes, for the briefing's "Next week's boxes" page.

From the bottom up: the kilometre grid, the offline basemap (muted), boundaries and the street
layer (:mod:`analysis.export.map_parts`, as on the hotspot map), the forecast risk of every cell
of the study area (expected incidents per cell over the period, a purple sequential scale whose
lightness falls monotonically so it prints in greyscale; cells below :data:`RISK_FLOOR` of the
highest left clear), the boxes outlined (black with a white halo) and numbered by rank at their
highest-risk cell (the first :data:`FRAMED_BOXES`), street names from the incidents' own location text, a scale bar, a north
arrow and the SYNTHETIC stamp. The frame holds the first :data:`FRAMED_BOXES` boxes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.patheffects import withStroke

from analysis.export.map_parts import (Placer, add_furniture, draw_context, draw_frame, padded_frame,
                                      place_numbers, place_street_labels, polygon_path, street_name_handle)

#: The frame is fitted around this many of the first boxes, and they are numbered (the rest are
#: outlined where they fall: a city's 2% can be hundreds of boxes).
FRAMED_BOXES = 8
#: Cells forecast below this fraction of the highest risk are left clear.
RISK_FLOOR = 0.05
#: Space around the framed boxes: this share of their span, at least :data:`MIN_MARGIN_M`.
MARGIN_SHARE = 0.15
MIN_MARGIN_M = 400.0


def risk_cmap() -> ListedColormap:
    """Purples from light to dark (lightness falls monotonically: readable in greyscale)."""
    return ListedColormap(colormaps["Purples"](np.linspace(0.18, 0.9, 256)), name="beatwise_risk")


@dataclass(frozen=True)
class DrawnBoxes:
    """What :func:`draw_boxes_map` drew."""

    handles: tuple
    mappable: object
    extent: tuple
    numbered: tuple
    streets_labelled: tuple


def box_anchor(result, box) -> tuple[float, float]:
    """Centre of ``box``'s highest-risk cell (where its number is pinned)."""
    g = result.grid
    rows, cols = np.array(box.cells).T
    i = int(np.argmax(np.nan_to_num(result.risk[rows, cols], nan=-np.inf)))
    return (g.x0 + (cols[i] + 0.5) * g.cell_m, g.y0 + (rows[i] + 0.5) * g.cell_m)


def boxes_extent(result, aspect: float, *, framed: int = FRAMED_BOXES) -> tuple[float, float, float, float]:
    """``(xmin, xmax, ymin, ymax)`` with width / height = ``aspect`` around the first ``framed``
    boxes (padded by :data:`MARGIN_SHARE` of their span, at least :data:`MIN_MARGIN_M`); without
    boxes, the study area."""
    boxes = result.boxes[:framed]
    if boxes:
        b = np.array([bx.geometry.bounds for bx in boxes])
        xmin, ymin, xmax, ymax = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    else:
        rows, cols = np.nonzero(result.study.mask)
        g = result.grid
        if len(rows) == 0:
            xmin, ymin, xmax, ymax = g.x0, g.y0, g.x1, g.y1
        else:
            xmin, xmax = g.x0 + cols.min() * g.cell_m, g.x0 + (cols.max() + 1) * g.cell_m
            ymin, ymax = g.y0 + rows.min() * g.cell_m, g.y0 + (rows.max() + 1) * g.cell_m
    pad = max(MARGIN_SHARE * max(xmax - xmin, ymax - ymin), MIN_MARGIN_M)
    return padded_frame((xmin, xmax, ymin, ymax), pad, aspect)


def draw_boxes_map(ax, result, extent: Sequence[float], *, incidents=None, basemap=None, streets=None,
                   boundaries=None, font_scale: float = 1.0, synthetic: bool = False,
                   max_street_labels: int = 20, numbered: int = FRAMED_BOXES) -> DrawnBoxes:
    """Draw the forecast ``result`` (:class:`analysis.spacetime.next_period.ForecastResult`) into ``ax``.

    Parameters
    ----------
    ax : matplotlib Axes
    result : ForecastResult
    extent : (xmin, xmax, ymin, ymax) in the working CRS, e.g. from :func:`boxes_extent`.
    incidents : GeoDataFrame, optional
        Street names are written from their ``location`` text.
    basemap, streets, boundaries : context layers (see :func:`analysis.export.map_parts.draw_context`).
    numbered : the first boxes numbered (all are outlined).
    """
    from analysis.export.mapfig import street_labels

    fs = font_scale
    g = result.grid
    draw_frame(ax, extent, g.crs, font_scale=fs)
    handles = draw_context(ax, extent, basemap=basemap, boundaries=boundaries, streets=streets, font_scale=fs)
    risk = np.asarray(result.risk, dtype=float)
    vmax = float(np.nanmax(risk)) if np.isfinite(risk).any() else 0.0
    shown = np.ma.masked_where(~np.isfinite(risk) | (risk < RISK_FLOOR * vmax) | (vmax <= 0), risk)
    image = ax.imshow(shown, origin="lower", extent=(g.x0, g.x1, g.y0, g.y1), cmap=risk_cmap(),
                      vmin=0.0, vmax=vmax if vmax > 0 else 1.0, interpolation="nearest", alpha=0.75, zorder=3)
    halo = [withStroke(linewidth=3.2 * fs, foreground="white")]
    for box in result.boxes:
        path = polygon_path(box.geometry)
        if path is not None:
            ax.add_patch(PathPatch(path, facecolor="none", edgecolor="black", linewidth=1.5 * fs, zorder=4,
                                   path_effects=halo))
    first = "" if len(result.boxes) <= numbered else f", the first {numbered}"
    handles.insert(0, Line2D([], [], color="black", lw=1.5, path_effects=halo,
                             label=f"Box (top {result.coverage_pct:g}% of the area), numbered by rank{first}"))
    placer = Placer.for_axes(ax)
    add_furniture(ax, extent, placer, font_scale=fs, synthetic=synthetic)
    drawn_numbers = place_numbers(ax, placer, [(b.rank, *box_anchor(result, b)) for b in result.boxes[:numbered]],
                                  extent, font_scale=fs)
    labelled = []
    if incidents is not None:
        labelled = place_street_labels(ax, placer, street_labels(incidents, top=max_street_labels, extent=extent),
                                       font_scale=fs)
        if labelled:
            handles.append(street_name_handle())
    return DrawnBoxes(tuple(handles), image, tuple(extent), tuple(drawn_numbers), tuple(labelled))


def boxes_map_figure(result, title: str, *, incidents=None, basemap=None, streets=None, boundaries=None,
                     synthetic: bool = False, figsize=(8.3, 6.4), dpi: int = 100) -> Figure:
    """The boxes map with its title, a colour bar of expected incidents per cell and the legend
    beneath (for a page's full text width)."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    fig.text(0.01, 0.985, title, fontsize=10, fontweight="bold", va="top")
    ax = fig.add_axes((0.075, 0.19, 0.9, 0.75))
    from analysis.export.mapfig import axes_aspect

    extent = boxes_extent(result, axes_aspect(ax))
    drawn = draw_boxes_map(ax, result, extent, incidents=incidents, basemap=basemap, streets=streets,
                           boundaries=boundaries, synthetic=synthetic)
    cax = fig.add_axes((0.075, 0.085, 0.3, 0.018))
    bar = fig.colorbar(drawn.mappable, cax=cax, orientation="horizontal")
    bar.ax.tick_params(labelsize=6.5)
    bar.set_label(f"Expected incidents per {result.grid.cell_m:g} m cell, {result.label}", fontsize=7)
    fig.legend(handles=list(drawn.handles), loc="lower left", bbox_to_anchor=(0.42, 0.02), frameon=False,
               fontsize=7, ncol=1, handlelength=2.2, borderaxespad=0.3)
    return fig
