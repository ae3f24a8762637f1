"""``beatwise forecast``: next period's boxes, with how well each method did on the force's own past periods."""
from __future__ import annotations

from analysis.commands._common import (add_filter_arguments, add_input_arguments, filters_from_args, finish,
                                       import_summary, load_input, out_dir, say, titled)


def register(sub) -> None:
    from analysis.spacetime.evaluation import DEFAULT_TEST_PERIODS
    from analysis.spacetime.forecast import DEFAULT_CELL_M, DEFAULT_WINDOW_WEEKS, METHODS
    from analysis.spacetime.next_period import DEFAULT_COVERAGE_PCT
    from analysis.spacetime.periods import PERIODS

    p = sub.add_parser(
        "forecast", help="forecast next week's (day's, shift's) boxes, with a back-test of each method",
        description="Four methods (naive counts, retrospective KDE, prospective hotspotting, self-exciting "
                    "ETAS) are back-tested over the last periods (each fitted only on incidents before the "
                    "period) and scored by hit rate, PAI, PEI and RRI at 0.5-10%% of the area; the best (or "
                    "--method) forecasts the next period as numbered boxes.")
    add_input_arguments(p)
    add_filter_arguments(p)
    p.add_argument("--period", choices=PERIODS, default="week", help="forecast period (default %(default)s)")
    p.add_argument("--method", choices=METHODS, help="method for the forecast (default: best back-tested PAI)")
    p.add_argument("--cell-m", type=float, default=DEFAULT_CELL_M, help="cell size in metres (default %(default)g)")
    p.add_argument("--test-weeks", "--test-periods", dest="test_periods", type=int, default=DEFAULT_TEST_PERIODS,
                   help="back-test periods (default %(default)s)")
    p.add_argument("--coverage", type=float, default=DEFAULT_COVERAGE_PCT,
                   help="share of the area the boxes cover, %% (default %(default)g)")
    p.add_argument("--window-weeks", "--window", dest="window_weeks", type=int, default=DEFAULT_WINDOW_WEEKS,
                   help="weeks of incidents for naive and kde (default %(default)s)")
    p.add_argument("--bandwidth-m", type=float, help="kde bandwidth in metres (default 2 cells)")
    p.add_argument("--train-days", type=float, default=365.0, help="etas training window in days (default %(default)g)")
    p.add_argument("--study-area", metavar="FILE", help="boundary layer: forecast and score its cells only")
    p.add_argument("--keep-outliers", action="store_true", help="include out-of-area incidents")
    p.add_argument("--out", metavar="DIR", help="write forecast.tif (+.qml), boxes.gpkg, backtest.csv, "
                                                "coverage_curves.png and forecast.json here")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from analysis.spacetime.forecast import ForecastParams
    from analysis.spacetime.next_period import forecast_incidents

    result = load_input(args, geometry=False)
    params = ForecastParams(window_weeks=args.window_weeks, bandwidth_m=args.bandwidth_m, train_days=args.train_days)
    fc = forecast_incidents(result.incidents, period=args.period, method=args.method, cell_m=args.cell_m,
                            test_periods=args.test_periods, coverage_pct=args.coverage, params=params,
                            boundary_path=args.study_area, keep_outliers=args.keep_outliers)
    summary = {"input": [str(p) for p in args.inputs], "import": import_summary(result.report),
               "filters": filters_from_args(args).to_dict(), "out_of_area": fc.outliers.summary(), **fc.summary()}
    files = []
    folder = out_dir(args.out)
    if folder is not None:
        files = write_outputs(fc, folder, titled(result.report, "Forecast back-test"))
    return finish(args, summary, folder, files, "forecast.json", lambda: _say(fc))


def write_outputs(fc, folder, title: str) -> list:
    """forecast.tif (+ .qml), boxes.gpkg, backtest.csv and coverage_curves.png in ``folder``."""
    import numpy as np

    from analysis.atomic import atomic_write
    from analysis.csvfile import write_csv
    from analysis.export.forecast_figure import coverage_curves_figure
    from analysis.export.raster import write_grid_geotiff
    from analysis.export.raster_style import density_qml, qml_path
    from analysis.export.vector import StyledLayer, qml_hotspots, sld_hotspots, write_geopackage
    from analysis.spacetime.boxes import boxes_frame

    vmax = float(np.nanmax(fc.risk)) if np.isfinite(fc.risk).any() else 1.0
    units = f"expected incidents per cell per {fc.period}"
    tif = write_grid_geotiff(fc.risk, fc.grid, folder / "forecast.tif", units=units,
                             description=f"Forecast, {fc.method}, {fc.label}",
                             tags={"method": fc.method, "period": fc.label, "cell_m": str(fc.grid.cell_m)},
                             qml=density_qml(vmax, units=units))
    frame = boxes_frame(list(fc.boxes), fc.grid.crs, fc.label, fc.method)
    gpkg = write_geopackage(folder / "boxes.gpkg", [StyledLayer(
        "boxes", frame, qml_hotspots(), sld_hotspots("boxes"),
        f"Forecast boxes for the {fc.label} ({fc.method}, {fc.coverage_pct:g}% of the area)")])
    csv = write_csv(fc.backtest.table(), folder / "backtest.csv")
    fig = coverage_curves_figure(fc.backtest, title,
                                 subtitle=f"{len(fc.backtest.origins)} {fc.period}s, {fc.backtest.labels[0]} to "
                                          f"{fc.backtest.labels[-1]} · {fc.grid.cell_m:g} m cells",
                                 chosen=fc.method)
    png = folder / "coverage_curves.png"
    with atomic_write(png) as tmp:
        fig.savefig(tmp, format="png")
    return [tif, qml_path(tif), gpkg, csv, png]


def _say(fc) -> None:
    bt = fc.backtest
    say(f"{fc.data.n_events:,} incidents; back-test over {len(bt.origins)} {fc.period}s "
        f"({bt.labels[0]} to {bt.labels[-1]}), {fc.grid.cell_m:g} m cells")
    say(f"{'method':<12}" + "".join(f"  hit {c:g}%  PAI {c:g}%" for c in bt.coverages_pct))
    for m in bt.methods:
        cells = []
        for c in bt.coverages_pct:
            h, p = bt.stats(m, "hit_rate", c)["mean"], bt.stats(m, "pai", c)["mean"]
            cells.append(f"  {('-' if h is None else f'{100 * h:5.1f}%'):>7}  {('-' if p is None else f'{p:5.2f}'):>6}")
        say(f"{m:<12}" + "".join(cells))
    say(f"method: {fc.method}, {fc.chosen_by}")
    say(f"forecast for the {fc.label}: {len(fc.boxes)} boxes over {fc.coverage_pct:g}% of the area")
    for b in fc.boxes[:10]:
        say(f"  {b.rank:>3}. {b.risk:6.2f} expected, {b.n_cells} cells: {', '.join(b.streets) or '(no street names)'}")
    say(fc.expected_hit_text())
