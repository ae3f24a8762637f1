"""The briefing's "Next week's boxes" page and its map: the forecast is the one ``beatwise forecast``
makes (called directly), every box's streets and the back-tested hit rate are printed in the same
size type, the back-test table is the Backtest's numbers, and month-only data gets the reason."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def demo_incidents(demo_dir):
    from analysis.project import load_project

    return load_project(demo_dir / "demo.beatwise").incidents


@pytest.fixture(scope="module")
def briefing(demo_incidents):
    from analysis.export.forecast_page import forecast_briefing

    return forecast_briefing(demo_incidents)


def _page(fb, incidents, synthetic=True):
    """The page alone, laid out by the briefing's own page layout."""
    from analysis.export.forecast_page import add_forecast_page
    from analysis.export.pdf import BriefingData, _Doc

    data = BriefingData(title="Forecast test", marking="OFFICIAL-SENSITIVE", synthetic=synthetic,
                        incidents=incidents, report=None, forecast=fb)
    doc = _Doc(data)
    add_forecast_page(doc, fb)
    return doc.finish()


def _texts(figs) -> list:
    return [t for f in figs for t in f.texts]


def test_forecast_briefing__equals_forecast_incidents(briefing, demo_incidents):
    from analysis.spacetime.next_period import forecast_incidents

    ref = forecast_incidents(demo_incidents, period="week", test_periods=12, coverage_pct=2.0)
    r = briefing.result
    assert r is not None and briefing.note == ""
    assert (r.method, r.label, r.chosen_by) == (ref.method, ref.label, ref.chosen_by)
    assert [(b.rank, b.streets, b.risk, b.cells) for b in r.boxes] == \
        [(b.rank, b.streets, b.risk, b.cells) for b in ref.boxes]
    np.testing.assert_array_equal(r.risk, ref.risk)
    assert r.backtest.summary() == ref.backtest.summary()
    assert briefing.summary()["expected_hit_text"] == ref.expected_hit_text()
    # the demo's planted streets are where next week's boxes are
    assert any("York Road" in s for b in r.boxes for s in b.streets)


def test_forecast_page__streets_and_hit_rate_in_the_same_size_type(briefing, demo_incidents):
    from analysis.export.forecast_page import KEY_SIZE, LISTED_BOXES, box_line

    r = briefing.result
    figs = _page(briefing, demo_incidents)
    assert len(figs) == 1
    texts = _texts(figs)
    lines = {t.get_text(): t for t in texts}
    assert "Next week's boxes" in lines
    joined = " ".join(t.get_text() for t in texts)
    boxes = r.boxes[:LISTED_BOXES]
    assert boxes
    hit = [t for t in texts if t.get_text().startswith("How often were such boxes right?")]
    assert hit and hit[0].get_fontsize() == KEY_SIZE and hit[0].get_fontweight() == "bold"
    for b in boxes:
        line = box_line(b)
        assert line.startswith(f"{b.rank}. ")
        first = [t for t in texts if t.get_text().startswith(f"{b.rank}. ")]
        assert first and first[0].get_fontsize() == KEY_SIZE, line
        assert " ".join(line.split()) in " ".join(joined.split())
    # the sentence is the result's own, wrapped over lines
    words = " ".join(t.get_text() for t in texts if t.get_fontsize() == KEY_SIZE and t.get_fontweight() == "bold")
    assert " ".join(r.expected_hit_text().split()) in " ".join(words.split())


def test_forecast_page__backtest_table_is_the_backtests_numbers(briefing):
    from analysis.export.forecast_page import backtest_rows
    from analysis.spacetime.forecast import METHOD_NAMES

    r = briefing.result
    bt = r.backtest
    rows = backtest_rows(r)
    assert len(rows) == len(bt.methods) + 1
    for m, row in zip(bt.methods, rows):
        assert row[0].startswith(METHOD_NAMES[m]) and row[0].endswith("(chosen)") == (m == r.method)
        h = bt.stats(m, "hit_rate", 2.0)
        assert row[1] == f"{100 * h['mean']:.1f}% ({100 * h['min']:.1f}-{100 * h['max']:.1f})"
        p = bt.stats(m, "pai", 2.0)
        assert row[2] == f"{p['mean']:.2f} ({p['min']:.2f}-{p['max']:.2f})"
        # independent: the mean hit rate recomputed from the raw caught / incidents counts
        c = bt.coverages_pct.index(2.0)
        use = bt.incidents > 0
        mean = (bt.caught[bt.methods.index(m), use, c] / bt.incidents[use]).mean()
        assert h["mean"] == pytest.approx(mean, rel=1e-12)
    k = bt.ks[bt.coverages_pct.index(2.0)]
    assert rows[-1][1] == f"{100 * k / bt.n_study_cells:.1f}%" and rows[-1][2] == "1.00"


