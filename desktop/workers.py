"""Running analysis functions off the GUI thread, with progress and cancel (DESIGN.md section 4).

The analysis function receives a plain ``progress(fraction, message)`` callback; cancelling
makes the next call of that callback raise :class:`~analysis.progress.Cancelled`, which the
function lets through. Only this module knows about threads. The GUI changes the model only
in slots connected to :class:`WorkerSignals` (queued onto the GUI thread).

Workers are QRunnables, but :class:`TaskManager` runs them on long-lived *Python* threads
(``concurrent.futures``) rather than QThreadPool's native threads: pyproj >= 3.7 keeps a
per-thread PROJ context that is freed when PySide drops the temporary Python thread state of a
native Qt thread, and the next CRS made on that thread crashes the process (pyproj issues
#1509 and #1622; seen here as a segmentation fault in ``CRS._crs``). Qt delivers the signals of
these adopted threads to the GUI thread as usual.

:class:`TaskManager` keeps one live task per key (a panel): starting a new task for the same
key cancels the old one, whose late result is then ignored. On quit, ``cancel_all`` and
``wait`` stop every task.
"""
from __future__ import annotations

import functools
import logging
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Optional

from PySide6.QtCore import QObject, QRunnable, Signal

from analysis.progress import BeatwiseError, Cancelled

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    """Signals of one :class:`Worker`: exactly one of finished / failed / cancelled is emitted."""

    finished = Signal(object)
    failed = Signal(str)
    progress = Signal(float, str)
    cancelled = Signal()


class Worker(QRunnable):
    """Runs ``fn(*args, progress=callback, **kwargs)`` on a thread pool thread."""

    def __init__(self, fn: Callable, /, *args, **kwargs):
        super().__init__()
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self._call = functools.partial(fn, *args, progress=self._report, **kwargs)
        self.done = threading.Event()
        self.setAutoDelete(False)  # Python owns it (see the module docstring)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _report(self, fraction: float, message: str = "") -> None:
        if self._cancel.is_set():
            raise Cancelled
        self.signals.progress.emit(float(fraction), str(message))

    def run(self) -> None:  # runs on a worker thread
        try:
            if self._cancel.is_set():  # cancelled while waiting for a thread
                raise Cancelled
            result = self._call()
        except Cancelled:
            self.signals.cancelled.emit()
        except BeatwiseError as exc:
            self.signals.failed.emit(str(exc))
        except MemoryError:
            self.signals.failed.emit("Not enough memory for this analysis: use a larger cell size or "
                                     "filter the incidents (dates, crime types, area).")
        except Exception as exc:  # never let a bug take the window down: report it
            log.error("analysis task failed\n%s", traceback.format_exc())
            self.signals.failed.emit(f"Unexpected error ({type(exc).__name__}): {exc}")
        else:
            if self._cancel.is_set():  # cancelled after its last progress call: drop the result
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)
        finally:
            self.done.set()


@dataclass
class Task:
    key: str
    label: str
    worker: Worker
    fraction: float = 0.0
    message: str = ""


class TaskManager(QObject):
    """One live task per key, the status bar's source of progress, cancel-all on quit.

    Signals
    -------
    changed()
        A task started, progressed or ended: read :attr:`tasks` for the current state.
    """

    changed = Signal()

    def __init__(self, parent: Optional[QObject] = None, max_threads: int = 3):
        super().__init__(parent)
        self.executor = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="beatwise-worker")
        self.tasks: dict[str, Task] = {}
        self._all: list[Worker] = []

    def start(self, key: str, label: str, fn: Callable, *args,
              on_done: Optional[Callable[[object], None]] = None,
              on_error: Optional[Callable[[str], None]] = None,
              on_cancel: Optional[Callable[[], None]] = None, **kwargs) -> Worker:
        """Run ``fn`` in a worker as the live task of ``key`` (cancelling the previous one)."""
        old = self.tasks.get(key)
        if old is not None:
            old.worker.cancel()
        worker = Worker(fn, *args, **kwargs)
        task = Task(key, label, worker)
        self.tasks[key] = task
        self._all.append(worker)

        def current() -> bool:
            return self.tasks.get(key) is task

        def ended() -> None:
            if current():
                del self.tasks[key]
            if worker in self._all:
                self._all.remove(worker)
            self.changed.emit()

        def progressed(fraction: float, message: str) -> None:
            if current():
                task.fraction, task.message = fraction, message
                self.changed.emit()

        def finished(result) -> None:
            live = current()
            ended()
            if live and on_done is not None:
                on_done(result)

        def failed(message: str) -> None:
            live = current()
            ended()
            if live and on_error is not None:
                on_error(message)

        def cancelled() -> None:
            live = current()
            ended()
            if live and on_cancel is not None:
                on_cancel()

        worker.signals.progress.connect(progressed)
        worker.signals.finished.connect(finished)
        worker.signals.failed.connect(failed)
        worker.signals.cancelled.connect(cancelled)
        self.executor.submit(worker.run)
        self.changed.emit()
        return worker

    def is_running(self, key: Optional[str] = None) -> bool:
        return bool(self.tasks) if key is None else key in self.tasks

    def cancel(self, key: str) -> None:
        task = self.tasks.get(key)
        if task is not None:
            task.worker.cancel()

    def cancel_all(self) -> None:
        for worker in list(self._all):
            worker.cancel()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Wait for every worker to return (signals still queued are not delivered)."""
        ok = True
        for worker in list(self._all):
            ok &= worker.done.wait(timeout_ms / 1000.0)
        return ok

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything, wait for the workers, and stop the threads (on quit)."""
        self.cancel_all()
        ok = self.wait(timeout_ms)
        self.executor.shutdown(wait=ok, cancel_futures=True)
        return ok
