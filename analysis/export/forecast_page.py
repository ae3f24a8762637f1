"""The briefing's "Next week's boxes" page: where next, and how often such boxes were right (issue 17).

:func:`forecast_briefing` runs the forecast of the briefing's incidents through the one sequence
the command and the app use (:func:`analysis.spacetime.next_period.forecast_incidents`: back-test
of every method over the last :data:`BRIEFING_TEST_PERIODS` weeks, the best by PAI at
:data:`BRIEFING_COVERAGE_PCT` of the area, its forecast and boxes). :func:`add_forecast_page` lays
out the page: the boxes on the map (:mod:`analysis.export.boxes_map`, with the briefing's basemap
and street layer), each box's streets and, in the same size type, how often this method's boxes
caught incidents in the back-test; then every method's back-test scores beside a uniform random
choice. Data that cannot be forecast (known to the month only, too little history) gets the
reason in plain words instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from analysis.export.boxes_map import FRAMED_BOXES
from analysis.export.trends_page import plain_reason
from analysis.progress import BeatwiseError, ProgressFn

PAGE_TITLE = {"week": "Next week's boxes", "day": "Tomorrow's boxes", "shift": "Next shift's boxes"}
BRIEFING_PERIOD = "week"
BRIEFING_COVERAGE_PCT = 2.0
BRIEFING_TEST_PERIODS = 12
#: Boxes listed with their streets: those the map numbers.
LISTED_BOXES = FRAMED_BOXES
#: Type size of the boxes' streets and of the back-tested hit rate (the same, as the issue asks).
KEY_SIZE = 10.0


@dataclass(frozen=True)
class ForecastBriefing:
    """The forecast for the page, or the reason there is none (``note``)."""

    result: object = field(default=None, repr=False)   # ForecastResult
    note: str = ""
    period: str = BRIEFING_PERIOD

    def summary(self) -> dict:
        r = self.result
        if r is None:
            return {"forecast": None, "note": self.note}
        return {"method": r.method, "chosen_by": r.chosen_by, "period": r.period, "forecast_period": r.label,
                "coverage_pct": r.coverage_pct, "expected_hit_rate": r.expected_hit,
                "expected_hit_text": r.expected_hit_text(),
                "boxes": [{"rank": b.rank, "streets": list(b.streets), "risk": b.risk} for b in r.boxes]}


def forecast_briefing(incidents, *, study_area_path=None, keep_outliers: bool = False,
                      period: str = BRIEFING_PERIOD, progress: Optional[ProgressFn] = None) -> ForecastBriefing:
    """The briefing's forecast of ``incidents`` (already filtered); a :class:`ForecastBriefing`
    holding the reason when the data cannot be forecast."""
    from analysis.spacetime.next_period import forecast_incidents

    try:
        result = forecast_incidents(incidents, period=period, test_periods=BRIEFING_TEST_PERIODS,
                                    coverage_pct=BRIEFING_COVERAGE_PCT, boundary_path=study_area_path,
                                    keep_outliers=keep_outliers, progress=progress)
    except BeatwiseError as exc:
        return ForecastBriefing(None, str(exc), period)
    return ForecastBriefing(result, "", period)


def _range(stats: dict, pct: bool) -> str:
    if stats["mean"] is None:
        return "–"
    if pct:
        return f"{100 * stats['mean']:.1f}% ({100 * stats['min']:.1f}-{100 * stats['max']:.1f})"
    return f"{stats['mean']:.2f} ({stats['min']:.2f}-{stats['max']:.2f})"


def box_line(box) -> str:
    """``"1. High Street, York Road: 35.6 incidents expected in 0.09 km²"`` (two streets at most)."""
    from analysis.hotspots.streets import street_name

    where = ", ".join(street_name(s) or s for s in box.streets[:2]) or "(no location names)"
    return f"{box.rank}. {where}: {box.risk:.1f} incidents expected in {box.area_km2:.2f} km²"


def backtest_rows(result) -> list[list[str]]:
    """A row per method (the chosen one marked) and one for a uniform random choice."""
    from analysis.spacetime.forecast import METHOD_NAMES

    bt, cov = result.backtest, result.coverage_pct
    rows = []
    for m in bt.methods:
        name = METHOD_NAMES.get(m, m) + (" (chosen)" if m == result.method else "")
        rows.append([name, _range(bt.stats(m, "hit_rate", cov), True), _range(bt.stats(m, "pai", cov), False),
                     _range(bt.stats(m, "pei", cov), False)])
    c = bt.coverages_pct.index(cov)
    rows.append(["Uniform random choice (for comparison)", f"{100 * bt.random_hit_rate[c]:.1f}%", "1.00", "–"])
    return rows


def add_forecast_page(doc, fb: ForecastBriefing) -> None:
    """The page (``doc``: the briefing's page layout, :class:`analysis.export.pdf._Doc`)."""
    from analysis.export.boxes_map import boxes_map_figure
    from analysis.spacetime.forecast import METHOD_NAMES

    doc.new_page("Forecast", PAGE_TITLE.get(fb.period, "Next period's boxes"))
    r = fb.result
    if r is None:
        doc.para("Not possible with this data: " + plain_reason(fb.note) + " A forecast needs incidents with a date "
                 f"and at least {BRIEFING_TEST_PERIODS} past weeks to test itself on.", size=9)
        return
    g = r.grid
    doc.para(f"Where incidents are most expected in the {r.label}: the {r.coverage_pct:g}% of the study area "
             f"({len(r.study.mask.nonzero()[0]):,} cells of {g.cell_m:g} m) that {METHOD_NAMES[r.method]} ranks "
             f"highest, chosen as {r.chosen_by}. The boxes are those cells, joined where they touch.", size=9)
    d = doc.data
    m = d.map
    fig = boxes_map_figure(r, f"Forecast boxes, {r.label} (shade: expected incidents per cell)",
                           incidents=d.incidents, basemap=m.basemap if m else None, streets=m.streets if m else None,
                           boundaries=m.boundaries if m else None, synthetic=d.synthetic)
    doc.image(fig, dpi=200, max_height=0.35)
    doc.heading("The boxes and their streets", size=11, space_before=0)
    for box in r.boxes[:LISTED_BOXES]:
        doc.para(box_line(box), size=KEY_SIZE, space_after=1)
    if len(r.boxes) > LISTED_BOXES:
        doc.para(f"{len(r.boxes) - LISTED_BOXES} more boxes, each expecting fewer incidents; beatwise forecast "
                 "lists them all (boxes.gpkg).", size=8, color="0.3")
    doc.space(4)
    doc.para("How often were such boxes right? " + r.expected_hit_text(), size=KEY_SIZE, bold=True)
    doc.heading(f"How each method did over the last {len(r.backtest.origins)} {r.period}s", size=11)
    doc.table(["Method", f"Incidents caught (top {r.coverage_pct:g}%)", "PAI", "PEI"], backtest_rows(r),
              widths=[0.4, 0.22, 0.19, 0.19], align=["left", "right", "right", "right"], size=8)
    doc.para("Each test week was forecast from the incidents before it only (a rolling origin), and the same "
             "share of the area chosen. Mean with the range over the weeks. PAI: share of incidents caught / "
             "share of the area (Chainey 2008); 1 is no better than chance. PEI: incidents caught / the most the "
             "same number of cells could have caught that week. A forecast ranks places by past recorded "
             "incidents; it says nothing about any person, and it shifts when recording practice changes.",
             size=7.5, color="0.25")
