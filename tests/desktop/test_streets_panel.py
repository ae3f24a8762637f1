"""The Streets panel on data it cannot rank (no location text, no street layer), and a month-only
street profile."""
from __future__ import annotations

import pytest

from tests.conftest import shared_path
from tests.desktop.conftest import wait_idle


def _no_location_text(which, coordinates_only_csv):
    return coordinates_only_csv if which == "memphis" else shared_path(
        "timed", "nyc_motor_vehicle_thefts_2014_2017_from_to.csv")


@pytest.mark.parametrize("which", ["memphis", "nyc"])
def test_streets__timed_data_without_location_text_says_add_a_street_layer(window, qtbot, coordinates_only_csv,
                                                                            which):
    """Regression: on timed data without location text (Memphis robberies) the Streets panel failed
    with an error dialog instead of saying what to do."""
    from analysis.ingest.incidents import read_incidents
    from analysis.project import Project
    from desktop.panels.streets_panel import NO_STREET_NAMES
    from desktop.tasks import NoStreets

    result = read_incidents([_no_location_text(which, coordinates_only_csv)])
    w = window
    w.model.set_project(Project.from_import(result, title=which), None)
    wait_idle(w, qtbot)
    w.run_streets()
    wait_idle(w, qtbot)
    assert not w.errors and w.error_box is None
    assert isinstance(w.model.result("streets"), NoStreets)
    panel = w.streets_panel
    assert NO_STREET_NAMES == "No street names: add a street layer (File > Add street layer)"
    assert panel.summary.text().startswith(NO_STREET_NAMES)
    assert f"{len(result.incidents):,} incidents have no location text" in panel.summary.text()
    assert panel.add_layer_button.isVisible() and panel.table.rowCount() == 0
    assert not panel.split.isVisible()  # no empty table and heatmap under the message
    assert w.temporal_panel.street.count() == 1  # only "All streets"


def test_streets__add_street_layer_button(qtbot):
    from desktop.panels.streets_panel import StreetsPanel
    from desktop.tasks import NoStreets

    panel = StreetsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_ranking(NoStreets("no location text", 12))
    with qtbot.waitSignal(panel.addLayerRequested, timeout=1000):
        panel.add_layer_button.click()
    panel.show_ranking(None)
    assert not panel.add_layer_button.isVisible() and panel.summary.text() == ""
    assert panel.split.isVisible()


def test_street_profile__month_only_shows_months_not_an_empty_heatmap(qtbot, rutland_months):
    from analysis.hotspots.street_ranking import rank_streets, street_profile
    from desktop.panels.streets_panel import StreetsPanel
    from desktop.tasks import StreetRun

    incidents, _ = rutland_months
    top = rank_streets(incidents).streets[0]
    profile = street_profile(incidents, top.name, area=top.area)
    panel = StreetsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_profile(StreetRun(profile, top.name, top.area, None))
    view = panel.profile_view
    assert view.showing_months and view.month_view.bars.months == list(profile.temporal.by_month)
    assert sum(view.month_view.bars.values) == pytest.approx(top.incidents)
    assert "No times of day" in panel.profile_title.text()
