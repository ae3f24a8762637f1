"""The near-repeat heat table: Knox ratios by distance band x time band, significant cells coloured.

As R NearRepeat's ``plot.knox``: a cell is shaded when its p-value is at most 0.05 (darker for a
higher Knox ratio), and each cell shows its Knox ratio; bands are labelled in interval notation.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.spacetime.near_repeat import ALPHA, KnoxResult


def knox_figure(result: KnoxResult, title: str, subtitle: str = "", *, dpi: int = 150) -> Figure:
    """The heat table of ``result`` (rows distance bands, nearest first; columns time bands)."""
    ratio = np.asarray(result.knox_ratio, dtype=float)
    sig = result.significant()
    n_d, n_t = ratio.shape
    fig = Figure(figsize=(1.6 + 1.25 * n_t, 1.4 + 0.5 * n_d), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    top = float(np.nanmax(np.where(sig, ratio, np.nan))) if sig.any() else 2.0
    shade = np.where(sig, np.clip((ratio - 1) / max(top - 1, 1e-9), 0.15, 1.0), 0.0)
    from matplotlib import colormaps

    ax.imshow(shade, cmap=colormaps["Reds"], vmin=0, vmax=1.05, aspect="auto")
    for i in range(n_d):
        for j in range(n_t):
            v = ratio[i, j]
            text = "-" if not np.isfinite(v) else f"{v:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shade[i, j] > 0.6 else "black", fontweight="bold" if sig[i, j] else "normal")
    ax.set_xticks(range(n_t), result.time_labels, fontsize=7.5, rotation=0)
    ax.set_yticks(range(n_d), result.distance_labels, fontsize=7.5)
    ax.set_ylabel("Distance apart (" + result.metric + ")", fontsize=8)
    note = (f"Knox ratio = observed / expected pairs ({result.permutations} permutations, seed {result.seed}); "
            f"shaded: p <= {ALPHA:g} and ratio above 1")
    ax.set_title(title + (f"\n{subtitle}" if subtitle else ""), fontsize=9, loc="left")
    ax.set_xlabel(f"Time apart\n{note}", fontsize=8)
    ax.tick_params(length=0)
    return fig
