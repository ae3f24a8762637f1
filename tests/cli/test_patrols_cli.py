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
    assert {n for n, _ in pyogrio.list_layers(out / "visits.gpkg")} == {"tracks", "visits", "hotspots", "layer_styles"}
    # tracks per unit and shift: no track spans a silence of more than 2 hours; visits as intervals
    import pandas as pd

    tracks = pyogrio.read_dataframe(out / "visits.gpkg", layer="tracks")
    pings = pd.read_csv(demo_dir / "patrols.csv")
    assert tracks.groupby("unit_id")["shift"].max().max() > 1 and tracks["pings"].sum() <= len(pings)
    for _, tr in tracks.head(20).iterrows():
        p = pings[pings["unit_id"].astype(str) == tr["unit_id"]]
        tt = pd.to_datetime(p["timestamp"]).dt.tz_localize("Europe/London").dt.tz_convert("UTC")
        inside = tt[(tt >= pd.Timestamp(tr["start"])) & (tt <= pd.Timestamp(tr["end"]))].sort_values()
        assert len(inside) == tr["pings"] and inside.diff().max() <= pd.Timedelta(hours=2)
    from analysis.export.vector import read_layer_styles

    styles = read_layer_styles(out / "visits.gpkg")   # every layer opens styled in QGIS
    assert set(styles["f_table_name"]) == {"tracks", "visits", "hotspots"} and (styles["useAsDefault"] == 1).all()
    assert styles.set_index("f_table_name").loc["tracks", "styleQML"].count('class="SimpleLine"') == 1
    vis = pyogrio.read_dataframe(out / "visits.gpkg", layer="visits")
    assert len(vis) == sum(h["visits"] for h in d["hotspots"])
    assert (pd.to_datetime(vis["end"]) >= pd.to_datetime(vis["start"])).all()
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


YORK_AREA = "POLYGON((0.714 51.5355, 0.7255 51.5355, 0.7255 51.5372, 0.714 51.5372, 0.714 51.5355))"


