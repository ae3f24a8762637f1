"""The main window: map, docks, shared filters, menus, status bar with progress and Cancel,
projects (open, save, autosave and recovery) and the wiring between them.

Every analysis runs through :class:`~desktop.workers.TaskManager` (one live task per panel);
results reach the model and the views only in slots on the GUI thread.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton, QSizePolicy, QTextBrowser, QVBoxLayout,
                               QWidget)

from desktop import settings as app_settings
from desktop.panels.filters_panel import FilterBar
from desktop.panels.hotspots_panel import HotspotsPanel
from desktop.panels.hotspots_panel import status_text as hotspot_status_text
from desktop.panels.hotspots_panel import surface_text
from desktop.panels.layers_panel import LayersPanel
from desktop.panels.streets_panel import StreetsPanel
from desktop.panels.temporal_panel import TemporalPanel
from desktop.live_density import LiveDensity
from desktop.params import HotspotParams
from desktop.project_model import ProjectModel
from desktop.views.fit import ElidedLabel, resize_within_screen
from desktop.views.detail import DetailController
from desktop.views.map_view import MapView, hotspot_html
from desktop.workers import TaskManager

APP_TITLE = "Beatwise"
DEFAULT_AUTOSAVE_MINUTES = 3
DEFAULT_SIZE = (1500, 940)
#: Above this many incidents run_all runs the analyses one after another (their memory is not added up).
ONE_AT_A_TIME_INCIDENTS = 1_000_000
PROJECT_FILTER = "Beatwise project (*.beatwise)"
TASK_LABELS = {"project": "Opening", "import": "Importing", "incidents": "Filtering",
               "hotspots": "Hotspots", "temporal": "When", "comparison": "Before/after",
               "streets": "Streets", "street_profile": "Street profile", "shifts": "Shifts",
               "save": "Saving", "autosave": "Autosaving", "layer": "Reading layer",
               "export": "Exporting briefing", "patrols": "Patrols", "spacetime": "Over time",
               "forecast": "Forecast"}
ANALYSES = ("hotspots", "temporal", "streets", "shifts")


class MainWindow(QMainWindow):
    """The Beatwise window.

    ``headless=True`` (``--smoke``, ``--screenshot``) records errors in :attr:`errors` instead of
    opening dialogs and never asks questions.
    """

    projectLoaded = Signal()

    def __init__(self, *, headless: bool = False, autosave_minutes: Optional[float] = None):
        super().__init__()
        self.headless = headless
        self.auto_run = True  # run every analysis when a project opens or the filters change
        self.errors: list[str] = []
        self.error_box: Optional[QMessageBox] = None
        self._closing = False
        self._transformers: dict = {}
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.model = ProjectModel(self)
        self.tasks = TaskManager(self)
        self.map = MapView()
        self.detail = DetailController(self.map)
        self.live = LiveDensity(self.tasks.start, self._live_inputs, self)

        self.banner = QLabel()
        self.banner.setObjectName("syntheticBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet("QLabel#syntheticBanner { background: #ffcc00; color: #222; "
                                  "font-weight: bold; padding: 5px; border-bottom: 1px solid #c90; }")
        self.banner.setVisible(False)
        self.banner.setWordWrap(True)
        self.banner.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.filter_bar = FilterBar()
        self.filter_bar.setEnabled(False)
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.banner)
        cl.addWidget(self.filter_bar)
        cl.addWidget(self.map, 1)
        self.setCentralWidget(central)

        self.hotspots_panel = HotspotsPanel()
        self.temporal_panel = TemporalPanel()
        self.streets_panel = StreetsPanel()
        self.shifts_panel = self._make_shifts_panel()
        self.patrols_panel = self._make_patrols_panel()
        self.rota_panel = self._make_rota_panel()
        self.spacetime_panel = self._make_spacetime_panel()
        self.forecast_panel = self._make_forecast_panel()
        self.layers_panel = LayersPanel(self.map)
        self.identify_view = QTextBrowser()
        self.identify_view.setObjectName("identify")
        self.identify_view.setPlaceholderText("Click the map to see what is there.")
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock("layers", "Layers", self.layers_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("identify", "Identify", self.identify_view, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("hotspots", "Hotspots", self.hotspots_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("streets", "Streets", self.streets_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("shifts", "Shifts", self.shifts_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("patrols", "Patrols", self.patrols_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("rota", "Rota", self.rota_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("forecast", "Forecast", self.forecast_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("temporal", "When", self.temporal_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("spacetime", "Over time", self.spacetime_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["hotspots"], self.docks["streets"])
        self.tabifyDockWidget(self.docks["streets"], self.docks["shifts"])
        self.tabifyDockWidget(self.docks["shifts"], self.docks["patrols"])
        self.tabifyDockWidget(self.docks["patrols"], self.docks["rota"])
        self.tabifyDockWidget(self.docks["rota"], self.docks["forecast"])
        self.docks["hotspots"].raise_()
        self.tabifyDockWidget(self.docks["temporal"], self.docks["spacetime"])
        self.docks["temporal"].raise_()
        self.resizeDocks([self.docks["layers"], self.docks["hotspots"]], [250, 540],
                         Qt.Orientation.Horizontal)
        # no vertical resizeDocks: with two tabbed groups stacked it grew the window to 1,495 px on a
        # 1,000 px screen; the split comes out about 490 / 410 px by itself

        self._build_status_bar()
        self._build_menus()
        self._connect()
        self._default_state = self.saveState()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        minutes = autosave_minutes
        if minutes is None:
            minutes = float(app_settings.get_json("autosave_minutes", DEFAULT_AUTOSAVE_MINUTES))
        if minutes and minutes > 0:
            self.autosave_timer.start(int(minutes * 60_000))
        self._restore_settings()
        self._update_title()

    # ================================================================== construction
    def _make_shifts_panel(self) -> QWidget:
        from desktop.panels.shifts_panel import ShiftsPanel

        panel = ShiftsPanel()
        panel.runRequested.connect(lambda: self.run_shifts(store=True))
        return panel

    def _make_rota_panel(self) -> QWidget:
        from desktop.panels.rota_panel import RotaPanel

        panel = RotaPanel(self.model, self.tasks)
        panel.failed.connect(lambda message: self.show_error("Rota failed", message))
        panel.message.connect(lambda text: self.status_message.setText(text))
        return panel

    def _make_spacetime_panel(self) -> QWidget:
        from desktop.panels.spacetime_panel import SpacetimePanel

        panel = SpacetimePanel(self.model, self.tasks, self.map)
        panel.failed.connect(lambda message: self.show_error("Over time failed", message))
        panel.message.connect(lambda text: self.status_message.setText(text))
        return panel

    def _make_forecast_panel(self) -> QWidget:
        from desktop.panels.forecast_panel import ForecastPanel

        panel = ForecastPanel(self.model, self.tasks, self.map)
        panel.failed.connect(lambda message: self.show_error("Forecast failed", message))
        panel.message.connect(lambda text: self.status_message.setText(text))
        return panel

    def _make_patrols_panel(self) -> QWidget:
        from desktop.panels.patrols_panel import PatrolsPanel

        panel = PatrolsPanel(self.model, self.tasks, self.map)
        panel.failed.connect(lambda message: self.show_error("Patrols failed", message))
        panel.message.connect(lambda text: self.status_message.setText(text))
        return panel

    def _add_dock(self, key: str, title: str, widget: QWidget, area) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_message = ElidedLabel("Ready")
        self.coords = QLabel("")
        self.coords.setObjectName("coordinates")
        self.coords.setMinimumWidth(330)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(240)
        self.progress.setTextVisible(False)
        self.progress_label = ElidedLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running analyses (nothing is changed)")
        self.cancel_button.clicked.connect(self.cancel_tasks)
        sb.addWidget(self.status_message, 1)
        sb.addPermanentWidget(self.coords)
        sb.addPermanentWidget(self.progress_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.progress_label.hide()
        self.cancel_button.hide()

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self._action(f, "&Open project...", self.open_dialog, QKeySequence.StandardKey.Open)
        self._action(f, "&Import data...", lambda: self.import_dialog(), "Ctrl+I",
                     "Import incidents from CSV, Excel or GIS files")
        self._action(f, "Open from da&tabase...", lambda: self.open_database_dialog(),
                     tip="Open a force-wide PostGIS store (filtered on the server) as the project")
        self._action(f, "Import &patrol data...", lambda: self.import_patrols_dialog(),
                     tip="Import patrol GPS (vehicle AVL, radio location) to compare with demand")
        self._action(f, "Import patrol &logs...", lambda: self.import_patrol_logs_dialog(),
                     tip="Import patrol logs (tasking records: unit, start, end, area or street)")
        self._action(f, "Add &street layer...", lambda: self.add_layer_dialog("streets"),
                     tip="Draw a street layer under the map and use it to match incidents to streets")
        self._action(f, "Add &boundaries...", lambda: self.add_layer_dialog("boundaries"))
        self._action(f, "Add b&asemap...", self.add_basemap_dialog,
                     tip="An offline basemap under the map: an OpenStreetMap extract (.osm.pbf), .mbtiles or a "
                         "GeoPackage of tiles (remembered with the project)")
        self._action(f, "Add basemap tile &folder...", lambda: self.add_basemap_dialog(folder=True),
                     tip="An XYZ tile folder ({z}/{x}/{y}.png) as the basemap")
        self._action(f, "Open the &demo", self.open_demo, tip="The SYNTHETIC Southend-on-Sea demo")
        self.recent_menu = f.addMenu("&Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        f.addSeparator()
        self.save_action = self._action(f, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(f, "Save &as...", self.save_as, QKeySequence.StandardKey.SaveAs)
        self._action(f, "Export rejected rows...", self.export_rejects_dialog)
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        v = mb.addMenu("&View")
        for dock in self.docks.values():
            v.addAction(dock.toggleViewAction())
        v.addSeparator()
        self._action(v, "Zoom to all", self.map.zoom_to_all, "Ctrl+0")
        self._action(v, "Reset layout", self.reset_layout)
        e = mb.addMenu("&Export")
        self._action(e, "&Briefing pack (PDF, PNG, HTML, GIS layers)...", self.export_dialog, "Ctrl+E",
                     "Marked PDF briefing, 300 dpi map, offline web map, GeoPackage, GeoTIFF, CSV")
        self._action(e, "&Rejected rows...", self.export_rejects_dialog)
        a = mb.addMenu("&Analysis")
        self._action(a, "Run &hotspots", lambda: self.run_hotspots(), "F5")
        self._action(a, "&When (hour x weekday)", lambda: self.run_temporal(), "F6")
        self._action(a, "Rank &streets", self.run_streets, "F7")
        self._action(a, "Recommend s&hifts", lambda: self.run_shifts(store=True), "F8")
        self._action(a, "&Patrols against demand", lambda: self.patrols_panel.start(store=True), "F9")
        h = mb.addMenu("&Help")
        self._action(h, "&About Beatwise", self.about)

    def _connect(self) -> None:
        m = self.model
        m.datasetChanged.connect(self._dataset_changed)
        m.filtersChanged.connect(self._filters_changed)
        m.resultReady.connect(self._result_ready)
        m.selectionChanged.connect(self._selection_changed)
        m.dirtyChanged.connect(lambda _d: self._update_title())
        m.pathChanged.connect(self._update_title)
        self.tasks.changed.connect(self._tasks_changed)
        self.filter_bar.filtersEdited.connect(m.set_filters)
        self.hotspots_panel.runRequested.connect(self.run_hotspots)
        self.hotspots_panel.hotspotSelected.connect(m.select_hotspot)
        self.temporal_panel.runRequested.connect(self.run_temporal)
        self.temporal_panel.compareRequested.connect(self.run_comparison)
        self.streets_panel.runRequested.connect(self.run_streets)
        self.streets_panel.streetSelected.connect(self.run_street_profile)
        self.streets_panel.addLayerRequested.connect(lambda: self.add_layer_dialog("streets"))
        self.map.cursorMoved.connect(self._cursor_moved)
        self.map.identified.connect(self._identified)
        self.detail.viewWanted.connect(self.render_view)
        self.hotspots_panel.paramsEdited.connect(self.live.params_changed)
        self.hotspots_panel.liveToggled.connect(lambda on: setattr(self.live, "enabled", on))
        self.live.densityReady.connect(self._live_density_ready)
        self.live.areasWanted.connect(self.run_hotspots)
        self.live.failed.connect(lambda msg: self.status_message.setText(f"Density: {msg}"))

    # ================================================================== settings
    def _restore_settings(self) -> None:
        s = app_settings.settings()
        geometry = s.value("window/geometry")
        state = s.value("window/state")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            resize_within_screen(self, *DEFAULT_SIZE)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        self.hotspots_panel.set_params(HotspotParams.from_dict(app_settings.get_json("hotspot_params")))

    def save_settings(self) -> None:
        s = app_settings.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("hotspot_params", json.dumps(self.hotspots_panel.params().to_dict()))
        s.setValue("first_start_done", "1")
        if self.model.path is not None:
            s.setValue("last_project", str(self.model.path))
        s.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()

    # ================================================================== errors and status
    def show_error(self, title: str, message: str) -> None:
        """A dialog with the message (never a crash); headless runs record it instead."""
        self.status_message.setText(f"{title}: {message}"[:200])
        if self.headless:
            self.errors.append(f"{title}: {message}")
            print(f"beatwise-desktop: {title}: {message}", file=sys.stderr)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        box.open()
        self.error_box = box

    def _tasks_changed(self) -> None:
        tasks = [t for k, t in self.tasks.tasks.items() if k not in ("autosave", "detail")]
        if not tasks:
            self.progress.hide()
            self.progress_label.hide()
            self.cancel_button.hide()
            return
        task = tasks[-1]
        more = f" (+{len(tasks) - 1} more)" if len(tasks) > 1 else ""
        self.progress_label.setText(f"{task.label}: {task.message}{more}")
        self.progress.setValue(int(task.fraction * 1000))
        self.progress.show()
        self.progress_label.show()
        self.cancel_button.show()

    def cancel_tasks(self) -> None:
        for key in list(self.tasks.tasks):
            if key != "autosave":
                self.tasks.cancel(key)
        self.status_message.setText("Cancelled: nothing was changed.")

    def _start(self, key: str, fn, *args, on_done, **kwargs):
        if self._closing:               # the worker threads are stopping or stopped
            return None

        def failed(message: str) -> None:
            self.show_error(f"{TASK_LABELS.get(key, key)} failed", message)

        def cancelled() -> None:
            self.status_message.setText(f"{TASK_LABELS.get(key, key)} cancelled: nothing was changed.")

        return self.tasks.start(key, TASK_LABELS.get(key, key), fn, *args, on_done=on_done,
                                on_error=failed, on_cancel=cancelled, **kwargs)

    def _update_title(self) -> None:
        star = "*" if self.model.dirty else ""
        self.setWindowTitle(f"{star}{self.model.title} - {APP_TITLE}" if self.model.has_project else APP_TITLE)

    # ================================================================== start-up and projects
    def start(self, paths=None) -> None:
        """What to open at start: ``paths`` (a project, or data files imported together), a
        recovered project, the last project or the demo."""
        if isinstance(paths, (str, Path)):
            paths = [paths]
        if paths:
            self.open_paths(paths)
            return
        if not self.headless and self.offer_recovery():
            return
        s = app_settings.settings()
        last = s.value("last_project")
        if not self.headless and s.value("first_start_done") and last and Path(str(last)).is_file():
            self.open_path(str(last))
        else:
            self.open_demo()

    def open_demo(self) -> None:
        from desktop.tasks import load_demo

        if not self.maybe_save(self.open_demo):
            return
        self.status_message.setText("Opening the SYNTHETIC demo...")
        self._start("project", load_demo, app_settings.data_dir(), on_done=self._loaded)

    def open_path(self, path) -> None:
        self.open_paths([path])

    def open_paths(self, paths) -> None:
        """One .beatwise project, or data files to import as one project (through the wizard;
        straight in when headless)."""
        paths = [Path(p) for p in paths]
        if len(paths) == 1 and paths[0].suffix.lower() == ".beatwise":
            from desktop.tasks import open_project

            self.status_message.setText(f"Opening {paths[0].name}...")
            self._start("project", open_project, paths[0], on_done=self._loaded)
        elif self.headless:
            from desktop.tasks import import_files

            self._start("import", import_files, paths, None, on_done=self._imported)
        else:
            self.import_dialog(paths)

    def open_dialog(self) -> None:
        if not self.maybe_save(self.open_dialog):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open project", app_settings.last_folder(), PROJECT_FILTER)
        if path:
            app_settings.set_last_folder(path)
            self.open_path(path)

    def import_dialog(self, paths=None):
        from desktop.panels.import_panel import ImportDialog

        dialog = ImportDialog(self.tasks, self, paths)
        dialog.imported.connect(self._imported)
        dialog.open()
        self.import_window = dialog
        return dialog

    def open_database_dialog(self):
        from desktop.panels.open_database import open_database_dialog

        return open_database_dialog(self)

    def import_patrols_dialog(self, paths=None):
        """File > Import patrol data: the wizard for pings, into the open project's CRS."""
        from desktop.panels.patrol_import import PatrolImportDialog

        if not self.model.has_project:
            self.show_error("No project", "Open a project or import incidents first: patrol data is "
                                          "compared with their demand.")
            return None
        dialog = PatrolImportDialog(self.tasks, self.model.project.crs, self, paths)
        dialog.imported.connect(self._patrols_imported)
        dialog.open()
        self.import_window = dialog
        return dialog

    def import_patrol_logs_dialog(self, paths=None):
        """File > Import patrol logs: the wizard for tasking records, into the open project's CRS."""
        from desktop.panels.patrol_import import PatrolLogImportDialog

        if not self.model.has_project:
            self.show_error("No project", "Open a project or import incidents first: patrol logs are "
                                          "compared with their demand.")
            return None
        p = self.model.project
        dialog = PatrolLogImportDialog(self.tasks, p.crs, p.streets, self, paths)
        dialog.imported.connect(self._patrol_logs_imported)
        dialog.open()
        self.import_window = dialog
        return dialog

    def _patrol_logs_imported(self, result) -> None:
        self.model.set_patrol_logs(result.logs)
        self.status_message.setText(f"Patrol logs: {len(result.logs):,} logs of "
                                    f"{result.logs['unit_id'].nunique()} units (saved with the project).")
        self.docks["patrols"].raise_()

    def _patrols_imported(self, result) -> None:
        c = result.cleaning
        self.model.set_patrols(result.pings)
        self.status_message.setText(f"Patrol data: {len(result.pings):,} pings of {c.units} units "
                                    "(saved with the project).")
        self.docks["patrols"].raise_()

    def _imported(self, result) -> None:
        from analysis.project import Project

        if not self.maybe_save(lambda: self._imported(result)):
            return
        files = result.report.files
        title = Path(files[0]).stem if len(files) == 1 else f"{Path(files[0]).stem} and {len(files) - 1} more"
        project = Project.from_import(result, title=title)
        self.model.set_project(project, None, dirty=True)
        self._after_load()

    def _loaded(self, loaded) -> None:
        self.model.set_project(loaded.project, loaded.path, basemap_streets=loaded.basemap)
        if loaded.path is not None:
            app_settings.add_recent_file(loaded.path)
        self._after_load()

    def _after_load(self) -> None:
        p = self.model.project
        text = f"{len(p.incidents):,} incidents, {p.crs}"
        t = p.incidents["t_start"].dropna()
        if len(t):
            text += f", {t.min():%d %b %Y} to {t.max():%d %b %Y}"
        if p.report is not None and p.report.rejected:
            text += f"; {len(p.report.rejected):,} rows rejected at import (File > Export rejected rows)"
        self.status_message.setText(text + ".")
        self.map.set_basemap(None)
        self.projectLoaded.emit()
        remembered = p.settings.get("basemap")
        if remembered:  # after the panels have had their say
            if Path(remembered).exists():
                self.add_basemap(remembered, remember=False)
            else:
                self.status_message.setText(text + f"; the project's basemap {remembered} is not there any more.")

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = app_settings.recent_files()
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for p in files:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self._open_recent(p))

    def _open_recent(self, path: str) -> None:
        if not Path(path).exists():
            self.show_error("File not found", f"{path} no longer exists.")
            return
        if path.endswith(".beatwise") and not self.maybe_save(lambda: self._open_recent(path)):
            return
        self.open_path(path)

    def add_layer_dialog(self, kind: str) -> None:
        if not self.model.has_project:
            return
        path, _ = QFileDialog.getOpenFileName(self, f"Add {kind}", app_settings.last_folder(),
                                              "GIS layers (*.gpkg *.geojson *.json *.shp);;All files (*)")
        if path:
            app_settings.set_last_folder(path)
            self.add_layer(kind, path)

    def add_basemap_dialog(self, folder: bool = False) -> None:
        if not self.model.has_project:
            return
        if folder:
            path = QFileDialog.getExistingDirectory(self, "Add basemap tile folder", app_settings.last_folder())
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Add basemap", app_settings.last_folder(),
                                                  "Basemaps (*.pbf *.osm *.mbtiles *.gpkg);;All files (*)")
        if path:
            app_settings.set_last_folder(path)
            self.add_basemap(path)

    def add_basemap(self, path, *, remember: bool = True) -> None:
        """Load the basemap at ``path`` for the project's extent, draw it, and keep its path in the
        project's settings (``basemap``) so the project opens with it."""
        from desktop.tasks import load_basemap

        p = self.model.project
        inc = p.incidents
        if len(inc) == 0:
            return
        b = inc.total_bounds
        pad = 0.1 * max(b[2] - b[0], b[3] - b[1], 500.0)
        extent = (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)

        def done(basemap) -> None:
            self.map.set_basemap(basemap)
            if remember and p.settings.get("basemap") != str(path):
                p.settings["basemap"] = str(path)
                self.model.set_dirty(True)
            self.status_message.setText(f"Basemap: {basemap.describe()}.")

        self._start("basemap", load_basemap, path, p.crs, extent, on_done=done)

    def add_layer(self, kind: str, path) -> None:
        from desktop.tasks import read_layer

        def done(layer) -> None:
            setattr(self.model.project, kind, layer)
            self.model.set_dirty(True)
            self._draw_basemap()
            if kind == "streets":
                self.run_streets()

        self._start("layer", read_layer, path, self.model.project.crs, on_done=done)

    # ------------------------------------------------------------------ saving
    def save(self, then=None) -> bool:
        """Save to the project's file (Save As when it has none); ``then()`` runs once saved."""
        if not self.model.has_project:
            return False
        if self.model.path is None:
            return self.save_as(then)
        self.save_to(self.model.path, then)
        return True

    def save_as(self, then=None) -> bool:
        if not self.model.has_project:
            return False
        start = str(Path(app_settings.last_folder()) / f"{self.model.title.replace(':', '')}.beatwise")
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, PROJECT_FILTER)
        if not path:
            return False
        app_settings.set_last_folder(path)
        self.save_to(path, then)
        return True

    def _snapshot(self):
        p = self.model.project
        return dataclasses.replace(p, settings=copy.deepcopy(p.settings))

    def save_to(self, path, then=None) -> None:
        """Save in a worker (atomic write); ``then()`` runs on the GUI thread once saved."""
        from desktop.tasks import save

        def done(saved: Path) -> None:
            self.model.set_path(saved)
            self.model.set_dirty(False)
            app_settings.add_recent_file(saved)
            self._remove_recovery()
            self.status_message.setText(f"Saved {saved}")
            if then is not None:
                then()

        self._start("save", save, self._snapshot(), Path(path), on_done=done)

    def maybe_save(self, retry=None) -> bool:
        """True if it is fine to drop the open project now (discarded or unchanged). When the
        user chooses Save, the save runs in a worker and ``retry()`` repeats the action after it."""
        if not self.model.dirty or self.headless:
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.StandardButton.Save:
            self.save(then=retry)
            return False
        return answer != QMessageBox.StandardButton.Cancel

    def ask_unsaved(self):
        """Save / Discard / Cancel (a method so tests can answer it)."""
        return QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.model.title}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)

    # ------------------------------------------------------------------ autosave and recovery
    def autosave(self) -> None:
        from desktop.tasks import save

        if not self.model.has_project or not self.model.dirty or self.tasks.is_running("autosave"):
            return
        info = {"original": str(self.model.path) if self.model.path else None,
                "title": self.model.title, "saved_at": datetime.now().isoformat(timespec="seconds")}

        def done(_path) -> None:
            app_settings.recovery_info_path().write_text(json.dumps(info), encoding="utf-8")
            self.status_message.setText(f"Autosaved at {datetime.now():%H:%M}.")

        self.tasks.start("autosave", "Autosaving", save, self._snapshot(), app_settings.recovery_path(),
                         on_done=done, on_error=lambda msg: self.status_message.setText(
                             f"Autosave failed: {msg}"))

    def recovery_available(self) -> Optional[dict]:
        rec, info = app_settings.recovery_path(), app_settings.recovery_info_path()
        if not rec.is_file() or not info.is_file():
            return None
        try:
            return json.loads(info.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def offer_recovery(self) -> bool:
        """After a crash: offer the autosaved project. True if it is being opened."""
        info = self.recovery_available()
        if info is None:
            return False
        if self.ask_recover(info) != QMessageBox.StandardButton.Yes:
            self._remove_recovery()
            return False
        self.open_recovery(info)
        return True

    def ask_recover(self, info: dict):
        return QMessageBox.question(
            self, "Recover unsaved work",
            f"Beatwise did not close properly. Recover the unsaved changes to {info.get('title')} "
            f"autosaved at {info.get('saved_at')}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)

    def open_recovery(self, info: dict) -> None:
        from desktop.tasks import open_project

        original = Path(info["original"]) if info.get("original") else None

        def done(loaded) -> None:
            self.model.set_project(loaded.project, original, dirty=True, basemap_streets=loaded.basemap)
            self._after_load()
            self.status_message.setText("Recovered the autosaved project: save it to keep it.")

        self._start("project", open_project, app_settings.recovery_path(), on_done=done)

    def _remove_recovery(self) -> None:
        for p in (app_settings.recovery_path(), app_settings.recovery_info_path()):
            p.unlink(missing_ok=True)

    def export_dialog(self):
        """Export > Briefing pack: options, then the pack made in a worker, with a preview."""
        from desktop.panels.export_dialog import ExportDialog

        if not self.model.has_project:
            self.show_error("Nothing to export", "Open a project or import data first.")
            return None
        p = self.model.project
        defaults = {"folder": Path(app_settings.last_folder()) / "beatwise-briefing", "title": p.settings.get("title"), "street": p.settings.get("street"),
                    "area": p.settings.get("area") if p.settings.get("street") else None,
                    "synthetic": p.synthetic}

        def start(out, options, on_done, on_failed):
            from analysis.export.pdf import BriefingOptions, write_briefing

            opts = BriefingOptions(filters=self.model.filters,
                                   study_area_path=self.hotspots_panel.params().study_area_path, **options)
            worker = self._start("export", write_briefing, p, out, options=opts, on_done=on_done)
            worker.signals.failed.connect(on_failed)
            worker.signals.cancelled.connect(on_failed)

        dialog = ExportDialog(start, defaults, self)
        self.export_window = dialog
        dialog.open()
        return dialog

    def export_rejects_dialog(self) -> None:
        rep = self.model.project.report if self.model.has_project else None
        if rep is None or not rep.rejected:
            self.status_message.setText("No rejected rows in this project.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export rejected rows", str(
            Path(app_settings.last_folder()) / "rejected-rows.csv"), "CSV (*.csv)")
        if path:
            rep.write_rejects(path)

    # ================================================================== reacting to the model
    def _dataset_changed(self) -> None:
        m = self.model
        p = m.project
        self.map.clear()
        self.identify_view.clear()
        self.banner.setVisible(p.synthetic)
        self.banner.setToolTip("File > Import data opens your own incident data")
        self.banner.setText("SYNTHETIC DEMO DATA: invented incidents on real Southend-on-Sea streets, "
                            "not real crimes."
                            if p.settings.get("title", "").startswith("SYNTHETIC demo") else
                            f"SYNTHETIC DATA: {p.settings.get('data_note') or 'not real crimes'}")
        self._draw_basemap()
        self._populate_filters()
        params = p.settings.get("hotspot_params")
        if params:
            self.hotspots_panel.set_params(HotspotParams.from_dict(params))
        self.hotspots_panel.show_run(None)
        self.live.reset()
        self._live_available()
        self.streets_panel.show_ranking(None)
        self.temporal_panel.show_profile_result(None)
        self.shifts_panel.show_plan(None)
        self.shifts_panel.set_project(p)
        self.rota_panel.show_run(None)
        self.rota_panel.set_project(p)
        rep = p.report
        if rep is not None and rep.bounds:
            self.map.zoom_to(rep.bounds, padding=0.03)
        self.refresh_incidents()
        if self.auto_run:
            self.run_all()

    def _draw_basemap(self) -> None:
        p = self.model.project
        self.map.set_lines("boundaries", p.boundaries, colour=(110, 110, 140), width=1.5)
        streets = p.streets if p.streets is not None else self.model.basemap_streets
        name_col = None
        if streets is not None:
            name_col = next((c for c in streets.columns if c.lower() in ("name", "road_name", "street")), None)
        self.map.set_lines("streets", streets, colour=(165, 165, 165), width=1.4, name_column=name_col)

    def _populate_filters(self) -> None:
        from analysis.filters import crime_types

        inc = self.model.project.incidents
        areas = sorted(a for a in inc["area"].unique() if a)
        t = inc["t_start"].dropna()
        first = t.min().date() if len(t) else None
        last = t.max().date() if len(t) else None
        self.filter_bar.populate(crime_types(inc), areas, first, last, self.model.filters)
        self.filter_bar.setEnabled(True)
        self.temporal_panel.set_date_range(first, last)

    def _filters_changed(self) -> None:
        self.model.select_hotspot(None)
        self.refresh_incidents()
        self.live.request(self.hotspots_panel.params())
        if self.auto_run:
            self.run_all()

    # ------------------------------------------------------------------ live surface
    def _live_inputs(self):
        return (self.model.project.incidents, self.model.filters) if self.model.has_project else None

    def _live_available(self) -> None:
        from desktop.live_density import LIVE_LIMIT

        n = len(self.model.project.incidents) if self.model.has_project else 0
        self.hotspots_panel.set_live_available(
            n <= LIVE_LIMIT, "" if n <= LIVE_LIMIT else f"{n:,} incidents: over {LIVE_LIMIT:,}, the map follows "
            "the controls when you press Run (a surface takes seconds at this size).")

    def _live_density_ready(self, live) -> None:
        """A live surface for the controls as they are: drawn at once, refined for the view."""
        self.map.set_density(live.surface, live.overview)
        self.detail.set_source(live.source)
        self.status_message.setText(f"Density of {live.surface.n_points:,} incidents, {surface_text(live.surface)}; "
                                    "the hotspot areas and Gi* follow when the controls are still.")

    def run_all(self) -> None:
        """Hotspots, When, streets and shifts: side by side, or for a project of more than
        :data:`ONE_AT_A_TIME_INCIDENTS` incidents one after another, so that their working memory is
        not added up (a national year's 6 million rows: about 3.5 GB for the hotspots and 2.6 GB for
        the street ranking at their peaks)."""
        steps = [self.run_hotspots, self.run_temporal, self.run_streets, self.run_shifts]
        if not self.model.has_project or len(self.model.project.incidents) <= ONE_AT_A_TIME_INCIDENTS:
            for step in steps:
                step()
            return
        self._run_in_turn(steps)

    def _run_in_turn(self, steps) -> None:
        """Start ``steps[0]``; the next starts when its task has ended (done, failed or cancelled)."""
        while steps:
            worker = steps[0]()
            steps = steps[1:]
            if worker is not None:
                break
        else:
            return
        fired = []

        def next_step(*_args) -> None:
            if not fired:
                fired.append(True)
                self._run_in_turn(steps)

        for sig in (worker.signals.finished, worker.signals.failed, worker.signals.cancelled):
            sig.connect(next_step)

    def refresh_incidents(self) -> None:
        """Redraw the incident points with the current filters (filtered in a worker)."""
        from desktop.tasks import filtered_incidents

        self._start("incidents", filtered_incidents, self.model.project.incidents, self.model.filters,
                    on_done=self.map.set_incidents)

    # ------------------------------------------------------------------ analyses
    def run_hotspots(self, params: Optional[HotspotParams] = None):
        from desktop.tasks import run_hotspots

        if not self.model.has_project:
            return
        params = params or self.hotspots_panel.params()
        self.live.areas_started(params)

        def done(run) -> None:  # parameters are kept only for a finished run
            prev = self.model.setting("hotspot_params")
            # the defaults on a project that never had others are not a change to save
            unchanged = prev == params.to_dict() or (prev is None and params == HotspotParams())
            self.model.set_setting("hotspot_params", params.to_dict(), mark_dirty=not unchanged)
            self.model.set_result("hotspots", run)

        return self._start("hotspots", run_hotspots, self.model.project.incidents, self.model.filters, params,
                           on_done=done)

    def run_temporal(self, street: Optional[str] = None, area: Optional[str] = None,
                     only_hotspot: Optional[bool] = None):
        from desktop.tasks import run_temporal

        if not self.model.has_project:
            return
        if street is None:
            street, area, only_hotspot = self.temporal_panel.scope()
        hotspot = self.model.hotspot(self.model.selected_hotspot) if only_hotspot else None
        return self._start("temporal", run_temporal, self.model.project.incidents, self.model.filters,
                           street or None, area or None, hotspot,
                           on_done=lambda r: self.model.set_result("temporal", r))

    def run_comparison(self, at, street: str = "", area: str = "", only_hotspot: bool = False) -> None:
        from desktop.tasks import run_comparison

        if not self.model.has_project:
            return
        hotspot = self.model.hotspot(self.model.selected_hotspot) if only_hotspot else None
        self._start("comparison", run_comparison, self.model.project.incidents, self.model.filters, at,
                    street or None, area or None, hotspot,
                    on_done=lambda r: self.model.set_result("comparison", r))

    def run_streets(self):
        from desktop.tasks import run_streets

        if not self.model.has_project:
            return
        p = self.model.project
        return self._start("streets", run_streets, p.incidents, self.model.filters, p.streets, p.crs,
                           on_done=lambda r: self.model.set_result("streets", r))

    def run_street_profile(self, name: str, area: str = "") -> None:
        from desktop.tasks import run_street_profile

        if not self.model.has_project:
            return
        p = self.model.project
        self.model.select_street((name, area))
        self._start("street_profile", run_street_profile, p.incidents, self.model.filters, name,
                    area or None, p.streets, p.crs,
                    on_done=lambda r: self.model.set_result("street_profile", r))

    def run_shifts(self, store: bool = False):
        if not self.model.has_project:
            return
        job = self.shifts_panel.job(self.model, store)
        if job is None:
            return
        fn, args = job
        return self._start("shifts", fn, *args, on_done=lambda r: self.model.set_result("shifts", r))

    def render_view(self, bounds, cells_across: int) -> None:
        """Redraw the density of the map's view at finer cells (level of detail, in a worker)."""
        from desktop.tasks import render_view

        source = self.detail.source   # the surface on the map: a hotspot run's or the live one
        if source is None or self._closing:
            return

        def done(view) -> None:
            if self.detail.source is source:  # not a view of an older surface
                self.map.set_density_view(view.surface)

        self.tasks.start("detail", "Map detail", render_view, source, tuple(bounds), int(cells_across),
                         self.map.density_shown_cell_m,
                         on_done=done, on_error=lambda msg: self.status_message.setText(f"Map detail: {msg}"))

    # ------------------------------------------------------------------ results
    def _result_ready(self, kind: str) -> None:
        r = self.model.result(kind)
        if kind == "hotspots":
            first = "hotspots" not in self.map.layers
            live = self.live.last
            if r is None or live is None or live.params.density_key() == r.params.density_key():
                # (else the live surface of newer controls stays; their areas follow)
                self.map.set_density(r.surface if r else None, getattr(r, "overview", None))
                self.detail.set_source(getattr(r, "source", None))
            if r is not None:
                self.status_message.setText(hotspot_status_text(r))
            self.map.set_gi(r.gi if r else None)
            self.map.set_hotspots(r.areas if r else None)
            if first and r is not None and r.areas.hotspots:
                self.map.zoom_to_hotspots(10)
            self.hotspots_panel.show_run(r)
            self.model.select_hotspot(None)
            self.patrols_panel.hotspots_ready(auto_run=self.auto_run)
        elif kind == "temporal":
            self.temporal_panel.show_profile_result(r)
        elif kind == "comparison" and r is not None:
            self.temporal_panel.show_comparison(r)
        elif kind == "streets":
            self.streets_panel.show_ranking(r)
            if r is not None:
                self.temporal_panel.set_streets([(s.name, s.area) for s in r.streets[:300]])
        elif kind == "street_profile" and r is not None:
            self.streets_panel.show_profile(r)
            lines = None
            frame = self.map.layers.get("streets") and getattr(self.map, "street_frame", None)
            if frame is not None:
                col = next((c for c in frame.columns if c.lower() in ("name", "road_name", "street")), None)
                if col is not None:
                    lines = frame[frame[col].fillna("").astype(str).str.lower() == r.name.lower()].geometry
            self.map.highlight(lines, r.xy)
        elif kind == "shifts":
            self.shifts_panel.show_plan(r)
        elif kind == "patrols":
            self.patrols_panel.show_run(r)

    def _selection_changed(self) -> None:
        rank = self.model.selected_hotspot
        self.map.select_hotspot(rank)
        self.hotspots_panel.select_rank(rank)
        self.temporal_panel.set_hotspot_available(rank)
        if rank is not None:
            h = self.model.hotspot(rank)
            if h is not None:
                self.identify_view.setHtml(hotspot_html(h))

    def _identified(self, html_text: str) -> None:
        self.identify_view.setHtml(html_text)
        self.docks["identify"].raise_()

    def _cursor_moved(self, x: float, y: float) -> None:
        if not self.model.has_project:
            return
        crs = self.model.project.crs
        t = self._transformers.get(crs)
        if t is None:
            from pyproj import Transformer

            t = self._transformers[crs] = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        lon, lat = t.transform(x, y)
        ns = "N" if lat >= 0 else "S"
        ew = "E" if lon >= 0 else "W"
        if crs == "EPSG:27700":
            where = f"BNG E {x:,.0f}  N {y:,.0f}"
        else:
            where = f"{crs} x {x:,.0f}  y {y:,.0f}"
        self.coords.setText(f"{where}   |   {abs(lat):.5f}° {ns}  {abs(lon):.5f}° {ew}")

    # ================================================================== drag and drop, close
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        projects = [p for p in paths if p.lower().endswith(".beatwise")]
        if projects:
            if self.maybe_save(lambda: self.open_path(projects[0])):
                self.open_path(projects[0])
        else:
            self.import_dialog(paths)

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.tasks.is_running("save"):  # close when the save has finished
            self.tasks.tasks["save"].worker.signals.finished.connect(lambda _r: self.close())
            event.ignore()
            return
        if self.model.dirty and not self.headless:
            answer = self.ask_unsaved()
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                self.save(then=self.close)
                event.ignore()
                return
        if not self.headless:
            self.save_settings()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the autosave timer, cancel every task and wait for the threads; clean recovery."""
        self._closing = True
        self.autosave_timer.stop()
        self.live.enabled = False
        self.live.reset()               # its settle timer must not start a run after the threads stop
        self.detail.enabled = False
        self.detail.set_source(None)
        self.tasks.shutdown(30_000)
        if not self.headless:
            self._remove_recovery()

    def about(self) -> None:
        QMessageBox.about(self, "About Beatwise",
                          "<b>Beatwise</b><br>Offline desktop GIS for neighbourhood policing: where, "
                          "when, which streets and when to have officers on duty.")

    # ================================================================== smoke / screenshot
    def smoke_ready(self) -> bool:
        """Project open, hotspots, When and shifts done (or not applicable), nothing running."""
        if not self.model.has_project or self.tasks.is_running():
            return False
        needed = ["hotspots", "temporal", "streets"]
        if self.shifts_panel.applicable(self.model):
            needed.append("shifts")
        if (self.model.has_patrols or self.model.has_patrol_logs) and self.patrols_panel.applicable():
            needed.append("patrols")
        return all(self.model.result(k) is not None for k in needed)
