"""PyInstaller runtime hook: one GDAL_DATA and one PROJ_DATA for pyogrio, rasterio and pyproj.

The bundle keeps one libgdal (pyogrio's; installer/one_gdal.py) and one copy of the GDAL and PROJ
data beside it. Set before any of them is imported, so all three read the same files; set even
when the user's environment names others (a system GDAL's data would not match this GDAL).
"""
import os
import sys

_here = os.path.join(getattr(sys, "_MEIPASS", os.path.dirname(sys.executable)), "pyogrio")
os.environ["GDAL_DATA"] = os.path.join(_here, "gdal_data")
os.environ["PROJ_DATA"] = os.path.join(_here, "proj_data")
os.environ["PROJ_LIB"] = os.environ["PROJ_DATA"]  # older readers of the same setting
