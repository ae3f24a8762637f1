"""``beatwise hotspots``: kernel density surface, ranked hotspot areas and (optionally) Gi*.

Writes ``density.tif`` (float32 GeoTIFF), ``hotspots.gpkg`` (layers ``hotspots`` and, with
``--gi-star``, ``gi_star_cells``) and ``summary.json`` to ``--out DIR``; ``--json`` prints the summary.
With ``--out STORE`` (``postgresql://...?table=PREFIX`` or ``pg:SERVICE``) the layers become the tables
``PREFIX_hotspots`` and ``PREFIX_gi_star_cells`` instead (:mod:`analysis.store.results`), and no file
is written: the density raster stays a file (run with ``--out DIR`` for it).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from analysis.hotspots.areas import DEFAULT_TOP_PERCENT
from analysis.hotspots.gistar import DEFAULT_GI_CELL_M
from analysis.hotspots.kde import KERNELS
from analysis.progress import BeatwiseError
from analysis.commands._common import (STORE_OUT_HELP, add_filter_arguments, add_input_arguments, check_out_store,
                                       filters_from_args, import_summary, load_input, out_dir, out_store, print_json,
                                       say, say_store, write_json, write_to_store)



def register(sub) -> None:
    p = sub.add_parser(
        "hotspots", help="density surface, hotspot areas and Gi* hot spots",
        description="Where incidents concentrate: a kernel density surface in incidents per km^2 "
                    "(linear binning + FFT), the top --top-percent of cells dissolved into ranked "
                    "hotspot areas (incidents inside, area, share, PAI, main locations), and with "
                    "--gi-star the Getis-Ord Gi* hot and cold spots of counts in a coarser grid "
                    "(Benjamini-Hochberg FDR by default).")
    add_input_arguments(p)
    add_filter_arguments(p)
    g = p.add_argument_group("density")
    g.add_argument("--cell-m", type=float, metavar="M",
                   help="cell size in metres (default: shorter side of the extent / 250, rounded)")
    g.add_argument("--bandwidth-m", default="auto", metavar="M|auto|silverman",
                   help="kernel radius in metres, 'auto' (ArcGIS rule, default) or 'silverman'")
    g.add_argument("--kernel", default="quartic", choices=KERNELS, help="kernel (default quartic)")
    add_kernel_bandwidth_arguments(g)
    g.add_argument("--weights", metavar="COL|TABLE",
                   help="weight incidents by a numeric column, or by a crime type -> weight table "
                        "(a CSV of crime_type,weight or a JSON object), e.g. harm weights")
    g.add_argument("--top-percent", type=float, default=DEFAULT_TOP_PERCENT, metavar="P",
                   help=f"hotspot areas are the top P%% of the study area's cells by density "
                        f"(default {DEFAULT_TOP_PERCENT:g})")
    add_max_hotspot_argument(g)
    add_study_area_argument(g)
    add_outlier_argument(g)
    g = p.add_argument_group("Gi* significance")
    g.add_argument("--gi-star", action="store_true", help="also compute Getis-Ord Gi* hot/cold spots")
    g.add_argument("--gi-cell-m", type=float, default=DEFAULT_GI_CELL_M, metavar="M",
                   help=f"Gi* counting cell size in metres (default {DEFAULT_GI_CELL_M:g})")
    g.add_argument("--gi-distance-m", type=float, metavar="M",
                   help="Gi* distance band in metres, inclusive (default from the data: the average distance "
                        "from an occupied Gi* cell to its 8 nearest occupied cells, at least two cells)")
    g.add_argument("--no-fdr", action="store_true",
                   help="classify Gi* on raw p-values instead of Benjamini-Hochberg FDR")
    p.add_argument("--out", metavar="DIR|STORE", required=True,
                   help="write density.tif, hotspots.gpkg and summary.json here" + STORE_OUT_HELP)
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=run, out_store=True)


def add_study_area_argument(group) -> None:
    """``--study-area FILE``: the boundary that bounds the PAI, the top percent and Gi*."""
    group.add_argument("--study-area", metavar="FILE",
                       help="boundary polygons (GeoJSON, GeoPackage, Shapefile) of the study area: the top "
                            "percent, the PAI's area and Gi* are over its cells only (default: the cells "
                            "within reach of the incidents, stated in the output)")


def add_kernel_bandwidth_arguments(group, *, bounds: bool = True) -> None:
    """``--kernel-bandwidth auto|adaptive|fixed``, ``--adaptive-k`` and (``bounds``) the adaptive
    kernel's ``--min-bandwidth-m`` / ``--max-bandwidth-m``."""
    from analysis.hotspots.adaptive import DEFAULT_K
    from analysis.hotspots.surface import AUTO_RATIO, MODES

    group.add_argument("--kernel-bandwidth", default="auto", choices=MODES,
                       help="fixed bandwidth, adaptive (Abramson's square-root law: narrow kernels where "
                            "incidents are dense), or auto (default): adaptive when the fixed bandwidth is over "
                            f"{AUTO_RATIO:g} times the median adaptive one, e.g. a force's towns and countryside; "
                            "the reason is printed")
    group.add_argument("--adaptive-k", type=int, default=DEFAULT_K, metavar="K",
                       help=f"adaptive: each kernel holds about K incidents at the local density (default {DEFAULT_K})")
    if not bounds:
        return
    group.add_argument("--min-bandwidth-m", type=float, metavar="M",
                       help="adaptive: smallest bandwidth (default a quarter of the typical one)")
    group.add_argument("--max-bandwidth-m", type=float, metavar="M",
                       help="adaptive: largest bandwidth (default four times the typical one)")


