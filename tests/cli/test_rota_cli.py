"""``beatwise rota``: the files, the JSON, --check on our own rota and on a broken one, errors."""
from __future__ import annotations

import csv
import json

import pytest

from analysis.cli import main

ARGS = ("--start", "2027-01-04", "--time-limit-s", "8")


def run(capsys, *argv):
    code = main(["rota", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def made(demo_dir, tmp_path_factory):
    """A 2-week rota of 2 sergeants and 7 constables on the demo, written to a folder."""
    out = tmp_path_factory.mktemp("rota")
    code = main(["rota", str(demo_dir / "demo.beatwise"), "--officers", "7", "--sergeants", "2",
                 "--weeks", "2", *ARGS, "--out", str(out), "--json"])
    assert code == 0
    return out


def test_rota_cli__writes_csv_xlsx_json_and_one_ics_per_officer(made):
    d = json.loads((made / "rota.json").read_text())
    assert d["status"] in ("optimal", "feasible") and 0 <= d["gap"] < 1
    assert d["check"]["hard_rules_kept"] and d["days"] == 14
    assert d["coverage"] > d["current"]["coverage"] and d["beats_current"]
    assert {r["name"] for r in d["rules"]["rules"]} >= {"daily_rest", "fair_nights"}
    assert len(list(made.glob("rota_*.ics"))) == 9 and (made / "rota.xlsx").stat().st_size > 0
    pdf = (made / "rota.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") <= 2
    assert b"/FontFile2" in pdf                   # TrueType, not Type 3
    import openpyxl
    ws = openpyxl.load_workbook(made / "rota.xlsx")["Rota"]
    assert ws.cell(row=2, column=4).value == "Mon 04 Jan" and ws.max_row == 3 + 9
    per = {o["officer_id"]: o for o in d["check"]["officers"]}
    assert set(per) == {f"PC0{k}" for k in range(1, 8)} | {"PS01", "PS02"}
    with open(made / "rota.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["officer_id", "name", "rank", "2027-01-04"] and rows[1][0] == "(bank holiday)"
    assert len(rows) == 11
    ics = (made / "rota_PC01.ics").read_text()
    assert ics.count("BEGIN:VEVENT") == 14 and "Tour " in ics


def test_rota_cli__check_our_rota_scores_the_same(made, demo_dir, capsys):
    d = json.loads((made / "rota.json").read_text())
    code, out, err = run(capsys, demo_dir / "demo.beatwise", "--check", made / "rota.csv", "--json")
    assert code == 0, err
    c = json.loads(out)
    assert c["check"]["hard_rules_kept"]
    assert c["coverage"] == pytest.approx(d["coverage"])


def test_rota_cli__check_names_broken_rules_with_officer_and_dates(made, demo_dir, tmp_path, capsys):
    with open(made / "rota.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    pc = next(r for r in rows if r[0] == "PC01")
    pc[3:3 + 7] = ["E"] * 7                      # seven tours in a row, 70 hours in week 1
    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    code, out, err = run(capsys, demo_dir / "demo.beatwise", "--check", bad)
    assert code == 0
    assert "consecutive_tours" in err and "PC01 2027-01-04..2027-01-10" in err


def test_rota_cli__from_shifts_and_scotland(demo_dir, capsys):
    code, out, err = run(capsys, demo_dir / "demo.beatwise", "--officers", "7", "--sergeants", "2",
                         "--weeks", "2", *ARGS, "--from-shifts", "--rules", "scotland", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["rules"]["name"] == "scotland" and d["check"]["hard_rules_kept"]
    assert all(t["code"].startswith("T") for t in d["templates"])
    assert "tour templates from the shift-timing plan" in err


@pytest.mark.parametrize("argv, message", [
    (("--weeks", "2"), "give the team"),
    (("--officers", "7", "--templates", "E=07:00-20:00"), "longer than the 12"),
    (("--officers", "7", "--rules", "nowhere"), "no such rule pack"),
    (("--officers", "2", "--weeks", "2"), "minimum_cover"),
    (("--officers", "7", "--start", "4/1/2027"), "--start"),
])
def test_rota_cli__bad_input_is_a_message(demo_dir, capsys, argv, message):
    code, out, err = run(capsys, demo_dir / "demo.beatwise", *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_rota_cli__team_file_errors_name_the_row(demo_dir, tmp_path, capsys):
    team = tmp_path / "team.csv"
    team.write_text("officer_id,rank\nA1,PC\nA1,PC\n")
    code, out, err = run(capsys, demo_dir / "demo.beatwise", "--team", team)
    assert code == 2 and f"{team}, row 3: officer_id A1 is a duplicate of row 2" in err


def test_rota_cli__output_never_overwrites_an_input(demo_dir, tmp_path, capsys):
    folder = tmp_path / "o"
    folder.mkdir()
    team = folder / "rota.csv"                    # the team file where rota.csv would go
    team.write_text("officer_id,rank\n" + "".join(f"PC{k},PC\n" for k in range(7)) + "S1,PS\n")
    before = team.read_bytes()
    code, out, err = run(capsys, demo_dir / "demo.beatwise", "--team", team, "--weeks", "1", *ARGS,
                         "--out", folder)
    assert code == 2 and "input of this run" in err
    assert team.read_bytes() == before


def test_rota_cli__demo_13_weeks_beats_the_current_rota_with_nights_shared(demo_dir, capsys):
    """The issue's demo: 2 PS + 7 PC for 13 weeks (the default 13-week cycle: every officer
    works the whole cycle once), coverage above the current rota's, nights within 1 per rank."""
    code, out, err = run(capsys, demo_dir / "demo.beatwise", "--officers", "7", "--sergeants", "2",
                         "--start", "2027-01-04", "--time-limit-s", "10", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["days"] == 91 and d["cycle_weeks"] == 13 and d["check"]["hard_rules_kept"]
    assert d["coverage"] > d["current"]["coverage"] and d["beats_current"]
    for rank in ("PS", "PC"):
        nights = [o["nights"] for o in d["check"]["officers"] if o["rank"] == rank]
        assert max(nights) - min(nights) <= 1


def test_rota_cli__five_week_cycle_reports_the_highs_bound(demo_dir, capsys):
    """A 5-week cycle of the seed team: the constables' bound is HiGHS's where it is lower,
    printed beside CP-SAT's and listed per part in the JSON."""
    argv = (demo_dir / "demo.beatwise", "--officers", "7", "--sergeants", "2", "--weeks", "5",
            "--cycle-weeks", "5", "--start", "2027-01-04", "--time-limit-s", "15")
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    d = json.loads(out)
    ps, pc = d["parts"]
    assert ps["officers"] == 2 and ps["highs_bound_officer_min"] is None
    assert pc["officers"] == 7 and pc["highs_status"] in ("optimal", "time limit")
    assert pc["objective_officer_min"] <= pc["highs_bound_officer_min"] + 0.5
    assert d["bound_officer_min"] <= ps["cp_sat_bound_officer_min"] + pc["highs_bound_officer_min"] + 0.5
    assert d["bound_officer_min"] >= d["objective_officer_min"]
    code, out, err = run(capsys, *argv)
    assert code == 0 and "the constables' coverage proven by HiGHS at most" in out + err
