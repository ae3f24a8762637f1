"""``beatwise store``: load files into a shared PostGIS store, list its tables, show its import log.

Every analysis command reads a store as INPUT (``postgresql://HOST/DB?table=TABLE`` or
``pg:SERVICE``): the filters run on the server (:mod:`analysis.store`).
"""
from __future__ import annotations

from analysis.commands._common import add_input_arguments, mapping_from_args, print_json, say
from analysis.progress import BeatwiseError

STORE_HELP = ("postgresql://HOST/DB?table=TABLE, postgresql:///DB?host=SOCKET_DIR&table=TABLE, or pg:SERVICE "
              "(a libpq service); the password from ~/.pgpass or PGPASSWORD, never on the command line")


def register(sub) -> None:
    p = sub.add_parser("store", help="load incidents into a shared PostGIS store; list its tables and imports",
                       description="A force's shared incident history in PostGIS. " + STORE_HELP)
    ss = p.add_subparsers(dest="store_command", metavar="ACTION")
    ss.required = True
    load = ss.add_parser("load", help="import files and append them to the store (one transaction)",
                         description="Import files through the normal path (every row accounted for), "
                                     "COPY them into the store in one transaction, and log each file "
                                     "(rows, SHA-256, when, by whom). A file already loaded is refused.")
    add_input_arguments(load)
    load.description += " The last INPUT is the store: " + STORE_HELP
    load.add_argument("--json", action="store_true", help="print what was loaded as JSON")
    load.set_defaults(func=run_load)
    tables = ss.add_parser("tables", help="list the incidents tables in the store's database")
    tables.add_argument("inputs", nargs=1, metavar="STORE", help=STORE_HELP)
    tables.add_argument("--json", action="store_true")
    tables.set_defaults(func=run_tables)
    log = ss.add_parser("log", help="the store's import log: every file loaded, when and by whom")
    log.add_argument("inputs", nargs=1, metavar="STORE", help=STORE_HELP)
    log.add_argument("--json", action="store_true")
    log.set_defaults(func=run_log)


def _store(value):
    from analysis.store.address import StoreAddress, is_store, parse_address

    if isinstance(value, StoreAddress):
        return value
    if not is_store(value):
        raise BeatwiseError(f"{value}: the last INPUT must be the store ({STORE_HELP})")
    return parse_address(value)


def run_load(args) -> int:
    from analysis.store.address import StoreAddress
    from analysis.store.load import load_files

    if len(args.inputs) < 2:
        raise BeatwiseError("give the files to load, then the store")
    *files, target = args.inputs
    address = _store(target)
    if any(isinstance(f, StoreAddress) for f in files):
        raise BeatwiseError("give files to load, then one store")

    def progress(fraction: float, message: str) -> None:
        if not args.json:
            say(f"{100 * fraction:3.0f}% {message}")

    result = load_files(files, address, mapping_from_args(args), progress=progress)
    if args.json:
        print_json(result.to_dict())
    else:
        rep = result.report
        say(f"{rep.rows_read:,} rows read from {len(result.files)} file(s): {rep.accepted:,} loaded, "
            f"{len(rep.rejected):,} rejected (kept in {address.table}_rejected)")
        say(f"{result.rows_in_store:,} incidents in {address.redacted()} (CRS {result.crs})")
    return 0


def run_tables(args) -> int:
    from analysis.store.read import list_tables

    address = _store(args.inputs[0])
    tables = list_tables(address)
    if args.json:
        print_json({"store": address.redacted(), "tables": tables})
    else:
        if not tables:
            say("no Beatwise incidents tables in this database")
        for t in tables:
            say(f"{t['schema']}.{t['table']}: about {t['rows']:,} incidents, EPSG:{t['srid']}")
    return 0


def run_log(args) -> int:
    from analysis.store.read import import_log

    address = _store(args.inputs[0])
    rows = import_log(address)
    if args.json:
        print_json({"store": address.redacted(), "imports": rows})
    else:
        for r in rows:
            say(f"{r['import_id']:>4} {r['loaded_at']:%Y-%m-%d %H:%M} {r['loaded_by']}: {r['file']} "
                f"({r['rows_read']:,} rows, {r['accepted']:,} loaded, {r['rejected']:,} rejected)")
    return 0