def add_max_hotspot_argument(group) -> None:
    """``--max-hotspot-km2 A`` (split larger hotspot areas at their density peaks) and ``--min-incidents N``."""
    from analysis.hotspots.areas import DEFAULT_MAX_HOTSPOT_KM2, DEFAULT_MIN_INCIDENTS

    group.add_argument("--max-hotspot-km2", type=float, default=DEFAULT_MAX_HOTSPOT_KM2, metavar="A",
                       help="largest patrollable hotspot area in km^2: larger areas are split at their density "
                            f"peaks, and any part still larger is flagged (default {DEFAULT_MAX_HOTSPOT_KM2:g}; "
                            "0 to keep whole areas)")
    group.add_argument("--min-incidents", type=int, default=DEFAULT_MIN_INCIDENTS, metavar="N",
                       help="an area of top cells is listed as a hotspot only when it holds at least N "
                            f"incidents (default {DEFAULT_MIN_INCIDENTS})")


def add_outlier_argument(group) -> None:
    """``--keep-outliers``: grid the out-of-area incidents too (they are always reported)."""
    group.add_argument("--keep-outliers", action="store_true",
                       help="include the out-of-area incidents (far from all others: the rule is in "
                            "analysis/hotspots/outliers.py and the output) in the grids and statistics; "
                            "by default they are reported by name and left out (with --study-area, those "
                            "more than 5 km outside the boundary)")


