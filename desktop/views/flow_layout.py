"""A layout that places its widgets in a row and wraps them onto more rows when the row is too
narrow (after Qt's Flow Layout example), so a bar of controls never sets a wide minimum width."""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    """Left to right, wrapping; an item added with ``stretch=True`` takes the rest of its row."""

    def __init__(self, parent: Optional[QWidget] = None, spacing: int = 6):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._stretch: set[int] = set()
        self.setSpacing(spacing)

    def addWidget(self, widget: QWidget, stretch: bool = False) -> None:  # noqa: N802
        if stretch:
            self._stretch.add(id(widget))
        super().addWidget(widget)

    # QLayout interface
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> Optional[QLayoutItem]:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> Optional[QLayoutItem]:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        m = self.contentsMargins()
        visible = [i for i in self._items if not i.isEmpty()]
        width = sum(i.sizeHint().width() for i in visible) + self.spacing() * max(0, len(visible) - 1)
        height = max((i.sizeHint().height() for i in visible), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _place(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        rows: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint().boundedTo(QSize(area.width(), 10**6)).expandedTo(item.minimumSize())
            if rows[-1] and x + hint.width() > area.width():
                rows.append([])
                x = 0
            rows[-1].append((item, hint))
            x += hint.width() + self.spacing()
        y = area.y()
        for row in rows:
            if not row:
                continue
            height = max(h.height() for _, h in row)
            if move:
                x = area.x()
                used = sum(h.width() for _, h in row) + self.spacing() * (len(row) - 1)
                for item, hint in row:
                    w = hint.width()
                    widget = item.widget()
                    if widget is not None and id(widget) in self._stretch:
                        w += max(0, area.width() - used)
                    top = y + (height - hint.height()) // 2
                    item.setGeometry(QRect(QPoint(x, top), QSize(w, hint.height())))
                    x += w + self.spacing()
            y += height + self.spacing()
        return y - self.spacing() - rect.y() + m.bottom()



def row(*widgets: QWidget, stretch: Optional[QWidget] = None) -> QWidget:
    """Widgets kept together on one line of a flow (``stretch`` takes the line's spare width)."""
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w, 1 if w is stretch else 0)
    return box
