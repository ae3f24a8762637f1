"""One raster frame shared by every gridded layer (density, counts, Gi*, patrol presence).

A :class:`GridSpec` is a regular, axis-aligned grid of square cells in a projected CRS (metres).
Every array laid on it is shaped ``(ny, nx)`` and indexed ``[row, col]``:

* row ``i`` covers ``y0 + i*cell_m <= y < y0 + (i+1)*cell_m`` (row 0 is the **southern** edge);
* column ``j`` covers ``x0 + j*cell_m <= x < x0 + (j+1)*cell_m``.

Cells are half-open, so each point belongs to at most one cell. Writers of north-up images
(GeoTIFF, PNG) must flip the rows (``values[::-1]``) and use :attr:`GridSpec.transform`.

Two layers made on the same ``GridSpec`` (or on :meth:`GridSpec.with_cell_m` grids sharing its
origin) line up cell by cell, which is what lets the app compare density with patrol presence.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from analysis.progress import BeatwiseError

#: Largest grid (cells) any analysis will allocate: about 200 MB per float64 layer.
MAX_CELLS = 25_000_000

#: Automatic cell size: the shorter side of the grid extent divided by this many cells.
AUTO_CELLS_ON_SHORT_SIDE = 250

_READABLE_STEPS = (1.0, 2.0, 2.5, 5.0)


def readable_number(value: float, *, direction: str = "nearest") -> float:
    """Round a positive number to 1, 2, 2.5 or 5 times a power of ten.

    Parameters
    ----------
    value : float
        A positive, finite number.
    direction : {"nearest", "up", "down"}
        ``nearest`` picks the closest readable value on a log scale; ``up`` the smallest readable
        value ``>= value``; ``down`` the largest ``<= value``.

    Returns
    -------
    float
        E.g. 23.7 -> 25, 17 -> 20 (nearest), 1.3 -> 2 (up).
    """
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"readable_number needs a positive finite number, got {value!r}")
    exponent = math.floor(math.log10(value))
    candidates = [s * 10.0 ** e for e in (exponent - 1, exponent, exponent + 1) for s in _READABLE_STEPS]
    candidates.sort()
    if direction == "up":
        for c in candidates:
            if c >= value * (1 - 1e-12):
                return float(round(c, 12))
        return float(candidates[-1])  # pragma: no cover - the candidate list always reaches 10**(e+1)
    if direction == "down":
        for c in reversed(candidates):
            if c <= value * (1 + 1e-12):
                return float(round(c, 12))
        return float(candidates[0])  # pragma: no cover
    if direction != "nearest":
        raise ValueError(f"direction must be 'nearest' or 'up', got {direction!r}")
    best = min(candidates, key=lambda c: abs(math.log(c / value)))
    return float(round(best, 12))


def auto_cell_m(width_m: float, height_m: float) -> float:
    """The automatic cell size: shorter side of the extent / 250, rounded to a readable number.

    Parameters
    ----------
    width_m, height_m : float
        Extent of the area to grid, in metres. If the shorter side is zero (points on a line), the
        longer side is used.

    Returns
    -------
    float
        Cell size in metres (1, 2, 2.5 or 5 times a power of ten).

    Raises
    ------
    BeatwiseError
        If both sides are zero: there is nothing to size a grid from.
    """
    sides = [s for s in (float(width_m), float(height_m)) if s > 0 and math.isfinite(s)]
    if not sides:
        raise BeatwiseError(
            "Cannot choose a cell size automatically: all incidents are at one location and no "
            "margin was given. Give a cell size (--cell-m) or a bandwidth."
        )
    return readable_number(min(sides) / AUTO_CELLS_ON_SHORT_SIDE)


#: The automatic cell is at most this fraction of the narrowest kernel used.
CELL_PER_BANDWIDTH = 0.2


def cell_for_bandwidths(smallest_bandwidth_m: float, width_m: float, height_m: float,
                        max_cells: int = MAX_CELLS) -> float:
    """The automatic cell size for a density surface: follows the detail the kernels can show.

    The smaller of :func:`auto_cell_m` (the extent / 250) and a fifth of the narrowest kernel
    used (``smallest_bandwidth_m``: the fixed bandwidth, or an adaptive surface's smallest
    bandwidth class), rounded down to a readable number; but never so small that the grid
    exceeds ``max_cells`` (:func:`suggest_cell_m`).

    Parameters
    ----------
    smallest_bandwidth_m : float
        Metres.
    width_m, height_m : float
        The extent to grid, margins included.
    """
    cell = auto_cell_m(width_m, height_m)
    h = float(smallest_bandwidth_m)
    if h > 0 and math.isfinite(h):
        cell = min(cell, readable_number(CELL_PER_BANDWIDTH * h, direction="down"))
    return max(cell, suggest_cell_m(width_m, height_m, max_cells))


def _crs_text(crs) -> Optional[str]:
    """Normalise a CRS given as pyproj.CRS, EPSG int, 'EPSG:27700' or WKT to one hashable string."""
    if crs is None:
        return None
    if isinstance(crs, str):
        return crs
    if isinstance(crs, (int, np.integer)):
        return f"EPSG:{int(crs)}"
    to_string = getattr(crs, "to_string", None)
    if to_string is not None:
        return to_string()
    return str(crs)


def crs_is_geographic(crs) -> bool:
    """True when ``crs`` is a geographic (degrees) CRS; False when projected or unknown (None)."""
    if crs is None:
        return False
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).is_geographic)


@dataclass(frozen=True)
class GridSpec:
    """A regular grid of square cells in a projected CRS; see the module docstring for the layout.

    Parameters
    ----------
    x0, y0 : float
        South-west (lower-left) corner of cell ``[0, 0]`` in metres.
    cell_m : float
        Cell side in metres.
    nx, ny : int
        Number of columns (x) and rows (y). Arrays are shaped ``(ny, nx)``.
    crs : str or None
        The CRS as a string (e.g. ``"EPSG:27700"``); any pyproj input is normalised to a string.
    """

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    crs: Optional[str] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "x0", float(self.x0))
        object.__setattr__(self, "y0", float(self.y0))
        object.__setattr__(self, "cell_m", float(self.cell_m))
        object.__setattr__(self, "nx", int(self.nx))
        object.__setattr__(self, "ny", int(self.ny))
        object.__setattr__(self, "crs", _crs_text(self.crs))
        if not (self.cell_m > 0 and math.isfinite(self.cell_m)):
            raise BeatwiseError(f"The cell size must be a positive number of metres, got {self.cell_m!r}.")
        if not (math.isfinite(self.x0) and math.isfinite(self.y0)):
            raise BeatwiseError("The grid origin must be finite coordinates.")
        if self.nx < 1 or self.ny < 1:
            raise BeatwiseError(f"A grid needs at least one row and one column, got {self.ny} x {self.nx}.")
        check_grid_size(self.nx, self.ny, self.cell_m)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_bounds(cls, xmin: float, ymin: float, xmax: float, ymax: float, cell_m: Optional[float] = None,
                    *, crs=None, snap: bool = True) -> "GridSpec":
        """A grid covering the rectangle ``[xmin, xmax] x [ymin, ymax]`` (metres).

        Parameters
        ----------
        xmin, ymin, xmax, ymax : float
            Rectangle to cover.
        cell_m : float, optional
            Cell size; the automatic rule (:func:`auto_cell_m`) when None.
        crs : optional
            CRS of the coordinates (projected, metres).
        snap : bool
            Snap the origin down to a multiple of ``cell_m`` so grids of the same cell size made from
            different data line up.

        Raises
        ------
        BeatwiseError
            Above :data:`MAX_CELLS` cells, with a suggested cell size.
        """
        if cell_m is None:
            cell_m = auto_cell_m(xmax - xmin, ymax - ymin)
        cell_m = float(cell_m)
        if not (cell_m > 0 and math.isfinite(cell_m)):
            raise BeatwiseError(f"The cell size must be a positive number of metres, got {cell_m!r}.")
        if snap:
            x0 = math.floor(xmin / cell_m) * cell_m
            y0 = math.floor(ymin / cell_m) * cell_m
        else:
            x0, y0 = float(xmin), float(ymin)
        # at least one cell; a point exactly on the max edge needs one more cell (half-open cells)
        nx = max(1, int(math.floor((xmax - x0) / cell_m)) + 1)
        ny = max(1, int(math.floor((ymax - y0) / cell_m)) + 1)
        check_grid_size(nx, ny, cell_m, width_m=xmax - xmin, height_m=ymax - ymin)
        return cls(x0, y0, cell_m, nx, ny, crs)

    @classmethod
    def for_points(cls, xy, cell_m: Optional[float] = None, margin_m: float = 0.0, *, crs=None) -> "GridSpec":
        """A grid covering points plus a margin (use the KDE bandwidth, so the surface is not cut off).

        Parameters
        ----------
        xy : (n, 2) array-like or GeoDataFrame of points
            Coordinates in metres. A GeoDataFrame supplies its own CRS (must be projected).
        cell_m : float, optional
            Cell size in metres. When None: the shorter side of the extent **including the margins**
            divided by 250, rounded to 1, 2, 2.5 or 5 times a power of ten.
        margin_m : float
            Added on every side of the points' bounding box.
        crs : optional
            CRS when ``xy`` is a plain array.

        Raises
        ------
        BeatwiseError
            No points, non-finite coordinates, a geographic CRS, or more than :data:`MAX_CELLS` cells
            (the message suggests a cell size that fits).
        """
        pts, crs = points_xy(xy, crs=crs)
        if len(pts) == 0:
            raise BeatwiseError("No incidents to grid: the data (after filters) is empty. Widen the filters.")
        margin_m = float(margin_m)
        if not (margin_m >= 0 and math.isfinite(margin_m)):
            raise BeatwiseError(f"The grid margin must be zero or a positive number of metres, got {margin_m!r}.")
        xmin, ymin = pts.min(axis=0) - margin_m
        xmax, ymax = pts.max(axis=0) + margin_m
        return cls.from_bounds(xmin, ymin, xmax, ymax, cell_m, crs=crs)

    def with_cell_m(self, cell_m: float) -> "GridSpec":
        """A grid with the same origin and CRS and another cell size, covering at least this extent.

        Used for coarser analysis grids (Gi* counts) that must line up with the density grid.
        """
        cell_m = float(cell_m)
        if not (cell_m > 0 and math.isfinite(cell_m)):
            raise BeatwiseError(f"The cell size must be a positive number of metres, got {cell_m!r}.")
        nx = max(1, int(math.ceil(self.width_m / cell_m - 1e-9)))
        ny = max(1, int(math.ceil(self.height_m / cell_m - 1e-9)))
        check_grid_size(nx, ny, cell_m, width_m=self.width_m, height_m=self.height_m)
        return GridSpec(self.x0, self.y0, cell_m, nx, ny, self.crs)

    # ------------------------------------------------------------------ geometry
    @property
    def shape(self) -> tuple[int, int]:
        """Array shape ``(ny, nx)``."""
        return (self.ny, self.nx)

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @property
    def width_m(self) -> float:
        return self.nx * self.cell_m

    @property
    def height_m(self) -> float:
        return self.ny * self.cell_m

    @property
    def x1(self) -> float:
        """Eastern edge."""
        return self.x0 + self.width_m

    @property
    def y1(self) -> float:
        """Northern edge."""
        return self.y0 + self.height_m

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the whole grid."""
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def cell_area_m2(self) -> float:
        return self.cell_m * self.cell_m

    @property
    def cell_area_km2(self) -> float:
        return self.cell_m * self.cell_m / 1e6

    @property
    def transform(self):
        """North-up affine geotransform (``affine.Affine``) for ``values[::-1]`` (row 0 = north).

        This is the transform GeoTIFF writers and ``rasterio.features`` expect; remember to flip.
        """
        from affine import Affine

        return Affine(self.cell_m, 0.0, self.x0, 0.0, -self.cell_m, self.y1)

    def x_centres(self) -> np.ndarray:
        """x of each column's centre, shape ``(nx,)``."""
        return self.x0 + (np.arange(self.nx) + 0.5) * self.cell_m

    def y_centres(self) -> np.ndarray:
        """y of each row's centre, shape ``(ny,)`` (south to north)."""
        return self.y0 + (np.arange(self.ny) + 0.5) * self.cell_m

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X, Y)`` arrays of cell-centre coordinates, each shaped ``(ny, nx)``."""
        return np.meshgrid(self.x_centres(), self.y_centres())

    def cell_bounds(self, row: int, col: int) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of cell ``[row, col]``."""
        xmin = self.x0 + col * self.cell_m
        ymin = self.y0 + row * self.cell_m
        return (xmin, ymin, xmin + self.cell_m, ymin + self.cell_m)

    def cell_index(self, xy) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cell holding each point.

        Parameters
        ----------
        xy : (n, 2) array-like or GeoDataFrame
            Points in the grid's CRS.

        Returns
        -------
        rows, cols : int64 arrays of shape (n,)
            ``-1`` in both for points outside the grid (cells are half-open: a point on the eastern
            or northern edge of the grid is outside).
        """
        pts, _ = points_xy(xy, crs=self.crs, check_crs=False)
        fx = np.floor((pts[:, 0] - self.x0) / self.cell_m)
        fy = np.floor((pts[:, 1] - self.y0) / self.cell_m)
        inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)
        cols = np.where(inside, fx, -1).astype(np.int64)
        rows = np.where(inside, fy, -1).astype(np.int64)
        return rows, cols

    def flat_index(self, xy) -> np.ndarray:
        """``row * nx + col`` for each point, ``-1`` outside the grid (see :meth:`cell_index`)."""
        rows, cols = self.cell_index(xy)
        return np.where(rows >= 0, rows * self.nx + cols, -1)

    def counts(self, xy, weights=None) -> np.ndarray:
        """Number (or summed ``weights``) of points per cell, float64 ``(ny, nx)``; outside points dropped."""
        flat = self.flat_index(xy)
        keep = flat >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(flat[keep], weights=w, minlength=self.n_cells).astype(float).reshape(self.shape)

    def occupied(self, xy) -> np.ndarray:
        """Cells holding at least one point, bool ``(ny, nx)`` (``counts(xy) > 0`` without the two
        8-byte grids a county's counts take)."""
        flat = self.flat_index(xy)
        mask = np.zeros(self.n_cells, dtype=bool)
        mask[flat[flat >= 0]] = True
        return mask.reshape(self.shape)

    def describe(self) -> dict:
        """Plain dict for JSON summaries: ``{nx, ny, x0, y0, cell_m, crs}``."""
        return {"nx": self.nx, "ny": self.ny, "x0": self.x0, "y0": self.y0, "cell_m": self.cell_m, "crs": self.crs}


def suggest_cell_m(width_m: float, height_m: float, max_cells: int = MAX_CELLS) -> float:
    """The smallest readable cell size (1, 2, 2.5, 5 x 10^k m) giving at most ``max_cells`` cells."""
    width_m, height_m = max(float(width_m), 0.0), max(float(height_m), 0.0)
    cell = readable_number(max(math.sqrt(max(width_m * height_m, 1e-12) / max_cells), 1e-3), direction="up")
    for _ in range(200):
        if (math.floor(width_m / cell) + 2) * (math.floor(height_m / cell) + 2) <= max_cells:
            return cell
        cell = readable_number(cell * 1.0001, direction="up")
    return cell  # pragma: no cover


def check_grid_size(nx: int, ny: int, cell_m: float, *, width_m: Optional[float] = None,
                    height_m: Optional[float] = None) -> None:
    """Raise a :class:`BeatwiseError` with a suggested cell size when ``nx * ny > MAX_CELLS``."""
    if nx * ny <= MAX_CELLS:
        return
    width_m = nx * cell_m if width_m is None else width_m
    height_m = ny * cell_m if height_m is None else height_m
    suggestion = suggest_cell_m(width_m, height_m)
    raise BeatwiseError(
        f"The grid would have {nx:,} x {ny:,} = {nx * ny:,} cells of {cell_m:g} m, more than the "
        f"{MAX_CELLS:,} allowed (extent {width_m / 1000:.1f} km x {height_m / 1000:.1f} km). "
        f"Use a cell size of at least {suggestion:g} m (--cell-m {suggestion:g}), or filter the data "
        f"to a smaller area."
    )


def points_xy(points, *, crs=None, check_crs: bool = True) -> tuple[np.ndarray, Optional[str]]:
    """Coordinates ``(n, 2)`` float64 and CRS string from a GeoDataFrame/GeoSeries, an incidents
    table without geometry (a DataFrame with ``x``, ``y`` and ``attrs["crs"]``, as
    ``read_incidents(geometry=False)`` gives) or an array.

    Raises
    ------
    BeatwiseError
        Geographic (degree) CRS, non-point geometries, missing or non-finite coordinates.
    """
    geometry = getattr(points, "geometry", None)
    if geometry is None and hasattr(points, "columns") and {"x", "y"} <= set(points.columns):
        table_crs = points.attrs.get("crs") or crs
        pts = np.column_stack([points["x"].to_numpy(dtype=float), points["y"].to_numpy(dtype=float)])
        return points_xy(pts, crs=table_crs, check_crs=check_crs)
    if geometry is not None and hasattr(points, "crs"):
        gcrs = points.crs
        if check_crs and crs_is_geographic(gcrs):
            raise BeatwiseError(
                f"The incidents are in a geographic CRS ({_crs_text(gcrs)}, degrees). Distances and "
                "cell sizes are in metres: project them first (the importer does this; for GB use "
                "EPSG:27700)."
            )
        if len(geometry) == 0:
            return np.empty((0, 2)), _crs_text(gcrs) or _crs_text(crs)
        import shapely

        geoms = np.asarray(geometry.values)
        type_ids = shapely.get_type_id(geoms)
        if not np.all(type_ids == 0):  # 0 = Point; -1 = missing
            bad = int(np.flatnonzero(type_ids != 0)[0])
            kind = "a missing geometry" if type_ids[bad] == -1 else f"a {geoms[bad].geom_type}"
            raise BeatwiseError(f"Expected point incidents; row {bad} (0-based) has {kind}.")
        pts = shapely.get_coordinates(geoms)
        if len(pts) != len(geoms):  # empty points have no coordinates
            raise BeatwiseError("Some incidents have an empty point geometry; drop them first.")
        out_crs = _crs_text(gcrs) if gcrs is not None else _crs_text(crs)
    else:
        pts = np.asarray(points, dtype=float)
        if pts.ndim != 2 or (pts.size and pts.shape[1] != 2):
            raise BeatwiseError(f"Expected an (n, 2) array of x, y coordinates in metres, got shape {pts.shape}.")
        pts = pts.reshape(-1, 2)
        out_crs = _crs_text(crs)
        if check_crs and crs_is_geographic(crs):
            raise BeatwiseError(
                f"The coordinates are in a geographic CRS ({out_crs}, degrees). Project them to metres first."
            )
    if not np.all(np.isfinite(pts)):
        bad = int(np.flatnonzero(~np.isfinite(pts).all(axis=1))[0])
        raise BeatwiseError(f"Incident {bad} (0-based) has a missing or non-finite coordinate; drop or fix it.")
    if check_crs and out_crs is None and looks_like_degrees(pts):
        raise BeatwiseError(
            "The coordinates look like longitude/latitude in degrees (all within +-180/+-90 and spanning "
            "under 2 units) but no CRS was given. Project them to metres (e.g. EPSG:27700) first."
        )
    return pts, out_crs


def looks_like_degrees(pts: np.ndarray) -> bool:
    """Heuristic for coordinates without a CRS: two or more distinct points, all within lon/lat range,
    spanning more than 0 and at most 2 units (a metre grid that small is not a policing area)."""
    if len(pts) < 2:
        return False
    span = pts.max(axis=0) - pts.min(axis=0)
    return bool(
        np.all(np.abs(pts[:, 0]) <= 180) and np.all(np.abs(pts[:, 1]) <= 90)
        and span.max() > 0 and span.max() <= 2.0
    )
