"""Shifts dock: the plan, coverage and chart equal analysis/staffing/timing.py's recommendation."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QTime, Qt

from tests.desktop.conftest import wait_idle


@pytest.fixture(scope="module")
def reference_shifts(demo):
    from analysis.staffing.demand import demand_from_incidents
    from analysis.staffing.timing import recommend_shifts

    demand = demand_from_incidents(demo.incidents)
    return demand, recommend_shifts(demand.per_hour, officers=7, current=demo.settings["current_rota"])


def test_shifts__plan_and_coverage_from_analysis_shifts(demo_window, reference_shifts, qtbot):
    demand, ref = reference_shifts
    w = demo_window
    panel = w.shifts_panel
    assert panel.rota.spec() == "07:00-17:00x4,14:00-00:00x3"  # the demo's current rota
    assert panel.params().officers == 7 and panel.applicable(w.model)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.model.result("shifts") is not None, timeout=120_000)
    run = w.model.result("shifts")
    best, rbest = run.recommendation.best, ref.best
    np.testing.assert_allclose(run.demand.per_hour, demand.per_hour)
    assert best.on_duty == rbest.on_duty and best.coverage == pytest.approx(rbest.coverage)
    assert [s.label() for s in best.shifts] == [s.label() for s in rbest.shifts]
    # large type: the two coverage figures; the plain-English summary; the plan table
    assert panel.coverage_label.text() == f"{rbest.coverage:.0%}"
    assert panel.current_label.text() == f"{ref.current.coverage:.0%}"
    assert panel.coverage_label.font().pointSizeF() > 1.8 * panel.summary.font().pointSizeF()
    assert panel.summary.text() == rbest.summary
    table = panel.table
    assert table.rowCount() == len(rbest.shifts)
    for r, s in enumerate(rbest.shifts):
        assert (table.item(r, 1).text(), table.item(r, 2).text(), table.item(r, 3).text()) == (
            s.start, s.end, str(s.officers))
    # the chart: on-duty steps of the plan and the current rota, demand on its own axis
    curves = [it for it in panel.chart.items if hasattr(it, "yData")]
    ys = [np.asarray(c.yData) for c in curves]
    assert any(np.array_equal(y, np.asarray(rbest.on_duty, float)) for y in ys)
    assert any(np.allclose(y, ref.current.on_duty) for y in ys)
    assert any(np.allclose(y, demand.per_hour) for y in ys)
    assert "Saturday 00:00" in panel.chart.describe(5 * 24)
    assert w.model.setting("shift_params")["officers"] == 7


def test_shifts__rota_editor_round_trip_and_rules(demo_window, qtbot):
    panel = demo_window.shifts_panel
    panel.rota.add_row(QTime(22, 0), QTime(6, 0), 2)
    assert panel.rota.spec() == "07:00-17:00x4,14:00-00:00x3,22:00-06:00x2"
    assert panel.rota.officers() == 9
    panel.rota.table.selectRow(0)
    panel.rota.remove_selected()
    assert panel.rota.spec() == "14:00-00:00x3,22:00-06:00x2"
    panel.lengths[8].setChecked(False)
    panel.lengths[10].setChecked(True)
    panel.lengths[12].setChecked(True)
    assert panel.params().shift_hours == (10, 12)
    assert panel.params().time_limit_s == 30.0
    panel.time_limit.setValue(5)
    assert panel.params().time_limit_s == 5.0
    panel.set_params(panel.params())
    assert panel.time_limit.value() == 5


def test_shifts__time_limit_reaches_the_solver(demo_window, qtbot, monkeypatch):
    import analysis.staffing.timing as sh

    seen = {}
    real = sh.recommend_shifts

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(sh, "recommend_shifts", spy)
    panel = demo_window.shifts_panel
    panel.time_limit.setValue(7)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: demo_window.model.result("shifts") is not None, timeout=120_000)
    assert seen["time_limit_s"] == 7.0


def test_shifts__month_only_data_says_why_and_does_not_run(window, qtbot):
    from analysis.ingest.incidents import read_incidents
    from analysis.project import Project
    from tests.conftest import shared_path

    path = shared_path("police_uk", "2024-01_to_2024-04-rutland-street.csv")
    project = Project.from_import(read_incidents(path), title="Rutland")
    window.model.set_project(project)
    wait_idle(window, qtbot)
    panel = window.shifts_panel
    assert not panel.isHidden() and not panel.applicable(window.model)
    assert "no time of day" in panel.note.text() and not panel.note.isHidden()
    window.run_shifts()
    assert not window.tasks.is_running("shifts")
