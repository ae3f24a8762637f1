"""The gap: each hotspot's share of incident demand against its share of patrol presence.

Hot-spot policing works when patrol time goes where and when the crime is (Koper 1995: short,
regular visits of 10-15 minutes). For each hotspot this compares

* its share of incidents (of ``total_incidents``: all incidents in the area when given, else those
  at the hotspots) with its share of patrol time (of the total presence, DESIGN.md section 7, when
  a :class:`~analysis.patrols.presence.Presence` is given, else of the patrol time at hotspots);
* the same in its own *peak hours*: the busiest hour-of-week slots that together hold at least
  ``peak_share`` (default half) of its incidents, ties at the cut included;

and ranks the under-patrolled hotspots (more demand share than patrol share) by how much more of
the demand than of the patrol time falls in their peak, each with one plain-English sentence with
the numbers. The demand-minus-presence matrix is weekday x hour (7 x 24, Monday first) of shares,
local time: positive where demand outruns patrol presence. Observed presence, never "compliance".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from analysis.patrols.clock import HOURS_PER_WEEK
from analysis.patrols.presence import Presence
from analysis.patrols.visits import Visits
from analysis.progress import BeatwiseError
from analysis.staffing.week import WEEKDAY_ABBR, WEEKDAYS, days_text

DEFAULT_PEAK_SHARE = 0.5


@dataclass(frozen=True)
class HotspotGap:
    """One hotspot's demand against its observed presence (shares are 0..1)."""

    hotspot: int
    name: str
    incidents: float
    incident_share: float
    patrol_share: float
    patrol_minutes: float
    officer_minutes: float
    visits: int
    visits_qualifying: int
    longest_gap_h: float
    peak_slots: tuple
    peak_text: str
    peak_incident_share: float
    peak_patrol_share: float
    patrol_minutes_in_peak: float
    rank: Optional[int] = None
    sentence: str = ""

    @property
    def under_patrolled(self) -> bool:
        return self.incidents > 0 and self.incident_share > self.patrol_share

    def to_dict(self) -> dict:
        top = self.peak_slots[0] if self.peak_slots else None
        return {"rank": self.rank, "hotspot": self.hotspot, "location": self.name,
                "incidents": self.incidents, "incident_share": self.incident_share,
                "patrol_share": self.patrol_share, "patrol_minutes": self.patrol_minutes,
                "officer_minutes": self.officer_minutes, "visits": self.visits,
                "visits_10min": self.visits_qualifying, "longest_gap_h": self.longest_gap_h,
                "peak": None if top is None else {"weekday": WEEKDAYS[top // 24], "hour": top % 24},
                "peak_hours": self.peak_text, "patrol_minutes_in_peak": self.patrol_minutes_in_peak,
                "sentence": self.sentence}


@dataclass(frozen=True, eq=False)
class PatrolGap:
    """Demand against presence for every hotspot, the ranked gaps and the 7 x 24 matrix.

    Attributes
    ----------
    peak_share, koper_min : float
        Parameters: the share of a hotspot's incidents its peak hours hold; the qualifying visit.
    period_text : str
        The observed period as the sentences say it ("4 weeks").
    hotspots : tuple of HotspotGap
        In input order.
    gaps : tuple of HotspotGap
        The under-patrolled hotspots, ranked (``rank`` 1 first), each with its ``sentence``.
    demand_share, presence_share, matrix : float64 arrays (7, 24)
        Shares per weekday x hour and ``demand_share - presence_share``.
    """

    peak_share: float
    koper_min: float
    period_text: str
    hotspots: tuple
    gaps: tuple
    demand_share: np.ndarray
    presence_share: np.ndarray
    matrix: np.ndarray


def peak_slots(counts: np.ndarray, share: float = DEFAULT_PEAK_SHARE) -> tuple:
    """The busiest slots holding at least ``share`` of ``counts`` (ties at the cut in), busiest first."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total <= 0:
        return ()
    order = np.argsort(-counts, kind="stable")
    cum = np.cumsum(counts[order])
    k = int(np.searchsorted(cum, share * total * (1 - 1e-12), side="left"))
    cut = counts[order[min(k, len(order) - 1)]]
    return tuple(int(s) for s in order if counts[s] >= cut and counts[s] > 0)


def slots_text(slots) -> str:
    """Hour-of-week slots in words: ``Fri, Sat 22:00-02:00``; runs across midnight kept whole."""
    chosen = set(int(s) for s in slots)
    if not chosen:
        return "none"
    if len(chosen) == HOURS_PER_WEEK:
        return "every hour"
    # cyclic runs: start at a chosen slot whose predecessor is not chosen
    starts = sorted(s for s in chosen if (s - 1) % HOURS_PER_WEEK not in chosen)
    by_hours: dict = {}
    for s in starts:
        n = 1
        while (s + n) % HOURS_PER_WEEK in chosen:
            n += 1
        if n >= 24:
            e = (s + n) % HOURS_PER_WEEK
            key = f"{WEEKDAY_ABBR[s // 24]} {s % 24:02d}:00 to {WEEKDAY_ABBR[e // 24]} {e % 24:02d}:00"
            by_hours.setdefault(key, [])
        else:
            by_hours.setdefault(f"{s % 24:02d}:00-{(s + n) % 24:02d}:00", []).append(s // 24)
    parts = [f"{days_text(days)} {hours}" if days else hours for hours, days in by_hours.items()]
    if len(parts) > 3:
        return ", ".join(parts[:3]) + f" and {len(parts) - 3} more"
    return "; ".join(parts) if any(", " in p for p in parts) else ", ".join(parts)


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%" if 0 < x < 0.01 else f"{x * 100:.0f}%"


def _period_text(days: float) -> str:
    if days >= 13.5:
        return f"{round(days / 7)} weeks"
    if days >= 1.5:
        return f"{round(days)} days"
    hours = max(round(days * 24), 1)
    return "1 hour" if hours == 1 else f"{hours} hours"


def _sentence(g: HotspotGap, period: str, koper_min: float) -> str:
    label = g.name if g.name.startswith("Hotspot ") else f"Hotspot {g.hotspot + 1} ({g.name})"
    got = ("no patrol minutes" if g.patrol_minutes_in_peak < 0.5
           else f"{g.patrol_minutes_in_peak:.0f} patrol minute{'s' if round(g.patrol_minutes_in_peak) != 1 else ''}")
    visits = {0: "no visits", 1: "1 visit"}.get(g.visits_qualifying, f"{g.visits_qualifying} visits")
    return (f"{label}: {_pct(g.incident_share)} of incidents, {_pct(g.patrol_share)} of patrol time; "
            f"its peak, {g.peak_text}, got {got} in {period}; {visits} of {koper_min:g} minutes or more.")


def patrol_gap(visits: Visits, incidents_by_hour, *, presence: Optional[Presence] = None,
               total_incidents: Optional[float] = None, demand_by_hour=None,
               peak_share: float = DEFAULT_PEAK_SHARE) -> PatrolGap:
    """Share of demand against share of patrol presence per hotspot, ranked gaps, 7 x 24 matrix.

    Parameters
    ----------
    visits : Visits
        From :func:`analysis.patrols.visits.hotspot_visits` (patrol time per hotspot and hour).
    incidents_by_hour : array (n_hotspots, 168)
        Incidents (or weights, e.g. aoristic) at each hotspot per local hour-of-week slot.
    presence : Presence, optional
        The whole presence (DESIGN.md section 7): its total is the denominator of patrol shares
        and its 168 hours the presence side of the matrix. Without it, the patrol time at the
        hotspots is used for both.
    total_incidents : float, optional
        Denominator of incident shares (all incidents in the area); default those at hotspots.
    demand_by_hour : array (168,), optional
        Demand side of the matrix (all incidents); default the hotspots' incidents.
    peak_share : float
        Share of a hotspot's incidents its peak hours hold (default 0.5).

    Returns
    -------
    PatrolGap
    """
    inc = np.asarray(incidents_by_hour, dtype=float)
    n = len(visits.names)
    if inc.shape != (n, HOURS_PER_WEEK):
        raise BeatwiseError(f"incidents_by_hour must be ({n}, 168), one row per hotspot; got {inc.shape}.")
    if not 0 < peak_share <= 1:
        raise BeatwiseError(f"The peak share must be in (0, 1], got {peak_share!r}.")
    patrol_how = visits.hour_of_week_s
    total_inc = float(inc.sum()) if total_incidents is None else float(total_incidents)
    total_s = float(presence.total_s) if presence is not None else float(patrol_how.sum())
    period = _period_text(visits.period_days)
    table = visits.hotspots.set_index("hotspot")
    rows = []
    for h in range(n):
        slots = peak_slots(inc[h], peak_share)
        idx = list(slots)
        peak_s = float(patrol_how[h, idx].sum()) if idx else 0.0
        t = table.loc[h]
        rows.append(HotspotGap(
            hotspot=h, name=visits.names[h], incidents=float(inc[h].sum()),
            incident_share=float(inc[h].sum()) / total_inc if total_inc > 0 else 0.0,
            patrol_share=float(patrol_how[h].sum()) / total_s if total_s > 0 else 0.0,
            patrol_minutes=float(t.patrol_minutes), officer_minutes=float(t.officer_minutes),
            visits=int(t.visits), visits_qualifying=int(t.visits_qualifying), longest_gap_h=float(t.longest_gap_h),
            peak_slots=slots, peak_text=slots_text(slots),
            peak_incident_share=float(inc[h, idx].sum()) / total_inc if total_inc > 0 and idx else 0.0,
            peak_patrol_share=peak_s / total_s if total_s > 0 else 0.0, patrol_minutes_in_peak=peak_s / 60.0))
    under = [g for g in rows if g.under_patrolled]
    under.sort(key=lambda g: (-(g.peak_incident_share - g.peak_patrol_share),
                              -(g.incident_share - g.patrol_share), g.hotspot))
    ranked = {g.hotspot: i + 1 for i, g in enumerate(under)}
    rows = [g.__class__(**{**g.__dict__, "rank": ranked.get(g.hotspot),
                           "sentence": _sentence(g, period, visits.koper_min)}) for g in rows]
    demand = inc.sum(axis=0) if demand_by_hour is None else np.asarray(demand_by_hour, dtype=float)
    pres = presence.hour_of_week_s if presence is not None else patrol_how.sum(axis=0)
    d_share = demand / demand.sum() if demand.sum() > 0 else np.zeros(HOURS_PER_WEEK)
    p_share = pres / pres.sum() if pres.sum() > 0 else np.zeros(HOURS_PER_WEEK)
    return PatrolGap(
        peak_share=float(peak_share), koper_min=visits.koper_min, period_text=period, hotspots=tuple(rows),
        gaps=tuple(sorted((g for g in rows if g.rank is not None), key=lambda g: g.rank)),
        demand_share=d_share.reshape(7, 24), presence_share=p_share.reshape(7, 24),
        matrix=(d_share - p_share).reshape(7, 24))

