"""Binned kernel density estimation of incidents on a :class:`~analysis.hotspots.grid.GridSpec`.

Method (Wand & Jones 1995, ch. 4 "binned kernel estimators"; Wand 1994, J. Comput. Graph. Stat. 3):

1. **Linear binning**: each incident's weight is shared between the four cell centres around it
   in proportion to the bilinear "tent" weights, which keeps the binned estimate second-order
   accurate (error O(cell^2 / h^2)) where nearest-cell binning is first order.
2. **FFT convolution** of the binned weights with the kernel sampled at cell-centre offsets
   (:func:`fft_convolve`, real FFTs from :mod:`scipy.fft`, as :func:`scipy.signal.fftconvolve`
   does, without importing ``scipy.signal``, which costs about a second at start-up). The
   stencil is normalised to sum to one incident, so the surface integrates to the total weight
   of the incidents whose kernel lies on the grid.
3. When the kernel spans few cells, steps 1-2 run on a lattice ``oversample`` (odd) times finer
   and the values at the grid's cell centres are kept; each lattice node is normalised so every
   incident still adds exactly its weight (see :func:`oversample_factor`).

Kernels (2-D, radius ``h`` = ``bandwidth_m``, ``u = d / h``), all normalised to integrate to 1:

=============  =============================================  ===========================
quartic        3 / (pi h^2) (1 - u^2)^2, u < 1                 ArcGIS, CrimeStat default
epanechnikov   2 / (pi h^2) (1 - u^2), u < 1
triangular     3 / (pi h^2) (1 - u), u < 1
uniform        1 / (pi h^2), u < 1
gaussian       1 / (2 pi h^2) exp(-u^2 / 2), truncated at u <= 4  (h is the s.d. sigma)
=============  =============================================  ===========================

Density is in incidents (or summed weight) per km^2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Union

import numpy as np
from scipy import fft as sp_fft

from analysis.hotspots.grid import GridSpec, cell_for_bandwidths, crs_is_geographic, points_xy
from analysis.progress import BeatwiseError, ProgressFn, report

KERNELS = ("quartic", "epanechnikov", "triangular", "uniform", "gaussian")

#: Support radius of each kernel in units of h.
_SUPPORT = {"quartic": 1.0, "epanechnikov": 1.0, "triangular": 1.0, "uniform": 1.0, "gaussian": 4.0}

#: Per-axis standard deviation of each kernel with h = 1 (used to carry a bandwidth rule from one
#: kernel to another: the converted radius gives the same spread). Quartic: E[r^2] = 1/4 -> 1/sqrt(8);
#: Epanechnikov: 1/3 -> 1/sqrt(6); triangular: 3/10 -> sqrt(3/20); uniform: 1/2 -> 1/2; Gaussian: 1.
KERNEL_SD = {
    "quartic": 1.0 / math.sqrt(8.0),
    "epanechnikov": 1.0 / math.sqrt(6.0),
    "triangular": math.sqrt(3.0 / 20.0),
    "uniform": 0.5,
    "gaussian": 1.0,
}

#: Bandwidth used when the ``auto``/``silverman`` rule degenerates (all incidents at one place).
FALLBACK_BANDWIDTH_M = 250.0

#: Cells below this fraction of the maximum are set to exactly 0 (FFT round-off, ~1e-13 relative).
_ZERO_BELOW = 1e-10

DENSITY_UNITS = "incidents per km^2"
#: Threads for the grid's FFTs (the machines Beatwise targets have 2 cores or more).
FFT_WORKERS = 2

WeightsArg = Union[None, str, Mapping[str, float], np.ndarray, "list[float]"]


def fft_convolve(a: np.ndarray, kernel: np.ndarray, mode: str = "same", *,
                 workers: Optional[int] = None, spectra: Optional[dict] = None) -> np.ndarray:
    """2-D convolution of ``a`` (over its last two axes) with a 2-D ``kernel`` by real FFTs.

    Same result as ``scipy.signal.fftconvolve(a, kernel[None...], mode, axes=(-2, -1))``:
    ``full``, ``same`` (centred like ``a``) or ``valid`` (where ``kernel`` fits entirely).
    ``workers``: threads for :mod:`scipy.fft` (a stack of tiles is split between them).
    ``spectra``: a dict kept by the caller between calls with the same kernel (bands of one grid):
    the kernel's spectrum is made once per transform shape and kept there.
    """
    s1 = a.shape[-2:]
    s2 = kernel.shape
    full = (s1[0] + s2[0] - 1, s1[1] + s2[1] - 1)
    fshape = (sp_fft.next_fast_len(full[0], True), sp_fft.next_fast_len(full[1], True))
    spec = sp_fft.rfftn(a, fshape, axes=(-2, -1), workers=workers)
    # a float32 input is transformed in single precision throughout (half the memory of a county grid)
    kernel = kernel.astype(a.dtype) if a.dtype == np.float32 else kernel
    if spectra is None:
        multiply_by_kernel_spectrum(spec, kernel, fshape, workers=workers)
    else:
        if fshape not in spectra:
            spectra[fshape] = kernel_spectrum(kernel, fshape, workers=workers)
        spec *= spectra[fshape]
    out = sp_fft.irfftn(spec, fshape, axes=(-2, -1), workers=workers)
    del spec
    if mode == "full":
        start, shape = (0, 0), full
    elif mode == "same":
        start, shape = ((s2[0] - 1) // 2, (s2[1] - 1) // 2), s1
    elif mode == "valid":
        start, shape = (s2[0] - 1, s2[1] - 1), (s1[0] - s2[0] + 1, s1[1] - s2[1] + 1)
    else:
        raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")
    return np.ascontiguousarray(out[..., start[0]:start[0] + shape[0], start[1]:start[1] + shape[1]])


def kernel_spectrum(kernel: np.ndarray, fshape: tuple[int, int], workers: Optional[int] = None) -> np.ndarray:
    """``scipy.fft.rfftn(kernel, fshape)`` from the kernel's own rows only: a real FFT of each of its
    rows to ``fshape[1]``, then a complex FFT of each column to ``fshape[0]``. The zero padding's rows
    are never transformed, so a stencil a few dozen cells across costs about half of a transform of
    the grid instead of a whole one (the same numbers: tests/analysis/hotspots/test_kde.py)."""
    return sp_fft.fft(sp_fft.rfft(kernel, n=fshape[1], axis=-1, workers=workers), n=fshape[0], axis=-2,
                      overwrite_x=True, workers=workers)


#: Grid values a band of :func:`convolve_in_bands` transforms (with its kernel's margin): about 16 MB
#: of float32 per array.
BAND_VALUES = 4_000_000


def convolve_in_bands(a: np.ndarray, kernel: np.ndarray, *, then=None, dtype=np.float32,
                      band_values: Optional[int] = None, workers: Optional[int] = None) -> np.ndarray:
    """``then(fft_convolve(a.astype(dtype), kernel, "same"))`` of a 2-D ``a``, a band of rows at a
    time (overlap-save).

    Each band of output rows is convolved from the input rows it depends on (the band and half a
    kernel either side), so only one band's transforms are held at a time, ``a`` may be a 0/1 bool
    grid (converted a band at a time) and ``then`` (e.g. ``lambda v: v > 0.5``) turns each band into
    the result as it is made: a county's 17 million cells need two bool grids (35 MB) instead of
    about 250 MB of single-precision transforms.
    """
    ny, nx = a.shape
    kr, kc = kernel.shape
    top, left = (kr - 1) // 2, (kc - 1) // 2
    band_values = BAND_VALUES if band_values is None else int(band_values)
    rows = max(kr, band_values // max(nx + kc - 1, 1) - (kr - 1))
    out = None
    spectra: dict = {}   # the bands are mostly one shape: the kernel's spectrum is made once for them
    for r0 in range(0, ny, rows):
        r1 = min(ny, r0 + rows)
        i0, i1 = max(0, r0 + top - (kr - 1)), min(ny, r1 + top)
        full = fft_convolve(a[i0:i1].astype(dtype, copy=False), kernel, "full", workers=workers, spectra=spectra)
        band = full[r0 + top - i0:r1 + top - i0, left:left + nx]
        band = then(band) if then is not None else band
        if out is None:
            out = np.empty(a.shape, dtype=band.dtype)
        out[r0:r1] = band
    return out


#: Spectrum values made at a time by :func:`multiply_by_kernel_spectrum` (about 32 MB of complex128).
SPECTRUM_CHUNK_VALUES = 2_000_000


def multiply_by_kernel_spectrum(spec: np.ndarray, kernel: np.ndarray, fshape: tuple[int, int],
                                workers: Optional[int] = None) -> None:
    """``spec *= kernel_spectrum(kernel, fshape)`` in place, a band of spectrum columns at a time:
    the kernel's whole spectrum (as large as the grid's) is never held, only
    :data:`SPECTRUM_CHUNK_VALUES` of it (each column's FFT is independent of the others, so the
    numbers are those of :func:`kernel_spectrum`)."""
    rows = sp_fft.rfft(kernel, n=fshape[1], axis=-1, workers=workers)
    step = max(1, SPECTRUM_CHUNK_VALUES // fshape[0])
    for c0 in range(0, rows.shape[-1], step):
        spec[..., c0:c0 + step] *= sp_fft.fft(rows[:, c0:c0 + step], n=fshape[0], axis=-2, workers=workers)


def kernel_profile(kernel: str, u: np.ndarray) -> np.ndarray:
    """Kernel value times ``h^2`` at scaled distance ``u = d / h`` (see the module table)."""
    u = np.asarray(u, dtype=float)
    if kernel == "quartic":
        return np.where(u < 1, 3.0 / math.pi * (1 - u * u) ** 2, 0.0)
    if kernel == "epanechnikov":
        return np.where(u < 1, 2.0 / math.pi * (1 - u * u), 0.0)
    if kernel == "triangular":
        return np.where(u < 1, 3.0 / math.pi * (1 - u), 0.0)
    if kernel == "uniform":
        return np.where(u < 1, 1.0 / math.pi, 0.0)
    if kernel == "gaussian":
        return np.where(u <= 4, np.exp(-0.5 * u * u) / (2 * math.pi), 0.0)
    raise BeatwiseError(f"Unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}.")


def kernel_value(kernel: str, d_m: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Kernel density per m^2 at distance ``d_m`` (metres) for bandwidth ``bandwidth_m``."""
    return kernel_profile(kernel, np.asarray(d_m, dtype=float) / bandwidth_m) / (bandwidth_m * bandwidth_m)


