"""The hotspot matrix (after Ratcliffe 2004): what kind of hotspot each one is, in space and in time.

Ratcliffe (2004, *Police Practice and Research* 5(1), "The Hotspot Matrix: a framework for the
spatio-temporal targeting of crime reduction") sorts hotspots by how their incidents spread over the
area (**dispersed**, **clustered**, **hotpoint**) and over the day (**diffused**, **focused**,
**acute**), because the answer changes the tactic. The paper's cut-offs are not published, so these
are **Beatwise rules after Ratcliffe 2004**, every number a parameter (:class:`MatrixRules`):

* Spatial, on the hotspot's own incidents: **hotpoint** when its busiest single place (distinct
  location to 1 m; a data.police.uk snap point is one place) holds at least ``hotpoint_share``
  (50 %) of them; **clustered** when its busiest ``cluster_cells_share`` (20 %) of cells hold at
  least ``clustered_share`` (60 %); else **dispersed** (evenly spread: 20 % of the cells hold about
  20 %).
* Temporal, on the hour-of-day profile (aoristic for windows, :mod:`analysis.temporal.matrix`):
  **acute** when the busiest ``acute_hours`` (3) consecutive hours (midnight wraps) hold at least
  ``acute_share`` (40 %; 12.5 % if spread evenly); **focused** when the busiest ``focused_hours``
  (8) hold at least ``focused_share`` (55 %; 33 % if even); else **diffused**. No time of day
  (month-only data): **unknown**.

Each of the nine cells has a suggested response (:data:`RESPONSES`), after the paper's discussion.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

SPATIAL = ("dispersed", "clustered", "hotpoint")
TEMPORAL = ("diffused", "focused", "acute")
RULE_LABEL = "Beatwise rule after Ratcliffe 2004"

#: (spatial, temporal) -> suggested response.
RESPONSES = {
    ("dispersed", "diffused"): "area-wide problem solving across the day: environmental design, partnership work",
    ("dispersed", "focused"): "area patrols at the busy hours; licensing or event management for those times",
    ("dispersed", "acute"): "a short, area-wide operation in the peak window (e.g. closing time)",
    ("clustered", "diffused"): "work on the few busy streets or blocks through the day: target hardening, guardians",
    ("clustered", "focused"): "directed patrols of the busy blocks in their hours",
    ("clustered", "acute"): "hot-spot patrol of the busy blocks in the peak window (short, regular visits)",
    ("hotpoint", "diffused"): "place management at the one address: the owner, manager or landlord; CCTV",
    ("hotpoint", "focused"): "a guardian or patrol at the place in its busy hours",
    ("hotpoint", "acute"): "be at the place at its time: a fixed point or visit in the peak window",
}


@dataclass(frozen=True)
class MatrixRules:
    """The editable cut-offs (see the module docstring)."""

    hotpoint_share: float = 0.5
    cluster_cells_share: float = 0.2
    clustered_share: float = 0.6
    acute_hours: int = 3
    acute_share: float = 0.4
    focused_hours: int = 8
    focused_share: float = 0.55


@dataclass(frozen=True)
class MatrixClass:
    """One hotspot's place in the matrix, with the numbers behind it."""

    spatial: str
    temporal: str
    top_place_share: float
    top_cells_share: float
    peak_hours_share: Optional[float]      # busiest acute_hours, None without times
    focused_hours_share: Optional[float]
    peak_start_hour: Optional[int]

    @property
    def response(self) -> str:
        return RESPONSES.get((self.spatial, self.temporal), "no time of day: choose by place only")

    def summary(self) -> dict:
        return {**asdict(self), "response": self.response, "rule": RULE_LABEL}


def _busiest_window(hours: np.ndarray, width: int) -> tuple[float, int]:
    """Largest share of a 24-hour profile in ``width`` consecutive hours (wrapping), and its start."""
    total = float(hours.sum())
    if not total > 0:
        return 0.0, 0
    ext = np.r_[hours, hours[: width - 1]]
    sums = np.convolve(ext, np.ones(width), mode="valid")[:24]
    start = int(np.argmax(sums))
    return float(sums[start] / total), start


