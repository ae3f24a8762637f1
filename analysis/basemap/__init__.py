"""What lies under the map: an offline basemap from a file the force already holds.

Real data floats on an empty background unless there is something under it. Beatwise reads, with
no network:

* an OpenStreetMap extract, ``.osm.pbf`` or ``.osm`` (GDAL's OSM driver): the roads, by class and
  with their names (:mod:`analysis.basemap.osm`);
* raster tiles: an ``.mbtiles`` file, a GeoPackage with raster tiles, or an XYZ tile folder
  (``{z}/{x}/{y}.png``) (:mod:`analysis.basemap.tiles`),

cut to the map's extent and reprojected to the working CRS, as a :class:`Basemap` that the PNG/PDF
maps, the HTML map and the app draw muted under the data. :func:`load_basemap` is the entry point;
:func:`basemap_kind` says what a path is.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from analysis.progress import BeatwiseError

PathLike = Union[str, os.PathLike]

OSM = "osm"
MBTILES = "mbtiles"
GPKG_TILES = "gpkg-tiles"
XYZ = "xyz"
KINDS = (OSM, MBTILES, GPKG_TILES, XYZ)


@dataclass(frozen=True)
class Basemap:
    """A basemap cut to an extent, in the working CRS.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    source : str
        The file or folder it was read from.
    crs : str
        The working CRS of ``roads`` and ``extent``.
    extent : (x0, y0, x1, y1)
        What was asked for, in ``crs`` (metres).
    roads : GeoDataFrame or None
        OSM: lines with ``name``, ``highway`` and ``road_class`` (see :data:`analysis.basemap.osm.ROAD_CLASSES`).
    image : ndarray (rows, cols, 4) uint8 or None
        Tiles: RGBA, row 0 north, covering ``extent`` exactly (transparent where there is no tile).
    zoom : int or None
        Tiles: the zoom level read.
    attribution : str
        What the map must credit (OpenStreetMap contributors for OSM data).
    """

    kind: str
    source: str
    crs: str
    extent: tuple[float, float, float, float]
    roads: object = field(default=None, repr=False)
    image: Optional[np.ndarray] = field(default=None, repr=False)
    zoom: Optional[int] = None
    attribution: str = ""

    def describe(self) -> str:
        what = {OSM: "OpenStreetMap roads", MBTILES: "MBTiles", GPKG_TILES: "GeoPackage tiles",
                XYZ: "XYZ tile folder"}[self.kind]
        extra = f", {len(self.roads):,} road segments" if self.roads is not None else (
            f", zoom {self.zoom}" if self.zoom is not None else "")
        return f"{what} from {Path(self.source).name}{extra}"


def basemap_kind(path: PathLike) -> str:
    """What ``path`` is: :data:`OSM`, :data:`MBTILES`, :data:`GPKG_TILES` or :data:`XYZ`.

    Raises
    ------
    BeatwiseError
        Missing, or not a basemap Beatwise can read (with what it can).
    """
    p = Path(path)
    if not p.exists():
        raise BeatwiseError(f"{p}: no such basemap file or folder")
    name = p.name.lower()
    if p.is_dir():
        if any(c.name.isdigit() and c.is_dir() for c in p.iterdir()):
            return XYZ
        raise BeatwiseError(f"{p}: a folder basemap must be an XYZ tile folder ({{z}}/{{x}}/{{y}}.png)")
    if name.endswith(".osm.pbf") or name.endswith(".pbf") or name.endswith(".osm"):
        return OSM
    if name.endswith(".mbtiles"):
        return MBTILES
    if name.endswith(".gpkg"):
        import sqlite3

        try:
            con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
            try:
                kinds = {r[0] for r in con.execute("SELECT data_type FROM gpkg_contents")}
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise BeatwiseError(f"{p}: not a readable GeoPackage ({exc})") from None
        if "tiles" in kinds:
            return GPKG_TILES
        raise BeatwiseError(f"{p}: this GeoPackage has no raster tiles (vector layers: add them as a street "
                            "layer or boundaries instead)")
    raise BeatwiseError(f"{p}: not a basemap Beatwise reads. Give an OpenStreetMap extract (.osm.pbf), "
                        "an .mbtiles file, a GeoPackage of raster tiles or an XYZ tile folder")


def load_basemap(path: PathLike, crs: str, extent: tuple[float, float, float, float], *,
                 width_px: int = 2000) -> Basemap:
    """The basemap at ``path`` for the map extent ``extent`` (in ``crs``, metres).

    Parameters
    ----------
    path : path-like
        See :func:`basemap_kind`.
    crs : str
        The working CRS.
    extent : (x0, y0, x1, y1)
        The part of the map to cover.
    width_px : int
        Tiles: the width of the image made for the extent (the zoom level is chosen for it).
    """
    kind = basemap_kind(path)
    x0, y0, x1, y1 = (float(v) for v in extent)
    if not (x1 > x0 and y1 > y0):
        raise BeatwiseError(f"the basemap extent must have a positive size, got {extent}")
    if kind == OSM:
        from analysis.basemap.osm import read_osm_roads

        roads = read_osm_roads(path, crs, (x0, y0, x1, y1))
        return Basemap(OSM, str(path), crs, (x0, y0, x1, y1), roads=roads,
                       attribution="© OpenStreetMap contributors")
    from analysis.basemap.tiles import read_tiles

    image, zoom = read_tiles(path, kind, crs, (x0, y0, x1, y1), width_px=width_px)
    return Basemap(kind, str(path), crs, (x0, y0, x1, y1), image=image, zoom=zoom)
