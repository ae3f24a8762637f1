"""The installer's files agree with each other and with the source tree (fast: no build).

The build itself (PyInstaller, the .deb installed and removed, the frozen app started) is
``make installer``; these check what can go wrong without one: the spec's exclusions really are
never imported by Beatwise, the .desktop entry and the MIME package name the same type, the
Windows script installs per user with the association, the build pins what one_gdal needs.
"""
from __future__ import annotations

import ast
import configparser
import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"installer_{name}", INSTALLER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prune = _load("prune")


def _imports_of_source() -> set[str]:
    """Every module named by an import statement under analysis/ and desktop/ (also inside
    functions), with its parents, and ``from X import Y`` as ``X.Y`` too."""
    names: set[str] = set()
    for folder in ("analysis", "desktop"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
                    names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_excluded_modules__never_imported_by_analysis_or_desktop():
    imported = _imports_of_source()
    assert "PySide6.QtWidgets" in imported and "pyarrow.parquet" in imported  # the scan works
    used = sorted(m for m in prune.EXCLUDED_MODULES
                  if any(i == m or i.startswith(m + ".") for i in imported))
    assert used == [], f"excluded from the bundle but imported by Beatwise: {used}"


def test_excluded_modules__not_named_in_source_text_either():
    """importlib.import_module / __import__ with a literal name would escape the AST scan."""
    text = "\n".join(p.read_text(encoding="utf-8") for folder in ("analysis", "desktop")
                     for p in (ROOT / folder).rglob("*.py"))
    named = sorted(m for m in prune.EXCLUDED_MODULES
                   if re.search(rf"""["']{re.escape(m)}["']""", text))
    assert named == []


def test_excluded_modules__each_has_a_reason():
    assert all(isinstance(why, str) and len(why) > 8 for why in prune.EXCLUDED_MODULES.values())
    assert all(isinstance(why, str) and len(why) > 8 for why in prune.DROPPED_FILES.values())


def test_pyqtgraph_modules__are_not_excluded():
    """pyqtgraph's PlotCurveItem imports QtOpenGL at module level and its OpenGLHelpers subclass
    QOpenGLWidget: excluding them breaks the map (found by trying)."""
    for needed in ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtCore", "PySide6.QtGui",
                   "PySide6.QtWidgets", "PySide6.QtDBus"):
        assert needed not in prune.EXCLUDED_MODULES


@pytest.mark.parametrize("dest", [
    "pyarrow/libarrow_substrait.so.2600",      # pyarrow.lib links it: pruning it broke the bundle
    "pyarrow/libarrow_dataset.so.2600", "pyarrow/libarrow_acero.so.2600", "pyarrow/libparquet.so.2600",
    "pyarrow/libarrow_compute.so.2600", "pyarrow/libarrow.so.2600", "pyarrow/libarrow_python.so.2600",
    "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so", "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/lib/libQt6OpenGL.so.6", "PySide6/QtOpenGL.abi3.so",
    "xstatic/pkg/leaflet/data/leaflet.js", "xstatic/pkg/leaflet/data/leaflet.css",
    "xstatic/pkg/leaflet/data/images/marker-icon.png", "xstatic/pkg/jquery/data/jquery.min.js",
    "pyogrio/proj_data/proj.db", "pyogrio/gdal_data/gdalvrt.xsd",
    "jinja2/tests.py", "numpy/testing/__init__.py", "matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf",
    "holidays/locale/de/LC_MESSAGES/DE.mo",    # other countries' rule packs need their default language
])
def test_prune__keeps_what_beatwise_needs(dest):
    assert not prune.is_dropped(dest)


@pytest.mark.parametrize("dest", [
    "pyarrow/libarrow_flight.so.2600", "pyarrow/libarrow_s3.so.2600", "pyarrow/libarrow_python.so",
    "pyarrow/include/arrow/api.h", "pyarrow/lib.pyx", "PySide6/Qt/translations/qtbase_de.qm",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so", "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "scipy/linalg/tests/test_basic.py", "pandas/tests/frame/test_api.py", "shapely/tests/test_io.py",
    "xstatic/pkg/leaflet/data/leaflet-src.js.map", "xstatic/pkg/jquery/data/jquery.js",
])
def test_prune__drops_these(dest):
    assert prune.is_dropped(dest)


def test_prune__test_modules_by_name():
    assert prune.is_test_module("scipy.linalg.tests.test_basic")
    assert prune.is_test_module("pandas.tests")
    assert not prune.is_test_module("jinja2.tests")
    assert not prune.is_test_module("numpy.testing")