def test_boxes_map__every_box_outlined_and_numbered_in_frame(briefing, demo_incidents):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch

    from analysis.export.boxes_map import FRAMED_BOXES, RISK_FLOOR, boxes_extent, draw_boxes_map

    r = briefing.result
    fig = Figure(figsize=(8, 6), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    extent = boxes_extent(r, 4 / 3)
    x0, x1, y0, y1 = extent
    assert (x1 - x0) / (y1 - y0) == pytest.approx(4 / 3)
    for b in r.boxes[:FRAMED_BOXES]:
        bx0, by0, bx1, by1 = b.geometry.bounds
        assert x0 < bx0 and bx1 < x1 and y0 < by0 and by1 < y1
    drawn = draw_boxes_map(ax, r, extent, incidents=demo_incidents)
    assert drawn.numbered == tuple(b.rank for b in r.boxes[:FRAMED_BOXES])
    outlines = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert len(outlines) == len(r.boxes)
    for p, b in zip(outlines, r.boxes):
        v = p.get_path().vertices
        assert (v.min(axis=0) == pytest.approx(b.geometry.bounds[:2])) and \
            (v.max(axis=0) == pytest.approx(b.geometry.bounds[2:]))
    numbers = sorted(int(t.get_text()) for t in ax.texts if t.get_text().isdigit())
    assert numbers == sorted(b.rank for b in r.boxes[:FRAMED_BOXES])
    # with fewer numbers asked for, only those are numbered, every box still outlined
    ax2 = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    few = draw_boxes_map(ax2, r, extent, numbered=1)
    assert few.numbered == (1,) and len([p for p in ax2.patches if isinstance(p, PathPatch)]) == len(r.boxes)
    assert sorted(int(t.get_text()) for t in ax2.texts if t.get_text().isdigit()) == [1]
    shown = drawn.mappable.get_array()
    vmax = np.nanmax(r.risk)
    expect_masked = ~np.isfinite(r.risk) | (np.nan_to_num(r.risk) < RISK_FLOOR * vmax)
    np.testing.assert_array_equal(np.ma.getmaskarray(shown), expect_masked)
    np.testing.assert_array_equal(shown.compressed(), r.risk[~expect_masked])
    assert any("York Road" == s for s in drawn.streets_labelled)
    # the number of each box sits on its highest-risk cell, inside the box
    import shapely

    from analysis.export.boxes_map import box_anchor
    for b in r.boxes:
        assert b.geometry.contains(shapely.Point(box_anchor(r, b)))


def test_forecast_page__month_only_data_says_why(shared_data):
    from analysis.export.forecast_page import forecast_briefing
    from analysis.ingest.incidents import read_incidents

    res = read_incidents([shared_data / "police_uk" / "2024-01_to_2024-04-rutland-street.csv"])
    fb = forecast_briefing(res.incidents)
    assert fb.result is None and "months only" in fb.note
    texts = " ".join(" ".join(t.get_text() for t in _texts(_page(fb, res.incidents, synthetic=False))).split())
    assert "Not possible with this data: These incidents have months only (data.police.uk): a forecast needs " \
           "dates or times." in texts
    assert "--" not in texts
    assert fb.summary() == {"forecast": None, "note": fb.note}


@needs_poppler
def test_forecast_page__reads_back_from_a_pdf(demo_incidents, briefing, tmp_path):
    """The page, written to a PDF with the briefing's writer settings, reads back with its title."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    figs = _page(briefing, demo_incidents)
    path = tmp_path / "p.pdf"
    with rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        for f in figs:
            pdf.savefig(f)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Next week's boxes" in text and "OFFICIAL-SENSITIVE" in text
    assert "Uniform random choice" in text
