"""Options and helpers every sub-command shares: inputs, column mapping, filters, JSON."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Optional

import numpy as np

from analysis.filters import Filters, apply_filters, parse_date
from analysis.ingest.columns import ColumnMapping
from analysis.ingest.incidents import read_incidents
from analysis.ingest.schema import ImportResult
from analysis.progress import BeatwiseError, ProgressFn
from analysis.project import SUFFIX, Project, load_project
from analysis.hotspots.streets import DEFAULT_MAX_DISTANCE_M

MAPPING_OPTIONS = (
    ("--lon", "lon", "column of WGS84 longitude"),
    ("--lat", "lat", "column of WGS84 latitude"),
    ("--x", "x", "column of projected x / easting (with --crs)"),
    ("--y", "y", "column of projected y / northing (with --crs)"),
    ("--crs", "crs", "CRS of --x/--y or --wkt, e.g. EPSG:27700"),
    ("--wkt", "wkt", "column of WKT point geometry"),
    ("--time", "time", "column of date-time (one column)"),
    ("--date", "date", "column of date (with --time-of-day)"),
    ("--time-of-day", "time_of_day", "column of time of day (with --date)"),
    ("--start", "start", "column of window start (aoristic from/to data)"),
    ("--end", "end", "column of window end; empty means an exact time"),
    ("--crime-type-column", "crime_type", "column of crime type"),
    ("--id", "id", "column of incident id"),
    ("--location", "location", "column of location / street text"),
    ("--area-column", "area", "column of area (district, ward, beat)"),
    ("--weight", "weight", "numeric column of incident weight (e.g. harm)"),
    ("--sheet", "sheet", "worksheet of an XLSX workbook"),
)


def add_input_arguments(parser: argparse.ArgumentParser, *, many: bool = True,
                        column_aliases: bool = False) -> None:
    """INPUT paths (files, folders or a .beatwise project) and the column-mapping options.

    Analysis commands use ``--crime-type T`` and ``--area TEXT`` as filters, so their
    column options are ``--crime-type-column`` and ``--area-column``; ``beatwise import``
    (no filters) also accepts the short ``--crime-type COL`` / ``--area COL``
    (``column_aliases``).
    """
    parser.add_argument("inputs", nargs="+" if many else 1, metavar="INPUT",
                        help="data files (CSV, TSV, XLSX, GeoPackage, GeoJSON, Shapefile), folders "
                             "of them, a .beatwise project, or a PostGIS store "
                             "(postgresql://HOST/DB?table=TABLE or pg:SERVICE)")
    g = parser.add_argument_group("column mapping (auto-detected when not given)")
    aliases = {"crime_type": "--crime-type", "area": "--area"} if column_aliases else {}
    for flag, dest, text in MAPPING_OPTIONS:
        flags = [flag] + ([aliases[dest]] if dest in aliases else [])
        g.add_argument(*flags, dest=f"map_{dest}", metavar="COL" if dest not in ("crs", "sheet")
                       else dest.upper(), help=text)
    g.add_argument("--dayfirst", dest="map_dayfirst", action="store_true", default=None,
                   help="dates are UK DD/MM/YYYY")


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """``--crime-type T ...``, ``--from``, ``--to`` and ``--area TEXT`` filters."""
    g = parser.add_argument_group("filters")
    g.add_argument("--crime-type", dest="crime_types", action="append", default=[], metavar="T",
                   help="keep this crime type (repeat for more)")
    g.add_argument("--from", dest="date_from", metavar="DATE", help="first day, YYYY-MM-DD")
    g.add_argument("--to", dest="date_to", metavar="DATE", help="last day, YYYY-MM-DD")
    g.add_argument("--area", dest="in_area", metavar="TEXT",
                   help="keep incidents whose area (district) or LSOA name starts with TEXT, "
                        "e.g. Southend-on-Sea")


def add_street_arguments(parser: argparse.ArgumentParser) -> None:
    """``--street NAME`` (keep one street's incidents) with ``--streets LAYER`` to snap to."""
    g = parser.add_argument_group("street")
    g.add_argument("--street", metavar="NAME",
                   help="only incidents on this street (with --area to pick the district's one)")
    g.add_argument("--streets", metavar="LAYER",
                   help="street layer to snap incidents to (else the location text is used)")
    g.add_argument("--streets-name-column", metavar="COL", help="street name column of LAYER")
    g.add_argument("--max-distance-m", type=float, default=DEFAULT_MAX_DISTANCE_M, metavar="M",
                   help=f"snapping distance to LAYER in metres (default {DEFAULT_MAX_DISTANCE_M:g})")


def on_street(args: argparse.Namespace, incidents):
    """The incidents on ``--street`` (in ``--area``), by location text or snapped to ``--streets``."""
    if args.streets and not args.street:
        raise BeatwiseError("--streets LAYER is used with --street NAME")
    if not args.street:
        return incidents
    from analysis.hotspots.streets import assign_streets, filter_street, read_street_layer

    layer = None
    if args.streets:
        layer = read_street_layer(args.streets, incidents.crs, name_column=args.streets_name_column)
    assignment = assign_streets(incidents, layer, args.max_distance_m)
    return filter_street(incidents, args.street, area=args.in_area, assignment=assignment)


def mapping_from_args(args: argparse.Namespace) -> ColumnMapping:
    values = {dest: getattr(args, f"map_{dest}", None) for _, dest, _ in MAPPING_OPTIONS}
    values["dayfirst"] = getattr(args, "map_dayfirst", None)
    return ColumnMapping(**values)


def filters_from_args(args: argparse.Namespace) -> Filters:
    return Filters(crime_types=tuple(getattr(args, "crime_types", None) or ()),
                   date_from=parse_date(getattr(args, "date_from", None), "--from"),
                   date_to=parse_date(getattr(args, "date_to", None), "--to"),
                   area=getattr(args, "in_area", None))


def load_project_or_data(args: argparse.Namespace, progress: Optional[ProgressFn] = None, *,
                         geometry: bool = True) -> Project:
    """A Project from a single .beatwise INPUT, or from importing the data INPUTs.

    ``geometry=False``: data INPUTs are imported without shapely points (an incidents table with
    ``x``, ``y``; :func:`analysis.ingest.incidents.read_incidents`) for commands that need only the
    coordinates; a project opens as it is.
    """
    from analysis.store.address import StoreAddress, is_store

    stores = [p for p in args.inputs if isinstance(p, StoreAddress) or is_store(p)]
    if stores:
        if len(args.inputs) > 1:
            raise BeatwiseError("give one store, or files, not both")
        from analysis.store.read import project_from_store

        return project_from_store(stores[0], filters_from_args(args), progress, geometry=geometry)
    inputs = [Path(p) for p in args.inputs]
    projects = [p for p in inputs if p.suffix == SUFFIX]
    if projects:
        if len(inputs) > 1:
            raise BeatwiseError("give either one .beatwise project or data files, not both")
        return load_project(projects[0], progress=progress)
    result = read_incidents(inputs, mapping_from_args(args), progress=progress, geometry=geometry)
    return Project.from_import(result)


def load_input(args: argparse.Namespace, progress: Optional[ProgressFn] = None, *,
               geometry: bool = True) -> ImportResult:
    """Incidents from INPUT with the filters applied (the report is the import's)."""
    project = load_project_or_data(args, progress, geometry=geometry)
    incidents = apply_filters(project.incidents, filters_from_args(args))
    if project.report is None:
        raise BeatwiseError("the project has no import report")
    return ImportResult(incidents, project.report)


def import_summary(report) -> dict:
    """The ``import`` block every analysis command puts in its JSON."""
    return {"rows_read": report.rows_read, "accepted": report.accepted,
            "rejected": len(report.rejected), "rejections": report.rejections,
            "time_precision": report.time_precision, "synthetic": report.synthetic}


def titled(report, title: str) -> str:
    """A figure title, marked SYNTHETIC when the data is the demo's."""
    return f"SYNTHETIC demo data: {title}" if report.synthetic else title


def _default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not math.isfinite(float(o)) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def to_json(obj) -> str:
    """JSON text with numpy values and dates converted; NaN becomes null."""
    return json.dumps(obj, default=_default, indent=2, allow_nan=False)


def print_json(obj) -> None:
    """Print ``obj`` as the single JSON object on stdout."""
    sys.stdout.write(to_json(obj) + "\n")
    sys.stdout.flush()


def write_json(obj, path: Path) -> Path:
    path.write_text(to_json(obj) + "\n", encoding="utf-8")
    return path


def finish(args, summary: dict, folder: Optional[Path], files: list, json_name: str, tell) -> int:
    """End a sub-command: with ``--out``, write ``summary`` as ``json_name`` there (listing every
    file written, itself included); then print the JSON (``--json``) or call ``tell()`` for the
    human-readable lines on stderr. Returns the exit status 0."""
    if folder is not None:
        json_path = folder / json_name
        summary["files"] = [str(f) for f in files] + [str(json_path)]
        write_json(summary, json_path)
        files.append(json_path)
    if args.json:
        print_json(summary)
    else:
        tell()
    return 0


def say(text: str) -> None:
    """A human-readable line on stderr (stdout is kept for --json)."""
    print(text, file=sys.stderr)


def out_dir(path: str | None, required: bool = False) -> Optional[Path]:
    if path is None:
        if required:
            raise BeatwiseError("--out DIR is required")
        return None
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise BeatwiseError(f"--out {p}: exists and is not a folder")
    p.mkdir(parents=True, exist_ok=True)
    return p


def out_store(args):
    """The store of ``--out`` (a :class:`~analysis.store.address.StoreAddress`, made by the CLI from
    ``postgresql://...`` or ``pg:SERVICE``), or None when ``--out`` is a folder or absent."""
    from analysis.store.address import StoreAddress

    out = getattr(args, "out", None)
    return out if isinstance(out, StoreAddress) else None


def _out_prefix(args) -> tuple[str, str]:
    """(schema, prefix) of the ``--out`` store's result tables (:func:`analysis.store.results.result_prefix`)."""
    from analysis.store.results import result_prefix

    return result_prefix(out_store(args), bool(getattr(args, "out_table_given", False)), args.inputs)


def check_out_store(args) -> None:
    """Before the analysis runs: the ``--out`` store is reachable and writable by its user."""
    from analysis.store.results import check_writable

    check_writable(out_store(args), _out_prefix(args)[0])


def write_to_store(args, layers: list, command: str, parameters: dict, not_written: list[str],
                   stale: tuple = ()) -> dict:
    """Write ``layers`` to the ``--out`` store (:func:`analysis.store.results.write_results`, one
    transaction; ``stale``: layers of an earlier run this one does not make) and return the
    summary's ``store`` block: the store and prefix (no password), each table with its rows, and
    what stays a file (``not_written``)."""
    from analysis.store.results import write_results

    address = out_store(args)
    schema, prefix = _out_prefix(args)
    tables = write_results(address, layers, schema=schema, prefix=prefix, command=command, parameters=parameters,
                           stale=stale)
    return {"address": address.with_table(f"{schema}.{prefix}").redacted(), "prefix": f"{schema}.{prefix}",
            "tables": [t.to_dict() for t in tables], "not_written": not_written}


def say_store(block: dict) -> None:
    """The human-readable lines of a store ``--out``: each table written and what stays a file."""
    for t in block["tables"]:
        say(f"wrote {t['table']} ({t['rows']:,} rows{', replaced the earlier result' if t['replaced'] else ''})")
    for text in block["not_written"]:
        say(f"not written: {text}")
    say(f"store {block['address']}: open the tables in QGIS with Layer > Data Source Manager > PostgreSQL "
        "(their style loads by default)")


STORE_OUT_HELP = ("; or a PostGIS store (postgresql://HOST/DB?table=PREFIX or pg:SERVICE): the layers become "
                  "tables PREFIX_LAYER, styled for QGIS (rasters and figures stay files)")
