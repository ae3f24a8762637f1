"""Check that the bundle has one libgdal and that pyogrio and rasterio both use it.

``python installer/check_one_gdal.py dist/beatwise`` (or ``/opt/beatwise``); exit 0 when

1. exactly one regular ``libgdal*.so*`` file is in the bundle, every other libgdal name is a
   symbolic link to it, and each of pyogrio's and rasterio's extension modules that needs a libgdal
   finds that file through its RPATH/RUNPATH;
2. the library reports its GDAL release and has the drivers Beatwise uses (GTiff, GPKG, MBTiles,
   VRT, MEM, OSM, ESRI Shapefile, GPX, CSV);
3. the frozen ``beatwise hotspots ... --out DIR`` (pyogrio writes hotspots.gpkg, rasterio writes
   density.tif, in one process) maps that one library, needed by both pyogrio's and rasterio's
   modules (``LD_DEBUG=files``);
4. the GeoPackage and the GeoTIFF read back through it (layers and features; raster size, CRS and
   a checksum), and with the system's ``ogrinfo``/``gdalinfo`` too when installed.

Any failure prints what was found and exits 1.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DRIVERS = ("GTiff", "GPKG", "MBTiles", "VRT", "MEM", "OSM", "ESRI Shapefile", "GPX", "CSV")
LIBGDAL = re.compile(r"^libgdal(-[0-9a-f]+)?\.so(\.\d+)+$")


class CheckFailed(Exception):
    pass


def need(cond, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


def elf_dynamic(path: Path) -> tuple[list[str], list[str]]:
    """(NEEDED, RPATH/RUNPATH dirs) of an ELF file."""
    out = subprocess.run(["readelf", "-dW", str(path)], capture_output=True, text=True).stdout
    needed, paths = [], []
    for line in out.splitlines():
        m = re.search(r"\((NEEDED|RPATH|RUNPATH)\).*\[(.*)\]", line)
        if m and m.group(1) == "NEEDED":
            needed.append(m.group(2))
        elif m:
            paths += [p.replace("$ORIGIN", str(path.parent)).replace("${ORIGIN}", str(path.parent))
                      for p in m.group(2).split(":")]
    return needed, paths


def the_library(internal: Path) -> Path:
    files = [p for p in internal.rglob("libgdal*.so*") if LIBGDAL.match(p.name)]
    real = [p for p in files if not p.is_symlink()]
    need(len(real) == 1, f"expected one libgdal file, found {[str(p.relative_to(internal)) for p in real]}")
    lib = real[0].resolve()
    for p in files:
        need(p.resolve() == lib, f"{p.relative_to(internal)} is not a link to {real[0].relative_to(internal)}")
    users = 0
    for pkg in ("pyogrio", "rasterio"):
        mods = sorted((internal / pkg).glob("*.so"))
        need(mods, f"no extension modules in {pkg}/")
        for mod in mods:
            needed, paths = elf_dynamic(mod)
            for name in (n for n in needed if LIBGDAL.match(n)):
                found = [Path(d) / name for d in paths + [str(internal)] if (Path(d) / name).exists()]
                need(found and found[0].resolve() == lib,
                     f"{mod.relative_to(internal)} needs {name}: found {found[:1] or 'nothing'}, not {lib}")
                users += 1
    print(f"check_one_gdal: one libgdal ({real[0].relative_to(internal)}, {lib.stat().st_size / 1e6:.0f} MB); "
          f"{users} extension modules of pyogrio and rasterio link to it; other names: "
          f"{[str(p.relative_to(internal)) for p in files if p.is_symlink()]}")
    return lib


class Gdal:
    """The bundle's libgdal through ctypes (it is self-contained)."""

    def __init__(self, path: Path, internal: Path):
        os.environ["GDAL_DATA"] = str(internal / "pyogrio" / "gdal_data")
        os.environ["PROJ_DATA"] = str(internal / "pyogrio" / "proj_data")
        g = self.g = ctypes.CDLL(str(path))
        g.GDALAllRegister()
        g.GDALVersionInfo.restype = ctypes.c_char_p
        g.GDALVersionInfo.argtypes = [ctypes.c_char_p]
        g.GDALGetDriverByName.restype = ctypes.c_void_p
        g.GDALGetDriverByName.argtypes = [ctypes.c_char_p]
        g.GDALOpenEx.restype = ctypes.c_void_p
        g.GDALOpenEx.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        g.GDALClose.argtypes = [ctypes.c_void_p]
        g.GDALDatasetGetLayerCount.argtypes = [ctypes.c_void_p]
        g.GDALDatasetGetLayer.restype = ctypes.c_void_p
        g.GDALDatasetGetLayer.argtypes = [ctypes.c_void_p, ctypes.c_int]
        g.OGR_L_GetName.restype = ctypes.c_char_p
        g.OGR_L_GetName.argtypes = [ctypes.c_void_p]
        g.OGR_L_GetFeatureCount.restype = ctypes.c_int64
        g.OGR_L_GetFeatureCount.argtypes = [ctypes.c_void_p, ctypes.c_int]
        for f in ("GDALGetRasterXSize", "GDALGetRasterYSize", "GDALGetRasterCount"):
            getattr(g, f).argtypes = [ctypes.c_void_p]
        g.GDALGetProjectionRef.restype = ctypes.c_char_p
        g.GDALGetProjectionRef.argtypes = [ctypes.c_void_p]
        g.GDALGetRasterBand.restype = ctypes.c_void_p
        g.GDALGetRasterBand.argtypes = [ctypes.c_void_p, ctypes.c_int]
        g.GDALChecksumImage.argtypes = [ctypes.c_void_p] + [ctypes.c_int] * 4

    def version(self) -> str:
        return self.g.GDALVersionInfo(b"RELEASE_NAME").decode()

    def has(self, driver: str) -> bool:
        return bool(self.g.GDALGetDriverByName(driver.encode()))

    def vector(self, path: Path) -> dict[str, int]:
        ds = self.g.GDALOpenEx(str(path).encode(), 0x04, None, None, None)  # GDAL_OF_VECTOR
        need(ds, f"GDAL cannot open {path} as vector data")
        try:
            out = {}
            for i in range(self.g.GDALDatasetGetLayerCount(ds)):
                lyr = self.g.GDALDatasetGetLayer(ds, i)
                out[self.g.OGR_L_GetName(lyr).decode()] = self.g.OGR_L_GetFeatureCount(lyr, 1)
            return out
        finally:
            self.g.GDALClose(ds)

    def raster(self, path: Path) -> tuple[int, int, int, str, int]:
        ds = self.g.GDALOpenEx(str(path).encode(), 0x02, None, None, None)  # GDAL_OF_RASTER
        need(ds, f"GDAL cannot open {path} as a raster")
        try:
            x, y = self.g.GDALGetRasterXSize(ds), self.g.GDALGetRasterYSize(ds)
            band = self.g.GDALGetRasterBand(ds, 1)
            return (x, y, self.g.GDALGetRasterCount(ds), self.g.GDALGetProjectionRef(ds).decode(),
                    self.g.GDALChecksumImage(band, 0, 0, x, y))
        finally:
            self.g.GDALClose(ds)


