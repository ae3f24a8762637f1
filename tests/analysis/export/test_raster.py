"""Tests for analysis.export.raster: GeoTIFF of a density surface (float32, CRS, transform, nodata, north-up)."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import rowcol

from analysis.export.raster import write_density_geotiff, write_grid_geotiff
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import kde
from analysis.progress import BeatwiseError


def _surface():
    # an L-shaped set of incidents so that a row flip or a transposition would show
    xy = np.array([[583_015.0, 186_015.0]] * 5 + [[583_405.0, 186_015.0]] * 2 + [[583_015.0, 186_305.0]])
    grid = GridSpec(582_800.0, 185_800.0, 10.0, nx=90, ny=70, crs="EPSG:27700")
    return kde(xy, grid, bandwidth_m=120.0), xy


def test_write_density_geotiff__georeferenced_north_up(tmp_path):
    s, xy = _surface()
    path = write_density_geotiff(s, tmp_path / "density.tif")
    with rasterio.open(path) as src:
        assert src.count == 1 and src.dtypes[0] == "float32"
        assert src.crs.to_epsg() == 27700
        assert src.nodata == -9999.0
        assert (src.width, src.height) == (90, 70)
        assert src.bounds == pytest.approx((582_800.0, 185_800.0, 583_700.0, 186_500.0))
        assert src.transform.e < 0  # north-up
        band = src.read(1)
        tags = src.tags()
        # the peak (5 incidents) is found at its map position through the file's own transform
        r, c = rowcol(src.transform, 583_015.0, 186_015.0)
        assert np.unravel_index(band.argmax(), band.shape) == (r, c)
        assert src.tags(1)["units"] == "incidents per km^2"
    np.testing.assert_allclose(band[::-1], s.values.astype(np.float32))
    assert tags["kernel"] == "quartic" and float(tags["bandwidth_m"]) == pytest.approx(120.0)
    assert "fixed" in tags["bandwidth_rule"]


def test_write_grid_geotiff__nan_becomes_nodata_and_shape_checked(tmp_path):
    grid = GridSpec(0.0, 0.0, 100.0, nx=3, ny=2, crs="EPSG:27700")
    values = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    path = write_grid_geotiff(values, grid, tmp_path / "z.tif", description="gi_z")
    with rasterio.open(path) as src:
        band = src.read(1)
        assert band[1, 1] == -9999.0            # row 0 of the array (south) is the last row of the file
        assert band[0].tolist() == [4.0, 5.0, 6.0]
        masked = src.read(1, masked=True)
        assert masked.mask.sum() == 1
        assert src.descriptions[0] == "gi_z"
    with pytest.raises(BeatwiseError, match="does not match"):
        write_grid_geotiff(np.zeros((3, 3)), grid, tmp_path / "bad.tif")


def test_write_grid_geotiff__no_partial_file_on_failure(tmp_path, monkeypatch):
    grid = GridSpec(0.0, 0.0, 100.0, nx=3, ny=2, crs="EPSG:27700")

    class Boom(Exception):
        pass

    def fail(*args, **kwargs):
        raise Boom

    monkeypatch.setattr(rasterio.io.DatasetWriter, "write", fail)
    with pytest.raises(Boom):
        write_grid_geotiff(np.ones((2, 3)), grid, tmp_path / "x.tif")
    assert list(tmp_path.iterdir()) == []
