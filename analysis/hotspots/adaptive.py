"""Adaptive-bandwidth (variable kernel) density of incidents: narrow kernels where incidents are
dense, wide ones where they are sparse, so one surface is sharp in a town centre and smooth over
rural parts of a force.

Method
------
**Abramson's square-root law** (Abramson 1982, *Annals of Statistics* 10(4), "On bandwidth
variation in kernel estimates - a square root law"; Silverman 1986, *Density Estimation*, §5.3,
"the adaptive kernel method"), the sample-point estimator

    f(x) = sum_i w_i K_{h_i}(x - x_i),    h_i = h0 * (g / f_pilot(x_i)) ** alpha,    alpha = 1/2,

where ``f_pilot`` is a **pilot** estimate, ``g`` the (weighted) geometric mean of ``f_pilot`` at
the incidents, so that ``h0`` is the bandwidth of a typical incident, and each ``h_i`` is clipped
to ``[min_bandwidth_m, max_bandwidth_m]`` (default ``h0 / 4`` to ``4 h0``).

**The scale h0 from k** (default): ``h0 = sqrt(k / (pi g))``, so that ``h_i = sqrt(k / (pi
f_pilot(x_i)))`` - each incident's kernel is the circle that holds about ``k`` incidents at the
pilot density around it (default ``k = 30``): the k-th nearest-neighbour radius, read from the
smoothed pilot instead of the raw distances (hundreds of data.police.uk incidents share one snap
point, where the raw k-th neighbour distance is 0). This is Abramson's law (``h ~ f^-1/2``)
with the k-NN scale of CrimeStat's adaptive kernel (Levine, CrimeStat IV ch. 10, which sets each
bandwidth to the radius holding a minimum sample of k incidents). A bandwidth in metres given by
the user is taken as ``h0`` instead. Two pilots are offered:

* ``pilot="kde"`` (default, Silverman §5.3.1): the fixed-bandwidth binned KDE of
  :mod:`analysis.hotspots.kde` with ``pilot_bandwidth_m`` (default the ArcGIS rule of
  :func:`analysis.hotspots.kde.select_bandwidth`), read at each incident by bilinear
  interpolation of a grid a tenth of the pilot bandwidth fine;
* ``pilot="knn"``: the k-th nearest-neighbour density ``k / (n pi d_k^2)`` (Loftsgaarden &
  Quesenberry 1965), with which ``h_i`` is proportional to the distance to the incident's k-th
  nearest neighbour - the idea of CrimeStat's adaptive kernel (Levine, CrimeStat IV ch. 10), which
  sets each bandwidth to the radius holding a minimum sample of k incidents. We implement
  Abramson's law with this pilot, normalised by ``g``, not CrimeStat's raw k-NN radius.


When to use it, fixed or adaptive: :func:`analysis.hotspots.surface.choose_bandwidth_mode`.

Fast evaluation
---------------
The bandwidths are **quantised into classes** in geometric steps of ``class_ratio`` (default
2^(1/4): each incident's bandwidth is rounded on a log scale to within +-9 % of its own).
For each class, its incidents are linearly binned and convolved by FFT with that class's kernel
(the binning, stencil and FFT of :mod:`analysis.hotspots.kde`). Wide classes are convolved on a
coarser lattice (cells ``2^L`` times the output's, chosen so the kernel radius is at least
:data:`CELLS_PER_RADIUS` lattice cells) and brought back to the output cells by repeated 2x
linear interpolation, and every class is convolved only over the tiles holding its incidents
(overlap-add), so the cost follows where the incidents are, not the whole county per class.
Each class's stencil sums to one incident, so the surface integrates to the total weight of the
incidents whose kernels lie on the grid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from analysis.hotspots.grid import GridSpec, crs_is_geographic, points_xy
from analysis.hotspots.lattices import upsample2, upsample2_into, zero_below
from analysis.hotspots.kde import (_SUPPORT, FFT_WORKERS, KERNEL_SD, KERNELS, OVERSAMPLE_TARGET_SD_CELLS,
                                   oversample_factor,
                                   DensitySurface, WeightsArg, fft_convolve, kde, kernel_stencil,
                                   resolve_weights, select_bandwidth, surface_integral)
from analysis.progress import BeatwiseError, ProgressFn, report

#: Abramson's exponent (the square-root law).
ALPHA = 0.5
#: Geometric step between bandwidth classes.
CLASS_RATIO = 2.0 ** 0.25
#: Default bounds on the per-incident bandwidth, as multiples of ``h0``.
MIN_FACTOR = 0.25
MAX_FACTOR = 4.0
#: Default k: each kernel holds about k incidents at the pilot density (and the ``knn`` pilot's k).
DEFAULT_K = 30
#: A class is convolved on the coarsest lattice (2^L output cells) on which the kernel's standard
#: deviation is still at least this many lattice cells (the accuracy target of the fixed KDE's
#: oversampling, :data:`analysis.hotspots.kde.OVERSAMPLE_TARGET_SD_CELLS`).
TARGET_SD_CELLS = OVERSAMPLE_TARGET_SD_CELLS
#: Tile side (lattice cells) of the overlap-add convolution.
TILE = 192
#: Cells below this fraction of the maximum are set to 0 (single-precision FFT round-off of the tiles).
ZERO_BELOW = 1e-6

PILOTS = ("kde", "knn")


@dataclass(frozen=True)
class AdaptiveBandwidths:
    """Per-incident bandwidths by Abramson's law and their classes.

    Attributes
    ----------
    h_exact : ndarray (n,)
        ``h0 * (g / f_pilot)^alpha`` clipped to the bounds (metres).
    h_class : ndarray (n,)
        Each incident's class bandwidth (the quantised value used).
    class_index : ndarray int16 (n,)
        Each incident's class as ``h_class = min_bandwidth_m * class_ratio ** class_index``.
    classes : tuple of float
        The class bandwidths that hold incidents, ascending.
    class_counts : tuple of int
    h0, pilot_bandwidth_m, min_bandwidth_m, max_bandwidth_m : float
    pilot : str
    k : int
    pilot_at_points : ndarray (n,)
        The pilot density at each incident (incidents per km^2).
    g : float
        Its geometric mean.
    rule : str
    """

    h_exact: np.ndarray
    h_class: np.ndarray
    class_index: np.ndarray
    classes: tuple[float, ...]
    class_counts: tuple[int, ...]
    h0: float
    pilot_bandwidth_m: float
    min_bandwidth_m: float
    max_bandwidth_m: float
    pilot: str
    k: int
    pilot_at_points: np.ndarray
    g: float
    rule: str


def pilot_density(xy: np.ndarray, w: Optional[np.ndarray], *, kernel: str, pilot: str, pilot_bandwidth_m: float,
                  k: int, crs=None, cells_per_bandwidth: float = 10.0, max_cells: int = 4_000_000) -> np.ndarray:
    """The pilot density at each incident, incidents per km^2 (see the module docstring).

    The KDE pilot is read from a grid of ``pilot_bandwidth_m / cells_per_bandwidth`` cells (at most
    ``max_cells``); the fixed-or-adaptive rule, which needs only its median and spread, reads a
    coarser one (:func:`analysis.hotspots.surface.choose_bandwidth_mode`)."""
    n = len(xy)
    if pilot == "knn":
        from scipy.spatial import cKDTree

        kk = min(int(k), n - 1)
        if kk < 1:
            return np.ones(n)
        # the (k+1)-th nearest (itself first) only: all k+1 distances and indices of a national year's
        # 6 million incidents would take 3 GB
        d, _ = cKDTree(xy).query(xy, k=[kk + 1], workers=-1)
        dk = np.maximum(d[:, 0], 1.0)  # coincident incidents (snap points): at least 1 m
        return kk / (math.pi * (dk / 1000.0) ** 2)
    if pilot != "kde":
        raise BeatwiseError(f"Unknown pilot {pilot!r}; choose one of {', '.join(PILOTS)}.")
    cell = pilot_bandwidth_m / float(cells_per_bandwidth)
    margin = _SUPPORT[kernel] * pilot_bandwidth_m
    lo = xy.min(axis=0) - margin
    hi = xy.max(axis=0) + margin
    nx = int(math.floor((hi[0] - lo[0]) / cell)) + 1
    ny = int(math.floor((hi[1] - lo[1]) / cell)) + 1
    while nx * ny > max_cells:  # keep the pilot grid small: it only has to be smooth
        cell *= 1.5
        nx = int(math.floor((hi[0] - lo[0]) / cell)) + 1
        ny = int(math.floor((hi[1] - lo[1]) / cell)) + 1
    grid = GridSpec(lo[0], lo[1], cell, nx, ny, crs)
    surf = kde(xy, grid, kernel=kernel, bandwidth_m=pilot_bandwidth_m, weights=w, oversample=1)
    vals = bilinear_at(surf.values, grid, xy)
    floor = 1e-9 * max(float(vals.max()), 1e-300)
    return np.maximum(vals, floor)


def bilinear_at(values: np.ndarray, grid: GridSpec, xy: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of cell-centre ``values`` at points (edge cells extended)."""
    fx = np.clip((xy[:, 0] - grid.x0) / grid.cell_m - 0.5, 0, grid.nx - 1)
    fy = np.clip((xy[:, 1] - grid.y0) / grid.cell_m - 0.5, 0, grid.ny - 1)
    j = np.minimum(fx.astype(np.int64), max(grid.nx - 2, 0))
    i = np.minimum(fy.astype(np.int64), max(grid.ny - 2, 0))
    tx, ty = fx - j, fy - i
    flat = values.ravel()
    k = i * grid.nx + j
    j1 = 1 if grid.nx > 1 else 0
    i1 = grid.nx if grid.ny > 1 else 0
    return ((1 - ty) * ((1 - tx) * flat[k] + tx * flat[k + j1])
            + ty * ((1 - tx) * flat[k + i1] + tx * flat[k + i1 + j1]))


