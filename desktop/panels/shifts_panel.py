"""Shifts dock (being wired to analysis/shifts.py)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ShiftsPanel(QWidget):
    runRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel("Shift recommendation: waiting for analysis/shifts.py")
        QVBoxLayout(self).addWidget(self.label)

    def set_project(self, project) -> None:
        pass

    def show_plan(self, plan) -> None:
        pass

    def applicable(self, model) -> bool:
        return False

    def job(self, model):
        return None
