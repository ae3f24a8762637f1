"""``beatwise nearrepeat``: do incidents come in runs nearby and soon after each other? (the Knox test)"""
from __future__ import annotations

import numpy as np

from analysis.commands._common import (add_filter_arguments, add_input_arguments, filters_from_args, finish,
                                       import_summary, load_input, out_dir, say, titled)
from analysis.progress import BeatwiseError


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise BeatwiseError(f"{option}: give numbers separated by commas, e.g. 0,1,100,200; got {text!r}") from None


def register(sub) -> None:
    from analysis.spacetime.near_repeat import (DEFAULT_DISTANCE_BANDS_M, DEFAULT_PERMUTATIONS, DEFAULT_SEED,
                                                DEFAULT_TIME_BANDS_DAYS, METRICS)

    p = sub.add_parser(
        "nearrepeat", help="near-repeat (Knox) test: more incidents nearby and soon after than chance gives?",
        description="Pairs of incidents binned by distance apart x days apart, against the same table "
                    "with the dates shuffled over the places (as R NearRepeat and the Near Repeat "
                    "Calculator; bands in interval notation [a, b)). Needs incidents with dates: "
                    "month-only data (data.police.uk) cannot be tested.")
    add_input_arguments(p)
    add_filter_arguments(p)
    p.add_argument("--distance-bands", default=",".join(f"{v:g}" for v in DEFAULT_DISTANCE_BANDS_M), metavar="M,M,...",
                   help="distance break points in metres; [0, 1) is the same place (default %(default)s)")
    p.add_argument("--time-bands", default=",".join(f"{v:g}" for v in DEFAULT_TIME_BANDS_DAYS), metavar="D,D,...",
                   help="time break points in days; [0, 1) is the same day (default %(default)s)")
    p.add_argument("--metric", choices=METRICS, default="manhattan",
                   help="distance: manhattan (|dx|+|dy|, as R NearRepeat) or euclidean (default %(default)s)")
    p.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS, metavar="N",
                   help="random shuffles of the dates (default %(default)s)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    p.add_argument("--out", metavar="DIR", help="write knox.csv, knox.png and nearrepeat.json here")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from analysis.csvfile import write_csv
    from analysis.spacetime.pipeline import crime_word, knox_run

    result = load_input(args, geometry=False)
    crime = crime_word(getattr(args, "crime_types", None) or ())
    run_ = knox_run(result.incidents, distance_bands_m=_floats(args.distance_bands, "--distance-bands"),
                    time_bands_days=_floats(args.time_bands, "--time-bands"), metric=args.metric,
                    permutations=args.permutations, seed=args.seed, crime=crime)
    knox = run_.result
    summary = {"input": [str(p) for p in args.inputs], "import": import_summary(result.report),
               "filters": filters_from_args(args).to_dict(), **run_.summary(),
               "note": "Bands are [a, b): the Near Repeat Calculator labels a band 'a to b' but computes "
                       "[a-1, b) (Steenbeek, NearRepeat vignette 'NRC')."}
    files = []
    folder = out_dir(args.out)
    if folder is not None:
        from analysis.export.knox_figure import knox_figure

        files.append(write_csv(knox.table(), folder / "knox.csv"))
        fig = knox_figure(knox, titled(result.report, "Near-repeat: Knox ratios"),
                          subtitle=f"{knox.n_incidents:,} {crime} incidents, {knox.metric} distance")
        png = folder / "knox.png"
        from analysis.atomic import atomic_write

        with atomic_write(png) as tmp:
            fig.savefig(tmp, format="png")
        files.append(png)
    return finish(args, summary, folder, files, "nearrepeat.json", lambda: _say(knox, summary))


def _say(knox, summary) -> None:
    say(f"{knox.n_incidents:,} incidents with dates ({summary['n_without_date']:,} without); "
        f"{knox.n_pairs:,} pairs within {knox.distance_bands_m[-1]:g} m ({knox.metric}); "
        f"{knox.permutations} permutations, seed {knox.seed}")
    width = max(len(x) for x in knox.distance_labels)
    say(" " * (width + 2) + "  ".join(f"{t:>16}" for t in knox.time_labels))
    for i, d in enumerate(knox.distance_labels):
        cells = []
        for j in range(len(knox.time_labels)):
            r, p = knox.knox_ratio[i, j], knox.p_value[i, j]
            cells.append(f"{('-' if not np.isfinite(r) else f'{r:.2f}'):>7} (p {p:.3f})")
        say(f"{d:<{width}}  " + "  ".join(f"{c:>16}" for c in cells))
    say(knox.sentence())
    say(summary["note"])
