"""GeoTIFF export of gridded layers (density surfaces, Gi* z-scores, any array on a GridSpec).

Arrays in Beatwise have row 0 at the south (see :mod:`analysis.hotspots.grid`); GeoTIFFs are north-up, so
rows are flipped on write and the geotransform is ``GridSpec.transform``. Files are written to a
temporary name next to the target and renamed, so a failure or cancel leaves no partial file.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

import numpy as np

from analysis.atomic import atomic_write
from analysis.export.raster_style import density_qml, write_qml
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import DensitySurface
from analysis.progress import BeatwiseError

DEFAULT_NODATA = -9999.0


def write_grid_geotiff(values: np.ndarray, grid: GridSpec, path: Union[str, os.PathLike], *,
                       nodata: Optional[float] = DEFAULT_NODATA, dtype: str = "float32",
                       description: str = "", units: str = "", tags: Optional[dict] = None,
                       qml: Optional[str] = None) -> Path:
    """Write a ``(ny, nx)`` array on ``grid`` as a single-band, deflate-compressed GeoTIFF.

    Parameters
    ----------
    values : ndarray (ny, nx)
        Row 0 = south (Beatwise convention); NaN cells are written as ``nodata``.
    grid : GridSpec
        Supplies CRS and geotransform.
    path : path-like
    nodata : float or None
        Declared nodata value (default -9999).
    dtype : str
        GDAL/numpy data type, default float32.
    description, units : str
        Band description and unit string.
    tags : dict, optional
        Extra dataset metadata tags (e.g. kernel and bandwidth).
    qml : str, optional
        A QGIS style written beside the file as ``NAME.qml`` (:mod:`analysis.export.raster_style`);
        QGIS loads it with the raster.

    Returns
    -------
    Path of the written file.
    """
    import rasterio

    values = np.asarray(values)
    if values.shape != grid.shape:
        raise BeatwiseError(f"Array shape {values.shape} does not match the grid {grid.shape}.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.ascontiguousarray(values[::-1]).astype(dtype)
    if nodata is not None and np.issubdtype(data.dtype, np.floating):
        data[~np.isfinite(data)] = nodata
    profile = {
        "driver": "GTiff", "width": grid.nx, "height": grid.ny, "count": 1, "dtype": dtype,
        "crs": grid.crs, "transform": grid.transform, "nodata": nodata, "compress": "deflate",
    }
    if grid.nx >= 256 and grid.ny >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with atomic_write(path, fresh=True) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data, 1)
            if description:
                dst.set_band_description(1, description)
            if units:
                dst.update_tags(1, units=units)
            if tags:
                dst.update_tags(**{k: str(v) for k, v in tags.items()})
    if qml is not None:
        write_qml(path, qml)
    return path


def write_density_geotiff(surface: DensitySurface, path: Union[str, os.PathLike], *,
                          nodata: float = DEFAULT_NODATA) -> Path:
    """Write a :class:`DensitySurface` as a float32 GeoTIFF (CRS, north-up geotransform, nodata).

    The band holds density in ``surface.density_units`` (named in the band description); the kernel,
    bandwidth and rule are written as metadata tags so the file says how it was made, and
    ``NAME.qml`` beside it styles it in QGIS as on the maps (zero transparent).
    """
    tags = {"kernel": surface.kernel, "bandwidth_m": f"{surface.bandwidth_m:.3f}",
            "bandwidth_rule": surface.bandwidth_rule, "n_points": surface.n_points,
            "total_weight": surface.total_weight, "integral": f"{surface.integral:.6g}",
            "cell_m": surface.grid.cell_m, "units": surface.density_units}
    finite = surface.values[np.isfinite(surface.values)]
    vmax = float(finite.max()) if finite.size else 0.0
    return write_grid_geotiff(surface.values, surface.grid, path, nodata=nodata, dtype="float32",
                              description=f"density ({surface.density_units})", units=surface.density_units,
                              tags=tags, qml=density_qml(vmax, surface.density_units))
