"""``beatwise patrols``: were we there? Patrol GPS against incident demand at the hotspots.

Reads the incidents (as every command does) and the patrol pings (``--patrols``, through
:func:`analysis.ingest.tracks.read_pings`), finds the hotspot areas as ``beatwise hotspots``
does, and reports observed presence (DESIGN.md section 7): the presence raster and its 168
hour-of-week slots, visits and Koper dosage at each hotspot, the gap between each hotspot's share
of incidents and its share of patrol time, and officers on duty by hour of week from the pings.
``--out DIR`` gets ``presence.tif`` (+ ``.qml``), ``dosage.csv`` (hotspot x policing day),
``visits.gpkg`` (tracks per unit and visits) and ``gap_map.png``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.commands._common import (add_filter_arguments, add_input_arguments, finish, import_summary,
                                       load_input, out_dir, say, titled)
from analysis.progress import BeatwiseError

PRESENCE_QML = """<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0-Bialowieza" styleCategories="AllStyleCategories">
  <pipe>
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="0.85" classificationMin="0" classificationMax="{vmax}">
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0">
          <item alpha="0" value="0" label="no presence" color="#ffffff"/>
          <item alpha="255" value="{v1}" label="{v1:.0f} min" color="#c6dbef"/>
          <item alpha="255" value="{v2}" label="{v2:.0f} min" color="#6baed6"/>
          <item alpha="255" value="{vmax}" label="{vmax:.0f} min" color="#08306b"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
  </pipe>
</qgis>
"""


def register(sub) -> None:
    p = sub.add_parser(
        "patrols", help="patrol GPS against demand: presence, visits and dosage at hotspots, the gap",
        description="Observed patrol presence (time along the straight line between a unit's "
                    "consecutive pings at most --max-gap-min apart) against incident demand: visits "
                    "and Koper dosage at the hotspot areas, each hotspot's share of incidents "
                    "against its share of patrol time (overall and in its peak hours), and "
                    "officers on duty by hour of week from the pings. 'Observed presence', not "
                    "compliance: no patrol plan is compared.")
    add_input_arguments(p)
    add_filter_arguments(p)
    g = p.add_argument_group("patrol pings (the column options above are for the incidents)")
    g.add_argument("--patrols", nargs="+", required=True, metavar="PINGS",
                   help="patrol GPS: CSV/TSV/XLSX, GIS point layers or GPX (files or folders)")
    g.add_argument("--unit", metavar="COL", help="column of the unit (vehicle, radio, officer) id")
    g.add_argument("--ping-time", metavar="COL", help="column of the ping time")
    for axis in ("lon", "lat", "x", "y"):
        g.add_argument(f"--ping-{axis}", metavar="COL", help=f"column of the ping {axis}")
    g.add_argument("--ping-crs", metavar="EPSG:NNNN", help="CRS of --ping-x/--ping-y")
    g.add_argument("--speed", metavar="COL", help="column of the speed")
    g.add_argument("--speed-unit", choices=("m/s", "km/h"), help="unit of --speed (default m/s, "
                                                                 "km/h when the name says kmh)")
    g = p.add_argument_group("presence and dosage")
    g.add_argument("--max-gap-min", type=float, default=5.0, metavar="M",
                   help="longest gap between two pings still counted as presence (default 5)")
    g.add_argument("--visit-buffer-m", type=float, default=15.0, metavar="M",
                   help="buffer around each hotspot for visits (default 15)")
    g.add_argument("--koper-min", type=float, default=10.0, metavar="M",
                   help="shortest qualifying visit (default 10, Koper 1995)")
    g.add_argument("--day-start", default="06:00", metavar="HH:MM",
                   help="local time the policing day starts (default 06:00)")
    g.add_argument("--top-percent", type=float, default=None, metavar="P",
                   help="hotspot areas are the top P%% of cells (default as beatwise hotspots)")
    p.add_argument("--out", metavar="DIR", help="write presence.tif, dosage.csv, visits.gpkg, "
                                                "gap_map.png and patrols.json here")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=run)


def _hotspots(incidents, top_percent):
    from analysis.hotspots.areas import DEFAULT_TOP_PERCENT, hotspot_areas
    from analysis.hotspots.gistar import DEFAULT_GI_CELL_M, default_gi_distance_m
    from analysis.hotspots.grid import points_xy
    from analysis.hotspots.kde import grid_for_kde, kde
    from analysis.hotspots.study_area import study_area_for

    xy, crs = points_xy(incidents)
    grid, choice = grid_for_kde(xy, crs=crs)
    surface = kde(xy, grid, bandwidth_m=choice)
    study = study_area_for(xy, grid, band_m=default_gi_distance_m(surface.bandwidth_m, DEFAULT_GI_CELL_M))
    areas = hotspot_areas(surface, incidents, study_area=study,
                          top_percent=DEFAULT_TOP_PERCENT if top_percent is None else top_percent)
    return surface, areas


def _demand_by_hotspot(incidents, polygons) -> tuple[np.ndarray, np.ndarray, int]:
    """Incident weight per hotspot and hour-of-week (aoristic), all incidents' 168, timed count."""
    from shapely import contains_xy

    from analysis.temporal.matrix import aoristic_week_weights, exact_week_weights

    prec = incidents["time_precision"].to_numpy()
    exact, window = prec == "minute", prec == "window"
    timed = exact | window
    t0, t1 = incidents["t_start"].to_numpy(), incidents["t_end"].to_numpy()
    x, y = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()

    def week(rows):  # exact times count in their hour; from/to windows aoristically (Ratcliffe 2000)
        out = np.zeros(168)
        if (rows & exact).any():
            out += exact_week_weights(t0[rows & exact])
        if (rows & window).any():
            out += aoristic_week_weights(t0[rows & window], t1[rows & window])
        return out

    by = np.zeros((len(polygons), 168))
    for i, poly in enumerate(polygons):
        by[i] = week(timed & contains_xy(poly, x, y))
    overall = week(timed)
    counts = np.array([contains_xy(poly, x, y).sum() for poly in polygons], dtype=float)
    return by, overall, counts, int(timed.sum())


