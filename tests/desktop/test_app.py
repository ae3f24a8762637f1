"""``beatwise-desktop`` flags: --screenshot and --smoke, offscreen, through the real entry point,
on every file of ../shared/data."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

from tests.conftest import SHARED_DATA


def _run(args, data_dir, timeout=240):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8",
           "BEATWISE_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "desktop.app", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_parser__flags():
    from desktop.app import build_parser

    a = build_parser().parse_args(["x.beatwise", "--smoke"])
    assert (a.paths, a.smoke, a.screenshot) == (["x.beatwise"], True, None)
    a = build_parser().parse_args(["--screenshot", "out.png"])
    assert (a.paths, a.smoke, a.screenshot) == ([], False, "out.png")
    a = build_parser().parse_args(["a.csv", "b.csv", "--smoke"])
    assert a.paths == ["a.csv", "b.csv"]


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


def test_smoke__errors(tmp_path):
    bad = tmp_path / "broken.beatwise"
    bad.write_bytes(b"nonsense" * 100)
    run = _run([bad, "--smoke"], tmp_path / "data")
    assert run.returncode == 1 and "not a Beatwise project" in run.stderr
    run = _run([tmp_path / "missing.csv", "--smoke"], tmp_path / "data")
    assert run.returncode == 2 and "no such file" in run.stderr
    run = _run([bad, bad, "--smoke"], tmp_path / "data")
    assert run.returncode == 2 and "one .beatwise project at a time" in run.stderr


def _shared_files() -> list:
    """Every data file in ../shared/data, by kind; the four Essex months as one import."""
    def files(*patterns):
        return sorted(p for pattern in patterns for p in SHARED_DATA.glob(pattern))

    essex = files("police_uk/*-essex-street.csv")
    cases = [pytest.param("incidents", [p], id=p.name) for p in files("police_uk/*.csv", "timed/*.csv")
             if p not in essex]
    if essex:
        cases.append(pytest.param("incidents", essex, id="essex-all-months"))
    cases += [pytest.param("not incidents", [p], id=p.name)
              for p in files("patrol/*.csv", "patrol/*.gpx", "streets/*.geojson", "boundaries/*.geojson")]
    return cases or [pytest.param("incidents", [], id="no-shared-data")]


@pytest.mark.parametrize("kind, paths", _shared_files())
def test_smoke__every_shared_data_file(tmp_path, kind, paths):
    """``--smoke`` on every file in ../shared/data: incidents open and every analysis runs (exit 0);
    a file that is not incidents (streets, boundaries, patrol GPS) is refused with a message,
    never a traceback."""
    if not paths:
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    run = _run([*paths, "--smoke"], tmp_path / "data")
    assert "Traceback" not in run.stderr, run.stderr
    if kind == "incidents":
        assert run.returncode == 0, run.stderr
        assert run.stderr.splitlines()[-1].startswith("beatwise-desktop: ok")
    else:
        assert run.returncode == 1, run.stderr
        messages = [line for line in run.stderr.splitlines()
                    if line.startswith("beatwise-desktop: ") and "FAILED" not in line]
        assert messages and paths[0].name in messages[0], run.stderr


def test_smoke__timed_data_without_location_text_exits_0(tmp_path, coordinates_only_csv):
    """Regression: --smoke exited 1 on timed data without location text (Memphis robberies): the
    Streets panel failed instead of saying 'no street names: add a street layer'."""
    run = _run([coordinates_only_csv, "--smoke"], tmp_path / "data")
    assert run.returncode == 0, run.stderr
    assert "Streets failed" not in run.stderr


def test_cheaper_pyside_import_check__same_answers_as_pysides_own():
    """The replacement of PySide6's per-import source check (issue 20's start-up time) answers as
    PySide's own check does, module by module, and is installed once."""
    import importlib

    import PySide6.QtCore  # noqa: F401  (loads shibokensupport.feature)

    from desktop.app import cheaper_pyside_import_check

    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not hasattr(feature, "_mod_uses_pyside"):
        pytest.skip("this PySide6 has no per-import check to replace")
    cheaper_pyside_import_check()
    assert cheaper_pyside_import_check() is False          # already installed: not wrapped twice
    check = feature._mod_uses_pyside
    assert check._beatwise
    modules = [m for name, m in sorted(sys.modules.items())
               if isinstance(getattr(m, "__file__", None), str)][:400]
    modules += [importlib.import_module(n) for n in ("desktop.app", "desktop.main_window", "numpy", "json")]
    answers = [(m.__name__, bool(check(m))) for m in modules]
    assert answers == [(m.__name__, bool(check._original(m))) for m in modules]
    assert dict(answers)["desktop.main_window"] and not dict(answers)["json"]
