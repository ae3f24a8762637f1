"""Give memory that finished work has freed back to the operating system.

After an import or an analysis, much of the memory a process holds is free but kept: pyarrow's
memory pool (mimalloc or jemalloc) keeps the pages of the CSV reader's buffers for reuse, and
glibc's heap keeps freed small blocks (the strings of a few hundred thousand rows) in its arenas.
Neither is a leak, but a desktop app holding a force's incidents for hours should not keep them:
measured on 118,853 data.police.uk rows, the two release about 70 MB of the app's resident memory
(``tests/benchmarks/bench_desktop_memory.py``). Nothing here changes any result.
"""
from __future__ import annotations

import ctypes
import sys


def release_free_memory() -> None:
    """Return freed memory to the OS: pyarrow's pool (when pyarrow is loaded) and, on Linux with
    glibc, ``malloc_trim(0)``. Safe to call from any thread; a no-op where unsupported."""
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        try:
            pa.default_memory_pool().release_unused()
        except Exception:  # an older pyarrow or a pool without the call: nothing to release
            pass
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # musl or another libc: no malloc_trim
            pass


#: glibc's ``M_MMAP_THRESHOLD`` (mallopt parameter -3) and the value Beatwise sets.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024


def keep_large_arrays_out_of_the_heap() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD_BYTES` (Linux, glibc); True when set.

    glibc raises the threshold each time a large block is freed, up to 32 MB, so after the first
    grid is freed the grids of up to 32 MB that follow (a county's bands, masks and labels) come
    from the heap, and a heap freed in the middle is not given back: the desktop's resident memory
    grew by about 300 MB over one force-scale hotspot run. With the threshold fixed, every array
    of 4 MB or more is its own mapping, returned to the system when it is freed.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False
