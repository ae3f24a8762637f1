#!/usr/bin/env bash
# Build the one-folder bundle (dist/beatwise) and, on Debian, a .deb of it.
# Runs in a fresh virtual environment so the bundle holds only what Beatwise declares.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BUILD=build/installer
rm -rf "$BUILD" dist/beatwise
mkdir -p "$BUILD"
if [ "$(id -u)" -eq 0 ] && ! command -v objdump >/dev/null; then
  apt-get update -qq && apt-get install -y -qq binutils >/dev/null   # PyInstaller needs objdump
fi
"$PYTHON" -m venv "$BUILD/venv"
"$BUILD/venv/bin/pip" install -q --upgrade pip
"$BUILD/venv/bin/pip" install -q . "pyinstaller>=6.10"
"$BUILD/venv/bin/pyinstaller" --noconfirm --clean --distpath dist --workpath "$BUILD/work" \
  installer/beatwise.spec
echo "bundle: dist/beatwise ($(du -sh dist/beatwise | cut -f1))"
# Check the bundle runs: the CLI writes the demo, the app runs its smoke test offscreen.
dist/beatwise/beatwise demo --out "$BUILD/smoke-demo" >/dev/null
dist/beatwise/beatwise brief "$BUILD/smoke-demo/demo.beatwise" --out "$BUILD/smoke-brief" >/dev/null 2>&1
grep -q "L.map" "$BUILD/smoke-brief/map.html"  # Leaflet inlined from the bundled xstatic data
# per weekday runs the HiGHS MILP through highspy (its native library must be in the bundle)
dist/beatwise/beatwise shifts "$BUILD/smoke-demo/demo.beatwise" --officers 3 --per-weekday \
    --time-limit-s 2 --json >/dev/null
QT_QPA_PLATFORM=offscreen dist/beatwise/beatwise-desktop --smoke
if command -v dpkg-deb >/dev/null; then
  VERSION=$("$BUILD/venv/bin/python" -c "from importlib.metadata import version; print(version('beatwise'))")
  PKG="$BUILD/deb"
  mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications"
  cp -a dist/beatwise "$PKG/opt/beatwise"
  ln -s /opt/beatwise/beatwise-desktop "$PKG/usr/bin/beatwise-desktop"
  ln -s /opt/beatwise/beatwise "$PKG/usr/bin/beatwise"
  cat > "$PKG/DEBIAN/control" <<CONTROL
Package: beatwise
Version: $VERSION
Architecture: $(dpkg --print-architecture)
Maintainer: Beatwise team
Depends: libgl1, libegl1, libxkbcommon0, libfontconfig1, libdbus-1-3, fonts-dejavu-core, libxcb-cursor0
Description: Beatwise - offline GIS for neighbourhood policing
 Hotspots, when, streets and shift timing from police incident data, with briefing packs.
CONTROL
  cat > "$PKG/usr/share/applications/beatwise.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=Beatwise
Exec=/opt/beatwise/beatwise-desktop %f
Categories=Office;Science;Geography;
DESKTOP
  dpkg-deb --root-owner-group -Zzstd --build "$PKG" "dist/beatwise_${VERSION}.deb" >/dev/null
  echo "package: dist/beatwise_${VERSION}.deb"
fi
