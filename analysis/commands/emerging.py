"""``beatwise emerging``: emerging hot spots (new, intensifying, persistent, diminishing...) over time steps.

``--out DIR`` writes emerging.gpkg (layer ``emerging_cells``), emerging.png and emerging.json; ``--out STORE``
writes the table ``PREFIX_emerging_cells`` instead (:mod:`analysis.store.results`; the figure stays a file).
"""
from __future__ import annotations

from analysis.commands._common import (STORE_OUT_HELP, add_filter_arguments, add_input_arguments, check_out_store,
                                       filters_from_args, finish, import_summary, load_input, out_dir, out_store, say,
                                       say_store, titled, write_to_store)


def register(sub) -> None:
    from analysis.spacetime.emerging import MIN_STEPS, RULES
    from analysis.spacetime.pipeline import DEFAULT_CELL_M
    from analysis.spacetime.steps import STEPS

    p = sub.add_parser(
        "emerging", help="emerging hot spots: Gi* in a space-time cube and the trend of each cell",
        description="A space-time cube of incident counts (cells x time steps), Gi* per bin with a spatial "
                    "band and a time lag, FDR-corrected, the Mann-Kendall trend of each cell's z-scores, and "
                    "the 17 classes of ArcGIS Emerging Hot Spot Analysis (or R sfdep's rules).")
    add_input_arguments(p)
    add_filter_arguments(p)
    p.add_argument("--cell-m", type=float, default=DEFAULT_CELL_M, help="cell size in metres (default %(default)g)")
    p.add_argument("--distance-m", type=float, help="spatial band in metres (default: from the data, as Gi*)")
    p.add_argument("--step", choices=STEPS, default=None,
                   help="time step (default month for month-only data, else week)")
    p.add_argument("--time-lag", type=int, default=1, help="earlier steps in each bin's neighbourhood (default 1)")
    p.add_argument("--rules", choices=RULES, default="arcgis", help="classification rules (default %(default)s)")
    p.add_argument("--min-steps", type=int, default=MIN_STEPS,
                   help=f"accept fewer time steps than {MIN_STEPS} (warned in the output)")
    p.add_argument("--no-fdr", action="store_true", help="arcgis rules: raw p-values instead of FDR")
    p.add_argument("--study-area", metavar="FILE", help="boundary layer: statistics over its cells only")
    p.add_argument("--basemap", metavar="PATH", help="offline basemap under emerging.png (.osm.pbf, .mbtiles, "
                                                     "GeoPackage tiles, XYZ folder)")
    p.add_argument("--out", metavar="DIR|STORE",
                   help="write emerging.gpkg, emerging.png and emerging.json here" + STORE_OUT_HELP)
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run, out_store=True)


def run(args) -> int:
    from analysis.spacetime.pipeline import emerging_run

    store = out_store(args)
    if store is not None:
        check_out_store(args)   # before any work: reachable, and its user may create the tables
    result = load_input(args, geometry=False)
    run_ = emerging_run(result.incidents, cell_m=args.cell_m, distance_m=args.distance_m, step=args.step,
                        time_lag=args.time_lag, rules=args.rules, fdr=not args.no_fdr, min_steps=args.min_steps,
                        study_area_path=args.study_area)
    ehs, step, crs = run_.result, run_.step, run_.crs
    grid, labels, distance = ehs.grid, ehs.steps, ehs.distance_m
    summary = {"input": [str(p) for p in args.inputs], "import": import_summary(result.report),
               "filters": filters_from_args(args).to_dict(), **run_.summary()}
    files = []
    folder = None if store is not None else out_dir(args.out)
    if store is not None:
        summary["store"] = write_to_store(args, [_cells_layer(ehs, args.rules, step)], "beatwise emerging",
                                          _parameters(summary), ["emerging.png: figures stay files (run with "
                                                                 "--out DIR for it" + (", with its --basemap"
                                                                 if args.basemap else "") + ")"])
    if folder is not None:
        from analysis.atomic import atomic_write
        from analysis.export.emerging_figure import emerging_figure
        from analysis.export.vector import write_geopackage

        files.append(write_geopackage(folder / "emerging.gpkg", [_cells_layer(ehs, args.rules, step)]))
        basemap = None
        if args.basemap:
            from analysis.basemap import load_basemap

            basemap = load_basemap(args.basemap, crs, (grid.x0, grid.y0, grid.x1, grid.y1), width_px=2000)
        fig = emerging_figure(ehs, titled(result.report, "Emerging hot spots"), basemap=basemap,
                              subtitle=f"{len(labels)} {step}s, {labels[0]} to {labels[-1]} · {args.rules} rules · "
                                       f"{grid.cell_m:g} m cells, band {distance:.0f} m, time lag {args.time_lag}")
        png = folder / "emerging.png"
        with atomic_write(png) as tmp:
            fig.savefig(tmp, format="png")
        files.append(png)
    return finish(args, summary, folder, files, "emerging.json", lambda: _say(summary))


def _cells_layer(ehs, rules: str, step: str):
    """The styled ``emerging_cells`` layer, the same in emerging.gpkg and in a store."""
    from analysis.export.emerging_figure import EMERGING_STYLE
    from analysis.export.vector import StyledLayer, qml_categories, sld_categories

    return StyledLayer("emerging_cells", ehs.to_geodataframe(), qml_categories("emerging_class", EMERGING_STYLE),
                       sld_categories("emerging_cells", "emerging_class", EMERGING_STYLE),
                       f"Emerging hot spot classes ({rules} rules, {step} steps, {ehs.grid.cell_m:g} m cells)")


def _parameters(s: dict) -> dict:
    """What the table's comment keeps of the run: input, filters and the choices made."""
    keys = ("input", "filters", "n_incidents", "step", "cell_m", "distance_m", "distance_rule", "time_lag", "rules",
            "fdr")
    return {k: s.get(k) for k in keys}


def _say(s) -> None:
    say(f"{s['n_incidents']:,} incidents in {s['n_steps']} {s['step']} steps ({s['steps'][0]} to {s['steps'][-1]}); "
        f"{s['n_cells']:,} cells of {s['cell_m']:g} m, band {s['distance_m']:.0f} m, time lag {s['time_lag']}; "
        f"{s['rules']} rules")
    for name, n in s["classes"].items():
        say(f"  {n:>7,}  {name}")
    for w in s["warnings"]:
        say(f"warning: {w}")
    if "store" in s:
        say_store(s["store"])
