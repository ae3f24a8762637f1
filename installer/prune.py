"""What the PyInstaller bundle leaves out, and why (used by beatwise.spec; checked by
tests/installer/test_installer_files.py; listed for people in installer/README.md).

Three kinds of thing:

- ``EXCLUDED_MODULES``: Python modules PyInstaller must not follow. Each is either never imported
  by Beatwise and only reached by a dependency inside ``try: ... except ImportError`` (pyqtgraph's
  ``QtTest``/``QtSvg``, pyarrow's file systems and Flight), or belongs to a feature of a dependency
  that Beatwise does not use (matplotlib's GUI backends: Beatwise draws with Agg and writes PDF).
  The test checks that no file under analysis/ or desktop/ imports any of them.
- ``DROPPED_FILES``: regular expressions on a collected file's destination path (binaries and
  data): Qt plugins and libraries for things Beatwise does not do, tests and C/Cython sources of
  dependencies, duplicate copies of the same library.
- ``TESTS_OF``: packages whose ``tests`` sub-packages are dropped (by module name and by path).

Do not drop anything here without running ``make installer`` (the smoke commands): pyarrow's
``libarrow_substrait`` looks unused but ``pyarrow.lib`` links it (a prune of it broke the bundle).
"""
from __future__ import annotations

import re

#: module -> why it can go
EXCLUDED_MODULES: dict[str, str] = {
    "tkinter": "no Tk user interface",
    "PySide6.QtTest": "pyqtgraph imports it inside try/except; only the test suite (pytest-qt) uses it",
    "PySide6.QtSvg": "pyqtgraph's SVG exporter only (try/except); Beatwise exports PNG/PDF",
    "PySide6.QtNetwork": "no Qt networking (the app is offline); drags in the TLS and network plugins",
    "PySide6.QtWebEngineCore": "not in PySide6-Essentials; never used",
    "PySide6.QtWebEngineWidgets": "not in PySide6-Essentials; never used",
    "matplotlib.backends.backend_qt": "GUI backend; Beatwise draws with Agg (FigureCanvasAgg) and PdfPages",
    "matplotlib.backends.backend_qtagg": "GUI backend (only pyqtgraph's unused MatplotlibWidget imports it)",
    "matplotlib.backends.backend_qtcairo": "GUI backend",
    "matplotlib.backends.qt_compat": "the Qt GUI backends' helper",
    "matplotlib.backends.qt_editor": "the Qt GUI backends' figure editor",
    "matplotlib.backends.backend_tkagg": "GUI backend",
    "matplotlib.backends.backend_tkcairo": "GUI backend",
    "matplotlib.backends._backend_tk": "GUI backend",
    "matplotlib.backends.backend_gtk3": "GUI backend",
    "matplotlib.backends.backend_gtk3agg": "GUI backend",
    "matplotlib.backends.backend_gtk3cairo": "GUI backend",
    "matplotlib.backends.backend_gtk4": "GUI backend",
    "matplotlib.backends.backend_gtk4agg": "GUI backend",
    "matplotlib.backends.backend_gtk4cairo": "GUI backend",
    "matplotlib.backends.backend_wx": "GUI backend",
    "matplotlib.backends.backend_wxagg": "GUI backend",
    "matplotlib.backends.backend_wxcairo": "GUI backend",
    "matplotlib.backends.backend_macosx": "GUI backend",
    "matplotlib.backends.backend_webagg": "browser backend (tornado)",
    "matplotlib.backends.backend_webagg_core": "browser backend",
    "matplotlib.backends.backend_nbagg": "Jupyter backend",
    "matplotlib.backends.backend_cairo": "cairo backend; Agg is used",
    "matplotlib.backends.backend_pgf": "LaTeX PGF output; Beatwise writes PNG and PDF",
    "matplotlib.backends.backend_ps": "PostScript output; Beatwise writes PNG and PDF",
    "matplotlib.backends.backend_svg": "SVG output; Beatwise writes PNG and PDF",
    "matplotlib.backends.backend_template": "an example backend",
    "pyarrow.flight": "Arrow Flight RPC (30 MB libarrow_flight); Beatwise reads local files",
    "pyarrow._flight": "Arrow Flight RPC",
    "pyarrow._s3fs": "S3 file system (17 MB libarrow_s3); pyarrow.fs imports it inside try/except",
    "pyarrow._gcsfs": "Google Cloud Storage file system (try/except in pyarrow.fs)",
    "pyarrow._azurefs": "Azure file system (try/except in pyarrow.fs)",
    "pyarrow._hdfs": "Hadoop file system (try/except in pyarrow.fs)",
    "pyarrow.orc": "ORC files; Beatwise's project files hold Parquet",
    "pyarrow._orc": "ORC files",
    "pyarrow._dataset_orc": "ORC datasets (try/except in pyarrow.dataset)",
    "pyarrow.cuda": "GPU memory",
    "pyarrow.gandiva": "LLVM expression compiler",
    "pyarrow.conftest": "pyarrow's own test configuration",
    "PIL._avif": "AVIF images (libavif, 5 MB): no Beatwise input is AVIF (XYZ tiles are PNG, JPEG or WebP); "
                 "Pillow's AVIF plugin imports it inside try/except",
    "PIL._imagingtk": "Tk image bridge (no Tk)",
    "PIL.ImageTk": "Tk image bridge (no Tk)",
    "pytest": "test runner",
    "esda": "test-only dependency (reference Gi* values)",
    "libpysal": "test-only dependency",
    "importlinter": "lint-only dependency",
    "IPython": "interactive shell; pandas and rasterio's rio CLI import it only for display",
}