def test_spec__uses_prune_one_gdal_and_the_runtime_hook():
    spec = (INSTALLER / "beatwise.spec").read_text(encoding="utf-8")
    ast.parse(spec)
    for text in ("prune.EXCLUDED_MODULES", "prune.prune(", "prune.drop_orphans(", "one_gdal.one_gdal(",
                 "rth_gdal.py", 'collect_submodules("ortools.sat.python")', "launch_desktop.py",
                 "launch_cli.py", "launch.py", 'os.symlink("beatwise", os.path.join(DISTPATH, "beatwise", "beatwise-desktop"))',
                 'name="beatwise-desktop"', 'name="beatwise"', "beatwise.ico"):
        assert text in spec, text
    assert 'collect_all(pkg)' in spec and '"ortools", "holidays"' not in spec  # only CP-SAT of OR-Tools


def test_linux_launcher__picks_the_command_by_the_name_it_was_started_by(monkeypatch):
    launch = _load("launch")
    seen = []
    import types

    for mod, name in (("desktop.app", "desktop"), ("analysis.cli", "cli")):
        fake = types.ModuleType(mod)
        fake.main = lambda name=name: seen.append(name) or 0
        monkeypatch.setitem(sys.modules, mod, fake)
    for argv0, want in (("/usr/bin/beatwise-desktop", "desktop"), ("beatwise", "cli"),
                        ("/opt/beatwise/beatwise", "cli"), ("beatwise-desktop", "desktop")):
        monkeypatch.setattr(sys, "argv", [argv0, "--help"])
        assert launch.main() == 0 and seen[-1] == want, argv0


def test_runtime_hook__one_data_folder_for_gdal_and_proj():
    text = (INSTALLER / "rth_gdal.py").read_text(encoding="utf-8")
    one_gdal = _load("one_gdal")
    assert one_gdal.DATA_KEEP == {"gdal": "pyogrio/gdal_data", "proj": "pyogrio/proj_data"}
    for var in ("GDAL_DATA", "PROJ_DATA"):
        assert f'os.environ["{var}"]' in text
    assert '"gdal_data"' in text and '"proj_data"' in text and '"pyogrio"' in text
    assert all(not d.startswith("pyogrio/") for d in one_gdal.DATA_DROPPED)


def test_one_gdal__release_from_the_auditwheel_name():
    one_gdal = _load("one_gdal")
    assert one_gdal.gdal_release("libgdal-5661a9de.so.36.3.10.3") == "3.10.3"
    assert one_gdal.gdal_release("libgdal-c8c9c467.so.36.3.10.3") == "3.10.3"


