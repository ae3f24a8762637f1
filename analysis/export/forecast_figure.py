"""Forecast figures: the back-test's coverage curves."""
from __future__ import annotations

from typing import Optional

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
