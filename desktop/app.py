"""``beatwise-desktop [PROJECT_OR_DATA_FILE ...] [--smoke] [--screenshot PATH [--view X0,Y0,X1,Y1]] [--basemap PATH]``.

Without a file the first start opens the SYNTHETIC demo with its hotspots computed; several data
files are imported together (one project). ``--smoke`` opens the demo (or the files), runs
hotspots, When, streets and shifts through the same workers the buttons use, and exits 0, or 1 on
any error (the message on stderr). ``--screenshot PATH`` does the same and saves
a PNG of the whole main window before exiting. Both work with ``QT_QPA_PLATFORM=offscreen``
and use a settings file of their own, so they never change the user's settings.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

T0 = time.perf_counter()

SMOKE_TIMEOUT_S = 300


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="beatwise-desktop",
                                description="Beatwise: where, when, which streets, and shift timing.")
    p.add_argument("paths", nargs="*", metavar="PROJECT_OR_DATA_FILE",
                   help="a .beatwise project, or incident data files to import together (default: the "
                        "last project, or the SYNTHETIC demo on first start)")
    p.add_argument("--smoke", action="store_true",
                   help="open, run hotspots, When, streets and shifts, then exit (0 = all worked)")
    p.add_argument("--screenshot", metavar="PATH",
                   help="as --smoke, then save a PNG of the main window to PATH")
    p.add_argument("--view", metavar="XMIN,YMIN,XMAX,YMAX",
                   help="with --screenshot: zoom the map to this extent (working CRS metres) first; the "
                        "view is redrawn at finer cells before the picture is taken")
    p.add_argument("--basemap", metavar="PATH",
                   help="draw this offline basemap (.osm.pbf, .mbtiles, GeoPackage tiles, XYZ folder) under the map "
                        "once the data is open, as File > Add basemap does")
    p.add_argument("--panel", metavar="NAME",
                   help="bring this dock to the front first (hotspots, streets, shifts, patrols, when...)")
    return p


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("LANG", "C.UTF-8")
    from analysis.memory import keep_large_arrays_out_of_the_heap

    keep_large_arrays_out_of_the_heap()   # a long-running app gives freed grids back (analysis.memory)
    headless = bool(args.smoke or args.screenshot)
    for path in args.paths:
        if not Path(path).exists():
            print(f"beatwise-desktop: {path}: no such file", file=sys.stderr)
            return 2
    if len(args.paths) > 1 and any(p.lower().endswith(".beatwise") for p in args.paths):
        print("beatwise-desktop: open one .beatwise project at a time (several data files are "
              "imported together)", file=sys.stderr)
        return 2

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    cheaper_pyside_import_check()
    from desktop import settings as app_settings

    tmp = None
    if headless:  # never read or change the user's settings
        tmp = tempfile.TemporaryDirectory(prefix="beatwise-smoke-")
        app_settings.configure(Path(tmp.name) / "settings.ini", app_settings.data_dir())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(app_settings.ORGANISATION)
    app.setApplicationName(app_settings.APPLICATION)
    app.setApplicationDisplayName("Beatwise")

    from desktop.main_window import MainWindow

    window = MainWindow(headless=headless, autosave_minutes=0 if headless else None)
    if headless:
        window.resize(1600, 1000)
        window.move(0, 0)
    window.show()
    # the modules, classes and widgets made so far live as long as the app: keep them out of the
    # cyclic garbage collector's full passes (which otherwise walk them all again, about 0.1 s each)
    gc.freeze()
    if os.environ.get("BEATWISE_STARTUP_REPORT"):  # tests/benchmarks/bench_startup.py
        QTimer.singleShot(0, lambda: print(f"beatwise-desktop: window shown {time.perf_counter() - T0:.3f} s "
                                           "after the app module loaded", file=sys.stderr, flush=True))
    if args.basemap:
        wanted = {"basemap": Path(args.basemap)}

        def add_basemap() -> None:
            if wanted.pop("basemap", None) is not None:
                window.add_basemap(args.basemap)

        window.projectLoaded.connect(add_basemap)
    QTimer.singleShot(0, lambda: window.start(args.paths))
    if not headless:
        return app.exec()

    view = None
    if args.view:
        try:
            view = tuple(float(v) for v in args.view.split(","))
            assert len(view) == 4 and view[2] > view[0] and view[3] > view[1]
        except (ValueError, AssertionError):
            print(f"beatwise-desktop: --view needs XMIN,YMIN,XMAX,YMAX in metres, got {args.view!r}",
                  file=sys.stderr)
            return 2
    status = {"code": None, "zoomed": None}
    deadline = time.monotonic() + SMOKE_TIMEOUT_S

    def check() -> None:
        if status["code"] is not None:
            return
        if window.errors:
            status["code"] = 1
        elif window.smoke_ready() and view is not None and status["zoomed"] is None:
            window.map.zoom_to(view, padding=0.0)  # the level of detail redraws the view
            status["zoomed"] = time.monotonic()
        elif window.smoke_ready() and (not args.basemap or ("basemap" in window.map.layers
                                                            and not window.tasks.is_running())) and (
                status["zoomed"] is None or (
                time.monotonic() - status["zoomed"] > 0.5 and not window.detail.timer.isActive())):
            code = 0
            if args.panel and args.panel in window.docks:
                window.docks[args.panel].raise_()
            if args.screenshot:
                code = save_screenshot(window, args.screenshot)
            status["code"] = code
        elif time.monotonic() > deadline:
            print(f"beatwise-desktop: not finished after {SMOKE_TIMEOUT_S} s", file=sys.stderr)
            status["code"] = 3
        if status["code"] is not None:
            timer.stop()
            window.shutdown()
            app.exit(status["code"])

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(100)
    app.exec()
    window.close()
    if tmp is not None:
        tmp.cleanup()
    print(f"beatwise-desktop: {'ok' if status['code'] == 0 else 'FAILED'} "
          f"({time.perf_counter() - T0:.1f} s)", file=sys.stderr)
    return int(status["code"] or 0)


def cheaper_pyside_import_check() -> bool:
    """Make PySide6's check of every newly imported module cheaper, with the same answers; True when done.

    Once PySide6 is loaded, each module imported after it (pandas, scipy, pyqtgraph: about 1,300 in
    a session) is checked for the text "PySide6" in its source, by ``inspect.getsource`` (for
    PySide's ``__feature__`` switching), which stats and reads the file into ``linecache`` and keeps
    its lines there: about 0.2 ms a module, and held memory. For a ``.py`` file this reads its bytes
    and looks for the same text; anything else (extension modules, zip imports) goes to PySide's own
    check. Beatwise selects no ``__feature__``; the answers are PySide's either way.
    """
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None or getattr(original, "_beatwise", False):
        return False

    def uses_pyside(module) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as fh:
                    return b"PySide6" in fh.read()
            except OSError:
                pass
        return original(module)

    uses_pyside._beatwise = True
    uses_pyside._original = original    # kept for the test that compares the two
    feature._mod_uses_pyside = uses_pyside
    return True


def save_screenshot(window, path) -> int:
    """Save a PNG of the whole main window (QWidget.grab, no pyqtgraph exporter)."""
    from PySide6.QtWidgets import QApplication

    for _ in range(5):  # let every pending paint and layout happen
        QApplication.processEvents()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixmap = window.grab()
    if not pixmap.save(str(path), "PNG"):
        print(f"beatwise-desktop: could not write {path}", file=sys.stderr)
        return 1
    print(f"beatwise-desktop: screenshot {path} ({pixmap.width()} x {pixmap.height()})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
