"""The When panel: the heatmap for timed data; for month-only data the months and crime types the
profile announces."""
from __future__ import annotations

import numpy as np


def _panel(qtbot):
    from desktop.panels.temporal_panel import TemporalPanel

    panel = TemporalPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    return panel


def test_when__rutland_months_data_shows_months_and_crime_types_not_an_empty_heatmap(qtbot, rutland_months):
    """Regression: the When panel for month-only data showed an empty heatmap instead of the
    months and crime types its message announced."""
    from analysis.filters import Filters
    from desktop.tasks import TemporalRun

    _, profile = rutland_months
    assert profile.matrix is None and len(profile.by_month) == 4
    panel = _panel(qtbot)
    panel.show_profile_result(TemporalRun(profile, Filters()))
    assert panel.view.showing_months and panel.view.month_view.isVisible()
    assert not panel.heatmap.isVisible()
    # incidents per month: one bar per month, heights = the profile's series
    bars = panel.view.month_view.bars
    assert bars.months == list(profile.by_month) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    np.testing.assert_allclose(bars.bars.opts["height"], list(profile.by_month.values()))
    assert bars.bars in bars.getPlotItem().items
    assert bars.describe(2) == f"Mar 2024: {profile.by_month['2024-03']:,.0f} incidents"
    # incidents per crime type, largest first, with shares
    table = panel.view.month_view.types
    assert table.rowCount() == len(profile.by_crime_type)
    shown = {table.item(r, 0).text(): float(table.item(r, 1).text().replace(",", ""))
             for r in range(table.rowCount())}
    assert shown == profile.by_crime_type
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == list(profile.by_crime_type)
    total = sum(profile.by_crime_type.values())
    assert table.item(0, 2).text() == f"{100 * next(iter(profile.by_crime_type.values())) / total:.1f}%"
    # the message: how many, over which months, and that there are no times of day
    text = panel.summary.text()
    assert f"{profile.n_total:,} incidents" in text and "Jan 2024 to Apr 2024" in text
    assert "No times of day" in text and profile.message in text
    assert not panel.cmp_box.isEnabled()  # before/after is by hour of week: nothing to compare


def test_when__timed_data_still_shows_the_heatmap(qtbot, rutland_months, demo):
    from analysis.filters import Filters
    from analysis.temporal.matrix import hour_weekday_matrix
    from desktop.tasks import TemporalRun

    _, months = rutland_months
    timed = hour_weekday_matrix(demo.incidents)
    panel = _panel(qtbot)
    panel.show_profile_result(TemporalRun(months, Filters()))
    panel.show_profile_result(TemporalRun(timed, Filters()))
    assert not panel.view.showing_months and panel.heatmap.isVisible()
    np.testing.assert_array_equal(panel.heatmap.matrix, timed.matrix)
    assert panel.cmp_box.isEnabled()
    panel.show_profile_result(None)
    assert panel.heatmap.isVisible() and panel.heatmap.matrix is None
