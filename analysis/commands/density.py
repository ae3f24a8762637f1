"""``beatwise density``: a kernel density surface (GeoTIFF + QGIS style + JSON), from files or a store.

From a store (``postgresql://...`` or ``pg:SERVICE``) the incidents are binned on the server
(:func:`analysis.store.binning.server_kde`): only counts per cell cross the network, so a
force-wide history gives a district's surface in seconds. ``--fetch-rows`` fetches the filtered
rows instead (the comparison of issue 18's benchmark). A fixed bandwidth; ``beatwise hotspots``
makes the full hotspot analysis (adaptive bandwidths, areas, Gi*).
"""
from __future__ import annotations

import time

from analysis.commands._common import (add_filter_arguments, add_input_arguments, filters_from_args, finish,
                                       import_summary, load_input, out_dir, say, titled)
from analysis.hotspots.kde import KERNELS
from analysis.progress import BeatwiseError


def register(sub) -> None:
    p = sub.add_parser("density", help="kernel density surface as a GeoTIFF (server-binned from a store)",
                       description="A fixed-bandwidth kernel density surface (Wand 1994 linear binning, FFT "
                                   "convolution) written as density.tif with its QGIS style. From a PostGIS "
                                   "store the binning runs on the server.")
    add_input_arguments(p)
    add_filter_arguments(p)
    g = p.add_argument_group("density")
    g.add_argument("--kernel", default="quartic", choices=KERNELS, help="kernel (default quartic)")
    g.add_argument("--bandwidth-m", default="auto", metavar="M|auto|silverman",
                   help="kernel radius in metres, 'auto' (ArcGIS rule, default) or 'silverman'")
    g.add_argument("--cell-m", type=float, metavar="M", help="cell size (default: a fifth of the bandwidth at most)")
    g.add_argument("--fetch-rows", action="store_true",
                   help="from a store: fetch the filtered rows and bin here instead of on the server")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for density.tif, its .qml and density.json")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=run)


def _surface(args):
    from analysis.store.address import StoreAddress

    filters = filters_from_args(args)
    stores = [i for i in args.inputs if isinstance(i, StoreAddress)]
    if stores and not args.fetch_rows:
        from analysis.store.binning import server_kde

        surface = server_kde(stores[0], filters, kernel=args.kernel, bandwidth_m=args.bandwidth_m, cell_m=args.cell_m)
        return surface, None, "server"
    if args.fetch_rows and not stores:
        raise BeatwiseError("--fetch-rows is for a store INPUT")
    from analysis.hotspots.kde import grid_for_kde, kde

    result = load_input(args, geometry=False)
    if len(result.incidents) == 0:
        raise BeatwiseError(f"no incidents after the filters ({filters.describe()})")
    inc = result.incidents
    grid, choice = grid_for_kde(inc, cell_m=args.cell_m, kernel=args.kernel, bandwidth_m=args.bandwidth_m)
    return kde(inc, grid, kernel=args.kernel, bandwidth_m=choice), result.report, "here"


def run(args) -> int:
    from analysis.export.raster import write_density_geotiff
    from analysis.export.raster_style import qml_path

    folder = out_dir(args.out, required=True)
    t0 = time.perf_counter()
    surface, rep, binned = _surface(args)
    tif = write_density_geotiff(surface, folder / "density.tif")
    summary = {
        "input": [str(p) for p in args.inputs], "filters": filters_from_args(args).to_dict(),
        "binned": binned, "incidents": surface.n_points, "kernel": surface.kernel,
        "bandwidth_m": surface.bandwidth_m, "bandwidth_rule": surface.bandwidth_rule,
        "grid": surface.grid.describe(), "max_density": surface.max_density, "units": surface.density_units,
        "integral": surface.integral, "warnings": list(surface.warnings),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if rep is not None:
        summary["import"] = import_summary(rep)
        summary["title"] = titled(rep, "Density")
    files = [tif, qml_path(tif)]

    def tell() -> None:
        say(f"{surface.n_points:,} incidents, {surface.kernel} kernel, bandwidth {surface.bandwidth_m:.0f} m "
            f"({'binned on the server' if binned == 'server' else 'binned here'}), "
            f"{surface.grid.nx} x {surface.grid.ny} cells of {surface.grid.cell_m:g} m")
        for w in surface.warnings:
            say(f"warning: {w}")
        for f in files:
            say(f"wrote {f}")

    return finish(args, summary, folder, files, "density.json", tell)
