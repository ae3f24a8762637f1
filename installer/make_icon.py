"""Draw Beatwise's icon (a hotspot under a map pin, on a street grid): PNGs and a Windows .ico.

``python installer/make_icon.py [OUT_DIR]`` (default installer/icons) writes ``beatwise-<N>.png``
for N in 16, 32, 48, 64, 128, 256, ``beatwise.png`` (256) and ``beatwise.ico`` (all sizes).
Drawn with Pillow (a dependency of matplotlib, so in every build venv); the same every time.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZES = (16, 32, 48, 64, 128, 256)
NAVY, GRID, PIN = (22, 41, 74, 255), (70, 96, 140, 255), (255, 255, 255, 255)


def draw(size: int = 1024) -> Image.Image:
    s = size
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = s // 6
    d.rounded_rectangle([0, 0, s - 1, s - 1], radius=r, fill=NAVY)
    # street grid
    for i in range(1, 6):
        x = i * s // 6
        d.line([(x, s // 12), (x, s - s // 12)], fill=GRID, width=max(1, s // 90))
        d.line([(s // 12, x), (s - s // 12, x)], fill=GRID, width=max(1, s // 90))
    # the hotspot: a soft red-orange-yellow disc
    heat = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    h = ImageDraw.Draw(heat)
    cx, cy = s // 2, int(s * 0.62)
    for rad, col in ((0.34, (200, 30, 30, 150)), (0.24, (240, 110, 20, 200)), (0.13, (255, 220, 60, 255))):
        rr = int(s * rad)
        h.ellipse([cx - rr, cy - rr // 2 - rr // 4, cx + rr, cy + rr // 2 + rr // 4], fill=col)
    heat = heat.filter(ImageFilter.GaussianBlur(s // 40))
    img.alpha_composite(heat)
    # the pin
    pr = int(s * 0.15)
    px, py = cx, int(s * 0.30)
    d = ImageDraw.Draw(img)
    d.polygon([(px - int(pr * 0.9), py + pr // 3), (px + int(pr * 0.9), py + pr // 3), (px, cy)], fill=PIN)
    d.ellipse([px - pr, py - pr, px + pr, py + pr], fill=PIN)
    d.ellipse([px - pr // 2, py - pr // 2, px + pr // 2, py + pr // 2], fill=NAVY)
    return img


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else Path(__file__).with_name("icons")
    out.mkdir(parents=True, exist_ok=True)
    big = draw()
    for n in SIZES:
        big.resize((n, n), Image.LANCZOS).save(out / f"beatwise-{n}.png", optimize=True)
    big.resize((256, 256), Image.LANCZOS).save(out / "beatwise.png", optimize=True)
    big.resize((256, 256), Image.LANCZOS).save(out / "beatwise.ico", sizes=[(n, n) for n in SIZES])
    print(f"make_icon: wrote {out}/beatwise.png, beatwise.ico and beatwise-{{{','.join(map(str, SIZES))}}}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
