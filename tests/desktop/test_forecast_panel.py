"""The Forecast dock: its result, back-test table, coverage curves, boxes table and the map's 'Forecast
boxes' layer checked against ``forecast_incidents`` called directly on the same filtered demo incidents;
a click on a box zooms the map to it; other filters clear it all; cancel changes nothing; month-only
data gives a plain message in the panel, not a dialog."""
from __future__ import annotations

import datetime

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.desktop.conftest import wait_idle

CRIME = ("Violence and sexual offences",)   # the demo's 3,213: a forecast in a few seconds


@pytest.fixture(scope="module")
def reference(demo):
    """``forecast_incidents`` on the demo's violence with the panel's defaults, called directly."""
    from analysis.filters import Filters, apply_filters
    from analysis.spacetime.next_period import forecast_incidents

    pts = apply_filters(demo.incidents, Filters(crime_types=CRIME))
    return forecast_incidents(pts, period="week", method=None, cell_m=150, test_periods=12, coverage_pct=2.0)


def _run(window, qtbot):
    from analysis.filters import Filters

    window.model.set_filters(Filters(crime_types=CRIME))
    wait_idle(window, qtbot)
    panel = window.forecast_panel
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert window.tasks.is_running("forecast")
    qtbot.waitUntil(lambda: window.model.result("forecast") is not None, timeout=120_000)
    wait_idle(window, qtbot)
    return window.model.result("forecast")


def _contains(outer, inner) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def test_forecast_panel__result_tables_curves_and_map_equal_forecast_incidents(demo_window, reference, qtbot):
    from PySide6.QtWidgets import QGraphicsPathItem

    import pyqtgraph as pg
    from analysis.export.forecast_figure import METHOD_COLOURS
    from analysis.filters import Filters
    from analysis.spacetime.forecast import METHOD_NAMES, METHODS

    w, ref = demo_window, reference
    panel = w.forecast_panel
    assert w.docks["forecast"].windowTitle() == "Forecast"
    assert w.docks["forecast"] in w.tabifiedDockWidgets(w.docks["hotspots"])
    # hotspots stays raised at start
    assert not w.docks["hotspots"].visibleRegion().isEmpty() and w.docks["forecast"].visibleRegion().isEmpty()
    assert [panel.method.itemData(i) for i in range(panel.method.count())] == [None, *METHODS]
    assert [panel.method.itemText(i) for i in range(1, panel.method.count())] == [METHOD_NAMES[m] for m in METHODS]
    assert w.model.result("forecast") is None     # runs only on Run
    w.docks["forecast"].raise_()

    run = _run(w, qtbot)
    fc = run.result
    assert run.filters == Filters(crime_types=CRIME)
    assert (fc.method, fc.chosen_by, fc.label, fc.period) == (ref.method, ref.chosen_by, ref.label, ref.period)
    np.testing.assert_array_equal(fc.risk, ref.risk)
    assert len(fc.boxes) >= 2
    assert [(b.rank, b.streets, b.risk, b.area_km2) for b in fc.boxes] == \
        [(b.rank, b.streets, b.risk, b.area_km2) for b in ref.boxes]
    bt, rbt = fc.backtest, ref.backtest
    assert bt.methods == rbt.methods and bt.coverages_pct == rbt.coverages_pct and bt.labels == rbt.labels
    for m in rbt.methods:
        for metric in ("hit_rate", "pai", "pei"):
            for c in rbt.coverages_pct:
                assert bt.stats(m, metric, c) == rbt.stats(m, metric, c)

    # the words: period, method and why; the expected-hit sentence, large and bold
    assert ref.label in panel.headline.text() and METHOD_NAMES[ref.method] in panel.headline.text()
    assert ref.chosen_by in panel.headline.text()
    assert panel.expected.text() == ref.expected_hit_text()
    assert panel.expected.font().bold() and panel.expected.font().pointSizeF() > 1.3 * panel.font().pointSizeF()

    # the back-test table: a row per method, hit rate / PAI / PEI at 2% as mean and min-max; the chosen one bold
    t = panel.table
    assert [t.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(t.rowCount())] == list(rbt.methods)
    for r, m in enumerate(rbt.methods):
        h, p, e = (rbt.stats(m, k, 2.0) for k in ("hit_rate", "pai", "pei"))
        assert t.item(r, 1).text() == f"{100 * h['mean']:.1f}%\n{100 * h['min']:.1f}–{100 * h['max']:.1f}%"
        assert t.item(r, 2).text() == f"{p['mean']:.2f}\n{p['min']:.2f}–{p['max']:.2f}"
        assert t.item(r, 3).text() == f"{e['mean']:.2f}\n{e['min']:.2f}–{e['max']:.2f}"
        assert all(t.item(r, c).font().bold() == (m == ref.method) for c in range(4))
    assert sum(t.item(r, 0).font().bold() for r in range(t.rowCount())) == 1

    # the coverage curves: one line per method in its colour, the mean hit rate in %, and the random diagonal
    x, rates = rbt.curve()
    curves = [i for i in panel.curves.getPlotItem().listDataItems() if isinstance(i, pg.PlotDataItem)]
    assert len(curves) == len(rbt.methods) + 1
    for i, m in enumerate(rbt.methods):
        cx, cy = curves[i].getOriginalDataset()
        np.testing.assert_array_equal(cx, x)
        np.testing.assert_allclose(cy, 100 * rates[i])
        assert curves[i].opts["pen"].color().name() == METHOD_COLOURS[m]
        assert f"color:{METHOD_COLOURS[m]}" in panel.curve_legend.text()
    np.testing.assert_array_equal(curves[-1].getOriginalDataset()[1], x)
    assert "Random" in panel.curve_legend.text() and "ETAS" in panel.curve_legend.text()

    # the boxes table: rank, streets, expected incidents, area
    bx = panel.boxes
    assert bx.rowCount() == len(ref.boxes)
    for r, b in enumerate(ref.boxes):
        assert [bx.item(r, c).text() for c in range(4)] == [
            str(b.rank), "; ".join(b.streets) or "(no street names)", f"{b.risk:.1f}", f"{b.area_km2:.3f}"]

    # the map: one outline per box with the box's bounds, its rank number, a legend entry and a layer
    layer = w.map.layers["forecast"]
    outlines = [i for i in layer.items if isinstance(i, QGraphicsPathItem)]
    assert len(outlines) == len(ref.boxes) == layer.count
    for item, b in zip(outlines, ref.boxes):
        r = item.path().boundingRect()
        assert (r.left(), r.top(), r.right(), r.bottom()) == pytest.approx(b.geometry.bounds)
        assert item.pen().color() != w.map.hotspot_items[1].pen().color()   # unlike the hotspot areas
    assert [i.textItem.toPlainText() for i in layer.items if isinstance(i, pg.TextItem)] == \
        [str(b.rank) for b in ref.boxes]
    assert any(label == f"Forecast box, {ref.label}, rank" for label, _c, _k in w.map.overlay.legend)
    listed = [w.layers_panel.list.item(i).text() for i in range(w.layers_panel.list.count())]
    assert f"Forecast boxes  ({len(ref.boxes)})" in listed

    # a click on a box's row zooms the map to that box (from a view far from it)
    g = ref.grid
    w.map.zoom_to((g.x0, g.y0, g.x0 + 300, g.y0 + 300), padding=0)
    last = ref.boxes[-1]
    assert not _contains(w.map.view_bounds(), last.geometry.bounds)
    row = bx.rowCount() - 1
    qtbot.mouseClick(bx.viewport(), Qt.MouseButton.LeftButton, pos=bx.visualItemRect(bx.item(row, 1)).center())
    qtbot.wait(20)
    view = w.map.view_bounds()
    assert _contains(view, last.geometry.bounds)
    x0, y0, x1, y1 = last.geometry.bounds
    assert view[2] - view[0] < max(5 * (x1 - x0), 2_000)    # zoomed to the box, not to everything
    assert outlines[-1].pen().widthF() > outlines[0].pen().widthF()  # marked

    # the results fit in the dock: the window's minimum stays within the (800 x 800 offscreen) screen
    room = w.screen().availableGeometry()
    hint = w.minimumSizeHint()
    assert hint.height() <= room.height() and hint.width() <= min(1600, room.width()), hint

    # cancel: a new run stopped at once leaves the last forecast, its tables and its layer as they were
    panel.period.setCurrentIndex(panel.period.findData("day"))
    panel.start()
    assert w.tasks.is_running("forecast")
    w.tasks.cancel("forecast")
    wait_idle(w, qtbot)
    assert w.model.result("forecast") is run and panel.run is run
    assert "Cancelled: nothing was changed." in panel.status.text()
    assert w.map.layers["forecast"].count == len(ref.boxes) and bx.rowCount() == len(ref.boxes)
    assert t.rowCount() == len(rbt.methods)

    # other filters: the forecast described other incidents, so it goes, from the panel and the map
    w.model.set_filters(Filters())
    wait_idle(w, qtbot)
    assert w.model.result("forecast") is None and panel.run is None
    assert "forecast" not in w.map.layers and w.map.forecast is None
    assert bx.rowCount() == 0 and t.rowCount() == 0 and panel.expected.text() == ""
    assert not panel.results.isVisibleTo(panel)
    assert not any(label.startswith("Forecast box") for label, _c, _k in w.map.overlay.legend)
    assert not w.errors and w.error_box is None


