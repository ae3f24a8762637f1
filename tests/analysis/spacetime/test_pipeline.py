"""The space-time pipeline: the same results as ``beatwise emerging`` / ``nearrepeat`` (their JSON) and
as the steps called one by one; the messages when the data cannot support an analysis."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.progress import BeatwiseError, Cancelled
from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[3]
CRIME = ("Violence and sexual offences",)


def beatwise(*args):
    return subprocess.run([sys.executable, "-m", "analysis.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


@pytest.fixture(scope="module")
def violence():
    """The demo's 3,213 violent incidents (synthetic, minute times over a year)."""
    from analysis.demo import demo_project
    from analysis.filters import Filters, apply_filters

    return apply_filters(demo_project().incidents, Filters(crime_types=CRIME))


@pytest.fixture(scope="module")
def chicago_burglary():
    from analysis.filters import Filters, apply_filters
    from analysis.ingest.incidents import read_incidents

    path = shared_path("timed", "chicago_crimes_sample_2017_2019.csv")
    inc = read_incidents([path], geometry=False).incidents
    return path, apply_filters(inc, Filters(crime_types=("BURGLARY",)))


def _json(value):
    return json.loads(json.dumps(value))


def test_emerging_run__equals_the_cli_json(chicago_burglary):
    from analysis.spacetime.pipeline import emerging_run

    path, inc = chicago_burglary
    cli = beatwise("emerging", path, "--crime-type", "BURGLARY", "--step", "month", "--cell-m", "400", "--json")
    assert cli.returncode == 0, cli.stderr
    d = json.loads(cli.stdout)
    run = emerging_run(inc, step="month", cell_m=400.0)
    for key in ("input", "import", "filters"):
        d.pop(key)
    assert d == _json(run.summary())
    assert run.step == "month" and run.result.steps[0] == "2017-01" and run.n_incidents == d["n_incidents"] > 500


def test_knox_run__equals_the_cli_json(chicago_burglary):
    from analysis.spacetime.pipeline import knox_run

    path, inc = chicago_burglary
    cli = beatwise("nearrepeat", path, "--crime-type", "BURGLARY", "--permutations", "19", "--seed", "3", "--json")
    assert cli.returncode == 0, cli.stderr
    d = json.loads(cli.stdout)
    run = knox_run(inc, permutations=19, seed=3, crime="burglary")
    for key in ("input", "import", "filters", "note"):
        d.pop(key)
    assert d == _json(run.summary())
    assert "incident of burglary" in d["sentence"] or d["sentence"].startswith("No distance")


def test_emerging_run__equals_the_steps_called_directly(violence):
    from analysis.hotspots.gistar import data_gi_distance_m
    from analysis.hotspots.grid import GridSpec, points_xy
    from analysis.hotspots.outliers import without_outliers
    from analysis.hotspots.study_area import study_area_for
    from analysis.spacetime.emerging import emerging_hot_spots
    from analysis.spacetime.pipeline import DEFAULT_CELL_M, emerging_run
    from analysis.spacetime.steps import time_steps

    seen = []
    run = emerging_run(violence, progress=lambda f, m: seen.append(f))
    inc, outliers = without_outliers(violence)
    keep, index, labels = time_steps(inc["t_start"].to_numpy(), inc["time_precision"].astype(str).to_numpy(), "week")
    xy = points_xy(inc)[0][keep]
    grid = GridSpec.for_points(xy, cell_m=DEFAULT_CELL_M, margin_m=2 * DEFAULT_CELL_M, crs=run.crs)
    band, rule = data_gi_distance_m(xy, grid)
    ref = emerging_hot_spots(index, labels, xy, grid, study_area_for(xy, grid, band_m=band), distance_m=band)
    assert run.step == "week" and len(run.result.steps) == 52 and run.distance_rule == rule
    np.testing.assert_array_equal(run.result.classes, ref.classes)
    np.testing.assert_array_equal(run.result.z, ref.z)
    assert run.result.class_counts() == ref.class_counts() and run.n_incidents == int(keep.sum())
    assert run.outliers.n == outliers.n
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)   # progress from start to end


def test_knox_run__equals_knox_test_on_the_dates(violence):
    from analysis.hotspots.grid import points_xy
    from analysis.spacetime.near_repeat import knox_test
    from analysis.spacetime.pipeline import incident_days, knox_run

    run = knox_run(violence, permutations=19)
    keep, days = incident_days(violence)
    ref = knox_test(points_xy(violence)[0][keep], days, permutations=19)
    assert run.result.summary() == ref.summary() and run.n_without_date == 0
    np.testing.assert_array_equal(days, violence["t_start"].to_numpy().astype("datetime64[D]").astype(np.int64))


def test_pipeline__month_only_and_too_few_steps_are_messages(violence):
    from analysis.spacetime.pipeline import emerging_run, knox_run, spacetime_runs

    months = violence.copy()
    months["time_precision"] = "month"
    with pytest.raises(BeatwiseError, match="months only"):
        knox_run(months)
    short = violence[violence["t_start"] < violence["t_start"].min() + np.timedelta64(35, "D")]
    with pytest.raises(BeatwiseError, match=r"time steps .*needs at least 10"):
        emerging_run(short)
    with pytest.raises(BeatwiseError, match="no incidents"):
        emerging_run(violence.iloc[:0])
    runs = spacetime_runs(short, permutations=19)   # one failing does not stop the other
    assert runs.emerging is None and "at least 10" in runs.emerging_note
    assert runs.knox is not None and runs.knox_note == ""


def test_spacetime_runs__cancel_goes_through(violence):
    from analysis.spacetime.pipeline import spacetime_runs

    def progress(fraction, message):
        if message.startswith("Near-repeat: permutation"):
            raise Cancelled

    with pytest.raises(Cancelled):
        spacetime_runs(violence, permutations=199, progress=progress)
