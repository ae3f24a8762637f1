#!/usr/bin/env bash
# Install dist/beatwise_*.deb on this machine, run the installed app and CLI, check the menu entry,
# icon and file type, measure the start-up, then purge the package and check it is gone.
# Run as root (make installer calls it after installer/build.sh). Fails loudly on any step.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "test_deb: FAILED: $*" >&2; exit 1; }
step() { echo "test_deb: $*"; }
[ "$(id -u)" -eq 0 ] || fail "run as root (it installs and removes the package)"
shopt -s nullglob
debs=(dist/beatwise_*.deb)
[ ${#debs[@]} -eq 1 ] || fail "expected one dist/beatwise_*.deb, found ${#debs[@]} (run installer/build.sh)"
DEB=$(realpath "${debs[0]}")
TMP=$(mktemp -d /tmp/beatwise-deb-test.XXXXXX)
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
if dpkg-query -W -f='${Status}' beatwise 2>/dev/null | grep -q "install ok installed"; then
  step "removing an earlier beatwise package first"
  apt-get purge -y -qq beatwise >/dev/null
fi

step "apt-get install $DEB"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >"$TMP/apt-install.log" 2>&1 \
  || { cat "$TMP/apt-install.log" >&2; fail "apt-get install"; }
for cmd in beatwise beatwise-desktop; do
  [ "$(command -v $cmd)" = "/usr/bin/$cmd" ] || fail "$cmd is not /usr/bin/$cmd on the PATH"
  [ "$(readlink /usr/bin/$cmd)" = "/opt/beatwise/$cmd" ] && [ -x "/opt/beatwise/$cmd" ] || fail "/usr/bin/$cmd does not lead to /opt/beatwise/$cmd"
done

step "files: menu entry, MIME type, icons"
DESKTOP=/usr/share/applications/beatwise.desktop
[ -f "$DESKTOP" ] || fail "$DESKTOP missing"
grep -qx "Icon=beatwise" "$DESKTOP" || fail "$DESKTOP: no Icon=beatwise"
grep -qx "MimeType=application/x-beatwise;" "$DESKTOP" || fail "$DESKTOP: no MimeType=application/x-beatwise;"
grep -q "^Exec=/usr/bin/beatwise-desktop %f$" "$DESKTOP" || fail "$DESKTOP: Exec line"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$DESKTOP" || fail "desktop-file-validate $DESKTOP"
fi
MIME=/usr/share/mime/packages/beatwise.xml
[ -f "$MIME" ] || fail "$MIME missing"
grep -q 'type="application/x-beatwise"' "$MIME" && grep -q 'pattern="\*.beatwise"' "$MIME" || fail "$MIME content"
for n in 16 32 48 64 128 256; do
  f=/usr/share/icons/hicolor/${n}x${n}/apps/beatwise.png
  [ -s "$f" ] || fail "$f missing"
  file "$f" 2>/dev/null | grep -q "PNG image data, $n x $n" || { command -v file >/dev/null && fail "$f is not a ${n}x${n} PNG"; }
done
if command -v update-mime-database >/dev/null; then
  # postinst ran update-mime-database: the glob is in the compiled database
  grep -q "application/x-beatwise:\*.beatwise" /usr/share/mime/globs2 || fail "*.beatwise not in /usr/share/mime/globs2"
  step "the MIME database maps *.beatwise to application/x-beatwise"
fi

step "beatwise demo / hotspots --json"
beatwise --version
beatwise demo --out "$TMP/demo" >"$TMP/demo.log" 2>&1 || { cat "$TMP/demo.log" >&2; fail "beatwise demo"; }
[ -f "$TMP/demo/demo.beatwise" ] || fail "beatwise demo wrote no demo.beatwise"
beatwise hotspots "$TMP/demo/demo.beatwise" --out "$TMP/hotspots" --json >"$TMP/hotspots.json" 2>"$TMP/hotspots.err" \
  || { cat "$TMP/hotspots.err" >&2; fail "beatwise hotspots"; }
python3 - "$TMP/hotspots.json" <<'PY' || fail "beatwise hotspots --json did not print one JSON object with hotspots"
import json, sys
s = json.load(open(sys.argv[1]))
assert isinstance(s, dict) and s.get("hotspots"), sorted(s)[:10]
print(f"test_deb: hotspots --json: {len(s['hotspots'])} hotspots")
PY
[ -s "$TMP/hotspots/density.tif" ] && [ -s "$TMP/hotspots/hotspots.gpkg" ] || fail "hotspots wrote no density.tif/hotspots.gpkg"

step "beatwise-desktop --smoke (offscreen)"
(cd "$TMP" && HOME="$TMP/home" QT_QPA_PLATFORM=offscreen timeout 600 beatwise-desktop --smoke) \
  || fail "beatwise-desktop --smoke"

step "one GDAL in the installed bundle"
python3 installer/check_one_gdal.py /opt/beatwise || fail "check_one_gdal"

step "start-up of the installed app to a shown window"
python3 installer/measure_startup.py --runs 5 --max-s 4 /usr/bin/beatwise-desktop | tee "$TMP/startup.txt" \
  || fail "start-up above 4 s"
if [ -n "${BEATWISE_FIGURES:-}" ]; then cp "$TMP/startup.txt" "$BEATWISE_FIGURES"; fi

step "apt-get purge beatwise"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq beatwise >"$TMP/apt-purge.log" 2>&1 \
  || { cat "$TMP/apt-purge.log" >&2; fail "apt-get purge"; }
for p in /opt/beatwise /usr/bin/beatwise /usr/bin/beatwise-desktop "$DESKTOP" "$MIME" \
         /usr/share/icons/hicolor/256x256/apps/beatwise.png; do
  [ ! -e "$p" ] && [ ! -L "$p" ] || fail "$p is still there after purge"
done
if command -v update-mime-database >/dev/null && grep -q "application/x-beatwise" /usr/share/mime/globs2; then
  fail "application/x-beatwise still in the MIME database after purge"
fi
if dpkg-query -W beatwise >/dev/null 2>&1 && dpkg-query -W -f='${Status}' beatwise | grep -qv "not-installed"; then
  fail "dpkg still knows beatwise: $(dpkg-query -W -f='${Status}' beatwise)"
fi
step "ok: installed, ran, removed ($(du -m "$DEB" | cut -f1) MB package)"
