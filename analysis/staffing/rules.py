"""Rota rule packs: the rules a published rota keeps, every number editable in a TOML file.

A pack (``analysis/staffing/rulepacks/<name>.toml``: ``england-wales``, the default, and
``scotland``; or any file with the same keys) names each rule, says whether it is ``hard`` (the
rota must keep it) or ``soft`` (a named penalty with a weight in officer-hours of coverage given
up per occurrence), and whether its basis is ``law`` or ``guidance``, with the source:

* Police Regulations 2003, Annex E (hours of duty, rest days, refreshment periods by tour length);
* Working Time Regulations 1998, reg 2 (night time 23:00-06:00, a night tour has 3 hours of
  it), reg 4 (48 hours a week on average over 17 weeks), reg 10 (11 hours' daily rest), reg 11
  (24 hours' weekly rest in each 7 days);
* HSE HSG256 *Managing shift work* and Police Federation fatigue guidance (at most 4 nights in a
  row, forward rotation, 2 days off after nights, rest days in pairs, 12-hour tours discouraged).

The pack is printed with every rota (:meth:`RulePack.to_dict`), so what was kept is on record.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from analysis.progress import BeatwiseError

DEFAULT_PACK = "england-wales"

#: Every rule a pack must define: name -> (kind, numeric parameters it must carry).
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "max_tour_length": ("hard", ("max_h",)),
    "daily_rest": ("hard", ("min_h",)),
    "weekly_rest": ("hard", ("min_h", "period_days")),
    "rest_days": ("hard", ("per_week",)),
    "contracted_hours": ("hard", ("tolerance_h_per_week", "working_days_per_week")),
    "average_weekly_hours": ("hard", ("max_h", "reference_weeks")),
    "consecutive_tours": ("hard", ("max",)),
    "consecutive_nights": ("hard", ("max",)),
    "night_then_early": ("hard", ("within_days",)),
    "minimum_cover": ("hard", ("constables",)),
    "supervision": ("soft", ("weight",)),
    "forward_rotation": ("soft", ("weight",)),
    "rest_days_in_pairs": ("soft", ("weight",)),
    "days_off_after_nights": ("soft", ("days", "weight")),
    "weekends_spread": ("soft", ("window_weeks", "weight")),
    "fair_nights": ("soft", ("weight",)),
    "fair_weekends": ("soft", ("weight",)),
    "long_tours": ("soft", ("min_h", "weight")),
}
_INTEGER = {"constables", "period_days", "reference_weeks", "max", "within_days", "days", "window_weeks",
            "working_days_per_week"}
_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _minute(text: str, where: str) -> int:
    m = _HHMM.match(str(text))
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise BeatwiseError(f"{where}: cannot read the time {text!r}; give HH:MM")
    return (int(m.group(1)) * 60 + int(m.group(2))) % 1440 if int(m.group(1)) < 24 else 1440


@dataclass(frozen=True)
class Rule:
    """One rule of a pack: its name, ``hard``/``soft``, ``law``/``guidance``, source and numbers."""

    name: str
    kind: str
    basis: str
    source: str
    params: Mapping[str, float] = field(default_factory=dict)

    @property
    def hard(self) -> bool:
        return self.kind == "hard"

    def __getitem__(self, key: str):
        return self.params[key]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "basis": self.basis, "source": self.source,
                **{k: v for k, v in self.params.items()}}


@dataclass(frozen=True)
class RulePack:
    """A rule pack: its rules, the night and early definitions, refreshment steps, bank holidays.

    Attributes
    ----------
    night_start_min, night_end_min : int
        The night window (WTR 1998 reg 2: 23:00-06:00), minutes after midnight.
    night_min_h : float
        A tour is a night when it has at least this many hours inside the night window.
    early_before_min : int
        A tour is an early when it starts before this time of day.
    refreshment : tuple of (min_h, break_min)
        Annex E refreshment time by tour length, ascending.
    """

    name: str
    title: str
    source_file: str
    rules: Mapping[str, Rule]
    night_start_min: int
    night_end_min: int
    night_min_h: float
    early_before_min: int
    refreshment: tuple[tuple[float, int], ...]
    holidays_country: str = "UK"
    holidays_subdiv: str = "ENG"

    def __getitem__(self, name: str) -> Rule:
        return self.rules[name]

    def refreshment_min(self, length_h: float) -> int:
        """Refreshment minutes in a tour of ``length_h`` hours (Police Regulations 2003 Annex E)."""
        out = 0
        for min_h, minutes in self.refreshment:
            if length_h >= min_h:
                out = minutes
        return out

    def night_minutes(self, start_min: int, length_min: int) -> int:
        """Minutes of a tour (starting ``start_min`` after midnight) inside the night window."""
        a, b = self.night_start_min, self.night_end_min
        if b <= a:
            b += 1440                     # 23:00-06:00 -> [1380, 1800)
        total = 0
        for day in (-1, 0, 1):            # windows of the day before, the day, the day after
            lo, hi = a + day * 1440, b + day * 1440
            total += max(0, min(start_min + length_min, hi) - max(start_min, lo))
        return total

    def is_night(self, start_min: int, length_min: int) -> bool:
        """At least ``night_min_h`` hours inside the night window (WTR 1998 reg 2)."""
        return self.night_minutes(start_min, length_min) >= round(self.night_min_h * 60)

    def is_early(self, start_min: int, length_min: int) -> bool:
        """Starts before the pack's early time and is not a night."""
        return start_min < self.early_before_min and not self.is_night(start_min, length_min)

    def bank_holidays(self, first: dt.date, last: dt.date) -> dict[dt.date, str]:
        """Bank holidays from ``first`` to ``last`` (the holidays library, not a hand list)."""
        import holidays

        years = range(first.year, last.year + 1)
        cal = holidays.country_holidays(self.holidays_country, subdiv=self.holidays_subdiv,
                                        years=years)
        return {d: str(n) for d, n in sorted(cal.items()) if first <= d <= last}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "file": self.source_file,
                "night": {"window": f"{self.night_start_min // 60:02d}:{self.night_start_min % 60:02d}-"
                                    f"{self.night_end_min // 60:02d}:{self.night_end_min % 60:02d}",
                          "min_h": self.night_min_h},
                "early_starts_before": f"{self.early_before_min // 60:02d}:"
                                       f"{self.early_before_min % 60:02d}",
                "refreshment": [{"min_h": h, "break_min": m} for h, m in self.refreshment],
                "bank_holidays": f"{self.holidays_country}-{self.holidays_subdiv}",
                "rules": [r.to_dict() for r in self.rules.values()]}


