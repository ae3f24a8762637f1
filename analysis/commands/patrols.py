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

from analysis.commands._common import (add_filter_arguments, add_input_arguments, filters_from_args, finish,
                                       import_summary, load_input, out_dir, say, titled)
from analysis.progress import BeatwiseError



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
    g.add_argument("--patrols", nargs="+", metavar="PINGS",
                   help="patrol GPS: CSV/TSV/XLSX, GIS point layers or GPX (files or folders); "
                        "optional when --logs is given")
    g.add_argument("--unit", metavar="COL", help="column of the unit (vehicle, radio, officer) id")
    g.add_argument("--ping-time", metavar="COL", help="column of the ping time")
    for axis in ("lon", "lat", "x", "y"):
        g.add_argument(f"--ping-{axis}", metavar="COL", help=f"column of the ping {axis}")
    g.add_argument("--ping-crs", metavar="EPSG:NNNN", help="CRS of --ping-x/--ping-y")
    g.add_argument("--speed", metavar="COL", help="column of the speed")
    g.add_argument("--speed-unit", choices=("m/s", "km/h"), help="unit of --speed (default m/s, "
                                                                 "km/h when the name says kmh)")
    g = p.add_argument_group("patrol logs (tasking records: unit, start, end, an area or a street)")
    g.add_argument("--logs", nargs="+", metavar="FILE",
                   help="patrol logs: CSV/TSV/XLSX with a WKT area or a street column, or GIS polygon layers")
    g.add_argument("--log-unit", metavar="COL", help="column of the log's unit")
    g.add_argument("--log-start", metavar="COL", help="column of the log's start time")
    g.add_argument("--log-end", metavar="COL", help="column of the log's end time")
    g.add_argument("--log-wkt", metavar="COL", help="column of the log's area as a WKT polygon")
    g.add_argument("--log-street", metavar="COL", help="column of the log's street name")
    g.add_argument("--log-crs", metavar="EPSG:NNNN", help="CRS of --log-wkt (default: detected)")
    g.add_argument("--streets", metavar="LAYER", help="street layer the logs' street names are matched to")
    g.add_argument("--streets-name-column", metavar="COL", help="street name column of LAYER")
    g.add_argument("--street-buffer-m", type=float, default=15.0, metavar="M",
                   help="a log's street is its centre-lines buffered by M metres (default 15)")
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
    p.add_argument("--basemap", metavar="PATH", help="offline basemap under gap_map.png (.osm.pbf, .mbtiles, "
                                                     "GeoPackage tiles, XYZ folder)")
    p.add_argument("--out", metavar="DIR", help="write presence.tif, dosage.csv, visits.gpkg, "
                                                "gap_map.png and patrols.json here")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=run)


def _hotspots(incidents, top_percent):
    from analysis.patrols.report import hotspots_for_patrols

    return hotspots_for_patrols(incidents, top_percent)


def _read_logs(args, crs: str):
    from analysis.ingest.patrol_logs import LogMapping, read_patrol_logs
    from analysis.patrols.logs import street_areas

    if args.streets and not args.logs:
        raise BeatwiseError("--streets LAYER is for the street names of --logs FILE")
    lookup = None
    if args.streets:
        from analysis.hotspots.streets import read_street_layer

        lookup = street_areas(read_street_layer(args.streets, crs, name_column=args.streets_name_column),
                              args.street_buffer_m)
    mapping = LogMapping(unit=args.log_unit, start=args.log_start, end=args.log_end, wkt=args.log_wkt,
                         street=args.log_street, crs=args.log_crs, dayfirst=getattr(args, "map_dayfirst", None))
    return read_patrol_logs(args.logs, mapping, working_crs=crs, street_area=lookup,
                            streets_source=args.streets or "")


def _counts(rep) -> dict:
    return {"read": rep.rows_read, "accepted": rep.accepted, "rejected": len(rep.rejected),
            "rejections": rep.rejections}