def loaded_by_frozen_cli(bundle: Path, work: Path) -> tuple[Path, dict]:
    """Run the frozen hotspots command under LD_DEBUG=files; (output folder, what it loaded)."""
    exe = bundle / "beatwise"
    r = subprocess.run([str(exe), "demo", "--out", str(work / "demo")], capture_output=True, text=True)
    need(r.returncode == 0, f"beatwise demo failed: {r.stderr[-500:]}")
    out = work / "hot"
    env = {**os.environ, "LD_DEBUG": "files", "LD_DEBUG_OUTPUT": str(work / "ld")}
    r = subprocess.run([str(exe), "hotspots", str(work / "demo" / "demo.beatwise"), "--out", str(out), "--json"],
                       capture_output=True, text=True, env=env)
    need(r.returncode == 0, f"beatwise hotspots failed: {r.stderr[-500:]}")
    text = "".join(p.read_text(errors="replace") for p in work.glob("ld.*"))
    # each object mapped has its initialiser called once, under its full path
    maps = {Path(m).resolve() for m in re.findall(r"calling init: (\S*/libgdal[^/\s]*)", text)}
    needed_by = set(re.findall(r"file=(?:\S*/)?libgdal\S*\s+\[\d+\];\s+needed by (\S+)", text))
    return out, {"maps": maps, "needed_by": needed_by}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bundle", type=Path, help="the one-folder bundle (dist/beatwise or /opt/beatwise)")
    args = ap.parse_args(argv)
    bundle = args.bundle.resolve()
    internal = bundle / "_internal"
    try:
        lib = the_library(internal)
        gdal = Gdal(lib, internal)
        version = gdal.version()
        missing = [d for d in DRIVERS if not gdal.has(d)]
        need(not missing, f"GDAL {version} in the bundle lacks the drivers {missing}")
        print(f"check_one_gdal: GDAL {version}; drivers {', '.join(DRIVERS)} present; "
              f"WEBP {'present' if gdal.has('WEBP') else 'absent (WebP MBTiles/GeoPackage tiles unreadable)'}")
        with tempfile.TemporaryDirectory(prefix="beatwise-one-gdal-") as tmp:
            out, seen = loaded_by_frozen_cli(bundle, Path(tmp))
            need(seen["maps"] == {lib}, f"the frozen CLI mapped {sorted(map(str, seen['maps']))}, not only {lib}")
            users = {Path(p).parent.name for p in seen["needed_by"]}
            need({"pyogrio", "rasterio"} <= users,
                 f"libgdal was needed by {sorted(seen['needed_by'])}: expected pyogrio's and rasterio's modules")
            print(f"check_one_gdal: the frozen `beatwise hotspots` mapped one libgdal, needed by "
                  f"{', '.join(sorted(str(Path(p).relative_to(internal)) for p in seen['needed_by']))}")
            layers = gdal.vector(out / "hotspots.gpkg")
            need(layers and all(n > 0 for n in layers.values()), f"hotspots.gpkg layers {layers}")
            x, y, bands, crs, checksum = gdal.raster(out / "density.tif")
            need(x > 0 and y > 0 and bands == 1 and bool(crs),
                 f"density.tif: {x} x {y}, {bands} bands, CRS {crs[:80]}")
            print(f"check_one_gdal: read back hotspots.gpkg (pyogrio) {layers} and density.tif (rasterio) "
                  f"{x} x {y}, checksum {checksum}")
            for tool, path in (("ogrinfo", out / "hotspots.gpkg"), ("gdalinfo", out / "density.tif")):
                if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode == 0:
                    r = subprocess.run([tool, "-so" if tool == "ogrinfo" else "-nomd", str(path)]
                                       + (["-al"] if tool == "ogrinfo" else []), capture_output=True, text=True,
                                       env={k: v for k, v in os.environ.items() if k not in ("GDAL_DATA", "PROJ_DATA")})
                    need(r.returncode == 0, f"the system's {tool} cannot read {path.name}: {r.stderr[-300:]}")
                    print(f"check_one_gdal: the system's {tool} reads {path.name}")
    except CheckFailed as exc:
        print(f"check_one_gdal: FAILED: {exc}", file=sys.stderr)
        return 1
    print("check_one_gdal: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
