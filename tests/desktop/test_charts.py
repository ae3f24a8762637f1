"""desktop.views.charts: the month bars of month-only data."""
from __future__ import annotations


def test_month_bars__twelve_months_get_six_labels_not_a_crowd(qtbot):
    """Regression: a year of months was labelled every month, and in the When dock's width the
    labels ran into each other ("FebMarAprJul..." on the national-year screenshot)."""
    from desktop.views.charts import MonthBars

    w = MonthBars()
    qtbot.addWidget(w)
    months = {f"2024-{m:02d}": 100.0 + m for m in range(1, 13)}
    w.set_series(months)
    major, minor = w.getPlotItem().getAxis("bottom")._tickLevels
    assert [label for _x, label in major] == ["Jan", "Mar", "May", "Jul", "Sep", "Nov"]
    assert len(minor) == 12
    w.set_series({"2024-01": 5.0, "2024-02": 7.0})
    major, _ = w.getPlotItem().getAxis("bottom")._tickLevels
    assert [label for _x, label in major] == ["Jan", "Feb"]
