"""The week that shift plans are made on: 168 hour slots, weekday names, and shift lines.

The week
    168 hour slots, Monday 00:00-00:59 = slot 0, cyclic: a shift starting Sunday 22:00
    covers Sunday 22:00-23:59 and Monday 00:00-05:59. Slot ``t`` is weekday ``t // 24``,
    hour ``t % 24``.
A shift line
    :class:`Shift`: ``officers`` start at ``start_minute`` on each of ``weekdays`` and work
    ``length_minutes``; a shift belongs to the day it starts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

HOURS_PER_WEEK = 168
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS = tuple(range(7))


def hhmm(minute: int) -> str:
    """Minutes after midnight as ``"HH:MM"`` (modulo a day)."""
    minute = int(minute) % 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def consecutive_runs(values: Iterable[int]) -> list[list[int]]:
    """Sorted integers in runs of consecutive values: ``[1, 2, 3, 5]`` -> ``[[1, 2, 3], [5]]``."""
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs


def days_text(days: Iterable[int]) -> str:
    """``(0,1,2,3)`` -> ``"Mon-Thu"``, ``(4,5)`` -> ``"Fri, Sat"``, all -> ``"every day"``."""
    days = sorted(set(int(d) for d in days))
    if len(days) == 7:
        return "every day"
    parts = []
    for r in consecutive_runs(days):
        if len(r) >= 3:
            parts.append(f"{WEEKDAY_ABBR[r[0]]}-{WEEKDAY_ABBR[r[-1]]}")
        else:
            parts.extend(WEEKDAY_ABBR[d] for d in r)
    return ", ".join(parts)


@dataclass(frozen=True)
class Shift:
    """One shift line of a rota: ``officers`` start at ``start_minute`` on each of ``weekdays``.

    Attributes
    ----------
    start_minute : int
        Minutes after midnight (0..1439); a planned shift always starts on the hour.
    length_minutes : int
        Shift length in minutes (1..1440); it may run past midnight into the next day.
    officers : int
        Officers starting this shift on each of its weekdays.
    weekdays : tuple of int
        Days the shift starts on, Monday = 0.
    """

    start_minute: int
    length_minutes: int
    officers: int
    weekdays: tuple[int, ...] = ALL_DAYS

    @property
    def start(self) -> str:
        return hhmm(self.start_minute)

    @property
    def end(self) -> str:
        return hhmm((self.start_minute + self.length_minutes) % 1440)

    @property
    def hours(self) -> float:
        return self.length_minutes / 60.0

    @property
    def days_text(self) -> str:
        return days_text(self.weekdays)

    def label(self) -> str:
        """``"07:00-17:00 x4"``, plus the days when not every day."""
        text = f"{self.start}-{self.end} x{self.officers}"
        return text if self.weekdays == ALL_DAYS else f"{text} ({self.days_text})"

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "hours": self.hours,
                "officers": self.officers, "weekdays": [WEEKDAY_ABBR[d] for d in self.weekdays]}