def test_constraints__pin_both_gdal_wheels_and_only_the_build_uses_them():
    pins = dict(line.split("==") for line in (INSTALLER / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    assert pins == {"pyogrio": "0.11.1", "rasterio": "1.4.4"}
    build = (INSTALLER / "build.sh").read_text(encoding="utf-8")
    assert "-c installer/constraints.txt" in build
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "pyogrio==" not in pyproject and "rasterio==" not in pyproject


def test_build_script__steps_in_order():
    build = (INSTALLER / "build.sh").read_text(encoding="utf-8")
    order = ['"${BEATWISE_REUSE_VENV:-0}"', "installer/make_icon.py", '"$VENV/bin/pyinstaller" --noconfirm',
             "installer/strip_bundle.py dist/beatwise", "dist/beatwise/beatwise demo",
             "dist/beatwise/beatwise-desktop --smoke", "installer/check_one_gdal.py dist/beatwise",
             "dpkg-deb --root-owner-group"]
    where = [build.index(s) for s in order]
    assert where == sorted(where), order
    for path in ("installer/linux/beatwise.desktop", "installer/linux/beatwise-mime.xml",
                 "/usr/share/mime/packages/beatwise.xml", "/usr/share/applications/beatwise.desktop",
                 'usr/bin/beatwise-desktop"', 'usr/bin/beatwise"', "hicolor/${n}x${n}/apps/beatwise.png",
                 "installer/linux/postinst installer/linux/postrm"):
        assert path in build, path


def test_makefile__installer_builds_then_tests_the_deb():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^installer:.*\n((?:\t.*\n)+)", make, re.M)
    assert target, "no installer target"
    body = target.group(1)
    assert body.index("installer/build.sh") < body.index("installer/test_deb.sh")


def _desktop_entry() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(INSTALLER / "linux" / "beatwise.desktop", encoding="utf-8")
    return cp["Desktop Entry"]


def test_desktop_entry__matches_the_mime_package_and_the_icon():
    entry = _desktop_entry()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime = ET.parse(INSTALLER / "linux" / "beatwise-mime.xml").getroot()
    types = [t.get("type") for t in mime.findall("m:mime-type", ns)]
    assert types == ["application/x-beatwise"]
    assert [g.get("pattern") for g in mime.findall("m:mime-type/m:glob", ns)] == ["*.beatwise"]
    assert entry["MimeType"].rstrip(";").split(";") == types
    assert entry["Icon"] == "beatwise" == mime.find("m:mime-type/m:icon", ns).get("name")
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Exec"] == "/usr/bin/beatwise-desktop %f"
    assert entry["Categories"].endswith(";")


def test_desktop_entry__valid_when_the_validator_is_installed():
    import shutil

    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate not installed")
    r = subprocess.run(["desktop-file-validate", str(INSTALLER / "linux" / "beatwise.desktop")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "error" not in r.stdout.lower(), r.stdout


def test_maintainer_scripts__update_databases_only_when_present():
    for name in ("postinst", "postrm"):
        path = INSTALLER / "linux" / name
        text = path.read_text(encoding="utf-8")
        assert text.startswith("#!/bin/sh") and path.stat().st_mode & 0o111
        for tool in ("update-mime-database", "update-desktop-database"):
            assert f"command -v {tool} >/dev/null 2>&1; then {tool}" in text
        r = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_shell_scripts__parse():
    for name in ("build.sh", "test_deb.sh"):
        r = subprocess.run(["bash", "-n", str(INSTALLER / name)], capture_output=True, text=True)
        assert r.returncode == 0, (name, r.stderr)


def test_test_deb__checks_every_required_step():
    text = (INSTALLER / "test_deb.sh").read_text(encoding="utf-8")
    for step in ("apt-get install", "QT_QPA_PLATFORM=offscreen", "beatwise-desktop --smoke", "beatwise demo --out",
                 'beatwise hotspots "$TMP/demo/demo.beatwise" --out', "--json", "beatwise.desktop",
                 "/usr/share/mime/packages/beatwise.xml", "apps/beatwise.png", "apt-get purge",
                 "/opt/beatwise", "/usr/bin/beatwise-desktop", "measure_startup.py", "check_one_gdal.py",
                 "set -euo pipefail"):
        assert step in text, step


def _iss() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in (INSTALLER / "beatwise.iss").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[(\w+)\]", line)
        if m:
            current = m.group(1)
            sections[current] = []
        else:
            assert current, line
            sections[current].append(line)
    return sections


def test_inno_setup__per_user_without_admin_with_start_menu_and_association():
    iss = _iss()
    setup = dict(line.split("=", 1) for line in iss["Setup"])
    assert setup["PrivilegesRequired"] == "lowest"
    assert "PrivilegesRequiredOverridesAllowed" not in setup  # no elevation dialog
    assert setup["DefaultDirName"] in (r"{localappdata}\Programs\Beatwise", r"{userpf}\Beatwise")
    assert setup["ChangesAssociations"] == "yes"
    assert (INSTALLER / setup["SetupIconFile"].replace("\\", "/")).is_file()
    assert any(line.startswith('Name: "{autoprograms}\\Beatwise"') for line in iss["Icons"])
    reg = "\n".join(iss["Registry"])
    assert all(line.startswith("Root: HKA;") for line in iss["Registry"])  # HKCU when per-user
    assert r'Subkey: "Software\Classes\.beatwise"' in reg
    assert r'shell\open\command' in reg and '""%1""' in reg
    assert iss["Files"][0].startswith(r'Source: "..\dist\beatwise\*"')


def test_inno_setup__compiles_where_iscc_is_installed():
    import shutil

    iscc = shutil.which("iscc") or shutil.which("ISCC.exe")
    if iscc is None or not (ROOT / "dist" / "beatwise").is_dir() or sys.platform != "win32":
        pytest.skip("Inno Setup builds on Windows (installer/README.md)")
    r = subprocess.run([iscc, str(INSTALLER / "beatwise.iss")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:]


def test_icons__committed_pngs_and_ico():
    icons = INSTALLER / "icons"
    for n in (16, 32, 48, 64, 128, 256):
        data = (icons / f"beatwise-{n}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == n == int.from_bytes(data[20:24], "big")
    ico = (icons / "beatwise.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00" and int.from_bytes(ico[4:6], "little") == 6


def test_readme__windows_steps_and_findings():
    text = (INSTALLER / "README.md").read_text(encoding="utf-8")
    for needed in ("built on Windows, not here", "PrivilegesRequired=lowest", "iscc installer\\beatwise.iss",
                   "pyinstaller installer\\beatwise.spec", "Python 3.11", "WebP", "libarrow_substrait",
                   "make installer", "BEATWISE_REUSE_VENV"):
        assert needed in text, needed
    for module in prune.EXCLUDED_MODULES:
        if module.startswith("matplotlib.backends."):
            continue  # listed as a group
        assert module in text, f"{module} is excluded but not listed in installer/README.md"
