"""Officers on duty by hour of week, from the pings: the units reporting, as a current rota.

A unit is *on duty* in an hour when it sent at least one ping in it (flagged pings too: the
position was impossible, the radio was on). Per local (Europe/London) hour-of-week slot, Monday
00:00 first, the number of distinct units reporting is averaged over the hours of that slot the
observed period covers (first to last ping, whole hours), so four weeks of pings give the mean of
four Mondays 09:00; a slot the period never covers is NaN (unknown), not zero. In the autumn
clock-change week local Sunday 01:00 occurs twice and counts as two hours. This is what
``beatwise shifts --current-from-patrols`` scores like for like with a recommended plan; presence
itself (DESIGN.md section 7) and Koper (1995) dosage are in :mod:`analysis.patrols.presence` and
:mod:`analysis.patrols.visits`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.patrols.clock import HOURS_PER_WEEK, NS_PER_HOUR, slot_of_hours
from analysis.patrols.segments import ping_arrays


@dataclass(frozen=True, eq=False)
class OnDuty:
    """Units reporting per hour of week.

    Attributes
    ----------
    hour_of_week : float64 array (168,)
        Mean distinct units reporting per occurrence of the slot (NaN where never covered).
    occurrences : int64 array (168,)
        Hours of each slot in the observed period.
    unit_hours : int64 array (168,)
        Distinct (unit, hour) pairs per slot: the numerator.
    units : tuple of str
    period_start_ns, period_end_ns : int
    """

    hour_of_week: np.ndarray
    occurrences: np.ndarray
    unit_hours: np.ndarray
    units: tuple
    period_start_ns: int
    period_end_ns: int

    @property
    def weeks(self) -> float:
        """Length of the observed period in weeks (whole hours)."""
        return float(self.occurrences.sum()) / HOURS_PER_WEEK

    def to_list(self) -> list:
        """The 168 values for JSON (``None`` for never-covered slots)."""
        return [None if np.isnan(v) else float(v) for v in self.hour_of_week]


def on_duty(pings, logs=None) -> OnDuty:
    """Distinct units reporting per local hour-of-week slot, averaged over the period covered.

    Parameters
    ----------
    pings : GeoDataFrame or None
        Pings as ``analysis.ingest.tracks`` returns them (only ``unit_id`` and ``t`` are read, but
        the frame is checked like everywhere else).
    logs : GeoDataFrame, optional
        Patrol logs (``analysis.ingest.patrol_logs``): a unit is also on duty in every hour a log of its
        covers part of.

    Returns
    -------
    OnDuty
    """
    from analysis.patrols.logs import log_arrays, log_units_by_hour

    names: dict = {}
    unit_parts, hour_parts, ends = [], [], []
    if pings is not None and len(pings):
        a = ping_arrays(pings)
        names.update({u: i for i, u in enumerate(a["units"])})
        unit_parts.append(a["unit"])
        hour_parts.append(a["t"] // NS_PER_HOUR)
        ends += [int(a["t"].min()), int(a["t"].max())]
    if logs is not None and len(logs):
        la = log_arrays(logs)
        for u in la["units"]:
            names.setdefault(u, len(names))
        code = np.array([names[u] for u in la["units"]], dtype=np.int64)
        u, h = log_units_by_hour(la)
        unit_parts.append(code[u])
        hour_parts.append(h)
        ends += [int(la["ta"].min()), int(la["tb"].max())]
    units = tuple(names)
    if not ends:
        zeros = np.zeros(HOURS_PER_WEEK, dtype=np.int64)
        return OnDuty(np.full(HOURS_PER_WEEK, np.nan), zeros, zeros, units, 0, 0)
    unit, hour = np.concatenate(unit_parts), np.concatenate(hour_parts)
    h0, h1 = int(hour.min()), int(hour.max())
    span = h1 - h0 + 1
    pairs = np.unique(unit * span + (hour - h0))
    per_hour = np.bincount(pairs % span, minlength=span)
    slots = slot_of_hours(np.arange(h0, h1 + 1, dtype=np.int64))
    unit_hours = np.bincount(slots, weights=per_hour, minlength=HOURS_PER_WEEK).astype(np.int64)
    occurrences = np.bincount(slots, minlength=HOURS_PER_WEEK).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(occurrences > 0, unit_hours / occurrences, np.nan)
    return OnDuty(mean, occurrences, unit_hours, units, min(ends), max(ends))
