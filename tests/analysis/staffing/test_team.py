"""analysis.staffing.team: team files, templates, and bad input named by file and row."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.progress import BeatwiseError
from analysis.staffing.rules import load_rules
from analysis.staffing.team import (check_team, numbered_team, parse_templates, read_team,
                                    templates_from_shifts)
from analysis.staffing.week import Shift

START = dt.date(2027, 1, 4)
DATES = [START + dt.timedelta(days=k) for k in range(28)]
TP = "E=07:00-17:00,L=14:00-00:00,N=22:00-07:00"


def test_parse_templates__codes_times_and_midnight():
    e, l, n = parse_templates(TP)
    assert (e.code, e.start_min, e.length_min) == ("E", 420, 600)
    assert l.length_min == 600 and n.length_min == 540 and n.end_min == 1860


@pytest.mark.parametrize("spec, message", [
    ("E=07:00-20:00", "13 hours, longer than the 12"),
    ("E=07:00-17:00,E=14:00-00:00", "given twice"),
    ("R=07:00-17:00", "reserved"),
    ("E=07:00", "cannot read"),
    ("E=07:00-07:00", "same time"),
    ("E=25:00-07:00", "impossible"),
])
def test_parse_templates__bad_spec_is_a_message(spec, message):
    with pytest.raises(BeatwiseError, match=message):
        parse_templates(spec)


def test_templates_from_shifts__one_per_start_and_length():
    tps = templates_from_shifts([Shift(420, 480, 3), Shift(420, 600, 2), Shift(1320, 540, 2),
                                 Shift(420, 480, 1, (5, 6))])
    assert [(t.code, t.start_min, t.length_min) for t in tps] == [
        ("T07", 420, 480), ("T07a", 420, 600), ("T22", 1320, 540)]


def test_read_team__csv_and_xlsx(tmp_path):
    frame = pd.DataFrame({"officer_id": ["A1", "A2", "S1"], "name": ["Ann", "Bo", "Cy"],
                          "rank": ["PC", "pcso", "PS"], "hours_per_week": ["40", "24", ""],
                          "nights_ok": ["yes", "no", ""],
                          "leave": ["2027-01-05..2027-01-07", "", "2027-01-20;2027-01-21"],
                          "rest_days": ["", "2027-01-09", ""]})
    frame.to_csv(tmp_path / "team.csv", index=False)
    frame.to_excel(tmp_path / "team.xlsx", index=False)
    for name in ("team.csv", "team.xlsx"):
        team = read_team(tmp_path / name)
        assert [o.rank for o in team] == ["PC", "PCSO", "PS"]
        assert team[1].hours_per_week == 24 and not team[1].nights_ok and team[2].nights_ok
        assert len(team[0].leave) == 3 and team[1].rest_days == {dt.date(2027, 1, 9)}


@pytest.mark.parametrize("rows, message", [
    ("officer_id,rank\nA1,PC\nA2,PC\nA1,PS\n", r"row 4: officer_id A1 is a duplicate of row 2"),
    ("officer_id,rank\nA1,PCX\n", r"row 2: rank 'PCX'"),
    ("officer_id,hours_per_week\nA1,lots\n", r"row 2: hours_per_week 'lots'"),
    ("officer_id,hours_per_week\nA1,60\n", r"row 2: hours_per_week 60 is outside"),
    ("officer_id,nights_ok\nA1,sometimes\n", r"row 2: nights_ok"),
    ("officer_id,leave\nA1,5th of May\n", r"row 2, leave: cannot read the date"),
    ("id,rank\nA1,PC\n", r"no officer_id column"),
    ("officer_id,rank\n,PC\n", r"row 2: officer_id is empty"),
])
def test_read_team__bad_rows_named(tmp_path, rows, message):
    p = tmp_path / "team.csv"
    p.write_text(rows)
    with pytest.raises(BeatwiseError, match=message) as exc:
        read_team(p)
    assert str(p) in str(exc.value)


def test_check_team__part_timer_hours_that_cannot_fit_the_templates(tmp_path):
    p = tmp_path / "team.csv"
    ten = parse_templates("E=07:00-17:00")
    p.write_text("officer_id,hours_per_week\nA1,40\nA2,20\n")     # 80 h in 4 weeks: 8 tours
    check_team(read_team(p), ten, DATES, load_rules())
    from importlib import resources
    text = (resources.files("analysis.staffing") / "rulepacks" / "england-wales.toml").read_text()
    (tmp_path / "tight.toml").write_text(text.replace("tolerance_h_per_week = 2.0",
                                                      "tolerance_h_per_week = 0.5"))
    tight = load_rules(tmp_path / "tight.toml")
    p.write_text("officer_id,hours_per_week\nA1,40\nA2,16\n")     # 64 h +- 2 h: 10-hour tours miss
    with pytest.raises(BeatwiseError, match=r"row 3 \(officer A2\): 16 hours a week cannot be worked "
                                            r"with tours of 10 hours"):
        check_team(read_team(p), ten, DATES, tight)
    check_team(read_team(p), parse_templates("E=07:00-17:00,S=07:00-15:00"), DATES, tight)  # 8 x 8 h


def test_check_team__leave_covering_the_whole_horizon():
    team = numbered_team(2)
    team = (team[0], type(team[1])("PC02", leave=frozenset(DATES)))
    with pytest.raises(BeatwiseError, match="PC02: leave covers every day"):
        check_team(team, parse_templates(TP), DATES, load_rules())


def test_numbered_team__sergeants_first():
    team = numbered_team(3, 2)
    assert [o.officer_id for o in team] == ["PS01", "PS02", "PC01", "PC02", "PC03"]
    with pytest.raises(BeatwiseError):
        numbered_team(0)


def test_officers_from_rows__the_table_the_app_edits():
    from analysis.staffing.team import officers_from_rows, team_rows
    team = officers_from_rows([
        {"officer_id": " S1 ", "rank": "ps", "name": "Sgt Cy"},
        {"officer_id": "A2", "hours_per_week": "20", "nights_ok": "no",
         "leave": "2027-01-05..2027-01-06", "rest_days": "2027-01-09"},
        {"officer_id": "A3", "rank": "", "hours_per_week": "", "nights_ok": ""}], source="Team table")
    assert [(o.officer_id, o.rank, o.hours_per_week, o.nights_ok) for o in team] == [
        ("S1", "PS", 40, True), ("A2", "PC", 20, False), ("A3", "PC", 40, True)]
    assert team[1].leave == {dt.date(2027, 1, 5), dt.date(2027, 1, 6)} and team[0].name == "Sgt Cy"
    assert team[1].source == "Team table, row 2"
    assert officers_from_rows(team_rows(team)) == tuple(
        type(o)(**{**o.__dict__, "source": f"row {i + 1}"}) for i, o in enumerate(team))


@pytest.mark.parametrize("rows, message", [
    ([{"officer_id": "A1"}, {"officer_id": "A2", "rank": "XX"}], r"^Team table, row 2: rank 'XX' is not one of PC, PS, PCSO$"),
    ([{"officer_id": "A1", "hours_per_week": "lots"}], r"^Team table, row 1: hours_per_week 'lots' is not a number$"),
    ([{"officer_id": "A1"}, {"officer_id": "A1"}], r"row 2: officer_id A1 is a duplicate of row 1"),
    ([{"officer_id": "A1", "rest_days": "2027-02-30"}], r"row 1, rest_days: cannot read the date"),
    ([{"officer_id": "A1", "leave": "2027-01-09..2027-01-05"}], r"row 1, leave: cannot read the date"),
    ([], r"^Team table: no officers$"),
])
def test_officers_from_rows__bad_row_named(rows, message):
    from analysis.staffing.team import officers_from_rows
    with pytest.raises(BeatwiseError, match=message):
        officers_from_rows(rows, source="Team table")