def test_forecast_panel__month_only_data_says_why_in_the_panel(window, qtbot):
    from analysis.ingest.incidents import read_incidents
    from analysis.project import Project
    from tests.conftest import shared_path

    path = shared_path("police_uk", "2024-01_to_2024-04-rutland-street.csv")
    window.model.set_project(Project.from_import(read_incidents(path), title="Rutland"))
    wait_idle(window, qtbot)
    panel = window.forecast_panel
    window.docks["forecast"].raise_()
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    wait_idle(window, qtbot)
    text = panel.status.text()
    assert "No forecast:" in text and "months only" in text and "Traceback" not in text
    assert window.model.result("forecast") is None and "forecast" not in window.map.layers
    assert not panel.results.isVisibleTo(panel)
    assert not window.errors and window.error_box is None


def test_forecast_panel__too_little_history_says_why_in_the_panel(demo_window, demo, qtbot):
    """The demo's last ten days only: the analysis's message, in the panel."""
    import dataclasses

    w = demo_window
    last = demo.incidents["t_start"].max().date()
    w.model.set_filters(dataclasses.replace(w.model.filters, date_from=last - datetime.timedelta(days=10),
                                            date_to=last))
    wait_idle(w, qtbot)
    panel = w.forecast_panel
    panel.start()
    wait_idle(w, qtbot)
    assert "No forecast:" in panel.status.text() and "too little history" in panel.status.text()
    assert w.model.result("forecast") is None and not w.errors and w.error_box is None
