"""QGIS raster styles beside every GeoTIFF: valid QML, a pseudocolour ramp, zero transparent."""
from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib import colormaps

from analysis.export.raster import write_density_geotiff, write_grid_geotiff
from analysis.export.raster_style import (BLUES, YLORRD, density_qml, presence_qml, pseudocolour_qml,
                                          qml_path)
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import kde


def _items(qml: str):
    root = ET.fromstring(qml.split("\n", 1)[1])  # after the DOCTYPE line
    renderer = root.find("pipe/rasterrenderer")
    assert renderer is not None and renderer.get("type") == "singlebandpseudocolor"
    items = renderer.findall("rastershader/colorrampshader/item")
    return renderer, [(float(i.get("value")), i.get("color"), int(i.get("alpha"))) for i in items]


def _hex_to_rgb(h: str) -> np.ndarray:
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0


@pytest.mark.parametrize("name,colours", [("YlOrRd", YLORRD), ("Blues", BLUES)])
def test_palettes__are_colorbrewer_as_matplotlib_has_them(name, colours):
    cmap = colormaps[name].resampled(len(colours))  # its anchors, without 256-entry rounding
    for i, h in enumerate(colours):
        assert np.abs(np.array(cmap(i)[:3]) - _hex_to_rgb(h)).max() <= 1.0 / 255


def test_density_qml__zero_transparent_power_law_stops_up_to_the_peak():
    vmax = 812.0
    renderer, items = _items(density_qml(vmax))
    values = [v for v, _, _ in items]
    assert values[0] == 0 and items[0][2] == 0                      # zero is transparent
    assert all(b > a for a, b in zip(values, values[1:]))
    assert values[-1] == pytest.approx(vmax) and float(renderer.get("classificationMax")) == pytest.approx(vmax)
    opaque = [(v, c) for v, c, a in items if a == 255]
    # the class-p colour sits at vmax * p^2 (gamma 0.5, as the maps colour (v/vmax)^0.5)
    for i, h in enumerate(YLORRD[1:], start=2):
        assert (pytest.approx(vmax * (i / 9) ** 2), h) in [(v, c) for v, c in opaque]
    # under 2 % of the peak: transparent, as on the maps
    below = [a for v, _, a in items if v <= 0.02 * vmax]
    assert below and all(a == 0 for a in below)


def test_presence_qml__blues_from_transparent_zero():
    _, items = _items(presence_qml(90.0))
    assert items[0][:1] == (0.0,) and items[0][2] == 0 and items[-1][0] == pytest.approx(90.0)
    assert items[-1][1] == BLUES[-1]


def test_pseudocolour_qml__refuses_unordered_stops():
    with pytest.raises(ValueError):
        pseudocolour_qml([(1.0, "#000000", 255, "a"), (1.0, "#ffffff", 255, "b")])


def test_density_geotiff__qml_beside_it_and_units_in_the_band(tmp_path):
    rng = np.random.default_rng(1)
    pts = rng.normal(0, 200, (500, 2)) + 5000
    grid = GridSpec(3000.0, 3000.0, 50.0, 80, 80, "EPSG:27700")
    surface = kde(pts, grid, bandwidth_m=250.0)
    tif = write_density_geotiff(surface, tmp_path / "density.tif")
    assert qml_path(tif).exists()
    _, items = _items(qml_path(tif).read_text(encoding="utf-8"))
    assert items[-1][0] == pytest.approx(float(surface.values.max()), rel=1e-6)
    import rasterio

    with rasterio.open(tif) as src:
        assert "incidents per km^2" in src.descriptions[0]
    # another grid writer without a style gets none
    other = write_grid_geotiff(np.zeros(grid.shape), grid, tmp_path / "plain.tif")
    assert not qml_path(other).exists()


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="gdalinfo (Debian gdal-bin) not installed")
def test_density_geotiff__gdal_opens_it_without_a_warning(tmp_path):
    grid = GridSpec(0.0, 0.0, 10.0, 20, 20, "EPSG:27700")
    surface = kde(np.array([[100.0, 100.0], [120.0, 90.0]]), grid, bandwidth_m=50.0)
    tif = write_density_geotiff(surface, tmp_path / "d.tif")
    run = subprocess.run(["gdalinfo", "-stats", str(tif)], capture_output=True, text=True)
    assert run.returncode == 0 and "Warning" not in run.stderr + run.stdout and "ERROR" not in run.stderr
