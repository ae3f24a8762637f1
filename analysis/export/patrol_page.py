"""The briefing's "Patrol presence against demand" page and the gap map (issue 13 item 8).

:func:`gap_map_figure` draws incident density beside observed patrol presence around the hotspots,
the under-patrolled ones numbered in red (``beatwise patrols --out`` saves it as ``gap_map.png``).
:func:`patrol_briefing` runs :func:`analysis.patrols.report.patrol_report` on a project's patrol
layer for the briefing, and :func:`add_patrol_page` lays out the page: the ranked gaps with their
sentences, a table of every hotspot, and the gap map. "Observed presence", never "compliance".
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from analysis.progress import BeatwiseError, ProgressFn

PAGE_TITLE = "Patrol presence against demand"
MAP_GAPS = 4       # ranked gaps written out and framed on the map
MAP_BUSIEST = 4    # busiest hotspot areas framed on the map too
TABLE_ROWS = 8     # busiest hotspot areas in the table


def gap_map_figure(surface, minutes, areas, gap, title: str, *, figsize=(11.7, 6.2), dpi=150,
                   show=None, basemap=None):
    """Incident density (left) and patrol presence in minutes per cell (right), hotspots outlined
    and numbered (red: under-patrolled), the view the hotspots and 800 m around them.

    ``show``: indices of the hotspots to frame and number (default all of them); ``basemap``: an
    :class:`analysis.basemap.Basemap` drawn muted under both maps. An Agg figure, no pyplot."""
    chosen = range(len(areas.hotspots)) if show is None else sorted(set(show))
    pairs = [(areas.hotspots[i], gap.hotspots[i]) for i in chosen]
    import matplotlib.patheffects as pe
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import PowerNorm
    from matplotlib.figure import Figure

    from analysis.export.basemap_draw import draw_basemap

    g = surface.grid
    extent = (g.x0, g.x0 + g.nx * g.cell_m, g.y0, g.y0 + g.ny * g.cell_m)
    # the view: the hotspots and 800 m around them (the question is about them), square-ish
    if pairs:
        import shapely

        x0, y0, x1, y1 = shapely.union_all([h.geometry for h, _ in pairs]).buffer(800).bounds
        half = max(x1 - x0, y1 - y0) / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        view = (cx - half, cx + half, cy - half, cy + half)
    else:
        view = extent
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    for ax, data, sub, cmap in ((axes[0], surface.values, "Incident density (per km²)", "Reds"),
                                (axes[1], np.where(minutes > 0, minutes, np.nan),
                                 "Observed patrol presence (minutes per cell)", "Blues")):
        finite = data[np.isfinite(data)]
        vmax = float(np.percentile(finite[finite > 0], 99.5)) if (finite > 0).any() else 1.0
        draw_basemap(ax, basemap, font_scale=0.7)
        shown = np.ma.masked_where(~(np.nan_to_num(data) > 0), data) if basemap is not None else data
        im = ax.imshow(shown, origin="lower", extent=extent, cmap=cmap, zorder=2, alpha=0.85 if basemap is not None else 1.0,
                       norm=PowerNorm(0.5, vmin=0, vmax=max(vmax, 1e-9)))
        fig.colorbar(im, ax=ax, shrink=0.7, extend="max")
        ax.set_xlim(view[0], view[1])
        ax.set_ylim(view[2], view[3])
        for h, hg in pairs:
            geom = h.geometry
            polys = getattr(geom, "geoms", [geom])
            for poly in polys:
                xs, ys = poly.exterior.xy
                ax.plot(xs, ys, color="black", lw=0.8, zorder=3)
            c = geom.representative_point()
            ax.annotate(str(h.rank), (c.x, c.y), fontsize=11, ha="center", va="center", weight="bold",
                        color="#b2182b" if hg.under_patrolled else "black", zorder=4,
                        path_effects=[pe.withStroke(linewidth=3, foreground="white")])
        ax.set_title(sub, fontsize=10)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=6)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def patrol_briefing(project, incidents, areas, surface, *, filters=None, progress: Optional[ProgressFn] = None):
    """(PatrolReport or None, note): the project's patrol pings and logs against the briefing's
    hotspots, narrowed to the briefing's dates (``filters``), with the parameters saved in the
    project (``patrol_params``); None when it has no patrol data."""
    from analysis.filters import clip_logs, filter_pings
    from analysis.patrols.report import PatrolParams, logs_from_layer, patrol_report, pings_from_layer

    logs_layer = getattr(project, "patrol_logs", None)
    if (project.patrols is None or len(project.patrols) == 0) and (logs_layer is None or len(logs_layer) == 0):
        return None, ""
    try:
        pings = filter_pings(pings_from_layer(project.patrols, str(incidents.crs)), filters)
        logs = clip_logs(logs_from_layer(logs_layer, str(incidents.crs)), filters)
        params = PatrolParams.from_dict((project.settings or {}).get("patrol_params"))
        return patrol_report(incidents, pings, areas, surface, params, logs=logs, progress=progress), ""
    except BeatwiseError as exc:  # bad patrol data must not stop the rest of the briefing
        return None, f"Patrol page left out: {exc}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else f"{100 * x:.1f}%"


def add_patrol_page(doc, rp) -> None:
    """The page: what was measured, the ranked gaps with sentences, every hotspot, the gap map."""
    gap, pres, p = rp.gap, rp.presence, rp.params
    doc.new_page("Patrols", PAGE_TITLE)
    logs = (f" ({pres.logs_s / 3600:,.0f} of them from {pres.n_logs:,} patrol logs, each spread evenly "
            "over its area and counted at every hotspot its area overlaps)") if pres.n_logs else ""
    doc.para(f"Observed presence (not compliance: no patrol plan is compared) of {len(pres.units)} "
             f"units over {gap.period_text}: {pres.presence_hours:,.0f} hours in total{logs}. A unit counts as "
             f"present along the straight line between two of its pings at most {p.max_gap_min:g} "
             f"minutes apart; a visit is time inside a hotspot (buffered by {p.visit_buffer_m:g} m); "
             f"visits of {p.koper_min:g} minutes or more count for Koper dosage; policing days start "
             f"at {p.day_start}.", size=9, space_after=6)
    doc.heading("Under-patrolled hotspots, worst first", size=11, space_before=0)
    if gap.gaps:
        doc.bullets([f"{g.rank}. {g.sentence}" for g in gap.gaps[:MAP_GAPS]], size=9)
        if len(gap.gaps) > MAP_GAPS:
            doc.para(f"{len(gap.gaps) - MAP_GAPS} more under-patrolled hotspot areas, smaller; "
                     "beatwise patrols lists them all.", size=8, color="0.3")
    else:
        doc.para("No hotspot has a smaller share of patrol time than of incidents.", size=9)
    busiest = sorted(gap.hotspots, key=lambda h: -h.incident_share)[:TABLE_ROWS]
    # framed and numbered on the map: the busiest, and the worst gaps among the busiest (a far-off
    # small hotspot would shrink the rest to dots)
    near = {h.hotspot for h in busiest}
    shown = {h.hotspot for h in busiest[:MAP_BUSIEST]} | {g.hotspot for g in gap.gaps[:MAP_GAPS] if g.hotspot in near}
    fig = gap_map_figure(rp.surface, rp.presence_minutes, rp.areas, gap,
                         "Hotspot areas by rank (red: under-patrolled)", figsize=(11.7, 5.6), dpi=100,
                         show=shown)
    doc.image(fig, dpi=200, max_height=0.3)
    rows = [[str(rp.areas.hotspots[h.hotspot].rank), h.name, _pct(h.incident_share), _pct(h.patrol_share),
             f"{h.patrol_minutes:,.0f}", str(h.visits_qualifying), f"{h.longest_gap_h:,.0f} h",
             "yes" if h.under_patrolled else "no"] for h in busiest]
    more = len(gap.hotspots) - len(busiest)
    doc.heading(f"The {len(busiest)} busiest hotspot areas" + (f" (of {len(gap.hotspots)})" if more else ""),
                size=11)
    doc.table(["#", "Hotspot", "Incidents", "Patrol time", "Patrol min", f"Visits ≥{p.koper_min:g}",
               "Longest gap", "Under"], rows,
              widths=[0.05, 0.32, 0.1, 0.1, 0.1, 0.11, 0.11, 0.11],
              align=["right", "left", "right", "right", "right", "right", "right", "left"], size=7.5)
    for w in rp.warnings:
        doc.para(f"Note: {w}.", size=7.5, color="0.3")