def abramson_bandwidths(xy: np.ndarray, w: Optional[np.ndarray], h0: Optional[float] = None, *,
                        kernel: str = "quartic",
                        pilot: str = "kde", pilot_bandwidth_m: Optional[float] = None, k: int = DEFAULT_K,
                        min_bandwidth_m: Optional[float] = None, max_bandwidth_m: Optional[float] = None,
                        class_ratio: float = CLASS_RATIO, alpha: float = ALPHA, crs=None) -> AdaptiveBandwidths:
    """Per-incident bandwidths ``h_i = h0 (g / f_pilot(x_i))^alpha``, clipped, and their classes.

    ``h0`` None: ``sqrt(k / (pi g))`` (module docstring). Classes are ``min_bandwidth_m *
    class_ratio^j``; each incident gets the class nearest to its bandwidth on a log scale (so
    ``h_class / h_exact`` is within ``class_ratio^(+-1/2)``).
    """
    if pilot_bandwidth_m is None:
        pchoice = select_bandwidth(xy, "auto", kernel=kernel, weights=w)
        hp, pilot_from = pchoice.bandwidth_m, "the ArcGIS rule"
    else:
        hp, pilot_from = float(pilot_bandwidth_m), "given"
    if not (hp > 0 and math.isfinite(hp)):
        raise BeatwiseError(f"The pilot bandwidth must be a positive number of metres, got {hp!r}.")
    if int(k) < 1:
        raise BeatwiseError(f"k must be at least 1, got {k!r}.")
    f = pilot_density(xy, w, kernel=kernel, pilot=pilot, pilot_bandwidth_m=hp, k=k, crs=crs)
    lw = np.ones(len(xy)) if w is None else w
    logf = np.log(f)
    g = float(np.exp((logf * lw).sum() / lw.sum())) if lw.sum() > 0 else float(np.exp(logf.mean()))
    if h0 is None:
        h0 = 1000.0 * math.sqrt(int(k) / (math.pi * g))
        h0_text = f"{h0:.0f} m = sqrt(k / (pi g)), k = {int(k)}"
    else:
        h0 = float(h0)
        h0_text = f"{h0:.0f} m (given)"
    if not (h0 > 0 and math.isfinite(h0)):
        raise BeatwiseError(f"The adaptive kernel's global bandwidth must be positive, got {h0!r}.")
    hmin = MIN_FACTOR * h0 if min_bandwidth_m is None else float(min_bandwidth_m)
    hmax = MAX_FACTOR * h0 if max_bandwidth_m is None else float(max_bandwidth_m)
    if not (0 < hmin <= hmax and math.isfinite(hmax)):
        raise BeatwiseError(f"The adaptive bandwidth bounds must satisfy 0 < min <= max, got {hmin:g} and {hmax:g} m.")
    if not (class_ratio > 1):
        raise BeatwiseError(f"The bandwidth class ratio must be more than 1, got {class_ratio!r}.")
    h = np.clip(h0 * np.exp(alpha * (math.log(g) - logf)), hmin, hmax)
    j = np.rint(np.log(h / hmin) / math.log(class_ratio)).astype(np.int64)
    jmax = min(int(math.floor(math.log(hmax / hmin) / math.log(class_ratio) + 1e-9)), 1000)
    j = np.clip(j, 0, jmax)
    used, counts = np.unique(j, return_counts=True)
    classes = tuple(float(hmin * class_ratio ** int(u)) for u in used)
    h_class = hmin * class_ratio ** j.astype(float)
    pilot_text = (f"fixed {kernel} KDE with {hp:.0f} m ({pilot_from})" if pilot == "kde"
                  else f"{k}th nearest-neighbour density")
    rule = (f"adaptive (Abramson 1982 square-root law): h_i = h0 * (g / pilot)^{alpha:g}, h0 = {h0_text}, "
            f"pilot {pilot_text}, "
            f"g = {g:.1f} per km^2 (geometric mean at the incidents), bounded to {hmin:.0f}-{hmax:.0f} m, "
            f"{len(classes)} classes in steps of x{class_ratio:.3f} from {classes[0]:.0f} to {classes[-1]:.0f} m; "
            f"median {float(np.median(h)):.0f} m")
    return AdaptiveBandwidths(h_exact=h, h_class=h_class, class_index=j.astype(np.int16), classes=classes, class_counts=tuple(int(c) for c in counts),
                              h0=h0, pilot_bandwidth_m=hp, min_bandwidth_m=hmin, max_bandwidth_m=hmax, pilot=pilot,
                              k=int(k), pilot_at_points=f, g=g, rule=rule)


