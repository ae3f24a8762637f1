"""The briefing pack's GIS files as QGIS draws them (issue 15): PyQGIS (Debian's python3-qgis, run by
the system python3 in a subprocess: it is not a pip package) opens every layer with its embedded
style and renders it. Skips where PyQGIS is absent; ``.ci/run`` installs it."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from analysis.cli import main

SCRIPT = Path(__file__).with_name("qgis_render.py")
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin")


def _has_pyqgis() -> bool:
    if SYSTEM_PYTHON is None:
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not _has_pyqgis(), reason="PyQGIS (Debian python3-qgis) not installed")


@pytest.fixture(scope="module")
def rendered(demo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("qgis")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["brief", str(demo_dir / "demo.beatwise"), "--out", str(out / "pack")]) == 0
    png = out / "qgis.png"
    proc = subprocess.run([SYSTEM_PYTHON, str(SCRIPT), str(png), str(out / "pack" / "hotspots.gpkg"),
                           str(out / "pack" / "density.tif")], capture_output=True, text=True, timeout=300,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(out)})
    assert proc.returncode == 0, proc.stderr
    return out / "pack", png, {r["layer"]: r for r in json.loads(proc.stdout.strip().splitlines()[-1])}


def _stored_renderers(gpkg: Path) -> dict:
    with sqlite3.connect(gpkg) as db:
        rows = db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault = 1").fetchall()
    return {name: ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2").get("type") for name, qml in rows}


def test_qgis__every_layer_opens_with_its_embedded_style(rendered):
    pack, _, layers = rendered
    stored = _stored_renderers(pack / "hotspots.gpkg")
    assert set(stored) == {"hotspots", "gi_star_cells", "incidents"}
    for name, renderer in stored.items():
        assert layers[name]["valid"] and layers[name]["features"] > 0
        assert layers[name]["renderer"] == renderer, name   # QGIS used the stored style, not a default
    assert layers["gi_star_cells"]["renderer"] == "categorizedSymbol"   # hot and cold told apart


def test_qgis__density_raster_is_not_an_opaque_block(rendered):
    _, _, layers = rendered
    d = layers["density.tif"]
    assert d["valid"] and d["renderer"] == "singlebandpseudocolor"
    # most cells are 0 and must be see-through (a grey min-max stretch would be opaque everywhere)
    assert d["zero_share"] > 0.5
    assert d["transparent_share"] >= 0.9 * d["zero_share"], d


def test_qgis__composite_shows_hotspots_over_the_density(rendered):
    from PIL import Image

    _, png, _ = rendered
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    white = (r > 245) & (g > 245) & (b > 245)
    warm = (r > 180) & (b < 120) & (r - b > 80)       # the YlOrRd density and red Gi* cells
    outline = (r < 40) & (g < 40) & (b < 40)          # the hotspot areas' black outlines
    assert white.mean() > 0.5                         # not an opaque block
    assert warm.sum() > 200 and outline.sum() > 200, (warm.sum(), outline.sum())


@pytest.fixture(scope="module")
def forecast_rendered(demo_dir, tmp_path_factory):
    """``beatwise forecast`` on the demo, its boxes.gpkg and forecast.tif opened and drawn by QGIS."""
    out = tmp_path_factory.mktemp("qgis_forecast")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        assert main(["forecast", str(demo_dir / "demo.beatwise"), "--out", str(out / "fc"), "--json"]) == 0
    png = out / "qgis.png"
    proc = subprocess.run([SYSTEM_PYTHON, str(SCRIPT), str(png), str(out / "fc" / "boxes.gpkg"),
                           str(out / "fc" / "forecast.tif")], capture_output=True, text=True, timeout=300,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(out)})
    assert proc.returncode == 0, proc.stderr
    return (out / "fc", png, {r["layer"]: r for r in json.loads(proc.stdout.strip().splitlines()[-1])},
            json.loads(buf.getvalue()))


def test_qgis__forecast_boxes_and_risk_raster_open_styled(forecast_rendered):
    from PIL import Image

    folder, png, layers, summary = forecast_rendered
    stored = _stored_renderers(folder / "boxes.gpkg")
    assert set(stored) == {"boxes"}
    boxes = layers["boxes"]
    assert boxes["valid"] and boxes["features"] == len(summary["boxes"]) > 0
    assert boxes["renderer"] == stored["boxes"]      # QGIS drew them with the stored style
    risk = layers["forecast.tif"]
    assert risk["valid"] and risk["renderer"] == "singlebandpseudocolor"
    assert risk["transparent_share"] > 0.3, risk     # outside the study area and empty cells see-through
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    outline = (rgb[..., 0] < 40) & (rgb[..., 1] < 40) & (rgb[..., 2] < 40)
    assert outline.sum() > 100 and (rgb > 245).all(axis=2).mean() > 0.3
