"""The density surface of an analysis, fixed or adaptive, as every caller makes it.

``beatwise hotspots``, ``beatwise brief`` and the app all go through :func:`density_surface`:
choose fixed or adaptive bandwidth (:func:`choose_bandwidth_mode`,
``--kernel-bandwidth auto|adaptive|fixed``), size the grid from the bandwidths actually used
(:func:`analysis.hotspots.grid.cell_for_bandwidths`) and compute the surface.

When to use it (:func:`choose_bandwidth_mode`, ``--kernel-bandwidth auto``): adaptive when the
fixed (ArcGIS) bandwidth is more than :data:`AUTO_RATIO` (3) times the median adaptive one, i.e.
the typical incident's fixed kernel would hold over 9 ``k`` incidents where its neighbourhood
supports ``k``, **and** the incidents' standard distance is over 5 km (wider than a town): the
data spans places of very different density (a force: towns and countryside), and one bandwidth
fits neither. Measured: Essex 2024 ratio 7.3, standard distance 26 km (adaptive); Southend-on-Sea
1.8 and Rutland 2.4 (fixed); the synthetic demo (one district, 12,000 incidents on few snap
points) 4.0 but 1 km wide (fixed). The ratio of the 90th to the 10th percentile of the pilot
densities is reported too, but does not separate a force from a town (Essex 19, Southend 22,
Rutland 45).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from analysis.hotspots.adaptive import DEFAULT_K, adaptive_kde, density_spread, grid_for_adaptive, pilot_density
from analysis.hotspots.grid import points_xy
from analysis.hotspots.kde import (DensitySurface, WeightsArg, arcgis_bandwidth_m, grid_for_kde, kde,
                                   resolve_weights, select_bandwidth)
from analysis.progress import BeatwiseError, ProgressFn, report, scaled
from analysis.hotspots.study_area import distinct_places

#: ``--kernel-bandwidth auto`` is adaptive when fixed / median adaptive bandwidth exceeds this...
AUTO_RATIO = 3.0
#: ...and the incidents' standard distance exceeds this (metres): wider than one town.
AUTO_MIN_SPREAD_M = 5000.0


@dataclass(frozen=True)
class BandwidthMode:
    """Fixed or adaptive bandwidth, and why (``--kernel-bandwidth``).

    Attributes
    ----------
    mode : {"adaptive", "fixed"}
    requested : {"auto", "adaptive", "fixed"}
    reason : str
    fixed_m : float or None
        The fixed (ArcGIS) bandwidth the rule compared with.
    median_adaptive_m : float or None
        The median adaptive bandwidth ``sqrt(k / (pi f_pilot))`` at the incidents.
    ratio : float or None
        ``fixed_m / median_adaptive_m`` (adaptive above :data:`AUTO_RATIO`).
    density_spread : float or None
        90th / 10th percentile of the pilot density at the incidents.
    standard_distance_m : float or None
        The incidents' standard distance (adaptive only above :data:`AUTO_MIN_SPREAD_M`).
    """

    mode: str
    requested: str
    reason: str
    fixed_m: Optional[float] = None
    median_adaptive_m: Optional[float] = None
    ratio: Optional[float] = None
    density_spread: Optional[float] = None
    standard_distance_m: Optional[float] = None

    def summary(self) -> dict:
        return {"mode": self.mode, "requested": self.requested, "reason": self.reason, "fixed_m": self.fixed_m,
                "median_adaptive_m": self.median_adaptive_m, "ratio": self.ratio,
                "density_spread_p90_p10": self.density_spread, "standard_distance_m": self.standard_distance_m}


MODES = ("auto", "adaptive", "fixed")


def _distinct_fewer_than(xy: np.ndarray, k: int) -> bool:
    """Whether the points have fewer than ``k`` distinct locations (a sample first: cheap on 1M)."""
    return len(distinct_places(xy[:10_000])) < k and len(distinct_places(xy)) < k


def choose_bandwidth_mode(points, requested: str = "auto", *, kernel: str = "quartic", weights: WeightsArg = None,
                          bandwidth_m: Union[str, float] = "auto", k: int = DEFAULT_K,
                          ratio: float = AUTO_RATIO) -> BandwidthMode:
    """Adaptive or fixed: the user's choice, else the rule of the module docstring.

    A bandwidth given in metres with ``auto`` means fixed (the user chose the scale).
    """
    requested = str(requested).strip().lower()
    if requested not in MODES:
        raise BeatwiseError(f"--kernel-bandwidth must be one of {', '.join(MODES)}, got {requested!r}.")
    if requested != "auto":
        return BandwidthMode(requested, requested, f"{requested} bandwidth chosen by the user (--kernel-bandwidth "
                                                   f"{requested})")
    if not (isinstance(bandwidth_m, str) and bandwidth_m.strip().lower() == "auto"):
        return BandwidthMode("fixed", "auto", f"fixed: a bandwidth was given ({bandwidth_m})")
    xy, _ = points_xy(points)
    w, weighted = resolve_weights(points, weights, len(xy))
    wv = w if weighted else None
    fixed = select_bandwidth(xy, "auto", kernel=kernel, weights=wv)
    sd = arcgis_bandwidth_m(xy, wv)[1]
    if _distinct_fewer_than(xy, max(int(k), 2)) or fixed.warnings:
        return BandwidthMode("fixed", "auto", f"fixed: too few distinct locations for an adaptive kernel "
                                              f"(it needs at least k = {int(k)})", fixed_m=fixed.bandwidth_m)
    # the rule needs the median and spread only: a pilot grid of a fifth of the bandwidth suffices
    f = pilot_density(xy, wv, kernel=kernel, pilot="kde", pilot_bandwidth_m=fixed.bandwidth_m, k=k,
                      cells_per_bandwidth=5.0, max_cells=1_000_000)
    h_med = float(np.median(1000.0 * np.sqrt(int(k) / (math.pi * f))))
    r = fixed.bandwidth_m / h_med
    spread = density_spread(f)
    mode = "adaptive" if r > ratio and sd > AUTO_MIN_SPREAD_M else "fixed"
    reason = (f"{mode}: the fixed (ArcGIS) bandwidth {fixed.bandwidth_m:.0f} m is {r:.1f} times the median "
              f"adaptive one ({h_med:.0f} m, the radius holding k = {int(k)} incidents at the local density) and "
              f"the incidents spread {sd / 1000:.1f} km (standard distance); adaptive when over {ratio:g} times and "
              f"over {AUTO_MIN_SPREAD_M / 1000:g} km (data spanning places of very different density, such as "
              f"towns and countryside); pilot density 90th/10th percentile ratio {spread:.1f}")
    return BandwidthMode(mode, "auto", reason, fixed_m=fixed.bandwidth_m, median_adaptive_m=h_med, ratio=r,
                         density_spread=spread, standard_distance_m=sd)



def density_surface(xy: np.ndarray, *, weights: Optional[np.ndarray] = None, crs=None, kernel: str = "quartic",
                    bandwidth_m: Union[str, float] = "auto", mode: str = "auto", cell_m: Optional[float] = None,
                    k: int = DEFAULT_K, min_bandwidth_m: Optional[float] = None,
                    max_bandwidth_m: Optional[float] = None,
                    progress: Optional[ProgressFn] = None) -> tuple[DensitySurface, BandwidthMode]:
    """The density surface and the bandwidth mode chosen (with its reason).

    Parameters
    ----------
    xy : (n, 2) array
        Incidents in metres (``crs``).
    weights : array, optional
        Per incident (None: unweighted).
    bandwidth_m : "auto", "silverman" or metres
        Fixed: the bandwidth (:func:`~analysis.hotspots.kde.select_bandwidth`). Adaptive: ``auto``
        takes the scale from ``k``; metres or ``silverman`` give ``h0``.
    mode : {"auto", "adaptive", "fixed"}
    cell_m : float, optional
        Default: at most a fifth of the narrowest kernel, within the grid-size limit.
    k, min_bandwidth_m, max_bandwidth_m
        Adaptive parameters (:func:`~analysis.hotspots.adaptive.abramson_bandwidths`).
    """
    report(progress, 0.0, "Choosing the bandwidth")
    chosen = choose_bandwidth_mode(xy, mode, kernel=kernel, weights=weights, bandwidth_m=bandwidth_m, k=k)
    if chosen.mode == "fixed":
        grid, choice = grid_for_kde(xy, cell_m=cell_m, kernel=kernel, bandwidth_m=bandwidth_m, weights=weights,
                                    crs=crs)
        surface = kde(xy, grid, kernel=kernel, bandwidth_m=choice, weights=weights,
                      progress=scaled(progress, 0.1, 1.0))
        return surface, chosen
    h0 = None
    if not (isinstance(bandwidth_m, str) and bandwidth_m.strip().lower() == "auto"):
        h0 = select_bandwidth(xy, bandwidth_m, kernel=kernel, weights=weights).bandwidth_m
    grid, bw = grid_for_adaptive(xy, cell_m=cell_m, kernel=kernel, bandwidth_m=h0, weights=weights, crs=crs, k=k,
                                 min_bandwidth_m=min_bandwidth_m, max_bandwidth_m=max_bandwidth_m)
    surface = adaptive_kde(xy, grid, kernel=kernel, weights=weights, bandwidths=bw,
                           progress=scaled(progress, 0.1, 1.0))
    return surface, chosen
