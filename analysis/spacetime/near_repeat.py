"""Near-repeat: does an incident raise the chance of another nearby, soon after? (the Knox test)

Method (Knox 1964; Johnson & Bowers 2004 for burglary; as R's ``NearRepeat``, Steenbeek, and the
Near Repeat Calculator, Ratcliffe 2009):

1. Every pair of incidents is binned by its distance (Euclidean, or Manhattan as the default of
   ``NearRepeat``: |dx| + |dy|, closer to travel on a street grid) into the bands
   ``[d_0, d_1), [d_1, d_2), ...`` and by its time apart into ``[t_0, t_1), ...`` days: the
   observed table. Pairs farther apart than the last break in either are not counted.
2. Time apart is in whole calendar days between the incidents' dates (their start, local time):
   what ``NearRepeat`` computes from dates and what the Calculator uses. ``[0, 1)`` is "the same
   day".
3. The expected table under "no space-time interaction" comes from ``permutations`` random
   shuffles of the incidents' dates over their places (default 999, seeded): the mean table, and
   for each cell ``p = (#permutations with a count >= observed + 1) / (permutations + 1)``.
4. Knox ratio = observed / mean expected: 2 means twice as many pairs that close in space and time
   as chance alone gives.

Bands are printed in interval notation: ``[0, 1)`` m is the same place, ``[1, 100)`` m is 1 m up to
but not including 100 m. The Near Repeat Calculator labels a band "a to b" but computes
``[a-1, b)`` (Steenbeek, *NearRepeat and the Near Repeat Calculator software: a comparison*): its
"1 to 100 m" is this ``[0, 100)``, its "0 to 7 days" is ``[0, 7)``. Results from the two agree once
the breaks are read this way.

Only pairs within the largest bands are enumerated (a k-d tree), so the cost follows the close
pairs, not all n^2 / 2; permutations run in two threads.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from analysis.progress import BeatwiseError, ProgressFn, report

DEFAULT_DISTANCE_BANDS_M = (0.0, 1.0, 100.0, 200.0, 300.0, 400.0)
DEFAULT_TIME_BANDS_DAYS = (0.0, 1.0, 7.0, 14.0, 21.0, 28.0)
DEFAULT_PERMUTATIONS = 999
DEFAULT_SEED = 20260101
METRICS = ("manhattan", "euclidean")
#: A cell is called significant at this p-value in the sentence.
ALPHA = 0.05
#: At most this many close pairs are held (about 8 bytes x 3 each).
MAX_PAIRS = 60_000_000


def check_bands(bands: Sequence[float], what: str, option: str) -> tuple[float, ...]:
    """Breaks ``b_0 < b_1 < ...`` (at least two, first >= 0, finite); else a message."""
    try:
        b = tuple(float(v) for v in bands)
    except (TypeError, ValueError):
        raise BeatwiseError(f"{option}: the {what} bands must be numbers, got {bands!r}") from None
    if len(b) < 2:
        raise BeatwiseError(f"{option}: give at least two {what} break points (e.g. 0,1,100), got {list(b)}")
    if not all(math.isfinite(v) for v in b) or b[0] < 0:
        raise BeatwiseError(f"{option}: the {what} break points must be finite and start at 0 or more, got {list(b)}")
    bad = [i for i in range(1, len(b)) if not b[i] > b[i - 1]]
    if bad:
        i = bad[0]
        raise BeatwiseError(f"{option}: the {what} break points must increase, but {b[i]:g} follows {b[i - 1]:g}")
    return b


def interval_labels(breaks: Sequence[float], unit: str) -> list[str]:
    """``[a, b) unit`` for consecutive breaks."""
    return [f"[{a:g}, {b:g}) {unit}" for a, b in zip(breaks[:-1], breaks[1:])]


@dataclass(frozen=True)
class KnoxResult:
    """The Knox table of a set of incidents (see the module docstring).

    Arrays are (distance bands, time bands). ``knox_ratio`` is NaN where the expected count is 0.
    """

    distance_bands_m: tuple[float, ...]
    time_bands_days: tuple[float, ...]
    metric: str
    permutations: int
    seed: int
    n_incidents: int
    n_pairs: int
    observed: np.ndarray = field(repr=False)
    expected: np.ndarray = field(repr=False)
    knox_ratio: np.ndarray = field(repr=False)
    p_value: np.ndarray = field(repr=False)
    crime: str = "incident"

    @property
    def distance_labels(self) -> list[str]:
        return interval_labels(self.distance_bands_m, "m")

    @property
    def time_labels(self) -> list[str]:
        return interval_labels(self.time_bands_days, "days")

    def table(self):
        """One row per cell: bands, observed, expected, Knox ratio, p-value."""
        import pandas as pd

        rows = []
        for i, dl in enumerate(self.distance_labels):
            for j, tl in enumerate(self.time_labels):
                rows.append({"distance": dl, "time": tl, "distance_from_m": self.distance_bands_m[i],
                             "distance_to_m": self.distance_bands_m[i + 1], "days_from": self.time_bands_days[j],
                             "days_to": self.time_bands_days[j + 1], "observed": int(self.observed[i, j]),
                             "expected": float(self.expected[i, j]), "knox_ratio": float(self.knox_ratio[i, j]),
                             "p_value": float(self.p_value[i, j])})
        return pd.DataFrame(rows)

    def significant(self) -> np.ndarray:
        """Cells with more pairs than chance gives: p <= :data:`ALPHA` and a Knox ratio above 1."""
        ratio = np.asarray(self.knox_ratio, dtype=float)
        with np.errstate(invalid="ignore"):
            return (np.asarray(self.p_value) <= ALPHA) & np.isfinite(ratio) & (ratio > 1)

    def strongest(self) -> Optional[tuple[int, int]]:
        """The significant cell (:meth:`significant`) nearest in space, then time."""
        cells = np.argwhere(self.significant())
        return tuple(int(v) for v in cells[0]) if len(cells) else None

    def sentence(self) -> str:
        """The finding in one sentence, with its numbers."""
        cell = self.strongest()
        if cell is None:
            pairs = "incidents" if self.crime == "incident" else f"{self.crime} incidents"
            return (f"No distance and time band holds more pairs of {pairs} than chance alone gives "
                    f"(none has p <= {ALPHA:g} with a Knox ratio above 1; {self.permutations} permutations).")
        i, j = cell
        d0, d1 = self.distance_bands_m[i], self.distance_bands_m[i + 1]
        t0, t1 = self.time_bands_days[j], self.time_bands_days[j + 1]
        where = "at the same place" if (d0, d1) == (0.0, 1.0) else (
            f"within {d1:g} m" if d0 == 0 else f"between {d0:g} and {d1:g} m away")
        # the time band carries its own link to the incident: "as", "of", "after"
        when = "on the same day as" if (t0, t1) == (0.0, 1.0) else (
            f"within {t1:g} days of" if t0 == 0 else f"{t0:g} to {t1:g} days after")
        if where.startswith("within ") and when.startswith("within "):  # one "within": "within 100 m and 7 days"
            when = when[len("within "):]
        p = self.p_value[i, j]
        p_text = f"p = {p:.3f}" if p >= 0.001 else "p < 0.001"
        # crime types are often plural ("vehicle crime", "violence and sexual offences"): "an incident of"
        subject = "an incident" if self.crime == "incident" else f"an incident of {self.crime}"
        ratio, expected = float(self.knox_ratio[i, j]), float(self.expected[i, j])
        ratio_text = f"{ratio:.2f}" if ratio < 2 else f"{ratio:.1f}"
        expected_text = f"{expected:,.0f}" if expected >= 100 else f"{expected:.2g}"
        return (f"{where.capitalize()} and {when} {subject}, the chance of another is "
                f"{ratio_text} times what chance alone gives ({p_text}; "
                f"{int(self.observed[i, j]):,} pair{'s' if self.observed[i, j] != 1 else ''} against "
                f"{expected_text} expected; bands "
                f"{self.distance_labels[i]} x {self.time_labels[j]}).")

    def summary(self) -> dict:
        return {"distance_bands_m": list(self.distance_bands_m), "time_bands_days": list(self.time_bands_days),
                "metric": self.metric, "permutations": self.permutations, "seed": self.seed,
                "n_incidents": self.n_incidents, "n_pairs": self.n_pairs,
                "distance_labels": self.distance_labels, "time_labels": self.time_labels,
                "observed": self.observed.astype(int).tolist(), "expected": np.round(self.expected, 4).tolist(),
                "knox_ratio": [[None if not np.isfinite(v) else round(float(v), 4) for v in row]
                               for row in self.knox_ratio],
                "p_value": np.round(self.p_value, 6).tolist(), "sentence": self.sentence()}


def close_pairs(xy: np.ndarray, max_m: float, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` closer than ``max_m`` (``metric``): ``(i, j, distance)``."""
    from scipy.spatial import cKDTree

    tree = cKDTree(xy)
    p = 1 if metric == "manhattan" else 2
    pairs = tree.query_pairs(r=max_m, p=p, output_type="ndarray")
    if len(pairs) > MAX_PAIRS:
        raise BeatwiseError(f"{len(pairs):,} pairs of incidents lie within {max_m:g} m, more than the "
                            f"{MAX_PAIRS:,} allowed: use a smaller largest distance band or fewer incidents")
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    diff = np.abs(xy[i] - xy[j])
    d = diff.sum(axis=1) if p == 1 else np.hypot(diff[:, 0], diff[:, 1])
    keep = d < max_m  # the last break is excluded: [a, b)
    return i[keep], j[keep], d[keep]