#: ``oversample="auto"`` aims for a kernel standard deviation of at least this many lattice cells...
OVERSAMPLE_TARGET_SD_CELLS = 10.0
#: ...without letting the fine lattice exceed this many cells (keeps the desktop responsive).
OVERSAMPLE_MAX_CELLS = 2_000_000


def oversample_factor(kernel: str, bandwidth_m: float, grid: GridSpec, oversample: Union[str, int] = "auto") -> int:
    """Odd refinement factor of the binning lattice.

    ``auto``: the smallest odd f with ``KERNEL_SD[kernel] * h / (cell / f) >= 10`` (linear-binning
    error falls as (cell/h)^2), reduced to the largest odd f with ``f^2 * nx * ny <= 2,000,000``.
    The factor must be odd so that fine cell centres fall on the grid's centres.
    """
    if isinstance(oversample, str):
        if oversample != "auto":
            raise BeatwiseError(f"oversample must be 'auto' or an odd whole number, got {oversample!r}.")
        sd_cells = KERNEL_SD[kernel] * bandwidth_m / grid.cell_m
        f = max(1, int(math.ceil(OVERSAMPLE_TARGET_SD_CELLS / sd_cells - 1e-9)))
        if f % 2 == 0:
            f += 1
        while f > 1 and f * f * grid.n_cells > OVERSAMPLE_MAX_CELLS:
            f -= 2
        return f
    f = int(oversample)
    if f < 1 or f % 2 == 0 or f != oversample:
        raise BeatwiseError(f"oversample must be an odd whole number (1, 3, 5...), got {oversample!r}.")
    return f


