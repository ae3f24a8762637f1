"""``beatwise streets``: streets ranked by incidents (per 100 m with a street layer) and one
street's profile."""
from __future__ import annotations


from analysis.csvfile import write_rows
from analysis.export.figures import heatmap_figure
from analysis.hotspots.street_ranking import rank_streets, street_profile
from analysis.hotspots.streets import DEFAULT_MAX_DISTANCE_M, assign_streets, read_street_layer
from analysis.commands._common import (add_filter_arguments, add_input_arguments, filters_from_args, finish,
                      import_summary, load_input, out_dir, say, titled)


def register(sub) -> None:
    p = sub.add_parser(
        "streets", help="streets ranked by incidents, and one street's profile",
        description="Put incidents on streets by their location text (data.police.uk \"On or near "
                    "York Road\" together with the district) or by snapping them to the nearest "
                    "segment of a street layer, rank the streets, and profile one street.")
    add_input_arguments(p)
    add_filter_arguments(p)
    p.add_argument("--streets", metavar="LAYER",
                   help="street layer (GeoJSON, GeoPackage, Shapefile) to snap incidents to; "
                        "gives lengths and incidents per 100 m")
    p.add_argument("--streets-name-column", metavar="COL",
                   help="street name column of LAYER (default: name, name1, road_name, ...)")
    p.add_argument("--max-distance-m", type=float, default=DEFAULT_MAX_DISTANCE_M, metavar="M",
                   help=f"snapping distance in metres (default {DEFAULT_MAX_DISTANCE_M:g})")
    p.add_argument("--top", type=int, default=20, metavar="N", help="streets to list (default 20)")
    p.add_argument("--include-places", action="store_true",
                   help="rank data.police.uk places (Supermarket, Parking Area, ...) as streets")
    p.add_argument("--street", metavar="NAME", help="profile this street (in --area if given)")
    p.add_argument("--out", metavar="DIR",
                   help="write streets.csv, streets.json and, with --street, street_heatmap.png")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    result = load_input(args)
    incidents = result.incidents
    layer = None
    if args.streets:
        layer = read_street_layer(args.streets, incidents.crs, name_column=args.streets_name_column)
    assignment = assign_streets(incidents, layer, args.max_distance_m)
    ranking = rank_streets(incidents, area=args.in_area, top=args.top, streets=layer,
                           max_distance_m=args.max_distance_m, include_places=args.include_places,
                           assignment=assignment)
    rep = result.report
    summary = {"input": [str(p) for p in args.inputs],
               "import": import_summary(rep),
               "filters": filters_from_args(args).to_dict()}
    summary.update(ranking.to_dict())
    profile = None
    if args.street:
        profile = street_profile(incidents, args.street, area=args.in_area, streets=layer,
                                 max_distance_m=args.max_distance_m, assignment=assignment)
        summary["profile"] = profile.to_dict()
    folder = out_dir(args.out)
    files = []
    if folder is not None:
        csv_path = folder / "streets.csv"
        write_rows(csv_path, ["rank", "name", "area", "incidents", "length_m", "per_100m"],
                   ([i, s.name, s.area, s.incidents,
                     None if s.length_m is None else round(s.length_m, 1),
                     None if s.per_100m is None else round(s.per_100m, 3)]
                    for i, s in enumerate(ranking.streets, 1)))
        files.append(csv_path)
        if profile is not None and profile.matrix is not None:
            t = profile.temporal
            fig = heatmap_figure(profile.matrix, title=titled(rep, f"{profile.name}: incidents by hour and weekday"),
                                 subtitle=" · ".join(x for x in (
                                     profile.area, f"{t.n:,} incidents ({t.weighting})") if x))
            png = folder / "street_heatmap.png"
            fig.savefig(png)
            files.append(png)
        elif profile is not None:
            say(f"no street heatmap written: {profile.temporal.message}")
    return finish(args, summary, folder, files, "streets.json",
                  lambda: _say_summary(ranking, profile, files))


def _say_summary(ranking, profile, files) -> None:
    how = ("snapped to the street layer" if ranking.method == "snap"
           else "matched by location text")
    say(f"{ranking.n_incidents:,} incidents, {ranking.n_matched:,} {how}, "
        f"{ranking.n_streets:,} streets" + (f" ({ranking.n_places:,} at data.police.uk places "
                                            "such as supermarkets left out)" if ranking.n_places else ""))
    for i, s in enumerate(ranking.streets, 1):
        extra = "" if s.per_100m is None else f"  {s.length_m:8.0f} m  {s.per_100m:6.2f} per 100 m"
        say(f"{i:3d}. {s.name:<32} {s.area:<20} {s.incidents:6d}{extra}")
    if profile is not None:
        say(f"{profile.name}{', ' + profile.area if profile.area else ''}: {profile.incidents:,} "
            f"incidents, {profile.share_of_area:.1%} of {profile.area or 'all'} incidents")
        say("  by month: " + ", ".join(f"{k} {v:g}" for k, v in profile.by_month.items()))
        say("  by crime type: " + ", ".join(f"{k} {v:g}" for k, v in profile.by_crime_type.items()))
        say("  " + profile.temporal.message)
    for f in files:
        say(f"wrote {f}")
