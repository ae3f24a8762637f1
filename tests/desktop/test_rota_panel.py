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


def _small_and_quick(panel) -> None:
    """6 constables and a sergeant, one week, a free roster, 3 s of solving."""
    panel.officers.setValue(6)
    panel.sergeants.setValue(1)
    panel.weeks.setValue(1)
    panel.cycle.setValue(0)
    panel.time_limit.setValue(3)


def test_rota_panel__run_makes_a_rota_through_the_task_manager(demo_window, qtbot):
    panel = demo_window.rota_panel
    _small_and_quick(panel)
    assert panel.start() is not None
    qtbot.waitUntil(lambda: panel.rota is not None, timeout=60_000)
    assert panel.grid.rowCount() == 7 and panel.check.hard_ok


# ---------------------------------------------------------------------- the team table
TOURS = "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"
LEAVE_DAY = START + dt.timedelta(days=2)


def _cell(panel, row, col, text):
    panel.team_table.item(row, col).setText(text)


def test_rota_panel__team_table_starts_as_the_numbered_team(window):
    from desktop.panels.rota_panel import COL_ID, COL_RANK
    panel = window.rota_panel
    t = panel.team_table
    assert t.rowCount() == 9 and t.item(0, COL_ID).text() == "PS01" and t.item(2, COL_ID).text() == "PC01"
    assert t.cellWidget(0, COL_RANK).currentText() == "PS"
    assert [o.to_dict() for o in panel.team()] == [o.to_dict() for o in numbered_team(7, 2)]
    panel.officers.setValue(4)                          # not edited: the boxes rebuild it
    assert t.rowCount() == 6 and not panel.team_edited
    _cell(panel, 2, COL_ID, "C1234")                    # edited: the boxes leave it alone
    panel.officers.setValue(5)
    assert t.rowCount() == 6 and panel.team_edited and t.item(2, COL_ID).text() == "C1234"
    panel.numbered()                                    # ... until Numbered team
    assert t.rowCount() == 7 and t.item(2, COL_ID).text() == "PC01" and not panel.team_edited
    panel.add_officer()
    assert t.rowCount() == 8 and t.item(7, COL_ID).text() == "PC06" and panel.team_edited
    t.selectRow(0)
    panel.remove_officers()
    assert t.rowCount() == 7 and [o.rank for o in panel.team()].count("PS") == 1


def test_rota_panel__edited_team_makes_the_rota_that_keeps_it(demo_window, qtbot):
    """A part-timer at 20 h, an officer who may not work nights and a day of leave, typed into
    the table: the rota keeps them, as make_rota does with the same officers."""
    from PySide6.QtCore import Qt

    from analysis.staffing.demand import demand_from_incidents
    from analysis.staffing.team import Officer
    from desktop.panels.rota_panel import COL_HOURS, COL_LEAVE, COL_NAME, COL_NIGHTS, COL_RANK
    panel = demo_window.rota_panel
    _small_and_quick(panel)
    panel.start_date.setDate(START)
    panel.templates.setText(TOURS)
    _cell(panel, 2, COL_HOURS, "20")                    # PC02 part-time
    _cell(panel, 2, COL_NAME, "Pat Part")
    panel.team_table.item(3, COL_NIGHTS).setCheckState(Qt.CheckState.Unchecked)   # PC03: no nights
    _cell(panel, 4, COL_LEAVE, LEAVE_DAY.isoformat())   # PC04: a day of annual leave
    assert panel.team_table.cellWidget(2, COL_RANK).currentText() == "PC"
    expected_team = (Officer("PS01", "PS"), Officer("PC01"), Officer("PC02", name="Pat Part", hours_per_week=20),
                     Officer("PC03", nights_ok=False), Officer("PC04", leave=frozenset({LEAVE_DAY})),
                     Officer("PC05"), Officer("PC06"))
    assert [o.to_dict() for o in panel.team()] == [o.to_dict() for o in expected_team]
    assert panel.start() is not None
    qtbot.waitUntil(lambda: panel.rota is not None, timeout=60_000)
    res = panel.run_result.result
    rota, check = res.rota, res.check
    assert [o.to_dict() for o in rota.officers] == [o.to_dict() for o in expected_team]
    assert check.hard_ok and panel.rules_label.text() == "Every hard rule kept."
    row = {o.officer_id: i for i, o in enumerate(rota.officers)}
    assert "N" not in rota.cells[row["PC03"]]
    assert rota.cells[row["PC04"]][2] == "AL" and panel.grid.item(row["PC04"], 2).text() == "AL"
    stats = {s["officer_id"]: s for s in check.officers}
    assert abs(stats["PC02"]["hours"] - 20) <= 2 and abs(stats["PC01"]["hours"] - 40) <= 2
    direct = make_rota(demand_from_incidents(demo_window.model.project.incidents).per_hour, expected_team,
                       parse_templates(TOURS), load_rules(), start=START, weeks=1, cycle_weeks=0, time_limit_s=5)
    assert direct.status == res.status == "optimal"     # the same problem: the same best coverage
    assert direct.check.coverage == pytest.approx(check.coverage)


