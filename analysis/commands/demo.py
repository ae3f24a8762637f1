"""``beatwise demo``: write the SYNTHETIC Southend-on-Sea demo data."""
from __future__ import annotations

from analysis.demo import SYNTHETIC_LABEL, write_demo
from analysis.commands._common import print_json, say


def register(sub) -> None:
    p = sub.add_parser("demo", help="write the SYNTHETIC Southend-on-Sea demo data",
                       description="Write incidents.csv, patrols.csv and demo.beatwise: a seeded, "
                                   "SYNTHETIC year of Southend-on-Sea incidents and patrol GPS.")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    p.add_argument("--seed", type=int, default=20250106, help="random seed (same seed, same data)")
    p.add_argument("--json", action="store_true", help="print the written paths as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    files = write_demo(args.out, seed=args.seed)
    info = {"incidents": str(files.incidents_csv), "patrols": str(files.patrols_csv),
            "patrol_logs": str(files.logs_csv),
            "project": str(files.project), "note": SYNTHETIC_LABEL}
    if args.json:
        print_json(info)
    else:
        say(f"{SYNTHETIC_LABEL}: wrote {files.incidents_csv}, {files.patrols_csv}, "
            f"{files.logs_csv}, {files.project}")
    return 0
