"""patrol_report: one call for the CLI, the app and the briefing; pings_from_layer for projects."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.ingest.tracks import read_pings
from analysis.patrols.report import PatrolParams, demand_by_hotspot, patrol_report, pings_from_layer


@pytest.fixture(scope="module")
def demo_pings(demo_dir):
    from analysis.project import load_project

    project = load_project(demo_dir / "demo.beatwise")
    return project, read_pings([demo_dir / "patrols.csv"], working_crs=project.crs).pings


def test_pings_from_layer__demo_layer_goes_through_the_importer(demo_pings):
    project, pings = demo_pings
    got = pings_from_layer(project.patrols, project.crs)  # unit_id, timestamp (naive local)
    assert len(got) == len(pings) and str(got["t"].dt.tz) == "UTC"
    assert (got["t"].to_numpy() == pings["t"].to_numpy()).all()
    assert (got["unit_id"].to_numpy() == pings["unit_id"].to_numpy()).all()
    np.testing.assert_allclose(got.geometry.x.to_numpy(), pings.geometry.x.to_numpy(), atol=1e-6)


def test_pings_from_layer__saved_ping_layer_round_trip(demo_pings, tmp_path):
    import dataclasses

    from analysis.project import load_project, save_project

    project, pings = demo_pings
    path = save_project(dataclasses.replace(project, patrols=pings), tmp_path / "p.beatwise")
    back = load_project(path).patrols
    got = pings_from_layer(back)
    assert got["t"].dt.tz is not None
    assert (got["t"] == pings["t"]).all() and (got["flagged"] == pings["flagged"]).all()
    assert pings_from_layer(None) is None


def test_patrol_params__defaults_and_from_dict():
    from analysis.patrols import report, segments, visits

    assert report.DEFAULT_MAX_GAP_MIN == segments.DEFAULT_MAX_GAP_MIN
    assert (report.DEFAULT_VISIT_BUFFER_M, report.DEFAULT_KOPER_MIN, report.DEFAULT_DAY_START) == (
        visits.DEFAULT_VISIT_BUFFER_M, visits.DEFAULT_KOPER_MIN, visits.DEFAULT_DAY_START)
    p = PatrolParams()
    assert (p.max_gap_min, p.visit_buffer_m, p.koper_min, p.day_start) == (5.0, 15.0, 10.0, "06:00")
    assert PatrolParams.from_dict({"koper_min": "12", "max_gap_min": "x"}) == PatrolParams(koper_min=12.0)
    assert PatrolParams.from_dict(None) == p and PatrolParams.from_dict(p.to_dict()) == p


def test_patrol_report__demo_names_york_road_and_conserves_time(demo_pings, reference_areas):
    project, pings = demo_pings
    surface, areas = reference_areas
    rp = patrol_report(project.incidents, pings, areas, surface)
    assert rp.presence.total_s == pytest.approx(rp.presence.counted_gap_s)
    assert any("York Road" in g.name for g in rp.gap.gaps)
    assert rp.presence_by_weekday_hour().sum() == pytest.approx(rp.presence.presence_hours)
    _by, overall, _counts, n_timed = demand_by_hotspot(project.incidents, list(areas.to_geodataframe().geometry))
    assert rp.demand_by_weekday_hour().sum() == pytest.approx(overall.sum()) and n_timed == rp.n_timed


def test_patrol_report__no_pings_is_a_message(demo_pings, reference_areas):
    from analysis.progress import BeatwiseError

    project, pings = demo_pings
    surface, areas = reference_areas
    with pytest.raises(BeatwiseError, match="Import patrol data"):
        patrol_report(project.incidents, pings.iloc[:1], areas, surface)


@pytest.fixture(scope="module")
def reference_areas(demo_pings):
    from analysis.commands.patrols import _hotspots

    return _hotspots(demo_pings[0].incidents, None)


def test_hotspots_for_patrols__study_area_from_the_data_band_as_beatwise_hotspots(tmp_path, capsys):
    """Two villages 8 km apart: the KDE bandwidth (1 km) would let the study area reach 1 km into the
    fields between them; the data-driven Gi* band (the spacing of the places) does not, and the
    patrol comparison must bound its statistics by the same cells as ``beatwise hotspots``."""
    import json

    import pandas as pd

    from analysis.cli import main
    from analysis.hotspots.grid import points_xy
    from analysis.hotspots.study_area import study_area_for
    from analysis.ingest.columns import ColumnMapping
    from analysis.ingest.incidents import read_incidents
    from analysis.patrols.report import hotspots_for_patrols

    rng = np.random.default_rng(1)
    x = np.round(np.r_[560000 + rng.normal(0, 150, 300), 568000 + rng.normal(0, 150, 300)])
    y = np.round(190000 + rng.normal(0, 150, 600))
    t = pd.Timestamp("2025-01-06") + pd.to_timedelta(rng.integers(0, 28 * 86400, 600), unit="s")
    path = tmp_path / "villages.csv"
    pd.DataFrame({"x": x, "y": y, "datetime": t.strftime("%Y-%m-%d %H:%M"), "crime_type": "Burglary"}).to_csv(
        path, index=False)
    assert main(["hotspots", str(path), "--crs", "EPSG:27700", "--out", str(tmp_path / "hs"), "--json"]) == 0
    hotspots_km2 = json.loads(capsys.readouterr().out)["study_area_km2"]
    incidents = read_incidents([path], ColumnMapping(crs="EPSG:27700")).incidents
    surface, areas = hotspots_for_patrols(incidents)
    assert areas.study_area_km2 == pytest.approx(hotspots_km2)
    xy, _ = points_xy(incidents)
    by_bandwidth = study_area_for(xy, surface.grid, band_m=surface.bandwidth_m)   # the rule replaced
    assert by_bandwidth.area_km2 > 1.1 * hotspots_km2 and by_bandwidth.reach_m > 1000
