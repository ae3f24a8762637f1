"""What every GeoPackage Beatwise writes has in common (the project file and the GIS exports).

GeoPackage 1.3: pyogrio's GDAL writes 1.4 by default, and Debian 12's GDAL 3.6 (QGIS 3.22) warns
"may only be partially supported" on every open of a 1.4 file; nothing of 1.4 is used here
(../shared/PLATFORM.md).
"""
GPKG_VERSION = "1.3"

#: ``dataset_options`` for the first layer written into a new GeoPackage.
GPKG_DATASET_OPTIONS = {"VERSION": GPKG_VERSION}