def read_weight_table(path: Path) -> dict[str, float]:
    """A crime type -> weight table from a JSON object or a two-column CSV (header optional)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BeatwiseError(f"cannot read the weights table {path}: {exc.strerror}") from None
    table: dict[str, float] = {}
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BeatwiseError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(raw, dict):
            raise BeatwiseError(f"{path}: expected a JSON object of crime type -> weight")
        items = list(raw.items())
        first_line = 1
    else:
        rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
        items = [(r[0], r[1] if len(r) > 1 else "") for r in rows]
        first_line = 1
        if items:
            try:
                float(items[0][1])
            except ValueError:  # a header row
                items = items[1:]
                first_line = 2
    for k, (name, value) in enumerate(items):
        try:
            table[str(name).strip()] = float(value)
        except (TypeError, ValueError):
            raise BeatwiseError(f"{path}, entry {k + first_line}: weight {value!r} for {name!r} is not a "
                                "number") from None
    if not table:
        raise BeatwiseError(f"{path}: the weights table is empty")
    return table


def _weights_option(args):
    from analysis.store.address import is_store

    """``--weights`` as (weights argument for kde, description); a column goes through the import mapping."""
    value = args.weights
    if value is None:
        return None, None
    path = Path(value)
    if path.suffix.lower() in (".csv", ".json", ".txt") or path.is_file():
        return read_weight_table(path), f"crime-type table {path}"
    if any(Path(str(i)).suffix == ".beatwise" or is_store(i) for i in args.inputs):
        raise BeatwiseError("--weights COL needs data files: a .beatwise project or a store keeps the weights "
                            "chosen when it was imported")
    if getattr(args, "map_weight", None) not in (None, value):
        raise BeatwiseError(f"--weights {value} and --weight {args.map_weight} disagree: give one")
    args.map_weight = value  # the importer reads the column into the incidents' weight field
    return None, f"column {value}"


def options_from_args(args):
    """The :class:`analysis.hotspots.analysis.HotspotOptions` of ``beatwise hotspots``/``brief`` options."""
    from analysis.hotspots.analysis import HotspotOptions

    return HotspotOptions(kernel=args.kernel, bandwidth_m=args.bandwidth_m, kernel_bandwidth=args.kernel_bandwidth,
                          cell_m=args.cell_m, adaptive_k=args.adaptive_k,
                          min_bandwidth_m=getattr(args, "min_bandwidth_m", None),
                          max_bandwidth_m=getattr(args, "max_bandwidth_m", None), top_percent=args.top_percent,
                          max_hotspot_km2=args.max_hotspot_km2 or None, min_incidents=args.min_incidents,
                          gi_star=bool(getattr(args, "gi_star", True)), gi_cell_m=args.gi_cell_m,
                          gi_distance_m=args.gi_distance_m, fdr=not getattr(args, "no_fdr", False),
                          study_area_path=args.study_area, keep_outliers=args.keep_outliers)


def run(args) -> int:
    from analysis.export.raster import write_density_geotiff
    from analysis.export.raster_style import qml_path
    from analysis.export.vector import hotspot_layers, write_geopackage
    from analysis.hotspots.analysis import hotspot_analysis
    from analysis.spacetime.hotspot_matrix import RULE_LABEL, hotspot_matrix

    weights, weights_text = _weights_option(args)
    store = out_store(args)
    if store is not None:
        check_out_store(args)   # before any work: reachable, and its user may create the tables
    folder = None if store is not None else out_dir(args.out, required=True)
    result = load_input(args, geometry=False)  # coordinates and columns only: no point objects needed
    filters = filters_from_args(args)
    if len(result.incidents) == 0:
        what = "after the filters (" + filters.describe() + ")" if not filters.is_empty() else "in the input"
        raise BeatwiseError(f"no incidents with coordinates {what}: {result.report.accepted:,} imported. "
                            "Widen the filters or check the input.")
    run = hotspot_analysis(result.incidents, options_from_args(args), weights=weights)
    surface, mode, areas, gi, study, outliers = run.surface, run.mode, run.areas, run.gi, run.study, run.outliers
    grid = surface.grid
    matrix = hotspot_matrix(areas, run.incidents, run.xy)
    distance_rule = (f"given: {args.gi_distance_m:g} m (--gi-distance-m)" if args.gi_distance_m
                     else run.band_rule) if args.gi_star else None
    extra_warnings = list(run.warnings)
    n_all = run.n_all

    layers = hotspot_layers(areas, gi)
    if store is None:
        tif = write_density_geotiff(surface, folder / "density.tif")
        gpkg = write_geopackage(folder / "hotspots.gpkg", layers)
        json_path = folder / "summary.json"

    rep = result.report
    summary = {
        "input": [str(p) for p in args.inputs],
        "import": import_summary(rep),
        "filters": filters.to_dict(),
        "n_incidents": surface.n_points,
        "n_incidents_all": n_all,
        "out_of_area": outliers.summary(),
        "total_weight": surface.total_weight,
        "weights": weights_text,
        "kernel": surface.kernel,
        "kernel_bandwidth": mode.summary(),
        "bandwidth_m": surface.bandwidth_m,
        "bandwidth_rule": surface.bandwidth_rule,
        "bandwidth_classes_m": list(surface.bandwidth_classes),
        "bandwidth_class_counts": list(surface.class_counts),
        "smallest_bandwidth_m": surface.smallest_bandwidth_m,
        "cell_m": grid.cell_m,
        "grid": grid.describe(),
        "density_units": surface.density_units,
        "max_density": surface.max_density,
        "integral": surface.integral,
        "oversample": surface.oversample,
        "top_percent": areas.top_percent,
        "threshold_density": areas.threshold_density,
        "study_area_km2": areas.study_area_km2,
        "study_area": study.summary(),
        "ranked_by": areas.ranked_by,
        "max_hotspot_km2": areas.max_hotspot_km2,
        "n_split": areas.n_split,
        "min_incidents": areas.min_incidents,
        "n_unlisted": areas.n_unlisted,
        "hotspots": [{**h.summary(), "matrix": matrix[h.rank].summary()} for h in areas.hotspots],
        "matrix_rule": RULE_LABEL,
        "gi_star": None if gi is None else {**gi.summary(), "distance_rule": distance_rule},
        "warnings": list(rep.warnings) + list(surface.warnings) + list(areas.warnings)
        + (list(gi.warnings) if gi is not None else []) + extra_warnings,
        "files": [str(tif), str(qml_path(tif)), str(gpkg), str(json_path)] if store is None else [],
    }
    if store is None:
        write_json(summary, json_path)
    else:
        summary["store"] = write_to_store(args, layers, "beatwise hotspots", _parameters(summary),
                                          ["density.tif: rasters stay files (run with --out DIR for the density "
                                           "surface)"], stale=() if gi is not None else ("gi_star_cells",))
    if args.json:
        print_json(summary)
    else:
        _say_summary(summary)
    return 0


def _parameters(s: dict) -> dict:
    """What a result table's comment keeps of the run: input, filters and the choices made."""
    keys = ("input", "filters", "n_incidents", "weights", "kernel", "bandwidth_m", "bandwidth_rule", "cell_m",
            "top_percent", "threshold_density", "ranked_by", "max_hotspot_km2", "min_incidents")
    out = {k: s[k] for k in keys}
    out["study_area"] = s["study_area"].get("description")
    if s["gi_star"] is not None:
        out["gi_star"] = {k: s["gi_star"][k] for k in ("cell_m", "distance_m", "fdr", "distance_rule")}
    return out


