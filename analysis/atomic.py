"""Atomic file output: a file appears complete or not at all.

Every file Beatwise writes (projects, GeoPackages, GeoTIFFs, HTML maps, CSVs) goes through
:func:`atomic_write`: the writer fills a temporary file in the target's folder; when it finishes,
the file is flushed to disk and renamed over the target (``os.replace`` is atomic on one file
system). If anything fails, or the user cancels (:class:`~analysis.progress.Cancelled`), the
temporary file and any SQLite journal are removed and the old target is left untouched.

Two promises are kept here, for every writer at once:

* **No output overwrites an input.** Every file read as input is registered with
  :func:`protect` (the readers do it); writing to one, resolved through symlinks, is refused.
* **Failures are messages.** A target that is a folder, a folder that cannot be written, a full
  disk: a :class:`~analysis.progress.BeatwiseError` naming the file and saying that the old file,
  if any, is unchanged. Temporary files left by a killed save (``kill -9``) are removed by the
  next save of the same target.
"""
from __future__ import annotations

import errno
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from analysis.progress import BeatwiseError

_PROTECTED: set[str] = set()
_LIVE: set[str] = set()
_LOCK = threading.Lock()
STALE_AFTER_S = 60.0


def _key(path) -> str:
    return os.path.normcase(str(Path(path).resolve()))


def protect(paths: Iterable) -> None:
    """Mark files as inputs of this process: :func:`atomic_write` refuses to replace them."""
    with _LOCK:
        _PROTECTED.update(_key(p) for p in paths)


def check_output(path, inputs: Iterable = ()) -> Path:
    """``path`` if it may be written: not an input (given or protected), not an existing folder."""
    path = Path(path)
    key = _key(path)
    if key in _PROTECTED or key in {_key(p) for p in inputs}:
        raise BeatwiseError(f"{path}: this is an input of this run; it would be overwritten. "
                            "Choose another output name")
    if path.is_dir():
        raise BeatwiseError(f"{path}: is a folder; give a file name to write")
    return path


def _clean_stale(folder: Path, stem: str) -> None:
    """Remove temporary files of earlier saves of this target that died (kill -9, power cut)."""
    now = time.time()
    for f in folder.glob(f".{stem}-*.partial*"):
        try:
            if str(f) not in _LIVE and now - f.stat().st_mtime > STALE_AFTER_S:
                f.unlink()
        except OSError:
            pass


def _failure(path: Path, exc: OSError) -> BeatwiseError:
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    return BeatwiseError(f"{path}: could not be written ({why}); the old file, if any, is unchanged")


def normal_permissions(path) -> None:
    """Give a file made by ``mkstemp`` (mode 0600) the usual mode for new files (0666 minus umask).

    The umask is read from ``/proc/self/status`` (setting it to read it back is not thread-safe);
    elsewhere 022 is assumed. On Windows only the read-only flag exists and it is left off.
    """
    mask = 0o022
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    mask = int(line.split()[1], 8)
                    break
    except (OSError, ValueError):
        pass
    os.chmod(path, 0o666 & ~mask)


def _fsync(path: Path, directory: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder
        if not directory:
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_write(path, *, fresh: bool = False, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Parameters
    ----------
    path : path-like
        The file to (re)write; its folder is created if needed.
    fresh : bool
        Yield a path that does not exist yet (GDAL and SQLite writers want to create the file);
        otherwise an empty file with the usual permissions exists at the yielded path.
    suffix : str, optional
        Extension of the temporary file (default the target's); GDAL picks drivers and checks
        conformance by extension, e.g. a ``.beatwise`` project is written as ``.gpkg``.
    """
    path = check_output(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _clean_stale(folder, path.stem)
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}-",
                                    suffix=f".partial{path.suffix if suffix is None else suffix}",
                                    dir=folder)
    except OSError as exc:
        raise _failure(path, exc) from None
    os.close(fd)
    tmp = Path(name)
    with _LOCK:
        _LIVE.add(str(tmp))
    normal_permissions(tmp)
    if fresh:
        tmp.unlink()
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(folder, directory=True)
    except BaseException as exc:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if leftover.exists():
                leftover.unlink()
        if isinstance(exc, OSError):
            raise _failure(path, exc) from exc
        raise
    finally:
        with _LOCK:
            _LIVE.discard(str(tmp))
