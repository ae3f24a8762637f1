"""Strip the debug symbols of the bundle's shared libraries, keeping only strips that still load.

``python installer/strip_bundle.py dist/beatwise``: every ELF file under ``_internal/`` (not the
two executables: PyInstaller appends their archive to them) is stripped with
``strip --strip-unneeded`` (the dynamic symbol table, which the loader uses, stays) into a copy
beside it. The copy replaces the file only when

1. it is smaller;
2. its program headers still make sense: every LOAD segment has ``offset % align == vaddr % align``
   and lies inside the file, and the dynamic section reads the same as before (strip of a library
   rewritten by patchelf, as the manylinux wheels' are, can break both);
3. it loads (``dlopen`` in a fresh process, from the same folder, so ``$ORIGIN`` still works)
   whenever the original loads there.

Anything else keeps the original and is reported. Prints MB before and after.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

LOAD_CHECK = r"""
import ctypes, sys
try:
    ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_LOCAL)
except OSError as e:
    print(e); sys.exit(1)
"""


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def load_segments(path: Path) -> list[tuple[int, int, int, int]] | None:
    """(offset, vaddr, filesz, align) of each LOAD segment; None when readelf cannot read it."""
    r = subprocess.run(["readelf", "-lW", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    segs = []
    for line in r.stdout.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            # LOAD Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align
            segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16), int(f[-1], 16)))
    return segs


def dynamic(path: Path) -> str:
    return subprocess.run(["readelf", "-dW", str(path)], capture_output=True, text=True).stdout.split("\n", 2)[-1]


def sane(original: Path, stripped: Path) -> str | None:
    """None when ``stripped`` passes the header checks, else why not."""
    segs = load_segments(stripped)
    if not segs:
        return "no LOAD segments readable"
    size = stripped.stat().st_size
    for off, vaddr, filesz, align in segs:
        if align > 1 and off % align != vaddr % align:
            return f"LOAD segment misaligned (offset {off:#x}, vaddr {vaddr:#x}, align {align:#x})"
        if off + filesz > size:
            return "LOAD segment past the end of the file"
    if dynamic(original) != dynamic(stripped):
        return "dynamic section changed"
    return None


def loads(path: Path, env: dict) -> bool:
    r = subprocess.run([sys.executable, "-c", LOAD_CHECK, str(path)], capture_output=True, text=True,
                       env=env, cwd=path.parent, timeout=60)
    return r.returncode == 0


def strip_one(path: Path, env: dict) -> tuple[int, str | None]:
    """Bytes saved (0 when kept as it was) and the reason a strip was refused."""
    tmp = path.with_name(f".strip-{path.name}")
    try:
        r = subprocess.run(["strip", "--strip-unneeded", "-o", str(tmp), str(path)],
                           capture_output=True, text=True)
        if r.returncode != 0 or not tmp.exists():
            return 0, f"strip failed: {r.stderr.strip()[:120]}"
        saved = path.stat().st_size - tmp.stat().st_size
        if saved <= 0:
            return 0, None
        why = sane(path, tmp)
        if why:
            return 0, why
        if loads(path, env) and not loads(tmp, env):
            return 0, "the stripped copy does not load"
        os.chmod(tmp, path.stat().st_mode)
        os.replace(tmp, path)
        return saved, None
    finally:
        if tmp.exists():
            tmp.unlink()


def du(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bundle", type=Path, help="the one-folder bundle (dist/beatwise)")
    args = ap.parse_args(argv)
    internal = args.bundle / "_internal"
    if not internal.is_dir():
        print(f"strip_bundle: {internal}: not a PyInstaller one-folder bundle", file=sys.stderr)
        return 2
    before = du(args.bundle)
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    files = sorted(p for p in internal.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p))
    saved = stripped = 0
    refused = []
    for p in files:
        s, why = strip_one(p, env)
        if s:
            saved += s
            stripped += 1
        if why:
            refused.append((p.relative_to(internal), why))
    after = du(args.bundle)
    for p, why in refused:
        print(f"strip_bundle: kept {p} as it was: {why}")
    print(f"strip_bundle: stripped {stripped} of {len(files)} ELF files, {saved / 1e6:.1f} MB saved; "
          f"bundle {before / 1e6:.0f} MB -> {after / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