def _say_summary(s: dict) -> None:
    say(s["out_of_area"]["sentence"])
    say(f"bandwidth: {s['kernel_bandwidth']['reason']}")
    if s["bandwidth_classes_m"]:
        say(f"{s['n_incidents']:,} incidents; {s['kernel']} kernel, adaptive bandwidths "
            f"{s['bandwidth_classes_m'][0]:.0f}-{s['bandwidth_classes_m'][-1]:.0f} m ({s['bandwidth_rule']})")
    else:
        say(f"{s['n_incidents']:,} incidents; {s['kernel']} kernel, bandwidth {s['bandwidth_m']:.0f} m "
            f"({s['bandwidth_rule']})")
    g = s["grid"]
    say(f"grid {g['nx']} x {g['ny']} cells of {s['cell_m']:g} m ({g['crs']}); peak {s['max_density']:.1f} "
        f"{s['density_units']}; integral {s['integral']:.1f}")
    a = s["study_area"]
    say(f"study area: {a['description']}, {a['area_km2']:.2f} km^2")
    say(f"hotspot areas: top {s['top_percent']:g}% of the study area's cells (density >= "
        f"{s['threshold_density']:.1f}), ranked by {s['ranked_by']}:")
    for h in s["hotspots"][:10]:
        names = "; ".join(h["locations"]) or "-"
        say(f"  {h['rank']:>3}. {h['incidents']:>6,} incidents  {h['area_km2']:.3f} km^2  "
            f"share {100 * h['share']:.1f}%  PAI {h['pai']:.1f}  {names}"
            + ("  [larger than the patrollable size]" if h.get("oversized") else "")
            + f"  [{h['matrix']['spatial']}, {h['matrix']['temporal']}]")
    if len(s["hotspots"]) > 10:
        say(f"  ... {len(s['hotspots']) - 10} more in " + ("the hotspots table" if "store" in s else "hotspots.gpkg"))
    if s["hotspots"]:
        say(f"  [spatial, temporal]: the hotspot matrix ({s['matrix_rule']}); e.g. hotspot 1: "
            f"{s['hotspots'][0]['matrix']['response']}")
    if s["gi_star"] is not None:
        gi = s["gi_star"]
        say(f"Gi* ({gi['cell_m']:g} m cells, band {gi['distance_m']:.0f} m, "
            f"{'FDR' if gi['fdr'] else 'raw p'}; {gi['distance_rule']}): hot cells 99/95/90% = "
            f"{gi['hot']['99']}/{gi['hot']['95']}/{gi['hot']['90']}, cold = "
            f"{gi['cold']['99']}/{gi['cold']['95']}/{gi['cold']['90']}")
    for w in s["warnings"]:
        say(f"warning: {w}")
    for f in s["files"]:
        say(f"wrote {f}")
    if "store" in s:
        say_store(s["store"])
