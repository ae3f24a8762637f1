"""The main window on the demo: layers, hotspot run, heatmap, streets, shared filters, cancel,
errors as dialogs, save/open, autosave and recovery, the unsaved-changes prompt, settings."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from tests.desktop.conftest import import_with_wizard, wait_idle


def test_first_start__opens_the_demo_with_hotspots_and_a_synthetic_banner(window, demo_cache, qtbot):
    window.auto_run = True
    window.start()
    qtbot.waitUntil(window.smoke_ready, timeout=120_000)
    m = window.model
    assert m.project.synthetic and m.path is None and not m.dirty
    assert window.banner.isVisible() and "SYNTHETIC" in window.banner.text()
    # the demo has patrol GPS: its presence against demand is measured too, the presence on the map
    assert set(window.map.layer_keys()) == {"hotspots", "incidents", "gi", "density", "streets", "presence"}
    assert m.result("patrols") is not None and window.patrols_panel.table.rowCount() > 0
    assert window.map.layers["incidents"].count == len(m.project.incidents) == 12_000
    assert window.map.layers["hotspots"].count == len(m.result("hotspots").areas.hotspots) > 0
    assert window.hotspots_panel.table.rowCount() == len(m.result("hotspots").areas.hotspots)
    assert window.temporal_panel.heatmap.matrix is not None
    assert window.streets_panel.table.rowCount() > 0
    assert "SYNTHETIC" in window.windowTitle()
    assert window.layers_panel.list.count() == 6


def test_hotspot_run__map_layers_equal_the_analysis_result(window, demo, reference_hotspots, qtbot):
    """Run through the panel's button: the density layer holds the KDE values, the hotspot layer
    and table the ranked areas, the Gi* layer the classes: all equal to calling the analysis
    functions directly."""
    surface, areas, gi = reference_hotspots
    window.model.set_project(dataclasses.replace(demo, settings=dict(demo.settings)))
    wait_idle(window, qtbot)
    assert "density" not in window.map.layers
    qtbot.mouseClick(window.hotspots_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.result("hotspots") is not None, timeout=60_000)
    run = window.model.result("hotspots")
    np.testing.assert_array_equal(run.surface.values, surface.values)
    assert run.surface.grid == surface.grid and run.surface.bandwidth_m == surface.bandwidth_m
    # what is drawn: sqrt of the density (square-root colour scale), transparent where 0
    img = window.map.density_image.image
    expected = np.sqrt(surface.values)
    np.testing.assert_allclose(np.nan_to_num(img, nan=0.0), expected, rtol=1e-6, atol=1e-6)
    assert np.array_equal(np.isnan(img), surface.values <= 0)
    assert window.map.colour_bar.levels() == pytest.approx((0.0, np.sqrt(surface.max_density)))
    # hotspots: polygons and table rows equal the analysis' ranked areas
    assert [h.summary() for h in run.areas.hotspots] == [h.summary() for h in areas.hotspots]
    assert all(h.geometry.equals(r.geometry) for h, r in zip(run.areas.hotspots, areas.hotspots))
    table = window.hotspots_panel.table
    assert table.rowCount() == len(areas.hotspots)
    for r, h in enumerate(areas.hotspots):
        assert int(table.item(r, 1).data(Qt.ItemDataRole.UserRole)) == h.incidents
        assert table.item(r, 4).data(Qt.ItemDataRole.UserRole) == pytest.approx(h.pai)
    np.testing.assert_array_equal(run.gi.classes, gi.classes)
    rgba = window.map.layers["gi"].items[0].image
    assert np.array_equal(rgba[..., 3] > 0, gi.classes != 0)
    assert window.model.setting("hotspot_params")["top_percent"] == 5.0
    # the study area is the analysis' own (within reach of the incidents), and the panel says so
    np.testing.assert_array_equal(run.gi.study_area.mask, gi.study_area.mask)
    assert run.areas.study_area_km2 == pytest.approx(areas.study_area_km2)
    assert f"Study area: {areas.study_area.description}" in window.hotspots_panel.summary.text()


def test_hotspot_run__boundary_study_area_is_wired_through(window, demo, tmp_path, qtbot):
    import geopandas as gpd
    import shapely

    x0, y0, x1, y1 = demo.incidents.total_bounds
    west = shapely.box(x0, y0, (x0 + x1) / 2, y1)
    gpd.GeoDataFrame(geometry=[west], crs=demo.incidents.crs).to_file(tmp_path / "west.geojson", driver="GeoJSON")
    window.model.set_project(dataclasses.replace(demo, settings=dict(demo.settings)))
    wait_idle(window, qtbot)
    window.hotspots_panel.study_area.setText(str(tmp_path / "west.geojson"))
    assert window.hotspots_panel.params().study_area_path == str(tmp_path / "west.geojson")
    qtbot.mouseClick(window.hotspots_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.result("hotspots") is not None, timeout=60_000)
    run = window.model.result("hotspots")
    assert run.areas.study_area.kind == "boundary" and run.gi.study_area.kind == "boundary"
    assert run.areas.study_area_km2 == pytest.approx(west.area / 1e6, rel=0.02)
    assert all(h.geometry.centroid.x < (x0 + x1) / 2 + 50 for h in run.areas.hotspots)
    assert "Study area: boundary west.geojson" in window.hotspots_panel.summary.text()


def test_hotspot_row_click__zooms_the_map_and_identifies(demo_window, qtbot):
    w = demo_window
    h = w.model.result("hotspots").areas.hotspots[1]
    w.hotspots_panel.table.selectRow(1)
    assert w.model.selected_hotspot == h.rank
    view = w.map.view_rect()
    x0, y0, x1, y1 = h.geometry.bounds
    assert view.left() <= x0 and view.right() >= x1 and view.top() <= y0 and view.bottom() >= y1
    assert view.width() < 4 * max(x1 - x0, y1 - y0)
    assert f"Hotspot {h.rank}" in w.identify_view.toPlainText()
    assert f"{h.incidents:,}" in w.identify_view.toPlainText()
    assert w.temporal_panel.only_hotspot.isEnabled()


def test_when__heatmap_shows_the_temporal_matrix_and_hover_values(demo_window, demo, qtbot):
    from analysis.temporal.matrix import hour_weekday_matrix

    w = demo_window
    w.run_temporal()
    qtbot.waitUntil(lambda: w.model.result("temporal") is not None, timeout=30_000)
    ref = hour_weekday_matrix(demo.incidents)
    heat = w.temporal_panel.heatmap
    np.testing.assert_array_equal(heat.matrix, ref.matrix)
    np.testing.assert_array_equal(heat.image.image, ref.matrix.astype(np.float32))
    assert heat.matrix.sum() == pytest.approx(12_000)
    # hover over Saturday 02:00-03:00
    pos = heat.vb.mapViewToScene(QPointF(2.5, 5.5))
    heat._moved(pos)
    assert heat.hover_label.text() == f"Saturday 02:00-03:00: {ref.matrix[5, 2]:,.2f} incidents"
    assert "Busiest hour" in w.temporal_panel.summary.text()


def test_when__selected_hotspot_and_street_scope(demo_window, demo, qtbot):
    from analysis.temporal.matrix import hour_weekday_matrix

    w = demo_window
    h = w.model.result("hotspots").areas.hotspots[1]  # York Road
    w.model.select_hotspot(h.rank)
    w.temporal_panel.only_hotspot.setChecked(True)
    w.temporal_panel.run_button.click()
    qtbot.waitUntil(lambda: w.model.result("temporal") is not None, timeout=30_000)
    inside = demo.incidents[demo.incidents.geometry.intersects(h.geometry)]
    np.testing.assert_allclose(w.temporal_panel.heatmap.matrix, hour_weekday_matrix(inside).matrix)
    assert w.model.result("temporal").hotspot_rank == h.rank


def test_when__before_after_comparison(demo_window, demo, qtbot):
    from analysis.temporal.compare import compare_periods

    w = demo_window
    w.run_comparison(pd.Timestamp("2025-07-01").date())
    qtbot.waitUntil(lambda: w.model.result("comparison") is not None, timeout=30_000)
    ref = compare_periods(demo.incidents, "2025-07-01")
    np.testing.assert_allclose(w.temporal_panel.heatmap.matrix, ref.change)
    assert w.temporal_panel.heatmap.diverging
    assert f"p = {ref.p_value:.3g}" in w.temporal_panel.compare_result.text()


def test_streets__ranking_and_highlighted_profile(demo_window, demo, qtbot):
    from analysis.hotspots.street_ranking import rank_streets, street_profile

    w = demo_window
    w.run_streets()
    qtbot.waitUntil(lambda: w.model.result("streets") is not None, timeout=30_000)
    ref = rank_streets(demo.incidents)
    table = w.streets_panel.table
    assert table.rowCount() == len(ref.streets)
    assert [table.text(r, 1) for r in range(table.rowCount())] == [s.name for s in ref.streets]
    assert w.streets_panel.select_street("York Road")
    qtbot.waitUntil(lambda: w.model.result("street_profile") is not None, timeout=30_000)
    run = w.model.result("street_profile")
    prof = street_profile(demo.incidents, "York Road", area="Southend-on-Sea")
    assert run.profile.incidents == prof.incidents == len(run.xy)
    assert len(w.map.highlight_items) == 2  # the street's line (basemap) and its incidents
    np.testing.assert_array_equal(w.streets_panel.profile_heatmap.matrix, prof.temporal.matrix)


def test_filters__shared_by_every_panel(demo_window, demo, qtbot):
    w = demo_window
    w.auto_run = True
    w.filter_bar.set_crime_types(["Drugs"])
    w.filter_bar.apply_now()
    assert w.model.filters.crime_types == ("Drugs",)
    assert w.model.dirty
    wait_idle(w, qtbot, 90_000)
    n_drugs = int((demo.incidents["crime_type"] == "Drugs").sum())
    assert w.model.result("hotspots").n_incidents == n_drugs
    assert w.model.result("temporal").profile.n == n_drugs
    assert w.model.result("streets").n_incidents == n_drugs
    assert w.map.layers["incidents"].count == n_drugs
    assert "Drugs" in w.filter_bar.summary.text()


def test_cancel__stops_a_long_run_and_leaves_the_project_unchanged(demo_window, qtbot):
    from desktop.params import HotspotParams

    w = demo_window
    before_run = w.model.result("hotspots")
    settings_before = dict(w.model.project.settings)
    incidents_before = w.model.project.incidents
    messages = []
    w.run_hotspots(HotspotParams(cell_m=2.0, bandwidth_m=400.0, gi_star=False))
    worker = w.tasks.tasks["hotspots"].worker
    worker.signals.progress.connect(lambda f, m: messages.append(m))
    qtbot.waitUntil(lambda: bool(messages), timeout=30_000)
    assert w.cancel_button.isVisible() and w.progress.isVisible()
    qtbot.mouseClick(w.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.tasks.is_running("hotspots"), timeout=60_000)
    assert worker.is_cancelled
    assert w.model.result("hotspots") is before_run
    assert w.model.project.settings == settings_before and not w.model.dirty
    assert w.model.project.incidents is incidents_before
    assert "cancelled" in w.status_message.text().lower()
    assert not w.cancel_button.isVisible()


def test_errors__corrupt_project_file_gives_a_dialog(window, tmp_path, qtbot):
    bad = tmp_path / "broken.beatwise"
    bad.write_bytes(b"this is not a GeoPackage" * 50)
    window.open_path(bad)
    qtbot.waitUntil(lambda: window.error_box is not None and window.error_box.isVisible(), timeout=20_000)
    assert "not a Beatwise project" in window.error_box.text()
    assert not window.model.has_project
    window.error_box.close()


def test_errors__analysis_error_gives_a_dialog_not_a_crash(demo_window, qtbot):
    from analysis.filters import Filters

    w = demo_window
    w.model.filters = Filters(crime_types=("No such crime",))
    w.run_hotspots()
    qtbot.waitUntil(lambda: w.error_box is not None and w.error_box.isVisible(), timeout=20_000)
    assert "widen" in w.error_box.text().lower()
    w.error_box.close()


def test_save_then_open_round_trips(demo_window, tmp_path, qtbot):
    from desktop import settings as app_settings

    w = demo_window
    w.filter_bar.set_crime_types(["Drugs", "Robbery"])
    w.filter_bar.apply_now()
    wait_idle(w, qtbot)
    assert w.model.dirty and w.windowTitle().startswith("*")
    original = w.model.project
    path = tmp_path / "saved.beatwise"
    w.save_to(path)
    qtbot.waitUntil(lambda: not w.model.dirty, timeout=60_000)
    assert w.model.path == path and path.is_file()
    assert app_settings.recent_files()[0] == str(path.resolve())
    w.model.set_project(dataclasses.replace(original, settings={}))  # something else
    w.open_path(path)
    qtbot.waitUntil(lambda: w.model.path == path, timeout=60_000)
    wait_idle(w, qtbot)
    p = w.model.project
    assert p is not original and not w.model.dirty
    pd.testing.assert_frame_equal(pd.DataFrame(p.incidents.drop(columns="geometry")),
                                  pd.DataFrame(original.incidents.drop(columns="geometry")),
                                  check_dtype=False)
    assert p.incidents.geometry.geom_equals(original.incidents.geometry).all()
    assert w.model.filters.crime_types == ("Drugs", "Robbery")
    assert w.filter_bar.types_button.text() == "2 crime types"
    assert p.synthetic and p.settings["title"] == original.settings["title"]
    assert len(p.patrols) == len(original.patrols)


def test_autosave__recovery_is_offered_after_a_crash(demo_window, qtbot):
    from desktop import settings as app_settings
    from desktop.main_window import MainWindow

    w = demo_window
    w.model.project.patrols = None  # a smaller file: quicker test
    w.model.set_setting("note", "unsaved work")
    w.autosave()
    qtbot.waitUntil(lambda: app_settings.recovery_info_path().is_file(), timeout=60_000)
    # "crash": a new window starts while the recovery file is still there
    again = MainWindow(autosave_minutes=0)
    again.auto_run = False
    qtbot.addWidget(again)
    asked = []
    again.ask_recover = lambda info: asked.append(info) or QMessageBox.StandardButton.Yes
    again.start()
    qtbot.waitUntil(lambda: again.model.has_project, timeout=60_000)
    assert asked and asked[0]["title"] == w.model.title
    assert again.model.project.settings["note"] == "unsaved work" and again.model.dirty
    # a clean exit removes the recovery file
    again.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    again.close()
    assert not app_settings.recovery_path().exists()


def test_close__unsaved_changes_prompt(demo_window, qtbot):
    w = demo_window
    w.model.set_setting("note", "changed")
    answers = [QMessageBox.StandardButton.Cancel]
    w.ask_unsaved = lambda: answers.pop(0)
    w.close()
    assert w.isVisible()  # cancelled
    answers.append(QMessageBox.StandardButton.Discard)
    w.close()
    assert not w.isVisible()


def test_settings__layout_and_parameters_persist(window, private_settings, qtbot):
    from desktop import settings as app_settings
    from desktop.main_window import MainWindow
    from desktop.params import HotspotParams

    window.hotspots_panel.set_params(HotspotParams(kernel="gaussian", top_percent=2.0))
    window.docks["identify"].hide()
    geometry = window.saveGeometry()
    window.close()
    text = private_settings.read_text()
    assert "gaussian" in text
    assert app_settings.settings().value("window/geometry") == geometry
    again = MainWindow(autosave_minutes=0)
    qtbot.addWidget(again)
    again.show()
    assert again.hotspots_panel.params() == HotspotParams(kernel="gaussian", top_percent=2.0)
    assert not again.docks["identify"].isVisible() and again.docks["layers"].isVisible()
    again.shutdown()


def test_map__cursor_coordinates_in_bng_and_lat_lon(demo_window):
    w = demo_window
    from pyproj import Transformer

    w._cursor_moved(588_000.0, 185_600.0)  # Southend seafront
    text = w.coords.text()
    assert text.startswith("BNG E 588,000  N 185,600")
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(588_000.0, 185_600.0)
    assert text.endswith(f"{lat:.5f}° N  {lon:.5f}° E")
    assert 51.5 < lat < 51.6 and 0.6 < lon < 0.8


def test_close__save_answer_saves_then_closes(demo_window, tmp_path, qtbot):
    w = demo_window
    w.model.project.patrols = None  # a smaller file: quicker test
    w.model.set_path(tmp_path / "p.beatwise")
    w.model.set_setting("note", "keep me")
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Save
    w.close()
    assert w.isVisible()  # saving first, in a worker
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=60_000)
    from analysis.project import load_project

    assert load_project(tmp_path / "p.beatwise").settings["note"] == "keep me"


def test_drop__data_opens_the_wizard_and_a_project_opens(demo_window, tmp_path, qtbot):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent

    w = demo_window
    w.model.project.patrols = None  # a smaller file: quicker test

    def drop(path):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        w.dropEvent(QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                               Qt.KeyboardModifier.NoModifier))

    data = tmp_path / "x.csv"
    data.write_text("id,lon,lat\n1,0.7,51.5\n")
    drop(data)
    assert w.import_window.isVisible() and [str(p) for p in w.import_window.paths()] == [str(data)]
    w.import_window.cancel()
    from analysis.project import save_project

    saved = save_project(w.model.project, tmp_path / "dropped.beatwise")
    drop(saved)
    qtbot.waitUntil(lambda: w.model.path == saved, timeout=60_000)


SOUTHEND = ("2024-01_to_2024-04-southend-on-sea-street.csv",)
ESSEX = tuple(f"2024-0{m}-essex-street.csv" for m in range(1, 5))


@pytest.mark.parametrize("names", [SOUTHEND, ESSEX], ids=["southend", "essex-4-months"])
def test_police_uk_file__main_window_fits_the_screen(window, qtbot, names):
    """Regression: with a data.police.uk file the main window grew to 2,297 px on a 1,600 px screen
    (the When panel's month-only message in an unwrapped label set the window's minimum width)."""
    from tests.conftest import shared_path

    paths = [shared_path("police_uk", n) for n in names]
    w = window
    w.auto_run = True  # as the app: every analysis runs when the data arrives
    import_with_wizard(w, qtbot, paths)
    wait_idle(w, qtbot, timeout=180_000)
    assert not w.errors and w.error_box is None
    assert w.temporal_panel.profile.profile.matrix is None  # month-only: the message is shown
    assert w.temporal_panel.summary.text()
    for key in ("streets", "shifts", "hotspots"):  # every tab laid out once
        w.docks[key].raise_()
        qtbot.wait(20)
    room = w.screen().availableGeometry()
    limit = min(1600, room.width())  # the offscreen screen is 800 x 800
    hint = w.minimumSizeHint()
    assert hint.width() <= limit, f"minimum width {hint.width()} px > {limit} px"
    assert w.width() <= limit and w.frameGeometry().width() <= room.width()
    assert hint.height() <= room.height(), f"minimum height {hint.height()} px > {room.height()} px"


def test_run_all__a_large_project_runs_the_analyses_one_after_another(window, demo, qtbot, monkeypatch):
    """Above ONE_AT_A_TIME_INCIDENTS (here lowered to the demo's size) hotspots, When, streets and
    shifts run in turn, never two at once (a national year's working memory is not added up), and
    every result still arrives; at or below it they start together."""
    from desktop import main_window as mw

    started, overlaps = [], []
    real_start = window.tasks.start

    def start(key, *args, **kwargs):
        if key in mw.ANALYSES:
            running = [k for k in mw.ANALYSES if window.tasks.is_running(k)]
            if running:
                overlaps.append((key, running))
            started.append(key)
        return real_start(key, *args, **kwargs)

    monkeypatch.setattr(window.tasks, "start", start)
    monkeypatch.setattr(mw, "ONE_AT_A_TIME_INCIDENTS", len(demo.incidents) - 1)
    window.model.set_project(dataclasses.replace(demo, settings=dict(demo.settings)))
    window.run_all()
    qtbot.waitUntil(lambda: all(window.model.result(k) is not None for k in ("hotspots", "temporal", "streets",
                                                                             "shifts")), timeout=180_000)
    wait_idle(window, qtbot)
    assert started[:4] == ["hotspots", "temporal", "streets", "shifts"] and overlaps == []
    # at the threshold: side by side again
    started.clear()
    monkeypatch.setattr(mw, "ONE_AT_A_TIME_INCIDENTS", len(demo.incidents))
    window.run_all()
    assert started == ["hotspots", "temporal", "streets", "shifts"]
    assert len(overlaps) == 3
    wait_idle(window, qtbot)
