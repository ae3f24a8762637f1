"""Level of detail: a density surface recomputed for one view at cells finer than the overview's.

A force's overview surface has one cell size for the whole county (Essex 2024: 25 m, a
3,710 x 2,935 grid). Zoomed into a street, those cells are tens of screen pixels wide and the
map is blocky, although the kernels (the narrowest 162 m) vary smoothly over a few metres. The
app therefore asks for the **same estimator** over the visible extent only, on a finer grid:

* the view cell (:func:`view_cell_m`) is the larger of the view's longer side over
  ``cells_across`` (about one cell per screen pixel) and the narrowest kernel of the surface over
  :data:`CELLS_PER_KERNEL` (finer would show nothing new: the density is smooth within a
  kernel), rounded up to a readable number; unless that is at most half the overview's cell,
  the overview is the right picture (:func:`view_grid` returns None);
* the grid covers the view (plus :data:`VIEW_MARGIN` of its size each side, for small pans),
  clipped to the overview's extent, within :data:`VIEW_MAX_CELLS` cells;
* the incidents whose kernels can reach it (within the kernel support of the largest class) are
  summed with their own bandwidths: :func:`analysis.hotspots.kde.kde` for a fixed bandwidth,
  :func:`analysis.hotspots.adaptive.surface_for_classes` with each incident's class for an
  adaptive one (:attr:`~analysis.hotspots.kde.DensitySurface.point_bandwidth_m`).

On the overview's own grid, :func:`view_surface` gives the overview surface again (tested), so a
view is the analysis at other cells, not a resampled picture.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from analysis.hotspots.grid import GridSpec, readable_number
from analysis.hotspots.kde import _SUPPORT, DensitySurface, kde
from analysis.progress import BeatwiseError, ProgressFn, report

#: The view cell is at least the narrowest kernel over this many cells.
CELLS_PER_KERNEL = 40.0
#: Default cells across the longer side of a view (about one per screen pixel of the map).
VIEW_CELLS_ACROSS = 800
#: Largest view grid (cells): a view is redrawn in a fraction of a second.
VIEW_MAX_CELLS = 2_500_000
#: Kernels narrower than this many view cells (standard deviation) are binned on an oversampled
#: lattice (the analysis uses 10, :data:`analysis.hotspots.adaptive.TARGET_SD_CELLS`): from 4 cells
#: up, plain linear binning is within 1 % of the exact sum where the density is over 1 % of its
#: peak (tests/analysis/hotspots/test_detail.py), and a view is drawn in a fraction of the time.
VIEW_OVERSAMPLE_BELOW_SD_CELLS = 4.0
#: A view is recomputed only when its cell is at most this fraction of the overview's.
FINER = 0.5
#: The view grid extends this fraction of the view's size beyond each side (small pans stay sharp).
VIEW_MARGIN = 0.05


#: The overview is drawn with at most this many cells along its longer side (block means).
DISPLAY_CELLS = 1600


def display_overview(surface: DensitySurface, max_cells_across: int = DISPLAY_CELLS) -> DensitySurface:
    """The overview as the map draws it: ``surface`` as means over blocks of ``f x f`` cells, ``f``
    the smallest integer that brings its longer side to at most ``max_cells_across`` cells (a
    screen has no more pixels; zoomed in, :func:`view_surface` draws finer cells). Mean densities
    keep the integral; ``f = 1`` returns ``surface`` itself."""
    g = surface.grid
    f = max(1, math.ceil(max(g.nx, g.ny) / max(int(max_cells_across), 1)))
    if f == 1:
        return surface
    ny, nx = -(-g.ny // f), -(-g.nx // f)
    padded = np.zeros((ny * f, nx * f), dtype=np.float32)
    padded[:g.ny, :g.nx] = surface.values
    values = padded.reshape(ny, f, nx, f).mean(axis=(1, 3), dtype=np.float64)
    del padded
    values.flags.writeable = False
    grid = GridSpec(g.x0, g.y0, g.cell_m * f, nx, ny, g.crs)
    return DensitySurface(grid=grid, values=values, kernel=surface.kernel, bandwidth_m=surface.bandwidth_m,
                          bandwidth_rule=surface.bandwidth_rule, n_points=surface.n_points,
                          total_weight=surface.total_weight, integral=float(values.sum() * grid.cell_area_km2),
                          warnings=surface.warnings, density_units=surface.density_units,
                          oversample=surface.oversample, bandwidth_classes=surface.bandwidth_classes,
                          class_counts=surface.class_counts)


@dataclass(frozen=True)
class SurfaceSource:
    """What an overview density surface was made from, to recompute any view of it.

    Attributes
    ----------
    xy : (n, 2) float ndarray, read-only
        The incidents gridded (after filters and out-of-area exclusion), metres.
    weights : ndarray (n,) or None
    surface : DensitySurface
        The overview (its kernel, bandwidth or per-incident classes, grid).
    """

    xy: np.ndarray = field(repr=False)
    weights: Optional[np.ndarray] = field(repr=False)
    surface: DensitySurface = field(repr=False)

    def __post_init__(self) -> None:
        if self.surface.adaptive and (self.surface.point_bandwidth_m is None
                                      or len(self.surface.point_bandwidth_m) != len(self.xy)):
            raise BeatwiseError("An adaptive surface needs each incident's bandwidth to recompute a view.")

    @property
    def largest_bandwidth_m(self) -> float:
        s = self.surface
        return float(s.bandwidth_classes[-1]) if s.adaptive else float(s.bandwidth_m)


def view_cell_m(surface: DensitySurface, width_m: float, height_m: float,
                cells_across: int = VIEW_CELLS_ACROSS) -> float:
    """The cell for a view ``width_m`` x ``height_m`` (module docstring), a readable number."""
    side = max(float(width_m), float(height_m), 1e-9)
    finest = surface.smallest_bandwidth_m / CELLS_PER_KERNEL
    cell = max(side / max(int(cells_across), 1), finest, side / math.sqrt(VIEW_MAX_CELLS))
    return readable_number(cell, direction="up")


def view_grid(surface: DensitySurface, bounds, cells_across: int = VIEW_CELLS_ACROSS, *,
              shown_cell_m: Optional[float] = None) -> Optional[GridSpec]:
    """The grid for the view ``bounds`` (xmin, ymin, xmax, ymax), or None when the overview's cells
    (``shown_cell_m`` when it is drawn coarser, :func:`display_overview`) are fine enough for the
    view (the view cell is over :data:`FINER` of them) or the view misses the overview.

    The grid's origin is snapped to its cell, so views with the same cell line up cell by cell
    (and with the overview when the cells are equal).
    """
    x0, y0, x1, y1 = (float(b) for b in bounds)
    if not (x1 > x0 and y1 > y0):
        return None
    cell = view_cell_m(surface, x1 - x0, y1 - y0, cells_across)
    g = surface.grid
    shown = float(shown_cell_m or g.cell_m)
    if cell > shown * FINER * (1 + 1e-9):
        return None
    mx, my = VIEW_MARGIN * (x1 - x0), VIEW_MARGIN * (y1 - y0)
    gx0, gy0, gx1, gy1 = g.bounds
    xa, ya = max(x0 - mx, gx0), max(y0 - my, gy0)
    xb, yb = min(x1 + mx, gx1), min(y1 + my, gy1)
    if not (xb > xa and yb > ya):
        return None
    while math.ceil((xb - xa) / cell + 1) * math.ceil((yb - ya) / cell + 1) > VIEW_MAX_CELLS:
        cell = readable_number(cell * 1.01, direction="up")  # the margin pushed it over: coarser
    if cell > shown * FINER * (1 + 1e-9):
        return None
    return GridSpec.from_bounds(xa, ya, xb, yb, cell, crs=g.crs)


def view_surface(source: SurfaceSource, grid: GridSpec, progress: Optional[ProgressFn] = None) -> DensitySurface:
    """The density of ``source`` on ``grid`` (a view), by the overview's own estimator.

    Returns
    -------
    DensitySurface
        On ``grid``; ``n_points`` the incidents that reach it; ``integral`` the weight within the
        grid (not the total: a view holds part of the data). Adaptive: the classes present in the view.
    """
    from analysis.hotspots.adaptive import surface_for_classes
    from analysis.hotspots.kde import surface_integral

    s = source.surface
    reach = _SUPPORT[s.kernel] * source.largest_bandwidth_m + 2 * max(grid.cell_m, s.grid.cell_m)
    gx0, gy0, gx1, gy1 = grid.bounds
    xy = source.xy
    inside = ((xy[:, 0] >= gx0 - reach) & (xy[:, 0] <= gx1 + reach)
              & (xy[:, 1] >= gy0 - reach) & (xy[:, 1] <= gy1 + reach))
    idx = np.flatnonzero(inside)
    w = None if source.weights is None else source.weights[idx]
    report(progress, 0.05, f"Density for the view: {len(idx):,} incidents, cells of {grid.cell_m:g} m")
    pts = xy[idx]
    if len(idx) == 0:
        values = np.zeros(grid.shape)
        values.flags.writeable = False
        classes, counts, hb, ci = (), (), None, None
    elif s.adaptive:
        hb, ci = s.point_bandwidth_m[idx], s.point_class_index[idx]
        values = surface_for_classes(pts, w, hb, grid, kernel=s.kernel, class_index=ci,
                                     oversample_below_sd_cells=VIEW_OVERSAMPLE_BELOW_SD_CELLS)
        present, counts = np.unique(ci, return_counts=True)
        first = {int(c): float(h) for c, h in zip(ci[::-1], hb[::-1])}
        classes = tuple(first[int(c)] for c in present)
        counts = tuple(int(c) for c in counts)
    else:
        part = kde(pts, grid, kernel=s.kernel, bandwidth_m=float(s.bandwidth_m), weights=w)
        values, classes, counts, hb, ci = part.values, (), (), None, None
    weight = float(len(idx)) if w is None else float(w.sum())
    integral, units = surface_integral(values, grid, weight, w is not None, [], "the largest bandwidth")
    report(progress, 1.0, "View density done")
    return DensitySurface(grid=grid, values=values, kernel=s.kernel, bandwidth_m=s.bandwidth_m,
                          bandwidth_rule=s.bandwidth_rule, n_points=len(idx), total_weight=weight,
                          integral=float(integral), warnings=(), density_units=units, oversample=s.oversample,
                          bandwidth_classes=classes, class_counts=counts, point_bandwidth_m=hb,
                          point_class_index=ci)