def density_spread(pilot_at_points: np.ndarray, weights: Optional[np.ndarray] = None) -> float:
    """Ratio of the 90th to the 10th percentile of the pilot density at the incidents."""
    lo, hi = np.quantile(pilot_at_points, [0.10, 0.90])
    return float(hi / lo) if lo > 0 else math.inf


def _level_for(h: float, cell_m: float, kernel: str) -> int:
    """Coarsest level L (lattice cells 2^L x cell_m) keeping the kernel s.d. >= TARGET_SD_CELLS cells."""
    ratio = KERNEL_SD[kernel] * h / cell_m / TARGET_SD_CELLS
    return max(0, int(math.floor(math.log2(ratio)))) if ratio >= 1 else 0


def _bin_and_convolve(pts: np.ndarray, w: Optional[np.ndarray], x0: float, y0: float, cell: float,
                      stencil: np.ndarray, out: np.ndarray, pad: int) -> None:
    """Linear binning of ``pts`` on the lattice (origin ``x0, y0``, step ``cell``) straight into
    tiles, and ``out += `` their convolution with ``stencil`` (overlap-add), ``out`` padded by ``pad``.

    A point goes to the tile of its lower-left lattice node; a tile holds ``T + 1`` nodes per side
    so the point's four nodes are all in it (the extra row and column overlap the next tile, and
    the overlap-add sums them). Only the tiles holding points are binned and transformed.
    """
    r = stencil.shape[0] // 2
    T = max(TILE, 4 * r)
    S = T + 1
    fx = (pts[:, 0] - x0) / cell - 0.5 + pad
    fy = (pts[:, 1] - y0) / cell - 0.5 + pad
    ny, nx = out.shape
    ok = (fx >= 0) & (fx < nx - 1) & (fy >= 0) & (fy < ny - 1)
    if not ok.all():
        fx, fy = fx[ok], fy[ok]
        w = None if w is None else w[ok]
    if len(fx) == 0:  # every point of this class is outside the lattice (a view of a grid)
        return
    j = fx.astype(np.int64)
    i = fy.astype(np.int64)
    tx = fx - j
    ty = fy - i
    tj, ti = j // T, i // T
    ntx = -(-nx // T)
    tile = ti * ntx + tj
    occupied = np.flatnonzero(np.bincount(tile))
    slot = np.zeros(int(occupied[-1]) + 1, dtype=np.int64)
    slot[occupied] = np.arange(len(occupied))
    m = len(occupied)
    flat = slot[tile] * (S * S) + (i - ti * T) * S + (j - tj * T)
    ux, uy = 1.0 - tx, 1.0 - ty
    if w is not None:
        ux *= w
        tx *= w
    size = m * S * S
    binned = np.bincount(flat, ux * uy, size)
    binned += np.bincount(flat + 1, tx * uy, size)
    binned += np.bincount(flat + S, ux * ty, size)
    binned += np.bincount(flat + S + 1, tx * ty, size)
    binned = binned.reshape(m, S, S).astype(np.float32)
    kern = stencil.astype(np.float32)
    batch = 64
    for s in range(0, m, batch):
        conv = fft_convolve(binned[s:s + batch], kern, mode="full", workers=FFT_WORKERS)  # (b, S + 2r, S + 2r)
        for t, block in zip(occupied[s:s + batch], conv):
            y, x = (t // ntx) * T - r, (t % ntx) * T - r
            ya, xa = max(y, 0), max(x, 0)
            yb, xb = min(y + S + 2 * r, ny), min(x + S + 2 * r, nx)
            out[ya:yb, xa:xb] += block[ya - y:yb - y, xa - x:xb - x]


def adaptive_kde(points, grid: GridSpec, *, kernel: str = "quartic",
                 bandwidth_m: Optional[float] = None, weights: WeightsArg = None,
                 pilot: str = "kde", pilot_bandwidth_m: Optional[float] = None, k: int = DEFAULT_K,
                 min_bandwidth_m: Optional[float] = None, max_bandwidth_m: Optional[float] = None,
                 class_ratio: float = CLASS_RATIO, bandwidths: Optional[AdaptiveBandwidths] = None,
                 progress: Optional[ProgressFn] = None) -> DensitySurface:
    """Adaptive-bandwidth kernel density on ``grid`` (incidents or weight per km^2).

    Parameters
    ----------
    points : GeoDataFrame or (n, 2) array
    grid : GridSpec
        Make it with :func:`grid_for_adaptive` (the margin is the largest class bandwidth).
    kernel : str
        Any of :data:`~analysis.hotspots.kde.KERNELS`.
    bandwidth_m : float, optional
        ``h0``, the bandwidth of a typical incident; default ``sqrt(k / (pi g))``.
    weights : see :func:`~analysis.hotspots.kde.resolve_weights`.
    pilot, pilot_bandwidth_m, k, min_bandwidth_m, max_bandwidth_m, class_ratio
        See :func:`abramson_bandwidths` and the module docstring.
    bandwidths : AdaptiveBandwidths, optional
        Already computed (by :func:`grid_for_adaptive`); the parameters above are then not used.

    Returns
    -------
    DensitySurface
        ``bandwidth_m`` is ``h0``; ``bandwidth_classes`` / ``class_counts`` the classes used.
    """
    if kernel not in KERNELS:
        raise BeatwiseError(f"Unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}.")
    if crs_is_geographic(grid.crs):
        raise BeatwiseError(f"The grid is in a geographic CRS ({grid.crs}, degrees); use a projected CRS in metres.")
    xy, _ = points_xy(points, crs=grid.crs)
    n = len(xy)
    if n == 0:
        raise BeatwiseError("No incidents to map: none are left after the filters. Widen the filters.")
    w, weighted = resolve_weights(points, weights, n)
    total_weight = float(w.sum()) if weighted else float(n)
    if not total_weight > 0:
        raise BeatwiseError("All incident weights are 0: there is nothing to map.")
    wv = w if weighted else None
    report(progress, 0.0, "Adaptive bandwidths")
    if bandwidths is None:
        bandwidths = abramson_bandwidths(xy, wv, bandwidth_m, kernel=kernel, pilot=pilot,
                                         pilot_bandwidth_m=pilot_bandwidth_m, k=k, min_bandwidth_m=min_bandwidth_m,
                                         max_bandwidth_m=max_bandwidth_m, class_ratio=class_ratio, crs=grid.crs)
    values = surface_for_classes(xy, wv, bandwidths.h_class, grid, kernel=kernel, progress=progress,
                                 class_index=bandwidths.class_index)
    warnings = []
    hmin = bandwidths.classes[0]
    if hmin < 2 * grid.cell_m:
        warnings.append(f"The smallest bandwidth class ({hmin:.0f} m) is less than 2 cells of {grid.cell_m:g} m: "
                        "the surface is blocky there; use smaller cells.")
    integral, units = surface_integral(values, grid, total_weight, weighted, warnings, "the largest bandwidth")
    report(progress, 1.0, "Density done")
    return DensitySurface(grid=grid, values=values, kernel=kernel, bandwidth_m=float(bandwidths.h0),
                          bandwidth_rule=bandwidths.rule, n_points=n, total_weight=total_weight, integral=integral,
                          warnings=tuple(warnings), density_units=units, oversample=1,
                          bandwidth_classes=bandwidths.classes, class_counts=bandwidths.class_counts,
                          point_bandwidth_m=_read_only(bandwidths.h_class),
                          point_class_index=_read_only(bandwidths.class_index))


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def _window(pts: np.ndarray, grid: GridSpec, reach_m: float) -> tuple[GridSpec, tuple[int, int]]:
    """The part of ``grid`` (same cells) within ``reach_m`` plus a cell of ``pts``, and its offset."""
    c = grid.cell_m
    j0 = max(int(math.floor((pts[:, 0].min() - reach_m - grid.x0) / c)) - 1, 0)
    i0 = max(int(math.floor((pts[:, 1].min() - reach_m - grid.y0) / c)) - 1, 0)
    j1 = min(int(math.floor((pts[:, 0].max() + reach_m - grid.x0) / c)) + 2, grid.nx)
    i1 = min(int(math.floor((pts[:, 1].max() + reach_m - grid.y0) / c)) + 2, grid.ny)
    window = GridSpec(grid.x0 + j0 * c, grid.y0 + i0 * c, c, max(j1 - j0, 1), max(i1 - i0, 1), grid.crs)
    return window, (i0, j0)


def surface_for_classes(xy: np.ndarray, w: Optional[np.ndarray], h_class: np.ndarray, grid: GridSpec, *,
                        kernel: str = "quartic", progress: Optional[ProgressFn] = None,
                        class_index: Optional[np.ndarray] = None,
                        oversample_below_sd_cells: float = TARGET_SD_CELLS) -> np.ndarray:
    """The variable-kernel sum for incidents with the given (class) bandwidths, per km^2, read-only.

    One binned FFT convolution per distinct bandwidth, on the coarsest lattice that keeps its
    standard deviation at least :data:`TARGET_SD_CELLS` cells, over its occupied tiles only. A
    class whose standard deviation is under ``oversample_below_sd_cells`` output cells is binned
    on an oversampled lattice (the fixed KDE's, :func:`analysis.hotspots.kde.kde`); a lower value
    trades accuracy for speed (the app's views, :mod:`analysis.hotspots.detail`).
    """
    if class_index is None:
        classes, inverse = np.unique(h_class, return_inverse=True)
        inverse = inverse.reshape(-1).astype(np.int16)
    else:  # integer classes: a radix sort, no float unique over a million values
        present = np.flatnonzero(np.bincount(class_index))
        lookup = np.zeros(int(present[-1]) + 1, dtype=np.int16)
        lookup[present] = np.arange(len(present), dtype=np.int16)
        inverse = lookup[class_index]
        hit = np.full(int(present[-1]) + 1, -1, dtype=np.int64)
        pos = np.arange(len(class_index))
        hit[class_index[::-1]] = pos[::-1]
        classes = h_class[hit[present]]
    levels = [_level_for(h, grid.cell_m, kernel) for h in classes]
    top = max(levels)
    # lattices: level L has cells 2^L * cell, same origin; shape covers the grid
    shapes = [(-(-grid.ny // 2 ** L), -(-grid.nx // 2 ** L)) for L in range(top + 1)]
    pads = [0] * (top + 1)
    for h, L in zip(classes, levels):
        pads[L] = max(pads[L], int(math.ceil(_SUPPORT[kernel] * h / (grid.cell_m * 2 ** L))) + 2)
    acc = [None] * (top + 1)
    fine = None
    order = np.argsort(inverse, kind="stable")  # int16: a radix sort
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(classes)))])
    for c, (h, L) in enumerate(zip(classes, levels)):
        report(progress, 0.1 + 0.8 * c / len(classes), f"Bandwidth class {c + 1} of {len(classes)} ({h:.0f} m)")
        idx = order[bounds[c]:bounds[c + 1]]
        if len(idx) == 0:
            continue
        cell = grid.cell_m * 2 ** L
        ny_l, nx_l = shapes[L]
        P = pads[L]
        if acc[L] is None:
            acc[L] = np.zeros((ny_l + 2 * P, nx_l + 2 * P))
        if L == 0 and KERNEL_SD[kernel] * h / cell < oversample_below_sd_cells:
            # narrower than the accuracy target on the output cells: the fixed KDE's oversampled
            # binning (kde.py) on a window of the grid around this class's incidents, when it fits
            window, (i0, j0) = _window(xy[idx], grid, _SUPPORT[kernel] * h)
            if oversample_factor(kernel, h, window) > 1:
                part = kde(xy[idx], window, kernel=kernel, bandwidth_m=float(h),
                           weights=None if w is None else w[idx])
                if fine is None:
                    fine = np.zeros(grid.shape)
                fine[i0:i0 + window.ny, j0:j0 + window.nx] += part.values
                continue
        stencil = kernel_stencil(kernel, h, cell)
        _bin_and_convolve(xy[idx], None if w is None else w[idx], grid.x0, grid.y0, cell, stencil, acc[L], P)
    report(progress, 0.9, "Combining the bandwidth classes")
    total = None
    for L in range(top, -1, -1):
        here = None
        if acc[L] is not None:
            here = acc[L][pads[L]:pads[L] + shapes[L][0], pads[L]:pads[L] + shapes[L][1]]
            here *= 1.0 / (grid.cell_m * 2 ** L / 1000.0) ** 2
            acc[L] = None
        if here is not None:
            if total is None:
                total = here
            else:
                total += here
        if L == 1 and total is not None:
            # onto the output cells: interpolated a band at a time into the result, with level 0 and the
            # oversampled classes added as it goes (the same sums, no grid-sized intermediates)
            level0 = acc[0][pads[0]:pads[0] + grid.ny, pads[0]:pads[0] + grid.nx] if acc[0] is not None else None
            if level0 is not None:
                level0 *= 1.0 / (grid.cell_m / 1000.0) ** 2
            total = upsample2_into(total, np.empty(grid.shape), [x for x in (level0, fine) if x is not None])
            acc[0] = fine = None
            break
        if L > 0 and total is not None:
            total = upsample2(total, shapes[L - 1])
    total = np.zeros(grid.shape) if total is None else np.ascontiguousarray(total[:grid.ny, :grid.nx])
    if fine is not None:
        total += fine
        del fine
    vmax = float(total.max()) if total.size else 0.0
    zero_below(total, ZERO_BELOW * vmax)
    total.flags.writeable = False
    return total


def grid_for_adaptive(points, *, cell_m: Optional[float] = None, kernel: str = "quartic",
                      bandwidth_m: Optional[float] = None, weights: WeightsArg = None, crs=None,
                      **params) -> tuple[GridSpec, AdaptiveBandwidths]:
    """The grid for :func:`adaptive_kde`: the incidents' extent plus the largest class's support;
    the automatic cell follows the smallest class (:func:`analysis.hotspots.grid.cell_for_bandwidths`).

    Returns ``(grid, bandwidths)``; pass ``bandwidths`` on to :func:`adaptive_kde`. ``params`` are
    those of :func:`abramson_bandwidths`.
    """
    from analysis.hotspots.grid import cell_for_bandwidths

    xy, crs = points_xy(points, crs=crs)
    if len(xy) == 0:
        raise BeatwiseError("No incidents to map: none are left after the filters. Widen the filters.")
    w, weighted = resolve_weights(points, weights, len(xy))
    bw = abramson_bandwidths(xy, w if weighted else None, bandwidth_m, kernel=kernel, crs=crs, **params)
    margin = _SUPPORT[kernel] * bw.classes[-1]
    if cell_m is None:
        span = xy.max(axis=0) - xy.min(axis=0) + 2 * margin
        cell_m = cell_for_bandwidths(bw.classes[0], span[0], span[1])
    grid = GridSpec.for_points(xy, cell_m=cell_m, margin_m=margin, crs=crs)
    return grid, bw
