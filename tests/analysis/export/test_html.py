"""analysis.export.html: the offline folium map (no resource URLs, escaped popups, layers)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from analysis.export.html import (build_map, density_overlay_rgba, esc, leaflet_assets, popup_html, when_text,
                                  write_html_map)
from analysis.export.mapfig import MapData

CRS = "EPSG:27700"
XSS = "<script>alert(1)</script>"
CLUSTER_LONLAT = (0.7172, 51.5432)  # a tight cluster at a known place (Queensway, Southend)


def make_data(n_background: int = 300, seed: int = 5):
    from pyproj import Transformer

    from analysis.hotspots.areas import hotspot_areas
    from analysis.hotspots.gistar import gi_star
    from analysis.hotspots.kde import grid_for_kde, kde

    rng = np.random.default_rng(seed)
    cx, cy = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(*CLUSTER_LONLAT)
    cluster = rng.normal([cx, cy], 15, (200, 2))
    bg = rng.uniform([cx - 1500, cy - 1000], [cx + 1500, cy + 1000], (n_background, 2))
    xy = np.vstack([cluster, bg])
    n = len(xy)
    types = np.array(["Drugs", XSS, "Robbery & theft"], dtype=object)[rng.integers(0, 3, n)]
    types[0] = XSS
    loc = np.where(np.arange(n) < 200, 'On or near "Queensway" <b>', "On or near High Street")
    t = pd.Timestamp("2025-01-06") + pd.to_timedelta(rng.integers(0, 60 * 24 * 90, n), "min")
    inc = gpd.GeoDataFrame({
        "incident_id": [f"ID-{i}" for i in range(n)], "crime_type": types, "location": loc, "area": "Testshire",
        "lsoa": "", "t_start": t, "t_end": t, "time_precision": "minute", "weight": 1.0, "source_file": "t.csv",
        "source_row": np.arange(2, n + 2)}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    grid, choice = grid_for_kde(inc, cell_m=10.0, bandwidth_m=100.0)
    surface = kde(inc, grid, bandwidth_m=choice)
    areas = hotspot_areas(surface, inc, top_percent=3.0)
    gi = gi_star(inc, grid.with_cell_m(100.0), distance_m=200.0)
    return MapData(incidents=inc, surface=surface, hotspots=areas, gi=gi), (cx, cy)


@pytest.fixture(scope="module")
def data():
    return make_data()[0]


@pytest.fixture(scope="module")
def page(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "map.html"
    write_html_map(path, data, title="Test <map> & co", subtitle="300 incidents", marking="OFFICIAL-SENSITIVE",
                   synthetic=True, date_range="6 Jan 2025 to 5 Apr 2025", source="t.csv")
    return path.read_text(encoding="utf-8")


RESOURCE_PATTERNS = (
    r"<script[^>]*\bsrc\s*=",                      # any external script at all
    r"<link[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//",  # stylesheets / icons from the web
    r"<(?:img|iframe|source|video|audio|embed)[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//",
    r"url\(\s*[\"']?(?:https?:)?//",                # CSS images / fonts
    r"@import",
    r"tileLayer\(\s*[\"'](?:https?:)?//",           # tile servers
    r"\.ajax\(|fetch\(\s*[\"']https?:",
)


def vendored_urls() -> set[str]:
    """URLs inside the XStatic Leaflet/jQuery files themselves (licence comments, SVG namespace)."""
    import xstatic.pkg.jquery as xjq
    import xstatic.pkg.leaflet as xl

    text = (Path(xl.BASE_DIR) / "leaflet.js").read_text() + (Path(xl.BASE_DIR) / "leaflet.css").read_text() \
        + (Path(xjq.BASE_DIR) / "jquery.min.js").read_text()
    return set(re.findall(r"https?://[^\s\"'<>)\\]+", text))


def own_markup(page: str) -> str:
    """The page without the inlined third-party library text (jQuery's own source mentions ajax)."""
    a = leaflet_assets()
    for key in ("leaflet_js", "jquery_js", "leaflet_css"):
        assert a[key] in page
        page = page.replace(a[key], "/* vendored */")
    return page


def test_html__no_http_resource_urls_offline(page):
    own = own_markup(page)
    for pattern in RESOURCE_PATTERNS:
        assert not re.search(pattern, own, flags=re.IGNORECASE), pattern
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page))
    others = urls - vendored_urls()
    # anything else must be an attribution link (<a href=...>); offline there are none
    anchors = set(re.findall(r"<a\s[^>]*href=[\"'](https?://[^\"']+)", page))
    assert others <= anchors
    assert "tile.openstreetmap" not in page and "cdn.jsdelivr" not in page and "code.jquery.com" not in page


