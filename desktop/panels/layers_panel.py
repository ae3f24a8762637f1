"""Layer list: visibility, opacity and zoom to layer, for the layers of the map view."""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QSlider,
                               QVBoxLayout, QWidget)

from desktop.views.flow_layout import FlowLayout
from desktop.views.fit import ElidedLabel
from desktop.views.map_view import MapView


class LayersPanel(QWidget):
    def __init__(self, view: MapView, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.view = view
        self.list = QListWidget()
        self.list.setToolTip("Tick to show a layer; select it to change its opacity or zoom to it. "
                             "Double-click zooms to the layer.")
        self.list.itemChanged.connect(self._item_changed)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemDoubleClicked.connect(lambda item: self.view.zoom_to_layer(item.data(Qt.ItemDataRole.UserRole)))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the selected layer")
        self.opacity.valueChanged.connect(self._opacity_changed)
        self.opacity_label = ElidedLabel("Opacity")
        self.zoom_button = QPushButton("Zoom to layer")
        self.zoom_button.clicked.connect(self._zoom)
        self.all_button = QPushButton("Zoom to all")
        self.all_button.clicked.connect(self.view.zoom_to_all)
        row = QHBoxLayout()
        row.addWidget(self.opacity_label)
        row.addWidget(self.opacity, 1)
        buttons = FlowLayout()  # one above the other in a narrow dock
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.zoom_button)
        buttons.addWidget(self.all_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addLayout(buttons)
        self._refreshing = False
        view.layersChanged.connect(self.refresh)
        self.refresh()

    def _text(self, layer) -> str:
        return f"{layer.title}  ({layer.count:,})" if layer.count else layer.title

    def refresh(self) -> None:
        keys = self.view.layer_keys()
        shown = [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]
        if keys == shown:  # same layers: update the items in place (they stay valid)
            self._refreshing = True
            for i, key in enumerate(keys):
                layer = self.view.layers[key]
                item = self.list.item(i)
                item.setText(self._text(layer))
                item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            self._refreshing = False
            self._current_changed(self.list.currentItem(), None)
            return
        current = self.current_key()
        self._refreshing = True
        self.list.clear()
        for key in keys:
            layer = self.view.layers[key]
            item = QListWidgetItem(self._text(layer))
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            self.list.addItem(item)
            if key == current:
                self.list.setCurrentItem(item)
        self._refreshing = False
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._current_changed(self.list.currentItem(), None)

    def current_key(self) -> Optional[str]:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _item_changed(self, item: QListWidgetItem) -> None:
        if self._refreshing:
            return
        self.view.set_layer_visible(item.data(Qt.ItemDataRole.UserRole),
                                    item.checkState() == Qt.CheckState.Checked)

    def _current_changed(self, item, _previous) -> None:
        enabled = item is not None
        self.opacity.setEnabled(enabled)
        self.zoom_button.setEnabled(enabled)
        if item is not None:
            layer = self.view.layers.get(item.data(Qt.ItemDataRole.UserRole))
            if layer is not None:
                self.opacity.blockSignals(True)
                self.opacity.setValue(round(layer.opacity * 100))
                self.opacity.blockSignals(False)
                self.opacity_label.setText(f"Opacity of {layer.title.split(' (')[0].lower()}")

    def _opacity_changed(self, value: int) -> None:
        key = self.current_key()
        if key is not None and not self._refreshing:
            self.view.set_layer_opacity(key, value / 100.0)

    def _zoom(self) -> None:
        key = self.current_key()
        if key is not None:
            self.view.zoom_to_layer(key)