def _table(d_bin: np.ndarray, days_apart: np.ndarray, t_breaks: np.ndarray, n_d: int) -> np.ndarray:
    n_t = len(t_breaks) - 1
    t_bin = np.searchsorted(t_breaks, days_apart, side="right") - 1
    ok = (t_bin >= 0) & (t_bin < n_t)  # before the first break or from the last on: not counted
    return np.bincount(d_bin[ok] * n_t + t_bin[ok], minlength=n_d * n_t).reshape(n_d, n_t)


def knox_test(xy: np.ndarray, days: np.ndarray, *, distance_bands_m: Sequence[float] = DEFAULT_DISTANCE_BANDS_M,
              time_bands_days: Sequence[float] = DEFAULT_TIME_BANDS_DAYS, metric: str = "manhattan",
              permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, crime: str = "incident",
              progress: Optional[ProgressFn] = None) -> KnoxResult:
    """The Knox test of the module docstring.

    Parameters
    ----------
    xy : (n, 2) array
        Positions in metres (a projected CRS).
    days : (n,) array of int
        Each incident's date as a day number (e.g. days since 1970-01-01, local dates).
    distance_bands_m, time_bands_days : increasing break points (``--distance-bands``, ``--time-bands``).
    metric : ``manhattan`` (default, as R NearRepeat) or ``euclidean``.
    permutations : int
        Random shuffles of the dates over the places (at least 2; default 999).
    seed : int
        Makes the permutations, and so the expected counts and p-values, reproducible.
    crime : str
        What the incidents are, for the sentence ("burglary").

    Raises
    ------
    BeatwiseError
        Fewer than 3 incidents, all at one place or on one day, bands not increasing, too few
        permutations.
    """
    d_breaks = np.array(check_bands(distance_bands_m, "distance", "--distance-bands"))
    t_breaks = np.array(check_bands(time_bands_days, "time", "--time-bands"))
    if metric not in METRICS:
        raise BeatwiseError(f"the distance must be one of {', '.join(METRICS)}, got {metric!r}")
    if int(permutations) < 2:
        raise BeatwiseError(f"at least 2 permutations are needed (default {DEFAULT_PERMUTATIONS}), got {permutations}")
    permutations = int(permutations)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    days = np.asarray(days, dtype=np.int64).reshape(-1)
    n = len(xy)
    if n != len(days):
        raise BeatwiseError(f"{n} positions but {len(days)} dates")
    if n < 3:
        raise BeatwiseError(f"the near-repeat test needs at least 3 incidents with a date and a place, got {n}")
    if not np.isfinite(xy).all():
        raise BeatwiseError("some incidents have no coordinates: drop them first")
    if np.unique(xy, axis=0).shape[0] == 1:
        raise BeatwiseError(f"all {n:,} incidents are at one place: distance bands cannot tell near from far")
    if np.unique(days).shape[0] == 1:
        raise BeatwiseError(f"all {n:,} incidents are on one day: time bands cannot tell soon from later "
                            "(month-only data such as data.police.uk cannot be tested)")
    report(progress, 0.0, "Near-repeat: close pairs")
    i, j, dist = close_pairs(xy, float(d_breaks[-1]), metric)
    d_bin = np.searchsorted(d_breaks, dist, side="right") - 1
    ok = d_bin >= 0
    i, j, d_bin = i[ok], j[ok], d_bin[ok]
    n_d = len(d_breaks) - 1
    observed = _table(d_bin, np.abs(days[i] - days[j]), t_breaks, n_d)
    # the permutations' inner loop: a lookup from whole days apart to the time band, with an extra
    # "not counted" band per distance band instead of a mask; the pairs' indices stay intp (no cast
    # per permutation) and the arithmetic is in place (half the time of a masked version)
    n_t = len(t_breaks) - 1
    span = int(days.max() - days.min())
    lut = np.searchsorted(t_breaks, np.arange(span + 1), side="right") - 1
    lut = np.where((lut >= 0) & (lut < n_t), lut, n_t).astype(np.int32)
    base = (d_bin * (n_t + 1)).astype(np.int32)  # per pair: base + its time band (n_t: not counted)
    local = (days - days.min()).astype(np.int32)
    ip, jp = i.astype(np.intp, copy=False), j.astype(np.intp, copy=False)
    del i, j

    def table_of(shuffled: np.ndarray) -> np.ndarray:
        apart = shuffled[ip]
        apart -= shuffled[jp]
        np.abs(apart, out=apart)
        cell = lut[apart]
        cell += base
        return np.bincount(cell, minlength=n_d * (n_t + 1)).reshape(n_d, n_t + 1)[:, :n_t]

    assert np.array_equal(table_of(local), observed)  # the fast path counts as the plain one
    sims = np.empty((permutations,) + observed.shape, dtype=np.int64)
    children = np.random.SeedSequence(int(seed)).spawn(2)
    halves = [(0, permutations // 2), (permutations // 2, permutations)]

    stop = []  # set when the progress callback cancels: the other thread stops too

    def run(part: int) -> None:
        rng = np.random.default_rng(children[part])
        a, b = halves[part]
        for k in range(a, b):
            if stop:
                return
            sims[k] = table_of(local[rng.permutation(n)])
            if part == 0 and (k - a) % 50 == 0:
                try:
                    report(progress, 0.05 + 0.9 * (k - a) / max(1, b - a),
                           f"Near-repeat: permutation {2 * (k - a) + 1} of {permutations}")
                except BaseException:
                    stop.append(True)
                    raise

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, range(2)))
    expected = sims.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / np.where(expected > 0, expected, 1), np.nan)
    p = ((sims >= observed[None]).sum(axis=0) + 1) / (permutations + 1)
    report(progress, 1.0, "Near-repeat done")
    frozen = []
    for a in (observed, expected, ratio, p):
        a = np.array(a)
        a.flags.writeable = False
        frozen.append(a)
    return KnoxResult(tuple(float(v) for v in d_breaks), tuple(float(v) for v in t_breaks), metric, permutations,
                      int(seed), n, int(len(ip)), *frozen, crime=crime)