def test_html__leaflet_and_jquery_inlined_from_xstatic(page):
    a = leaflet_assets()
    assert a["versions"] == {"leaflet": "1.9.3", "jquery": "3.7.1"}
    assert a["leaflet_js"][:2000] in page
    assert "jQuery v3.7.1" in page
    assert "url(images/" not in page and 'url("data:image/png;base64,' in page  # CSS images inlined
    assert "L.Icon.Default.imagePath = ''" in page and "L.Icon.Default.mergeOptions" in page
    assert page.count("data:image/png;base64,") >= 5  # layers x2, marker icons x3 (+ density overlay)


def test_html__script_crime_type_comes_out_escaped(page):
    assert XSS not in page
    assert "alert(1)" in page  # it is there, but only escaped
    for m in re.finditer(r"alert\(1\)", page):
        before = page[max(0, m.start() - 40):m.start()]
        assert "<script>" not in before
        assert "\\u0026lt;script\\u0026gt;" in before or "&lt;script&gt;" in before
    assert "&amp;lt;" not in page and "\\u0026amp;lt;" not in page  # not escaped twice
    # location with quotes and a tag, and the title, are escaped too
    assert '"Queensway" <b>' not in page and "Queensway&quot; &lt;b&gt;" in page.replace("\\u0026", "&")
    assert "Test &lt;map&gt; &amp; co" in page


def test_html__popup_lookup_decodes_to_escaped_text(page, data):
    m = re.search(r"var (bw_lookup_\w+) = (\{.*?\});</script>", page)
    assert m, "incident lookup table missing"
    lookup = json.loads(m.group(2))
    assert esc(XSS) in lookup["t"] and XSS not in lookup["t"]
    assert "Robbery &amp; theft" in lookup["t"]
    assert any("&quot;Queensway&quot; &lt;b&gt;" in x for x in lookup["l"])


def test_esc_and_popup_html():
    assert esc(XSS) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert esc('"\'&') == "&quot;&#x27;&amp;"
    html = popup_html(XSS, [("a<", "b>")])
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&lt;" in html and "b&gt;" in html


def test_html__layers_marking_synthetic_legend(page):
    for name in ("Hotspot areas", "Hotspot numbers", "Density (incidents per km²)", "Gi* hot and cold spots",
                 "Incidents (500)", "Street names (from incident locations)"):
        assert name in page, name
    assert "L.control.layers" in page
    assert page.count("bw-marking") >= 2 and "OFFICIAL-SENSITIVE" in page
    assert "SYNTHETIC DEMO DATA - NOT REAL CRIMES" in page
    assert "6 Jan 2025 to 5 Apr 2025" in page


def test_html__online_basemap_is_opt_in(data, tmp_path):
    path = write_html_map(tmp_path / "online.html", data, title="t", online_basemap=True)
    text = path.read_text()
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in text
    assert "openstreetmap.org/copyright" in text


def test_html__marking_none(data, tmp_path):
    text = write_html_map(tmp_path / "m.html", data, title="t", marking=None).read_text()
    assert "OFFICIAL" not in text and "bw-marking top" not in text


def test_html__street_layer_replaces_street_names(data, tmp_path):
    from shapely.geometry import LineString

    streets = gpd.GeoDataFrame({"name": ["<i>Main</i> St"]}, geometry=[LineString([(588000, 186000), (589000, 186200)])],
                               crs=CRS)
    d = MapData(data.incidents, data.surface, data.hotspots, data.gi, streets=streets)
    text = write_html_map(tmp_path / "s.html", d, title="t").read_text()
    assert "Streets (street layer)" in text and "Street names (from incident locations)" not in text
    assert "<i>Main</i>" not in text


def test_html__many_incidents_are_aggregated(data, tmp_path):
    text = write_html_map(tmp_path / "agg.html", data, title="t", max_incident_points=100).read_text()
    assert "counted per 100 m cell" in text
    assert "bw_lookup_" not in text


