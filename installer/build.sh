#!/usr/bin/env bash
# Build the one-folder bundle (dist/beatwise) and, on Debian, a .deb of it (dist/beatwise_VERSION.deb).
# Runs in a fresh virtual environment so the bundle holds only what Beatwise declares, with
# installer/constraints.txt (one GDAL: installer/one_gdal.py). BEATWISE_REUSE_VENV=1 keeps an
# existing build venv (build/installer/venv) and only reinstalls Beatwise into it.
# Then: leaner bundle (installer/prune.py, in the spec), debug symbols stripped
# (installer/strip_bundle.py), smoke commands on the bundle, the one-GDAL check, the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BUILD=build/installer
VENV="$BUILD/venv"
T0=$(date +%s)
if [ "${BEATWISE_REUSE_VENV:-0}" = "1" ] && [ -x "$VENV/bin/pyinstaller" ]; then
  find "$BUILD" -mindepth 1 -maxdepth 1 ! -name venv -exec rm -rf {} +
  "$VENV/bin/pip" install -q --no-deps --force-reinstall . 2>&1 | grep -v "^WARNING: Location" || true
  echo "build: reusing $VENV"
else
  rm -rf "$BUILD"
  mkdir -p "$BUILD"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/pip" install -q -c installer/constraints.txt . "pyinstaller>=6.10" 2>&1 \
    | grep -v "^WARNING: Location" || true
fi
"$VENV/bin/python" -c "import PyInstaller, pyogrio, rasterio" # the install above worked
rm -rf dist/beatwise dist/beatwise_*.deb
if [ "$(id -u)" -eq 0 ] && ! command -v objdump >/dev/null; then
  apt-get update -qq && apt-get install -y -qq binutils >/dev/null   # PyInstaller needs objdump
fi
"$VENV/bin/python" installer/make_icon.py "$BUILD/icons" >/dev/null
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath dist --workpath "$BUILD/work" \
  installer/beatwise.spec
echo "bundle before strip: $(du -sm dist/beatwise | cut -f1) MB"
"$VENV/bin/python" installer/strip_bundle.py dist/beatwise
# Check the bundle runs: the CLI writes the demo, the app runs its smoke test offscreen.
dist/beatwise/beatwise demo --out "$BUILD/smoke-demo" >/dev/null
dist/beatwise/beatwise brief "$BUILD/smoke-demo/demo.beatwise" --out "$BUILD/smoke-brief" >/dev/null 2>&1
grep -q "L.map" "$BUILD/smoke-brief/map.html"  # Leaflet inlined from the bundled xstatic data
test -s "$BUILD/smoke-brief/briefing.pdf" || { ls "$BUILD/smoke-brief"; exit 1; }
# per weekday runs the HiGHS MILP through highspy (its native library must be in the bundle)
dist/beatwise/beatwise shifts "$BUILD/smoke-demo/demo.beatwise" --officers 3 --per-weekday \
    --time-limit-s 2 --json >/dev/null
# the rota runs OR-Tools CP-SAT (only ortools.sat is bundled)
dist/beatwise/beatwise rota "$BUILD/smoke-demo/demo.beatwise" --officers 6 --weeks 2 --time-limit-s 3 \
    --json >/dev/null
QT_QPA_PLATFORM=offscreen dist/beatwise/beatwise-desktop --smoke
# one libgdal serves pyogrio and rasterio (GeoPackage and GeoTIFF written and read back)
"$VENV/bin/python" installer/check_one_gdal.py dist/beatwise
echo "bundle: dist/beatwise ($(du -sm dist/beatwise | cut -f1) MiB on disk, $(du -sm --apparent-size dist/beatwise | cut -f1) MiB of files)"
if command -v dpkg-deb >/dev/null; then
  VERSION=$("$VENV/bin/python" -c "from importlib.metadata import version; print(version('beatwise'))")
  PKG="$BUILD/deb"
  rm -rf "$PKG"
  mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
    "$PKG/usr/share/mime/packages"
  cp -a dist/beatwise "$PKG/opt/beatwise"
  ln -s /opt/beatwise/beatwise-desktop "$PKG/usr/bin/beatwise-desktop"
  ln -s /opt/beatwise/beatwise "$PKG/usr/bin/beatwise"
  install -m 644 installer/linux/beatwise.desktop "$PKG/usr/share/applications/beatwise.desktop"
  install -m 644 installer/linux/beatwise-mime.xml "$PKG/usr/share/mime/packages/beatwise.xml"
  for n in 16 32 48 64 128 256; do
    install -D -m 644 "$BUILD/icons/beatwise-$n.png" "$PKG/usr/share/icons/hicolor/${n}x${n}/apps/beatwise.png"
    install -D -m 644 "$BUILD/icons/beatwise-$n.png" \
      "$PKG/usr/share/icons/hicolor/${n}x${n}/mimetypes/application-x-beatwise.png"
  done
  install -m 755 installer/linux/postinst installer/linux/postrm "$PKG/DEBIAN/"
  INSTALLED_KB=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
  cat > "$PKG/DEBIAN/control" <<CONTROL
Package: beatwise
Version: $VERSION
Architecture: $(dpkg --print-architecture)
Maintainer: Beatwise team
Installed-Size: $INSTALLED_KB
Depends: libgl1, libegl1, libxkbcommon0, libfontconfig1, libfreetype6, libdbus-1-3, libglib2.0-0, fonts-dejavu-core, libx11-6, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-render-util0, libxcb-render0, libxcb-shape0, libxcb-util1, libxcb-xkb1, libxkbcommon-x11-0
Recommends: shared-mime-info, desktop-file-utils
Section: science
Priority: optional
Description: Beatwise - offline GIS for neighbourhood policing
 Hotspots, when, streets and shift timing from police incident data, with briefing packs.
CONTROL
  # zstd (default level) takes seconds; BEATWISE_DEB_XZ=1 packs xz -9 for a release over slow links
  # (173 instead of 234 MB for a 594 MiB bundle here, but about 9 minutes on 2 shared cores)
  if [ "${BEATWISE_DEB_XZ:-0}" = "1" ]; then COMPRESS=(-Zxz -z9); else COMPRESS=(-Zzstd); fi
  dpkg-deb --root-owner-group "${COMPRESS[@]}" --build "$PKG" "dist/beatwise_${VERSION}.deb" >/dev/null
  echo "package: dist/beatwise_${VERSION}.deb ($(du -m "dist/beatwise_${VERSION}.deb" | cut -f1) MB)"
fi
echo "build time: $(( $(date +%s) - T0 )) s"
