"""``beatwise temporal``: the hour x weekday profile (aoristic), optionally for one street and
compared before/after a date."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from analysis.csvfile import write_rows
from analysis.export.figures import heatmap_figure
from analysis.temporal.compare import compare_periods
from analysis.temporal.matrix import WEEKDAY_ABBR, hour_weekday_matrix
from analysis.commands._common import (add_filter_arguments, add_input_arguments, add_street_arguments,
                      filters_from_args, finish, import_summary, load_input, on_street, out_dir, say,
                      titled)


def register(sub) -> None:
    p = sub.add_parser(
        "temporal", help="hour x weekday profile of incidents (aoristic for time windows)",
        description="When incidents happen: a 7 x 24 matrix (Monday first) of incidents by weekday "
                    "and hour. Exact times count in their hour; from/to windows are spread over "
                    "their hours (aoristic, Ratcliffe 2000). Month-only data (data.police.uk) has "
                    "no time of day: counts by month and crime type are given instead.")
    add_input_arguments(p)
    add_filter_arguments(p)
    add_street_arguments(p)
    p.add_argument("--compare-at", metavar="DATE",
                   help="compare the profile before and after this date (rates per week, "
                        "chi-square test)")
    p.add_argument("--out", metavar="DIR",
                   help="write temporal_heatmap.png, temporal_matrix.csv and temporal.json here")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def _subtitle(args, n_text: str) -> str:
    parts = []
    if args.street:
        parts.append(args.street + (f", {args.in_area}" if args.in_area else ""))
    elif args.in_area:
        parts.append(args.in_area)
    filters = filters_from_args(args)
    text = filters.describe() if not filters.is_empty() else "all incidents"
    if args.in_area and text.startswith("area ") and args.street:
        text = ""
    parts.append(text)
    parts.append(n_text)
    return " · ".join(p for p in parts if p)


def _write_matrix_csv(path: Path, matrix) -> None:
    write_rows(path, ["weekday"] + [f"{h:02d}" for h in range(24)],
               ([day] + [float(f"{float(v):.6g}") for v in row] for day, row in zip(WEEKDAY_ABBR, matrix)))


def run(args) -> int:
    from analysis.store.address import StoreAddress

    filters = filters_from_args(args)
    store = next((i for i in args.inputs if isinstance(i, StoreAddress)), None)
    if store is not None and not args.street and not args.compare_at:
        from analysis.store.week import server_week_profile

        incidents = None  # 168 sums from the server, not the rows
        profile, rep = server_week_profile(store, filters)
    else:
        result = load_input(args)
        incidents = on_street(args, result.incidents)
        profile = hour_weekday_matrix(incidents)
        rep = result.report
    summary = {"input": [str(p) for p in args.inputs],
               "import": import_summary(rep),
               "filters": filters.to_dict(),
               "street": args.street, "street_area": args.in_area if args.street else None}
    summary.update(profile.to_dict())
    comparison = None
    if args.compare_at:
        comparison = compare_periods(incidents, args.compare_at,
                                     period_start=filters.date_from, period_end=(
                                         None if filters.date_to is None
                                         else filters.date_to + dt.timedelta(days=1)))
        summary["compare"] = comparison.to_dict()
    files = []
    folder = out_dir(args.out)
    if folder is not None:
        if profile.matrix is not None:
            n_text = f"{profile.n:,} incidents ({profile.weighting})"
            fig = heatmap_figure(profile.matrix, title=titled(rep, "Incidents by hour and weekday"),
                                 subtitle=_subtitle(args, n_text))
            png = folder / "temporal_heatmap.png"
            fig.savefig(png)
            files.append(png)
            csv_path = folder / "temporal_matrix.csv"
            _write_matrix_csv(csv_path, profile.matrix)
            files.append(csv_path)
            if comparison is not None:
                fig = heatmap_figure(
                    comparison.change, title=titled(rep, f"Change after {comparison.at.date()} (per week)"),
                    subtitle=(f"after minus before, incidents per week · chi-square "
                              f"p = {comparison.p_value:.3g} ({comparison.pooling})"),
                    diverging=True, colorbar_label="change in incidents per week")
                png = folder / "temporal_change.png"
                fig.savefig(png)
                files.append(png)
        else:
            say(f"no heatmap written: {profile.message}")
    return finish(args, summary, folder, files, "temporal.json",
                  lambda: _say_summary(profile, comparison, files))


def _say_summary(profile, comparison, files) -> None:
    say(profile.message)
    if profile.matrix is not None:
        p = profile.peak
        say(f"peak: {p.weekday_name} {p.hour:02d}:00-{p.hour:02d}:59 ({p.value:.1f})")
        say("      " + " ".join(f"{h:>4}" for h in range(0, 24)))
        for day, row in zip(WEEKDAY_ABBR, profile.matrix):
            say(f"{day:<5} " + " ".join(f"{v:4.0f}" for v in row))
    if profile.by_month:
        say("by month: " + ", ".join(f"{k} {v:g}" for k, v in profile.by_month.items()))
    if profile.by_crime_type:
        top = list(profile.by_crime_type.items())[:8]
        say("by crime type: " + ", ".join(f"{k} {v:g}" for k, v in top))
    if comparison is not None:
        say(f"before {comparison.at.date()}: {comparison.before.n:,} incidents over "
            f"{comparison.weeks_before:.1f} weeks; after: {comparison.after.n:,} over "
            f"{comparison.weeks_after:.1f} weeks")
        say(f"chi-square {comparison.chi2:.2f} (dof {comparison.dof}), "
            f"p = {comparison.p_value:.3g}" + (f"; {comparison.note}" if comparison.note else ""))
    for f in files:
        say(f"wrote {f}")
