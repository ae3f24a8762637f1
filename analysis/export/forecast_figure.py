"""Forecast figures: the back-test's coverage curves and the map of next period's numbered boxes."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: One colour per method, the same in the PNG, the app and the briefing.
METHOD_COLOURS = {"naive": "#7f7f7f", "kde": "#1f77b4", "prospective": "#2ca02c", "etas": "#d62728"}


def _marking(fig, marking: Optional[str]) -> None:
    if marking:
        fig.text(0.5, 0.985, marking, ha="center", va="top", fontsize=9, fontweight="bold")
        fig.text(0.5, 0.012, marking, ha="center", va="bottom", fontsize=9, fontweight="bold")


def draw_coverage_curves(ax, backtest, *, chosen: Optional[str] = None, font_scale: float = 1.0) -> None:
    """Mean hit rate against the share of the area for each method, with a random forecast's line."""
    from analysis.spacetime.forecast import METHOD_NAMES

    cov, rates = backtest.curve()
    for m, method in enumerate(backtest.methods):
        width = 2.4 if method == chosen else 1.4
        ax.plot(cov, 100 * rates[m], color=METHOD_COLOURS.get(method, "k"), lw=width,
                label=METHOD_NAMES.get(method, method) + (" (chosen)" if method == chosen else ""))
    ax.plot(cov, cov, color="k", lw=1.0, ls="--", label="Uniform random forecast")
    ax.set_xlim(0, float(cov.max()))
    ax.set_ylim(0, max(5.0, float(np.nanmax(100 * rates)) * 1.1 if rates.size else 5.0))
    ax.set_xlabel("Share of the study area chosen (%)", fontsize=8 * font_scale)
    ax.set_ylabel(f"Incidents caught, mean over {len(backtest.origins)} {backtest.period}s (%)",
                  fontsize=8 * font_scale)
    ax.grid(True, lw=0.4, color="0.85")
    ax.tick_params(labelsize=7 * font_scale)
    ax.legend(fontsize=7 * font_scale, frameon=False, loc="lower right")


def coverage_curves_figure(backtest, title: str, subtitle: str = "", *, chosen: Optional[str] = None,
                           marking: Optional[str] = "OFFICIAL-SENSITIVE", dpi: int = 150) -> Figure:
    """``coverage_curves.png``: the curves of :func:`draw_coverage_curves` with title and marking."""
    fig = Figure(figsize=(8.0, 5.5), dpi=dpi)
    FigureCanvasAgg(fig)
    _marking(fig, marking)
    fig.text(0.07, 0.93, title, fontsize=12, fontweight="bold", va="center")
    if subtitle:
        fig.text(0.07, 0.89, subtitle, fontsize=8, color="0.3", va="center")
    ax = fig.add_axes((0.09, 0.11, 0.86, 0.74))
    draw_coverage_curves(ax, backtest, chosen=chosen)
    return fig


def boxes_extent(result, pad_cells: int = 6) -> tuple[float, float, float, float]:
    """The map frame: around the boxes (padded), else the study area's cells."""
    g = result.grid
    rows = [r for b in result.boxes for r, _ in b.cells]
    cols = [c for b in result.boxes for _, c in b.cells]
    if not rows:
        r, c = np.nonzero(result.study.mask)
        rows, cols = r.tolist(), c.tolist()
    r0, r1 = max(0, min(rows) - pad_cells), min(g.ny, max(rows) + 1 + pad_cells)
    c0, c1 = max(0, min(cols) - pad_cells), min(g.nx, max(cols) + 1 + pad_cells)
    return (g.x0 + c0 * g.cell_m, g.x0 + c1 * g.cell_m, g.y0 + r0 * g.cell_m, g.y0 + r1 * g.cell_m)


def draw_boxes_map(ax, result, *, basemap=None, extent: Optional[Sequence[float]] = None, numbered: int = 10,
                   font_scale: float = 1.0):
    """The forecast risk (YlOrRd, zero clear) and the numbered boxes on ``ax``; returns the image."""
    from matplotlib.patches import PathPatch
    from matplotlib.ticker import FuncFormatter

    from analysis.export.basemap_draw import draw_basemap
    from analysis.export.mapfig import _polygon_path, density_cmap

    g = result.grid
    x0, x1, y0, y1 = extent if extent is not None else boxes_extent(result)
    draw_basemap(ax, basemap)
    risk = np.where(result.risk > 0, result.risk, np.nan)
    vmax = float(np.nanmax(risk)) if np.isfinite(risk).any() else 1.0
    image = ax.imshow(risk, origin="lower", extent=(g.x0, g.x1, g.y0, g.y1), cmap=density_cmap(), vmin=0,
                      vmax=vmax, interpolation="nearest", alpha=0.8, zorder=2)
    for box in result.boxes:
        path = _polygon_path(box.geometry)
        if path is None:
            continue
        ax.add_patch(PathPatch(path, facecolor="none", edgecolor="#08306b", lw=1.6, zorder=4))
        if box.rank <= numbered:
            cx, cy = box.geometry.representative_point().coords[0]
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                ax.text(cx, cy, str(box.rank), ha="center", va="center", fontsize=8 * font_scale, fontweight="bold",
                        color="white", zorder=5,
                        bbox=dict(boxstyle="circle,pad=0.2", facecolor="#08306b", edgecolor="white", lw=0.8))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    km = FuncFormatter(lambda v, _: f"{v / 1000:g}")
    ax.xaxis.set_major_formatter(km)
    ax.yaxis.set_major_formatter(km)
    ax.set_xlabel(f"Easting, km ({g.crs})", fontsize=7 * font_scale)
    ax.set_ylabel("Northing, km", fontsize=7 * font_scale)
    ax.tick_params(labelsize=6.5 * font_scale)
    return image
