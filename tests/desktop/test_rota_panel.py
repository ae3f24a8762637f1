"""Rota dock: a rota shown as a grid; typing a code re-checks the rules at once and updates the
coverage; export writes the files; Run goes through the task manager."""
from __future__ import annotations

import datetime as dt

import pytest

from analysis.staffing.rota import make_rota
from analysis.staffing.rules import load_rules
from analysis.staffing.team import numbered_team, parse_templates
from desktop.tasks import RotaRun

START = dt.date(2027, 3, 29)          # Easter Monday: a bank holiday in England and Wales


@pytest.fixture(scope="module")
def rota_run(demo):
    from analysis.staffing.demand import demand_from_incidents
    demand = demand_from_incidents(demo.incidents).per_hour
    rules = load_rules()
    res = make_rota(demand, numbered_team(6, 1), parse_templates("E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"),
                    rules, start=START, weeks=1, cycle_weeks=0, time_limit_s=5)
    assert res.feasible, res.status
    return RotaRun(res, demand, rules)


@pytest.fixture
def panel(window, qtbot):
    return window.rota_panel


def test_rota_panel__grid_shows_the_rota_and_bank_holidays(panel, rota_run):
    panel.show_run(rota_run)
    rota = rota_run.result.rota
    assert panel.grid.rowCount() == 7 and panel.grid.columnCount() == 7
    assert [panel.grid.item(i, 0).text() for i in range(7)] == [row[0] for row in rota.cells]
    assert "BH" in panel.grid.horizontalHeaderItem(0).text()
    assert panel.coverage_label.text() == f"Coverage {rota_run.result.check.coverage:.1%}"
    assert panel.rules_label.text() == "Every hard rule kept." and panel.export_button.isEnabled()


def test_rota_panel__editing_a_cell_rechecks_at_once(panel, rota_run):
    from analysis.staffing.rota_check import check_rota
    panel.show_run(rota_run)
    i = 1                                               # a constable
    panel.grid.item(i, 2).setText("l")                  # a late, then an early: 7 h between tours
    panel.grid.item(i, 3).setText("E")
    assert panel.rota.cells[i][2:4] == ("L", "E") and panel.grid.item(i, 2).text() == "L"
    assert "daily_rest" in panel.rules_label.text() and "PC01" in panel.rules_label.text()
    expected = check_rota(panel.rota, rota_run.rules, rota_run.demand).coverage
    assert panel.coverage_label.text() == f"Coverage {expected:.1%}"
    panel.grid.item(i, 2).setText("nonsense")           # refused and put back
    assert panel.grid.item(i, 2).text() == "L" and panel.rota.cells[i][2] == "L"


def test_rota_panel__export_writes_the_files(panel, rota_run, tmp_path):
    panel.show_run(rota_run)
    files = panel.export(tmp_path)
    names = {f.name for f in files}
    assert {"rota.csv", "rota.xlsx", "rota.pdf", "rota_PS01.ics"} <= names


def test_rota_panel__run_makes_a_rota_through_the_task_manager(demo_window, qtbot):
    panel = demo_window.rota_panel
    panel.officers.setValue(6)
    panel.sergeants.setValue(1)
    panel.weeks.setValue(1)
    panel.cycle.setValue(0)
    panel.time_limit.setValue(3)
    assert panel.start() is not None
    qtbot.waitUntil(lambda: panel.rota is not None, timeout=60_000)
    assert panel.grid.rowCount() == 7 and panel.check.hard_ok
