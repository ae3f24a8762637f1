"""``beatwise brief``: the briefing pack (marked PDF, 300 dpi map, offline web map, GIS layers)."""
from __future__ import annotations


from analysis.hotspots.areas import DEFAULT_TOP_PERCENT
from analysis.hotspots.gistar import DEFAULT_GI_CELL_M
from analysis.hotspots.kde import KERNELS
from analysis.progress import BeatwiseError
from analysis.commands.hotspots import (add_kernel_bandwidth_arguments, add_max_hotspot_argument,
                                       add_outlier_argument, add_study_area_argument)
from analysis.commands._common import (add_filter_arguments, add_input_arguments, filters_from_args, load_project_or_data,
                      out_dir, print_json, say)


def register(sub) -> None:
    p = sub.add_parser(
        "brief", help="briefing pack: marked PDF, 300 dpi map, offline web map, GIS layers",
        description="Write a briefing pack to --out DIR: briefing.pdf (A4: summary with the hotspot map, "
                    "when, a street profile, shift timing, patrols, trends and repeats, method), map.png "
                    "(300 dpi A4 landscape), "
                    "map.html (works offline), hotspots.gpkg (with QGIS styles), density.tif and "
                    "hotspots.csv. The protective marking is printed at the top and bottom of every page.")
    add_input_arguments(p)
    add_filter_arguments(p)
    p.add_argument("--street", metavar="NAME",
                   help="street to profile (with --area to pick the district's one); default the "
                        "project's street, else the street with most incidents")
    p.add_argument("--title", metavar="TEXT", help="title of the pack")
    p.add_argument("--marking", metavar="TEXT|none",
                   help="protective marking on every page and map (default OFFICIAL-SENSITIVE; 'none' for none)")
    g = p.add_argument_group("shift timing")
    g.add_argument("--officers", type=int, metavar="N", help="officers to place (default: the current rota's)")
    g.add_argument("--shift-hours", type=float, metavar="L", help="shift length in hours")
    g.add_argument("--current", metavar="SPEC",
                   help="current rota to compare with, e.g. 07:00-17:00x4,14:00-00:00x3")
    g = p.add_argument_group("maps")
    g.add_argument("--online-basemap", action="store_true",
                   help="add OpenStreetMap tiles to map.html (opening it then contacts the tile server)")
    g.add_argument("--basemap", metavar="PATH",
                   help="offline basemap drawn muted under every map: an OpenStreetMap extract (.osm.pbf), "
                        ".mbtiles, a GeoPackage of raster tiles or an XYZ tile folder")
    g.add_argument("--boundaries", metavar="LAYER", help="boundaries layer (GeoJSON, GeoPackage, Shapefile) "
                                                         "drawn on the maps for context")
    g.add_argument("--streets", metavar="LAYER",
                   help="street layer (lines with names): the maps' basemap; incidents are snapped to it "
                        "(within 30 m) for the street profile")
    g = p.add_argument_group("density and hotspots")
    g.add_argument("--cell-m", type=float, metavar="M", help="density cell size in metres (default automatic)")
    g.add_argument("--bandwidth-m", default="auto", metavar="M|auto|silverman",
                   help="kernel radius in metres, 'auto' (ArcGIS rule, default) or 'silverman'")
    g.add_argument("--kernel", default="quartic", choices=KERNELS, help="kernel (default quartic)")
    add_kernel_bandwidth_arguments(g, bounds=False)
    g.add_argument("--top-percent", type=float, default=DEFAULT_TOP_PERCENT, metavar="P",
                   help=f"hotspots are the top P%% of the study area's cells by density "
                        f"(default {DEFAULT_TOP_PERCENT:g})")
    add_max_hotspot_argument(g)
    add_study_area_argument(g)
    add_outlier_argument(g)
    g.add_argument("--gi-cell-m", type=float, default=DEFAULT_GI_CELL_M, metavar="M",
                   help=f"Gi* counting cell in metres (default {DEFAULT_GI_CELL_M:g})")
    g.add_argument("--gi-distance-m", type=float, metavar="M",
                   help="Gi* distance band in metres (default from the data: the average distance from an "
                        "occupied Gi* cell to its 8 nearest occupied cells, at least two cells)")
    p.add_argument("--out", metavar="DIR", required=True, help="folder for the pack")
    p.add_argument("--json", action="store_true", help="print a summary of the pack as JSON on stdout")
    p.set_defaults(func=run)


def options_from_args(args):
    """:class:`~analysis.export.pdf.BriefingOptions` from the parsed arguments."""
    from analysis.export.pdf import DEFAULT_MARKING, BriefingOptions, normalise_marking

    bandwidth = args.bandwidth_m
    try:
        bandwidth = float(bandwidth)
    except (TypeError, ValueError):
        pass
    if args.officers is not None and args.officers < 1:
        raise BeatwiseError(f"--officers must be at least 1, got {args.officers}")
    if args.shift_hours is not None and not 0 < args.shift_hours <= 24:
        raise BeatwiseError(f"--shift-hours must be more than 0 and at most 24, got {args.shift_hours:g}")
    return BriefingOptions(
        title=args.title, marking=normalise_marking(DEFAULT_MARKING if args.marking is None else args.marking), filters=filters_from_args(args),
        street=args.street, street_area=args.in_area, cell_m=args.cell_m, bandwidth_m=bandwidth,
        kernel=args.kernel, top_percent=args.top_percent, gi_cell_m=args.gi_cell_m,
        gi_distance_m=args.gi_distance_m, officers=args.officers, shift_hours=args.shift_hours,
        current_rota=args.current, online_basemap=args.online_basemap, boundaries_path=args.boundaries,
        basemap_path=args.basemap,
        streets_path=args.streets, study_area_path=args.study_area, kernel_bandwidth=args.kernel_bandwidth,
        adaptive_k=args.adaptive_k, keep_outliers=args.keep_outliers, max_hotspot_km2=args.max_hotspot_km2 or None,
        min_incidents=args.min_incidents)


def run(args) -> int:
    from analysis.demo import demo_settings
    from analysis.export.pdf import write_briefing

    folder = out_dir(args.out, required=True)
    options = options_from_args(args)
    project = load_project_or_data(args)
    if not project.settings.get("synthetic") and project.report is not None \
            and project.report.synthetic:  # the demo's CSV imported on its own
        project.settings = {**demo_settings(), **project.settings}
    last = [-1.0]

    def progress(fraction: float, message: str) -> None:
        if not args.json and (fraction - last[0] >= 0.1 or (fraction >= 1.0 > last[0])):
            last[0] = fraction
            say(f"{100 * fraction:3.0f}% {message}")

    result = write_briefing(project, folder, options=options, preview_dpi=None, progress=progress)
    if args.json:
        print_json(result.summary)
    else:
        for h in result.summary["headlines"]:
            say(f"- {h}")
        for w in result.warnings:
            say(f"warning: {w}")
        for f in result.files:
            say(f"wrote {f}")
    return 0