def _run_json(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_patrols_cli__logs_only_run_with_streets(demo_dir, tmp_path, capsys):
    from analysis.demo import demo_streets

    streets = tmp_path / "streets.geojson"
    demo_streets().to_file(streets, driver="GeoJSON")
    logs = tmp_path / "logs.csv"
    logs.write_text("unit,start,end,area,street\n"
                    f'PCSO 1,2025-01-10 22:00,2025-01-11 00:30,"{YORK_AREA}",\n'      # 2.5 h, GMT
                    "PCSO 2,2025-01-11 23:00,2025-01-12 01:00,,York Road\n"           # 2 h
                    "PCSO 3,2025-01-11 23:00,2025-01-12 01:00,,Acacia Avenue\n", encoding="utf-8")
    out = tmp_path / "out"
    d = _run_json(["patrols", str(demo_dir / "demo.beatwise"), "--logs", str(logs), "--streets", str(streets),
                   "--out", str(out), "--json"], capsys)
    assert d["logs"]["read"] == 3 and d["logs"]["accepted"] == 2 and d["logs"]["rejected"] == 1
    assert d["logs"]["rejections"] == {"unknown street 'Acacia Avenue' (not in the street layer "
                                       f"{streets})": 1}
    assert d["pings"]["read"] == 0 and d["units"] == 2
    assert d["presence_from_logs_hours"] == 4.5 and d["presence_hours"] == 4.5
    assert d["presence"]["hour_of_week_s"][4 * 24 + 22] == 3600                    # Friday 22:00
    york = next(h for h in d["hotspots"] if "York Road" in h["location"])
    assert york["patrol_minutes"] == 150 + 120 and york["visits"] == 2              # both logs overlap it
    assert {n for n, _ in pyogrio.list_layers(out / "visits.gpkg")} == {"tracks", "visits", "hotspots", "logs", "layer_styles"}
    import rasterio
    with rasterio.open(out / "presence.tif") as ds:
        in_raster_min = ds.read(1).astype(float).sum()
    assert np.isclose(in_raster_min * 60 + d["presence"]["outside_grid_s"], 4.5 * 3600, rtol=1e-4)


def test_patrols_cli__pings_and_logs_add_up(demo_dir, tmp_path, capsys):
    logs = tmp_path / "logs.csv"
    logs.write_text(f'unit,start,end,area\nPCSO 1,2025-01-10 22:00,2025-01-11 00:30,"{YORK_AREA}"\n',
                    encoding="utf-8")
    base = ["patrols", str(demo_dir / "demo.beatwise"), "--patrols", str(demo_dir / "patrols.csv"), "--json"]
    pings_only = _run_json(base, capsys)
    both = _run_json(base + ["--logs", str(logs)], capsys)
    assert both["presence_hours"] == pings_only["presence_hours"] + 2.5
    assert both["presence_from_pings_hours"] == pings_only["presence_hours"]
    assert both["units"] == pings_only["units"] + 1 and both["logs"]["accepted"] == 1


def test_patrols_cli__date_filters_narrow_pings_and_logs(demo_dir, tmp_path, capsys):
    import pandas as pd

    logs = tmp_path / "logs.csv"
    logs.write_text("unit,start,end,area\n"
                    f'A,2025-01-12 23:00,2025-01-13 01:00,"{YORK_AREA}"\n'          # 1 h inside the range
                    f'B,2025-01-01 10:00,2025-01-01 11:00,"{YORK_AREA}"\n', encoding="utf-8")   # outside
    pings = pd.read_csv(demo_dir / "patrols.csv")
    day = pd.to_datetime(pings["timestamp"]).dt.date.astype(str)           # naive local times
    inside = tmp_path / "inside.csv"
    pings[(day >= "2025-01-13") & (day <= "2025-01-19")].to_csv(inside, index=False)
    inc = str(demo_dir / "demo.beatwise")
    ref = _run_json(["patrols", inc, "--patrols", str(inside), "--json"], capsys)
    got = _run_json(["patrols", inc, "--patrols", str(demo_dir / "patrols.csv"), "--logs", str(logs),
                     "--from", "2025-01-13", "--to", "2025-01-19", "--json"], capsys)
    assert got["presence_from_pings_hours"] == ref["presence_hours"] > 0
    assert got["presence_from_logs_hours"] == 1.0
    assert got["outside_dates"] == {"pings": len(pings) - int(((day >= "2025-01-13") & (day <= "2025-01-19")).sum()),
                                    "logs": 1}
    assert got["pings"]["read"] == len(pings)                   # read, then narrowed: the accounting is the file's


def test_patrols_cli__no_patrol_data_is_a_message(demo_dir, capsys):
    code = main(["patrols", str(demo_dir / "demo.beatwise")])
    err = capsys.readouterr().err
    assert code == 2 and "--patrols PINGS" in err and "--logs FILE" in err


def test_patrols_cli__says_how_many_pings_and_logs_the_dates_left_out(demo_dir, tmp_path, capsys):
    logs = tmp_path / "logs.csv"
    logs.write_text(f'unit,start,end,area\nB,2025-01-01 10:00,2025-01-01 11:00,"{YORK_AREA}"\n'
                    f'A,2025-01-14 10:00,2025-01-14 11:00,"{YORK_AREA}"\n', encoding="utf-8")
    code = main(["patrols", str(demo_dir / "demo.beatwise"), "--patrols", str(demo_dir / "patrols.csv"),
                 "--logs", str(logs), "--from", "2025-01-13", "--to", "2025-01-19"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    text = captured.out + captured.err
    assert "29,400 pings used of 117,600 read (0 rejected, 88,200 outside the dates)" in text
    assert "1 patrol logs used of 2 read (0 rejected, 1 outside the dates)" in text


def test_patrols_cli__a_table_as_street_layer_is_a_message(demo_dir, tmp_path, capsys):
    logs = tmp_path / "logs.csv"
    logs.write_text("unit,start,end,street\nA,2025-01-14 10:00,2025-01-14 11:00,York Road\n", encoding="utf-8")
    code = main(["patrols", str(demo_dir / "demo.beatwise"), "--logs", str(logs), "--streets", str(logs)])
    err = capsys.readouterr().err
    assert code == 2 and "not a GIS layer" in err and "Traceback" not in err
