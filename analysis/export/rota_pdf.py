"""The rota as a marked PDF page (A4 landscape): the grid of officers x days in tour colours
(bank holidays and weekends marked) and the demand against constables on duty over the horizon's
average week, with coverage, the proven gap, the rule pack and every hard rule's result.

matplotlib ``PdfPages`` with TrueType fonts (``../shared/PLATFORM.md``); the protective marking
(default ``OFFICIAL-SENSITIVE``) at the top and bottom; written atomically.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from analysis.atomic import atomic_write
from analysis.staffing.rota_check import Rota, RotaCheck, horizon_demand
from analysis.staffing.team import LEAVE, REST
from analysis.staffing.week import WEEKDAY_ABBR

DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
_COLOURS = ("#f6c85f", "#6f9fd8", "#3b3b98", "#9dd866", "#ca472f", "#8dddd0")


def rota_figure(rota: Rota, check: RotaCheck, demand, *, title: str, subtitle: str = "",
                holidays: Optional[dict] = None, marking: Optional[str] = DEFAULT_MARKING,
                rules_name: str = "", gap: Optional[float] = None):
    """The page as a matplotlib figure (A4 landscape)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    holidays = holidays or {}
    codes = [REST, LEAVE] + [t.code for t in rota.templates]
    colours = ["#ffffff", "#d9d9d9"] + [_COLOURS[k % len(_COLOURS)] for k in range(len(rota.templates))]
    grid = np.array([[codes.index(c) for c in row] for row in rota.cells])
    fig = plt.figure(figsize=(11.69, 8.27))
    gs = fig.add_gridspec(2, 1, height_ratios=[2.2, 1], hspace=0.45, top=0.86, bottom=0.1,
                          left=0.08, right=0.97)
    ax = fig.add_subplot(gs[0])
    ax.imshow(grid, aspect="auto", cmap=ListedColormap(colours), vmin=0, vmax=len(codes) - 1,
              interpolation="nearest")
    dates = rota.dates
    for d, day in enumerate(dates):
        if day in holidays:
            ax.axvspan(d - 0.5, d + 0.5, color="#e41a1c", alpha=0.25, lw=0)
        if day.weekday() == 0:
            ax.axvline(d - 0.5, color="#555555", lw=0.6)
    ax.set_yticks(range(len(rota.officers)),
                  [f"{o.officer_id} {o.rank}" for o in rota.officers], fontsize=7)
    mondays = [d for d, day in enumerate(dates) if day.weekday() == 0]
    ax.set_xticks(mondays, [dates[d].strftime("%d %b") for d in mondays], fontsize=7)
    ax.set_title("Rota: officers x days (weeks start on Monday; bank holidays shaded red)", fontsize=9)
    legend = [Patch(facecolor=c, edgecolor="#999999", label=lab) for c, lab in zip(
        colours, ["rest day", "leave"] + [t.label() for t in rota.templates])]
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.06), fontsize=7,
              frameon=False, ncol=len(legend))
    # demand against constables on duty, averaged over the horizon's weeks, hour of the week
    ax2 = fig.add_subplot(gs[1])
    on = np.asarray(check.on_duty)
    dem = horizon_demand(demand, rota.start, rota.days)
    offset = rota.start.weekday() * 24
    how = (offset + np.arange(len(on))) % 168
    on_week = np.bincount(how, weights=on, minlength=168) / (rota.days / 7.0)
    dem_week = np.bincount(how, weights=dem, minlength=168) / (rota.days / 7.0)
    k = dem_week.sum() / max(on_week.sum(), 1e-9)
    x = np.arange(169)
    ax2.step(x, np.append(dem_week / k, dem_week[-1] / k), where="post", color="#b2182b",
             label="demand, in officers (staffing exactly proportional to it)")
    ax2.step(x, np.append(on_week, on_week[-1]), where="post", color="#2166ac",
             label="constables on duty (average week)")
    ax2.set_xticks(range(0, 168, 24), WEEKDAY_ABBR, fontsize=7)
    ax2.set_xlim(0, 168)
    ax2.set_ylabel("officers", fontsize=8)
    ax2.legend(fontsize=7, loc="upper left", frameon=False)
    ax2.set_title(f"Coverage {check.coverage:.1%}" + (f", proven gap {gap:.1%}" if gap is not None else "")
                  + ("; every hard rule kept" if check.hard_ok else
                     "; hard rules broken: " + ", ".join(check.broken)), fontsize=9)
    fig.suptitle(title, fontsize=13, y=0.95)
    info = subtitle + (f"  Rules: {rules_name}." if rules_name else "")
    fig.text(0.5, 0.895, info, ha="center", fontsize=8)
    if marking:
        for y in (0.985, 0.015):
            fig.text(0.5, y, marking, ha="center", va="center", fontsize=10, weight="bold")
    return fig


def write_rota_pdf(path: Path, rota: Rota, check: RotaCheck, demand, **kwargs) -> Path:
    """:func:`rota_figure` as a one-page PDF, TrueType fonts, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = rota_figure(rota, check, demand, **kwargs)
        try:
            with atomic_write(path) as tmp:
                with PdfPages(tmp) as pdf:
                    pdf.savefig(fig)
        finally:
            plt.close(fig)
    return path
