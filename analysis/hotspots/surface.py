"""The density surface of an analysis, fixed or adaptive, as every caller makes it.

``beatwise hotspots``, ``beatwise brief`` and the app all go through :func:`density_surface`:
choose fixed or adaptive bandwidth (:func:`analysis.hotspots.adaptive.choose_bandwidth_mode`,
``--kernel-bandwidth auto|adaptive|fixed``), size the grid from the bandwidths actually used
(:func:`analysis.hotspots.grid.cell_for_bandwidths`) and compute the surface.
"""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from analysis.hotspots.adaptive import DEFAULT_K, BandwidthMode, adaptive_kde, choose_bandwidth_mode, grid_for_adaptive
from analysis.hotspots.kde import DensitySurface, grid_for_kde, kde, select_bandwidth
from analysis.progress import ProgressFn, report, scaled


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
