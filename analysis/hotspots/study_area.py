"""The study area: the cells of a grid that a statistic comparing cells is computed over.

Gi* compares each cell's neighbourhood with the mean and spread of all cells, and the PAI
compares a hotspot's share of the incidents with its share of the area. Both need to know which
cells are part of the area at all: a cell of the sea, or of the margin a density grid adds
around the data, is not a cell with no crime, it is not a place where crime was recorded. Such
cells are *absent*: not counted in n, the mean or the variance, never anyone's neighbour, and
not part of the area A of the PAI (DESIGN.md section 2).

A :class:`StudyArea` is a boolean cell mask laid on a :class:`~analysis.hotspots.grid.GridSpec`,
with how it was made:

* **a boundary** (:func:`boundary_study_area`, from a polygon layer read by
  :func:`read_study_area`): the cells whose centre lies inside the polygons;
* **within reach of the incidents** (:func:`reach_study_area`), when no boundary is given: the
  cells whose centre no incident-free circle of radius ``reach_m`` can cover - the morphological
  closing of the incidents by a disc of that radius (Serra 1982, *Image analysis and mathematical
  morphology*), an alpha shape of radius ``reach_m`` on the grid. Gaps between incidents narrower
  than about ``2 * reach_m`` are filled, while the sea, a large park or the margin beyond the
  outermost incidents stays out, and the edge of the area runs along the outermost incidents
  rather than ``reach_m`` beyond them (cells merely *within* ``reach_m`` of an incident would add a
  ring of empty cells around the data, which Gi* reads as cold spots: the edge effect this module
  exists to remove).

:func:`band_stencil` (the binary distance band of Gi* and of the closing) and :func:`check_band`
(refusing bands whose convolution would not fit in memory) are here because both use them.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from analysis.grouping import group_keys
from analysis.hotspots.grid import MAX_CELLS, GridSpec, points_xy
from analysis.hotspots.discs import disc_dilation
from analysis.progress import BeatwiseError, ProgressFn, report

#: ``StudyArea.kind`` of a user boundary and of the area within reach of the incidents.
BOUNDARY = "boundary"
REACH = "reach"

#: :func:`default_reach_m`: the reach is at least the distance within which this share of the
#: distinct incident locations have :data:`REACH_NEIGHBOURS` others.
REACH_QUANTILE = 0.90
REACH_NEIGHBOURS = 7

#: The closing runs on a lattice at most ``cell / REACH_LATTICE_PER_CELL`` and ``reach_m / 10`` apart,
#: so the edge of the area is placed to a fifth of a cell, not to a whole cell: a cell is in when
#: its centre is (a cell half outside the data would otherwise enter with half the count)...
REACH_LATTICE_PER_CELL = 5
#: ...without the lattice exceeding this many cells.
REACH_LATTICE_MAX_CELLS = 4_000_000
REACH_SAMPLE = 50_000

_POLYGON_TYPES = ("Polygon", "MultiPolygon")


# ---------------------------------------------------------------------------------------------- bands
def band_stencil(cell_m: float, distance_m: float) -> np.ndarray:
    """Binary stencil of cell offsets within ``distance_m`` of the focal cell centre (inclusive;
    a relative tolerance of 1e-9 absorbs floating-point error at exactly the distance)."""
    rr = float(distance_m) / float(cell_m)
    r = int(math.floor(rr + 1e-9))
    o = np.arange(-r, r + 1)
    d2 = o[None, :] ** 2 + o[:, None] ** 2
    return (d2 <= rr * rr * (1 + 1e-9)).astype(float)


def check_band(shape: tuple[int, int], cell_m: float, distance_m: float, *, what: str = "The Gi* distance band",
               option: str = "--gi-distance-m") -> None:
    """Refuse a band that is pointless or would not fit in memory, before anything is allocated.

    Parameters
    ----------
    shape : (ny, nx)
        The grid the band is convolved over.
    cell_m, distance_m : float
        Its cell size and the band radius, in metres.
    what, option : str
        How the message names the band and the option that sets it.

    A band longer than the grid's diagonal makes every cell a neighbour of every other (Gi* is
    then undefined everywhere); a band whose convolution (grid plus band on every side) exceeds
    :data:`~analysis.hotspots.grid.MAX_CELLS` cells would take gigabytes (issue 12 item 8:
    ``--gi-distance-m 1e9`` asked for 2.8 PiB, ``5e5`` for 5.7 GB).

    Raises
    ------
    BeatwiseError
        Naming the limit and a band (or cell size) that fits.
    """
    distance_m = float(distance_m)
    if not (distance_m > 0 and math.isfinite(distance_m)):
        raise BeatwiseError(f"{what} must be a positive number of metres, got {distance_m!r}.")
    ny, nx = int(shape[0]), int(shape[1])
    diagonal = math.hypot(nx * cell_m, ny * cell_m)
    if distance_m > diagonal:
        raise BeatwiseError(
            f"{what} ({distance_m:,.0f} m) is longer than the whole grid ({diagonal:,.0f} m corner to corner): "
            f"every cell would be every other cell's neighbour, and Gi* is then undefined. Use at most "
            f"{diagonal:,.0f} m ({option}); the default, the kernel bandwidth, is usually right.")
    r = int(math.floor(distance_m / cell_m + 1e-9))
    work = (ny + 2 * r) * (nx + 2 * r)
    if work > MAX_CELLS:
        # the longest band that fits: (ny + 2r)(nx + 2r) <= MAX_CELLS
        r_max = max(0, int((-(ny + nx) + math.sqrt((ny + nx) ** 2 - 4 * (ny * nx - MAX_CELLS))) / 4))
        cell_hint = cell_m * math.ceil(math.sqrt(work / MAX_CELLS))
        raise BeatwiseError(
            f"{what} ({distance_m:,.0f} m = {r:,} cells of {cell_m:g} m) needs a convolution of "
            f"{work:,} cells, more than the {MAX_CELLS:,} allowed. Use a band of at most "
            f"{r_max * cell_m:,.0f} m ({option}) or cells of at least {cell_hint:g} m.")


# ---------------------------------------------------------------------------------------------- study area
@dataclass(frozen=True, eq=False)
class StudyArea:
    """The cells of ``grid`` that make the study area, and how they were chosen.

    Attributes
    ----------
    grid : GridSpec
    mask : bool ndarray (ny, nx), read-only
        True for the cells in the study area.
    kind : str
        :data:`BOUNDARY` or :data:`REACH`.
    description : str
        For people: ``"boundary districts.geojson"`` or ``"cells within reach of the incidents
        (no incident-free circle of 422 m radius covers them)"``.
    source : str or None
        The boundary file (boundary only).
    reach_m : float or None
        The radius of the closing (reach only).
    geometry, points
        The boundary polygons, or the incidents' coordinates, to lay the same area on another grid
        (:meth:`on`).
    """

    grid: GridSpec
    mask: np.ndarray = field(repr=False)
    kind: str
    description: str
    source: Optional[str] = None
    reach_m: Optional[float] = None
    geometry: object = field(default=None, repr=False)
    points: Optional[np.ndarray] = field(default=None, repr=False)

    @property
    def n_cells(self) -> int:
        """Cells in the study area."""
        return int(self.mask.sum())

    @property
    def area_km2(self) -> float:
        """Area of its cells in km^2 (the A of the PAI)."""
        return self.n_cells * self.grid.cell_area_km2

    def on(self, grid: GridSpec) -> "StudyArea":
        """The same study area laid on another grid (e.g. the Gi* counting grid of a density grid)."""
        if grid == self.grid:
            return self
        if self.kind == BOUNDARY:
            return boundary_study_area(self.geometry, grid, source=self.source)
        return reach_study_area(self.points, grid, self.reach_m)

    def incidents_inside(self, xy: np.ndarray) -> int:
        """How many of the points ``xy`` (grid CRS) lie in a cell of the study area."""
        rows, cols = self.grid.cell_index(xy)
        on_grid = rows >= 0
        return int(self.mask[rows[on_grid], cols[on_grid]].sum())

    def summary(self) -> dict:
        """``{kind, description, source, reach_m, n_cells, cell_m, area_km2}`` for JSON."""
        return {"kind": self.kind, "description": self.description, "source": self.source,
                "reach_m": self.reach_m, "n_cells": self.n_cells, "cell_m": self.grid.cell_m,
                "area_km2": self.area_km2}


def _frozen(mask: np.ndarray) -> np.ndarray:
    mask = np.ascontiguousarray(mask, dtype=bool)
    mask.flags.writeable = False
    return mask


def boundary_study_area(geometry, grid: GridSpec, *, source: Optional[str] = None) -> StudyArea:
    """The cells of ``grid`` whose centre lies inside ``geometry`` (polygons in the grid's CRS).

    Raises
    ------
    BeatwiseError
        If no cell centre lies inside (the boundary is elsewhere, or smaller than a cell).
    """
    import shapely
    from rasterio.features import rasterize

    label = f"boundary {os.path.basename(source)}" if source else "boundary"
    if geometry is None or shapely.is_empty(geometry):
        raise BeatwiseError(f"The study area ({label}) is empty: it has no polygon.")
    # GDAL burns the cells whose centre is inside (all_touched=False); rows north-up, flipped back
    burnt = rasterize([(geometry, 1)], out_shape=grid.shape, transform=grid.transform, fill=0,
                      all_touched=False, dtype="uint8")[::-1]
    mask = _frozen(burnt > 0)
    if not mask.any():
        raise BeatwiseError(f"The study area ({label}) covers no cell centre of the {grid.cell_m:g} m grid: it "
                            "lies outside the incidents' extent or is smaller than one cell.")
    return StudyArea(grid=grid, mask=mask, kind=BOUNDARY, description=label, source=source, geometry=geometry)


def _lattice_factor(grid: GridSpec, reach_m: float) -> int:
    """Odd refinement f with lattice step ``cell / f`` at most a fifth of a cell and a tenth of the
    reach, within the lattice budget. Odd, so that the lattice has a node at every cell centre.
    """
    f = max(REACH_LATTICE_PER_CELL, int(math.ceil(10 * grid.cell_m / reach_m - 1e-9)))
    f += 1 - f % 2
    # the lattice is padded by the reach on every side: count the padding in the budget (a few
    # incidents far apart have a reach of kilometres on a grid of small cells)
    pad_cells = 2 * reach_m / grid.cell_m
    padded = (grid.ny + pad_cells) * (grid.nx + pad_cells)
    while f > 1 and f * f * padded > REACH_LATTICE_MAX_CELLS:
        f -= 2
    return f


def default_reach_m(points, band_m: float) -> float:
    """The radius of the study area within reach of the incidents: the larger of ``band_m`` and the
    distance within which 90 % of the distinct incident locations have 7 others.

    Parameters
    ----------
    points : GeoDataFrame or (n, 2) array
        Incidents (metres).
    band_m : float
        The smallest reach: callers pass the default Gi* band (the kernel bandwidth, at least two
        Gi* cells, :func:`analysis.hotspots.gistar.default_gi_distance_m`), the scale at which the
        analysis compares cells; at least two cells keeps the closing from shrinking to the
        occupied cells.

    Returns
    -------
    float
        Metres.

    Notes
    -----
    Where incident locations are as dense as that 90th percentile or denser, a circle of this
    radius holds about 7 of them (``lambda pi D^2 ~ 7`` for locations of intensity lambda), so it is
    empty by chance with probability about ``e^-7 ~ 0.1 %``: the closing fills the gaps between
    incidents, sparse background included (100 scattered incidents over 16 km^2 around two
    clusters give about 610 m), and leaves out only what is emptier than the data's sparsest
    tenth - the sea, a large park, the margin beyond the outermost incidents. Distinct locations,
    so that hundreds of incidents on one data.police.uk snap point count as one place. Over
    :data:`REACH_SAMPLE` places, the quantile is taken over a fixed random sample of them (its
    error is about 0.5 % of the distance), which keeps a million incidents to a second. With the
    ArcGIS bandwidth on points spread evenly, the band decides (50,000 points over 10 x 10 km:
    7 neighbours within 82 m, band 250-422 m).
    """
    from scipy.spatial import cKDTree

    xy, _ = points_xy(points)
    places = distinct_places(xy)
    band_m = float(band_m)
    if len(places) < 2:
        return band_m
    k = min(REACH_NEIGHBOURS, len(places) - 1)
    if _band_decides(places, band_m, k):
        return band_m
    query = places
    if len(places) > REACH_SAMPLE:  # the quantile from a fixed random sample of the places
        query = places[np.random.default_rng(0).choice(len(places), REACH_SAMPLE, replace=False)]
    d, _ = cKDTree(places).query(query, k=k + 1, workers=-1)
    return max(band_m, float(np.quantile(d[:, k], REACH_QUANTILE)))


def _band_decides(places: np.ndarray, band_m: float, k: int) -> bool:
    """True when, surely, the k-th neighbour of at least the quantile's share of the places lies
    within ``band_m`` (so the reach is the band, and no neighbour search is needed).

    Places that share a square of side ``band_m / sqrt 2`` with at least ``k`` others have their
    k-th neighbour within ``band_m`` (the square's diagonal): a sufficient test, in one pass.
    """
    if band_m <= 0 or len(places) <= k:
        return False
    side = band_m / np.sqrt(2.0)
    cells = np.floor((places - places.min(axis=0)) / side).astype(np.int64)
    key = cells[:, 0] * (int(cells[:, 1].max()) + 1) + cells[:, 1]
    inverse, _, counts = group_keys(key)
    return float(np.mean(counts[inverse] >= k + 1)) >= REACH_QUANTILE


def distinct_places(xy: np.ndarray) -> np.ndarray:
    """The distinct positions of ``xy`` (n, 2), by hashing, not sorting rows (a million in ms)."""
    import pandas as pd

    if len(xy) == 0:
        return xy.reshape(0, 2)
    cx, ux = pd.factorize(xy[:, 0])
    cy, uy = pd.factorize(xy[:, 1])
    first = group_keys(cx.astype(np.int64) * len(uy) + cy).first
    return xy[np.sort(first)]


def reach_study_area(points, grid: GridSpec, reach_m: float, *,
                     progress: Optional[ProgressFn] = None) -> StudyArea:
    """The cells within reach of the incidents: no incident-free circle of radius ``reach_m`` covers
    their centre (the closing of the incidents by a disc of radius ``reach_m``).

    Parameters
    ----------
    points : GeoDataFrame or (n, 2) array
        Incidents in the grid's CRS (metres).
    grid : GridSpec
    reach_m : float
        The radius of the closing; :func:`default_reach_m` chooses it from the data (and why).
    progress : ProgressFn, optional

    Returns
    -------
    StudyArea
        Of kind :data:`REACH`.

    Notes
    -----
    On a lattice ``f`` times finer than the grid (step at most a fifth of a cell), padded
    by ``reach_m``: (1) *dilation*, the lattice nodes within ``reach_m`` of an incident (a band
    convolution of the occupied lattice cells decides all nodes but a ring of width one lattice
    diagonal, where a k-d tree gives the exact distance); (2) *erosion*, the nodes whose whole
    ``reach_m`` lattice disc is dilated. A grid cell is in the study area when the node at its
    centre is, or when it holds incidents and no cell of the area is within ``reach_m`` of it (a
    lone incident, a cluster smaller than a cell, or every incident on one spot keeps its cell).
    On uniform points the edge then follows the outermost incidents to about a fifth of a cell,
    so edge cells are at least about half covered by the data.
    """
    from scipy.spatial import cKDTree

    xy, _ = points_xy(points, crs=grid.crs)
    if len(xy) == 0:
        raise BeatwiseError("No incidents: the study area within reach of the incidents is empty. "
                            "Widen the filters.")
    reach_m = float(reach_m)
    check_band(grid.shape, grid.cell_m, reach_m, what="The study area's reach", option="--gi-distance-m")
    report(progress, 0.0, "Study area: cells within reach of the incidents")
    f = _lattice_factor(grid, reach_m)
    step = grid.cell_m / f
    pad = int(math.floor(reach_m / step + 1e-9)) + 1
    shape = (grid.ny * f + 2 * pad, grid.nx * f + 2 * pad)
    x0, y0 = grid.x0 - pad * step, grid.y0 - pad * step
    col = np.floor((xy[:, 0] - x0) / step)
    row = np.floor((xy[:, 1] - y0) / step)
    on = (col >= 0) & (col < shape[1]) & (row >= 0) & (row < shape[0])
    # 0/1 lattices convolved with 0/1 discs and compared with 0.5, a band of rows at a time: single
    # precision is exact enough (round-off under 1e-3 on sums of thousands) and bool grids in and out
    # keep a county's lattice to a few bytes a node
    occupied = np.zeros(shape, dtype=bool)
    occupied[row[on].astype(np.int64), col[on].astype(np.int64)] = True
    half_diagonal = step * math.sqrt(0.5)
    surely = (disc_dilation(occupied, band_stencil(step, reach_m - half_diagonal))
              if reach_m > half_diagonal else np.zeros(shape, dtype=bool))
    maybe = disc_dilation(occupied, band_stencil(step, reach_m + half_diagonal))
    maybe &= ~surely
    del occupied
    report(progress, 0.5, "Study area: exact distances at its edge")
    rr, cc = np.nonzero(maybe)
    nodes = np.column_stack([x0 + (cc + 0.5) * step, y0 + (rr + 0.5) * step])
    d, _ = cKDTree(xy).query(nodes, distance_upper_bound=reach_m * (1 + 1e-9), workers=-1)
    dilated = surely
    dilated[rr[np.isfinite(d)], cc[np.isfinite(d)]] = True
    disc = band_stencil(step, reach_m)
    eroded = ~disc_dilation(~dilated, disc)
    centre = f // 2
    mask = eroded[pad + centre:pad + grid.ny * f:f, pad + centre:pad + grid.nx * f:f].copy()
    del eroded, dilated
    # a cell holding incidents with no cell of the area within reach (a lone incident, a cluster
    # smaller than a cell, every incident on one spot) is in the area: no incident is left alone
    held = grid.occupied(xy)
    near = disc_dilation(mask, band_stencil(grid.cell_m, reach_m))
    mask |= held & ~near
    mask = _frozen(mask)
    report(progress, 1.0, "Study area ready")
    return StudyArea(grid=grid, mask=mask, kind=REACH, reach_m=reach_m, points=xy,
                     description=(f"cells within reach of the incidents (no incident-free circle of "
                                  f"{reach_m:.0f} m radius covers them)"))


def read_study_area(path, crs):
    """The polygons of a boundary layer (GeoJSON, GeoPackage, Shapefile), dissolved, in ``crs``.

    Returns
    -------
    shapely geometry
        The union of the layer's polygons, reprojected to ``crs``.

    Raises
    ------
    BeatwiseError
        Missing or unreadable file, no CRS, no polygon, or polygons of zero area.
    """
    import shapely

    from analysis.ingest.layers import read_layer

    path = os.fspath(path)
    layer = read_layer(path, crs, what="study area")
    polygons = layer.geometry[layer.geometry.geom_type.isin(_POLYGON_TYPES).to_numpy()]
    if len(polygons) == 0:
        found = ", ".join(sorted(set(layer.geometry.geom_type.dropna().astype(str)))) or "no geometry"
        raise BeatwiseError(f"{path}: the study area has no polygons (found {found}): give a boundary "
                            "layer such as a district, ward or beat polygon")
    geometry = shapely.union_all(shapely.make_valid(polygons.to_numpy()))
    if shapely.is_empty(geometry) or not shapely.area(geometry) > 0:
        raise BeatwiseError(f"{path}: the study area's polygons have no area")
    return geometry


def study_area_for(points, grid: GridSpec, *, band_m: float, boundary_path=None,
                   progress: Optional[ProgressFn] = None) -> StudyArea:
    """The study area of an analysis, as every caller (``beatwise hotspots``/``brief``, the app) makes it:
    the polygons of ``boundary_path`` if given (:func:`read_study_area`), else the cells within reach
    of the incidents, ``reach_m = default_reach_m(points, band_m)``.

    Parameters
    ----------
    points : GeoDataFrame or (n, 2) array
        The incidents, in the grid's CRS.
    grid : GridSpec
        Usually the density grid; :meth:`StudyArea.on` lays it on the Gi* grid.
    band_m : float
        The default Gi* band (:func:`analysis.hotspots.gistar.default_gi_distance_m`).
    boundary_path : path, optional
        A polygon layer (GeoJSON, GeoPackage, Shapefile), reprojected to the grid's CRS.

    Raises
    ------
    BeatwiseError
        An unreadable boundary, an empty study area, or one with no incident in it.
    """
    xy, _ = points_xy(points, crs=grid.crs)
    if boundary_path is None:
        return reach_study_area(xy, grid, default_reach_m(xy, band_m), progress=progress)
    source = os.fspath(boundary_path)
    area = boundary_study_area(read_study_area(source, grid.crs), grid, source=source)
    if area.incidents_inside(xy) == 0:
        raise BeatwiseError(f"No incidents in the study area ({area.description}): the boundary and the incidents "
                            "do not overlap. Check the boundary file and the filters.")
    return area
