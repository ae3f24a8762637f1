"""The briefing's "Trends and repeats" page: the emerging-class map (legend of the classes present in
view), the Knox sentence with 199 permutations, and plain reasons when the data cannot support them."""
from __future__ import annotations

import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftotext, pdftoppm) not installed")


def timed_project(seed: int = 5):
    """Burglaries over 20 weeks in a 3 km town: a cluster that grows in the last weeks, and repeats
    planted within 50 m and 3 days of earlier ones."""
    from analysis.ingest.schema import COLUMNS
    from analysis.project import Project

    rng = np.random.default_rng(seed)
    n_base = 900
    xy = rng.uniform([586000, 184000], [589000, 187000], (n_base, 2))
    days = rng.integers(0, 140, n_base)
    grow = 240  # more and more each week in the last 8 weeks, around one corner
    g_days = 140 - 1 - np.floor(np.sqrt(rng.uniform(0, 64, grow))).astype(int)
    g_xy = rng.normal([587500, 185500], 120, (grow, 2))
    src = rng.integers(0, n_base, 150)
    r_xy = xy[src] + rng.uniform(-25, 25, (150, 2))
    r_days = np.minimum(days[src] + rng.integers(0, 4, 150), 139)
    xy = np.vstack([xy, g_xy, r_xy])
    days = np.concatenate([days, g_days, r_days])
    n = len(xy)
    t = pd.Timestamp("2025-03-03") + pd.to_timedelta(days, "D") + pd.to_timedelta(rng.integers(0, 1440, n), "min")
    frame = pd.DataFrame({"incident_id": [f"T{i}" for i in range(n)], "crime_type": "Burglary",
                          "location": "On or near Alpha Street", "area": "Testtown", "lsoa": "", "t_start": t,
                          "t_end": t, "time_precision": "minute", "weight": 1.0, "source_file": "timed.csv",
                          "source_row": np.arange(2, n + 2)})
    inc = gpd.GeoDataFrame(frame[COLUMNS], geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    return Project(incidents=inc, report=None, settings={"title": "Trends test"})


def page_text(pdf, title="Trends and repeats") -> str:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [p for p in text.split("\f") if title in p]
    assert len(pages) == 1, f"one page titled {title!r}"
    return pages[0]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def timed_brief(tmp_path_factory):
    from analysis.export.pdf import compute_briefing, write_briefing_pdf

    data = compute_briefing(timed_project())
    path = tmp_path_factory.mktemp("trends") / "briefing.pdf"
    n, _ = write_briefing_pdf(data, path, preview_dpi=None)
    return data, path, n


def test_trends_briefing__equals_the_pipeline(timed_brief):
    from analysis.export.trends_page import BRIEFING_PERMUTATIONS
    from analysis.spacetime.pipeline import emerging_run, knox_run

    data, _, _ = timed_brief
    t = data.trends
    e = emerging_run(data.incidents)
    k = knox_run(data.incidents, permutations=BRIEFING_PERMUTATIONS, crime="burglary").result
    assert t.runs.emerging.summary() == e.summary()
    assert t.runs.knox.result.summary() == k.summary() and t.runs.permutations == 199
    assert t.knox_scope == "all the incidents"   # one crime type: no need to pick one
    assert "intensifying hot spot" in e.result.class_counts() or "new hot spot" in e.result.class_counts() or \
        "consecutive hot spot" in e.result.class_counts()
    assert k.strongest() is not None and k.strongest()[0] == 1   # the planted repeats: [1, 100) m


@needs_poppler
def test_trends_page__sentence_legend_and_rendering(timed_brief, tmp_path):
    from analysis.export.emerging_figure import emerging_figure, view_classes
    from analysis.export.emerging_style import EMERGING_STYLE, present_classes
    from analysis.export.trends_page import map_view

    data, pdf, n = timed_brief
    t = data.trends
    text = flat(page_text(pdf))
    k = t.runs.knox.result
    assert flat(k.sentence()) in text
    assert "199 random shuffles" in text and "smallest p-value possible is 0.005" in text
    for sentence in text.split(". "):
        assert sentence.lower().count("within") <= 1, sentence   # no "within 100 m and within 7 days"
    assert "Is it growing? Emerging hot spots" in text and "Does it repeat? Near-repeat (Knox) test" in text
    counts = t.runs.emerging.result.class_counts()
    for c, m in counts.items():
        if c != "no pattern detected":
            assert f"{m:,} {c}" in text
    # the map's legend: exactly the classes present in its view, each with its cells
    e = t.runs.emerging.result
    view = map_view(data.map.hotspots, grid=e.grid)
    assert view is not None
    fig = emerging_figure(e, "x", view=view, areas=data.map.hotspots)
    labels = [tx.get_text() for tx in fig.axes[0].get_legend().get_texts()]
    shown = present_classes(view_classes(e, view))
    assert labels == [f"{label} ({m})" for _c, _rgb, label, m in shown] + ["No pattern detected"]
    assert {c for c, *_ in shown} <= set(EMERGING_STYLE) and shown
    # the page renders, not blank, with the map's colours on it
    page = [i for i, p in enumerate(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
                                    .stdout.split("\f"), 1) if "Trends and repeats" in p][0]
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", str(page), "-l", str(page), str(pdf), str(tmp_path / "p")],
                   check=True)
    from PIL import Image

    im = np.asarray(Image.open(next(tmp_path.glob("p-*.png"))).convert("RGB")).astype(int)
    rgb = shown[0][1]
    near = (np.abs(im - np.array(rgb)).sum(axis=2) < 30).mean()
    assert near > 0.0005, f"the class colour {rgb} is on the page"


@needs_poppler
def test_trends_page__month_only_data_says_why(tmp_path):
    """data.police.uk (Rutland, four months): too few steps for emerging hot spots, no dates for Knox."""
    from analysis.export.pdf import write_briefing
    from analysis.ingest.incidents import read_incidents
    from analysis.project import Project
    from tests.conftest import shared_path

    res = read_incidents([shared_path("police_uk", "2024-01_to_2024-04-rutland-street.csv")])
    result = write_briefing(Project(incidents=res.incidents, report=res.report, settings={}), tmp_path / "out",
                            preview_dpi=None)
    text = flat(page_text(result.pdf))
    assert "Not possible with this data: 4 time steps (2024-01 to 2024-04): emerging hot spot analysis needs at " \
           "least 10" in text
    assert "--step" not in text and "--min-steps" not in text
    assert "Not possible with this data: These incidents have months only (data.police.uk): the near-repeat " \
           "test needs dates." in text
    assert result.summary["trends"]["near_repeat"] is None and result.summary["trends"]["emerging_classes"] is None