def run(args) -> int:
    from analysis.filters import clip_logs, filter_pings
    from analysis.ingest.tracks import PingMapping, read_pings
    from analysis.patrols.report import NO_TIMES_WARNING, PatrolParams, patrol_report

    if not args.patrols and not args.logs:
        raise BeatwiseError("give the patrol data: --patrols PINGS (GPS), --logs FILE (tasking records), or both")
    folder = out_dir(args.out)
    result = load_input(args)
    incidents = result.incidents
    if len(incidents) == 0:
        raise BeatwiseError("no incidents with coordinates (after the filters): nothing to compare "
                            "patrols with")
    crs = str(result.report.crs or incidents.crs)
    filters = filters_from_args(args)
    pr = pings = lr = logs = None
    if args.patrols:
        mapping = PingMapping(unit=args.unit, time=args.ping_time, lon=args.ping_lon, lat=args.ping_lat,
                              x=args.ping_x, y=args.ping_y, crs=args.ping_crs, speed=args.speed,
                              speed_unit=args.speed_unit, dayfirst=args.map_dayfirst)
        pr = read_pings(args.patrols, mapping, working_crs=crs)
        pings = filter_pings(pr.pings, filters)
    if args.logs:
        lr = _read_logs(args, crs)
        logs = clip_logs(lr.logs, filters)
    outside = {"pings": 0 if pr is None else len(pr.pings) - len(pings),
               "logs": 0 if lr is None else len(lr.logs) - len(logs)}
    if (pings is None or len(pings) < 2) and (logs is None or len(logs) == 0):
        raise BeatwiseError(f"no patrol pings or logs in the date range ({filters.describe()}): "
                            f"{outside['pings']:,} pings and {outside['logs']:,} logs are outside it")
    surface, areas = _hotspots(incidents, args.top_percent)
    params = PatrolParams(max_gap_min=args.max_gap_min, visit_buffer_m=args.visit_buffer_m,
                          koper_min=args.koper_min, day_start=args.day_start)
    rp = patrol_report(incidents, pings, areas, surface, params, logs=logs)
    pres, visits, gap, duty, n_timed = rp.presence, rp.visits, rp.gap, rp.on_duty, rp.n_timed
    c = pr.cleaning if pr is not None else None
    summary = {
        "input": [str(p) for p in args.inputs], "patrols": [str(p) for p in args.patrols or []],
        "logs_files": [str(p) for p in args.logs or []],
        "import": import_summary(result.report),
        "filters": filters.to_dict(),
        "outside_dates": outside,
        "units": len(duty.units),
        "pings": ({**_counts(pr.report), "sorted": c.out_of_order, "duplicates": c.duplicates,
                   "flagged_speed": c.flagged_speed} if pr is not None else
                  {"read": 0, "accepted": 0, "rejected": 0, "rejections": {}, "sorted": 0, "duplicates": 0,
                   "flagged_speed": 0}),
        "ping_interval_s": {"median": c.interval_s_median if c else None, "p90": c.interval_s_p90 if c else None},
        "logs": _counts(lr.report) if lr is not None else {"read": 0, "accepted": 0, "rejected": 0, "rejections": {}},
        "presence_hours": pres.presence_hours,
        "presence_from_pings_hours": (pres.total_s - pres.logs_s) / 3600.0,
        "presence_from_logs_hours": pres.logs_s / 3600.0,
        "presence": pres.to_dict(),
        "on_duty": duty.to_list(),
        "hours_of_day_known": bool(n_timed),
        "hotspots": [g.to_dict() for g in gap.hotspots],
        "gaps": [g.to_dict() for g in gap.gaps],
        "parameters": {"max_gap_min": args.max_gap_min, "visit_buffer_m": args.visit_buffer_m,
                       "koper_min": args.koper_min, "day_start": args.day_start,
                       "top_percent": areas.top_percent, "street_buffer_m": args.street_buffer_m},
        "warnings": ([] if pr is None else list(pr.report.warnings)) + ([] if lr is None else list(lr.report.warnings))
        + ([] if n_timed else [NO_TIMES_WARNING]),
    }
    files = []
    if folder is not None:
        basemap = None
        if args.basemap:
            from analysis.basemap import load_basemap

            g = surface.grid
            basemap = load_basemap(args.basemap, g.crs, (g.x0, g.y0, g.x1, g.y1), width_px=2000)
        files = _write_outputs(folder, pres, visits, pings, surface, areas, gap, result.report, logs, basemap)
    return finish(args, summary, folder, files, "patrols.json", lambda: _tell(summary, gap))


def _tell(summary: dict, gap) -> None:
    p, lg, out = summary["pings"], summary["logs"], summary["outside_dates"]
    if p["read"]:
        say(f"{p['accepted'] - out['pings']:,} pings used of {p['read']:,} read ({p['rejected']:,} rejected"
            + (f", {out['pings']:,} outside the dates" if out["pings"] else "")
            + f"); median interval {summary['ping_interval_s']['median']:.0f} s")
    if lg["read"]:
        say(f"{lg['accepted'] - out['logs']:,} patrol logs used of {lg['read']:,} read ({lg['rejected']:,} rejected"
            + (f", {out['logs']:,} outside the dates" if out["logs"] else "") + ")")
    say(f"{summary['units']} units, {summary['presence_hours']:,.1f} hours of observed presence "
        f"({summary['presence_from_pings_hours']:,.1f} from pings, {summary['presence_from_logs_hours']:,.1f} "
        "from logs)")
    if not gap.gaps:
        say("no hotspot has a smaller share of patrol time than of incidents")
    for g in gap.gaps:
        say(f"  {g.rank}. {g.sentence}")
    for w in summary["warnings"]:
        say(f"  warning: {w}")


