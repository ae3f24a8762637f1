"""The briefing's "Trends and repeats" page: is it growing, and does it repeat? (issue 16 item 5)

:func:`trends_briefing` runs both space-time analyses for the briefing
(:func:`analysis.spacetime.pipeline.spacetime_runs`): emerging hot spots of the briefing's
incidents, and the near-repeat (Knox) test with :data:`BRIEFING_PERMUTATIONS` permutations of one
crime type (the one filtered, else the commonest: near repeats are a property of a crime type, and
a mix of types gives pairs that say little). :func:`add_trends_page` lays out the page: the
emerging-class map around the top hotspots (or the whole study area) with a legend of the classes
present, the Knox heat table and its sentence; when the data cannot support one (month-only data,
too few time steps), the page says so in plain words.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from analysis.progress import ProgressFn
from analysis.spacetime.pipeline import SpacetimeRuns, crime_word, spacetime_runs

PAGE_TITLE = "Trends and repeats"
#: Knox permutations in the briefing (``beatwise nearrepeat`` uses 999): the smallest p is 1/200.
BRIEFING_PERMUTATIONS = 199
#: The map shows these top hotspots and :data:`VIEW_MARGIN_M` around them.
TOP_HOTSPOTS = 5
VIEW_MARGIN_M = 800.0


@dataclass(frozen=True)
class TrendsBriefing:
    """Both analyses for the page; ``knox_scope`` says which incidents the Knox test used."""

    runs: SpacetimeRuns
    knox_scope: str
    n_incidents: int
    areas: object = field(default=None, repr=False)   # the briefing's HotspotAreas (for the map's view)

    def summary(self) -> dict:
        r = self.runs
        return {"emerging_classes": r.emerging.result.class_counts() if r.emerging else None,
                "emerging_note": r.emerging_note, "knox_scope": self.knox_scope,
                "near_repeat": r.knox.result.sentence() if r.knox else None, "knox_note": r.knox_note,
                "permutations": r.permutations}


def trends_briefing(incidents, *, filters=None, areas=None, study_area_path=None,
                    permutations: int = BRIEFING_PERMUTATIONS,
                    progress: Optional[ProgressFn] = None) -> TrendsBriefing:
    """Emerging hot spots of ``incidents`` (the briefing's, after its filters) and the Knox test of
    one crime type among them (the filtered one, else the commonest)."""
    types = tuple(getattr(filters, "crime_types", ()) or ())
    knox_incidents = incidents
    if len(types) == 1 or len(incidents) == 0:
        crime, scope = crime_word(types), (f"the {types[0]} incidents" if types else "all the incidents")
    else:
        counts = incidents["crime_type"].astype(str).value_counts()
        if len(counts) <= 1:
            name = str(counts.index[0]) if len(counts) else "incident"
            crime, scope = name.lower(), "all the incidents"
        else:
            name = str(counts.index[0])
            knox_incidents = incidents[incidents["crime_type"].astype(str) == name]
            crime = name.lower()
            scope = (f"the commonest crime type, {name} ({int(counts.iloc[0]):,} of {len(incidents):,} "
                     "incidents; near repeats are tested one crime type at a time)")
    runs = spacetime_runs(incidents, knox_incidents=knox_incidents, permutations=permutations, crime=crime,
                          study_area_path=study_area_path, progress=progress)
    return TrendsBriefing(runs, scope, len(incidents), areas)


def map_view(areas, top: int = TOP_HOTSPOTS, margin_m: float = VIEW_MARGIN_M, grid=None):
    """(x0, x1, y0, y1): the ``top`` hotspots and ``margin_m`` around them, square, within ``grid``
    (the cube's GridSpec) when given; None without areas or outside the grid."""
    if areas is None or not areas.hotspots:
        return None
    import shapely

    x0, y0, x1, y1 = shapely.union_all([h.geometry for h in areas.hotspots[:top]]).buffer(margin_m).bounds
    half = max(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half
    if grid is not None:
        x0, x1, y0, y1 = max(x0, grid.x0), min(x1, grid.x1), max(y0, grid.y0), min(y1, grid.y1)
        if not (x1 > x0 and y1 > y0):
            return None
    return (x0, x1, y0, y1)


def plain_reason(note: str) -> str:
    """A message without the command's advice (``--step``, ``(for --period ...)``): the reason only,
    as a sentence, for a briefing page."""
    import re

    text = re.sub(r"\s*\(for --[^)]*\)", "", note).split("; use ")[0].split(", or --")[0].strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _emerging_part(doc, t: TrendsBriefing) -> None:
    from analysis.export.emerging_figure import emerging_figure

    er = t.runs.emerging
    doc.heading("Is it growing? Emerging hot spots", size=11, space_before=0)
    if er is None:
        doc.para("Not possible with this data: " + plain_reason(t.runs.emerging_note)
                 + " Emerging hot spots compare at least 10 time steps (weeks, or months for data known "
                   "to the month only).", size=9, space_after=8)
        return
    e = er.result
    counts = {c: n for c, n in e.class_counts().items() if c != "no pattern detected"}
    found = "; ".join(f"{n:,} {c}{'s' if n != 1 else ''}" for c, n in counts.items()) or "no cell has a pattern"
    doc.para(f"{er.n_incidents:,} incidents counted in {e.summary()['n_cells']:,} cells of {e.grid.cell_m:g} m over "
             f"{len(e.steps)} {er.step}s ({e.steps[0]} to {e.steps[-1]}); Gi* in each {er.step} with a "
             f"{e.distance_m:.0f} m band, the trend of each cell by Mann-Kendall, classes as ArcGIS Emerging Hot "
             f"Spot Analysis. Found: {found}.", size=9)
    view = map_view(t.areas, grid=e.grid)
    where = (f"around the top {min(TOP_HOTSPOTS, len(t.areas.hotspots))} hotspot areas (outlined, numbered)"
             if view is not None else "over the study area")
    fig = emerging_figure(e, f"Emerging hot spot classes {where}", view=view, figsize=(8.5, 5.6), dpi=100,
                          areas=t.areas if view is not None else None)
    doc.image(fig, dpi=200, max_height=0.38)
    for w in e.warnings:
        doc.para(f"Note: {w}.", size=7.5, color="0.3")


def _knox_part(doc, t: TrendsBriefing) -> None:
    from analysis.export.knox_figure import knox_figure

    kr = t.runs.knox
    doc.heading("Does it repeat? Near-repeat (Knox) test", size=11)
    if kr is None:
        doc.para("Not possible with this data: " + plain_reason(t.runs.knox_note), size=9)
        return
    k = kr.result
    doc.para(k.sentence(), size=9.5, bold=True)
    doc.para(f"Tested on {t.knox_scope}: {k.n_incidents:,} incidents with dates"
             + (f" ({kr.n_without_date:,} without a date left out)" if kr.n_without_date else "")
             + f", pairs by {k.metric} distance and days apart, against {k.permutations} random shuffles of "
               f"the dates (so the smallest p-value possible is {1 / (k.permutations + 1):.3f}; "
               "beatwise nearrepeat uses 999).", size=8.5)
    fig = knox_figure(k, "Knox ratio: observed / expected pairs", dpi=100)
    doc.image(fig, dpi=200, max_height=0.22)


def add_trends_page(doc, t: TrendsBriefing) -> None:
    """The page (``doc``: the briefing's page layout, :class:`analysis.export.pdf._Doc`)."""
    doc.new_page("Trends", PAGE_TITLE)
    _emerging_part(doc, t)
    _knox_part(doc, t)