#: packages whose ``tests`` folders (and ``*.tests`` modules) are left out
TESTS_OF = ("numpy", "scipy", "pandas", "pyarrow", "shapely", "pyogrio", "pyproj", "rasterio",
            "geopandas", "icalendar", "matplotlib", "PIL", "fontTools", "holidays", "ortools",
            "highspy", "openpyxl", "psycopg", "folium", "branca", "pyqtgraph", "affine", "xstatic",
            "contourpy", "kiwisolver", "cycler", "dateutil")

#: pattern on the bundled path (relative to _internal, '/' separators) -> why it can go
DROPPED_FILES: dict[str, str] = {
    # Qt: plugins and libraries for what Beatwise does not do
    r"^PySide6/Qt/translations/": "Qt's own UI translations: Beatwise installs no QTranslator (English only)",
    r"^PySide6/Qt/plugins/platforms/lib(qeglfs|qlinuxfb|qvnc|qminimal|qminimalegl|qvkkhrdisplay)\.so$":
        "embedded/kiosk platforms (EGLFS, framebuffer, VNC, Vulkan display); xcb, wayland and offscreen stay",
    r"^PySide6/Qt/plugins/egldeviceintegrations/": "EGLFS device plugins (eglfs is not shipped)",
    r"^PySide6/Qt/lib/libQt6EglF(SDeviceIntegration|sKmsSupport)\.so": "EGLFS support libraries",
    r"^PySide6/Qt/plugins/generic/": "evdev/tuio input for EGLFS and framebuffer setups",
    r"^PySide6/Qt/plugins/(networkinformation|tls)/": "QtNetwork plugins (QtNetwork is not used)",
    r"^PySide6/Qt/plugins/platformthemes/libqgtk3\.so$":
        "GTK3 theme: copies the build machine's GTK, cairo, pango and friends (about 20 MB) into the bundle; "
        "Qt's own dialogs and the XDG portal theme remain",
    r"^PySide6/Qt/plugins/(iconengines/libqsvgicon|imageformats/libqsvg)\.so$": "SVG icons/images (QtSvg is not shipped)",
    # pyarrow: Flight and the cloud file systems (see EXCLUDED_MODULES); duplicate copies
    r"^pyarrow/libarrow_(flight|s3)\.so": "Arrow Flight and S3 (their Python modules are excluded)",
    r"^pyarrow/libarrow_python_flight\.so": "Arrow Flight's Python glue",
    r"^pyarrow/libarrow_python(_parquet_encryption)?\.so(\.\d+\.\d+\.\d+)?$":
        "identical copies of libarrow_python*.so.2600 under two more names (the wheel has no symlinks); "
        "the extension modules load the .so.2600 one",
    r"^pyarrow/(include|src)/": "C++ headers and sources for building against pyarrow",
    r"^pyarrow/.*\.(pyx|pxd|pxi)$": "Cython sources",
    r"^pyarrow/_pyarrow_cpp_tests": "pyarrow's C++ tests",
    # others
    r"^xstatic/pkg/leaflet/data/.*(\.map|-src\.js|-src\.esm\.js)$":
        "Leaflet's source maps and unminified builds: the offline map inlines leaflet.js, leaflet.css and images/",
    r"^xstatic/pkg/jquery/data/(jquery\.js|jquery\.slim.*|.*\.map)$":
        "jQuery's unminified, slim and source-map files: the offline map inlines jquery.min.js",
    r"^matplotlib/mpl-data/sample_data/": "matplotlib's example data",
    r"^matplotlib/mpl-data/images/": "toolbar icons of the GUI backends (excluded)",
    r".*\.(pyi|c|cpp|h|hpp|pxd|pyx)$": "type stubs and C/C++/Cython sources",
}