def test_rota_panel__load_team_reads_a_csv_and_names_a_bad_row(demo_window, tmp_path):
    from PySide6.QtCore import Qt

    from desktop.panels.rota_panel import COL_HOURS, COL_ID, COL_LEAVE, COL_NIGHTS, COL_RANK
    window = demo_window
    panel = window.rota_panel
    good = tmp_path / "team.csv"
    good.write_text("officer_id,name,rank,hours_per_week,nights_ok,leave,rest_days\n"
                    "S9,Sam,PS,,yes,,\nC1,Ann,PC,24,no,2027-04-01..2027-04-02,2027-04-04\nC2,Bo,pcso,,,,\n")
    assert panel.load_team(good)
    t = panel.team_table
    assert t.rowCount() == 3 and t.item(1, COL_ID).text() == "C1" and t.item(1, COL_HOURS).text() == "24"
    assert t.cellWidget(2, COL_RANK).currentText() == "PCSO" and t.item(1, COL_NIGHTS).checkState() == Qt.CheckState.Unchecked
    assert t.item(1, COL_LEAVE).text() == "2027-04-01;2027-04-02" and "3 officers loaded" in panel.team_status.text()
    team = panel.team()
    assert team[1].hours_per_week == 24 and not team[1].nights_ok and len(team[1].leave) == 2 and team[2].rank == "PCSO"
    bad = tmp_path / "bad.csv"
    bad.write_text("officer_id,rank,hours_per_week\nC1,PC,40\nC2,XX,lots\n")
    assert not panel.load_team(bad)                     # the table is left alone; the reason shown
    assert panel.team_status.text() == f"Team not loaded: {bad}, row 3: rank 'XX' is not one of PC, PS, PCSO"
    assert t.rowCount() == 3
    _cell(panel, 1, COL_HOURS, "lots")                  # typed into the table: named at Make rota
    assert panel.start() is None and not window.tasks.is_running("rota")
    assert panel.team_status.text() == "Team table, row 2: hours_per_week 'lots' is not a number"


def test_rota_panel__team_is_kept_in_the_project(demo_window, tmp_path, qtbot):
    from PySide6.QtCore import Qt

    from analysis.project import load_project
    from desktop.panels.rota_panel import COL_HOURS, COL_LEAVE, COL_NIGHTS, TEAM_SETTING
    w = demo_window
    panel = w.rota_panel
    w.model.project.patrols = None                      # a smaller file: quicker test
    w.model.set_dirty(False)
    assert w.model.setting(TEAM_SETTING) is None        # a numbered team is not kept
    panel.add_officer()
    _cell(panel, 9, COL_HOURS, "20")
    _cell(panel, 3, COL_LEAVE, "2027-04-01..2027-04-03")
    panel.team_table.item(4, COL_NIGHTS).setCheckState(Qt.CheckState.Unchecked)
    assert w.model.dirty
    team = panel.team()
    saved = tmp_path / "team.beatwise"
    w.save_to(saved)
    qtbot.waitUntil(lambda: not w.tasks.is_running() and not w.model.dirty, timeout=60_000)
    assert load_project(saved).settings[TEAM_SETTING] == panel.team_rows()
    panel.numbered()                                    # changed after saving; then reopened
    assert panel.team_table.rowCount() == 9
    w.model.set_dirty(False)
    w.open_path(saved)
    qtbot.waitUntil(lambda: w.model.path == saved and not w.tasks.is_running(), timeout=60_000)
    assert panel.team_table.rowCount() == 10 and panel.team_edited and not w.model.dirty
    assert panel.team() == team
    assert team[9].hours_per_week == 20 and len(team[3].leave) == 3 and not team[4].nights_ok


# ---------------------------------------------------------------------- the rule pack
def test_rota_panel__own_rule_pack_file_is_used_and_a_bad_one_named(demo_window, qtbot, tmp_path):
    """File... adds the user's TOML copy to the packs and Make rota reads it (its title and changed
    number are the run's); a broken copy is refused with a message in the panel naming the file,
    and the last rota stays."""
    from importlib import resources

    text = (resources.files("analysis.staffing") / "rulepacks" / "england-wales.toml").read_text(encoding="utf-8")
    title = 'title = "England and Wales: Police Regulations 2003 Annex E, Working Time Regulations 1998"'
    assert title in text
    own = tmp_path / "our-force.toml"
    own.write_text(text.replace(title, 'title = "Our force: four nights at most, three here"'), encoding="utf-8")
    panel = demo_window.rota_panel
    _small_and_quick(panel)
    panel.use_rules_file(own)
    assert panel.rules.currentText() == "our-force.toml (file)" and panel.rules_choice() == str(own)
    panel.use_rules_file(own)                       # the same file again: chosen, not listed twice
    assert [panel.rules.itemText(i) for i in range(panel.rules.count())].count("our-force.toml (file)") == 1
    assert panel.start() is not None
    qtbot.waitUntil(lambda: panel.run_result is not None, timeout=60_000)
    assert panel.run_result.rules.title == "Our force: four nights at most, three here"
    assert panel.check.hard_ok
    bad = tmp_path / "broken.toml"
    bad.write_text("this is [not toml", encoding="utf-8")
    panel.use_rules_file(bad)
    previous = panel.run_result
    assert panel.start() is not None
    qtbot.waitUntil(lambda: "broken.toml" in panel.status.text(), timeout=30_000)
    assert panel.run_result is previous               # the last rota stays
    panel.rules.setCurrentText("england-wales")
    assert panel.rules_choice() == "england-wales"