def spatial_class(xy: np.ndarray, cell_rows: np.ndarray, cell_cols: np.ndarray, rules: MatrixRules) -> tuple[str, float, float]:
    """``(class, top place share, top cells share)`` of one hotspot's incidents."""
    n = len(xy)
    if n == 0:
        return "dispersed", 0.0, 0.0
    from analysis.grouping import group_keys

    key = np.round(xy[:, 0]).astype(np.int64) * 10_000_000 + np.round(xy[:, 1]).astype(np.int64)
    top_place = float(group_keys(key).counts.max() / n)
    cells = group_keys(cell_rows.astype(np.int64) * 1_000_000 + cell_cols).counts
    k = max(1, int(np.ceil(rules.cluster_cells_share * len(cells))))
    top_cells = float(np.sort(cells)[::-1][:k].sum() / n)
    if top_place >= rules.hotpoint_share:
        return "hotpoint", top_place, top_cells
    if top_cells >= rules.clustered_share:
        return "clustered", top_place, top_cells
    return "dispersed", top_place, top_cells


def temporal_class(hours: Optional[np.ndarray], rules: MatrixRules) -> tuple[str, Optional[float], Optional[float], Optional[int]]:
    """``(class, acute-window share, focused-window share, peak start hour)`` of a 24-hour profile."""
    if hours is None or not float(np.sum(hours)) > 0:
        return "unknown", None, None, None
    h = np.asarray(hours, dtype=float)
    acute, start = _busiest_window(h, rules.acute_hours)
    focused, _ = _busiest_window(h, rules.focused_hours)
    if acute >= rules.acute_share:
        return "acute", acute, focused, start
    if focused >= rules.focused_share:
        return "focused", acute, focused, start
    return "diffused", acute, focused, start


def hour_profiles(rank: np.ndarray, n_ranks: int, incidents) -> np.ndarray:
    """Hour-of-day profiles (n_ranks + 1, 24) of the incidents by ``rank`` (0 = in no hotspot): exact
    times in their hour, from/to windows spread over their hours (aoristic, Ratcliffe 2000), rows
    without a time of day (month or day only) left out. One pass over the exact times."""
    from analysis.temporal.matrix import aoristic_week_weights

    out = np.zeros((n_ranks + 1, 24))
    # the text column tested in place (no million-string copy), the times as views
    with_time = np.asarray(incidents["time_precision"].isin(["minute", "window"]).to_numpy(), dtype=bool)
    t0 = incidents["t_start"].to_numpy().astype("datetime64[ns]", copy=False)
    t1 = (incidents["t_end"].to_numpy().astype("datetime64[ns]", copy=False) if "t_end" in incidents.columns
          else t0)
    timed = with_time & (rank > 0) & ~np.isnat(t0)
    window = timed & ~np.isnat(t1) & (t1 > t0)
    exact = timed & ~window
    hours = ((t0[exact] - t0[exact].astype("datetime64[D]")) // np.timedelta64(1, "h")).astype(np.int64)
    out += np.bincount(rank[exact] * 24 + hours, minlength=(n_ranks + 1) * 24).reshape(n_ranks + 1, 24)
    for r in np.unique(rank[window]):
        sel = window & (rank == r)
        out[r] += aoristic_week_weights(t0[sel], t1[sel]).reshape(7, 24).sum(axis=0)
    return out


def hotspot_matrix(areas, incidents, xy: np.ndarray, rules: MatrixRules = MatrixRules()) -> dict[int, MatrixClass]:
    """The matrix class of every hotspot of ``areas`` (rank -> :class:`MatrixClass`).

    ``incidents`` are those the surface was made from (same order as ``xy``), with their time
    columns; a hotspot's incidents are those in its cells.
    """
    grid = areas.grid
    rows, cols = grid.cell_index(xy)
    inside = rows >= 0
    rank = np.zeros(len(xy), dtype=np.int64)
    rank[inside] = areas.labels[rows[inside], cols[inside]]
    n_ranks = len(areas.hotspots)
    profiles = hour_profiles(rank, n_ranks, incidents)
    in_hotspot = np.flatnonzero(rank > 0)              # sort only the incidents in a hotspot
    order = np.r_[np.zeros(0, dtype=np.int64), in_hotspot[np.argsort(rank[in_hotspot], kind="stable")]]
    bounds = np.r_[0, np.searchsorted(rank[order], np.arange(1, n_ranks + 2))]
    out = {}
    for h in areas.hotspots:
        sel = order[bounds[h.rank]:bounds[h.rank + 1]]
        sp, top_place, top_cells = spatial_class(xy[sel], rows[sel], cols[sel], rules)
        hours = profiles[h.rank] if profiles[h.rank].sum() > 0 else None
        tp, acute, focused, start = temporal_class(hours, rules)
        out[h.rank] = MatrixClass(sp, tp, top_place, top_cells, acute, focused, start)
    return out
