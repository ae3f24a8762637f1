"""Export > Briefing pack: the same files as ``beatwise brief``, made in a worker, with a preview.

The dialog only collects options and shows what came back; the pack itself is made by
:func:`analysis.export.pdf.write_briefing` (PDF, 300 dpi PNG, offline HTML, GeoPackage with
QGIS styles, GeoTIFF, CSV), run through the main window's task manager with progress and
Cancel in the status bar. A cancelled export leaves the output folder as it was.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QPushButton, QVBoxLayout, QWidget)

from desktop.views.fit import message_label

MARKINGS = ("OFFICIAL-SENSITIVE", "OFFICIAL", "none")


class ExportDialog(QDialog):
    """Options for a briefing pack, then the first page's preview and the files written.

    Parameters
    ----------
    start : callable
        ``start(folder, options_kwargs, on_done)`` runs the export (the main window passes its
        task-manager call); ``on_done`` receives the :class:`BriefingResult`.
    defaults : dict
        Initial ``folder``, ``title``, ``street``, ``area`` and ``synthetic``.
    """

    def __init__(self, start: Callable, defaults: dict, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export briefing pack")
        self._start = start
        self.result = None
        form = QFormLayout()
        self.folder = QLineEdit(str(defaults.get("folder", "")))
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Output folder", row)
        self.title_edit = QLineEdit(defaults.get("title") or "")
        self.title_edit.setToolTip("Title on every page and map")
        form.addRow("Title", self.title_edit)
        self.marking = QComboBox()
        self.marking.setEditable(True)
        self.marking.addItems(MARKINGS)
        self.marking.setToolTip("Protective marking printed at the top and bottom of every page "
                                "and on the maps; 'none' removes it")
        form.addRow("Marking", self.marking)
        self.street = QLineEdit(defaults.get("street") or "")
        self.street.setPlaceholderText("busiest street")
        self.street.setToolTip("The street profiled on page 3 (empty: the street with most incidents)")
        form.addRow("Street", self.street)
        self.area = QLineEdit(defaults.get("area") or "")
        self.area.setPlaceholderText("any area")
        self.area.setToolTip("Area of that street, e.g. Southend-on-Sea (several towns have a York Road)")
        form.addRow("Street's area", self.area)
        self.online = QCheckBox("Online basemap in map.html")
        self.online.setToolTip("map.html loads map tiles from the internet when it is opened "
                               "(off: the web map works offline, with the local layers only)")
        self.online.setChecked(False)
        form.addRow("", self.online)
        note = message_label("Uses the current filters. The pack is made in the background: watch the "
                             "progress bar in the status bar; Cancel leaves the folder as it was.",
                             style="color: #555")
        if defaults.get("synthetic"):
            note.setText(note.text() + " This is the SYNTHETIC demo: every page says so.")
        self.preview = message_label("The first page appears here when the pack is made.", "exportPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(300, 424)
        self.preview.setStyleSheet("background: #eee; border: 1px solid #bbb")
        self.files = QListWidget()
        self.files.setObjectName("exportFiles")
        self.open_folder = QPushButton("Open folder")
        self.open_folder.setEnabled(False)
        self.open_folder.clicked.connect(self._open_folder)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(note)
        left.addWidget(QLabel("Files written"))
        left.addWidget(self.files, 1)
        left.addWidget(self.open_folder, 0, Qt.AlignmentFlag.AlignLeft)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.preview)
        outer = QVBoxLayout(self)
        outer.addLayout(body, 1)
        outer.addWidget(self.buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the briefing pack", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def options(self) -> dict:
        """Keyword arguments for :class:`analysis.export.pdf.BriefingOptions` (filters added by the caller)."""
        marking = self.marking.currentText().strip()
        return {"title": self.title_edit.text().strip() or None,
                "marking": None if marking.lower() in ("", "none") else marking,
                "street": self.street.text().strip() or None,
                "street_area": self.area.text().strip() or None,
                "online_basemap": self.online.isChecked()}

    def export(self) -> None:
        folder = self.folder.text().strip()
        if not folder:
            self.preview.setText("Choose an output folder first.")
            return
        self.export_button.setEnabled(False)
        self.preview.setText("Making the pack...")
        self._start(Path(folder), self.options(), self.show_result, self._failed)

    def _failed(self, *_args) -> None:
        self.export_button.setEnabled(True)
        self.preview.setText("The export did not finish (see the message).")

    def show_result(self, result) -> None:
        """Show the first page and the files of a finished :class:`BriefingResult`."""
        self.result = result
        self.export_button.setEnabled(True)
        pix = QPixmap()
        if result.preview_png and pix.loadFromData(result.preview_png, "PNG"):
            self.preview.setPixmap(pix.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation))
        else:
            self.preview.setText("(no preview)")
        self.files.clear()
        for f in result.files:
            self.files.addItem(str(f))
        self.open_folder.setEnabled(True)

    def _open_folder(self) -> None:
        if self.result is not None:  # a local folder: no network involved
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.folder)))
