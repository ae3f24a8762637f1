"""atomic_write: the target is replaced only by a complete file; failures leave nothing behind."""
from __future__ import annotations

import os
import stat

import pytest

from analysis.atomic import atomic_write
from analysis.progress import Cancelled


def test_success_replaces_the_target_with_usual_permissions(tmp_path):
    target = tmp_path / "sub" / "out.csv"
    with atomic_write(target) as tmp:
        assert tmp.parent == target.parent and tmp.exists() and tmp != target
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.csv"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_failure_or_cancel_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.gpkg"
    target.write_text("old")
    for exc in (RuntimeError("disk full"), Cancelled()):
        with pytest.raises(type(exc)):
            with atomic_write(target, fresh=True) as tmp:
                assert not tmp.exists()  # fresh: the writer creates it
                tmp.write_text("half")
                (tmp.parent / f"{tmp.name}-journal").write_text("j")
                raise exc
        assert target.read_text() == "old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]


def test_overwriting_input__refused_through_symlinks(tmp_path):
    """Regression: `beatwise import data.csv --rejects data.csv` replaced the data with the rejects."""
    from analysis.atomic import protect
    from analysis.progress import BeatwiseError

    data = tmp_path / "data.csv"
    data.write_text("precious")
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    protect([data])
    for target in (data, link):
        with pytest.raises(BeatwiseError, match="is an input of this run"):
            with atomic_write(target) as tmp:
                tmp.write_text("rejects")
    assert data.read_text() == "precious"


def test_target_is_a_folder_or_unwritable__messages(tmp_path):
    from analysis.progress import BeatwiseError

    with pytest.raises(BeatwiseError, match="is a folder"):
        with atomic_write(tmp_path):
            pass
    with pytest.raises(BeatwiseError, match="could not be written"):
        with atomic_write("/proc/no/such/out.csv"):
            pass


def test_full_disk_during_save__message_and_old_file_kept(tmp_path):
    """Regression: a full disk during a save gave the user a traceback."""
    import errno

    from analysis.progress import BeatwiseError

    target = tmp_path / "p.beatwise"
    target.write_text("old project")
    with pytest.raises(BeatwiseError, match="the disk is full.*old file, if any, is unchanged"):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old project"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.beatwise"]


def test_kill_during_save__stale_partials_removed_on_next_save(tmp_path):
    """Regression: after kill -9 during saves, hidden .partial files piled up (12 files, 171 MB)."""
    import time

    target = tmp_path / "p.beatwise"
    stale = [tmp_path / f".p-{i}.partial.gpkg" for i in range(12)]
    old = time.time() - 3600
    for f in stale:
        f.write_bytes(b"x" * 1000)
        os.utime(f, (old, old))
    fresh = tmp_path / ".p-live.partial.gpkg"   # another save in progress right now: left alone
    fresh.write_bytes(b"y")
    other = tmp_path / ".q-1.partial.gpkg"      # another target's leftovers: not ours to judge
    other.write_bytes(b"z")
    os.utime(other, (old, old))
    with atomic_write(target) as tmp:
        tmp.write_text("saved")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".p-live.partial.gpkg", ".q-1.partial.gpkg",
                                                                 "p.beatwise"])
