"""Rota dock: the team (constables, sergeants), tour templates, rule pack, weeks and cycle; Run
makes a rota with :func:`desktop.tasks.run_rota` (CP-SAT, cancellable from the status bar); the
rota is a coloured grid of officers x days. Typing a code into a cell (a template code, ``R`` or
``AL``) re-checks every rule at once (:func:`analysis.staffing.rota_check.check_rota`) and updates
the coverage. Export writes the same files as ``beatwise rota --out``."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QComboBox, QDateEdit, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QFrame, QHBoxLayout, QLabel, QScrollArea, QLineEdit, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.views.fit import message_label

DEFAULT_TEMPLATES = "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"
TOUR_COLOURS = ("#f6c85f", "#6f9fd8", "#8f8fd8", "#9dd866", "#ef8a62", "#8dddd0")
REST_COLOUR, LEAVE_COLOUR, BAD_COLOUR = "#ffffff", "#d9d9d9", "#e41a1c"


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
        self.officers = QSpinBox(minimum=1, maximum=200, value=7)
        self.officers.setToolTip("Full-time constables (PC01, PC02, ...)")
        self.sergeants = QSpinBox(minimum=0, maximum=50, value=2)
        self.templates = QLineEdit(DEFAULT_TEMPLATES)
        self.templates.setToolTip("Tour templates: CODE=HH:MM-HH:MM, comma-separated (at most 12 h)")
        self.rules = QComboBox()
        self.rules.addItems(pack_names())
        self.rules.setCurrentText("england-wales")
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
        form = QFormLayout()
        for label, w in (("Constables", self.officers), ("Sergeants", self.sergeants),
                         ("Tours", self.templates), ("Rules", self.rules), ("Weeks", self.weeks),
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
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.coverage_label)
        layout.addWidget(self.status)
        layout.addWidget(self.rules_label)
        self.grid.setMinimumHeight(220)
        layout.addWidget(self.grid, 1)
        area = QScrollArea()
        area.setWidget(page)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(area)

    # ------------------------------------------------------------------ running
    def start(self):
        """Run :func:`desktop.tasks.run_rota` as this panel's task; None without a project."""
        from desktop.tasks import run_rota

        m = self.model
        if not m.has_project:
            return None
        q = self.start_date.date()
        args = (m.project.incidents, m.filters, self.officers.value(), self.sergeants.value(),
                self.templates.text(), self.rules.currentText(), self.weeks.value(),
                self.cycle.value(), dt.date(q.year(), q.month(), q.day()), self.time_limit.value())
        self.status.setText("Making the rota...")
        return self.tasks.start("rota", "Rota", run_rota, *args, on_done=self.show_run,
                                on_error=self._failed)

    def _failed(self, text: str) -> None:
        self.status.setText(text)
        self.failed.emit(text)

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
