"""``beatwise-desktop`` flags: --screenshot and --smoke, offscreen, through the real entry point."""
from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage

from tests.conftest import shared_path


def _run(args, data_dir, timeout=240):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8",
           "BEATWISE_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "desktop.app", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_parser__flags():
    from desktop.app import build_parser

    a = build_parser().parse_args(["x.beatwise", "--smoke"])
    assert (a.path, a.smoke, a.screenshot) == ("x.beatwise", True, None)
    a = build_parser().parse_args(["--screenshot", "out.png"])
    assert (a.path, a.smoke, a.screenshot) == (None, False, "out.png")


def test_screenshot__demo_offscreen(demo_cache, tmp_path):
    out = tmp_path / "shot.png"
    run = _run(["--screenshot", out], demo_cache)
    assert run.returncode == 0, run.stderr
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1600, 1000)
    # a real picture, not a blank window: many distinct colours in the map area
    colours = {img.pixel(x, y) for x in range(250, 1000, 7) for y in range(100, 900, 7)}
    assert len(colours) > 200
    assert "ok" in run.stderr.splitlines()[-1]


def test_smoke__data_file_and_errors(tmp_path):
    path = shared_path("police_uk", "2024-01_to_2024-04-rutland-street.csv")
    run = _run([path, "--smoke"], tmp_path / "data")
    assert run.returncode == 0, run.stderr
    bad = tmp_path / "broken.beatwise"
    bad.write_bytes(b"nonsense" * 100)
    run = _run([bad, "--smoke"], tmp_path / "data")
    assert run.returncode == 1 and "not a Beatwise project" in run.stderr
    run = _run([tmp_path / "missing.csv", "--smoke"], tmp_path / "data")
    assert run.returncode == 2 and "no such file" in run.stderr
