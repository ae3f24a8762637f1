"""analysis.staffing.rules: the shipped packs, every number editable, bad packs named."""
from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest

from analysis.progress import BeatwiseError
from analysis.staffing.rules import RULES, load_rules, pack_names


def pack_text():
    return (resources.files("analysis.staffing") / "rulepacks" / "england-wales.toml").read_text()


def test_pack_names__england_wales_and_scotland():
    assert {"england-wales", "scotland"} <= set(pack_names())


@pytest.mark.parametrize("name", ["england-wales", "scotland"])
def test_load_rules__every_rule_marked_law_or_guidance_with_a_source(name):
    pack = load_rules(name)
    assert set(pack.rules) == set(RULES)
    for rule in pack.rules.values():
        assert rule.basis in ("law", "guidance") and rule.source
        assert rule.kind == RULES[rule.name][0]
    d = pack.to_dict()
    assert len(d["rules"]) == len(RULES) and d["night"]["window"] == "23:00-06:00"


def test_refreshment__annex_e_by_tour_length():
    pack = load_rules()
    assert pack.refreshment_min(5.5) == 30
    assert pack.refreshment_min(8) == 45
    assert pack.refreshment_min(9.99) == 45
    assert pack.refreshment_min(10) == 60
    assert pack.refreshment_min(12) == 60


def test_night_and_early_definitions():
    pack = load_rules()
    assert pack.is_night(22 * 60, 9 * 60)            # 22:00-07:00
    assert pack.is_night(20 * 60, 6 * 60)            # 20:00-02:00: 3 h after 23:00
    assert not pack.is_night(21 * 60, 4 * 60 + 59)   # 21:00-01:59: under 3 h
    assert not pack.is_night(14 * 60, 10 * 60)       # 14:00-00:00
    assert pack.is_early(7 * 60, 600) and not pack.is_early(8 * 60, 600)


def test_every_number_is_editable(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(pack_text().replace("max = 4\n", "max = 3\n").replace("min_h = 11.0", "min_h = 12.0"))
    pack = load_rules(p)
    assert pack["consecutive_nights"]["max"] == 3 and pack["daily_rest"]["min_h"] == 12.0
    assert pack.source_file == str(p)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("[rules.daily_rest]", "[rules.daily_rest_x]"), "rule daily_rest is missing"),
    (lambda t: t.replace('\nbasis = "law"', '\nbasis = "maybe"', 1), "basis must be"),
    (lambda t: t.replace("max = 4\n", "max = 4.5\n"), "whole number"),
    (lambda t: t.replace("min_h = 11.0", "min_h = -1"), "must not be negative"),
    (lambda t: t.replace("min_h = 11.0", "min_h = 30"), "under 24"),
    (lambda t: t + "\n[rules.bogus]\nkind = \"hard\"\n", "unknown rule"),
    (lambda t: t.replace("name = ", "name == "), "not valid TOML"),
])
def test_load_rules__bad_pack_names_file_and_rule(tmp_path, edit, message):
    p = tmp_path / "bad.toml"
    p.write_text(edit(pack_text()))
    with pytest.raises(BeatwiseError, match=message) as exc:
        load_rules(p)
    assert str(p) in str(exc.value)


def test_load_rules__unknown_name():
    with pytest.raises(BeatwiseError, match="england-wales"):
        load_rules("atlantis")


def test_bank_holidays__from_the_holidays_library_per_pack():
    ew = load_rules("england-wales").bank_holidays(dt.date(2027, 8, 1), dt.date(2027, 12, 31))
    sc = load_rules("scotland").bank_holidays(dt.date(2027, 8, 1), dt.date(2027, 12, 31))
    assert dt.date(2027, 8, 30) in ew and dt.date(2027, 8, 30) not in sc   # late summer / first Monday
    assert dt.date(2027, 8, 2) in sc and dt.date(2027, 11, 30) in sc
    assert dt.date(2027, 12, 27) in ew and dt.date(2027, 12, 27) in sc
