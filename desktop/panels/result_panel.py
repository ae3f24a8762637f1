"""The life of a dock that runs one analysis task and shows its result (Over time, Forecast).

:class:`ResultPanel` holds what those docks share: the ``failed`` / ``message`` signals, starting
the task of its :attr:`~ResultPanel.KEY` on the filtered incidents through the TaskManager (progress
and Cancel in the status bar, the result handed to the model), and dropping the result when the
project or the filters change (it described other incidents). A subclass builds its controls,
sets ``self.status`` (a label), calls :meth:`follow_the_model` and draws in :meth:`show_run`.
"""
from __future__ import annotations

import html
from typing import Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class ResultPanel(QWidget):
    """Signals: ``failed(str)`` (a message for the user), ``message(str)`` (for the status bar)."""

    failed = Signal(str)
    message = Signal(str)
    #: The task's and the model result's key, and the task's label in the status bar.
    KEY = ""
    LABEL = ""

    def __init__(self, model, tasks, map_view, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.model, self.tasks, self.map = model, tasks, map_view
        self.run = None

    def follow_the_model(self) -> None:
        """Drop the result on another project or other filters; show the model's result when it comes."""
        self.model.datasetChanged.connect(self._stale)
        self.model.filtersChanged.connect(self._stale)
        self.model.resultReady.connect(self._result_ready)
        self.show_run(None)

    def start_task(self, busy_text: str, fn, *args):
        """``fn(incidents, filters, *args)`` as this panel's task; None without a project."""
        m = self.model
        if not m.has_project:
            return None
        self.status.setText(busy_text)
        return self.tasks.start(self.KEY, self.LABEL, fn, m.project.incidents, m.filters, *args,
                                on_done=lambda r: m.set_result(self.KEY, r), on_error=self._failed,
                                on_cancel=lambda: self.status.setText("Cancelled: nothing was changed."))

    def _failed(self, message: str) -> None:
        self.status.setText(f"<span style='color:#b00'>{html.escape(message)}</span>")
        self.failed.emit(message)

    def _stale(self) -> None:
        """Another project or other filters: the result described other incidents."""
        self.tasks.cancel(self.KEY)
        self.model.clear_result(self.KEY)
        self.show_run(None)

    def _result_ready(self, kind: str) -> None:
        if kind == self.KEY:
            self.show_run(self.model.result(self.KEY))

    def show_run(self, run) -> None:  # drawn by each panel
        raise NotImplementedError
