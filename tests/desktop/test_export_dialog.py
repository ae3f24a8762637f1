"""Export > Briefing pack: the dialog runs write_briefing in a worker and previews page 1."""
from __future__ import annotations

import subprocess

import pytest


@pytest.fixture
def exported(demo_window, qtbot, tmp_path):
    w = demo_window
    dialog = w.export_dialog()
    assert dialog is not None and dialog.isVisible()
    dialog.folder.setText(str(tmp_path / "pack"))
    dialog.marking.setCurrentText("OFFICIAL")
    dialog.street.setText("York Road")
    dialog.export()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    return w, dialog, tmp_path / "pack"


def test_export_dialog__writes_the_pack_with_a_preview(exported):
    w, dialog, folder = exported
    names = {p.name for p in folder.iterdir()}
    assert {"briefing.pdf", "map.png", "map.html", "hotspots.gpkg", "density.tif", "hotspots.csv"} <= names
    assert dialog.files.count() == len(dialog.result.files)
    pix = dialog.preview.pixmap()
    assert pix is not None and not pix.isNull()
    assert pix.height() / pix.width() == pytest.approx(297 / 210, rel=0.03)   # an A4 page
    text = subprocess.run(["pdftotext", "-l", "1", str(folder / "briefing.pdf"), "-"],
                          capture_output=True, text=True).stdout
    assert text.strip().startswith("OFFICIAL") and "OFFICIAL-SENSITIVE" not in text  # the chosen marking
    assert "SYNTHETIC" in text and "York Road" in subprocess.run(
        ["pdftotext", str(folder / "briefing.pdf"), "-"], capture_output=True, text=True).stdout
    assert not w.tasks.is_running("export")


def test_export_dialog__no_project_is_an_error_not_a_crash(window):
    window.headless = True  # record instead of a modal box
    assert window.export_dialog() is None
    assert any("Nothing to export" in e for e in window.errors)
