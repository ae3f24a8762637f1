"""Step 0: which files, and of what kind; nothing skipped without a word."""
from __future__ import annotations

import pytest

from analysis.ingest.incidents import read_incidents
from analysis.ingest.sources import expand_paths, kind_of
from analysis.progress import BeatwiseError


def test_broken_symlink_in_folder_is_reported(tmp_path):
    """Regression: a broken symlink in a folder was skipped without a word."""
    (tmp_path / "a.csv").write_text("lat,lon\n51.5,0.7\n", encoding="utf-8")
    (tmp_path / "gone.csv").symlink_to(tmp_path / "missing.csv")
    files, notes = expand_paths([tmp_path])
    assert files == [tmp_path / "a.csv"]
    assert len(notes) == 1 and "gone.csv" in notes[0] and "broken link" in notes[0]
    r = read_incidents(tmp_path)
    assert any("broken link" in w for w in r.report.warnings)


def test_broken_symlink_given_by_name_is_an_error(tmp_path):
    (tmp_path / "gone.csv").symlink_to(tmp_path / "missing.csv")
    with pytest.raises(BeatwiseError, match="gone.csv: a broken link"):
        expand_paths([tmp_path / "gone.csv"])


def test_kinds():
    from pathlib import Path
    assert kind_of(Path("a.GPKG")) == "layer" and kind_of(Path("a.tsv")) == "table"
    with pytest.raises(BeatwiseError, match="unsupported file type '.docx'"):
        kind_of(Path("a.docx"))