def _tests_pattern() -> re.Pattern[str]:
    pkgs = "|".join(re.escape(p) for p in TESTS_OF)
    return re.compile(rf"^({pkgs})/(.*/)?tests/")


_DROPPED = [re.compile(p) for p in DROPPED_FILES]
_TESTS_PATH = _tests_pattern()
_TESTS_MODULE = re.compile(rf"^({'|'.join(re.escape(p) for p in TESTS_OF)})(\..+)?\.tests(\..+)?$")


def is_dropped(dest: str) -> bool:
    """True when the bundled file ``dest`` (path under _internal) is left out."""
    dest = dest.replace("\\", "/")
    return bool(_TESTS_PATH.match(dest)) or any(p.match(dest) for p in _DROPPED)


def is_test_module(name: str) -> bool:
    """True for a dependency's ``tests`` module (``scipy.linalg.tests.test_x``)."""
    return bool(_TESTS_MODULE.match(name))


def prune(toc, dropped: list | None = None):
    """The TOC without the entries :func:`is_dropped` names (``dropped`` collects them)."""
    kept = []
    for entry in toc:
        dest = entry[0]
        if is_dropped(dest) or (entry[2] == "PYMODULE" and is_test_module(dest)):
            if dropped is not None:
                dropped.append(entry)
            continue
        kept.append(entry)
    return kept


def _needed(path: str) -> list[str]:
    import subprocess

    out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True).stdout
    return [line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED")]


def drop_orphans(binaries, dropped, log=print):
    """The binaries without the libraries that only dropped files needed (Linux).

    PyInstaller collects a plugin's dependencies as entries of their own: dropping the GTK3 theme
    plugin leaves GTK, GDK, cairo, pango... in the TOC. A library goes when a dropped binary needs
    it (directly or through others) and no kept binary does. Libraries that nothing needs at all
    (loaded by ctypes, say) are left alone."""
    by_name = {}
    for e in binaries:
        by_name.setdefault(_base(e[0]), e)
    cache: dict[str, list[str]] = {}

    def deps(src: str) -> list[str]:
        if src not in cache:
            cache[src] = _needed(src) if src and not src.endswith(".py") else []
        return cache[src]

    def closure(entries) -> set[str]:
        seen, todo = set(), [e[1] for e in entries if e[2] in ("BINARY", "EXTENSION")]
        while todo:
            for n in deps(todo.pop()):
                if n not in seen and n in by_name:
                    seen.add(n)
                    todo.append(by_name[n][1])
        return seen

    dropped_bins = [e for e in dropped if len(e) == 3 and e[2] in ("BINARY", "EXTENSION")]
    reachable = closure(dropped_bins)       # what the dropped binaries pull in
    roots = [e for e in binaries if _base(e[0]) not in reachable]
    orphans = reachable - closure(roots)    # ... and nothing kept needs
    if orphans:
        log(f"prune: left out {len(orphans)} libraries only dropped files needed: {', '.join(sorted(orphans))}")
    return [e for e in binaries if _base(e[0]) not in orphans]


def _base(dest: str) -> str:
    return dest.replace("\\", "/").rsplit("/", 1)[-1]
