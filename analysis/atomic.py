"""Atomic file output: a file appears complete or not at all.

Every file Beatwise writes (projects, GeoPackages, GeoTIFFs, HTML maps, CSVs) goes through
:func:`atomic_write`: the writer fills a temporary file in the target's folder; when it finishes,
the file is flushed to disk and renamed over the target (``os.replace`` is atomic on one file
system). If anything fails, or the user cancels (:class:`~analysis.progress.Cancelled`), the
temporary file and any SQLite journal are removed and the old target is left untouched.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


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
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=f".partial{path.suffix if suffix is None else suffix}",
                               dir=folder)
    os.close(fd)
    tmp = Path(name)
    normal_permissions(tmp)
    if fresh:
        tmp.unlink()
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(folder, directory=True)
    except BaseException:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if leftover.exists():
                leftover.unlink()
        raise
