"""analysis.export.pdf: the briefing pack made once from the SYNTHETIC demo, checked file by file."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from analysis.export.pdf import (FILES, WEEKDAYS, BriefingOptions, compute_briefing, date_range_text, gi_distance_m,
                                 normalise_marking, peak_times, write_briefing, write_briefing_pdf)
from analysis.progress import BeatwiseError, Cancelled

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftotext, pdftoppm) not installed")


@pytest.fixture(scope="module")
def project(demo_dir):
    from analysis.project import load_project

    return load_project(demo_dir / "demo.beatwise")


@pytest.fixture(scope="module")
def pack(project, tmp_path_factory):
    """The demo briefing pack, written once for the module."""
    out = tmp_path_factory.mktemp("pack")
    seen = []
    result = write_briefing(project, out, progress=lambda f, m: seen.append((f, m)))
    return result, seen


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")
    return [p for p in pages if p.strip()]


def lines(page: str) -> list[str]:
    return [ln.strip() for ln in page.splitlines() if ln.strip()]


# ---------------------------------------------------------------------------------------------- the PDF
@needs_poppler
def test_pdf__marking_is_the_first_and_last_text_of_every_page(pack):
    result, _ = pack
    pages = page_texts(result.pdf)
    assert len(pages) == result.pages >= 4
    for i, page in enumerate(pages, 1):
        ls = lines(page)
        assert ls[0] == "OFFICIAL-SENSITIVE", f"page {i} starts with {ls[0]!r}"
        assert ls[-1] == "OFFICIAL-SENSITIVE", f"page {i} ends with {ls[-1]!r}"


@needs_poppler
def test_pdf__truetype_fonts_only(pack):
    """Regression: matplotlib's default Type 3 fonts were embedded (rejected by some print checks)."""
    result, _ = pack
    out = subprocess.run(["pdffonts", str(result.pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows and all("TrueType" in r or "CID TrueType" in r for r in rows), out
    assert "Type 3" not in out


@needs_poppler
def test_pdf__page_1_map_raster_at_print_resolution(pack):
    """Regression: page 1's density image was 346 x 212 px, about 49 ppi on paper."""
    result, _ = pack
    out = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(result.pdf)], capture_output=True,
                         text=True, check=True).stdout
    images = [ln.split() for ln in out.splitlines()[2:] if ln.strip()]
    assert images, out
    # columns: page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
    biggest = max(images, key=lambda r: int(r[3]) * int(r[4]))
    assert int(biggest[12]) >= 200 and int(biggest[13]) >= 200, out


@needs_poppler
def test_pdf__metadata_title_author_and_marking(pack):
    result, _ = pack
    info = subprocess.run(["pdfinfo", str(result.pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(ln.split(":", 1) for ln in info.splitlines() if ":" in ln)
    assert fields["Author"].strip() == "Beatwise" and fields["Subject"].strip() == "OFFICIAL-SENSITIVE"
    assert "SYNTHETIC" in fields["Title"] or "Southend" in fields["Title"]


@needs_poppler
def test_pdf__renders_with_pdftoppm_on_a4(pack, tmp_path):
    result, _ = pack
    info = subprocess.run(["pdfinfo", str(result.pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+%d" % result.pages, info)
    assert "(A4)" in info
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(result.pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == result.pages
    from PIL import Image

    for png in pngs:
        im = np.asarray(Image.open(png).convert("L"))
        assert im.shape[0] > im.shape[1]  # portrait
        assert (im < 128).mean() > 0.005  # not blank


@needs_poppler
def test_pdf__sections_in_order_and_synthetic_on_every_page(pack):
    result, _ = pack
    pages = page_texts(result.pdf)
    # the demo's four planted hotspots at least (the top 5 % of its study area's cells)
    shown = min(5, result.summary["n_hotspots"])
    assert shown >= 4
    expect = [(f"Where: the top {shown} hotspots", "Headlines"), ("When: hour of day and day of week", "Peak times"),
              ("Street profile: York Road, Southend-on-Sea",), ("Shift timing: recommended against current",),
              ("Patrol presence against demand", "Under-patrolled hotspots"),  # the demo has patrol GPS
              ("Trends and repeats", "Is it growing? Emerging hot spots", "Does it repeat? Near-repeat"),
              ("Next week's boxes", "The boxes and their streets", "How often were such boxes right?"),
              ("Method, data and caveats", "Caveats")]
    assert len(pages) == len(expect)
    for page, heads in zip(pages, expect):
        for h in heads:
            assert h in page
    for page in pages:
        assert "SYNTHETIC" in page
    assert "SYNTHETIC DEMO DATA" in pages[0]
    assert "every incident in this pack is made up" in pages[-1].replace("\n", " ")


@needs_poppler
def test_pdf__summary_table_matches_point_in_polygon_counts(pack, project):
    result, _ = pack
    page1 = page_texts(result.pdf)[0]
    rows = [ln.split() for ln in lines(page1) if re.match(r"^[1-5]\s+[\d,]+\s+[\d.]+%", ln)]
    assert [int(r[0]) for r in rows] == list(range(1, min(5, result.summary["n_hotspots"]) + 1))
    assert len(rows) >= 4
    hot = gpd.read_file(result.gpkg, layer="hotspots").sort_values("rank")
    inc = project.incidents
    n = len(inc)
    for r, (_, h) in zip(rows, hot.iterrows()):
        count = int(inc.geometry.within(h.geometry.buffer(1e-6)).sum())  # brute force
        assert int(r[1].replace(",", "")) == count
        share = 100 * count / n
        assert r[2] == (f"{share:.0f}%" if share >= 9.5 else f"{share:.1f}%")
    # a headline names the share held by the top five
    top5 = sum(int(r[1].replace(",", "")) for r in rows)
    assert f"hold {100 * top5 / n:.0f}% of the 12,000 incidents" in " ".join(lines(page1))


@needs_poppler
def test_pdf__peak_times_match_a_groupby_of_the_incidents(pack, project):
    result, _ = pack
    text = " ".join(lines(page_texts(result.pdf)[1]))
    t = project.incidents["t_start"]
    counts = t.groupby([t.dt.day_of_week, t.dt.hour]).size().sort_values(ascending=False, kind="stable")
    (day, hour), value = counts.index[0], int(counts.iloc[0])
    assert f"Busiest hours of the week: {WEEKDAYS[day]} {hour:02d}:00–{hour + 1:02d}:00" in text
    assert f": {value:,}" in text
    by_day = t.dt.day_of_week.value_counts()
    assert f"Busiest day: {WEEKDAYS[by_day.idxmax()]} ({100 * by_day.max() / len(t):.0f}%" in text


@needs_poppler
def test_pdf__street_page_is_york_road_with_its_count(pack, project):
    result, _ = pack
    text = " ".join(lines(page_texts(result.pdf)[2]))
    n_york = int((project.incidents["location"] == "On or near York Road").sum())
    assert f"{n_york:,} incidents, {100 * n_york / 12000:.0f}% of the 12,000 in Southend-on-Sea" in text
    assert result.summary["street"]["name"] == "York Road" and result.summary["street"]["incidents"] == n_york


@needs_poppler
def test_pdf__method_page_states_every_parameter(pack):
    result, _ = pack
    s = result.summary
    text = " ".join(lines(page_texts(result.pdf)[-1]))
    assert f"bandwidth {s['density']['bandwidth_m']:.1f} m" in text
    assert "ArcGIS Kernel Density" in text
    assert f"cells of {s['density']['cell_m']:g} m in EPSG:27700" in text
    assert "top 5% of the cells" in text and "Chainey, Tompson & Uhlig 2008" in text
    assert f"binary distance band {s['gi_star']['distance_m']:.0f} m" in text and "Benjamini-Hochberg" in text
    assert "Rows read 12,000; accepted 12,000; rejected 0" in text
    assert "Dates: 6 Jan 2025 to" in text and "Source: SYNTHETIC demo data" in text
    assert "aoristic" in text


@needs_poppler
def test_pdf__marking_none_and_custom(project, tmp_path):
    data = compute_briefing(project)
    for marking, expect in ((None, None), ("OFFICIAL", "OFFICIAL")):
        path = tmp_path / f"b-{expect}.pdf"
        n, preview = write_briefing_pdf(replace(data, marking=normalise_marking(marking)), path, preview_dpi=None)
        assert preview == b""
        pages = page_texts(path)
        assert len(pages) == n
        for page in pages:
            ls = lines(page)
            if expect is None:
                assert "OFFICIAL" not in page
            else:
                assert ls[0] == expect and ls[-1] == expect and "OFFICIAL-SENSITIVE" not in page


def demand_by_hand(incidents) -> np.ndarray:
    """Incidents per week in each hour of the week (Monday 00:00 first), by a plain groupby."""
    t = incidents["t_start"]
    counts = np.zeros(168)
    idx = (t.dt.day_of_week * 24 + t.dt.hour).to_numpy()
    np.add.at(counts, idx, 1.0)
    days = (t.max().normalize() - t.min().normalize()).days + 1
    return counts / (days / 7)


@needs_poppler
def test_pdf__shift_page_current_rota_coverage_by_hand(pack, project):
    result, _ = pack
    d = demand_by_hand(project.incidents)
    hour = np.arange(168) % 24
    on = 4.0 * ((hour >= 7) & (hour < 17)) + 3.0 * (hour >= 14)  # 07:00-17:00 x4, 14:00-00:00 x3
    k = d.sum() / on.sum()
    cov = np.minimum(d, k * on).sum() / d.sum()
    shifts = result.summary["shifts"]
    assert shifts["current"]["coverage"] == pytest.approx(cov, abs=1e-9)
    assert shifts["officers"] == 7 and shifts["shift_hours"] == 10 and shifts["status"] == "optimal"
    assert shifts["coverage"] > shifts["current"]["coverage"]
    # the recommended plan scored by hand with the same formula
    on_plan = np.zeros(168)
    for sh in shifts["shifts"]:
        start = int(sh["start"][:2])
        for day in range(7):
            on_plan[(day * 24 + start + np.arange(int(sh["hours"]))) % 168] += sh["officers"]
    assert on_plan.sum() == 7 * 7 * 10
    k2 = d.sum() / on_plan.sum()
    assert shifts["coverage"] == pytest.approx(np.minimum(d, k2 * on_plan).sum() / d.sum(), abs=1e-9)
    text = " ".join(page_texts(result.pdf)[3].split())
    assert f"Current 07:00-17:00 x4; 14:00-00:00 x3 {100 * cov:.0f}%" in text
    assert f"{100 * shifts['coverage']:.0f}% optimal" in text
    assert shifts["summary"].split(". ")[0] in " ".join(page_texts(result.pdf)[0].split())  # headline 3


# ---------------------------------------------------------------------------------------------- other files
def test_pack__files_progress_and_preview(pack):
    result, seen = pack
    assert [p.name for p in result.files] == list(FILES)
    assert all(p.exists() and p.stat().st_size > 0 for p in result.files)
    assert not list(result.folder.glob(".briefing-*"))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert result.preview_png.startswith(b"\x89PNG")
    assert result.summary["synthetic"] is True and result.summary["marking"] == "OFFICIAL-SENSITIVE"
    assert len(result.summary["headlines"]) == 3


def test_pack__map_png_is_300_dpi_a4_landscape(pack):
    from PIL import Image

    result, _ = pack
    im = Image.open(result.png)
    assert abs(im.size[0] - 3507) <= 1 and abs(im.size[1] - 2481) <= 1
    assert im.info["dpi"][0] == pytest.approx(300, abs=0.01)


def test_pack__density_tif_puts_the_tower_block_cluster_at_its_coordinates(pack):
    import rasterio
    from pyproj import Transformer

    from analysis.demo import TOWER_BLOCKS

    result, _ = pack
    with rasterio.open(result.tif) as src:
        band = src.read(1)
        assert src.crs.to_epsg() == 27700
        r, c = np.unravel_index(int(np.argmax(band)), band.shape)
        x, y = src.xy(r, c)  # cell centre
        assert src.tags()["units"] == "incidents per km^2"
    # the demo's densest place is the Queensway tower blocks (25 m scatter round one point)
    tx, ty = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(*TOWER_BLOCKS)
    assert np.hypot(x - tx, y - ty) < 30
    assert band.max() == pytest.approx(result.summary["density"]["max_density"], rel=1e-6)


def test_pack__geopackage_layers_and_styles(pack, project):
    from analysis.export.vector import read_layer_styles

    result, _ = pack
    layers = [n for n, _ in pyogrio.list_layers(result.gpkg)]
    assert {"hotspots", "gi_star_cells", "incidents", "layer_styles"} <= set(layers)
    styles = read_layer_styles(result.gpkg)
    assert set(styles["f_table_name"]) == {"hotspots", "gi_star_cells", "incidents"}
    inc = gpd.read_file(result.gpkg, layer="incidents")
    assert len(inc) == len(project.incidents)
    hot = gpd.read_file(result.gpkg, layer="hotspots")
    assert len(hot) == result.summary["n_hotspots"]
    h1 = hot[hot["rank"] == 1].geometry.iloc[0]
    assert (inc["hotspot_rank"] == 1).sum() == int(inc.geometry.within(h1.buffer(1e-6)).sum())
    gi = gpd.read_file(result.gpkg, layer="gi_star_cells")
    g = result.summary["gi_star"]
    assert set(gi["gi_class"]) <= {-3, -2, -1, 1, 2, 3}
    assert len(gi) == sum(g["hot"].values()) + sum(g["cold"].values())


def test_pack__hotspots_csv(pack):
    result, _ = pack
    table = pd.read_csv(result.csv, encoding="utf-8-sig")
    assert len(table) == result.summary["n_hotspots"]
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    top = result.summary["hotspots"][0]
    assert table.loc[0, "incidents"] == top["incidents"]
    assert table.loc[0, "share_percent"] == pytest.approx(100 * top["share"])
    assert "York Road" in " ".join(table["locations"].fillna("").astype(str))


def test_pack__html_offline_marked_synthetic(pack):
    result, _ = pack
    text = result.html.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=", text) and "tile.openstreetmap" not in text
    assert "OFFICIAL-SENSITIVE" in text and "SYNTHETIC DEMO DATA" in text
    assert "Incidents (12,000)" in text


# ---------------------------------------------------------------------------------------------- small data
def small_project(n: int = 400, seed: int = 2):
    from analysis.ingest.schema import COLUMNS
    from analysis.project import Project
    from analysis.ingest.validation import ImportReport, RejectedRow

    rng = np.random.default_rng(seed)
    xy = np.vstack([rng.normal([588000, 185500], 20, (n // 2, 2)),
                    rng.uniform([587000, 185000], [589000, 186000], (n - n // 2, 2))])
    t = pd.Timestamp("2025-03-03") + pd.to_timedelta(rng.integers(0, 60 * 24 * 60, n), "min")
    frame = pd.DataFrame({"incident_id": [f"S{i}" for i in range(n)], "crime_type": "Drugs",
                          "location": np.where(np.arange(n) < n // 2, "On or near Alpha Street", "On or near Beta Road"),
                          "area": "Testtown", "lsoa": "", "t_start": t, "t_end": t, "time_precision": "minute",
                          "weight": 1.0, "source_file": "small.csv", "source_row": np.arange(2, n + 2)})
    inc = gpd.GeoDataFrame(frame[COLUMNS], geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    rejected = (RejectedRow("small.csv", n + 2, "no coordinates"), RejectedRow("small.csv", n + 3, "no coordinates"),
                RejectedRow("small.csv", n + 4, "unparseable date/time"))
    rep = ImportReport(files=("small.csv",), rows_read=n + 3, accepted=n, rejected=rejected, crs="EPSG:27700",
                       time_precision="minute")
    return Project(incidents=inc, report=rep, settings={"title": "Small test"})


def test_write_briefing__cancel_leaves_the_folder_as_it_was(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    (tmp_path / "map.png").write_bytes(b"old")

    def progress(fraction, message):
        if message.startswith("Drawing map.png"):  # the PDF is written (in the hidden folder) by then
            raise Cancelled

    with pytest.raises(Cancelled):
        write_briefing(small_project(), tmp_path, progress=progress)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "map.png"]
    assert (tmp_path / "map.png").read_bytes() == b"old"


@needs_poppler
def test_write_briefing__small_project_rejected_rows_and_options(tmp_path):
    opts = BriefingOptions(title="Night economy", marking="none", street="Beta Road", top_n=3)
    result = write_briefing(small_project(), tmp_path, options=opts, preview_dpi=None)
    assert result.preview_png == b"" and result.summary["marking"] is None
    pages = page_texts(result.pdf)
    assert "Night economy" in pages[0] and "SYNTHETIC" not in "".join(pages)
    assert "Where: the top 3 hotspots" in pages[0]
    assert "Street profile: Beta Road, Testtown" in pages[2]
    assert "No shift plan in this briefing: give the number of officers" in " ".join(pages[3].split())
    method = " ".join(pages[-1].split())
    assert "Rows read 403; accepted 400; rejected 3" in method
    assert "no coordinates 2 small.csv row 402, small.csv row 403" in method
    assert "unparseable date/time 1 small.csv row 404" in method
    assert "OFFICIAL" not in "".join(pages)


def test_write_briefing__empty_after_filters_is_a_user_error(tmp_path):
    from analysis.filters import Filters
    from analysis.progress import BeatwiseError

    with pytest.raises(BeatwiseError, match="No incidents"):
        write_briefing(small_project(), tmp_path, options=BriefingOptions(filters=Filters(crime_types=("Burglary",))))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------- helpers
def test_peak_times__against_brute_force():
    rng = np.random.default_rng(7)
    m = rng.poisson(5, (7, 24)).astype(float)
    p = peak_times(m, span_hours=8, top=3)
    flat = sorted(((m[d, h], -(d * 24 + h), d, h) for d in range(7) for h in range(24)), reverse=True)
    assert [(d, h) for _, _, d, h in flat[:3]] == [(d, h) for d, h, _ in p.top_cells]
    best = max(range(24), key=lambda s: (sum(m[:, (s + k) % 24].sum() for k in range(8)), -s))
    assert p.span_start == best
    assert p.span_share == pytest.approx(sum(m[:, (best + k) % 24].sum() for k in range(8)) / m.sum())
    assert p.busiest_weekday == int(np.argmax(m.sum(axis=1)))
    assert p.hour_share == pytest.approx(m.sum(axis=0).max() / m.sum())


def test_peak_times__span_wraps_past_midnight():
    m = np.zeros((7, 24))
    m[:, [22, 23, 0, 1]] = 1.0
    p = peak_times(m, span_hours=4)
    assert p.span_start == 22 and p.span_share == pytest.approx(1.0)


def test_date_range_text():
    t = pd.to_datetime(["2024-01-01", "2024-04-01"])
    month = pd.DataFrame({"t_start": t, "time_precision": "month"})
    assert date_range_text(month) == "January 2024 to April 2024"
    exact = pd.DataFrame({"t_start": pd.to_datetime(["2025-01-06 00:07", "2026-01-04 23:59"]),
                          "time_precision": "minute"})
    assert date_range_text(exact) == "6 Jan 2025 to 4 Jan 2026"
    assert date_range_text(exact.iloc[:0]) == "no dates"


def test_normalise_marking_and_gi_distance():
    assert normalise_marking(None) is None and normalise_marking("") is None
    assert normalise_marking("NONE") is None and normalise_marking("  none ") is None
    assert normalise_marking(" OFFICIAL   SENSITIVE ") == "OFFICIAL SENSITIVE"
    assert gi_distance_m(BriefingOptions(), 93.5) == 200.0
    assert gi_distance_m(BriefingOptions(), 350.0) == 350.0
    assert gi_distance_m(BriefingOptions(gi_distance_m=150.0), 350.0) == 150.0


def test_write_briefing__one_incident(tmp_path):
    """A single incident: fallback bandwidth (said in the warnings), one hotspot, every file written."""
    result = write_briefing(small_project(n=1), tmp_path, options=BriefingOptions(officers=1), preview_dpi=None)
    assert result.pages == 7 and all(p.exists() for p in result.files)  # with the trends and forecast pages
    assert any("fallback bandwidth" in w for w in result.warnings)
    assert result.summary["headlines"][0].startswith("One hotspot") and "holds 100% of the 1 incident." in \
        result.summary["headlines"][0]


@needs_poppler
def test_write_briefing__no_location_text_briefs_without_the_street_page(tmp_path):
    """Regression: ``beatwise brief`` on force data with no location text and no street layer
    stopped with "no incident has a street in its location text" instead of briefing."""
    project = small_project()
    project.incidents["location"] = ""
    result = write_briefing(project, tmp_path / "out")
    assert any(w.startswith("no street page:") for w in result.warnings)
    text = "\n".join(page_texts(result.pdf))
    assert "Street profile" not in text and result.pages >= 3
    # asked for a street by name, the reason is the answer
    with pytest.raises(BeatwiseError, match="location text"):
        write_briefing(project, tmp_path / "named", options=BriefingOptions(street="Alpha Street"))


def test_write_briefing__basemap_drawn_under_every_map(tmp_path, xyz_folder):
    """``--basemap``: the tiles are under map.png and in map.html (inlined), and the PDF page."""
    from PIL import Image

    project = small_project()
    plain = write_briefing(project, tmp_path / "plain", preview_dpi=None)
    based = write_briefing(project, tmp_path / "based", options=BriefingOptions(basemap_path=str(xyz_folder)),
                           preview_dpi=None)
    def blank_share(png):
        im = np.asarray(Image.open(png).convert("RGB")).astype(int)
        return float(np.all(im >= 250, axis=-1).mean())
    assert blank_share(based.png) < blank_share(plain.png) - 0.2   # the map frame is no longer empty
    html = based.html.read_text(encoding="utf-8")
    assert "Basemap (XYZ tile folder" in html and "file://" not in html
    assert "Basemap (XYZ" not in plain.html.read_text(encoding="utf-8")
