"""``--out STORE``: only ``hotspots`` and ``emerging`` write results to a store; every other command
refuses it before any work, with no folder made and no password shown."""
from __future__ import annotations

import pytest

from analysis.cli import main

STORE = "postgresql://analyst:s3cret@gis-db.invalid/crime?table=essex"


@pytest.mark.parametrize("argv", [
    ["density", "x.csv"], ["temporal", "x.csv"], ["streets", "x.csv"], ["forecast", "x.csv"],
    ["nearrepeat", "x.csv"], ["brief", "x.csv"], ["import", "x.csv"], ["demo"],
])
def test_other_commands_refuse_a_store_out(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv + ["--out", STORE]) == 2
    err = capsys.readouterr().err
    assert "only `beatwise hotspots` and `beatwise emerging` write results to a store" in err
    assert f"give `beatwise {argv[0]}` a folder" in err
    assert "s3cret" not in err and "analyst@gis-db.invalid" in err
    assert list(tmp_path.iterdir()) == []          # no folder called "postgresql:" made


def test_pg_service_out_is_a_store_too(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["density", "x.csv", "--out", "pg:crime"]) == 2
    assert "--out pg:crime: only" in capsys.readouterr().err
