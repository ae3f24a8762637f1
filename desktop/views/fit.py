"""Keeping windows within the screen: labels for text of any length, and sizes the screen has room for.

An unwrapped ``QLabel`` asks for the width of its whole text: one long message (month-only data,
a file path) made the main window 2,297 px wide on a 1,600 px screen. Panels use
:func:`message_label` for notes, summaries and warnings (wrapped; a word longer than the panel is
cut rather than widening it) and :class:`ElidedLabel` for one-line status text (cut with "…", the
whole text in the tooltip); windows and dialogs open at :func:`resize_within_screen`.
"""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QTableWidget, QVBoxLayout, QWidget

#: The narrowest a message may make its panel (px): the panel's other widgets decide its width.
MESSAGE_MIN_WIDTH = 40


def message_label(text: str = "", name: str = "", *, style: str = "", selectable: bool = False,
                  parent: Optional[QWidget] = None) -> QLabel:
    """A word-wrapped label that never asks for more width than ``MESSAGE_MIN_WIDTH``."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setMinimumWidth(MESSAGE_MIN_WIDTH)
    if name:
        label.setObjectName(name)
    if style:
        label.setStyleSheet(style)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ElidedLabel(QLabel):
    """One line of plain text, cut with "…" to the width it is given; ``text()`` stays whole and the
    tooltip shows it whole when it is cut."""

    def __init__(self, text: str = "", parent: Optional[QWidget] = None):
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), MESSAGE_MIN_WIDTH), hint.height())

    def elided(self) -> str:
        """The text as drawn at the current width."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.contentsRect().width())

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self._update_tip()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_tip()

    def _update_tip(self) -> None:
        self.setToolTip(self.text() if self.elided() != self.text() else "")

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()), self.elided())


#: The share of the screen's free area a window may take by default (the rest: its frame, title bar)
SCREEN_SHARE = 0.95


def resize_within_screen(widget: QWidget, width: int, height: int) -> None:
    """Resize to ``width`` x ``height``, or less where the widget's screen has less room (the frame
    and title bar included)."""
    screen = widget.screen()
    room = screen.availableGeometry() if screen is not None else None
    if room is not None and room.isValid():
        width = min(width, int(room.width() * SCREEN_SHARE))
        height = min(height, int(room.height() * SCREEN_SHARE))
    widget.resize(width, height)


def scrolled(page: QWidget, *, horizontal: bool = True) -> QScrollArea:
    """``page`` in a frameless scroll area: a short dock scrolls it instead of growing the window past
    the screen; ``horizontal=False`` never scrolls sideways (the page follows the dock's width)."""
    area = QScrollArea()
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    if not horizontal:
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def fill_with_scrolled(owner: QWidget, page: QWidget, *, horizontal: bool = True) -> QScrollArea:
    """Make :func:`scrolled` ``page`` the whole of ``owner`` (a dock's panel), edge to edge."""
    area = scrolled(page, horizontal=horizontal)
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(area)
    return area


def fit_table_height(table: QTableWidget, rows: int) -> None:
    """A table as tall as its header and its first ``rows`` rows, two-line headers included (the dock
    scrolls, the table need not)."""
    table.resizeRowsToContents()
    shown = sum(table.rowHeight(i) for i in range(min(rows, table.rowCount())))
    table.setFixedHeight(table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 2 + shown)
