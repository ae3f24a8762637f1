"""When incidents happened, for any data: the 7 x 24 heatmap where there are times of day, else
incidents per month (bars) and per crime type (a table), as the profile announces.

:class:`ProfileView` takes an :class:`analysis.temporal.matrix.TemporalProfile` and picks the view:
month-only data (data.police.uk) has ``matrix`` None and its ``by_month`` / ``by_crime_type``
series instead, which an empty heatmap would hide.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QStackedWidget, QTableWidget,
                               QTableWidgetItem, QWidget)

from desktop.views.heatmap_view import HeatmapView, style_axes

BAR_COLOUR = (31, 95, 168)


def month_label(month: str, short: bool = False) -> str:
    """``"2024-03"`` -> ``"Mar 2024"`` (``"Mar"`` with ``short``)."""
    try:
        d = date(int(month[:4]), int(month[5:7]), 1)
    except (ValueError, IndexError):
        return month
    return d.strftime("%b") if short else d.strftime("%b %Y")


#: Made once: combining Qt's flags costs more than making the cell (tens of thousands of street rows).
_NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_USER_ROLE = Qt.ItemDataRole.UserRole


def number_item(value: float, text: str) -> QTableWidgetItem:
    """A right-aligned cell that sorts by ``value``."""
    item = QTableWidgetItem(text)
    item.setData(_USER_ROLE, value)
    item.setTextAlignment(_NUMBER_ALIGNMENT)
    return item


class MonthBars(pg.PlotWidget):
    """Incidents per month as bars (oldest at the left), the value of a bar on hover."""

    def __init__(self, parent: Optional[QWidget] = None, *, compact: bool = False):
        super().__init__(parent, background="w")
        self.setMinimumHeight(110 if compact else 140)
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.getViewBox().setMouseEnabled(False, False)
        style_axes(pi.getAxis("left"), pi.getAxis("bottom"))
        pi.getAxis("left").setLabel("incidents", color="#333")
        self.months: list[str] = []
        self.values = np.zeros(0)
        self.bars: Optional[pg.BarGraphItem] = None
        self.hover = ""
        self.scene().sigMouseMoved.connect(self._moved)

    def set_series(self, by_month: dict) -> None:
        """Draw ``{"YYYY-MM": weight}`` (every month between the first and the last)."""
        pi = self.getPlotItem()
        if self.bars is not None:
            pi.removeItem(self.bars)
            self.bars = None
        self.months = list(by_month)
        self.values = np.array([float(v) for v in by_month.values()])
        if not self.months:
            return
        x = np.arange(len(self.months), dtype=float)
        self.bars = pg.BarGraphItem(x=x, height=self.values, width=0.7, brush=pg.mkBrush(*BAR_COLOUR),
                                    pen=pg.mkPen(None))
        pi.addItem(self.bars)
        step = max(1, int(np.ceil(len(self.months) / 6)))  # six labels at most: the dock is narrow
        bottom = pi.getAxis("bottom")
        bottom.setTicks([[(i, month_label(m, short=True)) for i, m in enumerate(self.months) if i % step == 0],
                         [(i, "") for i in range(len(self.months))]])
        first, last = self.months[0][:4], self.months[-1][:4]
        bottom.setLabel(first if first == last else f"{first} – {last}", color="#333")
        pi.setXRange(-0.6, len(self.months) - 0.4, padding=0)
        pi.setYRange(0, float(self.values.max()) * 1.08 or 1.0, padding=0)

    def describe(self, i: int) -> str:
        return f"{month_label(self.months[i])}: {self.values[i]:,.0f} incidents"

    def _moved(self, pos) -> None:
        vb = self.getPlotItem().getViewBox()
        if not self.months or not vb.sceneBoundingRect().contains(pos):
            return
        i = int(round(vb.mapSceneToView(pos).x()))
        if 0 <= i < len(self.months):
            self.hover = self.describe(i)
            self.setToolTip(self.hover)


class CrimeTypeTable(QTableWidget):
    """Incidents per crime type, largest first, with the share of all."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Crime type", "Incidents", "Share"])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

    def set_series(self, by_type: dict) -> None:
        total = float(sum(by_type.values())) or 1.0
        self.setRowCount(len(by_type))
        for r, (name, value) in enumerate(by_type.items()):
            item = QTableWidgetItem(name)
            item.setToolTip(name)
            self.setItem(r, 0, item)
            self.setItem(r, 1, number_item(value, f"{value:,.0f}"))
            self.setItem(r, 2, number_item(value / total, f"{100 * value / total:.1f}%"))


class MonthView(QWidget):
    """A month-only profile: incidents per month beside incidents per crime type."""

    def __init__(self, parent: Optional[QWidget] = None, *, compact: bool = False):
        super().__init__(parent)
        self.bars = MonthBars(compact=compact)
        self.types = CrimeTypeTable()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bars, 2)
        layout.addWidget(self.types, 3)  # the crime types' names need the room

    def set_profile(self, profile) -> None:
        self.bars.set_series(profile.by_month)
        self.types.set_series(profile.by_crime_type)


class ProfileView(QStackedWidget):
    """The heatmap when the profile has a matrix, else the month view (or the heatmap's message
    when there is nothing to show)."""

    def __init__(self, parent: Optional[QWidget] = None, *, compact: bool = False):
        super().__init__(parent)
        self.heatmap = HeatmapView(compact=compact)
        self.month_view = MonthView(compact=compact)
        self.addWidget(self.heatmap)
        self.addWidget(self.month_view)

    @property
    def showing_months(self) -> bool:
        return self.currentWidget() is self.month_view

    def clear(self, message: str = "") -> None:
        self.heatmap.clear(message)
        self.setCurrentWidget(self.heatmap)

    def set_profile(self, profile, units: str = "incidents") -> None:
        if profile.matrix is not None:
            self.heatmap.set_matrix(profile.matrix, units, profile.peak)
            self.setCurrentWidget(self.heatmap)
        elif profile.by_month or profile.by_crime_type:
            self.heatmap.clear()
            self.month_view.set_profile(profile)
            self.setCurrentWidget(self.month_view)
        else:
            self.clear(profile.message)

    def set_change(self, change, units: str) -> None:
        self.heatmap.set_change(change, units)
        self.setCurrentWidget(self.heatmap)

