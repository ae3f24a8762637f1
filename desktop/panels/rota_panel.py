"""Rota dock: the team (a table of officers: id, name, rank, hours a week, nights, leave, fixed
rest days; filled with a numbered team of constables and sergeants, or loaded from a team CSV/XLSX
as ``beatwise rota --team``; kept in the project's settings), tour templates, rule pack, weeks and
cycle; Run makes a rota with :func:`desktop.tasks.run_rota` (CP-SAT, cancellable from the status bar); the
rota is a coloured grid of officers x days. Typing a code into a cell (a template code, ``R`` or
``AL``) re-checks every rule at once (:func:`analysis.staffing.rota_check.check_rota`) and updates
the coverage. Export writes the same files as ``beatwise rota --out``."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.views.fit import fill_with_scrolled, message_label

DEFAULT_TEMPLATES = "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"
TOUR_COLOURS = ("#f6c85f", "#6f9fd8", "#8f8fd8", "#9dd866", "#ef8a62", "#8dddd0")
REST_COLOUR, LEAVE_COLOUR, BAD_COLOUR = "#ffffff", "#d9d9d9", "#e41a1c"
#: The team table's headers, one per :data:`analysis.staffing.team.TEAM_COLUMNS` entry.
TEAM_HEADERS = ("ID", "Name", "Rank", "Hours/week", "Nights OK", "Leave", "Rest days")
COL_ID, COL_NAME, COL_RANK, COL_HOURS, COL_NIGHTS, COL_LEAVE, COL_REST = range(7)
TEAM_SOURCE = "Team table"          # how messages name the table: "Team table, row 3: ..."
TEAM_SETTING = "rota_team"          # the project setting: the table's rows as text (TEAM_COLUMNS)
DATES_TIP = "Dates: 2027-01-05;2027-01-06 or a range 2027-01-05..2027-01-09"


def next_monday(today: Optional[dt.date] = None) -> dt.date:
    today = today or dt.date.today()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


class RotaPanel(QWidget):
    """Signals: ``failed(str)`` (a message for the user), ``message(str)`` (for the status bar)."""

    failed = Signal(str)
    message = Signal(str)

    def __init__(self, model, tasks, parent: Optional[QWidget] = None):
        super().__init__(parent)
        from analysis.staffing.rules import pack_names

        self.model, self.tasks = model, tasks
        self.run_result = None          # the RotaRun shown
        self.rota = None                # the rota shown, with the user's edits
        self.check = None
        self.team_edited = False        # the table is the user's (edited or loaded), not numbered
        self._filling = False
        self.officers = QSpinBox(minimum=1, maximum=200, value=7)
        self.sergeants = QSpinBox(minimum=0, maximum=50, value=2)
        numbered_tip = ("{}: changing this rebuilds the team table as full-time {} while the table "
                        "has not been edited; once it has been edited or loaded it is left alone "
                        "(Numbered team rebuilds it, dropping the edits)")
        self.officers.setToolTip(numbered_tip.format("Constables", "PC01, PC02, ..."))
        self.sergeants.setToolTip(numbered_tip.format("Sergeants", "PS01, PS02, ..."))
        self.officers.valueChanged.connect(self._numbers_changed)
        self.sergeants.valueChanged.connect(self._numbers_changed)
        self.team_table = QTableWidget(0, len(TEAM_HEADERS))
        self.team_table.setHorizontalHeaderLabels(TEAM_HEADERS)
        self.team_table.verticalHeader().setVisible(False)
        self.team_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.team_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.team_table.horizontalHeader().setStretchLastSection(True)
        for col, tip in ((COL_ID, "Officer id (unique), e.g. a collar number"),
                         (COL_RANK, "PC, PS (sergeant: supervises) or PCSO"),
                         (COL_HOURS, "Contracted hours a week: 40 full time, fewer for part-timers (1..48)"),
                         (COL_NIGHTS, "Unticked: no night tours for this officer"),
                         (COL_LEAVE, "Annual leave (AL). " + DATES_TIP),
                         (COL_REST, "Fixed rest days (R). " + DATES_TIP)):
            self.team_table.horizontalHeaderItem(col).setToolTip(tip)
        self.team_table.itemChanged.connect(lambda _item: self._team_changed())
        self.add_button = QPushButton("Add officer")
        self.add_button.clicked.connect(self.add_officer)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected officers")
        self.remove_button.clicked.connect(self.remove_officers)
        self.load_button = QPushButton("Load team...")
        self.load_button.setToolTip("A team CSV or XLSX (columns officer_id, name, rank, hours_per_week, "
                                    "nights_ok, leave, rest_days), as beatwise rota --team")
        self.load_button.clicked.connect(lambda: self.load_team())
        self.numbered_button = QPushButton("Numbered team")
        self.numbered_button.setToolTip("Rebuild the table as the numbered team of the Constables and "
                                        "Sergeants boxes, dropping its edits")
        self.numbered_button.clicked.connect(self.numbered)
        self.team_status = message_label()
        self.team_status.setVisible(False)
        self.templates = QLineEdit(DEFAULT_TEMPLATES)
        self.templates.setToolTip("Tour templates: CODE=HH:MM-HH:MM, comma-separated (at most 12 h)")
        self.rules = QComboBox()
        for name in pack_names():
            self.rules.addItem(name, name)
        self.rules.setCurrentText("england-wales")
        self.rules.setToolTip("The rule pack: a shipped one, or your own TOML copy (File...), every number "
                              "editable; each rule is marked law or guidance")
        self.rules_file_button = QPushButton("File...")
        self.rules_file_button.setToolTip("Use your own rule pack (a TOML copy of a shipped pack with your numbers)")
        self.rules_file_button.clicked.connect(lambda: self.use_rules_file())
        rules_row = QHBoxLayout()
        rules_row.addWidget(self.rules, 1)
        rules_row.addWidget(self.rules_file_button)
        self.weeks = QSpinBox(minimum=1, maximum=104, value=13)
        self.cycle = QSpinBox(minimum=-1, maximum=52, value=-1)
        self.cycle.setSpecialValueText("default")
        self.cycle.setToolTip("Rotating cycle in weeks; default: a whole number of cycles over the "
                              "horizon; 0 = a free roster")
        self.start_date = QDateEdit(calendarPopup=True)
        self.start_date.setDisplayFormat("yyyy-MM-dd")
        d = next_monday()
        self.start_date.setDate(QDate(d.year, d.month, d.day))
        self.time_limit = QDoubleSpinBox(minimum=1, maximum=3600, value=30, suffix=" s")
        numbers = QHBoxLayout()
        for label, w in (("Constables", self.officers), ("Sergeants", self.sergeants)):
            numbers.addWidget(QLabel(label))
            numbers.addWidget(w)
        numbers.addStretch(1)
        team_buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.load_button, self.numbered_button):
            team_buttons.addWidget(b)
        team_buttons.addStretch(1)
        team_box = QGroupBox("Team")
        team_layout = QVBoxLayout(team_box)
        team_layout.addLayout(numbers)
        team_layout.addWidget(self.team_table)
        team_layout.addLayout(team_buttons)
        team_layout.addWidget(self.team_status)
        form = QFormLayout()
        for label, w in (("Tours", self.templates), ("Rules", rules_row), ("Weeks", self.weeks),
                         ("Cycle (weeks)", self.cycle), ("First day", self.start_date),
                         ("Time limit", self.time_limit)):
            form.addRow(label, w)
        self.run_button = QPushButton("Make rota")
        self.run_button.clicked.connect(self.start)
        self.export_button = QPushButton("Export...")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(lambda: self.export())
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        self.coverage_label = QLabel("–")
        font = QFont()
        font.setPointSize(18)
        font.setBold(True)
        self.coverage_label.setFont(font)
        self.status = message_label()
        self.rules_label = message_label()
        self.grid = QTableWidget(0, 0)
        self.grid.itemChanged.connect(self._edited)
        page = QWidget()                  # scrolled: a short dock scrolls instead of growing the window
        layout = QVBoxLayout(page)
        layout.addWidget(team_box)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.coverage_label)
        layout.addWidget(self.status)
        layout.addWidget(self.rules_label)
        self.grid.setMinimumHeight(220)
        layout.addWidget(self.grid, 1)
        fill_with_scrolled(self, page)
        self.numbered(store=False)

    # ------------------------------------------------------------------ the team
    def set_team_rows(self, rows, edited: bool = True, store: bool = True) -> None:
        """Fill the team table with rows of text keyed by ``TEAM_COLUMNS`` (missing keys: the
        defaults); ``edited``: the rows are the user's (kept in the project, left alone by the
        Constables/Sergeants boxes); ``store``: keep the change in the project."""
        from analysis.staffing.team import RANKS

        self._filling = True
        t = self.team_table
        t.blockSignals(True)
        t.setRowCount(0)
        for row in rows:
            r = t.rowCount()
            t.insertRow(r)
            for col, key in ((COL_ID, "officer_id"), (COL_NAME, "name"), (COL_HOURS, "hours_per_week"),
                             (COL_LEAVE, "leave"), (COL_REST, "rest_days")):
                default = "40" if key == "hours_per_week" else ""
                t.setItem(r, col, QTableWidgetItem(str(row.get(key, default) or default)))
            t.item(r, COL_LEAVE).setToolTip(DATES_TIP)
            t.item(r, COL_REST).setToolTip(DATES_TIP)
            rank = QComboBox()
            rank.addItems(RANKS)
            text = str(row.get("rank") or "PC").strip().upper()
            if text not in RANKS:       # a loaded file is validated first; kept visible anyway
                rank.addItem(text)
            rank.setCurrentText(text)
            rank.currentTextChanged.connect(lambda _text: self._team_changed())
            t.setCellWidget(r, COL_RANK, rank)
            nights = QTableWidgetItem()
            nights.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                            | Qt.ItemFlag.ItemIsSelectable)
            ok = str(row.get("nights_ok", "yes")).strip().lower() not in ("no", "n", "false", "f", "0")
            nights.setCheckState(Qt.CheckState.Checked if ok else Qt.CheckState.Unchecked)
            t.setItem(r, COL_NIGHTS, nights)
        t.blockSignals(False)
        self._size_team_columns()
        self._filling = False
        self.team_edited = edited
        self._say("")
        if store:
            self._store_team()

    def _size_team_columns(self) -> None:
        """Fit the columns to their text, with room to type a name and a date range."""
        t = self.team_table
        t.resizeColumnsToContents()
        wide = t.fontMetrics().horizontalAdvance("2027-01-05..2027-01-09") + 16
        for col, least in ((COL_NAME, t.fontMetrics().horizontalAdvance("Firstname Surname")),
                           (COL_LEAVE, wide), (COL_REST, wide // 2)):
            t.setColumnWidth(col, max(t.columnWidth(col), least))
        t.resizeRowsToContents()
        rows = min(max(t.rowCount(), 5), 10)      # up to 10 officers without scrolling the table
        row_h = t.rowHeight(0) if t.rowCount() else t.verticalHeader().defaultSectionSize()
        t.setMinimumHeight(t.horizontalHeader().sizeHint().height() + rows * row_h
                           + t.horizontalScrollBar().sizeHint().height() + 2 * t.frameWidth() + 2)

    def _say(self, text: str) -> None:
        """A message under the team table (hidden when there is none)."""
        self.team_status.setText(text)
        self.team_status.setVisible(bool(text))

    def team_rows(self) -> list[dict]:
        """The table as rows of text keyed by ``TEAM_COLUMNS`` (what the project keeps)."""
        t = self.team_table
        out = []
        for r in range(t.rowCount()):
            def text(col):
                item = t.item(r, col)
                return item.text().strip() if item is not None else ""
            nights = t.item(r, COL_NIGHTS)
            out.append({"officer_id": text(COL_ID), "name": text(COL_NAME),
                        "rank": t.cellWidget(r, COL_RANK).currentText(),
                        "hours_per_week": text(COL_HOURS),
                        "nights_ok": "yes" if nights is None or nights.checkState() == Qt.CheckState.Checked
                        else "no",
                        "leave": text(COL_LEAVE), "rest_days": text(COL_REST)})
        return out

    def team(self):
        """The table's officers (:func:`analysis.staffing.team.officers_from_rows`).

        Raises
        ------
        BeatwiseError
            ``"Team table, row N: REASON"``.
        """
        from analysis.staffing.team import officers_from_rows

        return officers_from_rows(self.team_rows(), source=TEAM_SOURCE)

    def numbered(self, store: bool = True) -> None:
        """The table as the numbered team of the Constables and Sergeants boxes (not edited)."""
        from analysis.staffing.team import numbered_team, team_rows

        self.set_team_rows(team_rows(numbered_team(self.officers.value(), self.sergeants.value())),
                           edited=False, store=store)

    def _numbers_changed(self) -> None:
        if not self.team_edited:
            self.numbered()

    def add_officer(self) -> None:
        """A new full-time constable row with the next free PC id, selected for editing."""
        ids = {row["officer_id"] for row in self.team_rows()}
        n = next(k for k in range(1, len(ids) + 2) if f"PC{k:02d}" not in ids)
        self.set_team_rows(self.team_rows() + [{"officer_id": f"PC{n:02d}"}])
        last = self.team_table.rowCount() - 1
        self.team_table.selectRow(last)
        self.team_table.scrollToItem(self.team_table.item(last, COL_ID))

    def remove_officers(self) -> None:
        """Remove the selected rows (a message when none is selected)."""
        chosen = sorted({i.row() for i in self.team_table.selectedIndexes()})
        if not chosen:
            self._say("Select the officers to remove (click their rows), then Remove.")
            return
        rows = [row for r, row in enumerate(self.team_rows()) if r not in chosen]
        self.set_team_rows(rows)

    def load_team(self, path=None) -> bool:
        """Fill the table from a team CSV/XLSX (:func:`analysis.staffing.team.read_team`); a file
        that cannot be read leaves the table alone and says why (file and row) in the panel."""
        from analysis.progress import BeatwiseError
        from analysis.staffing.team import read_team, team_rows

        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Load a team", "",
                                                    "Team tables (*.csv *.xlsx *.xlsm);;All files (*)")
            if not chosen:
                return False
            path = chosen
        try:
            team = read_team(path)
        except BeatwiseError as exc:
            self._say(f"Team not loaded: {exc}")
            return False
        self.set_team_rows(team_rows(team))
        self._say(f"{len(team)} officers loaded from {Path(path).name}.")
        return True

    def _team_changed(self) -> None:
        if self._filling:
            return
        self.team_edited = True
        self._say("")
        self._store_team()

    def _store_team(self) -> None:
        """Keep an edited table in the project (a numbered one is not kept: the boxes make it)."""
        self.model.set_setting(TEAM_SETTING, self.team_rows() if self.team_edited else None)

    def set_project(self, project) -> None:
        """The team kept in the project's settings, or the numbered team of the boxes (restoring
        changes nothing in the project)."""
        rows = project.settings.get(TEAM_SETTING) if project is not None else None
        if rows:
            self.set_team_rows(rows, edited=True, store=False)
        else:
            self.numbered(store=False)

    # ------------------------------------------------------------------ running
    def start(self):
        """Run :func:`desktop.tasks.run_rota` as this panel's task; None without a project."""
        from desktop.tasks import run_rota

        from analysis.progress import BeatwiseError

        m = self.model
        if not m.has_project:
            return None
        try:
            team = self.team()
        except BeatwiseError as exc:
            self._say(str(exc))
            self.status.setText("Not made: correct the team table.")
            return None
        q = self.start_date.date()
        args = (m.project.incidents, m.filters, team, self.templates.text(), self.rules_choice(), self.weeks.value(),
                self.cycle.value(), dt.date(q.year(), q.month(), q.day()), self.time_limit.value())
        self.status.setText("Making the rota...")
        return self.tasks.start("rota", "Rota", run_rota, *args, on_done=self.show_run,
                                on_error=self._failed)

    def _failed(self, text: str) -> None:
        self.status.setText(text)
        self.failed.emit(text)

    # ------------------------------------------------------------------ the rule pack
    def rules_choice(self) -> str:
        """The chosen pack's name, or the path of the user's TOML file."""
        return self.rules.currentData() or self.rules.currentText()

    def use_rules_file(self, path=None) -> None:
        """Add a TOML rule pack (asked for when ``path`` is None) to the list and choose it; it is
        read when the rota is made, and a bad file is a message in the panel then."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Use a rule pack", "", "Rule pack (*.toml)")
            if not chosen:
                return
            path = chosen
        path = str(Path(path))
        i = self.rules.findData(path)
        if i < 0:
            self.rules.addItem(f"{Path(path).name} (file)", path)
            i = self.rules.count() - 1
            self.rules.setItemData(i, path, Qt.ItemDataRole.ToolTipRole)
        self.rules.setCurrentIndex(i)

    # ------------------------------------------------------------------ results
    def show_run(self, run) -> None:
        """Show a :class:`desktop.tasks.RotaRun` (None clears the panel)."""
        self.run_result = run
        res = None if run is None else run.result
        if res is None or not res.feasible:
            self.rota = self.check = None
            self.grid.clear()
            self.grid.setRowCount(0)
            self.coverage_label.setText("–")
            self.status.setText("" if res is None else res.status)
            self.rules_label.setText("")
            self.export_button.setEnabled(False)
            return
        self.rota = res.rota
        cycle = f"{res.cycle_weeks}-week cycle" if res.cycle_weeks else "free roster"
        self.status.setText(f"{res.status}, proven gap {res.gap_coverage:.1%} of demand, "
                            f"{res.solve_seconds:.0f} s; {cycle}")
        self._fill()
        self._recheck()
        self.export_button.setEnabled(True)
        self.message.emit(f"Rota ready: coverage {self.check.coverage:.1%}")

    def _colour(self, code: str) -> str:
        codes = [t.code for t in self.rota.templates]
        if code in codes:
            return TOUR_COLOURS[codes.index(code) % len(TOUR_COLOURS)]
        return LEAVE_COLOUR if code == "AL" else REST_COLOUR

    def _fill(self) -> None:
        rota = self.rota
        holidays = self.run_result.result.bank_holidays
        self.grid.blockSignals(True)
        self.grid.clear()
        self.grid.setRowCount(len(rota.officers))
        self.grid.setColumnCount(rota.days)
        self.grid.setVerticalHeaderLabels([f"{o.officer_id} {o.rank}" for o in rota.officers])
        self.grid.setHorizontalHeaderLabels([d.strftime("%a\n%d %b") + ("\nBH" if d in holidays else "")
                                             for d in rota.dates])
        for i, row in enumerate(rota.cells):
            for d, code in enumerate(row):
                item = QTableWidgetItem(code)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(QColor(self._colour(code))))
                self.grid.setItem(i, d, item)
        self.grid.resizeColumnsToContents()
        self.grid.blockSignals(False)

    def _edited(self, item: QTableWidgetItem) -> None:
        """A typed code: kept if it is a template code, R or AL (else put back), then re-checked."""
        if self.rota is None:
            return
        i, d = item.row(), item.column()
        code = item.text().strip().upper()
        allowed = {t.code for t in self.rota.templates} | {"R", "AL"}
        self.grid.blockSignals(True)
        if code not in allowed:
            item.setText(self.rota.cells[i][d])
            self.grid.blockSignals(False)
            self.status.setText(f"{item.text()!r} kept: give one of {', '.join(sorted(allowed))}")
            return
        item.setText(code)
        item.setBackground(QBrush(QColor(self._colour(code))))
        self.grid.blockSignals(False)
        cells = [list(r) for r in self.rota.cells]
        cells[i][d] = code
        import dataclasses
        self.rota = dataclasses.replace(self.rota, cells=tuple(tuple(r) for r in cells))
        self._recheck()

    def _recheck(self) -> None:
        from analysis.staffing.rota_check import check_rota

        self.check = check_rota(self.rota, self.run_result.rules, self.run_result.demand)
        self.coverage_label.setText(f"Coverage {self.check.coverage:.1%}")
        broken = [r for r in self.check.results if not r.ok]
        if not broken:
            self.rules_label.setText("Every hard rule kept.")
        else:
            lines = [f"{v.rule}: {v.officer_id or 'team'} {v.first:%d %b}-{v.last:%d %b}: {v.text}"
                     for v in self.check.violations if v.rule in {r.name for r in broken}][:6]
            self.rules_label.setText("Broken: " + ", ".join(r.name for r in broken) + "\n"
                                     + "\n".join(lines))
        bad = {(v.officer_id, v.first) for v in self.check.violations
               if v.rule in {r.name for r in broken}}
        ids = [o.officer_id for o in self.rota.officers]
        self.grid.blockSignals(True)
        for i, oid in enumerate(ids):
            for d, day in enumerate(self.rota.dates):
                item = self.grid.item(i, d)
                if item is not None:
                    item.setForeground(QBrush(QColor(BAD_COLOUR if (oid, day) in bad else "#000000")))
        self.grid.blockSignals(False)

    def export(self, folder: Optional[Path] = None) -> list:
        """rota.csv, rota.xlsx, rota.pdf and one .ics per officer, as the user edited it."""
        from analysis.export.rota_files import write_officer_ics, write_rota_csv, write_rota_xlsx
        from analysis.export.rota_pdf import write_rota_pdf

        if self.rota is None:
            return []
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, "Export the rota to a folder")
            if not chosen:
                return []
            folder = Path(chosen)
        holidays = self.run_result.result.bank_holidays
        files = [write_rota_csv(folder / "rota.csv", self.rota, self.check, holidays),
                 write_rota_xlsx(folder / "rota.xlsx", self.rota, self.check, holidays),
                 write_rota_pdf(folder / "rota.pdf", self.rota, self.check, self.run_result.demand,
                                title="Rota", holidays=holidays,
                                rules_name=self.run_result.rules.title)]
        files += write_officer_ics(folder, self.rota, holidays)
        self.message.emit(f"Rota exported to {folder}")
        return files
