"""Faults: the server stopped in the middle of a query gives a message and no output file."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from pg_cluster import Cluster, available  # noqa: E402


@pytest.fixture
def own_cluster(demo_dir):
    """A cluster of its own (this test stops it), with the demo loaded."""
    why = available()
    if why:
        pytest.skip(why)
    from analysis.store.address import parse_address
    from analysis.store.load import load_files

    c = Cluster().start()
    url = c.createdb("faults") + "&table=demo"
    load_files([demo_dir / "incidents.csv"], parse_address(url))
    yield c, url
    c.remove()


def _stop_during(cluster, monkeypatch, module, name):
    """Wrap ``module.name`` so the server is stopped (immediate mode) while a query is running on
    the same connection."""
    original = getattr(module, name)

    def wrapped(conn, *args, **kwargs):
        timer = threading.Timer(0.5, cluster.stop, kwargs={"mode": "immediate"})
        timer.start()
        try:
            conn.execute("SELECT pg_sleep(20)")  # the server goes away in the middle of this
        finally:
            timer.join()
        return original(conn, *args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)


@pytest.mark.parametrize("command,module,name,made", [
    (["density"], "analysis.store.binning", "server_linear_bin", "density.tif"),
    (["hotspots"], "analysis.store.read", "fetch_csv", "hotspots.gpkg"),
])
def test_server_stopped_mid_query(own_cluster, monkeypatch, tmp_path, capsys, command, module, name, made):
    import importlib

    from analysis.cli import main

    cluster, url = own_cluster
    _stop_during(cluster, monkeypatch, importlib.import_module(module), name)
    out = tmp_path / "out"
    assert main([*command, url, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the server is unreachable or stopped" in err and "Traceback" not in err
    assert not (out / made).exists()
    assert not any(p.is_file() for p in out.rglob("*")) if out.exists() else True


def test_server_down_before_connecting(own_cluster, tmp_path, capsys):
    from analysis.cli import main

    cluster, url = own_cluster
    cluster.stop()
    assert main(["temporal", url, "--json"]) == 2
    assert "connecting: the server is unreachable or stopped" in capsys.readouterr().err
