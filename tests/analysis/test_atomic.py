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
