"""``beatwise import``: read data, report what was accepted and rejected, save a project."""
from __future__ import annotations

from pathlib import Path

from analysis.commands._common import (add_input_arguments, load_project_or_data, mapping_from_args, print_json,
                                       say)
from analysis.project import SUFFIX, save_project


def register(sub) -> None:
    p = sub.add_parser("import", help="import incident data and report every rejected row",
                       description="Read incident files (data.police.uk CSVs, force exports, GIS "
                                   "layers) or a .beatwise project and report rows read, accepted "
                                   "and rejected.")
    add_input_arguments(p, column_aliases=True)
    p.add_argument("--rejects", metavar="FILE.csv", help="write every rejected row here")
    p.add_argument("--out", metavar="P.beatwise", help="save the incidents as a project")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from analysis.store.address import StoreAddress

    if args.out or any(isinstance(p, StoreAddress) or Path(p).suffix == SUFFIX for p in args.inputs):
        project = load_project_or_data(args)
        rep = project.report
    else:  # the report only: the same path and checks, without making a shapely point per row
        from analysis.ingest.incidents import read_incidents

        project = None
        rep = read_incidents([Path(p) for p in args.inputs], mapping_from_args(args), geometry=False).report
    if args.rejects:
        rep.write_rejects(args.rejects)
    saved = None
    if args.out:
        saved = save_project(project, Path(args.out))
    summary = rep.to_dict()
    if saved:
        summary["project"] = str(saved)
    if args.json:
        print_json(summary)
    else:
        say(f"{rep.rows_read:,} rows read from {len(rep.files)} file(s): {rep.accepted:,} accepted, "
            f"{len(rep.rejected):,} rejected")
        for reason, n in rep.rejections.items():
            say(f"  rejected {n:,}: {reason}")
        say(f"working CRS {rep.crs}; times: {rep.time_precision}")
        for w in rep.warnings:
            say(f"  warning: {w}")
        if saved:
            say(f"saved {saved}")
    return 0