#: A unit's pings more than this many hours apart start a new shift in visits.gpkg's tracks.
SHIFT_BREAK_H = 2.0


def _write_outputs(folder: Path, pres, visits, pings, surface, areas, gap, report, logs=None, basemap=None) -> list:
    import geopandas as gpd
    from shapely import linestrings

    from analysis.csvfile import write_csv
    from analysis.export.raster import write_grid_geotiff
    from analysis.export.raster_style import presence_qml, qml_path
    from analysis.export.vector import StyledLayer, qml_fill, qml_hotspots, qml_lines, sld_hotspots, write_geopackage

    minutes = pres.raster_s / 60.0
    vmax = float(np.nanpercentile(minutes[minutes > 0], 99)) if (minutes > 0).any() else 1.0
    tif = write_grid_geotiff(minutes, surface.grid, folder / "presence.tif", nodata=None,
                             description="patrol presence (minutes)", units="minutes",
                             tags={"max_gap_min": pres.to_dict()["max_gap_min"] or "", "total_hours": f"{pres.presence_hours:.3f}"},
                             qml=presence_qml(max(vmax, 1.0)))
    qml = qml_path(tif)
    dosage = write_csv(visits.dosage, folder / "dosage.csv")
    tracks, crs = [], areas.to_geodataframe().crs
    for unit, g in (pings.groupby("unit_id", sort=True) if pings is not None else ()):
        xy = np.column_stack([g.geometry.x.to_numpy(), g.geometry.y.to_numpy()])
        t = g["t"].to_numpy()
        # a unit's shifts: runs of pings without a silence longer than SHIFT_BREAK_H
        cuts = np.r_[0, np.flatnonzero(np.diff(t) > np.timedelta64(int(SHIFT_BREAK_H * 3600), "s")) + 1, len(t)]
        for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:]), start=1):
            if b - a >= 2:
                tracks.append({"unit_id": str(unit), "shift": k, "pings": int(b - a), "start": str(g["t"].iloc[a]),
                               "end": str(g["t"].iloc[b - 1]), "geometry": linestrings(xy[a:b])})
    tracks = gpd.GeoDataFrame(tracks, geometry="geometry", crs=crs) if tracks else \
        gpd.GeoDataFrame({"unit_id": [], "shift": []}, geometry=[], crs=crs)
    v = visits.visits.copy()
    for col in ("start", "end"):
        if col in v:
            v[col] = v[col].astype(str)
    hotspot_geoms = [h.geometry for h in areas.hotspots]
    visit_layer = gpd.GeoDataFrame(v, geometry=[hotspot_geoms[int(i)] for i in v["hotspot"]] if len(v) else [],
                                   crs=crs)
    layers = [StyledLayer("tracks", tracks, qml_lines(), "",
                          f"Patrol tracks: one line per unit and shift (a new shift after {SHIFT_BREAK_H:g} h without pings)"),
              StyledLayer("visits", visit_layer, qml_fill((33, 102, 172), 40), "",
                          "Visits: intervals with a unit present at a hotspot (start, end, minutes, kind)"),
              StyledLayer("hotspots", areas.to_geodataframe(), qml_hotspots(), sld_hotspots(), "Hotspot areas by rank")]
    if logs is not None and len(logs):
        layers.append(StyledLayer("logs", logs.assign(t_start=logs["t_start"].astype(str), t_end=logs["t_end"].astype(str)),
                                  qml_fill((35, 139, 69)), "", "Patrol logs: tasked areas"))
    gpkg = write_geopackage(folder / "visits.gpkg", layers)
    vis_csv = write_csv(v, folder / "visits.csv")
    png = folder / "gap_map.png"
    _gap_map(png, surface, minutes, areas, gap, report, basemap)
    return [tif, qml, dosage, vis_csv, gpkg, png]


def _gap_map(path: Path, surface, minutes, areas, gap, report, basemap=None) -> None:
    from analysis.atomic import atomic_write
    from analysis.export.patrol_page import gap_map_figure

    fig = gap_map_figure(surface, minutes, areas, gap,
                         titled(report, "Patrol presence against demand at the hotspots (red numbers: "
                                        "under-patrolled)"), basemap=basemap)
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format="png")
