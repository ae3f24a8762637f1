"""The briefing's "Patrol presence against demand" page: there for the demo (which has patrol GPS),
with the ranked gaps and their sentences; absent for a project without patrols."""
from __future__ import annotations

import dataclasses

import pytest

from analysis.export.patrol_page import PAGE_TITLE
from analysis.export.pdf import briefing_pages, compute_briefing


def _texts(fig) -> str:
    return "\n".join(t.get_text() for t in fig.texts)


@pytest.fixture(scope="module")
def demo_project(demo_dir):
    from analysis.project import load_project

    return load_project(demo_dir / "demo.beatwise")


def test_patrol_page__demo_has_the_page_with_the_ranked_gaps(demo_project):
    data = compute_briefing(demo_project)
    assert data.patrols is not None
    pages = briefing_pages(data)
    page = [f for f in pages if PAGE_TITLE in _texts(f)]
    assert len(page) == 1
    text = _texts(page[0])
    first = data.patrols.gap.gaps[0]
    assert any("York Road" in g.name for g in data.patrols.gap.gaps[:3])
    assert "York Road" in text and "Observed presence (not compliance" in text
    assert f"1. {first.sentence}" in text.replace("\n", " ")  # the worst gap, in words with numbers
    assert len(page[0].axes) >= 1  # the gap map
    for f in pages:  # the marking on every page, the patrol page too
        assert _texts(f).count("OFFICIAL-SENSITIVE") == 2


def test_patrol_page__absent_without_patrols(demo_project):
    data = compute_briefing(dataclasses.replace(demo_project, patrols=None))
    assert data.patrols is None
    assert not any(PAGE_TITLE in _texts(f) for f in briefing_pages(data))


def test_patrol_page__logs_only_project_has_the_page_and_the_dates_narrow_it(demo_project, demo_dir):
    import datetime as dt

    from analysis.export.pdf import BriefingOptions
    from analysis.filters import Filters
    from analysis.ingest.patrol_logs import read_patrol_logs

    logs = read_patrol_logs(demo_dir / "patrol_logs.csv", working_crs=demo_project.crs).logs
    project = dataclasses.replace(demo_project, patrols=None, patrol_logs=logs)
    data = compute_briefing(project)
    pres = data.patrols.presence
    assert pres.n_logs == len(logs) and pres.total_s == pres.logs_s == float(
        (logs["t_end"] - logs["t_start"]).dt.total_seconds().sum())
    text = next(_texts(f) for f in briefing_pages(data) if PAGE_TITLE in _texts(f)).replace("\n", " ")
    assert f"from {len(logs)} patrol logs" in text
    week = Filters(date_from=dt.date(2025, 1, 13), date_to=dt.date(2025, 1, 19))
    narrowed = compute_briefing(project, BriefingOptions(filters=week)).patrols.presence
    assert narrowed.n_logs == 10                                     # 2 PCSOs x 5 weekdays
