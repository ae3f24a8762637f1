"""Render Beatwise's GIS files in QGIS (PyQGIS, run by Debian's python3, not the venv): every layer of
each GeoPackage and every GeoTIFF, as QGIS opens them with no clicks; prints one JSON object.

Usage: python3 qgis_render.py [--extent=X0,Y0,X1,Y1] OUT.png FILE.gpkg|FILE.tif|PG:JSON ...

``PG:{"host": ..., "port": ..., "dbname": ..., "user": ..., "schema": ..., "table": ...}`` opens one PostGIS
table (geometry ``geom``, key ``fid``) as a layer added from the browser would be: the URI names no
geometry type, and QGIS loads the default style from the database's ``layer_styles``.

For each layer: its renderer type as loaded (the GeoPackage's ``layer_styles`` default, the ``.qml``
beside a raster) and, for rasters, the share of transparent pixels when rendered alone (a density
mostly of zeros must not be an opaque block) and the share of zero cells in the file; the
composite of all layers over white goes to OUT.png for a look.
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from osgeo import gdal, ogr  # noqa: E402
from qgis.core import (QgsApplication, QgsDataSourceUri, QgsMapRendererSequentialJob,  # noqa: E402
                       QgsMapSettings, QgsRasterLayer, QgsRectangle, QgsRenderContext, QgsVectorLayer)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

SIZE = 800


def render(layers, extent, background):
    s = QgsMapSettings()
    s.setLayers(layers)
    s.setDestinationCrs(layers[0].crs())
    s.setExtent(extent)
    s.setOutputSize(QSize(SIZE, SIZE))
    s.setBackgroundColor(background)
    job = QgsMapRendererSequentialJob(s)
    job.start()
    job.waitForFinished()
    return job.renderedImage()


def transparent_share(img) -> float:
    n = 0
    step = 4
    total = 0
    for y in range(0, img.height(), step):
        for x in range(0, img.width(), step):
            total += 1
            n += ((img.pixel(x, y) >> 24) & 0xFF) == 0   # QRgb's alpha (QColor(int) would drop it)
    return n / max(total, 1)


def main(argv) -> int:
    args = argv[1:]
    zoom = None
    if args[0].startswith("--extent="):
        zoom = QgsRectangle(*(float(v) for v in args.pop(0).split("=", 1)[1].split(",")))
    out, paths = args[0], args[1:]
    app = QgsApplication([], False)
    app.initQgis()
    report, layers = [], []
    for path in paths:
        if path.startswith("PG:"):
            spec = json.loads(path[3:])
            uri = QgsDataSourceUri()
            uri.setConnection(spec["host"], str(spec.get("port", 5432)), spec["dbname"], spec.get("user", ""), "")
            uri.setDataSource(spec["schema"], spec["table"], "geom", "", "fid")
            lyr = QgsVectorLayer(uri.uri(False), spec["table"], "postgres")
            report.append({"file": "postgres", "layer": spec["table"], "valid": lyr.isValid(),
                           "renderer": lyr.renderer().type() if lyr.renderer() else None,
                           "attr": getattr(lyr.renderer(), "classAttribute", lambda: None)(),
                           "features": lyr.featureCount(), "wkb_type": int(lyr.wkbType()),
                           "crs": lyr.crs().authid(), "labels": lyr.labelsEnabled(),
                           "colors": sorted({s.color().name() for s in lyr.renderer().symbols(QgsRenderContext())})})
            layers.append(lyr)
        elif path.endswith(".gpkg"):
            ds = ogr.Open(path)
            names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
            ds = None
            for name in names:
                lyr = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
                report.append({"file": os.path.basename(path), "layer": name, "valid": lyr.isValid(),
                               "renderer": lyr.renderer().type() if lyr.renderer() else None,
                               "features": lyr.featureCount()})
                if name != "layer_styles":
                    layers.append(lyr)
        else:
            lyr = QgsRasterLayer(path, os.path.basename(path))
            ds = gdal.Open(path)
            band = ds.GetRasterBand(1).ReadAsArray()
            zero = float((band == 0).mean())
            img = render([lyr], lyr.extent(), QColor(0, 0, 0, 0))
            report.append({"file": os.path.basename(path), "layer": os.path.basename(path), "valid": lyr.isValid(),
                           "renderer": lyr.renderer().type(), "zero_share": zero,
                           "transparent_share": transparent_share(img)})
            layers.append(lyr)
    extent = QgsRectangle()
    for lyr in layers:
        extent.combineExtentWith(lyr.extent())
    # vectors above rasters, as a user's layer panel would have them
    ordered = [lyr for lyr in layers if isinstance(lyr, QgsVectorLayer)] + [
        lyr for lyr in layers if isinstance(lyr, QgsRasterLayer)]
    render(ordered, zoom or extent, QColor(255, 255, 255)).save(out)
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    # PyQGIS 3.22 can crash while Python tears down its objects: leave without that teardown
    os._exit(code)
