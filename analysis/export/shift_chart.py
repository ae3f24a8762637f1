"""Chart of incident demand against officers on duty across the week (recommended and current).

Built as a :class:`matplotlib.figure.Figure` with the Agg canvas, never through ``pyplot``'s
global state, so the CLI's PNG and the PDF briefing share it and it is safe in worker threads.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.staffing.rota_score import RotaScore
from analysis.staffing.timing import ShiftPlan
from analysis.staffing.week import HOURS_PER_WEEK, WEEKDAY_ABBR


def shift_chart_figure(plan: ShiftPlan, current: Optional[RotaScore] = None, *,
                       title: str = "Officers on duty against incident demand",
                       subtitle: Optional[str] = None, note: Optional[str] = None,
                       figsize=(11.0, 4.4),
                       dpi: int = 150) -> Figure:
    """Demand and officers on duty for every hour of the week (Monday 00:00 first).

    Demand is drawn in officer units, ``d_t / k`` with ``k`` the plan's incidents per
    officer-hour: the officers that staffing exactly proportional to demand would put on (the
    right-hand axis gives the same curve in incidents per week). The recommended plan's
    on-duty curve is a step line; the current rota's (``current``, scored with the same
    coverage) a dashed step line; sergeants, when planned, a thin line.

    Parameters
    ----------
    plan : ShiftPlan (feasible) from :func:`analysis.staffing.timing.recommend_shifts`.
    current : RotaScore, optional, e.g. ``ShiftRecommendation.current``.
    title, subtitle : text at the top; the default subtitle gives both coverages.
    note : optional line under the axis label (e.g. the incidents the demand comes from); inside
        the layout, so it never overlaps the label.

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas attached: ``fig.savefig(path)`` works without pyplot.
    """
    if not plan.feasible or len(plan.on_duty) != HOURS_PER_WEEK:
        raise ValueError(f"no chart for an infeasible plan ({plan.status})")
    demand = np.asarray(plan.demand, dtype=float)
    on = np.asarray(plan.on_duty, dtype=float)
    k = float(plan.load_per_officer_hour)
    needed = demand / k
    x = np.arange(HOURS_PER_WEEK + 1)

    def steps(values):                       # hour t drawn over [t, t + 1)
        return np.append(values, values[-1])

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.fill_between(x, steps(needed), step="post", color="#bdbdbd", alpha=0.8, linewidth=0,
                    label="demand (officers for proportional staffing)")
    ax.step(x, steps(on), where="post", color="#1f5fa8", linewidth=2.0,
            label=f"recommended: {plan.shift_hours}-hour shifts ({plan.coverage:.0%} coverage)")
    if current is not None:
        cur = np.asarray(current.on_duty, dtype=float)
        ax.step(x, steps(cur), where="post", color="#d9661f", linewidth=1.6, linestyle="--",
                label=f"current: {current.label} ({current.coverage:.0%} coverage)")
    if len(plan.sergeant_on_duty) == HOURS_PER_WEEK:
        ax.step(x, steps(np.asarray(plan.sergeant_on_duty, dtype=float)), where="post",
                color="#2e7d32", linewidth=1.0, label="sergeants on duty")
    for day in range(1, 7):
        ax.axvline(24 * day, color="#666666", linewidth=0.6)
    ax.set_xlim(0, HOURS_PER_WEEK)
    ax.set_xticks([24 * d + 12 for d in range(7)], labels=WEEKDAY_ABBR)
    ax.set_xticks(np.arange(0, HOURS_PER_WEEK + 1, 6), minor=True)
    ax.tick_params(axis="x", which="major", length=0)
    top = max(float(needed.max()), float(on.max()),
              0.0 if current is None else float(np.max(current.on_duty)))
    ax.set_ylim(0, 1.35 * top if top > 0 else 1.0)
    ax.set_ylabel("officers on duty")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hour of the week (minor ticks every 6 hours: 00, 06, 12, 18)"
                  + (f"\n{note}" if note else ""))
    if k > 0:
        sec = ax.secondary_yaxis("right", functions=(lambda o: o * k, lambda v: v / k))
        sec.set_ylabel("incidents per week in the hour")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    if subtitle is None:
        subtitle = f"Recommended plan covers {plan.coverage:.0%} of demand"
        if current is not None:
            subtitle += f", the current rota {current.coverage:.0%}"
        subtitle += " (coverage: share of demand met if every officer-hour takes the average load)"
    fig.suptitle(title, fontsize=12, fontweight="bold")
    ax.set_title(subtitle, fontsize=8.5)
    return fig
