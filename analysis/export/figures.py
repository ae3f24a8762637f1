"""matplotlib figures shared by the CLI's PNG output and the PDF briefing.

Figures are built as :class:`matplotlib.figure.Figure` objects with the Agg canvas, never through
``pyplot``'s global state, so they are safe in worker threads and in a frozen app.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOUR_LABELS = tuple(f"{h:02d}" for h in range(24))


def heatmap_figure(matrix, title: str = "Incidents by hour and weekday", subtitle: Optional[str] = None,
                   *, colorbar_label: str = "incidents", cmap: str = "magma_r",
                   diverging: bool = False, figsize=(10.0, 4.2), dpi: int = 150,
                   annotate: bool = False) -> Figure:
    """Hour x weekday heatmap (rows Mon..Sun top to bottom, columns hours 00..23) with a colour bar.

    Parameters
    ----------
    matrix : array-like (7, 24), Monday first (``TemporalProfile.matrix``).
    title, subtitle : figure title and a smaller second line (e.g. filters, date range, source).
    colorbar_label : label of the colour bar (units).
    cmap : a perceptual colormap; ``diverging=True`` uses ``RdBu_r`` centred on 0 (for the
        change between two periods).
    annotate : write each cell's value in it.

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas attached: ``fig.savefig(path)`` works without pyplot.
    """
    m = np.asarray(matrix, dtype=float)
    if m.shape != (7, 24):
        raise ValueError(f"heatmap_figure needs a 7 x 24 matrix, got shape {m.shape}")
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    finite = m[np.isfinite(m)]
    if diverging:
        lim = float(np.max(np.abs(finite))) if finite.size else 1.0
        lim = lim or 1.0
        image = ax.imshow(m, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto",
                          interpolation="nearest", origin="upper")
    else:
        vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        image = ax.imshow(m, cmap=cmap, vmin=0.0, vmax=vmax, aspect="auto",
                          interpolation="nearest", origin="upper")
    ax.set_xticks(np.arange(24), labels=HOUR_LABELS, fontsize=8)
    ax.set_yticks(np.arange(7), labels=WEEKDAY_LABELS, fontsize=9)
    ax.set_xlabel("Hour of day (hour starting)")
    ax.set_ylabel("Day of week")
    ax.set_xticks(np.arange(-0.5, 24, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, 7, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    if annotate:
        top = float(np.nanmax(np.abs(m))) if finite.size else 0.0
        for (r, c), value in np.ndenumerate(m):
            if np.isfinite(value):
                dark = top and abs(value) > 0.6 * top
                ax.text(c, r, f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}", ha="center",
                        va="center", fontsize=6, color="white" if dark else "black")
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.01)
    bar.set_label(colorbar_label)
    if subtitle:
        fig.suptitle(title, fontsize=13, fontweight="bold")
        ax.set_title(subtitle, fontsize=9, color="0.3")
    else:
        fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig
