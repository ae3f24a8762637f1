"""``--json`` prints exactly one JSON object on stdout and nothing else, for every command.

Run as a user runs them (subprocesses), so output written below Python (HiGHS's banner, C
libraries) is seen too; the option sets are those of the other CLI tests, on the demo data.
"""
from __future__ import annotations

import json

import pytest

from tests.cli.test_import_cli import beatwise
from tests.cli.test_shifts_cli import CURRENT

SHIFTS = ("shifts", "{demo}/incidents.csv", "--time-limit-s", "2")
CASES = {
    "demo": ("demo", "--out", "{tmp}/demo"),
    "import": ("import", "{demo}/incidents.csv"),
    "import --out project": ("import", "{demo}/incidents.csv", "--out", "{tmp}/p.beatwise"),
    "hotspots": ("hotspots", "{demo}/incidents.csv", "--out", "{tmp}/out"),
    "hotspots --gi-star": ("hotspots", "{demo}/demo.beatwise", "--gi-star", "--crime-type", "Drugs",
                           "--out", "{tmp}/out"),
    "temporal": ("temporal", "{demo}/incidents.csv"),
    "temporal --street": ("temporal", "{demo}/incidents.csv", "--street", "York Road", "--area",
                          "Southend-on-Sea"),
    "streets": ("streets", "{demo}/incidents.csv", "--top", "5"),
    "shifts": SHIFTS + ("--officers", "7"),
    "shifts --current --sergeants": SHIFTS + ("--current", CURRENT, "--shift-hours", "8,10",
                                              "--sergeants", "2", "--out", "{tmp}/out"),
    "shifts --per-weekday": SHIFTS + ("--officers", "7", "--per-weekday"),
    "shifts --max-starts 4": SHIFTS + ("--officers", "7", "--max-starts", "4"),
    "brief": ("brief", "{demo}/demo.beatwise", "--out", "{tmp}/out"),
    "patrols": ("patrols", "{demo}/demo.beatwise", "--patrols", "{demo}/patrols.csv"),
    "emerging": ("emerging", "{demo}/incidents.csv", "--step", "month", "--min-steps", "5", "--out", "{tmp}/em"),
    "nearrepeat": ("nearrepeat", "{demo}/incidents.csv", "--permutations", "19", "--out", "{tmp}/nr"),
    "rota": ("rota", "{demo}/demo.beatwise", "--officers", "7", "--sergeants", "2", "--weeks", "2",
             "--time-limit-s", "4", "--out", "{tmp}/rota"),
}


@pytest.mark.parametrize("argv", CASES.values(), ids=CASES.keys())
def test_json_stdout_is_one_object(demo_dir, tmp_path, argv):
    run = beatwise(*(a.format(demo=demo_dir, tmp=tmp_path) for a in argv), "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)        # fails on anything before or after the one object
    assert isinstance(out, dict) and out
