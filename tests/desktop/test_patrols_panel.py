"""Patrols: File > Import patrol data (the wizard for pings) and the Patrols dock, checked against
analysis.patrols.report.patrol_report called directly on the same hotspot areas."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.desktop.conftest import wait_idle


@pytest.fixture(scope="module")
def reference_patrols(demo, reference_hotspots):
    from analysis.patrols.report import patrol_report, pings_from_layer

    surface, areas, _gi = reference_hotspots
    pings = pings_from_layer(demo.patrols, demo.crs)
    return pings, patrol_report(demo.incidents, pings, areas, surface)


def _run(window, qtbot):
    panel = window.patrols_panel
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.result("patrols") is not None, timeout=120_000)
    wait_idle(window, qtbot)
    return window.model.result("patrols")


def test_patrols_panel__gap_table_heatmaps_and_map_equal_patrol_report(demo_window, reference_patrols, qtbot):
    _pings, ref = reference_patrols
    w = demo_window
    panel = w.patrols_panel
    assert panel.applicable() and panel.run_button.isEnabled()
    run = _run(w, qtbot)
    rp = run.report
    assert [g.sentence for g in rp.gap.gaps] == [g.sentence for g in ref.gap.gaps]
    assert any("York Road" in g.name for g in rp.gap.gaps)
    # the table: the ranked gaps first, then the other hotspots; every column as the report says
    t = panel.table
    assert t.rowCount() == len(ref.gap.hotspots)
    assert [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())][:3] == ["Rank", "Hotspot", "Incidents"]
    for r, g in enumerate(ref.gap.gaps):
        assert t.item(r, 0).text() == str(g.rank) and t.item(r, 1).toolTip() == g.name
        assert t.item(r, 2).data(Qt.ItemDataRole.UserRole) == pytest.approx(g.incident_share)
        assert t.item(r, 3).data(Qt.ItemDataRole.UserRole) == pytest.approx(g.patrol_share)
        assert t.item(r, 4).text() == f"{g.patrol_minutes:,.0f}"
        assert t.item(r, 5).text() == f"{g.visits_qualifying:,}"
        assert t.item(r, 7).text() == g.sentence
    for r in range(len(ref.gap.gaps), t.rowCount()):
        assert t.item(r, 0).text() == "–"
    # demand and presence by hour, side by side
    np.testing.assert_allclose(panel.demand_map.matrix, ref.demand_by_weekday_hour())
    np.testing.assert_allclose(panel.presence_map.matrix, ref.presence_by_weekday_hour())
    assert panel.presence_map.matrix.sum() == pytest.approx(ref.presence.presence_hours)
    # the presence layer: an image on the density's grid, listed and toggled like the others
    assert "presence" in w.map.layer_keys()
    minutes, grid = w.map.presence
    np.testing.assert_allclose(minutes, ref.presence_minutes, rtol=1e-6)
    assert grid.bounds == ref.surface.grid.bounds
    keys = [w.layers_panel.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(w.layers_panel.list.count())]
    assert "presence" in keys
    item = w.layers_panel.list.item(keys.index("presence"))
    item.setCheckState(Qt.CheckState.Unchecked)
    assert not w.map.layers["presence"].items[0].isVisible()
    item.setCheckState(Qt.CheckState.Checked)
    assert w.map.layers["presence"].items[0].isVisible()
    assert "Patrol presence" in w.map.identify(*ref.areas.hotspots[0].geometry.representative_point().coords[0])


def test_patrols_panel__row_click_zooms_and_shows_that_hotspots_dosage(demo_window, reference_patrols, qtbot):
    _pings, ref = reference_patrols
    w = demo_window
    _run(w, qtbot)
    panel = w.patrols_panel
    g = ref.gap.gaps[0]
    hotspot = ref.areas.hotspots[g.hotspot]
    panel.table.selectRow(0)
    assert w.model.selected_hotspot == hotspot.rank
    view = w.map.view_rect()
    x0, y0, x1, y1 = hotspot.geometry.bounds
    assert view.left() <= x0 and view.right() >= x1 and view.top() <= y0 and view.bottom() >= y1
    assert view.width() < 4 * (x1 - x0) + 4 * (y1 - y0)  # zoomed in on it, not the whole town
    dos = ref.visits.dosage[ref.visits.dosage["hotspot"] == g.hotspot]
    np.testing.assert_allclose(panel.dosage.values, dos["patrol_minutes"].to_numpy())
    assert len(panel.dosage.days) == len(dos) and "patrol minutes" in panel.dosage.describe(0)
    assert panel.sentence.text() == g.sentence
    # selecting the hotspot elsewhere (hotspots table, map) selects its row here
    last = panel.rows[-1]
    w.model.select_hotspot(ref.areas.hotspots[last.hotspot].rank)
    assert panel.table.currentRow() == len(ref.gap.hotspots) - 1


def test_patrols_panel__parameters_defaults_tooltips_and_saved(demo_window, qtbot):
    from analysis.patrols.report import PatrolParams

    w = demo_window
    panel = w.patrols_panel
    assert panel.params() == PatrolParams()
    for box in (panel.max_gap, panel.buffer, panel.koper, panel.day_start):
        assert "Default" in box.toolTip()
    panel.koper.setValue(12)
    panel.max_gap.setValue(3)
    run = _run(w, qtbot)
    assert run.report.params == PatrolParams(max_gap_min=3.0, koper_min=12.0)
    assert run.report.visits.koper_min == 12.0 and run.report.presence.max_gap_min == 3.0
    assert w.model.setting("patrol_params") == PatrolParams(max_gap_min=3.0, koper_min=12.0).to_dict()
    assert panel.table.horizontalHeaderItem(5).text() == "Visits ≥12 min"


def test_patrols_panel__cancel_changes_nothing(demo_window, qtbot):
    w = demo_window
    panel = w.patrols_panel
    panel.start()
    assert w.tasks.is_running("patrols")
    w.tasks.cancel("patrols")
    wait_idle(w, qtbot)
    assert w.model.result("patrols") is None and "Cancelled" in panel.status.text()


def test_patrols_panel__without_patrol_data_says_how_to_get_it(window, demo, reference_hotspots, qtbot):
    from analysis.filters import Filters
    from desktop.params import HotspotParams
    from desktop.tasks import HotspotRun

    project = dataclasses.replace(demo, patrols=None, settings=dict(demo.settings))
    window.model.set_project(project)
    surface, areas, gi = reference_hotspots
    window.model.set_result("hotspots", HotspotRun(HotspotParams(), Filters(), len(demo.incidents),
                                                   surface, areas, gi))
    panel = window.patrols_panel
    assert not panel.applicable() and not panel.run_button.isEnabled()
    assert "Import patrol data" in panel.note.text() and not panel.note.isHidden()
    assert panel.start() is None and not window.tasks.is_running("patrols")


def test_patrol_import__wizard_makes_the_pings_the_projects_patrols(window, demo, demo_dir, qtbot, tmp_path):
    from analysis.ingest.tracks import read_pings
    from analysis.patrols.report import pings_from_layer
    from analysis.project import load_project

    project = dataclasses.replace(demo, patrols=None, settings=dict(demo.settings))
    window.model.set_project(project)
    ref = read_pings([demo_dir / "patrols.csv"], working_crs=demo.crs)
    d = window.import_patrols_dialog([demo_dir / "patrols.csv"])
    assert d.windowTitle() == "Import patrol data"
    d.next()
    shown = {k: c.currentText() for k, c in d.combos.items()}
    assert (shown["time"], shown["lon"], shown["lat"]) == ("timestamp", "longitude", "latitude")
    assert "unit" in d.mapping_note.text()
    d.next()
    qtbot.waitUntil(lambda: d.result is not None, timeout=60_000)
    rep, c = d.result.report, d.result.cleaning
    assert rep.rows_read == ref.report.rows_read and rep.accepted == ref.report.accepted
    text = d.report_summary.text()
    assert f"{rep.rows_read:,} pings read" in text and f"{c.units} units" in text and "duplicates" in text
    assert "impossible jumps" in text and "median interval" in text
    d.finish()
    m = window.model
    assert m.has_patrols and m.dirty and len(m.project.patrols) == rep.accepted
    assert str(m.project.patrols["t"].dt.tz) == "UTC"
    # saved with the project: the pings come back (t as UTC text in the file, read back as UTC)
    saved = tmp_path / "with-patrols.beatwise"
    window.save_to(saved)
    wait_idle(window, qtbot)
    back = pings_from_layer(load_project(saved).patrols)
    assert len(back) == len(ref.pings) and (back["t"].to_numpy() == ref.pings["t"].to_numpy()).all()


def test_patrol_import__bad_file_is_a_message_in_the_report(window, demo, qtbot, tmp_path):
    project = dataclasses.replace(demo, patrols=None, settings=dict(demo.settings))
    window.model.set_project(project)
    bad = tmp_path / "p.csv"
    bad.write_text("time,lat,lon\n2025-01-06 07:00,51.5,0.7\n", encoding="utf-8")
    d = window.import_patrols_dialog([bad])
    d.next()
    d.next()
    qtbot.waitUntil(lambda: d.error is not None, timeout=30_000)
    assert "no unit column" in d.report_summary.text() and not d.finish_button.isEnabled()
    assert not window.model.has_patrols


def test_patrols_panel__time_slider_shows_where_units_were_in_that_hour(demo_window, reference_patrols, qtbot):
    import pandas as pd

    pings, _ref = reference_patrols
    w = demo_window
    _run(w, qtbot)
    panel = w.patrols_panel
    assert panel.hour.isEnabled() and "units" not in w.map.layers
    first = pd.Timestamp(int(pings["t"].min().value // 3_600_000_000_000 * 3_600_000_000_000), tz="UTC")
    assert panel.hour.maximum() == int((pings["t"].max() - first) / pd.Timedelta(hours=1))
    # Monday 6 January 2025, 15:00-16:00 local (GMT): both shifts of the demo's rota are on
    index = int((pd.Timestamp("2025-01-06 15:00", tz="Europe/London") - first) / pd.Timedelta(hours=1))
    panel.hour.setValue(index)
    t0 = pd.Timestamp("2025-01-06 15:00", tz="UTC")
    inside = pings[(pings["t"] >= t0) & (pings["t"] < t0 + pd.Timedelta(hours=1))]
    assert inside["unit_id"].nunique() == 7
    layer = w.map.layers["units"]
    assert layer.count == 7 and layer.visible
    assert "Mon 06 Jan 2025 15:00-16:00: 7 unit(s)" in panel.hour_label.text()
    last = inside.groupby("unit_id").tail(1)
    dots = [it for it in layer.items if isinstance(it, __import__("pyqtgraph").ScatterPlotItem)]
    got = sorted((round(float(d.data["x"][0]), 3), round(float(d.data["y"][0]), 3)) for d in dots)
    assert got == sorted((round(p.x, 3), round(p.y, 3)) for p in last.geometry)
    # 03:00 on a night: no one is on duty in the demo's day-heavy rota
    panel.hour.setValue(int((pd.Timestamp("2025-01-07 03:00", tz="Europe/London") - first) / pd.Timedelta(hours=1)))
    assert "units" not in w.map.layers and ": 0 unit(s)" in panel.hour_label.text()


def test_patrol_import__wizard_prefills_from_the_importers_detection(window, demo, qtbot, tmp_path):
    project = dataclasses.replace(demo, patrols=None, settings=dict(demo.settings))
    window.model.set_project(project)
    path = tmp_path / "radios.csv"
    path.write_text("Radio ID,Timestamp,Easting,Northing,Status\n"
                    "1234,13/01/2025 10:00:05,588000,186000,Patrol\n"
                    "1234,13/01/2025 10:00:35,588010,186000,At scene\n", encoding="utf-8")
    d = window.import_patrols_dialog([path])
    d.next()
    shown = {k: c.currentText() for k, c in d.combos.items()}
    assert (shown["unit"], shown["time"], shown["x"], shown["y"], shown["status"]) == (
        "Radio ID", "Timestamp", "Easting", "Northing", "Status")
    assert d.mapping() is None                       # nothing changed: the importer detects the same
    d.reject()


def _logs_file(tmp_path):
    path = tmp_path / "logs.csv"
    path.write_text("unit,start,end,area\n"
                    'PCSO 1,2025-01-10 22:00,2025-01-11 00:30,"POLYGON((0.714 51.5355, 0.7255 51.5355, '
                    '0.7255 51.5372, 0.714 51.5372, 0.714 51.5355))"\n'
                    "PCSO 2,2025-01-11 10:00,2025-01-11 09:00,\n", encoding="utf-8")
    return path


def test_patrol_logs__wizard_import_then_the_panel_measures_logs_only(window, demo, reference_hotspots, qtbot,
                                                                      tmp_path):
    from analysis.filters import Filters
    from analysis.patrols.report import logs_from_layer
    from analysis.project import load_project
    from desktop.params import HotspotParams
    from desktop.tasks import HotspotRun

    project = dataclasses.replace(demo, patrols=None, settings=dict(demo.settings))
    window.model.set_project(project)
    d = window.import_patrol_logs_dialog([_logs_file(tmp_path)])
    assert d.windowTitle() == "Import patrol logs"
    d.next()
    shown = {k: c.currentText() for k, c in d.combos.items()}
    assert (shown["unit"], shown["start"], shown["end"], shown["wkt"]) == ("unit", "start", "end", "area")
    d.next()
    qtbot.waitUntil(lambda: d.result is not None, timeout=60_000)
    text = d.report_summary.text()
    assert "2 logs read: 1 accepted, 1 rejected" in text and "2.5 hours" in text
    d.finish()
    m = window.model
    assert m.has_patrol_logs and not m.has_patrols
    surface, areas, gi = reference_hotspots
    m.set_result("hotspots", HotspotRun(HotspotParams(), Filters(), len(demo.incidents), surface, areas, gi))
    panel = window.patrols_panel
    assert panel.applicable()
    run = _run(window, qtbot)
    pres = run.report.presence
    assert pres.total_s == 2.5 * 3600 and pres.logs_s == pres.total_s and pres.n_logs == 1
    york = next(h for h in run.report.gap.hotspots if "York Road" in h.name)
    assert york.patrol_minutes == 150
    assert "(2.5 from 1 patrol log(s))" in panel.status.text() and not panel.hour.isEnabled()   # no track to show
    saved = tmp_path / "with-logs.beatwise"
    window.save_to(saved)
    wait_idle(window, qtbot)
    back = logs_from_layer(load_project(saved).patrol_logs)
    assert len(back) == 1 and back["t_start"].iloc[0] == m.project.patrol_logs["t_start"].iloc[0]
    assert back.geometry.iloc[0].equals_exact(m.project.patrol_logs.geometry.iloc[0], 1e-6)


def test_patrols_panel__the_date_filter_narrows_the_pings(demo_window, reference_hotspots, qtbot):
    import datetime as dt

    import pandas as pd

    from analysis.filters import Filters, apply_filters, filter_pings
    from analysis.patrols.report import patrol_report, pings_from_layer
    from desktop.params import HotspotParams
    from desktop.tasks import HotspotRun

    w = demo_window
    surface, areas, gi = reference_hotspots
    week = Filters(date_from=dt.date(2025, 1, 13), date_to=dt.date(2025, 1, 19))
    w.model.set_result("hotspots", HotspotRun(HotspotParams(), week, len(w.model.project.incidents),
                                              surface, areas, gi))
    run = _run(w, qtbot)
    pings = pings_from_layer(w.model.project.patrols, w.model.project.crs)
    inside = filter_pings(pings, week)
    assert 0 < len(inside) < len(pings) and len(run.pings) == len(inside)
    ref = patrol_report(apply_filters(w.model.project.incidents, week), inside, areas, surface)
    assert run.report.presence.total_s == ref.presence.total_s
    t = run.pings["t"]
    assert t.min() >= pd.Timestamp("2025-01-13", tz="UTC") and t.max() < pd.Timestamp("2025-01-20", tz="UTC")
