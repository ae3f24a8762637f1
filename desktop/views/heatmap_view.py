"""The 7 x 24 hour-by-weekday heatmap (Monday at the top, midnight at the left) with hover values."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.views.fit import message_label

# = analysis.temporal.matrix.WEEKDAYS / WEEKDAY_ABBR (row 0 = Monday); local so the window opens
# before pandas and scipy are imported (tests/desktop/test_params.py checks they agree)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

SEQUENTIAL = "CET-L18"
DIVERGING = "CET-D1A"


def style_axes(*axes) -> None:
    """The charts' look: dark grey tick labels, mid-grey axis lines."""
    for axis in axes:
        axis.setTextPen(pg.mkPen(40, 40, 40))
        axis.setPen(pg.mkPen(120, 120, 120))


class HeatmapView(QWidget):
    """Shows a (7, 24) matrix. ``set_matrix(m, units)`` for counts, ``set_change(m, units)`` for a
    before/after difference (diverging colours, symmetric about 0). Hovering shows the value."""

    hovered = Signal(str)

    def __init__(self, parent: Optional[QWidget] = None, *, compact: bool = False):
        super().__init__(parent)
        self.matrix: Optional[np.ndarray] = None
        self.units = "incidents"
        self.diverging = False
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(110 if compact else 120)  # 120: the When dock shares its height with Over time
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        self.vb = item.getViewBox()
        self.vb.setMouseEnabled(False, False)
        self.vb.invertY(True)
        self.vb.setAspectLocked(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setRect(QRectF(0, 0, 24, 7))
        self.vb.addItem(self.image)
        self.peak_box = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        pen = pg.mkPen(20, 20, 90, width=2)
        pen.setCosmetic(True)
        self.peak_box.setPen(pen)
        self.peak_box.setVisible(False)
        self.vb.addItem(self.peak_box)
        self.vb.setRange(QRectF(0, 0, 24, 7), padding=0)
        left = item.getAxis("left")
        left.setTicks([[(i + 0.5, d) for i, d in enumerate(WEEKDAY_ABBR)]])
        bottom = item.getAxis("bottom")
        bottom.setTicks([[(h + 0.5, f"{h:02d}") for h in range(0, 24, 3)],
                         [(h + 0.5, "") for h in range(24)]])
        style_axes(left, bottom)
        bottom.setLabel("hour of day", color="#333")
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get(SEQUENTIAL), width=12,
                                   interactive=False, colorMapMenu=False)
        self.bar.setImageItem(self.image, insert_in=item)
        style_axes(self.bar.getAxis("right"))
        self.hover_label = message_label("Hover over a cell to see its value.", "hoverLabel", style="color: #333;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.hover_label)
        self.plot.scene().sigMouseMoved.connect(self._moved)

    def clear(self, message: str = "") -> None:
        self.matrix = None
        self.image.clear()
        self.peak_box.setVisible(False)
        self.hover_label.setText(message or "No hour-of-day data.")

    def set_matrix(self, matrix, units: str = "incidents", peak=None) -> None:
        self._show(np.asarray(matrix, dtype=float), units, diverging=False)
        if peak is not None:
            self.peak_box.setRect(peak.hour, peak.weekday, 1, 1)
            self.peak_box.setVisible(True)
        else:
            self.peak_box.setVisible(False)

    def set_change(self, change, units: str = "incidents per week") -> None:
        self._show(np.asarray(change, dtype=float), units, diverging=True)
        self.peak_box.setVisible(False)

    def _show(self, m: np.ndarray, units: str, diverging: bool) -> None:
        if m.shape != (7, 24):
            raise ValueError(f"heatmap needs a 7 x 24 matrix, got {m.shape}")
        self.matrix = m
        self.units = units
        self.diverging = diverging
        if diverging:
            lim = float(np.nanmax(np.abs(m))) or 1.0
            levels = (-lim, lim)
            cmap = pg.colormap.get(DIVERGING)
        else:
            levels = (0.0, float(np.nanmax(m)) or 1.0)
            cmap = pg.colormap.get(SEQUENTIAL)
        self.image.setImage(m.astype(np.float32), autoLevels=False)
        self.image.setRect(QRectF(0, 0, 24, 7))
        self.bar.setColorMap(cmap)
        self.bar.setLevels(levels)
        self.bar.getAxis("right").setLabel(units, color="#333")
        self.hover_label.setText(f"Hover over a cell to see its value ({units}).")

    def describe(self, weekday: int, hour: int) -> str:
        v = float(self.matrix[weekday, hour])
        sign = "+" if self.diverging and v > 0 else ""
        return (f"{WEEKDAYS[weekday]} {hour:02d}:00-{(hour + 1) % 24:02d}:00: "
                f"{sign}{v:,.2f} {self.units}")

    def _moved(self, pos) -> None:
        if self.matrix is None or not self.vb.sceneBoundingRect().contains(pos):
            return
        pt = self.vb.mapSceneToView(pos)
        hour, day = int(np.floor(pt.x())), int(np.floor(pt.y()))
        if 0 <= hour < 24 and 0 <= day < 7:
            text = self.describe(day, hour)
            self.hover_label.setText(text)
            self.plot.setToolTip(text)
            self.hovered.emit(text)
