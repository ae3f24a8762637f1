"""One GDAL in the Linux bundle: pyogrio's libgdal serves rasterio too (used by beatwise.spec).

The pyogrio and rasterio wheels each bundle a libgdal (with PROJ, GEOS, SQLite, TIFF, curl...):
about 125 MB for two copies of the same library. Built against the same GDAL release
(installer/constraints.txt pins pyogrio 0.11.1 and rasterio 1.4.4, both GDAL 3.10.3), one copy
can serve both:

- pyogrio's ``libgdal-*.so`` is kept: it is self-contained (PROJ, GEOS, SQLite, TIFF, PNG, JPEG,
  deflate and zstd linked in) and has every driver Beatwise reads or writes (GTiff, GPKG, MBTiles,
  VRT, MEM, OSM, Shapefile, GeoJSON, CSV, GPX, KML, FlatGeobuf, OpenFileGDB...). rasterio's build
  lacks most vector drivers (Shapefile, GPX, KML, CSV...), so it cannot be the one.
- rasterio's extension modules ask for ``rasterio.libs/libgdal-<hash>.so.36.3.10.3`` (RPATH
  ``$ORIGIN/../rasterio.libs``): that name becomes a symbolic link to pyogrio's file, so the
  loader maps one library (same file; same SONAME afterwards). The rest of rasterio.libs (its
  libgdal's own dependencies) is left out.
- GDAL_DATA and PROJ_DATA point at pyogrio's gdal_data and proj_data for all three users
  (pyogrio, rasterio and pyproj) from the runtime hook rth_gdal.py; the wheels' other copies go.
  pyproj's PROJ (9.5) reads the newer proj.db (PROJ 9.6, database layout 1.5: PROJ accepts a newer
  minor layout).

What is lost: the raster drivers only rasterio's build had (WEBP, GIF, JP2OpenJPEG, HDF5, netCDF,
BAG, S102/S104/S111). For Beatwise that means MBTiles/GeoPackage basemaps whose tiles are WebP
(XYZ folders of .webp tiles still work: they are decoded by Pillow). See installer/README.md.

The checks here fail the build (SystemExit) rather than make a bundle that would break at run
time: both wheels must report the same GDAL release, every GDAL symbol rasterio's modules use must
be in the kept library, and no kept binary may need a dropped one.
"""
from __future__ import annotations

import os
import re
import subprocess

KEEP_DIR = "pyogrio.libs"
DROP_DIR = "rasterio.libs"
DATA_KEEP = {"gdal": "pyogrio/gdal_data", "proj": "pyogrio/proj_data"}
#: data folders the one copy replaces (rasterio's GDAL/PROJ data, pyproj's PROJ data)
DATA_DROPPED = ("rasterio/gdal_data/", "rasterio/proj_data/", "pyproj/proj_dir/")
_LIBGDAL = re.compile(r"^libgdal(-[0-9a-f]+)?\.so(\.\d+)+$")


def _posix(p: str) -> str:
    return p.replace("\\", "/")


def needed(path: str) -> list[str]:
    """The NEEDED entries of an ELF file (objdump -p; PyInstaller needs binutils anyway)."""
    out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True).stdout
    return [line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED")]


def undefined_symbols(path: str) -> set[str]:
    out = subprocess.run(["nm", "-D", "--undefined-only", path], capture_output=True, text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


def defined_symbols(path: str) -> set[str]:
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if len(line.split()) >= 3}


def gdal_release(name: str) -> str:
    """``libgdal-5661a9de.so.36.3.10.3`` -> ``3.10.3`` (the auditwheel name keeps the release)."""
    parts = name.split(".so.")[1].split(".")
    return ".".join(parts[1:])


def check_versions() -> str:
    """Both wheels' GDAL release (in the build venv, where PyInstaller runs); the release."""
    import pyogrio
    import rasterio

    a, b = pyogrio.__gdal_version_string__, rasterio.__gdal_version__
    if a != b:
        raise SystemExit(f"one_gdal: pyogrio has GDAL {a} but rasterio has GDAL {b}: install the build "
                         "venv with -c installer/constraints.txt (or update the pins together)")
    return a


def one_gdal(binaries, datas, log=print):
    """``(binaries, datas)`` with one libgdal: see the module docstring."""
    release = check_versions()
    libs = [e for e in binaries if _LIBGDAL.match(os.path.basename(e[0]))]
    keep = [e for e in libs if _posix(e[0]).startswith(KEEP_DIR + "/")]
    drop = [e for e in libs if _posix(e[0]).startswith(DROP_DIR + "/")]
    if len(keep) != 1 or len(drop) != 1 or len(libs) != 2:
        raise SystemExit(f"one_gdal: expected one libgdal in each of {KEEP_DIR} and {DROP_DIR}, found "
                         f"{[e[0] for e in libs]}")
    keep, drop = keep[0], drop[0]
    for e in (keep, drop):
        if gdal_release(os.path.basename(e[0])) != release:
            raise SystemExit(f"one_gdal: {e[0]} is not GDAL {release}")
    kept_syms = defined_symbols(keep[1])
    dropped_names = {os.path.basename(e[0]) for e in binaries if _posix(e[0]).startswith(DROP_DIR + "/")}
    new_binaries = []
    for e in binaries:
        dest = _posix(e[0])
        if dest.startswith(DROP_DIR + "/"):
            continue
        if e[2] in ("BINARY", "EXTENSION") and os.path.isfile(e[1]):
            bad = set(needed(e[1])) & (dropped_names - {os.path.basename(drop[0])})
            if bad:
                raise SystemExit(f"one_gdal: {dest} needs {sorted(bad)} from {DROP_DIR}")
            if dest.startswith("rasterio/") and os.path.basename(drop[0]) in needed(e[1]):
                missing = {s for s in undefined_symbols(e[1]) if s.startswith(("GDAL", "OGR", "OSR", "OCT", "CPL", "VSI"))} - kept_syms
                if missing:
                    raise SystemExit(f"one_gdal: {dest} uses {sorted(missing)[:5]}, not in {keep[0]}")
        new_binaries.append(e)
    link = os.path.relpath(keep[0], os.path.dirname(drop[0]))
    new_binaries.append((drop[0], _posix(link), "SYMLINK"))
    new_datas = [e for e in datas if not _posix(e[0]).startswith(DATA_DROPPED)]
    if not any(_posix(e[0]).startswith(DATA_KEEP["proj"] + "/proj.db") for e in new_datas):
        raise SystemExit(f"one_gdal: {DATA_KEEP['proj']}/proj.db is not collected")
    log(f"one_gdal: GDAL {release}: kept {keep[0]}, {drop[0]} -> {link}; left out "
        f"{len(dropped_names)} files of {DROP_DIR} and {len(datas) - len(new_datas)} data files")
    return new_binaries, new_datas