def run(args) -> int:
    from analysis.ingest.tracks import PingMapping, read_pings
    from analysis.patrols.gap import patrol_gap
    from analysis.patrols.on_duty import on_duty
    from analysis.patrols.presence import presence
    from analysis.patrols.segments import patrol_segments
    from analysis.patrols.visits import hotspot_visits

    folder = out_dir(args.out)
    result = load_input(args)
    incidents = result.incidents
    if len(incidents) == 0:
        raise BeatwiseError("no incidents with coordinates (after the filters): nothing to compare "
                            "patrols with")
    mapping = PingMapping(unit=args.unit, time=args.ping_time, lon=args.ping_lon, lat=args.ping_lat,
                          x=args.ping_x, y=args.ping_y, crs=args.ping_crs, speed=args.speed,
                          speed_unit=args.speed_unit)
    pr = read_pings(args.patrols, mapping, working_crs=str(result.report.crs or incidents.crs))
    pings = pr.pings
    surface, areas = _hotspots(incidents, args.top_percent)
    hs = areas.to_geodataframe()
    names = [f"Hotspot {h.rank} ({h.locations[0]})" if h.locations else f"Hotspot {h.rank}"
             for h in areas.hotspots]
    seg = patrol_segments(pings, args.max_gap_min)
    pres = presence(pings, surface.grid, args.max_gap_min, segments=seg)
    visits = hotspot_visits(pings, hs.geometry, names=names, visit_buffer_m=args.visit_buffer_m,
                            koper_min=args.koper_min, day_start=args.day_start,
                            max_gap_min=args.max_gap_min, segments=seg)
    by_hour, overall, counts, n_timed = _demand_by_hotspot(incidents, list(hs.geometry))
    if n_timed:
        gap = patrol_gap(visits, by_hour, presence=pres, total_incidents=float(n_timed),
                         demand_by_hour=overall)
    else:  # month-only data: shares of incidents, no hours
        by_hour = np.zeros_like(by_hour)
        by_hour[:, 0] = counts
        gap = patrol_gap(visits, by_hour, presence=pres, total_incidents=float(len(incidents)))
    duty = on_duty(pings)
    rep = pr.report
    c = pr.cleaning
    summary = {
        "input": [str(p) for p in args.inputs], "patrols": [str(p) for p in args.patrols],
        "import": import_summary(result.report),
        "units": c.units,
        "pings": {"read": rep.rows_read, "accepted": rep.accepted, "rejected": len(rep.rejected),
                  "rejections": rep.rejections, "sorted": c.out_of_order, "duplicates": c.duplicates,
                  "flagged_speed": c.flagged_speed},
        "ping_interval_s": {"median": c.interval_s_median, "p90": c.interval_s_p90},
        "presence_hours": pres.presence_hours,
        "presence": pres.to_dict(),
        "on_duty": duty.to_list(),
        "hours_of_day_known": bool(n_timed),
        "hotspots": [g.to_dict() for g in gap.hotspots],
        "gaps": [g.to_dict() for g in gap.gaps],
        "parameters": {"max_gap_min": args.max_gap_min, "visit_buffer_m": args.visit_buffer_m,
                       "koper_min": args.koper_min, "day_start": args.day_start,
                       "top_percent": areas.top_percent},
        "warnings": list(rep.warnings) + ([] if n_timed else [
            "the incidents have no time of day (month only): shares are overall, no peak hours"]),
    }
    files = []
    if folder is not None:
        files = _write_outputs(folder, pres, visits, pings, surface, areas, gap, result.report)
    return finish(args, summary, folder, files, "patrols.json", lambda: _tell(summary, gap))


