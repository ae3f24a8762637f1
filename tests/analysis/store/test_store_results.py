"""``--out STORE``: results as tables equal to the GeoPackage layers, QGIS styles in ``layer_styles``,
user tables never overwritten, hostile names harmless, one transaction, and QGIS opening them styled."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from analysis.cli import main
from analysis.export.vector import StyledLayer, qml_gi_cells, qml_hotspots, read_layer_styles, sld_hotspots
from analysis.progress import BeatwiseError
from analysis.store.address import parse_address
from analysis.store.results import result_prefix, table_given, write_results

RENDER = Path(__file__).resolve().parents[2] / "cli" / "qgis_render.py"
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin")


def _run(argv) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(argv + ["--json"]) == 0
    return json.loads(out.getvalue())


def _conn(url):
    return psycopg.connect(parse_address(url).conninfo)


def _read_table(url, schema, table) -> gpd.GeoDataFrame:
    """A result table as a GeoDataFrame in fid order, read with plain SQL (not through Beatwise)."""
    from psycopg import sql

    with _conn(url) as c:
        cur = c.execute(sql.SQL("SELECT *, ST_AsBinary(geom) AS wkb_, ST_SRID(geom) AS srid_ FROM {} ORDER BY fid")
                        .format(sql.Identifier(schema, table)))
        names = [d.name for d in cur.description]
        frame = pd.DataFrame(cur.fetchall(), columns=names)
    assert (frame["fid"] == np.arange(1, len(frame) + 1)).all()
    assert frame["srid_"].nunique() <= 1
    geoms = shapely.from_wkb(frame["wkb_"].map(bytes).to_numpy())
    return gpd.GeoDataFrame(frame.drop(columns=["fid", "geom", "wkb_", "srid_"]), geometry=geoms)


def _assert_same_layer(store: gpd.GeoDataFrame, gpkg: gpd.GeoDataFrame) -> None:
    assert len(store) == len(gpkg) > 0
    attrs = [c for c in gpkg.columns if c != gpkg.geometry.name]
    assert list(store.columns[:-1]) == attrs
    left = store[attrs].copy()
    for c in attrs:
        if left[c].dtype == bool:
            left[c] = left[c].astype("int64")   # the GeoPackage stores booleans as integers
    pd.testing.assert_frame_equal(left, gpkg[attrs].astype(object).where(gpkg[attrs].notna(), None).infer_objects(),
                                  check_dtype=False)
    assert shapely.equals_exact(store.geometry.values, gpkg.geometry.values, tolerance=1e-6).all()


@pytest.fixture(scope="module")
def essex_runs(essex_store, tmp_path_factory):
    """``hotspots --gi-star`` and ``emerging`` on the Essex store, once to a folder, once to the store."""
    folder = tmp_path_factory.mktemp("results")
    hs_dir = _run(["hotspots", essex_store, "--gi-star", "--out", str(folder / "hs")])
    hs_store = _run(["hotspots", essex_store, "--gi-star", "--out", essex_store])
    em_dir = _run(["emerging", essex_store, "--min-steps", "3", "--out", str(folder / "em")])
    em_store = _run(["emerging", essex_store, "--min-steps", "3", "--out", essex_store])
    return folder, hs_dir, hs_store, em_dir, em_store


def test_hotspot_tables_equal_the_geopackage_layers(essex_store, essex_runs):
    folder, hs_dir, hs_store, _, _ = essex_runs
    tables = {t["layer"]: t for t in hs_store["store"]["tables"]}
    assert set(tables) == {"hotspots", "gi_star_cells"}
    assert tables["hotspots"]["table"] == "public.essex_hotspots"
    assert tables["gi_star_cells"]["table"] == "public.essex_gi_star_cells"
    assert hs_store["files"] == [] and "density.tif" in hs_store["store"]["not_written"][0]
    for layer, t in tables.items():
        gpkg = pyogrio.read_dataframe(folder / "hs" / "hotspots.gpkg", layer=layer)
        store = _read_table(essex_store, "public", t["table"].split(".")[1])
        _assert_same_layer(store, gpkg)
        assert t["rows"] == len(gpkg) and t["geometry"] == "Polygon, EPSG:27700"
    assert len(hs_store["hotspots"]) == len(hs_dir["hotspots"]) == tables["hotspots"]["rows"]
    assert hs_store["gi_star"]["hot"] == hs_dir["gi_star"]["hot"]
    assert hs_store["gi_star"]["cold"] == hs_dir["gi_star"]["cold"]
    gi = _read_table(essex_store, "public", "essex_gi_star_cells")
    gi_gpkg = pyogrio.read_dataframe(folder / "hs" / "hotspots.gpkg", layer="gi_star_cells")
    assert gi["gi_class"].value_counts().to_dict() == gi_gpkg["gi_class"].value_counts().to_dict()


def test_emerging_table_equals_the_geopackage_layer(essex_store, essex_runs):
    folder, _, _, em_dir, em_store = essex_runs
    (t,) = em_store["store"]["tables"]
    assert t["table"] == "public.essex_emerging_cells"
    gpkg = pyogrio.read_dataframe(folder / "em" / "emerging.gpkg", layer="emerging_cells")
    _assert_same_layer(_read_table(essex_store, "public", "essex_emerging_cells"), gpkg)
    assert em_store["classes"] == em_dir["classes"]


def test_tables_carry_a_comment_types_and_a_gist_index(essex_store, essex_runs):
    with _conn(essex_store) as c:
        comment = c.execute("SELECT obj_description('public.essex_hotspots'::regclass)").fetchone()[0]
        types = dict(c.execute("SELECT column_name, data_type FROM information_schema.columns "
                               "WHERE table_name = 'essex_hotspots'").fetchall())
        geom = c.execute("SELECT type, srid FROM geometry_columns "
                         "WHERE f_table_name = 'essex_gi_star_cells'").fetchone()
        index = c.execute("SELECT string_agg(indexdef, ' ') FROM pg_indexes WHERE tablename = 'essex_gi_star_cells'"
                          ).fetchone()[0]
    assert comment.startswith("Beatwise result: Hotspot areas") and "beatwise hotspots" in comment
    assert '"top_percent": 5' in comment and "UTC" in comment
    assert types["rank"] == "bigint" and types["pai"] == "double precision" and types["locations"] == "text"
    assert types["split"] == "boolean" and types["fid"] == "integer"
    assert geom == ("POLYGON", 27700)
    assert "USING gist (geom)" in index and "PRIMARY KEY" not in index and "(fid)" in index


def test_layer_styles_hold_each_tables_qml_as_the_default(essex_store, essex_runs):
    folder = essex_runs[0]
    gpkg_styles = read_layer_styles(folder / "hs" / "hotspots.gpkg").set_index("f_table_name")
    with _conn(essex_store) as c:
        db = c.execute("SELECT current_database()").fetchone()[0]
        rows = c.execute("SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, stylename, "
                         "styleqml::text, stylesld::text, useasdefault, type FROM public.layer_styles "
                         "WHERE f_table_name LIKE 'essex\\_%' ORDER BY f_table_name").fetchall()
    by_table = {r[2]: r for r in rows}
    assert set(by_table) == {"essex_hotspots", "essex_gi_star_cells", "essex_emerging_cells"}
    assert len(rows) == 3                                    # one row per table
    for name, layer in (("essex_hotspots", "hotspots"), ("essex_gi_star_cells", "gi_star_cells")):
        catalog, schema, _, geom, style, qml, sld, default, kind = by_table[name]
        assert (catalog, schema, geom, style, default, kind) == (db, "public", "geom", layer, True, None)
        assert qml == gpkg_styles.loc[layer, "styleQML"]
        assert "StyledLayerDescriptor" in sld
    renderer = ET.fromstring(by_table["essex_emerging_cells"][5].split("\n", 1)[1]).find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "emerging_class"


# ---------------------------------------------------------------- write_results on small layers
def _layers(n: int = 3):
    cells = gpd.GeoDataFrame({"gi_class": np.arange(n) % 3, "label": [f"c{i}" for i in range(n)],
                              "hot": np.arange(n) % 2 == 0, "z": np.linspace(0, 1, n)},
                             geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(n)], crs="EPSG:27700")
    areas = gpd.GeoDataFrame({"rank": [1, 2]}, geometry=[box(0, 0, 50, 50),
                                                         MultiPolygon([box(100, 0, 150, 50), box(200, 0, 250, 50)])],
                             crs="EPSG:27700")
    return [StyledLayer("hotspots", areas, qml_hotspots(), sld_hotspots(), "areas"),
            StyledLayer("gi_star_cells", cells, qml_gi_cells(), "", "cells")]


def _write(url, prefix="t", layers=None, **kw):
    return write_results(parse_address(url), layers or _layers(), schema="public", prefix=prefix,
                         command="test", parameters={"n": 1}, **kw)


def _relations(url) -> set:
    with _conn(url) as c:
        return {r[0] for r in c.execute("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                        "WHERE nspname = 'public' AND relkind = 'r'")}


def test_mixed_polygons_become_multipolygon_and_nan_and_bool_are_kept(pg_db):
    written = _write(pg_db)
    assert [(w.name, w.geometry_type, w.rows) for w in written] == [("t_hotspots", "MultiPolygon", 2),
                                                                   ("t_gi_star_cells", "Polygon", 3)]
    areas = _read_table(pg_db, "public", "t_hotspots")
    assert shapely.equals(areas.geometry.values, _layers()[0].frame.geometry.values).all()
    cells = _read_table(pg_db, "public", "t_gi_star_cells")
    assert cells["hot"].tolist() == [True, False, True] and cells["label"].tolist() == ["c0", "c1", "c2"]


def test_replacing_an_earlier_result_keeps_one_beatwise_style_and_the_users(pg_db):
    _write(pg_db)
    with _conn(pg_db) as c:
        c.execute("INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                  "stylename, styleqml, useasdefault, description) VALUES (current_database(), 'public', "
                  "'t_hotspots', 'geom', 'mine', XMLPARSE(DOCUMENT '<qgis/>'), true, 'my own style')")
    written = _write(pg_db)
    assert all(w.replaced for w in written)
    with _conn(pg_db) as c:
        rows = c.execute("SELECT stylename, useasdefault FROM public.layer_styles WHERE f_table_name = 't_hotspots' "
                         "ORDER BY id").fetchall()
    assert rows == [("mine", False), ("hotspots", True)]   # the user's style kept, ours the one default


def test_a_stale_layer_of_an_earlier_run_is_dropped(pg_db):
    _write(pg_db)
    _write(pg_db, layers=_layers()[:1], stale=("gi_star_cells",))
    assert "t_gi_star_cells" not in _relations(pg_db) and "t_hotspots" in _relations(pg_db)


def test_a_users_table_is_never_overwritten(pg_db, capsys):
    with _conn(pg_db) as c:
        c.execute("CREATE TABLE public.t_gi_star_cells (id int, note text)")
        c.execute("INSERT INTO public.t_gi_star_cells VALUES (1, 'my work')")
        c.execute("COMMENT ON TABLE public.t_gi_star_cells IS 'Team notes, not Beatwise result'")
    with pytest.raises(BeatwiseError, match=r"public\.t_gi_star_cells already exists and is not a Beatwise result"):
        _write(pg_db)
    with _conn(pg_db) as c:
        assert c.execute("SELECT * FROM public.t_gi_star_cells").fetchall() == [(1, "my work")]
    assert "t_hotspots" not in _relations(pg_db)          # nothing else was written either
    # a view of that name is not replaced either, comment or not
    with _conn(pg_db) as c:
        c.execute("CREATE VIEW public.v_hotspots AS SELECT 1 AS x")
        c.execute("COMMENT ON VIEW public.v_hotspots IS 'Beatwise result: but a view'")
    with pytest.raises(BeatwiseError, match="v_hotspots already exists"):
        _write(pg_db, prefix="v")


def test_a_hostile_table_name_is_quoted_and_harmless(pg_db):
    hostile = "x\"; DROP TABLE victim; --'"
    with _conn(pg_db) as c:
        c.execute("CREATE TABLE victim (id int)")
    url = pg_db + "&table=" + quote(hostile, safe="")
    schema, prefix = result_prefix(parse_address(url), table_given(url))
    assert (schema, prefix) == ("public", hostile)
    written = _write(pg_db, prefix=prefix)
    assert {w.name for w in written} <= _relations(pg_db)
    assert "victim" in _relations(pg_db) and f"{hostile}_hotspots" in _relations(pg_db)
    assert len(_read_table(pg_db, "public", f"{hostile}_gi_star_cells")) == 3


def test_a_too_long_name_is_refused_not_cut(pg_db):
    with pytest.raises(BeatwiseError, match="longer than PostgreSQL's 63 bytes"):
        _write(pg_db, prefix="p" * 60)


def test_the_write_is_one_transaction(pg_db):
    """A failure while writing the second table leaves no first table and no style."""
    def fail_on_second(fraction, message):
        if message.startswith("Writing table 2"):
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        _write(pg_db, progress=fail_on_second)
    assert not {"t_hotspots", "t_gi_star_cells", "layer_styles"} & _relations(pg_db)

    from tests.conftest import terminate_beatwise_sessions_on

    with pytest.raises(BeatwiseError, match="nothing was written|unreachable"):
        _write(pg_db, progress=terminate_beatwise_sessions_on(pg_db, "Writing table 2"))
    assert not {"t_hotspots", "t_gi_star_cells", "layer_styles"} & _relations(pg_db)


def test_the_out_password_is_never_printed(essex_store, capsys):
    url = essex_store.replace("table=essex", "table=pw&password=s3cret")
    assert main(["hotspots", essex_store, "--out", url, "--from", "2024-01-01", "--to", "2024-01-31"]) == 0
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err
    assert "wrote public.pw_hotspots (" in captured.err and "rasters stay files" in captured.err


# ---------------------------------------------------------------- QGIS
def _has_pyqgis() -> bool:
    return SYSTEM_PYTHON is not None and subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"],
                                                        capture_output=True).returncode == 0


@pytest.mark.skipif(not _has_pyqgis(), reason="PyQGIS (Debian python3-qgis) not installed")
def test_qgis_opens_the_store_tables_with_their_stored_style(essex_store, essex_runs, pg_cluster, tmp_path):
    from PIL import Image

    db = parse_address(essex_store).conninfo.split("///", 1)[1].split("?", 1)[0]
    specs = ["PG:" + json.dumps({"host": str(pg_cluster.socket), "dbname": db, "user": pg_cluster.user,
                                 "schema": "public", "table": t})
             for t in ("essex_hotspots", "essex_gi_star_cells", "essex_emerging_cells")]
    with _conn(essex_store) as c:   # around hotspot 1, where Gi* cells and emerging cells show
        x0, y0, x1, y1 = c.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
            "ST_Expand(ST_Extent(geom), 1500) AS e FROM essex_hotspots WHERE rank = 1) q").fetchone()
    png = tmp_path / "qgis_store.png"
    proc = subprocess.run([SYSTEM_PYTHON, str(RENDER), f"--extent={x0},{y0},{x1},{y1}", str(png), *specs],
                          capture_output=True, text=True, timeout=300,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    layers = {r["layer"]: r for r in json.loads(proc.stdout.strip().splitlines()[-1])}
    hs, gi, em = layers["essex_hotspots"], layers["essex_gi_star_cells"], layers["essex_emerging_cells"]
    assert all(r["valid"] and r["crs"] == "EPSG:27700" for r in layers.values())
    assert hs["features"] == essex_runs[2]["store"]["tables"][0]["rows"]
    assert (gi["renderer"], gi["attr"]) == ("categorizedSymbol", "gi_class")   # the stored style, not a default
    assert (em["renderer"], em["attr"]) == ("categorizedSymbol", "emerging_class")
    assert hs["renderer"] == "singleSymbol" and hs["labels"] and hs["colors"] == ["#e31a1c"]   # red fill, rank labels
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    warm = (r > 180) & (b < 120) & (r - b > 80)
    assert (rgb > 245).all(axis=2).mean() > 0.3 and warm.sum() > 200, warm.sum()


def test_the_cli_refuses_to_overwrite_a_users_table(essex_store, capsys):
    with _conn(essex_store) as c:
        c.execute("CREATE TABLE public.usr_hotspots (id int)")
        c.execute("INSERT INTO public.usr_hotspots VALUES (7)")
    url = essex_store.replace("table=essex", "table=usr")
    assert main(["hotspots", essex_store, "--gi-star", "--out", url, "--from", "2024-01-01", "--to", "2024-01-31"]) == 2
    err = capsys.readouterr().err
    assert "public.usr_hotspots already exists and is not a Beatwise result" in err and "nothing was written" in err
    with _conn(essex_store) as c:
        assert c.execute("SELECT * FROM public.usr_hotspots").fetchall() == [(7,)]
        assert c.execute("SELECT to_regclass('public.usr_gi_star_cells')").fetchone()[0] is None
