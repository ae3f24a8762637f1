"""The import wizard: files (dialog, drag-and-drop, recent), preview and column mapping
(pre-filled by the importer's own detection, editable), then the validation report with every
rejected row viewable and exportable to CSV."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QMenu, QProgressBar, QPushButton, QScrollArea, QSplitter,
                               QStackedWidget, QTableView, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from desktop import settings as app_settings
from desktop.views.fit import message_label, resize_within_screen

FIELD_LABELS = {
    "lon": "Longitude (WGS84)", "lat": "Latitude (WGS84)", "x": "X / easting", "y": "Y / northing",
    "wkt": "WKT geometry", "time": "Date and time", "date": "Date", "time_of_day": "Time of day",
    "start": "From (window start)", "end": "To (window end)", "crime_type": "Crime type",
    "id": "Incident ID", "location": "Location / street", "area": "Area", "weight": "Weight",
}
NOT_MAPPED = "(not mapped)"
FILE_FILTER = ("Incident data (*.csv *.tsv *.txt *.xlsx *.xlsm *.gpkg *.geojson *.json *.shp);;"
               "All files (*)")


class RejectedModel(QAbstractTableModel):
    """Rejected rows (file, row, reason) for a QTableView; fine with hundreds of thousands."""

    HEADERS = ("File", "Line", "Reason")

    def __init__(self, rows=()):
        super().__init__()
        self.rows = list(rows)

    def rowCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else 3

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        r = self.rows[index.row()]
        return (Path(r.file).name, r.row, r.reason)[index.column()]

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class ImportDialog(QDialog):
    """Three steps: Files -> Columns -> Report. ``result`` holds the ImportResult after Finish.

    The import runs in a worker of ``tasks`` (key ``import``), so the status bar's Cancel and the
    dialog's Cancel both stop it.
    """

    imported = Signal(object)

    #: what this wizard imports: the mapping fields, the file dialog's filter, the texts
    field_labels = FIELD_LABELS
    file_filter = FILE_FILTER
    title = "Import incident data"
    what = "incident"
    hint = ("Add incident files, or drop files and folders here. Beatwise reads data.police.uk "
            "street CSVs, force exports (CSV, TSV, Excel) and GIS point layers (GeoPackage, "
            "GeoJSON, Shapefile). All files of one import share the column mapping.")

    def __init__(self, tasks, parent: Optional[QWidget] = None, paths=None):
        super().__init__(parent)
        from desktop.tasks import ensure_analysis_loaded

        ensure_analysis_loaded()  # the preview reads files on this thread
        self.setWindowTitle(self.title)
        self.setAcceptDrops(True)
        resize_within_screen(self, 980, 680)
        self.tasks = tasks
        self.result = None
        self.detected: dict = {}
        self.columns: list[str] = []
        self.error: Optional[str] = None
        self.error_box = None  # the dialog of the last error, if any
        self.stack = QStackedWidget()
        self.stack.addWidget(self._files_page())
        self.stack.addWidget(self._columns_page())
        self.stack.addWidget(self._report_page())
        self.back_button = QPushButton("< Back")
        self.next_button = QPushButton("Next >")
        self.finish_button = QPushButton("Finish")
        self.cancel_button = QPushButton("Cancel")
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.finish_button.clicked.connect(self.finish)
        self.cancel_button.clicked.connect(self.cancel)
        self.step_label = QLabel()
        self.step_label.setStyleSheet("font-weight: bold;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.step_label, 1)
        for b in (self.back_button, self.next_button, self.finish_button, self.cancel_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        if paths:
            self.add_paths(paths)
        self._update_buttons()

    # ------------------------------------------------------------------ page 1: files
    def _files_page(self) -> QWidget:
        page = QWidget()
        self.file_list = QListWidget()
        self.file_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        add_files = QPushButton("Add files...")
        add_files.clicked.connect(self._browse_files)
        add_folder = QPushButton("Add folder...")
        add_folder.clicked.connect(self._browse_folder)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        self.recent_button = QPushButton("Recent")
        self.recent_menu = QMenu(self.recent_button)
        self.recent_button.setMenu(self.recent_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        side = QVBoxLayout()
        for b in (add_files, add_folder, remove, self.recent_button):
            side.addWidget(b)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.file_list, 1)
        row.addLayout(side)
        hint = message_label(self.hint)
        layout = QVBoxLayout(page)
        layout.addWidget(hint)
        layout.addLayout(row, 1)
        return page

    def paths(self) -> list[Path]:
        return [Path(self.file_list.item(i).text()) for i in range(self.file_list.count())]

    def add_paths(self, paths) -> None:
        have = {str(p) for p in self.paths()}
        for p in paths:
            p = str(Path(p))
            if p not in have:
                self.file_list.addItem(p)
                have.add(p)
        self._update_buttons()

    def _browse_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, f"Add {self.what} files", app_settings.last_folder(),
                                                self.file_filter)
        if files:
            app_settings.set_last_folder(files[0])
            self.add_paths(files)

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Add a folder of {self.what} files",
                                                  app_settings.last_folder())
        if folder:
            app_settings.set_last_folder(folder)
            self.add_paths([folder])

    def _remove_selected(self) -> None:
        for item in self.file_list.selectedItems():
            self.file_list.takeItem(self.file_list.row(item))
        self._update_buttons()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = [p for p in app_settings.recent_files() if not p.endswith(".beatwise")]
        if not recent:
            self.recent_menu.addAction("(no recent files)").setEnabled(False)
        for p in recent:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.add_paths([p]))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and self.stack.currentIndex() == 0:
            self.add_paths(paths)
            event.acceptProposedAction()

    # ------------------------------------------------------------------ page 2: preview and mapping
    def _columns_page(self) -> QWidget:
        page = QWidget()
        self.preview_file = QComboBox()
        self.preview_file.currentIndexChanged.connect(self._load_preview)
        self.preview = QTableWidget()
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setAlternatingRowColors(True)
        self.mapping_note = message_label()
        self.combos: dict[str, QComboBox] = {}
        form = QFormLayout()
        for key, label in self.field_labels.items():
            combo = QComboBox()
            combo.setObjectName(f"map_{key}")
            self.combos[key] = combo
            form.addRow(label, combo)
        self.crs = QLineEdit()
        self.crs.setPlaceholderText("auto (e.g. EPSG:27700 for x/y)")
        self.crs.setToolTip("Coordinate system of x/y or WKT columns, e.g. EPSG:27700 (British "
                            "National Grid). Longitude/latitude are always WGS84.")
        form.addRow("Coordinate system", self.crs)
        self.dayfirst = QComboBox()
        self.dayfirst.addItems(["auto", "day first (31/01/2024)", "month first (01/31/2024)"])
        self.dayfirst.setToolTip("How to read dates like 03/04/2024. 'auto' decides from the data and "
                                 "reports ambiguous files.")
        form.addRow("Dates", self.dayfirst)
        form_box = QGroupBox("Column mapping (detected automatically: change any that is wrong)")
        form_box.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_box)
        top = QHBoxLayout()
        top.addWidget(QLabel("Preview of"))
        top.addWidget(self.preview_file, 1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(top)
        ll.addWidget(self.preview, 1)
        ll.addWidget(self.mapping_note)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(page)
        layout.addWidget(split)
        return page

    def _expanded(self) -> list[Path]:
        from analysis.ingest.sources import expand_paths

        return expand_paths(self.paths())[0]

    def _enter_columns(self) -> bool:
        from analysis.progress import BeatwiseError

        try:
            files = self._expanded()
        except BeatwiseError as exc:
            self._error(str(exc))
            return False
        self.preview_file.blockSignals(True)
        self.preview_file.clear()
        self.preview_file.addItems([str(f) for f in files])
        self.preview_file.blockSignals(False)
        return self._load_preview(0)

    def detect(self, path: Path) -> dict:
        """The columns the importer would use for ``path`` (pre-fills the mapping)."""
        from analysis.ingest.incidents import detect_columns

        return detect_columns(path)

    def _load_preview(self, index: int) -> bool:
        from analysis.ingest.incidents import preview_rows
        from analysis.progress import BeatwiseError

        if index < 0 or index >= self.preview_file.count():
            return False
        path = Path(self.preview_file.itemText(index))
        try:
            head = preview_rows(path, 20)
            detected = self.detect(path)
        except BeatwiseError as exc:
            self._error(str(exc))
            return False
        self.columns = [str(c) for c in head.columns]
        self.detected = detected
        self.preview.clear()
        self.preview.setColumnCount(len(self.columns))
        self.preview.setRowCount(len(head))
        self.preview.setHorizontalHeaderLabels(self.columns)
        for r in range(len(head)):
            for c in range(len(self.columns)):
                self.preview.setItem(r, c, QTableWidgetItem(str(head.iat[r, c])))
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for key, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NOT_MAPPED)
            combo.addItems(self.columns)
            combo.setCurrentText(detected.get(key, NOT_MAPPED))
            combo.blockSignals(False)
        is_layer = path.suffix.lower() in (".gpkg", ".geojson", ".json", ".shp")
        for key in ("lon", "lat", "x", "y", "wkt"):
            if key in self.combos:
                self.combos[key].setEnabled(not is_layer)
        notes = []
        if detected.get("time") == "Month" and detected.get("lon") == "Longitude":
            notes.append("data.police.uk street-level file: month only (no day, no time of day), "
                         "so the When and Shifts panels cannot use it.")
        if is_layer:
            notes.append("GIS layer: coordinates come from its point geometry.")
        notes += self.notes(detected)
        if not any(k in detected for k in ("lon", "x", "wkt")) and not is_layer:
            notes.append("<span style='color:#b00'>No coordinate columns found: map longitude/latitude "
                         "or x/y.</span>")
        self.mapping_note.setText(" ".join(notes))
        return True

    def notes(self, detected: dict) -> list:
        """Extra notes under the preview about what was detected."""
        return []

    def chosen(self) -> tuple[dict, dict, Optional[str], Optional[bool]]:
        """(chosen columns, detected columns, crs, dayfirst) of the mapping page."""
        chosen = {k: c.currentText() for k, c in self.combos.items()
                  if c.isEnabled() and c.currentText() != NOT_MAPPED}
        detected = {k: v for k, v in self.detected.items()
                    if self.combos.get(k) is not None and self.combos[k].isEnabled()}
        crs = self.crs.text().strip() or None
        dayfirst = {0: None, 1: True, 2: False}[self.dayfirst.currentIndex()]
        return chosen, detected, crs, dayfirst

    def mapping(self):
        """The ColumnMapping to import with: None when every choice equals the detection."""
        from analysis.ingest.columns import ColumnMapping

        chosen, detected, crs, dayfirst = self.chosen()
        if chosen == detected and crs is None and dayfirst is None:
            return None
        return ColumnMapping(**chosen, crs=crs, dayfirst=dayfirst)

    def set_column(self, key: str, column: Optional[str]) -> None:
        self.combos[key].setCurrentText(column or NOT_MAPPED)

    # ------------------------------------------------------------------ page 3: import and report
    def _report_page(self) -> QWidget:
        page = QWidget()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress_label = message_label()
        self.report_summary = message_label("", "reportSummary")
        self.reasons = QTableWidget(0, 2)
        self.reasons.setHorizontalHeaderLabels(["Rejected because", "Rows"])
        self.reasons.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.reasons.verticalHeader().setVisible(False)
        self.reasons.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rejected_model = RejectedModel()
        self.rejected = QTableView()
        self.rejected.setModel(self.rejected_model)
        self.rejected.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.rejected.verticalHeader().setVisible(False)
        self.export_button = QPushButton("Export rejected rows to CSV...")
        self.export_button.clicked.connect(self._export_dialog)
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>Rejections by reason</b>"))
        ll.addWidget(self.reasons, 1)
        ll.addWidget(QLabel("<b>Warnings</b>"))
        ll.addWidget(self.warnings, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("<b>Every rejected row</b>"))
        rl.addWidget(self.rejected, 1)
        rl.addWidget(self.export_button)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        layout = QVBoxLayout(page)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.report_summary)
        layout.addWidget(split, 1)
        return page

    def import_job(self):
        """(task function, arguments) of the import."""
        from desktop.tasks import import_files

        return import_files, (self.paths(), self.mapping())

    def summary_text(self, result) -> str:
        rep = result.report
        return (f"<b>{rep.rows_read:,} rows read: {rep.accepted:,} imported, {len(rep.rejected):,} "
                f"rejected.</b> Working coordinate system {rep.crs}; times: {rep.time_precision}.")

    def start_import(self) -> None:
        self.result = None
        self.error = None
        self.progress.setValue(0)
        self.progress.show()
        self.progress_label.setText("Importing...")
        self.report_summary.setText("")
        self.rejected_model.beginResetModel()
        self.rejected_model.rows = []
        self.rejected_model.endResetModel()
        self.reasons.setRowCount(0)
        self.warnings.clear()
        fn, args = self.import_job()
        worker = self.tasks.start("import", "Importing", fn, *args,
                                  on_done=self._imported, on_error=self._failed,
                                  on_cancel=self._cancelled)
        worker.signals.progress.connect(self._progress)
        self._update_buttons()

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress_label.setText(message)

    def _imported(self, result) -> None:
        self.result = result
        rep = result.report
        self.progress.hide()
        self.progress_label.setText("")
        self.report_summary.setText(self.summary_text(result))
        reasons = rep.rejections
        self.reasons.setRowCount(len(reasons))
        for r, (reason, n) in enumerate(reasons.items()):
            self.reasons.setItem(r, 0, QTableWidgetItem(reason))
            item = QTableWidgetItem(f"{n:,}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.reasons.setItem(r, 1, item)
        self.rejected_model.beginResetModel()
        self.rejected_model.rows = list(rep.rejected)
        self.rejected_model.endResetModel()
        self.warnings.clear()
        self.warnings.addItems(list(rep.warnings) or ["(none)"])
        self.export_button.setEnabled(bool(rep.rejected))
        for p in self.paths():
            app_settings.add_recent_file(p)
        self._update_buttons()

    def _failed(self, message: str) -> None:
        self.progress.hide()
        self.progress_label.setText("")
        self.error = message
        self.report_summary.setText(f"<span style='color:#b00'><b>The import failed.</b> {message}</span>")
        self._update_buttons()

    def _cancelled(self) -> None:
        self.progress.hide()
        self.progress_label.setText("")
        self.report_summary.setText("Import cancelled: nothing was changed.")
        self._update_buttons()

    def export_rejects(self, path) -> Path:
        return self.result.report.write_rejects(path)

    def _export_dialog(self) -> None:
        if self.result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export rejected rows", str(
            Path(app_settings.last_folder()) / "rejected-rows.csv"), "CSV (*.csv)")
        if path:
            try:
                self.export_rejects(path)
            except OSError as exc:
                self._error(f"Could not write {path}: {exc.strerror}")

    # ------------------------------------------------------------------ navigation
    def _error(self, message: str) -> None:
        self.error = message
        self.mapping_note.setText(f"<span style='color:#b00'>{message}</span>")
        if self.stack.currentIndex() == 0:
            from PySide6.QtWidgets import QMessageBox

            box = QMessageBox(QMessageBox.Icon.Warning, "Cannot read the file", message,
                              QMessageBox.StandardButton.Ok, self)
            box.open()
            self.error_box = box

    def next(self) -> None:
        i = self.stack.currentIndex()
        if i == 0:
            if not self.paths() or not self._enter_columns():
                return
            self.stack.setCurrentIndex(1)
        elif i == 1:
            self.stack.setCurrentIndex(2)
            self.start_import()
        self._update_buttons()

    def back(self) -> None:
        self.tasks.cancel("import")
        self.stack.setCurrentIndex(max(0, self.stack.currentIndex() - 1))
        self._update_buttons()

    def finish(self) -> None:
        if self.result is not None and self.result.report.accepted > 0:
            self.imported.emit(self.result)
            self.accept()

    def cancel(self) -> None:
        self.tasks.cancel("import")
        self.result = None
        self.reject()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.tasks.cancel("import")
        super().closeEvent(event)

    def _update_buttons(self) -> None:
        i = self.stack.currentIndex()
        running = self.tasks.is_running("import")
        self.step_label.setText(["Step 1 of 3: files", "Step 2 of 3: columns",
                                 "Step 3 of 3: validation report"][i])
        self.back_button.setEnabled(i > 0)
        self.next_button.setVisible(i < 2)
        self.next_button.setText("Import" if i == 1 else "Next >")
        self.next_button.setEnabled(bool(self.paths()) and not running)
        self.finish_button.setVisible(i == 2)
        self.finish_button.setEnabled(self.result is not None and self.result.report.accepted > 0
                                      and not running)
        if self.result is not None and self.result.report.accepted == 0:
            self.report_summary.setText(self.report_summary.text()
                                        + "<br><span style='color:#b00'>No row could be imported: go "
                                          "back and check the column mapping.</span>")
