"""Start-up of the frozen app to a shown main window: best and median of N launches.

``python installer/measure_startup.py [--runs 5] [--max-s 4] [--xvfb] [EXE]`` (default EXE
``/usr/bin/beatwise-desktop``, the installed package; ``dist/beatwise/beatwise-desktop`` for the
bundle). Each launch is a fresh process, timed from outside: from starting EXE until the app
reports, from its first event-loop turn after ``show()``, that the window is up. That report is
the app's own hook (``BEATWISE_STARTUP_REPORT=1``, desktop/app.py, used by
tests/benchmarks/bench_startup.py); nothing in the app is changed for this. The app runs with a
settings file and data folder of its own (a first start: the demo then loads in a worker after
the window is shown), offscreen, or under Xvfb with ``--xvfb``. The process group is then stopped.

Exit 1 when the median is above ``--max-s``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def launch(exe: str, tmp: Path, xvfb: bool, timeout_s: float = 120) -> float:
    env = {**os.environ, "LANG": "C.UTF-8", "BEATWISE_STARTUP_REPORT": "1",
           "BEATWISE_SETTINGS_FILE": str(tmp / "settings.ini"), "BEATWISE_DATA_DIR": str(tmp / "data"),
           "HOME": str(tmp / "home")}
    env.pop("QT_QPA_PLATFORM", None)
    wrapper = []
    if xvfb:
        wrapper = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    t0 = time.perf_counter()
    proc = subprocess.Popen(wrapper + [exe], cwd=tmp, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        for line in proc.stderr:
            if "window shown" in line:
                return time.perf_counter() - t0
            if time.perf_counter() - t0 > timeout_s:
                break
        raise RuntimeError(f"{exe} exited ({proc.poll()}) without reporting its window shown")
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("exe", nargs="?", default="/usr/bin/beatwise-desktop")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-s", type=float, default=4.0, help="fail when the median is above this")
    ap.add_argument("--xvfb", action="store_true", help="under xvfb-run instead of offscreen")
    args = ap.parse_args(argv)
    if args.xvfb and shutil.which("xvfb-run") is None:
        print("measure_startup: xvfb-run is not installed", file=sys.stderr)
        return 2
    exe = str(Path(args.exe).absolute()) if "/" in args.exe else (shutil.which(args.exe) or args.exe)
    times = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="beatwise-startup-") as tmp:
            (Path(tmp) / "home").mkdir()
            times.append(launch(exe, Path(tmp), args.xvfb))
    best, median = min(times), statistics.median(times)
    print(f"start-up to window shown ({exe}, {'Xvfb' if args.xvfb else 'offscreen'}): best {best:.2f} s, "
          f"median {median:.2f} s of {args.runs} (all: {', '.join(f'{t:.2f}' for t in times)} s; "
          f"target <= {args.max_s:g} s)")
    return 0 if median <= args.max_s else 1


if __name__ == "__main__":
    sys.exit(main())
