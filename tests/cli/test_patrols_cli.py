"""``beatwise patrols``: the demo's day-heavy rota leaves its night hotspots uncovered, with numbers."""
from __future__ import annotations

import json

import numpy as np
import pyogrio

from analysis.cli import main


def test_patrols_cli__demo_gap_names_york_road(demo_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["patrols", str(demo_dir / "demo.beatwise"), "--patrols", str(demo_dir / "patrols.csv"),
                 "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    d = json.loads(captured.out)            # exactly one JSON object on stdout
    p = d["pings"]
    assert p["read"] == p["accepted"] + p["rejected"] and d["units"] == 7
    assert len(d["on_duty"]) == 168 and d["presence_hours"] > 0
    assert np.isclose(d["presence"]["presence_hours"] * 3600, d["presence"]["counted_gap_s"], rtol=1e-9)
    assert {"rank", "location", "incident_share", "patrol_share", "patrol_minutes", "officer_minutes", "visits",
            "visits_10min", "longest_gap_h", "peak", "patrol_minutes_in_peak"} <= set(d["hotspots"][0])
    york = [g for g in d["gaps"] if "York Road" in g["location"]]
    assert york and york[0]["incident_share"] > 3 * york[0]["patrol_share"]
    assert "York Road" in york[0]["sentence"] and "%" in york[0]["sentence"]
    # the demo's incidents peak at night, its rota is day-heavy: York Road's peak is in the night hours
    assert york[0]["peak"]["hour"] >= 20 or york[0]["peak"]["hour"] <= 3
    for name in ("presence.tif", "presence.qml", "dosage.csv", "visits.gpkg", "gap_map.png", "patrols.json"):
        assert (out / name).stat().st_size > 0, name
    assert {n for n, _ in pyogrio.list_layers(out / "visits.gpkg")} == {"tracks", "hotspots"}
    import rasterio
    with rasterio.open(out / "presence.tif") as ds:
        minutes = ds.read(1)
    in_raster_s = d["presence"]["presence_hours"] * 3600 - d["presence"]["outside_grid_s"]
    assert np.isclose(minutes.astype(float).sum() * 60, in_raster_s, rtol=1e-4)


def test_patrols_cli__bad_pings_are_a_message(demo_dir, tmp_path, capsys):
    bad = tmp_path / "p.csv"
    bad.write_text("time,lat,lon\n2025-01-06 07:00,51.5,0.7\n", encoding="utf-8")
    code = main(["patrols", str(demo_dir / "demo.beatwise"), "--patrols", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "no unit column" in err and "Traceback" not in err