def pack_names() -> list[str]:
    """The rule packs shipped with Beatwise."""
    folder = resources.files("analysis.staffing") / "rulepacks"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_rules(name_or_file: str | Path | None = None) -> RulePack:
    """A rule pack by name (``england-wales``, ``scotland``) or from a TOML file.

    Raises
    ------
    BeatwiseError
        Unknown name, unreadable TOML, a rule missing or with a missing or impossible number,
        naming the file and the rule.
    """
    spec = str(name_or_file) if name_or_file is not None else DEFAULT_PACK
    path = Path(spec)
    if spec in pack_names():
        text = (resources.files("analysis.staffing") / "rulepacks" / f"{spec}.toml").read_text(
            encoding="utf-8")
        where = f"rule pack {spec}"
    elif path.is_file():
        text = path.read_text(encoding="utf-8")
        where = str(path)
    else:
        raise BeatwiseError(f"--rules {spec}: no such rule pack or file; the packs are "
                            f"{', '.join(pack_names())}, or give a TOML file with the same keys")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BeatwiseError(f"{where}: not valid TOML ({exc})") from None
    return _pack(data, where)


def _number(value, where: str, key: str, integer: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BeatwiseError(f"{where}: {key} must be a number, got {value!r}")
    if value < 0:
        raise BeatwiseError(f"{where}: {key} must not be negative, got {value}")
    if integer:
        if int(value) != value:
            raise BeatwiseError(f"{where}: {key} must be a whole number, got {value}")
        return int(value)
    return float(value)


def _pack(data: dict, where: str) -> RulePack:
    table = data.get("rules")
    if not isinstance(table, dict):
        raise BeatwiseError(f"{where}: no [rules.*] tables")
    rules = {}
    for name, (kind, keys) in RULES.items():
        entry = table.get(name)
        rwhere = f"{where}, rule {name}"
        if not isinstance(entry, dict):
            raise BeatwiseError(f"{where}: rule {name} is missing (every pack defines "
                                f"{', '.join(RULES)})")
        if entry.get("kind", kind) != kind:
            raise BeatwiseError(f"{rwhere}: kind must be {kind!r}")
        basis = entry.get("basis")
        if basis not in ("law", "guidance"):
            raise BeatwiseError(f"{rwhere}: basis must be \"law\" or \"guidance\", got {basis!r}")
        params = {}
        for key in keys:
            if key not in entry:
                raise BeatwiseError(f"{rwhere}: {key} is missing")
            params[key] = _number(entry[key], rwhere, key, key in _INTEGER)
        rules[name] = Rule(name=name, kind=kind, basis=basis, source=str(entry.get("source", "")),
                           params=params)
    unknown = sorted(set(table) - set(RULES))
    if unknown:
        raise BeatwiseError(f"{where}: unknown rule(s) {', '.join(unknown)}; the rules are "
                            f"{', '.join(RULES)}")
    _check_sense(rules, where)
    night = data.get("night", {})
    window = str(night.get("window", "23:00-06:00"))
    if "-" not in window:
        raise BeatwiseError(f"{where}: night window {window!r}: give HH:MM-HH:MM")
    a, b = window.split("-", 1)
    steps = data.get("refreshment", [])
    if not isinstance(steps, list) or not steps:
        raise BeatwiseError(f"{where}: no [[refreshment]] steps (minutes of refreshment by tour length)")
    refresh = tuple(sorted((_number(s.get("min_h"), f"{where}, refreshment", "min_h", False),
                            int(_number(s.get("break_min"), f"{where}, refreshment", "break_min",
                                        True))) for s in steps))
    return RulePack(
        name=str(data.get("name", where)), title=str(data.get("title", "")), source_file=where,
        rules=rules, night_start_min=_minute(a, f"{where}, night window"),
        night_end_min=_minute(b, f"{where}, night window"),
        night_min_h=_number(night.get("min_h", 3.0), f"{where}, night", "min_h", False),
        early_before_min=_minute(data.get("early", {}).get("starts_before", "08:00"),
                                 f"{where}, early"),
        refreshment=refresh, holidays_country=str(data.get("holidays_country", "UK")),
        holidays_subdiv=str(data.get("holidays_subdiv", "ENG")))


def _check_sense(rules: Mapping[str, Rule], where: str) -> None:
    """Numbers that cannot describe any rota: caught here with the rule named."""
    def bad(name, text):
        raise BeatwiseError(f"{where}, rule {name}: {text}")
    if not 0 < rules["max_tour_length"]["max_h"] <= 24:
        bad("max_tour_length", "max_h must be more than 0 and at most 24")
    if rules["daily_rest"]["min_h"] >= 24:
        bad("daily_rest", "min_h must be under 24 (one tour a day would be impossible)")
    if rules["weekly_rest"]["period_days"] < 1:
        bad("weekly_rest", "period_days must be at least 1")
    if rules["weekly_rest"]["min_h"] > 36:
        bad("weekly_rest", "min_h above 36 is not supported (two rest days in a row always "
                           "give at least 36 hours); use rest_days for longer breaks")
    if rules["rest_days"]["per_week"] > 7:
        bad("rest_days", "per_week must be at most 7")
    if rules["consecutive_tours"]["max"] < 1:
        bad("consecutive_tours", "max must be at least 1")
    if rules["average_weekly_hours"]["reference_weeks"] < 1:
        bad("average_weekly_hours", "reference_weeks must be at least 1")
    if rules["contracted_hours"]["working_days_per_week"] < 1:
        bad("contracted_hours", "working_days_per_week must be at least 1")
