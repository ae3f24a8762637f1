"""Desktop test fixtures: offscreen Qt, a private QSettings file and data folder per test, one demo
project and one reference hotspot run per session (computed with the analysis functions directly)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop import settings as app_settings


@pytest.fixture(autouse=True)
def private_settings(tmp_path):
    """Every test gets its own settings file and data folder: tests never read or write a user's
    settings, recovery file or demo cache."""
    app_settings.configure(tmp_path / "settings.ini", tmp_path / "data")
    yield tmp_path / "settings.ini"
    app_settings.configure(None, None)


@pytest.fixture
def demo_cache(demo_dir, private_settings) -> Path:
    """The test's data folder with the demo project already cached (as after a first start)."""
    from desktop.tasks import _demo_cache_key

    folder = app_settings.data_dir()
    shutil.copy(demo_dir / "demo.beatwise", folder / f"demo-{_demo_cache_key()}.beatwise")
    return folder


@pytest.fixture(scope="session")
def demo(demo_dir):
    """The SYNTHETIC demo project (read once; tests must not change it in place)."""
    from analysis.project import load_project

    return load_project(demo_dir / "demo.beatwise")


@pytest.fixture(scope="session")
def reference_hotspots(demo):
    """KDE, hotspot areas and Gi* of the demo with the panel's defaults, made by calling the
    analysis functions directly (the independent reference for the app's results)."""
    from analysis.hotspots.areas import hotspot_areas
    from analysis.hotspots.gistar import default_gi_distance_m, gi_star
    from analysis.hotspots.kde import grid_for_kde, kde
    from analysis.hotspots.study_area import study_area_for
    from desktop.params import HotspotParams

    p = HotspotParams()
    inc = demo.incidents
    grid, choice = grid_for_kde(inc, cell_m=p.cell_m, kernel=p.kernel, bandwidth_m=p.bandwidth_m)
    surface = kde(inc, grid, kernel=p.kernel, bandwidth_m=choice)
    distance = default_gi_distance_m(surface.bandwidth_m, p.gi_cell_m)
    study = study_area_for(inc, grid, band_m=distance)
    areas = hotspot_areas(surface, inc, top_percent=p.top_percent, study_area=study)
    gi = gi_star(inc, grid.with_cell_m(p.gi_cell_m), distance_m=distance, fdr=p.fdr, study_area=study)
    return surface, areas, gi


@pytest.fixture(scope="session")
def rutland_months():
    """The Rutland data.police.uk file read (month-only times): (incidents, its TemporalProfile)."""
    from analysis.ingest.incidents import read_incidents
    from analysis.temporal.matrix import hour_weekday_matrix
    from tests.conftest import shared_path

    incidents = read_incidents([shared_path("police_uk", "2024-01_to_2024-04-rutland-street.csv")]).incidents
    return incidents, hour_weekday_matrix(incidents)


@pytest.fixture
def coordinates_only_csv(tmp_path) -> Path:
    """Timed incidents with coordinates and no location text (like the Memphis robberies export):
    200 seeded points around Memphis, 2023, to the minute."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 200
    t = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), unit="min")
    path = tmp_path / "memphis_robberies.csv"
    pd.DataFrame({"latitude": (35.15 + rng.normal(0, 0.03, n)).round(6),
                  "longitude": (-90.03 + rng.normal(0, 0.04, n)).round(6),
                  "date": t.strftime("%Y-%m-%d %H:%M")}).to_csv(path, index=False)
    return path


@pytest.fixture
def window(qtbot):
    """A main window with no project and nothing running automatically."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.main_window import MainWindow

    w = MainWindow(autosave_minutes=0)
    w.auto_run = False
    # never block on a question: tests that want an answer replace these
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    w.ask_recover = lambda info: QMessageBox.StandardButton.No
    qtbot.addWidget(w)
    w.show()
    yield w
    w.model.set_dirty(False)
    w.shutdown()


@pytest.fixture
def demo_window(window, demo, reference_hotspots, qtbot):
    """The window on the demo project (a shallow copy), with the reference hotspot run shown."""
    import dataclasses

    from analysis.filters import Filters
    from desktop.params import HotspotParams
    from desktop.tasks import HotspotRun, demo_basemap

    project = dataclasses.replace(demo, settings=dict(demo.settings))
    window.model.set_project(project, None, basemap_streets=demo_basemap(project.crs))
    surface, areas, gi = reference_hotspots
    window.model.set_result("hotspots", HotspotRun(HotspotParams(), Filters(), len(demo.incidents),
                                                   surface, areas, gi))
    qtbot.waitUntil(lambda: not window.tasks.is_running(), timeout=20_000)
    return window


def wait_idle(window, qtbot, timeout=60_000):
    qtbot.waitUntil(lambda: not window.tasks.is_running(), timeout=timeout)


def import_with_wizard(window, qtbot, paths, timeout=120_000):
    """File > Import data on ``paths``: Next (columns), Next (import), Finish; the dialog once the
    window has the new project."""
    d = window.import_dialog(paths)
    d.next()
    d.next()
    qtbot.waitUntil(lambda: d.result is not None, timeout=timeout)
    d.finish()
    qtbot.waitUntil(lambda: window.model.has_project, timeout=10_000)
    return d
