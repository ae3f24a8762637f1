"""Raster tiles under the map: MBTiles, GeoPackage tiles, XYZ tile folders, reprojected.

MBTiles and GeoPackage tiles are read through GDAL (rasterio): a warped view of the tile set onto
the map's grid in the working CRS, from the zoom level (overview) that suits the requested
resolution. An XYZ folder (``{z}/{x}/{y}.png``, the OpenStreetMap "slippy map" scheme, Web
Mercator EPSG:3857, 256 px tiles) is mosaicked here at the zoom level nearest the requested
resolution that the folder has, then reprojected the same way. Missing tiles are transparent.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Optional, Union

import numpy as np

from analysis.progress import BeatwiseError

PathLike = Union[str, os.PathLike]

#: Half the Web Mercator world width (m) and the tile size (px).
HALF_WORLD_M = 20037508.342789244
TILE_PX = 256
#: At most this many tiles are mosaicked for one map (a coarser zoom is used beyond).
MAX_TILES = 400
TILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def _grid(extent, width_px: int) -> tuple[int, int, object]:
    from rasterio.transform import from_bounds

    x0, y0, x1, y1 = extent
    width = max(16, int(width_px))
    height = max(16, int(round(width * (y1 - y0) / (x1 - x0))))
    return width, height, from_bounds(x0, y0, x1, y1, width, height)


def zoom_for(extent, crs: str, width_px: int) -> int:
    """The XYZ zoom level whose pixels are about the map's: ``2^z = world * cos(lat) / (256 res)``."""
    from pyproj import Transformer

    x0, y0, x1, y1 = extent
    res_m = (x1 - x0) / max(1, width_px)
    _, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform((x0 + x1) / 2, (y0 + y1) / 2)
    z = math.log2(2 * HALF_WORLD_M * math.cos(math.radians(lat)) / (TILE_PX * res_m))
    return int(min(22, max(0, round(z))))


def _rgba(bands: np.ndarray, valid: Optional[np.ndarray] = None) -> np.ndarray:
    """(bands, rows, cols) -> (rows, cols, 4) uint8, alpha from a 4th band or ``valid``."""
    if bands.shape[0] == 1:
        bands = np.repeat(bands, 3, axis=0)
    rgb = np.moveaxis(bands[:3], 0, -1).astype(np.uint8)
    if bands.shape[0] >= 4:
        alpha = bands[3].astype(np.uint8)
    elif valid is not None:
        alpha = np.where(valid, 255, 0).astype(np.uint8)
    else:
        alpha = np.full(rgb.shape[:2], 255, dtype=np.uint8)
    return np.dstack([rgb, alpha])


def _read_gdal(path: PathLike, crs: str, extent, width_px: int) -> np.ndarray:
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    width, height, transform = _grid(extent, width_px)
    try:
        with rasterio.open(path) as src:
            with WarpedVRT(src, crs=crs, transform=transform, width=width, height=height,
                           resampling=Resampling.bilinear) as vrt:
                bands = vrt.read()
                valid = vrt.dataset_mask() > 0 if bands.shape[0] < 4 else None
    except rasterio.errors.RasterioError as exc:
        raise BeatwiseError(f"{path}: cannot read these tiles ({exc})") from None
    return _rgba(bands, valid)


def _lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[float, float]:
    n = 2 ** z
    lat = max(-85.05112878, min(85.05112878, lat))
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return x, y


def _zoom_levels(folder: Path) -> list[int]:
    return sorted(int(c.name) for c in folder.iterdir() if c.is_dir() and c.name.isdigit())


def _tile_file(folder: Path, z: int, x: int, y: int) -> Optional[Path]:
    for suffix in TILE_SUFFIXES:
        f = folder / str(z) / str(x) / f"{y}{suffix}"
        if f.is_file():
            return f
    return None


def _read_xyz(folder: Path, crs: str, extent, width_px: int) -> tuple[np.ndarray, int]:
    from PIL import Image
    from pyproj import Transformer
    from rasterio.enums import Resampling
    from rasterio.transform import from_origin
    from rasterio.warp import reproject

    levels = _zoom_levels(folder)
    if not levels:
        raise BeatwiseError(f"{folder}: no zoom-level folders ({{z}}/{{x}}/{{y}}.png) in this tile folder")
    x0, y0, x1, y1 = extent
    xs = np.array([x0, x1, x1, x0])
    ys = np.array([y0, y0, y1, y1])
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    want = zoom_for(extent, crs, width_px)
    z = max((lv for lv in levels if lv <= want), default=levels[0])
    while True:
        ax, ay = _lonlat_to_tile(float(lon.min()), float(lat.max()), z)
        bx, by = _lonlat_to_tile(float(lon.max()), float(lat.min()), z)
        tx0, ty0, tx1, ty1 = int(ax), int(ay), int(bx), int(by)
        if (tx1 - tx0 + 1) * (ty1 - ty0 + 1) <= MAX_TILES or z == levels[0]:
            break
        z = max((lv for lv in levels if lv < z), default=levels[0])
    mosaic = np.zeros(((ty1 - ty0 + 1) * TILE_PX, (tx1 - tx0 + 1) * TILE_PX, 4), dtype=np.uint8)
    found = 0
    for tx in range(tx0, tx1 + 1):
        for ty in range(ty0, ty1 + 1):
            f = _tile_file(folder, z, tx, ty)
            if f is None:
                continue
            try:
                with Image.open(f) as im:
                    tile = np.asarray(im.convert("RGBA").resize((TILE_PX, TILE_PX)))
            except OSError as exc:
                raise BeatwiseError(f"{f}: not a readable tile image ({exc})") from None
            r, c = (ty - ty0) * TILE_PX, (tx - tx0) * TILE_PX
            mosaic[r:r + TILE_PX, c:c + TILE_PX] = tile
            found += 1
    if not found:
        raise BeatwiseError(f"{folder}: no tile at zoom {z} covers the map's extent "
                            f"(tiles x {tx0}-{tx1}, y {ty0}-{ty1})")
    tile_m = 2 * HALF_WORLD_M / 2 ** z
    src_transform = from_origin(-HALF_WORLD_M + tx0 * tile_m, HALF_WORLD_M - ty0 * tile_m,
                                tile_m / TILE_PX, tile_m / TILE_PX)
    width, height, transform = _grid(extent, width_px)
    out = np.zeros((4, height, width), dtype=np.uint8)
    for b in range(4):
        reproject(np.ascontiguousarray(mosaic[..., b]), out[b], src_transform=src_transform, src_crs="EPSG:3857",
                  dst_transform=transform, dst_crs=crs, resampling=Resampling.bilinear)
    return np.moveaxis(out, 0, -1).copy(), z


def read_tiles(path: PathLike, kind: str, crs: str, extent, *, width_px: int = 2000) -> tuple[np.ndarray, Optional[int]]:
    """RGBA image (row 0 north) of the tiles at ``path`` over ``extent`` in ``crs``, and the zoom read.

    ``kind`` is :data:`analysis.basemap.MBTILES`, :data:`~analysis.basemap.GPKG_TILES` or
    :data:`~analysis.basemap.XYZ`.
    """
    from analysis.basemap import XYZ

    if kind == XYZ:
        return _read_xyz(Path(path), crs, extent, width_px)
    return _read_gdal(path, crs, extent, width_px), zoom_for(extent, crs, width_px)
