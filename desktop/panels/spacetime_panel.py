"""Over time dock: is it growing, and does it repeat?

Emerging hot spots (new, intensifying, persistent, diminishing... cells) go on the map as their own
layer, coloured as ``beatwise emerging`` colours them, with a legend of the classes present; the
near-repeat (Knox) test is a heat table (rows distance apart, columns time apart, each cell its Knox
ratio; significant cells marked) with its sentence. When the data cannot support one of them
(month-only data, too few time steps) the panel says why in plain words.

The panel owns its task (key ``spacetime``, through the TaskManager); every number comes from
:func:`desktop.tasks.run_spacetime` (:func:`analysis.spacetime.pipeline.spacetime_runs`).
"""
from __future__ import annotations

import html
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from desktop.panels.result_panel import ResultPanel
from desktop.views.fit import fill_with_scrolled, fit_table_height, message_label

#: Knox ratio at which a cell's colour is at its darkest.
RATIO_DARKEST = 3.0
SIGNIFICANT_MARK = " *"


def ratio_colour(ratio: float) -> QColor:
    """White at a Knox ratio of 1 (as chance gives), redder up to :data:`RATIO_DARKEST`, bluer below 1;
    grey where there is no ratio (no pairs expected)."""
    if not np.isfinite(ratio):
        return QColor(225, 225, 225)
    if ratio >= 1:
        f = min((ratio - 1) / (RATIO_DARKEST - 1), 1.0)
        return QColor(255, int(255 - 180 * f), int(255 - 200 * f))
    f = min(1 - ratio, 1.0)
    return QColor(int(255 - 150 * f), int(255 - 90 * f), 255)


def legend_html(present) -> str:
    """The classes present (``analysis.export.emerging_style.present_classes``) as swatches."""
    return "<br>".join(f"<span style='color:rgb{rgb}'>&#9632;</span> {html.escape(label)} ({n:,} cells)"
                       for _name, rgb, label, n in present)