def _tell(summary: dict, gap) -> None:
    p = summary["pings"]
    say(f"{summary['units']} units, {p['accepted']:,} pings used of {p['read']:,} read "
        f"({p['rejected']:,} rejected); median interval {summary['ping_interval_s']['median']:.0f} s; "
        f"{summary['presence_hours']:,.1f} hours of observed presence")
    if not gap.gaps:
        say("no hotspot has a smaller share of patrol time than of incidents")
    for g in gap.gaps:
        say(f"  {g.rank}. {g.sentence}")
    for w in summary["warnings"]:
        say(f"  warning: {w}")


def _write_outputs(folder: Path, pres, visits, pings, surface, areas, gap, report) -> list:
    import geopandas as gpd
    from shapely import linestrings

    from analysis.atomic import atomic_write
    from analysis.commands.hotspots import _atomic_gpkg
    from analysis.csvfile import write_csv
    from analysis.export.raster import write_grid_geotiff

    minutes = pres.raster_s / 60.0
    tif = write_grid_geotiff(minutes, surface.grid, folder / "presence.tif", nodata=None,
                             description="patrol presence", units="minutes",
                             tags={"max_gap_min": pres.max_gap_min, "total_hours": f"{pres.presence_hours:.3f}"})
    vmax = float(np.nanpercentile(minutes[minutes > 0], 99)) if (minutes > 0).any() else 1.0
    qml = folder / "presence.qml"
    with atomic_write(qml) as tmp:
        tmp.write_text(PRESENCE_QML.format(vmax=max(vmax, 1.0), v1=max(vmax, 1.0) / 10,
                                           v2=max(vmax, 1.0) / 2), encoding="utf-8")
    dosage = write_csv(visits.dosage, folder / "dosage.csv")
    tracks = []
    for unit, g in pings.groupby("unit_id", sort=True):
        xy = np.column_stack([g.geometry.x.to_numpy(), g.geometry.y.to_numpy()])
        if len(xy) >= 2:
            tracks.append({"unit_id": str(unit), "pings": len(xy), "start": str(g["t"].iloc[0]),
                           "end": str(g["t"].iloc[-1]), "geometry": linestrings(xy)})
    tracks = gpd.GeoDataFrame(tracks, geometry="geometry", crs=pings.crs) if tracks else \
        gpd.GeoDataFrame({"unit_id": []}, geometry=[], crs=pings.crs)
    v = visits.visits.copy()
    for col in ("start", "end"):
        if col in v:
            v[col] = v[col].astype(str)
    gpkg = _atomic_gpkg([("tracks", tracks), ("hotspots", areas.to_geodataframe())], folder / "visits.gpkg")
    vis_csv = write_csv(v, folder / "visits.csv")
    png = folder / "gap_map.png"
    _gap_map(png, surface, minutes, areas, gap, report)
    return [tif, qml, dosage, vis_csv, gpkg, png]


def _gap_map(path: Path, surface, minutes, areas, gap, report) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patheffects as pe
    import matplotlib.pyplot as plt
    from matplotlib.colors import PowerNorm

    from analysis.atomic import atomic_write

    g = surface.grid
    extent = (g.x0, g.x0 + g.nx * g.cell_m, g.y0, g.y0 + g.ny * g.cell_m)
    # the view: the hotspots and 800 m around them (the question is about them), square-ish
    if areas.hotspots:
        import shapely

        x0, y0, x1, y1 = shapely.union_all([h.geometry for h in areas.hotspots]).buffer(800).bounds
        half = max(x1 - x0, y1 - y0) / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        view = (cx - half, cx + half, cy - half, cy + half)
    else:
        view = extent
    fig, axes = plt.subplots(1, 2, figsize=(11.7, 6.2), dpi=150)
    for ax, data, title, cmap in ((axes[0], surface.values, "Incident density (per km²)", "Reds"),
                                  (axes[1], np.where(minutes > 0, minutes, np.nan),
                                   "Observed patrol presence (minutes per cell)", "Blues")):
        finite = data[np.isfinite(data)]
        vmax = float(np.percentile(finite[finite > 0], 99.5)) if (finite > 0).any() else 1.0
        im = ax.imshow(data, origin="lower", extent=extent, cmap=cmap,
                       norm=PowerNorm(0.5, vmin=0, vmax=max(vmax, 1e-9)))
        fig.colorbar(im, ax=ax, shrink=0.7, extend="max")
        ax.set_xlim(view[0], view[1])
        ax.set_ylim(view[2], view[3])
        for h, hg in zip(areas.hotspots, gap.hotspots):
            geom = h.geometry
            polys = getattr(geom, "geoms", [geom])
            for poly in polys:
                xs, ys = poly.exterior.xy
                ax.plot(xs, ys, color="black", lw=0.8)
            c = geom.representative_point()
            ax.annotate(str(h.rank), (c.x, c.y), fontsize=11, ha="center", va="center", weight="bold",
                        color="#b2182b" if hg.under_patrolled else "black",
                        path_effects=[pe.withStroke(linewidth=3, foreground="white")])
        ax.set_title(title, fontsize=10)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=6)
    fig.suptitle(titled(report, "Patrol presence against demand at the hotspots (red numbers: "
                                "under-patrolled)"), fontsize=11)
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