def test_density_overlay__puts_the_cluster_at_its_coordinates():
    d, (cx, cy) = make_data()
    rgba, bounds = density_overlay_rgba(d.surface)
    (lat0, lon0), (lat1, lon1) = bounds
    assert lat0 < CLUSTER_LONLAT[1] < lat1 and lon0 < CLUSTER_LONLAT[0] < lon1
    # the darkest opaque pixel (highest density) is at the cluster: Web Mercator rows are linear in y
    from pyproj import Transformer

    to3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x0, y0 = to3857.transform(lon0, lat0)
    x1, y1 = to3857.transform(lon1, lat1)
    lum = rgba[..., :3].astype(float).sum(axis=2)
    lum[rgba[..., 3] == 0] = np.inf
    r, c = np.unravel_index(np.argmin(lum), lum.shape)
    h, w = lum.shape
    px = x0 + (c + 0.5) * (x1 - x0) / w
    py = y1 - (r + 0.5) * (y1 - y0) / h
    lon, lat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(px, py)
    # within 40 m (the cluster's sd is 15 m, the cells 10 m)
    assert abs(lon - CLUSTER_LONLAT[0]) * 111_320 * np.cos(np.radians(lat)) < 40
    assert abs(lat - CLUSTER_LONLAT[1]) * 110_540 < 40
    assert (rgba[..., 3] == 0).any() and (rgba[..., 3] == 255).any()


def test_when_text__by_precision():
    t = pd.to_datetime(["2025-01-06 00:07", "2024-03-01", "2025-02-03", "2025-01-06 22:00", None], format="ISO8601")
    e = pd.to_datetime(["2025-01-06 00:07", "2024-04-01", "2025-02-04", "2025-01-07 06:30", None], format="ISO8601")
    frame = pd.DataFrame({"t_start": t, "t_end": e, "time_precision": ["minute", "month", "day", "window", "none"]})
    assert list(when_text(frame)) == ["Mon 06 Jan 2025 00:07", "March 2024", "Mon 03 Feb 2025",
                                      "Mon 06 Jan 2025 22:00 to Tue 07 Jan 2025 06:30", "no time"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node.js not installed")
def test_html__every_inline_script_is_valid_javascript(page, tmp_path):
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    assert len(scripts) >= 4
    for i, code in enumerate(scripts):
        f = tmp_path / f"s{i}.js"
        f.write_text(code)
        r = subprocess.run(["node", "--check", str(f)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[:500]


def test_build_map__progress_reaches_one(data):
    seen = []
    build_map(data, title="t", progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


@pytest.mark.skipif(shutil.which("node") is None, reason="node.js not installed")
def test_html__popups_built_in_the_page_stay_escaped(page, data, tmp_path):
    """Run each layer's popup binder in node.js with a stub layer, for every incident crime type."""
    tables = re.findall(r"<script>(var bw_\w+ = \{.*?\};)</script>", page)
    binders = re.findall(r"\((function\(feature, layer\) \{.*?\})\)\(feature, layer\);", page)
    incident = [b for b in binders if "L_.t[p.t]" in b]
    assert tables and len(incident) == 1
    m = re.search(r"var (bw_lookup_\w+) = (\{.*?\});</script>", page)
    n_types = len(json.loads(m.group(2))["t"])
    js = "\n".join(tables) + f"""
var bind = {incident[0]};
var out = [];
for (var t = 0; t < {n_types}; t++) {{
  bind({{properties: {{t: t, l: 0, w: 0, i: "ID-1"}}}},
       {{bindPopup: function(fn) {{ out.push(typeof fn === "function" ? fn() : fn); }}}});
}}
console.log(JSON.stringify(out));
"""
    f = tmp_path / "popups.js"
    f.write_text(js)
    r = subprocess.run(["node", str(f)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[:500]
    popups = json.loads(r.stdout)
    assert len(popups) == n_types
    joined = "".join(popups)
    assert "<script>" not in joined and "&lt;script&gt;alert(1)&lt;/script&gt;" in joined
    assert all(p.startswith("<div class='bw-pop'><b>") and p.endswith("</table></div>") for p in popups)
    assert "Robbery &amp; theft" in joined and "<th>When</th>" in joined
