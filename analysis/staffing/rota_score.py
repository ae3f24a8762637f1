"""A given rota (e.g. the current one): read from text, officers on duty, scored for coverage.

A rota is written ``"07:00-17:00x4,14:00-00:00x3"``: shift lines that start every day
(:func:`parse_rota`). Its officers on duty per hour of the week (:func:`rota_on_duty`) are
fractional where a shift starts or ends within an hour, and it is scored with the same
coverage formula as a recommended plan (:func:`analysis.staffing.demand.coverage`, issue 5), so
the two compare like for like.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from analysis.progress import BeatwiseError
from analysis.staffing.demand import UnderstaffedHour, as_demand, coverage, understaffed
from analysis.staffing.week import ALL_DAYS, HOURS_PER_WEEK, Shift

_ROTA_PART = re.compile(
    r"^\s*(\d{1,2})[:.]?(\d{2})\s*-\s*(\d{1,2})[:.]?(\d{2})\s*(?:[x×*]\s*(\d+))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RotaScore:
    """A given rota (e.g. the current one) scored with the same coverage formula.

    ``on_duty`` may be fractional where a shift starts or ends within an hour.
    """

    shifts: tuple[Shift, ...]
    on_duty: tuple[float, ...]
    coverage: float
    load_per_officer_hour: float
    label: str
    understaffed: tuple[UnderstaffedHour, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "shifts": [s.to_dict() for s in self.shifts],
                "on_duty": [float(v) for v in self.on_duty], "coverage": self.coverage,
                "load_per_officer_hour": self.load_per_officer_hour}


def score_on_duty(demand, on_duty, label: str = "observed on duty (patrol GPS)") -> RotaScore:
    """Score an observed on-duty profile (168 values, e.g. units reporting per hour of the week
    from patrol GPS: :func:`analysis.patrols.on_duty.on_duty`) like a given rota, like for like."""
    d = as_demand(demand)
    on = np.asarray(on_duty, dtype=float).ravel()
    if on.shape != (HOURS_PER_WEEK,) or not np.isfinite(on).all() or on.sum() <= 0:
        raise BeatwiseError("the observed on-duty profile needs 168 finite values with someone on duty")
    return RotaScore(shifts=(), on_duty=tuple(float(v) for v in on), coverage=coverage(d, on),
                     load_per_officer_hour=float(d.sum() / on.sum()), label=label,
                     understaffed=understaffed(d, on))


def parse_rota(spec: str) -> tuple[Shift, ...]:
    """Parse a rota like ``"07:00-17:00x4,14:00-00:00x3"`` (every day).

    Each comma-separated part is ``HH:MM-HH:MM`` and ``xN`` officers (default 1); an end at or
    before the start runs past midnight (``22:00-06:00``), ``00:00`` as an end is midnight.
    Minutes are kept: ``07:30-17:30`` puts half an officer-hour in 07:00-07:59.

    Raises
    ------
    BeatwiseError
        Naming the part that could not be read and the expected format.
    """
    if spec is None or not str(spec).strip():
        raise BeatwiseError('empty rota: give shifts like "07:00-17:00x4,14:00-00:00x3"')
    shifts = []
    for part in str(spec).split(","):
        m = _ROTA_PART.match(part)
        if not m:
            raise BeatwiseError(
                f'cannot read rota part "{part.strip()}": expected HH:MM-HH:MMxN, e.g. '
                '"07:00-17:00x4,14:00-00:00x3" (N officers start that shift every day)')
        h0, m0, h1, m1 = (int(g) for g in m.groups()[:4])
        n = int(m.group(5)) if m.group(5) is not None else 1
        if h0 > 23 or h1 > 24 or m0 > 59 or m1 > 59 or (h1 == 24 and m1):
            raise BeatwiseError(f'rota part "{part.strip()}" has an impossible time of day')
        a, b = h0 * 60 + m0, (h1 * 60 + m1) % 1440
        length = (b - a) % 1440
        if length == 0:
            raise BeatwiseError(f'rota part "{part.strip()}" starts and ends at the same time')
        if n <= 0:
            raise BeatwiseError(f'rota part "{part.strip()}" has no officers (x0)')
        shifts.append(Shift(start_minute=a, length_minutes=length, officers=n))
    return tuple(shifts)


def rota_on_duty(shifts: Sequence[Shift]) -> np.ndarray:
    """Officers on duty in each of the 168 hours (fractional where a shift starts mid-hour)."""
    minutes = np.zeros(HOURS_PER_WEEK * 60)
    for s in shifts:
        for day in s.weekdays:
            a = day * 1440 + s.start_minute
            idx = (a + np.arange(s.length_minutes)) % minutes.size
            np.add.at(minutes, idx, s.officers)
    return minutes.reshape(HOURS_PER_WEEK, 60).mean(axis=1)


def _rota_label(shifts: Sequence[Shift]) -> str:
    return " / ".join(f"{s.start}-{s.end}" + ("" if s.weekdays == ALL_DAYS else f" ({s.days_text})")
                      for s in shifts)


def score_rota(demand, rota) -> RotaScore:
    """Score a given rota (spec string or shifts) with :func:`analysis.staffing.demand.coverage`.

    Parameters
    ----------
    demand : 168 values (or 7 x 24), incidents per week per hour of the week.
    rota : str like ``"07:00-17:00x4,14:00-00:00x3"`` or a sequence of :class:`Shift`.
    """
    d = as_demand(demand)
    shifts = parse_rota(rota) if isinstance(rota, str) else tuple(rota)
    if not shifts:
        raise BeatwiseError("the rota has no shifts")
    on = rota_on_duty(shifts)
    k = float(d.sum() / on.sum())
    return RotaScore(shifts=shifts, on_duty=tuple(float(v) for v in on),
                     coverage=coverage(d, on), load_per_officer_hour=k,
                     label=_rota_label(shifts), understaffed=understaffed(d, on))
