"""The import wizard: preview, auto-detected and editable mapping, validation report, rejected rows
to CSV, recent files, drag-and-drop."""
from __future__ import annotations

import csv

import pandas as pd
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from analysis.ingest.incidents import read_incidents
from tests.conftest import shared_path
from tests.desktop.conftest import import_with_wizard


@pytest.fixture
def tasks(qtbot):
    from desktop.workers import TaskManager

    t = TaskManager()
    yield t
    t.shutdown(10_000)


def _dialog(qtbot, tasks, paths=None):
    from desktop.panels.import_panel import ImportDialog

    d = ImportDialog(tasks, None, paths)
    qtbot.addWidget(d)
    return d


def test_wizard__maps_the_chicago_sample(qtbot, tasks, tmp_path):
    from desktop import settings as app_settings

    path = shared_path("timed", "chicago_crimes_sample_2017_2019.csv")
    d = _dialog(qtbot, tasks, [path])
    d.next()
    assert d.stack.currentIndex() == 1
    # preview: the first 20 rows, every column
    raw = pd.read_csv(path, dtype=str, nrows=20, keep_default_na=False)
    assert d.preview.rowCount() == 20 and d.preview.columnCount() == len(raw.columns)
    assert [d.preview.horizontalHeaderItem(c).text() for c in range(len(raw.columns))] == list(raw.columns)
    assert d.preview.item(0, list(raw.columns).index("date")).text() == raw["date"][0]
    # mapping pre-filled by the importer's own detection
    shown = {k: c.currentText() for k, c in d.combos.items()}
    assert (shown["lon"], shown["lat"], shown["time"], shown["crime_type"], shown["location"]) == (
        "longitude", "latitude", "date", "primary_type", "block")
    assert shown["x"] == "(not mapped)"
    assert d.mapping() is None  # unchanged: the import detects the same
    # edit it: crime type from the description column instead
    d.set_column("crime_type", "description")
    mapping = d.mapping()
    assert mapping.crime_type == "description" and mapping.lon == "longitude"
    d.next()
    qtbot.waitUntil(lambda: d.result is not None, timeout=60_000)
    rep = d.result.report
    assert rep.rows_read == 25_000 and rep.accepted + len(rep.rejected) == 25_000
    assert d.result.incidents["crime_type"].tolist() == pd.read_csv(
        path, dtype=str, keep_default_na=False)["description"].str.strip().iloc[
        d.result.incidents["source_row"].to_numpy() - 2].tolist()
    assert "25,000 rows read" in d.report_summary.text()
    assert d.finish_button.isEnabled()
    assert app_settings.recent_files()[0] == str(path.resolve())
    got = []
    d.imported.connect(got.append)
    d.finish()
    assert got == [d.result]


def test_wizard__validation_report_and_rejected_rows_to_csv(qtbot, tasks, tmp_path):
    text = ("id,date_time,offence,longitude,latitude\n"
            "1,2024-01-05 10:00,Drugs,0.71,51.54\n"
            "2,not a date,Drugs,0.71,51.54\n"
            "3,2024-01-05 11:00,Robbery,,\n"
            "4,2024-01-06 23:30,Drugs,200,51.54\n"
            "5,2024-01-07 01:15,Burglary,0.72,51.53\n")
    path = tmp_path / "force.csv"
    path.write_text(text, encoding="utf-8")
    ref = read_incidents(path).report
    d = _dialog(qtbot, tasks, [path])
    d.next()
    d.next()
    qtbot.waitUntil(lambda: d.result is not None, timeout=30_000)
    assert (d.result.report.accepted, len(d.result.report.rejected)) == (2, 3) == (
        ref.accepted, len(ref.rejected))
    reasons = {d.reasons.item(r, 0).text(): int(d.reasons.item(r, 1).text()) for r in range(d.reasons.rowCount())}
    assert reasons == ref.rejections
    model = d.rejected_model
    assert model.rowCount() == 3
    assert [model.data(model.index(r, 1)) for r in range(3)] == [r.row for r in ref.rejected] == [3, 4, 5]
    assert [model.data(model.index(r, 2)) for r in range(3)] == [r.reason for r in ref.rejected]
    out = d.export_rejects(tmp_path / "rejects.csv")
    with open(out, newline="", encoding="utf-8-sig") as fh:  # the CSV writer adds a BOM for Excel
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "row", "reason"]
    assert [(int(r[1]), r[2]) for r in rows[1:]] == [(r.row, r.reason) for r in ref.rejected]


def test_wizard__bad_file_is_reported_not_raised(qtbot, tasks, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    d = _dialog(qtbot, tasks, [empty])
    d.next()
    assert d.stack.currentIndex() == 0  # stays on the files page
    assert "empty" in d.error
    assert d.error_box.isVisible()
    d.error_box.close()


def test_wizard__drop_files_and_folders(qtbot, tasks, tmp_path):
    d = _dialog(qtbot, tasks)
    d.show()
    a = tmp_path / "a.csv"
    a.write_text("x\n1\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(a)), QUrl.fromLocalFile(str(tmp_path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    d.dropEvent(event)
    assert [str(p) for p in d.paths()] == [str(a), str(tmp_path)]
    assert d.next_button.isEnabled()


def test_wizard__import_into_the_window(window, qtbot, tmp_path):
    """Finish makes a new project of the import (unsaved), drawn on the map."""
    path = shared_path("police_uk", "2024-01_to_2024-04-southend-on-sea-street.csv")
    d = import_with_wizard(window, qtbot, [path])
    qtbot.waitUntil(lambda: not window.tasks.is_running(), timeout=30_000)
    p = window.model.project
    assert len(p.incidents) == d.result.report.accepted and window.model.dirty
    assert not window.banner.isVisible()
    assert window.map.layers["incidents"].count == len(p.incidents)
    assert not window.shifts_panel.applicable(window.model)  # month-only


def test_wizard__mixed_utc_offsets_import_without_an_error(window, qtbot, tmp_path):
    """Regression: times with mixed UTC offsets in one column (GMT, then BST after the clocks
    changed on 31 March 2024) crashed the desktop import; they arrive as Europe/London local times."""
    path = tmp_path / "offsets.csv"
    path.write_text("id,date,offence,longitude,latitude\n"
                    "1,2024-03-30T23:30:00+00:00,Robbery,0.71,51.54\n"
                    "2,2024-03-31T12:00:00+01:00,Burglary,0.72,51.53\n"
                    "3,2024-03-31T00:30:00+00:00,Drugs,0.70,51.545\n", encoding="utf-8")
    d = window.import_dialog([path])
    d.next()
    assert d.stack.currentIndex() == 1 and d.error is None
    d.next()
    qtbot.waitUntil(lambda: d.result is not None or d.error is not None, timeout=30_000)
    assert d.error is None and d.error_box is None
    rep = d.result.report
    assert (rep.rows_read, rep.accepted, len(rep.rejected)) == (3, 3, 0)
    assert any("UTC offsets" in w for w in rep.warnings)
    assert d.warnings.count() == len(rep.warnings)
    d.finish()
    qtbot.waitUntil(lambda: window.model.has_project, timeout=10_000)
    inc = window.model.project.incidents.sort_values("source_row")
    assert [str(t) for t in inc["t_start"]] == ["2024-03-30 23:30:00", "2024-03-31 12:00:00",
                                                "2024-03-31 00:30:00"]
    assert inc["time_precision"].tolist() == ["minute"] * 3
    assert not window.errors and window.error_box is None
    assert not [m for m in QApplication.topLevelWidgets() if isinstance(m, QMessageBox) and m.isVisible()]
