"""A bug in a command reaches the user as one sentence and a crash file, never a traceback
(found at stop 26: a KeyError in ``server_week_profile`` printed a traceback)."""
from __future__ import annotations

from analysis import cli


def test_a_bug_is_a_sentence_and_a_crash_file_without_the_password(monkeypatch, tmp_path, capsys):
    from analysis.commands import temporal

    monkeypatch.delenv("BEATWISE_DEBUG", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def broken(args):
        raise KeyError("row")

    monkeypatch.setattr(temporal, "run", broken)
    url = "postgresql://analyst:s3cret@db.example/force?table=incidents"
    code = cli.main(["temporal", url, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "internal error (KeyError: 'row')" in err and "This is a bug in Beatwise" in err
    assert "Traceback" not in err and "s3cret" not in err
    crash = list((tmp_path / "state" / "beatwise").glob("crash-*.txt"))
    assert len(crash) == 1 and str(crash[0]) in err
    text = crash[0].read_text()
    assert "Traceback" in text and "KeyError" in text and "s3cret" not in text and "db.example" in text
    assert not (tmp_path / "out").exists()


def test_with_beatwise_debug_the_bug_is_raised(monkeypatch, tmp_path):
    import pytest

    from analysis.commands import temporal

    monkeypatch.setenv("BEATWISE_DEBUG", "1")
    monkeypatch.setattr(temporal, "run", lambda args: {}["row"])
    with pytest.raises(KeyError):
        cli.main(["temporal", str(tmp_path / "x.csv"), "--out", str(tmp_path / "out")])
