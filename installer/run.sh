#!/usr/bin/env bash
# `make run`: open the desktop app on the demo; with no display, write the demo outputs instead.
set -euo pipefail
VENV=${1:-.venv}
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "${QT_QPA_PLATFORM:-}" = "offscreen" ]; then
  exec "$VENV/bin/beatwise-desktop"
fi
OUT=./beatwise-demo
B="$VENV/bin/beatwise"
P="$OUT/demo.beatwise"
echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app cannot open." >&2
echo "Writing the SYNTHETIC demo and its briefing outputs into $OUT/ instead." >&2
"$B" demo --out "$OUT"
has() { "$B" "$1" --help >/dev/null 2>&1; }
step() { echo "+ beatwise $*" >&2; "$B" "$@"; }
if has brief; then step brief "$P" --out "$OUT/briefing"; fi
if has hotspots; then step hotspots "$P" --gi-star --out "$OUT/hotspots"; fi
if has temporal; then step temporal "$P" --out "$OUT/temporal"; fi
if has streets; then step streets "$P" --street "York Road" --json > "$OUT/york-road.json"; fi
if has shifts; then
  step shifts "$P" --officers 7 --current "07:00-17:00x4,14:00-00:00x3" --out "$OUT/shifts"
fi
echo "Done: look in $OUT/" >&2
