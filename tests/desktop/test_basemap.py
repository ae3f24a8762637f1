"""File > Add basemap: drawn muted under the data, remembered with the project, found again on open."""
from __future__ import annotations

import dataclasses

import numpy as np

from tests.basemap_fixtures import mbtiles, xyz_folder  # noqa: F401 (fixtures)
from tests.desktop.conftest import wait_idle


def test_add_basemap__drawn_under_everything_and_remembered(demo_window, xyz_folder, qtbot, tmp_path):  # noqa: F811
    w = demo_window
    w.add_basemap(xyz_folder)
    qtbot.waitUntil(lambda: "basemap" in w.map.layers, timeout=60_000)
    layer = w.map.layers["basemap"]
    (img,) = layer.items
    assert img.zValue() < min(it.zValue() for k, lyr in w.map.layers.items() if k != "basemap" for it in lyr.items)
    data = img.image
    assert data.dtype == np.uint8 and data.shape[2] == 4 and (data[..., 3] == 255).any()
    assert data[..., :3][data[..., 3] == 255].min() >= 0.45 * 255 - 1   # muted: washed towards white
    assert w.model.project.settings["basemap"] == str(xyz_folder) and w.model.dirty
    assert "Basemap: XYZ tile folder" in w.status_message.text()
    path = tmp_path / "with-basemap.beatwise"
    w.save_to(path)
    qtbot.waitUntil(lambda: not w.model.dirty, timeout=60_000)
    w.map.set_basemap(None)
    w.model.set_project(dataclasses.replace(w.model.project, settings={}))  # something else first
    w.open_path(path)
    qtbot.waitUntil(lambda: w.model.path == path and "basemap" in w.map.layers, timeout=60_000)
    wait_idle(w, qtbot)
    assert not w.model.dirty   # opening with the remembered basemap changes nothing


def test_remembered_basemap_missing__said_in_the_status_bar(demo_window, mbtiles, qtbot, tmp_path):  # noqa: F811
    import shutil

    w = demo_window
    copy = tmp_path / "moved.mbtiles"
    shutil.copy(mbtiles, copy)
    w.add_basemap(copy)
    qtbot.waitUntil(lambda: "basemap" in w.map.layers, timeout=60_000)
    path = tmp_path / "p.beatwise"
    w.save_to(path)
    qtbot.waitUntil(lambda: not w.model.dirty, timeout=60_000)
    copy.unlink()
    w.model.set_project(dataclasses.replace(w.model.project, settings={}))  # something else first
    w.open_path(path)
    qtbot.waitUntil(lambda: "is not there any more" in w.status_message.text(), timeout=60_000)
    wait_idle(w, qtbot)
    assert "basemap" not in w.map.layers and w.model.path == path