def kernel_stencil(kernel: str, bandwidth_m: float, cell_m: float) -> np.ndarray:
    """The kernel sampled at cell-centre offsets, normalised to sum to 1 (a fraction of one incident
    per cell); shape ``(2r+1, 2r+1)`` with ``r = ceil(support * h / cell)``."""
    r = max(0, int(math.ceil(_SUPPORT[kernel] * bandwidth_m / cell_m - 1e-9)))
    offsets = np.arange(-r, r + 1) * cell_m
    d = np.hypot(offsets[None, :], offsets[:, None])
    stencil = kernel_profile(kernel, d / bandwidth_m)
    total = stencil.sum()
    if total <= 0:  # h much smaller than a cell: all the mass stays in the cell
        stencil = np.zeros((2 * r + 1, 2 * r + 1))
        stencil[r, r] = 1.0
        return stencil
    return stencil / total


@dataclass(frozen=True)
class BandwidthChoice:
    """A bandwidth and how it was chosen.

    Attributes
    ----------
    bandwidth_m : float
        The kernel radius actually used (for ``gaussian``: sigma).
    rule : str
        Plain-language statement of the rule and the numbers that went into it.
    warnings : tuple of str
        E.g. the rule degenerated and the fallback was used.
    """

    bandwidth_m: float
    rule: str
    warnings: tuple[str, ...] = ()


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The first value (in sorted order) at which the cumulative weight reaches half the total."""
    if len(values) and np.all(weights == weights[0]):  # equal weights: order statistic ceil(n/2) - 1
        k = int(math.ceil(len(values) / 2)) - 1
        return float(np.partition(values, k)[k])
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, 0.5 * cum[-1]))
    return float(values[order][min(k, len(values) - 1)])


@dataclass(frozen=True)
class PointSpread:
    """The spread of a set of points, as :func:`_spread` measures it, computed elsewhere (e.g. by a
    database: :func:`analysis.store.binning.server_spread`): the bandwidth rules accept it in place
    of the points."""

    sd: float
    dm: float
    sx: float
    sy: float
    n: int


def _spread(xy, weights) -> tuple[float, float, float, float, int]:
    """Weighted standard distance SD, median distance Dm to the weighted mean centre, sx, sy, n.

    Raises BeatwiseError when there are no points (no bandwidth can be chosen).
    """
    if isinstance(xy, PointSpread):
        if xy.n == 0:
            raise BeatwiseError("No incidents to choose a bandwidth from.")
        return xy.sd, xy.dm, xy.sx, xy.sy, xy.n
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
    n = len(xy)
    if n == 0:
        raise BeatwiseError("No incidents to choose a bandwidth from.")
    wsum = w.sum()
    centre = (xy * w[:, None]).sum(axis=0) / wsum
    dev = xy - centre
    var = (dev * dev * w[:, None]).sum(axis=0) / wsum
    sd = float(math.sqrt(max(var.sum(), 0.0)))
    dm = _weighted_median(np.hypot(dev[:, 0], dev[:, 1]), w)
    return sd, dm, float(math.sqrt(max(var[0], 0.0))), float(math.sqrt(max(var[1], 0.0))), n


def arcgis_bandwidth_m(xy, weights=None) -> tuple[float, float, float, int]:
    """ArcGIS Kernel Density default search radius for a quartic kernel.

    ``h = 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^-0.2`` (Esri, "How Kernel Density works"; a spatial
    form of Silverman's rule), SD the standard distance, Dm the median distance to the mean centre.
    With weights the centre, SD and Dm are weighted; ``n`` stays the number of incidents (harm weights
    are not counts, unlike ArcGIS's population field).

    Returns
    -------
    h, sd, dm, n : float, float, float, int
        ``h`` is 0 when the rule degenerates (one incident, or most at one point).
    """
    sd, dm, _, _, n = _spread(xy, weights)
    h = 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * n ** -0.2
    return h, sd, dm, n


def silverman_bandwidth_m(xy, weights=None) -> tuple[float, float, int]:
    """Silverman's rule of thumb for a 2-D Gaussian kernel: ``sigma_h = s * n^(-1/6)``.

    Silverman (1986), *Density Estimation*, eq. (4.14) with d = 2, where ``s`` is the average
    per-axis standard deviation ``sqrt((sx^2 + sy^2) / 2)``.

    Returns
    -------
    h, s, n : float, float, int
        ``h`` is the Gaussian sigma (0 when the data has no spread).
    """
    _, _, sx, sy, n = _spread(xy, weights)
    s = math.sqrt((sx * sx + sy * sy) / 2.0)
    return s * n ** (-1.0 / 6.0), s, n


def select_bandwidth(xy, bandwidth_m: Union[str, float, BandwidthChoice] = "auto", *, kernel: str = "quartic",
                     weights=None, cell_m: Optional[float] = None) -> BandwidthChoice:
    """Resolve ``bandwidth_m`` (metres, ``"auto"`` or ``"silverman"``) to a radius for ``kernel``.

    A :class:`BandwidthChoice` (e.g. from :func:`grid_for_kde`) is returned unchanged.

    Rules give a spread for their reference kernel (``auto``: quartic radius; ``silverman``: Gaussian
    sigma); for other kernels the radius is scaled so the kernel has the same standard deviation
    (``h_K = h_ref * sd_ref / sd_K``, :data:`KERNEL_SD`).

    When a rule gives 0 (one incident, or at least half at one point), the fallback
    ``max(250 m, 5 cells)`` is used with a warning.

    Raises
    ------
    BeatwiseError
        Unknown kernel or rule, or a non-positive number.
    """
    if kernel not in KERNELS:
        raise BeatwiseError(f"Unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}.")
    if isinstance(bandwidth_m, BandwidthChoice):
        return bandwidth_m
    if isinstance(bandwidth_m, str):
        text = bandwidth_m.strip().lower()
        try:
            bandwidth_m = float(text)
        except ValueError:
            pass
        else:
            return select_bandwidth(xy, bandwidth_m, kernel=kernel, weights=weights, cell_m=cell_m)
        if text == "auto":
            h_ref, sd, dm, n = arcgis_bandwidth_m(xy, weights)
            ref_kernel = "quartic"
            detail = (f"auto (ArcGIS Kernel Density rule for a quartic radius): 0.9 * min(SD, sqrt(1/ln 2) * Dm) "
                      f"* n^-0.2 with SD = {sd:.1f} m, Dm = {dm:.1f} m, n = {n}")
        elif text == "silverman":
            h_ref, s, n = silverman_bandwidth_m(xy, weights)
            ref_kernel = "gaussian"
            detail = f"silverman (Silverman 1986 eq. 4.14, Gaussian sigma): s * n^(-1/6) with s = {s:.1f} m, n = {n}"
        else:
            raise BeatwiseError(
                f"Bandwidth {bandwidth_m!r} not understood: give metres (e.g. 250), 'auto' or 'silverman'."
            )
        if not (h_ref > 1e-6):
            fallback = max(FALLBACK_BANDWIDTH_M, 5 * cell_m) if cell_m else FALLBACK_BANDWIDTH_M
            warning = (f"The {text} bandwidth rule gives 0 m because the incidents have no spread (one incident, "
                       f"or at least half of them on one point, e.g. one snap point); using the fallback "
                       f"bandwidth of {fallback:g} m (max of 250 m and 5 cells) instead.")
            return BandwidthChoice(fallback, f"{detail} = 0 m (degenerate); fallback {fallback:g} m", (warning,))
        h = h_ref * KERNEL_SD[ref_kernel] / KERNEL_SD[kernel]
        if kernel != ref_kernel:
            detail += (f" = {h_ref:.1f} m for a {ref_kernel} kernel, scaled to the same spread for a {kernel} "
                       f"kernel")
        return BandwidthChoice(h, f"{detail} -> {h:.1f} m")
    h = float(bandwidth_m)
    if not (h > 0 and math.isfinite(h)):
        raise BeatwiseError(f"The bandwidth must be a positive number of metres, got {bandwidth_m!r}.")
    return BandwidthChoice(h, f"fixed: {h:g} m given by the user")


@dataclass(frozen=True)
class DensitySurface:
    """A kernel density surface on a grid, with everything needed to say how it was made.

    Attributes
    ----------
    grid : GridSpec
    values : ndarray, float64, shape (ny, nx), read-only
        Density in :attr:`density_units` (incidents, or weight, per km^2); row 0 is the south.
    kernel : str
    bandwidth_m : float
        Kernel radius used (``gaussian``: sigma).
    bandwidth_rule : str
        How the bandwidth was chosen, with the numbers.
    n_points : int
        Incidents given.
    total_weight : float
        Their summed weight (= ``n_points`` when unweighted).
    integral : float
        ``values.sum() * cell_area_km2``; equals ``total_weight`` when the grid covers the data plus
        the bandwidth.
    warnings : tuple of str
    density_units : str
    oversample : int
        Internal binning lattice was ``oversample`` times finer than the grid (1 = the grid itself).
    bandwidth_classes : tuple of float
        Adaptive surfaces (:mod:`analysis.hotspots.adaptive`): the bandwidth classes used, ascending;
        empty for a fixed bandwidth.
    class_counts : tuple of int
        Incidents in each class.
    point_bandwidth_m : ndarray (n,) or None, read-only
        Adaptive surfaces: each incident's class bandwidth (metres), in the order given, so a part
        of the surface can be recomputed at other cells (:mod:`analysis.hotspots.detail`).
    point_class_index : ndarray int16 (n,) or None, read-only
        Adaptive surfaces: each incident's class index (as
        :attr:`analysis.hotspots.adaptive.AdaptiveBandwidths.class_index`).
    """

    grid: GridSpec
    values: np.ndarray = field(repr=False)
    kernel: str
    bandwidth_m: float
    bandwidth_rule: str
    n_points: int
    total_weight: float
    integral: float
    warnings: tuple[str, ...] = ()
    density_units: str = DENSITY_UNITS
    oversample: int = 1
    bandwidth_classes: tuple[float, ...] = ()
    class_counts: tuple[int, ...] = ()
    point_bandwidth_m: Optional[np.ndarray] = field(default=None, repr=False, compare=False)
    point_class_index: Optional[np.ndarray] = field(default=None, repr=False, compare=False)

    @property
    def max_density(self) -> float:
        return float(self.values.max())

    @property
    def adaptive(self) -> bool:
        return bool(self.bandwidth_classes)

    @property
    def smallest_bandwidth_m(self) -> float:
        """The narrowest kernel used: the smallest class, else the fixed bandwidth."""
        return float(self.bandwidth_classes[0]) if self.bandwidth_classes else float(self.bandwidth_m)


def surface_integral(values: np.ndarray, grid: GridSpec, total_weight: float, weighted: bool,
                     warnings: list, margin: str) -> tuple[float, str]:
    """The surface's integral and units; warns (into ``warnings``) when under 99 % of the weight is
    on the grid, telling how far to extend it (``margin``)."""
    integral = float(values.sum() * grid.cell_area_km2)
    if integral < 0.99 * total_weight:
        warnings.append(f"Only {100 * integral / total_weight:.1f}% of the incidents' density falls on the grid: "
                        f"extend the grid by {margin} around the incidents.")
    return integral, (DENSITY_UNITS if not weighted else "weighted incidents per km^2")


def resolve_weights(points, weights: WeightsArg, n: int) -> tuple[np.ndarray, bool]:
    """Weights per incident and whether they are non-trivial.

    ``weights`` may be None (use the incidents' ``weight`` column if any, else 1), a column name, a
    ``crime_type -> weight`` mapping (e.g. harm weights; every crime type present must be listed), or
    an array of length n. Weights must be finite and >= 0.
    """
    columns = getattr(points, "columns", None)
    if weights is None:
        if columns is not None and "weight" in columns:
            w = np.asarray(points["weight"], dtype=float)
        else:
            return np.ones(n), False
    elif isinstance(weights, str):
        if columns is None or weights not in columns:
            raise BeatwiseError(f"Weights column {weights!r} not found in the incidents.")
        try:
            w = np.asarray(points[weights], dtype=float)
        except (TypeError, ValueError) as exc:
            raise BeatwiseError(f"Weights column {weights!r} is not numeric: {exc}") from None
    elif isinstance(weights, Mapping):
        if columns is None or "crime_type" not in columns:
            raise BeatwiseError("A crime-type weight table needs incidents with a 'crime_type' column.")
        types = points["crime_type"].astype(str)
        missing = sorted(set(types.unique()) - set(weights))
        if missing:
            raise BeatwiseError(f"The weight table has no weight for crime type(s): {', '.join(map(repr, missing))}. "
                                "Add them (0 to leave them out).")
        w = types.map({k: float(v) for k, v in weights.items()}).to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float).reshape(-1)
        if len(w) != n:
            raise BeatwiseError(f"Got {len(w)} weights for {n} incidents.")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BeatwiseError(f"Weights must be finite and >= 0; incident {i} (0-based) has weight {w[i]!r}.")
    return w, not np.all(w == 1.0)


def linear_bin(xy: np.ndarray, weights: Optional[np.ndarray], grid: GridSpec, pad: int) -> np.ndarray:
    """Linear (bilinear) binning of points onto the cell centres of ``grid`` padded by ``pad`` cells.

    Returns an array ``(ny + 2 pad, nx + 2 pad)``; a point's weight is split between the four
    surrounding centres. Points whose four centres are not all in the padded array are dropped.
    Four ``np.bincount`` calls on flat indices (much faster than ``np.add.at``).
    """
    NX, NY = grid.nx + 2 * pad, grid.ny + 2 * pad
    inv = 1.0 / grid.cell_m
    fx = xy[:, 0] - grid.x0
    fx *= inv
    fx += pad - 0.5
    fy = xy[:, 1] - grid.y0
    fy *= inv
    fy += pad - 0.5
    if len(fx) and not (fx.min() >= 0 and fx.max() < NX - 1 and fy.min() >= 0 and fy.max() < NY - 1):
        keep = (fx >= 0) & (fx < NX - 1) & (fy >= 0) & (fy < NY - 1)
        fx, fy = fx[keep], fy[keep]
        if weights is not None:
            weights = weights[keep]
    j = fx.astype(np.int64)  # fx >= 0 so truncation is floor
    flat = fy.astype(np.int64)
    fx -= j                  # now the fractional offsets tx, ty
    fy -= flat
    tx, ty = fx, fy
    flat *= NX
    flat += j
    del j
    ux = 1.0 - tx
    uy = 1.0 - ty
    if weights is not None:
        ux *= weights
        tx *= weights
    size = NX * NY
    out = np.bincount(flat, ux * uy, size)
    out += np.bincount(flat + 1, tx * uy, size)
    flat += NX
    out += np.bincount(flat, ux * ty, size)
    flat += 1
    out += np.bincount(flat, tx * ty, size)
    return out.reshape(NY, NX)


def _phase_normalisation(stencil: np.ndarray, f: int, shape: tuple[int, int], pad: int) -> np.ndarray:
    """Factors making every lattice node's kernel sum to exactly one incident on the output grid.

    With an ``f``-times finer lattice, the output keeps only every f-th fine node (the grid's cell
    centres), so a node's kernel contributes ``f^2 * S`` incidents to the grid, where ``S`` sums the
    stencil entries whose offsets land on kept nodes; ``S`` depends on the node's position modulo f
    (its phase). Dividing the binned weight at each node by ``f^2 * S[phase]`` conserves each
    incident's mass exactly (for smooth kernels the factors are within ~1e-4 of 1).
    """
    r = stencil.shape[0] // 2
    cls = (np.arange(2 * r + 1) - r) % f
    s = np.zeros((f, f))
    np.add.at(s, (cls[:, None], cls[None, :]), stencil)
    # node with unpadded fine index k reaches kept nodes (index = f//2 mod f) through offsets d = f//2 - k (mod f)
    table = 1.0 / (f * f * s)
    rows = (f // 2 - (np.arange(shape[0]) - pad)) % f
    cols = (f // 2 - (np.arange(shape[1]) - pad)) % f
    return table[rows[:, None], cols[None, :]]


def kde(points, grid: GridSpec, *, kernel: str = "quartic",
        bandwidth_m: Union[str, float, BandwidthChoice] = "auto",
        weights: WeightsArg = None, oversample: Union[str, int] = "auto",
        progress: Optional[ProgressFn] = None) -> DensitySurface:
    """Kernel density of incidents on ``grid``, in incidents (or weight) per km^2.

    Parameters
    ----------
    points : GeoDataFrame of incidents or (n, 2) array
        Coordinates in metres, in the grid's CRS. A geographic (degrees) CRS is refused.
    grid : GridSpec
        Output frame; make it with ``GridSpec.for_points(points, margin_m=bandwidth)`` so no density
        falls off the edge (else the integral is smaller than the total weight and a warning says so).
    kernel : {"quartic", "epanechnikov", "triangular", "uniform", "gaussian"}
    bandwidth_m : float, "auto", "silverman" or BandwidthChoice
        See :func:`select_bandwidth`.
    weights : None, column name, crime-type table or array
        See :func:`resolve_weights`.
    oversample : "auto" or odd int
        Bin and convolve on a lattice this many times finer, then take the values at the grid's cell
        centres (see :func:`oversample_factor`); 1 is plain binning on the grid.
    progress : ProgressFn, optional

    Returns
    -------
    DensitySurface

    Raises
    ------
    BeatwiseError
        No incidents, all weights zero, degrees, a CRS different from the grid's, bad parameters.

    Notes
    -----
    Linear binning + FFT convolution (Wand 1994); the stencil is the kernel sampled at cell-centre
    offsets and normalised to sum to 1, so mass is conserved on the binning lattice. Cells below
    1e-10 of the maximum are set to 0 (FFT round-off). The error versus the exact kernel sum at the
    cell centres is O((cell/h)^2) in absolute terms; relative to the local density it is largest
    near the edge of an isolated incident's kernel. ``oversample="auto"`` keeps it small on
    ordinary grids (measured on the Southend data: see tests/analysis/test_kde.py).
    """
    if kernel not in KERNELS:
        raise BeatwiseError(f"Unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}.")
    if crs_is_geographic(grid.crs):
        raise BeatwiseError(f"The grid is in a geographic CRS ({grid.crs}, degrees); use a projected CRS in metres.")
    xy, pcrs = points_xy(points, crs=grid.crs)
    if pcrs is not None and grid.crs is not None and pcrs != grid.crs:
        from pyproj import CRS

        if not CRS.from_user_input(pcrs).equals(CRS.from_user_input(grid.crs)):
            raise BeatwiseError(f"The incidents are in {pcrs} but the grid is in {grid.crs}; use one CRS.")
    n = len(xy)
    if n == 0:
        raise BeatwiseError("No incidents to map: none are left after the filters. Widen the filters "
                            "(crime types, dates, area).")
    w, weighted = resolve_weights(points, weights, n)
    total_weight = float(w.sum()) if weighted else float(n)
    if not total_weight > 0:
        raise BeatwiseError("All incident weights are 0: there is nothing to map.")
    report(progress, 0.0, "Choosing the bandwidth")
    choice = select_bandwidth(xy, bandwidth_m, kernel=kernel, weights=w if weighted else None, cell_m=grid.cell_m)
    h = choice.bandwidth_m
    warnings = list(choice.warnings)
    return binned_kde(lambda work, pad: linear_bin(xy, w if weighted else None, work, pad), grid, kernel=kernel,
                      choice=choice, n=n, total_weight=total_weight, weighted=weighted, warnings=warnings,
                      oversample=oversample, progress=progress)


def binned_kde(binner, grid: GridSpec, *, kernel: str, choice: BandwidthChoice, n: int, total_weight: float,
               weighted: bool = False, warnings: Sequence[str] = (), oversample: Union[str, int] = "auto",
               progress: Optional[ProgressFn] = None) -> DensitySurface:
    """The second half of :func:`kde`: convolve linearly binned incidents with the kernel.

    ``binner(work, pad)`` returns the incidents linearly binned on ``work`` padded by ``pad`` cells
    (:func:`linear_bin`, or the same sums made by a database: :func:`analysis.store.binning.server_linear_bin`);
    ``work`` is ``grid`` or an oversampled lattice of it. Everything else is :func:`kde`'s.
    """
    warnings = list(warnings)
    h = choice.bandwidth_m
    if h < 2 * grid.cell_m:
        warnings.append(f"The bandwidth ({h:g} m) is less than 2 cells of {grid.cell_m:g} m: the surface is blocky "
                        "and less accurate; use smaller cells or a larger bandwidth.")
    f = oversample_factor(kernel, h, grid, oversample)
    if f > 1 and _SUPPORT[kernel] * h < grid.cell_m:
        # a kernel narrower than one output cell cannot reach a kept (cell-centre) node from every
        # phase of a finer lattice: the phase normalisation would divide by zero (regression: NaN
        # density for the 8 m classes of a national year at 20 m cells). Plain binning on the grid
        # conserves every incident's mass.
        f = 1
    work = grid if f == 1 else GridSpec(grid.x0, grid.y0, grid.cell_m / f, grid.nx * f, grid.ny * f, grid.crs)
    stencil = kernel_stencil(kernel, h, work.cell_m)
    r = stencil.shape[0] // 2
    report(progress, 0.1, f"Binning {n:,} incidents")
    binned = binner(work, r + 1)
    if f > 1:
        binned *= _phase_normalisation(stencil, f, binned.shape, pad=r + 1)
    report(progress, 0.5, "Convolving with the kernel")
    # 'valid' output is (ny + 2, nx + 2): the padded centres -1..n; keep 0..n-1
    dens = fft_convolve(binned, stencil, mode="valid", workers=FFT_WORKERS)[1:-1, 1:-1]
    del binned
    if f > 1:  # fine centres f//2, f//2 + f, ... coincide with the output grid's centres (f is odd)
        dens = np.ascontiguousarray(dens[f // 2::f, f // 2::f])
    dens *= 1.0 / work.cell_area_km2
    vmax = float(dens.max()) if dens.size else 0.0
    dens[dens < _ZERO_BELOW * vmax] = 0.0
    dens.flags.writeable = False
    integral, units = surface_integral(dens, grid, total_weight, weighted, warnings, "at least one bandwidth")
    report(progress, 1.0, "Density done")
    return DensitySurface(grid=grid, values=dens, kernel=kernel, bandwidth_m=float(h), bandwidth_rule=choice.rule,
                          n_points=n, total_weight=total_weight, integral=integral, warnings=tuple(warnings),
                          density_units=units, oversample=f)


def grid_for_kde(points, *, cell_m: Optional[float] = None, kernel: str = "quartic",
                 bandwidth_m: Union[str, float] = "auto", weights: WeightsArg = None,
                 crs=None) -> tuple[GridSpec, BandwidthChoice]:
    """The grid :func:`kde` should use: the incidents' extent plus the kernel's support radius.

    Resolves the bandwidth first (it sets the margin); pass ``choice`` on to :func:`kde` as
    ``bandwidth_m`` so the rule text and any warning are kept. ``crs`` is needed only when
    ``points`` is a plain array.
    """
    xy, crs = points_xy(points, crs=crs)
    if len(xy) == 0:
        raise BeatwiseError("No incidents to map: none are left after the filters. Widen the filters "
                            "(crime types, dates, area).")
    w, weighted = resolve_weights(points, weights, len(xy))
    choice = select_bandwidth(xy, bandwidth_m, kernel=kernel, weights=w if weighted else None, cell_m=cell_m)
    margin = _SUPPORT[kernel] * choice.bandwidth_m
    if cell_m is None:  # a fifth of the bandwidth at most (issue 20 item 3)
        span = xy.max(axis=0) - xy.min(axis=0) + 2 * margin
        cell_m = cell_for_bandwidths(choice.bandwidth_m, span[0], span[1])
    grid = GridSpec.for_points(xy, cell_m=cell_m, margin_m=margin, crs=crs)
    return grid, choice
