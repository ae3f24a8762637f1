"""File > Open from database: a PostGIS store (analysis/store) opened as the project.

The user gives a libpq URL or ``pg:SERVICE`` (``~/.pg_service.conf`` and ``~/.pgpass`` work as
for psql and QGIS), lists the incidents tables, picks one and sets the filters the server applies
(crime types, dates, area). Listing and reading run in workers of the window's
:class:`~desktop.workers.TaskManager` (keys ``store_tables`` and ``project``), so the status bar
shows their progress and its Cancel stops them. A password typed here is kept for this dialog
only: QSettings (``last_store``) and the project remember :meth:`StoreAddress.redacted`.
Every fault (bad address, server down, no such table, no PostGIS) is a message in the dialog.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDateEdit, QDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLineEdit, QProgressBar,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from analysis.progress import BeatwiseError, ProgressFn, report
from desktop import settings as app_settings
from desktop.tasks import LoadedProject, task
from desktop.views.fit import message_label, resize_within_screen

LAST_STORE_KEY = "last_store"
ADDRESS_HINT = "postgresql://HOST/DATABASE?table=SCHEMA.TABLE   or   pg:SERVICE"
ERROR_STYLE = "color: #b00;"


# ---------------------------------------------------------------------------------- worker jobs
def store_tables(address, progress: Optional[ProgressFn] = None) -> list[dict]:
    """The incidents tables of the store's database (:func:`analysis.store.read.list_tables`)."""
    from analysis.store.read import list_tables

    report(progress, 0.0, "Listing the store's tables")
    tables = list_tables(address)
    report(progress, 1.0, f"{len(tables)} tables")
    return tables


@task
def open_store(address, filters, progress: Optional[ProgressFn] = None) -> LoadedProject:
    """The store's incidents that pass ``filters`` (filtered on the server) as an unsaved project."""
    from analysis.store.read import project_from_store

    return LoadedProject(project_from_store(address, filters, progress), None, None)


# ---------------------------------------------------------------------------------- state
def store_address(text: str, password: str = "", table: Optional[str] = None):
    """The :class:`~analysis.store.address.StoreAddress` of what the user typed; ``password`` goes
    into its connection string only (never into the text shown or remembered). BeatwiseError if bad."""
    from analysis.store.address import parse_address

    text = text.strip()
    if not text:
        raise BeatwiseError(f"give the store's address: {ADDRESS_HINT}")
    address = parse_address(text)
    if table:
        address = address.with_table(table)
    if password:
        from psycopg.conninfo import make_conninfo

        address = dataclasses.replace(address, conninfo=make_conninfo(address.conninfo, password=password))
    return address


class TablesModel(QStandardItemModel):
    """The tables :func:`~analysis.store.read.list_tables` gave (``rows``), as name, rows, SRID."""

    def __init__(self):
        super().__init__(0, 3)
        self.setHorizontalHeaderLabels(["Table", "Rows", "SRID"])
        self.rows: list[dict] = []

    def set_rows(self, rows) -> None:
        self.rows = list(rows)
        self.setRowCount(0)
        for i, r in enumerate(self.rows):
            items = [QStandardItem(self.name(i)), QStandardItem(f"{r['rows']:,}"), QStandardItem(f"EPSG:{r['srid']}")]
            items[1].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for item in items:
                item.setEditable(False)
            self.appendRow(items)

    def name(self, row: int) -> str:
        return f"{self.rows[row]['schema']}.{self.rows[row]['table']}"


# ---------------------------------------------------------------------------------- the dialog
def _hbox(*widgets) -> QHBoxLayout:
    """A row of widgets (None: a stretch there)."""
    box = QHBoxLayout()
    for w in widgets:
        box.addStretch(1) if w is None else box.addWidget(w)
    return box


