"""Progress reporting and cancellation shared by every analysis function.

Analysis functions accept ``progress: ProgressFn | None`` and call it between
chunks of work with a fraction in [0, 1] and a short message.  The callback may
raise :class:`Cancelled`; analysis code lets it propagate and leaves no partial
output behind.  Only ``desktop/workers.py`` knows about threads.
"""
from __future__ import annotations

from typing import Callable, Optional

ProgressFn = Callable[[float, str], None]


class Cancelled(Exception):
    """Raised by a progress callback when the user cancelled the task."""


class BeatwiseError(Exception):
    """A problem with the user's input or parameters, with a message meant for the user.

    The CLI prints it to stderr and exits non-zero; the desktop shows it in a dialog.
    """


def report(progress: Optional[ProgressFn], fraction: float, message: str = "") -> None:
    """Call ``progress`` if given (the one place that checks for ``None``)."""
    if progress is not None:
        progress(min(max(float(fraction), 0.0), 1.0), message)


def scaled(progress: Optional[ProgressFn], start: float, stop: float) -> Optional[ProgressFn]:
    """A callback mapping a sub-task's 0..1 onto ``start..stop`` of the parent's range."""
    if progress is None:
        return None

    def _inner(fraction: float, message: str = "") -> None:
        progress(start + (stop - start) * min(max(float(fraction), 0.0), 1.0), message)

    return _inner