class SpacetimePanel(ResultPanel):
    """Signals: ``failed(str)`` (a message for the user), ``message(str)`` (for the status bar)."""

    KEY, LABEL = "spacetime", "Over time"

    def __init__(self, model, tasks, map_view, parent: Optional[QWidget] = None):
        super().__init__(model, tasks, map_view, parent)
        from desktop.tasks import APP_PERMUTATIONS

        self.permutations = QSpinBox()
        self.permutations.setRange(19, 9999)
        self.permutations.setSingleStep(100)
        self.permutations.setValue(APP_PERMUTATIONS)
        self.permutations.setToolTip("Random shuffles of the dates for the near-repeat test: the smallest "
                                     "p-value is 1 / (shuffles + 1); more take longer "
                                     f"(default {APP_PERMUTATIONS}; beatwise nearrepeat uses 999)")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Emerging hot spots (weekly Gi* trends) and the near-repeat test of the "
                                   "incidents passing the filters")
        self.run_button.clicked.connect(self.start)
        top = QHBoxLayout()
        top.addWidget(QLabel("Permutations"))
        top.addWidget(self.permutations)
        top.addStretch(1)
        top.addWidget(self.run_button)
        self.status = message_label("Open a project, then Run.", "spacetimeStatus")

        self.emerging_text = message_label("", "emergingSummary")
        self.legend = message_label("", "emergingLegend")
        box = QGroupBox("Is it growing? Emerging hot spots")
        bl = QVBoxLayout(box)
        bl.addWidget(self.emerging_text)
        bl.addWidget(self.legend)

        self.table = QTableWidget(0, 0)
        self.table.setObjectName("knoxTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Knox ratio: pairs of incidents this close in space and time / pairs expected "
                              "by chance (dates shuffled). * : p <= 0.05 and a ratio above 1")
        self.knox_text = message_label("", "knoxSentence")
        kbox = QGroupBox("Does it repeat? Near-repeat (Knox) test")
        kl = QVBoxLayout(kbox)
        kl.addWidget(self.table)
        kl.addWidget(self.knox_text)

        page = QWidget()
        inner = QVBoxLayout(page)
        inner.addLayout(top)
        inner.addWidget(self.status)
        inner.addWidget(box)
        inner.addWidget(kbox)
        inner.addStretch(1)
        fill_with_scrolled(self, page, horizontal=False)  # a short dock scrolls, the window does not grow
        self.follow_the_model()

    # ------------------------------------------------------------------ running
    def start(self):
        """Run :func:`desktop.tasks.run_spacetime` as this panel's task; None without a project."""
        from desktop.tasks import run_spacetime

        return self.start_task("Computing emerging hot spots and the near-repeat test...", run_spacetime,
                               int(self.permutations.value()))

    # ------------------------------------------------------------------ results
    def show_run(self, run) -> None:
        self.run = run
        self.map.set_emerging(run.runs.emerging.result if run is not None and run.runs.emerging else None)
        if run is None:
            self.status.setText("Run to see whether hotspots are growing and whether incidents repeat nearby."
                                if self.model.has_project else "Open a project, then Run.")
            self.emerging_text.setText("")
            self.legend.setText("")
            self._show_knox(None, "")
            return
        r = run.runs
        self.status.setText(f"Incidents: {html.escape(run.filters.describe())}.")
        self._show_emerging(r.emerging, r.emerging_note)
        self._show_knox(r.knox, r.knox_note)
        self.message.emit("Over time: emerging hot spots on the map." + (f" {r.knox.result.sentence()}" if r.knox else ""))

    def _show_emerging(self, er, note: str) -> None:
        if er is None:
            self.emerging_text.setText(f"<b>No emerging hot spot analysis:</b> {html.escape(note)}")
            self.legend.setText("")
            return
        e = er.result
        lines = [f"<b>{e.n_patterned():,} of {e.summary()['n_cells']:,} cells</b> ({e.grid.cell_m:g} m) have a pattern over "
                 f"{len(e.steps)} {er.step}s, {html.escape(e.steps[0])} to {html.escape(e.steps[-1])}; "
                 f"{er.n_incidents:,} incidents, band {e.distance_m:.0f} m, {e.rules} rules. "
                 "Shown on the map (layer 'Emerging hot spots')."]
        for w in e.warnings:
            lines.append(f"<span style='color:#a60'>&#9888; {html.escape(w)}</span>")
        self.emerging_text.setText("<br>".join(lines))
        from analysis.export.emerging_style import present_classes

        present = present_classes(e.classes)
        self.legend.setText(legend_html(present) if present else "No cell has a pattern.")

    def _show_knox(self, kr, note: str) -> None:
        self.table.clear()
        if kr is None:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.table.setVisible(False)
            self.knox_text.setText(f"<b>No near-repeat test:</b> {html.escape(note)}" if note else "")
            return
        k = kr.result
        self.table.setVisible(True)
        self.table.setRowCount(len(k.distance_labels))
        self.table.setColumnCount(len(k.time_labels))
        self.table.setHorizontalHeaderLabels([t.replace(" days", "\ndays") for t in k.time_labels])
        self.table.setVerticalHeaderLabels(k.distance_labels)
        sig = k.significant()
        bold = QFont(self.table.font())
        bold.setBold(True)
        for i in range(len(k.distance_labels)):
            for j in range(len(k.time_labels)):
                ratio = float(k.knox_ratio[i, j])
                text = "–" if not np.isfinite(ratio) else f"{ratio:.2f}"
                item = QTableWidgetItem(text + (SIGNIFICANT_MARK if sig[i, j] else ""))
                item.setData(Qt.ItemDataRole.UserRole, ratio)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(ratio_colour(ratio)))
                item.setForeground(QBrush(QColor(20, 20, 20)))
                if sig[i, j]:
                    item.setFont(bold)
                item.setToolTip(f"{k.distance_labels[i]} apart, {k.time_labels[j]} apart: "
                                f"{int(k.observed[i, j]):,} pairs against {k.expected[i, j]:.2f} expected, "
                                f"p = {k.p_value[i, j]:.3f}")
                self.table.setItem(i, j, item)
        fit_table_height(self.table, self.table.rowCount())
        self.knox_text.setText(
            f"{html.escape(k.sentence())}<br><span style='color:#555'>{k.n_incidents:,} incidents with dates"
            + (f" ({kr.n_without_date:,} without)" if kr.n_without_date else "")
            + f", {k.metric} distance, {k.permutations} permutations; "
            "* marks p &le; 0.05 with a ratio above 1.</span>")
