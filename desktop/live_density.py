"""The live surface: the map's density follows the hotspot controls and the filters as they change,
without pressing Run (issue 15), for projects of up to :data:`LIVE_LIMIT` incidents.

The controller decides *when* to recompute, nothing else. Changes are coalesced rather than delayed:
the first change starts :func:`desktop.tasks.live_density` at once (off the GUI thread); changes
made while it runs are kept, and only the newest is computed when it returns. So a surface reaches
the screen one computation after the change (about 0.1 s for 100,000 incidents on a 1000 x 1000
grid: tests/benchmarks/bench_live.py), and dragging a control through ten values costs two
computations, not ten. The hotspot areas and Gi* (a few seconds) follow once the controls have been
still for :data:`SETTLE_MS`: the window's usual hotspot run, through ``areasWanted``.
"""
from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QObject, QTimer, Signal

#: Larger projects keep the Run button only (a surface takes seconds there).
LIVE_LIMIT = 200_000
#: The areas and Gi* are recomputed once the controls have been still this long.
SETTLE_MS = 700


class LiveDensity(QObject):
    """Signals
    -------
    densityReady(LiveSurface)
        A surface for the newest controls (draw it).
    areasWanted(HotspotParams)
        The controls have settled on parameters whose areas and Gi* are not on the map.
    failed(str)
        The newest controls cannot make a surface (e.g. a bandwidth that is not a number).

    Parameters
    ----------
    start : callable(key, label, fn, *args, on_done, on_error)
        :meth:`desktop.workers.TaskManager.start`.
    inputs : callable() -> (incidents, filters) or None
        The project's incidents and the current filters (None: no project).
    """

    densityReady = Signal(object)
    areasWanted = Signal(object)
    failed = Signal(str)

    def __init__(self, start: Callable, inputs: Callable, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._start = start
        self._inputs = inputs
        self.enabled = True
        self.running = False
        self.pending = None          # the newest parameters not yet computed
        self.last = None             # the newest desktop.tasks.LiveSurface shown
        self.areas_params = None     # the parameters whose areas are on the map (or being computed)
        self.settle = QTimer(self)
        self.settle.setSingleShot(True)
        self.settle.setInterval(SETTLE_MS)
        self.settle.timeout.connect(self._settled)
        self._settle_params = None
        self._generation = 0         # a result of an earlier project is dropped
        self.failed_params = None    # the newest controls that could not make a surface

    # ------------------------------------------------------------------ state
    def available(self) -> bool:
        """A project small enough for a live surface is open and live updates are on."""
        inputs = self._inputs()
        return self.enabled and inputs is not None and len(inputs[0]) <= LIVE_LIMIT

    def reset(self) -> None:
        """A project opened or closed: nothing to reuse, no areas on the map."""
        self._generation += 1
        self.running = False
        self.pending = None
        self.last = None
        self.areas_params = None
        self.settle.stop()

    def areas_started(self, params) -> None:
        """The window started a full hotspot run for ``params`` (Run, F5 or the filters)."""
        self.areas_params = params
        self.settle.stop()

    # ------------------------------------------------------------------ changes
    def params_changed(self, params) -> None:
        """The panel's controls changed: a new surface if the density depends on what changed,
        and the areas once the controls settle."""
        if not self.available():
            return
        shown = self.pending or (self.last.params if self.last is not None else self.areas_params)
        if shown is None or shown.density_key() != params.density_key():
            self.request(params)
        if self.areas_params != params:
            self._settle_params = params
            self.settle.start()
        else:
            self.settle.stop()

    def request(self, params) -> None:
        """Compute the surface for ``params`` now, or as soon as the one under way returns."""
        if not self.available():
            return
        if self.running:
            self.pending = params
            return
        self._run(params)

    def _run(self, params) -> None:
        from desktop.tasks import live_density

        incidents, filters = self._inputs()
        previous = self.last
        self.running = True
        self.pending = None
        generation = self._generation

        def done(result) -> None:
            if generation != self._generation:
                return
            self.running = False
            self.failed_params = None
            if self.pending is None:
                self.last = result
                self.densityReady.emit(result)
            else:
                self.last = result       # its gridded incidents are reusable; the newer controls win
                self._run(self.pending)

        def error(message: str) -> None:
            if generation != self._generation:
                return
            self.running = False
            if self.pending is not None:
                self._run(self.pending)
            else:
                self.failed_params = params
                self.failed.emit(message)

        def cancelled() -> None:
            if generation == self._generation:
                self.running = False

        self._start("live", "Density", live_density, incidents, filters, params, previous,
                    on_done=done, on_error=error, on_cancel=cancelled)

    def _settled(self) -> None:
        params, self._settle_params = self._settle_params, None
        if (params is not None and params != self.areas_params and self.available()
                and params != self.failed_params):   # (its error is on the status bar already)
            self.areasWanted.emit(params)
