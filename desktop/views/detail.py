"""Level of detail on the map: after a zoom or a pan settles, ask for the density of the view at
finer cells; zoomed out, the overview again.

The controller only watches the view and decides *when* to ask: the cell a view needs is
:func:`analysis.hotspots.detail.view_cell_m`, and the surface is computed by the window's task
(:func:`desktop.tasks.render_view`, off the GUI thread), which calls
:func:`analysis.hotspots.detail.view_surface`. The map draws what comes back
(:meth:`desktop.views.map_view.MapView.set_density_view`).
"""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

#: Wait this long after the last zoom or pan before asking for the view's surface.
DEBOUNCE_MS = 150


class DetailController(QObject):
    """Signals ``viewWanted(bounds, cells_across)`` when the map's view settles and its current
    picture is not as fine as the view needs.

    Parameters
    ----------
    map_view : MapView
    """

    viewWanted = Signal(object, int)

    def __init__(self, map_view, parent: Optional[QObject] = None):
        super().__init__(parent or map_view)
        self.map = map_view
        self.source = None
        self.enabled = True
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._settled)
        map_view.vb.sigRangeChanged.connect(self._changed)
        map_view.vb.sigResized.connect(self._changed)

    def set_source(self, source) -> None:
        """The hotspot run's :class:`~analysis.hotspots.detail.SurfaceSource` (None: nothing to refine)."""
        self.source = source
        self.timer.stop()
        if source is not None:
            self.timer.start()

    def cells_across(self) -> int:
        """About one cell per device pixel of the map's longer side."""
        w, h = self.map.view_pixels()
        return max(int(max(w, h)), 1)

    def _changed(self, *_) -> None:
        if self.source is None or not self.enabled:
            return
        shown = self.map.density_view
        if shown is not None and not self._still_fits(shown):
            self.map.set_density_view(None)  # the overview at once; the view's surface follows
        self.timer.start()

    def _still_fits(self, shown) -> bool:
        from analysis.hotspots.detail import view_cell_m

        x0, y0, x1, y1 = self.map.view_bounds()
        g, o = shown.grid, self.source.surface.grid
        # the view's grid covers the visible part of the overview (there is no density beyond it)
        inside = (g.x0 <= max(x0, o.x0) and g.y0 <= max(y0, o.y0) and g.x1 >= min(x1, o.x1)
                  and g.y1 >= min(y1, o.y1))
        return inside and view_cell_m(self.source.surface, x1 - x0, y1 - y0, self.cells_across()) == g.cell_m

    def _settled(self) -> None:
        if self.source is None or not self.enabled:
            return
        shown = self.map.density_view
        if shown is not None and self._still_fits(shown):
            return
        self.viewWanted.emit(self.map.view_bounds(), self.cells_across())
