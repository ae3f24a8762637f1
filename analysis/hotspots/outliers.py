"""Out-of-area incidents: the few rows a force records that are located far from all the others.

A force's files always hold a handful of incidents recorded by that force but located elsewhere
(Essex 2018: 31 of 114,847 rows in Exeter, Newcastle, Swansea, Birmingham...). Left in, they
stretch the extent to hundreds of kilometres, the automatic cell grows with it and Gi* compares
Essex with the empty country between. :func:`find_outliers` finds them; callers keep them in the
data and the accounting (they are reported by name) and leave them out of grids and statistics.

The rule (:func:`find_outliers`), on the **distinct** incident locations (hundreds of incidents
on one data.police.uk snap point are one place):

1. ``d_k``: each place's distance to its ``k``-th nearest other place (``k = 5``). Places are
   distinct to 1 m; above 100,000 of them, occupied cells of a lattice (4, 16, 64... m) instead.
2. The link distance ``T = max(floor_m, 10 ** (median + mads * MAD))`` of ``log10 d_k``, MAD the
   median absolute deviation scaled by 1.4826 (a robust standard deviation; Rousseeuw & Croux
   1993), ``mads = 10``, ``floor_m = 5 km``. On a log scale the spread of local spacing is about
   the same from a town to a county (Essex 2024: median 237 m, MAD 0.17 decades, T = 12.4 km).
3. Places are clustered by single linkage with links up to ``T`` (a k-nearest-neighbour graph,
   then clusters joined to the main area while any of their places lies within ``T`` of it). The
   main area is every cluster holding at least ``min_share`` (1 %) of the incidents (the largest
   if none does); incidents of clusters never joined to it are **out of area**.

So a lone row 300 km away is out of area, and so is a few-row cluster in another city, while a
village 4 km from the next one is not.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from analysis.grouping import group_keys, n_distinct
from analysis.hotspots.grid import points_xy

#: Neighbour rank of the spacing statistic.
OUTLIER_K = 5
#: The link distance is the median log spacing plus this many (scaled) MADs...
OUTLIER_MADS = 10.0
#: ...and at least this many metres.
OUTLIER_FLOOR_M = 5000.0
#: Clusters with at least this share of the incidents make the main area.
OUTLIER_MIN_SHARE = 0.01
#: Names listed in the sentence (the rest are counted).
_NAMES_SHOWN = 8


@dataclass(frozen=True)
class Outliers:
    """Incidents out of the main area, and the rule that found them.

    Attributes
    ----------
    mask : bool ndarray (n,), read-only
        True for the out-of-area incidents, in the order given.
    link_m : float or None
        The link distance T of the rule (metres); None when it was not applied (or a boundary decided).
    rule : str
        The rule with its numbers, for people.
    names : tuple of (str, int)
        Place names of the out-of-area incidents (LSOA, else area, else location) with counts,
        most first.
    kept : bool
        True when the caller keeps them in the analysis (``--keep-outliers``).
    """

    mask: np.ndarray = field(repr=False)
    link_m: Optional[float]
    rule: str
    names: tuple[tuple[str, int], ...] = ()
    kept: bool = False

    @property
    def n(self) -> int:
        return int(self.mask.sum())

    @property
    def n_total(self) -> int:
        return int(len(self.mask))

    def sentence(self) -> str:
        """``"31 incidents lie outside the main area: Exeter 004D (3), Newcastle upon Tyne 029G, ..."``."""
        if self.n == 0:
            return "No incident lies outside the main area."
        shown = [f"{name} ({c})" if c > 1 else name for name, c in self.names[:_NAMES_SHOWN]]
        more = len(self.names) - _NAMES_SHOWN
        tail = f" and {more} more places" if more > 0 else ""
        verb = "lies" if self.n == 1 else "lie"
        what = "incident" if self.n == 1 else "incidents"
        action = ("kept in the analysis (--keep-outliers)" if self.kept
                  else "left out of the grids and statistics, kept in the data (--keep-outliers to include)")
        return f"{self.n:,} {what} {verb} outside the main area: {', '.join(shown)}{tail}; {action}."

    def with_kept(self, kept: bool) -> "Outliers":
        return Outliers(mask=self.mask, link_m=self.link_m, rule=self.rule, names=self.names, kept=bool(kept))

    def summary(self) -> dict:
        return {"n": self.n, "n_total": self.n_total, "kept": self.kept, "link_m": self.link_m,
                "rule": self.rule, "names": [{"name": k, "incidents": c} for k, c in self.names],
                "sentence": self.sentence()}


def _frozen(mask) -> np.ndarray:
    mask = np.ascontiguousarray(mask, dtype=bool)
    mask.flags.writeable = False
    return mask


def place_names(incidents, mask: np.ndarray) -> tuple[tuple[str, int], ...]:
    """Names of the incidents where ``mask`` is True: ``lsoa``, else ``area``, else ``location``,
    else ``"x, y"`` (metres), counted, most first (ties by name)."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return ()
    columns = getattr(incidents, "columns", None)
    names = [""] * len(idx)
    for col in ("lsoa", "area", "location"):
        if columns is None or col not in columns:
            continue
        values = incidents[col].iloc[idx].tolist()
        names = [n or ("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip())
                 for n, v in zip(names, values)]
    if any(n == "" for n in names):
        xy, _ = points_xy(incidents, check_crs=False)
        names = [n or f"{xy[i, 0]:.0f}, {xy[i, 1]:.0f}" for n, i in zip(names, idx)]
    counts = Counter(names)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


#: Above this many distinct places the rule runs on a lattice (cells 4x wider each step) instead.
MAX_PLACES = 100_000


def _places(xy: np.ndarray):
    """Distinct locations to 1 m (or occupied cells of a coarser lattice when there are more than
    :data:`MAX_PLACES`): their centres, each incident's place, the incidents per place, the step.

    One integer key per point, grouped by hashing (a lexicographic unique of a million pairs takes
    seconds, a sorting 1-D unique a tenth of one); the lattice keeps a million continuous coordinates to a k-d tree of at most 100,000.
    """
    lo = xy.min(axis=0)
    span = float((xy.max(axis=0) - lo).max())
    step = 1.0
    while True:
        ij = np.floor((xy - lo) / step).astype(np.int64)
        key = ij[:, 0] * (int(ij[:, 1].max()) + 1) + ij[:, 1]
        # a sample with more distinct places than allowed rules this step out without the full unique
        if step < span and len(key) > MAX_PLACES and n_distinct(key[:2 * MAX_PLACES]) > MAX_PLACES:
            step *= 4.0
            continue
        inverse, first, counts = group_keys(key)
        if len(first) <= MAX_PLACES or step >= span:
            break
        step *= 4.0
    places = xy[first] if step <= 1.0 else lo + (ij[first] + 0.5) * step
    return places, inverse.reshape(-1), counts, step


def find_outliers(incidents, *, k: int = OUTLIER_K, mads: float = OUTLIER_MADS,
                  floor_m: float = OUTLIER_FLOOR_M, min_share: float = OUTLIER_MIN_SHARE) -> Outliers:
    """The out-of-area incidents by the rule of the module docstring.

    Parameters
    ----------
    incidents : GeoDataFrame or (n, 2) array
        Coordinates in metres; ``lsoa``/``area``/``location`` columns name the outliers.
    k, mads, floor_m, min_share
        The rule's parameters (module docstring).

    Returns
    -------
    Outliers
        ``kept`` False; fewer than ``k + 2`` distinct places: nothing is out of area.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    xy, _ = points_xy(incidents)
    n = len(xy)
    places, inverse, counts, step = _places(xy)
    m = len(places)
    if m < k + 2:
        return Outliers(mask=_frozen(np.zeros(n, bool)), link_m=None,
                        rule=f"not applied: {m} distinct locations (the rule needs at least {k + 2})")
    tree = cKDTree(places)
    kq = min(m - 1, max(k, 10))
    d, nb = tree.query(places, k=kq + 1, workers=-1)
    log_dk = np.log10(np.maximum(d[:, k], 1e-3))
    med = float(np.median(log_dk))
    mad = 1.4826 * float(np.median(np.abs(log_dk - med)))
    link = max(float(floor_m), 10.0 ** (med + mads * mad))
    # single linkage on the k-NN graph, links <= link
    rows = np.repeat(np.arange(m), kq)
    cols = nb[:, 1:].reshape(-1)
    keep = d[:, 1:].reshape(-1) <= link
    graph = coo_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(m, m))
    n_comp, comp = connected_components(graph, directed=False)
    comp_w = np.bincount(comp, weights=counts, minlength=n_comp)
    main = comp_w >= min_share * n
    if not main.any():
        main[int(np.argmax(comp_w))] = True
    # join clusters within the link distance of the main area until none joins (the k-NN graph can
    # miss the link between two dense clusters a few km apart)
    while True:
        in_main = main[comp]
        if in_main.all():
            break
        main_tree = cKDTree(places[in_main])
        dist, _ = main_tree.query(places[~in_main], distance_upper_bound=link * (1 + 1e-9), workers=-1)
        joined = np.unique(comp[~in_main][np.isfinite(dist)])
        if len(joined) == 0:
            break
        main[joined] = True
    out_place = ~main[comp]
    mask = out_place[inverse]
    where = "distinct locations" if step <= 1.0 else f"occupied {step:g} m lattice cells"
    rule = (f"single-linkage clusters of the {m:,} {where} with links up to {link:,.0f} m "
            f"(max of {floor_m:,.0f} m and 10^(median + {mads:g} MAD) of log10 of the distance to the "
            f"{k}th nearest location: median {10 ** med:,.0f} m, MAD {mad:.2f} decades); clusters holding "
            f"under {100 * min_share:g}% of the incidents and farther than that from the main area are out of area")
    return Outliers(mask=_frozen(mask), link_m=link, rule=rule, names=place_names(incidents, mask))


def boundary_outliers(incidents, boundary, *, source: Optional[str] = None,
                      margin_m: float = OUTLIER_FLOOR_M) -> Outliers:
    """With a user boundary the boundary decides: incidents more than ``margin_m`` (5 km) outside its
    polygons are out of area (those just outside still add density at its edge)."""
    import shapely

    xy, _ = points_xy(incidents)
    label = f"the study area boundary {source}" if source else "the study area boundary"
    if not np.asarray(shapely.intersects_xy(boundary, xy[:, 0], xy[:, 1])).any():
        # nothing inside: the study area's own check says so; nothing is called out of area
        return Outliers(mask=_frozen(np.zeros(len(xy), bool)), link_m=None,
                        rule=f"not applied: no incident inside {label}")
    zone = shapely.buffer(boundary, float(margin_m))
    mask = ~np.asarray(shapely.intersects_xy(zone, xy[:, 0], xy[:, 1]), dtype=bool)
    return Outliers(mask=_frozen(mask), link_m=None,
                    rule=f"more than {margin_m:,.0f} m outside {label} (the boundary decides)",
                    names=place_names(incidents, mask))


def without_outliers(incidents, *, keep: bool = False, boundary=None, source: Optional[str] = None):
    """The incidents an analysis grids, and the :class:`Outliers` found (every caller does this).

    Parameters
    ----------
    incidents : GeoDataFrame
        After the filters.
    keep : bool
        ``--keep-outliers``: find and report them, but grid them too.
    boundary : shapely geometry, optional
        A user study area (``--study-area``): it decides instead of the rule
        (:func:`boundary_outliers`).

    Returns
    -------
    (GeoDataFrame, Outliers)
        The incidents without the out-of-area ones (all of them when ``keep`` or none is out).
    """
    found = (boundary_outliers(incidents, boundary, source=source) if boundary is not None
             else find_outliers(incidents)).with_kept(keep)
    if keep or found.n == 0 or found.n == found.n_total:
        return incidents, found.with_kept(keep or found.n == found.n_total)
    return incidents[~found.mask], found
