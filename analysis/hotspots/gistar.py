"""Getis-Ord Gi* hot and cold spots of incident counts on a grid, with false discovery rate control.

:func:`gi_star` - Getis-Ord Gi* (Ord & Getis 1995) z-scores of incident counts in a grid, with a
binary distance band computed by convolution (no dense weights matrix), two-sided p-values,
Benjamini-Hochberg (1995) false discovery rate control, and ArcGIS-style classes -3..+3.

The statistic is computed over a **study area** only (:mod:`analysis.hotspots.study_area`: a user
boundary, else the cells within reach of the incidents). Cells outside it are absent, not zeros:
they are not in n, the mean or the variance, are nobody's neighbour (so ``W_i`` and ``S1_i`` are
per cell, as esda's ``G_Local`` on the cells inside), get a NaN z and the class "outside", and do
not count in the false discovery rate. On a grid padded beyond the data, counting the padding as
observed zeros made 3,534 of 11,881 cells "significant" on uniform random data (issue 12).

:func:`gi_star_points` is the same statistic for arbitrary points (checked against esda); the grid
version equals it on the cell centres.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from scipy.special import erfc

from analysis.hotspots.grid import GridSpec, points_xy
from analysis.hotspots.kde import fft_convolve
from analysis.hotspots.study_area import StudyArea, band_stencil, check_band, default_reach_m, reach_study_area
from analysis.progress import BeatwiseError, ProgressFn, report, scaled

#: Default Gi* counting cell in metres (coarser than the density grid, same origin).
DEFAULT_GI_CELL_M = 100.0

#: Confidence levels of the Gi* classes (ArcGIS Hot Spot Analysis "Gi_Bin"): class 3 = 99 %, 2 = 95 %, 1 = 90 %.
GI_LEVELS = ((3, 0.01, "99"), (2, 0.05, "95"), (1, 0.10, "90"))

#: The label of the cells outside the study area (:meth:`GiStar.class_labels`).
GI_OUTSIDE = "outside"


class GiStarUndefined(BeatwiseError):
    """The data leaves Gi* undefined (fewer than two cells in the study area, or no variation):
    a briefing goes on without Gi*, saying why; bad parameters stay plain :class:`BeatwiseError`."""


def gi_star_points(xy, values, distance_m: float) -> np.ndarray:
    """Getis-Ord Gi* z-scores for values at points, binary distance band, focal point included.

    ``z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1)))`` with ``w_ij = 1`` when
    ``d_ij <= distance_m`` (``i = j`` included), ``W_i = sum_j w_ij``, ``S1_i = sum_j w_ij^2 = W_i``,
    ``xbar`` the mean and ``S`` the population s.d. of all n values (Ord & Getis 1995, Geographical
    Analysis 27(4), eq. 14; as esda ``G_Local(star=True, transform="B")``).

    Returns
    -------
    ndarray of shape (n,)
        NaN where the band covers every point (the variance is 0).
    """
    from scipy.spatial import cKDTree

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    x = np.asarray(values, dtype=float).reshape(-1)
    n = len(x)
    if len(xy) != n:
        raise BeatwiseError(f"Got {len(xy)} points and {n} values.")
    pairs = cKDTree(xy).query_pairs(float(distance_m) * (1 + 1e-12), output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    sum_wx = x + np.bincount(a, x[b], n) + np.bincount(b, x[a], n)
    w = 1.0 + np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    return _gi_z(sum_wx, w, x.mean(), x.std(), n)


def _gi_z(sum_wx, w, xbar, s, n):
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (n * w - w * w) / (n - 1)
        z = (sum_wx - xbar * w) / (s * np.sqrt(var))
    z[~(var > 0)] = np.nan
    return z


def gi_star_grid(values: np.ndarray, cell_m: float, distance_m: float,
                 mask: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores of a 2-D array of cell values over the cells in ``mask``, by masked FFT convolution.

    Equal to :func:`gi_star_points` on the centres of the cells in ``mask`` (default all cells):
    neighbours are cells whose centres are within ``distance_m`` (inclusive), the focal cell
    included; cells outside the array or the mask are not neighbours and not in n, xbar, S.
    ``x * mask`` and ``mask`` are convolved with the binary band, giving ``sum_j w_ij x_j`` and
    ``W_i = sum_j w_ij = S1_i`` of every cell (Ord & Getis 1995, eq. 14).

    Returns
    -------
    z : ndarray (ny, nx)
        NaN outside the mask and where the band covers every cell.
    w : ndarray (ny, nx)
        Number of neighbours ``W_i`` (focal included) of each cell.

    Raises
    ------
    GiStarUndefined
        Fewer than two cells, or no variation.
    BeatwiseError
        A band too long for the grid (:func:`check_band`).
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise BeatwiseError(f"Gi* on a grid needs a 2-D array, got shape {x.shape}.")
    check_band(x.shape, cell_m, distance_m)
    m = np.ones(x.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    n = int(m.sum())
    if n < 2:
        raise GiStarUndefined("Gi* needs at least two cells in the study area.")
    xm = np.where(m, x, 0.0)
    xbar = float(xm.sum() / n)
    s = float(np.sqrt(((xm - xbar) ** 2)[m].mean()))
    if not s > 0:
        raise GiStarUndefined("Gi* is undefined: every cell of the study area has the same incident count (no "
                            "variation). Use smaller Gi* cells or more data.")
    st = band_stencil(cell_m, distance_m)
    if st.shape[0] == 1:
        sum_wx, w = xm.copy(), m.astype(float)
    else:
        both = fft_convolve(np.stack([xm, m.astype(float)]), st, mode="same")
        sum_wx, w = both[0], np.rint(both[1])
        if np.all(xm == np.rint(xm)):  # integer counts: the sums are integers, remove FFT round-off
            sum_wx = np.rint(sum_wx)
    z = _gi_z(sum_wx, w, xbar, s, n)
    z[~m] = np.nan
    return z, w


def two_sided_p(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value ``2 * (1 - Phi(|z|)) = erfc(|z| / sqrt 2)``; NaN stays NaN."""
    return erfc(np.abs(np.asarray(z, dtype=float)) / math.sqrt(2.0))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg (1995) adjusted p-values (step-up), NaN ignored and kept.

    ``p_adj_(k) = min_{j >= k} min(1, m p_(j) / j)`` over the m finite p-values; rejecting
    ``p_adj <= q`` is the BH procedure at false discovery rate q.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    flat = p.reshape(-1)
    ok = np.flatnonzero(np.isfinite(flat))
    mtot = len(ok)
    if mtot == 0:
        return out
    order = np.argsort(flat[ok], kind="stable")
    ranked = flat[ok][order] * (mtot / np.arange(1, mtot + 1))
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    np.minimum(adj, 1.0, out=adj)
    res = np.empty(mtot)
    res[order] = adj
    out.reshape(-1)[ok] = res
    return out


