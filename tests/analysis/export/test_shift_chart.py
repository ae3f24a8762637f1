"""The shift chart: demand against officers on duty, recommended and current."""
from __future__ import annotations

import pytest

from tests.analysis.staffing.reference import random_demand

from analysis.staffing.timing import recommend_shifts


def test_shift_chart_figure__draws_demand_plan_and_current(tmp_path):
    from matplotlib.figure import Figure

    from analysis.export.shift_chart import shift_chart_figure

    d = random_demand(12)
    rec = recommend_shifts(d, officers=3, shift_hours=8, starts=range(0, 24, 4),
                           current="08:00-16:00x3")
    fig = shift_chart_figure(rec.best, rec.current)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    plan_line = next(v for k, v in lines.items() if k.startswith("recommended"))
    cur_line = next(v for k, v in lines.items() if k.startswith("current"))
    assert list(plan_line.get_ydata()[:168]) == list(rec.best.on_duty)
    assert list(cur_line.get_ydata()[:168]) == list(rec.current.on_duty)
    assert f"({rec.best.coverage:.0%} coverage)" in plan_line.get_label()
    path = tmp_path / "chart.png"
    fig.savefig(path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert all(float(t).is_integer() for t in ax.get_yticks())     # whole officers


def test_shift_chart_figure__note_sits_below_the_axis_label():
    from analysis.export.shift_chart import shift_chart_figure

    rec = recommend_shifts(random_demand(12), officers=3, shift_hours=8, starts=range(0, 24, 4))
    fig = shift_chart_figure(rec.best, note="12,000 incidents with times")
    fig.canvas.draw()
    label = fig.axes[0].xaxis.label
    assert label.get_text().endswith("\n12,000 incidents with times")
    # constrained layout keeps the two-line label inside the figure
    box = label.get_window_extent(fig.canvas.get_renderer())
    assert box.y0 >= 0 and box.y1 <= fig.bbox.height


def test_shift_chart_figure__infeasible_plan():
    from analysis.export.shift_chart import shift_chart_figure

    rec = recommend_shifts(random_demand(2), officers=6, shift_hours=(4, 8), min_on_duty=1,
                           starts=range(0, 24, 2))
    with pytest.raises(ValueError, match="infeasible"):
        shift_chart_figure(rec.plans[1])
