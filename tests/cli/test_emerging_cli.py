"""``beatwise emerging`` as a user runs it: Chicago months, Essex's 4 months refused then accepted."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyogrio

from analysis.export.vector import read_layer_styles
from tests.basemap_fixtures import xyz_folder  # noqa: F401 (fixture)
from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[2]


def beatwise(*args):
    return subprocess.run([sys.executable, "-m", "analysis.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_emerging__chicago_months_classes_layer_and_map(tmp_path):
    run = beatwise("emerging", shared_path("timed", "chicago_crimes_sample_2017_2019.csv"), "--step", "month",
                   "--out", tmp_path, "--json")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    assert d["n_steps"] == 33 and d["steps"][0] == "2017-01" and d["rules"] == "arcgis" and d["fdr"] is True
    assert sum(d["classes"].values()) == d["n_cells"]
    patterned = d["n_cells"] - d["classes"].get("no pattern detected", 0)
    layers = dict(pyogrio.list_layers(tmp_path / "emerging.gpkg"))
    assert "emerging_cells" in layers
    cells = pyogrio.read_dataframe(tmp_path / "emerging.gpkg", layer="emerging_cells")
    assert len(cells) == patterned and set(cells["emerging_class"]) <= set(d["classes"])
    assert list(read_layer_styles(tmp_path / "emerging.gpkg")["f_table_name"]) == ["emerging_cells"]
    assert (tmp_path / "emerging.png").stat().st_size > 20_000
    sf = json.loads(beatwise("emerging", shared_path("timed", "chicago_crimes_sample_2017_2019.csv"), "--step",
                             "month", "--rules", "sfdep", "--json").stdout)
    assert sf["rules"] == "sfdep" and sf["alpha"] == 0.01 and sf["fdr"] is False


def test_emerging__four_months_of_essex_needs_min_steps():
    essex = [shared_path("police_uk", f"2024-0{m}-essex-street.csv") for m in (1, 2, 3, 4)]
    run = beatwise("emerging", *essex, "--json")
    assert run.returncode == 2 and "needs at least 10" in run.stderr and "--min-steps" in run.stderr
    run = beatwise("emerging", *essex, "--min-steps", "4", "--cell-m", "500", "--json")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    assert d["step"] == "month" and d["n_steps"] == 4 and any("only 4 time steps" in w for w in d["warnings"])
    run = beatwise("emerging", *essex, "--step", "week", "--json")
    assert run.returncode == 2 and "month only" in run.stderr


def test_emerging__basemap_under_the_map(demo_dir, tmp_path, xyz_folder):  # noqa: F811
    import numpy as np
    from PIL import Image

    plain = beatwise("emerging", demo_dir / "incidents.csv", "--step", "month", "--out", tmp_path / "a")
    based = beatwise("emerging", demo_dir / "incidents.csv", "--step", "month", "--basemap", xyz_folder,
                     "--out", tmp_path / "b")
    assert plain.returncode == 0 and based.returncode == 0, plain.stderr + based.stderr

    def white(p):
        im = np.asarray(Image.open(p).convert("RGB")).astype(int)
        return float(np.all(im >= 250, axis=-1).mean())
    assert white(tmp_path / "b" / "emerging.png") < white(tmp_path / "a" / "emerging.png") - 0.05
