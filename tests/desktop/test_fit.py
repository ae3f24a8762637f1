"""Labels and layouts that keep a window within its screen (desktop/views/fit.py, flow_layout.py)."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

LONG = "These incidents have only a month, so there is no hour x weekday profile. " * 6
PATH = "/a/very/long/folder/name/without/any/spaces/" * 6


def test_message_label__wraps_and_a_long_word_does_not_widen_its_panel(qtbot):
    from desktop.views.fit import MESSAGE_MIN_WIDTH, message_label

    plain = QLabel(LONG)
    label = message_label(LONG + PATH, "note", style="color: #555;")
    assert label.wordWrap() and label.objectName() == "note"
    panel = QWidget()
    QVBoxLayout(panel).addWidget(label)
    qtbot.addWidget(panel)
    assert plain.minimumSizeHint().width() > 1000
    assert panel.minimumSizeHint().width() <= MESSAGE_MIN_WIDTH + 30


def test_elided_label__one_line_cut_to_its_width_text_kept_whole(qtbot):
    from desktop.views.fit import ElidedLabel

    label = ElidedLabel(LONG)
    qtbot.addWidget(label)
    label.resize(200, 20)
    label.show()
    assert label.minimumSizeHint().width() < 100 and label.text() == LONG
    assert label.elided().endswith("…") and len(label.elided()) < len(LONG)
    assert label.toolTip() == LONG
    label.resize(4000, 20)
    assert label.elided() == LONG and label.toolTip() == ""


def test_resize_within_screen(qtbot):
    from desktop.views.fit import resize_within_screen

    w = QWidget()
    qtbot.addWidget(w)
    room = w.screen().availableGeometry()
    resize_within_screen(w, 10 * room.width(), 10 * room.height())
    assert w.width() <= room.width() and w.height() <= room.height()
    resize_within_screen(w, 300, 200)
    assert (w.width(), w.height()) == (300, 200)


def test_flow_layout__wraps_instead_of_widening(qtbot):
    from PySide6.QtWidgets import QPushButton

    from desktop.views.flow_layout import FlowLayout

    bar = QWidget()
    flow = FlowLayout(bar)
    buttons = [QPushButton(f"Button number {i}") for i in range(8)]
    for b in buttons:
        flow.addWidget(b)
    qtbot.addWidget(bar)
    widest = max(b.sizeHint().width() for b in buttons)
    assert bar.minimumSizeHint().width() <= widest + 30
    one_row = flow.heightForWidth(sum(b.sizeHint().width() for b in buttons) + 100)
    assert flow.heightForWidth(widest + 10) > 4 * one_row  # one button a row
    bar.resize(widest + 20, flow.heightForWidth(widest + 20))
    bar.show()
    tops = sorted({b.geometry().top() for b in buttons})
    assert len(tops) == len(buttons)