class OpenDatabaseDialog(QDialog):
    """Connection, tables, server-side filters; Open emits ``opened`` with a LoadedProject.

    ``message`` (a label) shows progress and every error; the dialog stays open on an error.
    """

    opened = Signal(object)

    def __init__(self, tasks, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setWindowTitle("Open from database")
        resize_within_screen(self, 720, 540)
        self.tasks = tasks
        self.error: Optional[str] = None
        self._address = None
        self._workers: dict = {}  # key -> the Worker this dialog started

        self.address_edit = QLineEdit(str(app_settings.settings().value(LAST_STORE_KEY) or ""))
        self.address_edit.setPlaceholderText(ADDRESS_HINT)
        self.address_edit.setToolTip("A libpq URL or a service name (pg:SERVICE, from ~/.pg_service.conf)")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("only if ~/.pgpass or the service has none")
        self.password_edit.setToolTip("Used for this session only: never saved")
        self.list_button = QPushButton("List tables")
        self.list_button.clicked.connect(self.list_tables)
        self.address_edit.textChanged.connect(lambda _t: self.tables.set_rows([]))  # another database
        connection = QGroupBox("Connection")
        form = QFormLayout(connection)
        form.addRow("Address", self.address_edit)
        form.addRow("Password", _hbox(self.password_edit, self.list_button))

        self.tables = TablesModel()
        self.table_view = QTableView()
        self.table_view.setObjectName("storeTables")
        self.table_view.setModel(self.tables)
        self.table_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table_view.verticalHeader().hide()
        self.table_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table_view.doubleClicked.connect(lambda _i: self.open_store())
        tables = QGroupBox("Incidents tables")
        QVBoxLayout(tables).addWidget(self.table_view)

        self.types_edit = QLineEdit()
        self.types_edit.setPlaceholderText("All crime types (or e.g. Burglary, Drugs)")
        self.types_edit.setToolTip("Keep these crime types (comma-separated, any case)")
        self.use_from, self.date_from = QCheckBox("From"), QDateEdit()
        self.use_to, self.date_to = QCheckBox("To"), QDateEdit()
        for tick, edit in ((self.use_from, self.date_from), (self.use_to, self.date_to)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setDate(QDate.currentDate())
            edit.setEnabled(False)
            tick.toggled.connect(edit.setEnabled)
        self.area_edit = QLineEdit()
        self.area_edit.setPlaceholderText("All areas (or the start of an area or LSOA name)")
        filters = QGroupBox("Filters (applied by the server: only these incidents are read)")
        ff = QFormLayout(filters)
        ff.addRow("Crime types", self.types_edit)
        ff.addRow("Dates", _hbox(self.use_from, self.date_from, self.use_to, self.date_to, None))
        ff.addRow("Area", self.area_edit)

        self.message = message_label("Give the address and press List tables.", "storeMessage")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.open_button = QPushButton("Open")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_store)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        for w, stretch in ((connection, 0), (tables, 1), (filters, 0), (self.message, 0)):
            layout.addWidget(w, stretch)
        layout.addLayout(_hbox(self.progress, None, self.open_button, self.cancel_button))
        self._update_buttons()

    # ------------------------------------------------------------------ state read from the widgets
    def chosen_table(self) -> Optional[str]:
        rows = self.table_view.selectionModel().selectedRows()
        return self.tables.name(rows[0].row()) if rows else None

    def address(self, table: bool = True):
        return store_address(self.address_edit.text(), self.password_edit.text(),
                             self.chosen_table() if table else None)

    def filters(self):
        from analysis.filters import Filters

        types = tuple(t.strip() for t in self.types_edit.text().split(",") if t.strip())
        lo = self.date_from.date().toPython() if self.use_from.isChecked() else None
        hi = self.date_to.date().toPython() if self.use_to.isChecked() else None
        if lo and hi and lo > hi:
            raise BeatwiseError(f"the date range is empty: {lo:%d/%m/%Y} is after {hi:%d/%m/%Y}")
        return Filters(crime_types=types, date_from=lo, date_to=hi, area=self.area_edit.text().strip() or None)

    def running(self) -> bool:
        """Whether a task this dialog started runs (not, say, the window's own opening of the demo)."""
        return any(self.tasks.tasks.get(k) is not None and self.tasks.tasks[k].worker is w
                   for k, w in self._workers.items())

    # ------------------------------------------------------------------ actions
    def list_tables(self) -> None:
        try:
            address = self.address(table=False)
        except BeatwiseError as exc:
            return self._failed(str(exc))
        self.tables.set_rows([])
        self._run("store_tables", "Listing tables", store_tables, address, on_done=self._listed,
                  text=f"Listing the tables of {address.redacted()}...")

    def open_store(self) -> None:
        if self.running():
            return
        try:
            address, filters = self.address(), self.filters()
        except BeatwiseError as exc:
            return self._failed(str(exc))
        self._address = address
        self._run("project", "Opening", open_store, address, filters, on_done=self._opened,
                  text=f"Reading {address.schema}.{address.table} ({filters.describe()})...")

    def cancel(self) -> None:
        """Stop what runs (the dialog stays open), or close when nothing runs."""
        if self.running():
            self._stop()
        else:
            self.reject()

    def reject(self) -> None:
        self._stop()
        super().reject()

    def _stop(self) -> None:
        for worker in self._workers.values():
            worker.cancel()

    # ------------------------------------------------------------------ task plumbing
    def _run(self, key: str, label: str, fn, *args, on_done, text: str) -> None:
        self.error = None
        self._show(text)
        self.progress.setValue(0)
        self.progress.show()
        worker = self.tasks.start(key, label, fn, *args, on_done=lambda r: self._ended(on_done, r),
                                  on_error=self._failed, on_cancel=self._cancelled)
        worker.signals.progress.connect(self._progress)
        self._workers[key] = worker
        self._update_buttons()

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        if message:
            self._show(message)

    def _ended(self, then, result) -> None:
        self.progress.hide()
        then(result)
        self._update_buttons()

    def _listed(self, rows: list[dict]) -> None:
        self.tables.set_rows(rows)
        if not rows:
            return self._failed("No Beatwise incidents tables in this database: load one with "
                                "beatwise store load FILES... ADDRESS")
        text = self.address_edit.text()
        wanted = None
        if "table=" in text.lower():  # the address names its table: select it, else the first
            try:
                a = store_address(text)
                wanted = f"{a.schema}.{a.table}"
            except BeatwiseError:
                pass
        names = [self.tables.name(i) for i in range(len(rows))]
        self.table_view.selectRow(names.index(wanted) if wanted in names else 0)
        self._show("One incidents table: set the filters and press Open." if len(rows) == 1 else
                   f"{len(rows)} incidents tables: pick one, set the filters and press Open.")

    def _opened(self, loaded) -> None:
        s = app_settings.settings()
        s.setValue(LAST_STORE_KEY, self._address.redacted())  # never the password
        s.sync()
        self._show(f"Opened {len(loaded.project.incidents):,} incidents.")
        self.opened.emit(loaded)
        self.accept()

    def _failed(self, message: str) -> None:
        self.progress.hide()
        self.error = message
        self._show(message, error=True)
        self._update_buttons()

    def _cancelled(self) -> None:
        self.progress.hide()
        self._show("Cancelled: nothing was changed.")
        self._update_buttons()

    def _show(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setText(text)

    def _update_buttons(self) -> None:
        running = self.running()
        self.list_button.setEnabled(not running)
        self.open_button.setEnabled(not running)
        self.cancel_button.setText("Stop" if running else "Cancel")


def open_database_dialog(window) -> Optional[OpenDatabaseDialog]:
    """File > Open from database on ``window`` (a MainWindow): after Save/Discard of the open
    project, the dialog; the store it opens becomes the window's project."""
    if not window.maybe_save(lambda: open_database_dialog(window)):
        return None
    dialog = OpenDatabaseDialog(window.tasks, window)
    dialog.opened.connect(window._loaded)
    dialog.open()
    window.import_window = dialog
    return dialog