def gi_classes(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS-style classes: +-3 where p <= 0.01, +-2 <= 0.05, +-1 <= 0.10 (sign of z), else 0.

    Pass BH-adjusted p-values for FDR-corrected classes (ArcGIS "Apply False Discovery Rate").
    """
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    level = np.zeros(z.shape, dtype=np.int8)
    for cls, alpha, _ in reversed(GI_LEVELS):
        level[p <= alpha] = cls
    sign = np.where(z > 0, 1, np.where(z < 0, -1, 0)).astype(np.int8)
    return (level * sign).astype(np.int8)


#: Class -> label of :meth:`GiStar.class_labels` (cells outside the study area: :data:`GI_OUTSIDE`).
GI_LABELS = {3: "hot 99%", 2: "hot 95%", 1: "hot 90%", 0: "not significant",
             -1: "cold 90%", -2: "cold 95%", -3: "cold 99%"}


@dataclass(frozen=True)
class GiStar:
    """Getis-Ord Gi* hot and cold spots of incident counts on a grid, over a study area.

    Attributes
    ----------
    grid : GridSpec
        The counting grid (coarser than the density grid; same origin).
    counts, z, p : ndarray (ny, nx), read-only
        Incidents per cell; z-score; two-sided p-value (NaN outside the study area).
    p_fdr : ndarray or None
        Benjamini-Hochberg adjusted p-values when ``fdr`` (over the cells inside only).
    classes : ndarray int8 (ny, nx)
        -3..+3 (99/95/90 % cold .. hot), from ``p_fdr`` when ``fdr`` else ``p``; 0 outside the
        study area too (:meth:`class_labels` tells the two apart).
    distance_m : float
        Binary distance band (inclusive, focal cell included).
    fdr : bool
    n_cells : int
        Cells tested: the cells of the study area (the n of the statistic and of BH).
    neighbours : int
        Cells in the band of an interior cell, focal included.
    hot, cold : tuple of int
        Cells in classes (3, 2, 1) and (-3, -2, -1): exclusive counts at 99 %, 95 %, 90 %.
    study_area : StudyArea
        The cells the statistic was computed over, on ``grid``, with how they were chosen.
    warnings : tuple of str
    """

    grid: GridSpec
    counts: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False)
    p: np.ndarray = field(repr=False)
    p_fdr: Optional[np.ndarray] = field(repr=False)
    classes: np.ndarray = field(repr=False)
    distance_m: float
    fdr: bool
    n_cells: int
    neighbours: int
    hot: tuple[int, int, int]
    cold: tuple[int, int, int]
    study_area: StudyArea = field(repr=False)
    warnings: tuple[str, ...] = ()

    def summary(self) -> dict:
        """``{cell_m, distance_m, fdr, n_cells, neighbours, hot {"99","95","90"}, cold {...}, study_area}``."""
        return {"cell_m": self.grid.cell_m, "distance_m": self.distance_m, "fdr": self.fdr,
                "n_cells": self.n_cells, "neighbours": self.neighbours,
                "hot": {lab: self.hot[i] for i, (_, _, lab) in enumerate(GI_LEVELS)},
                "cold": {lab: self.cold[i] for i, (_, _, lab) in enumerate(GI_LEVELS)},
                "study_area": self.study_area.summary()}

    def class_labels(self) -> np.ndarray:
        """Object array (ny, nx) of "hot 99%" ... "not significant" ... "cold 99%", and
        :data:`GI_OUTSIDE` for the cells outside the study area."""
        labels = np.array([GI_LABELS[c] for c in range(-3, 4)], dtype=object)[self.classes.astype(int) + 3]
        labels[~self.study_area.mask] = GI_OUTSIDE
        return labels

    def to_geodataframe(self, significant_only: bool = True):
        """Cells as square polygons with ``row, col, count, z, p, p_fdr, gi_class, gi_label``.

        Only cells with a non-zero class when ``significant_only`` (the usual map layer), else
        every cell of the study area.
        """
        import geopandas as gpd
        import shapely

        sel = self.classes != 0 if significant_only else self.study_area.mask
        rows, cols = np.nonzero(sel)
        g = self.grid
        x0 = g.x0 + cols * g.cell_m
        y0 = g.y0 + rows * g.cell_m
        geoms = shapely.box(x0, y0, x0 + g.cell_m, y0 + g.cell_m)
        pf = self.p_fdr[rows, cols] if self.p_fdr is not None else np.full(len(rows), np.nan)
        return gpd.GeoDataFrame({"row": rows.astype(np.int64), "col": cols.astype(np.int64),
                                 "count": self.counts[rows, cols], "z": self.z[rows, cols],
                                 "p": self.p[rows, cols], "p_fdr": pf,
                                 "gi_class": self.classes[rows, cols].astype(np.int64),
                                 "gi_label": self.class_labels()[rows, cols].astype(str)},
                                geometry=geoms, crs=g.crs)


def gi_star(points, grid: GridSpec, *, distance_m: float, fdr: bool = True,
            study_area: Optional[StudyArea] = None, progress: Optional[ProgressFn] = None) -> GiStar:
    """Getis-Ord Gi* of incident counts per cell of ``grid`` over a study area, binary distance band.

    Parameters
    ----------
    points : GeoDataFrame or (n, 2) array
        Incidents in the grid's CRS (metres); those outside the grid are not counted.
    grid : GridSpec
        Counting grid, e.g. ``density_grid.with_cell_m(100)``.
    distance_m : float
        Band radius: cells whose centres are at most this far apart are neighbours (a cell at exactly
        the distance counts; the focal cell is included).
    fdr : bool
        Classify on Benjamini-Hochberg (1995) adjusted p-values (default), else on raw p-values.
    study_area : StudyArea, optional
        The cells to compute over (laid on ``grid`` with :meth:`StudyArea.on`). Default: the cells
        within reach of the incidents, ``reach_m = default_reach_m(points, distance_m)``
        (:mod:`analysis.hotspots.study_area`).
    progress : ProgressFn, optional

    Returns
    -------
    GiStar

    Raises
    ------
    GiStarUndefined
        Fewer than two cells in the study area, or no variation.
    BeatwiseError
        No incidents (in the study area), a non-positive band, a band longer than the grid or too
        large to convolve (:func:`~analysis.hotspots.study_area.check_band`).

    Notes
    -----
    Ord & Getis (1995), Geographical Analysis 27(4), eq. 14: analytic z under the normality
    approximation, n, xbar and S over the study area; two-sided p; classes as ArcGIS Hot Spot
    Analysis (Gi_Bin): Benjamini & Hochberg (1995) at q = 0.01, 0.05, 0.10 for classes 3, 2, 1.
    """
    distance_m = float(distance_m)
    if not (distance_m > 0 and math.isfinite(distance_m)):
        raise BeatwiseError(f"The Gi* distance must be a positive number of metres, got {distance_m!r}.")
    check_band(grid.shape, grid.cell_m, distance_m)
    xy, _ = points_xy(points, crs=grid.crs)
    if len(xy) == 0:
        raise BeatwiseError("No incidents for Gi*: none are left after the filters. Widen the filters.")
    warnings = []
    if distance_m < grid.cell_m:
        warnings.append(f"The Gi* distance ({distance_m:g} m) is less than one cell ({grid.cell_m:g} m): each cell "
                        "is its own only neighbour, so Gi* just restates the counts.")
    report(progress, 0.0, "Study area")
    study = (reach_study_area(xy, grid, default_reach_m(xy, distance_m), progress=scaled(progress, 0.0, 0.3))
             if study_area is None else study_area.on(grid))
    report(progress, 0.3, "Counting incidents per cell")
    counts = grid.counts(xy)
    if not counts[study.mask].any():
        raise BeatwiseError(f"No incidents for Gi* in the study area ({study.description}).")
    report(progress, 0.4, "Gi* by convolution")
    z, w = gi_star_grid(counts, grid.cell_m, distance_m, study.mask)
    report(progress, 0.8, "p-values and false discovery rate")
    p = two_sided_p(z)
    p_fdr = benjamini_hochberg(p) if fdr else None
    classes = gi_classes(z, p_fdr if fdr else p)
    if np.isnan(z[study.mask]).any():
        warnings.append("The distance band covers the whole study area for some cells: Gi* is undefined there "
                        "(shown as not significant). Use a shorter distance.")
    hot = tuple(int((classes == c).sum()) for c, _, _ in GI_LEVELS)
    cold = tuple(int((classes == -c).sum()) for c, _, _ in GI_LEVELS)
    for arr in (counts, z, p, classes) + ((p_fdr,) if p_fdr is not None else ()):
        arr.flags.writeable = False
    report(progress, 1.0, "Gi* done")
    return GiStar(grid=grid, counts=counts, z=z, p=p, p_fdr=p_fdr, classes=classes, distance_m=distance_m,
                  fdr=bool(fdr), n_cells=study.n_cells, neighbours=int(band_stencil(grid.cell_m, distance_m).sum()),
                  hot=hot, cold=cold, study_area=study, warnings=tuple(warnings))


def default_gi_distance_m(bandwidth_m: float, gi_cell_m: float) -> float:
    """The default Gi* distance band: the kernel bandwidth, but at least two Gi* cells.

    A band shorter than one cell leaves each cell its own only neighbour, and Gi* then only
    restates the counts; two cells give each interior cell 13 neighbours, itself included.
    """
    return max(float(bandwidth_m), 2.0 * float(gi_cell_m))


#: :func:`data_gi_distance_m`: the band is the average distance from an occupied Gi* cell to its
#: this many nearest occupied cells.
GI_BAND_NEIGHBOURS = 8


def data_gi_distance_m(points, grid: GridSpec, *, k: int = GI_BAND_NEIGHBOURS,
                       study_area: Optional[StudyArea] = None) -> tuple[float, str]:
    """The Gi* distance band from the data, at any scale (a street or a force).

    The average distance from each occupied counting cell (a cell of ``grid`` with an incident,
    inside the study area when one is given) to its ``k`` nearest occupied cells, ``k = 8``, at
    least two cells: the fallback ArcGIS Optimized Hot Spot Analysis uses when its incremental
    spatial autocorrelation finds no peak ("the average distance to K nearest neighbours"; Esri,
    *How Optimized Hot Spot Analysis works*). We implement this average-k-NN rule only (no
    incremental spatial autocorrelation search): it follows the spacing of the places where crime
    is recorded, so a force's band is set by its towns and villages, not by the county-wide KDE
    bandwidth (2,600 m on Essex 2024) that blurred it.

    Returns
    -------
    (float, str)
        The band in metres and the rule with its numbers.
    """
    from scipy.spatial import cKDTree

    xy, _ = points_xy(points, crs=grid.crs)
    counts = grid.counts(xy)
    occupied = counts > 0
    if study_area is not None:
        occupied &= study_area.on(grid).mask
    rows, cols = np.nonzero(occupied)
    floor = 2.0 * grid.cell_m
    if len(rows) < 2:
        return floor, f"two Gi* cells ({floor:g} m): fewer than two cells hold incidents"
    centres = np.column_stack([grid.x0 + (cols + 0.5) * grid.cell_m, grid.y0 + (rows + 0.5) * grid.cell_m])
    kk = min(int(k), len(centres) - 1)
    d, _ = cKDTree(centres).query(centres, k=kk + 1, workers=-1)
    mean_knn = float(d[:, 1:].mean())
    band = max(mean_knn, floor)
    rule = (f"data-driven: the average distance from each of the {len(centres):,} occupied {grid.cell_m:g} m "
            f"cells to its {kk} nearest occupied cells, {mean_knn:,.0f} m (ArcGIS Optimized Hot Spot Analysis's "
            f"average k-nearest-neighbour distance), at least two cells -> {band:,.0f} m")
    return band, rule
