"""The ``beatwise`` command: thin argument parsing around the analysis functions.

Sub-commands live in ``analysis/commands/<name>.py``; each module defines
``register(subparsers)`` and is found automatically. ``--json`` prints exactly one JSON
object on stdout; messages and errors go to stderr; user errors exit with status 2.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path
from typing import Sequence

from analysis import commands
from analysis.progress import BeatwiseError


def command_modules() -> dict[str, str]:
    """Sub-command name -> module name (``import_.py`` serves ``import``)."""
    return {info.name.rstrip("_"): info.name for info in pkgutil.iter_modules(commands.__path__)
            if not info.name.startswith("_")}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, just that sub-command's module is imported.

    Importing one sub-command instead of all of them keeps start-up short (scipy.stats,
    matplotlib and the like load only for the commands that use them).
    """
    parser = argparse.ArgumentParser(
        prog="beatwise",
        description="Beatwise: hotspots, when, streets and shift timing from police incident data "
                    "(offline). Every analysis of the desktop app, for batch briefings.")
    parser.add_argument("--version", action="version", version="beatwise 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    modules = command_modules()
    names = [only] if only in modules else sorted(modules)
    for name in names:
        module = importlib.import_module(f"{commands.__name__}.{modules[name]}")
        module.register(sub)
    return parser


INPUT_OPTIONS = ("inputs", "streets", "study_area", "boundaries", "basemap", "team", "patrols", "logs",
                 "check")
OUTPUT_OPTIONS = ("rejects", "out")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output path that is one of the inputs (through symlinks)."""
    from analysis.atomic import check_output

    inputs = []
    for name in INPUT_OPTIONS:
        value = getattr(args, name, None)
        inputs += [v for v in (value if isinstance(value, (list, tuple)) else [value]) if v]
    inputs = [p for p in inputs if isinstance(p, (str, os.PathLike)) and os.path.isfile(p)]
    for name in OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        if isinstance(value, (str, os.PathLike)) and value:
            if os.path.isdir(value) and name == "out" and not str(value).endswith(".beatwise"):
                continue  # an output folder: its files are checked as they are written
            check_output(value, inputs)


def stores_as_addresses(args: argparse.Namespace) -> None:
    """Store INPUTs (and a store ``--out``) become :class:`~analysis.store.address.StoreAddress`
    values, whose text has no password, so no summary, message or file written from ``args`` can
    show one. A store ``--out`` is refused by commands that do not set ``out_store`` (only those
    whose results are vector layers write to a store: :mod:`analysis.store.results`)."""
    from analysis.store.address import is_store, parse_address

    out = getattr(args, "out", None)
    if isinstance(out, str) and is_store(out):
        from analysis.store.results import table_given

        args.out_table_given = table_given(out)
        args.out = parse_address(out)
        if not getattr(args, "out_store", False):
            raise BeatwiseError(f"--out {args.out.redacted()}: only `beatwise hotspots` and `beatwise emerging` "
                                f"write results to a store; give `beatwise {args.command}` a folder")
    inputs = getattr(args, "inputs", None)
    if not isinstance(inputs, list):
        return
    if any(is_store(p) for p in inputs):
        args.inputs = [parse_address(p) if is_store(p) else p for p in inputs]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=first)
    args = parser.parse_args(argv)
    try:
        stores_as_addresses(args)
        check_outputs(args)
        return int(args.func(args) or 0)
    except BeatwiseError as exc:
        print(f"beatwise {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"beatwise {args.command}: error: out of memory; filter the data (--from/--to, "
              "--crime-type, --area) or use larger cells", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder the system refused: a message, never a traceback
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"beatwise {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"beatwise {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one sentence for the user, the traceback in a file
        if os.environ.get("BEATWISE_DEBUG"):
            raise
        where = _crash_report(args.command, argv)
        print(f"beatwise {args.command}: internal error ({type(exc).__name__}: {exc}). This is a bug in "
              f"Beatwise, not in your data; nothing was written. The details are in {where}", file=sys.stderr)
        return 1


def _crash_report(command: str, argv: Sequence[str]) -> str:
    """Write the current traceback to ``$XDG_STATE_HOME/beatwise`` (else ``~/.local/state``); its path.

    Passwords in store addresses are left out (the arguments are redacted)."""
    import tempfile
    import time
    import traceback

    from analysis.store.address import has_password, is_store, parse_address

    def redacted(a: str) -> str:
        try:
            return parse_address(a).redacted() if is_store(a) and has_password(a) else a
        except Exception:  # an address too broken to parse: left out altogether
            return "(store address)"

    safe = [redacted(a) for a in argv]
    folder = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "beatwise"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir())
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        path.write_text(f"beatwise {command}\nargs: {safe}\n\n{traceback.format_exc()}", encoding="utf-8")
    except OSError:
        return "(no file could be written)"
    return str(path)


def console_main() -> None:
    """Entry point of the ``beatwise`` script: :func:`main`, then a fast exit.

    Every output file is complete (written and fsynced through ``analysis.atomic``) when
    ``main`` returns, so the process skips the interpreter's teardown, which spends about a
    second freeing a million geometries after a large import. Streams are flushed first.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
