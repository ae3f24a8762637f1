"""analysis.export.mapfig: greyscale-safe colours, street labels, extent, the A4 map figure."""
from __future__ import annotations

import io
import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.text import Annotation, Text

from analysis.export.mapfig import (A4_IN, PRINT_DPI, MapData, axes_aspect, choose_extent, colorbar_ticks,
                                    density_cmap, draw_map, hotspot_anchor, luminance, map_figure, street_labels)

CRS = "EPSG:27700"


def make_incidents(seed: int = 1, streets: int = 6):
    """Incidents along ``streets`` straight streets (angles 0, 30, 60 ... degrees) plus a tight cluster."""
    rng = np.random.default_rng(seed)
    xs, ys, locs = [], [], []
    for k in range(streets):
        angle = math.radians(30 * k)
        n = 300 - 30 * k
        t = rng.uniform(-600, 600, n)
        cx, cy = 588000 + 250 * k, 185500 + 120 * (k % 3)
        xs.append(cx + t * math.cos(angle) + rng.normal(0, 6, n))
        ys.append(cy + t * math.sin(angle) + rng.normal(0, 6, n))
        locs += [f"On or near Street {k}"] * n
    c = rng.normal([588600, 185900], 12, (150, 2))
    xs.append(c[:, 0])
    ys.append(c[:, 1])
    locs += ["On or near Supermarket"] * 150  # a data.police.uk place, not a street
    x, y = np.concatenate(xs), np.concatenate(ys)
    return gpd.GeoDataFrame({"location": locs, "weight": 1.0}, geometry=gpd.points_from_xy(x, y), crs=CRS)


def make_map_data(incidents=None):
    from analysis.hotspots.areas import hotspot_areas
    from analysis.hotspots.gistar import gi_star
    from analysis.hotspots.kde import grid_for_kde, kde

    inc = make_incidents() if incidents is None else incidents
    grid, choice = grid_for_kde(inc, cell_m=10.0, bandwidth_m=80.0)
    surface = kde(inc, grid, bandwidth_m=choice)
    areas = hotspot_areas(surface, inc, top_percent=4.0)
    gi = gi_star(inc, grid.with_cell_m(100.0), distance_m=200.0)
    return MapData(incidents=inc, surface=surface, hotspots=areas, gi=gi)


@pytest.fixture(scope="module")
def data():
    return make_map_data()


def test_density_cmap__lightness_falls_monotonically_for_greyscale_print():
    cmap = density_cmap()
    lum = luminance(cmap(np.arange(cmap.N)))  # every colour of the map, low to high density
    assert np.all(np.diff(lum) < 0)
    assert lum[0] > 0.8 and lum[-1] < 0.1  # light low end, dark high end: a wide grey range


def test_luminance__reference_values():
    # sRGB white = 1, black = 0, pure green = 0.7152 (BT.709 weights)
    assert luminance([[1, 1, 1], [0, 0, 0], [0, 1, 0]]) == pytest.approx([1.0, 0.0, 0.7152])


def test_colorbar_ticks__readable_increasing_within_range():
    for vmax in (7.3, 380.0, 63253.0, 1e6):
        ticks = colorbar_ticks(vmax)
        assert ticks[0] == 0 and len(ticks) >= 3
        assert all(b > a for a, b in zip(ticks, ticks[1:]))
        assert ticks[-1] <= vmax * 1.0001
        for t in ticks[1:]:
            mant = t / 10 ** math.floor(math.log10(t))
            assert round(mant, 9) in (1.0, 2.0, 2.5, 5.0)
    assert colorbar_ticks(0.0) == [0.0]


def test_street_labels__order_position_angle_and_places_skipped():
    inc = make_incidents()
    labels = street_labels(inc, top=10)
    assert [lb.name for lb in labels] == [f"Street {k}" for k in range(6)]  # by count; Supermarket skipped
    assert [lb.incidents for lb in labels] == [300 - 30 * k for k in range(6)]
    for k, lb in enumerate(labels):
        expected = 30 * k if 30 * k <= 90 else 30 * k - 180  # kept upright: within (-90, 90]
        assert abs(((lb.angle_deg - expected) + 90) % 180 - 90) < 3
        # the label sits on one of the street's own incidents, near its middle
        pts = inc[inc["location"] == f"On or near Street {k}"].geometry
        d = np.hypot(pts.x - lb.x, pts.y - lb.y)
        assert d.min() == 0
        cx, cy = 588000 + 250 * k, 185500 + 120 * (k % 3)
        assert math.hypot(lb.x - cx, lb.y - cy) < 80


def test_street_labels__extent_and_empty():
    inc = make_incidents()
    only0 = street_labels(inc, extent=(587300, 587600, 185400, 185600))
    assert [lb.name for lb in only0] == ["Street 0"]
    assert street_labels(inc.iloc[:0]) == []
    assert street_labels(inc.drop(columns="location")) == []


def test_choose_extent__has_the_aspect_and_holds_the_top_hotspots(data):
    for aspect in (0.7, 1.0, 1.6):
        xmin, xmax, ymin, ymax = choose_extent(data, aspect, top_n=5)
        assert (xmax - xmin) / (ymax - ymin) == pytest.approx(aspect)
        for h in data.hotspots.hotspots[:5]:
            bx0, by0, bx1, by1 = h.geometry.bounds
            assert xmin < bx0 and bx1 < xmax and ymin < by0 and by1 < ymax


def test_hotspot_anchor__is_the_peak_cell_of_the_hotspot(data):
    g = data.surface.grid
    for h in data.hotspots.hotspots[:3]:
        x, y = hotspot_anchor(data, h.rank)
        r, c = int((y - g.y0) // g.cell_m), int((x - g.x0) // g.cell_m)
        assert data.hotspots.labels[r, c] == h.rank
        assert data.surface.values[r, c] == pytest.approx(h.peak_density)


def _texts(fig):
    return [t for t in fig.findobj(Text) if t.get_text() and t.get_visible()]


def test_map_figure__a4_landscape_300_dpi_with_marking_title_and_legend(data):
    fig = map_figure(data, title="Test map", subtitle="sub", marking="OFFICIAL-SENSITIVE", synthetic=True,
                     date_range="1 Jan 2025 to 2 Jan 2025", source="test.csv")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PRINT_DPI)
    from PIL import Image

    im = Image.open(io.BytesIO(buf.getvalue()))
    assert abs(im.size[0] - A4_IN[1] * 300) <= 1 and abs(im.size[1] - A4_IN[0] * 300) <= 1
    assert im.info["dpi"][0] == pytest.approx(300, abs=0.01)
    texts = [t.get_text() for t in _texts(fig)]
    assert texts.count("OFFICIAL-SENSITIVE") == 2
    assert any("SYNTHETIC" in t for t in texts)
    assert any("Density (incidents per km²)" in t for t in texts)
    assert any(t.endswith(" m") or t.endswith(" km") for t in texts)  # scale bar
    assert "N" in texts  # north arrow
    assert any("Dates: 1 Jan 2025" in t for t in texts)
    assert any("Source: test.csv" in t for t in texts)
    assert "SYNTHETIC: Test map" in texts


def test_map_figure__marking_none(data):
    fig = map_figure(data, title="T", marking=None)
    assert not any("OFFICIAL" in t.get_text() for t in _texts(fig))


def test_draw_map__labels_do_not_overlap_and_top_five_are_numbered(data):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.08, 0.1, 0.88, 0.85))
    drawn = draw_map(ax, data, choose_extent(data, axes_aspect(ax)), top_n=5, max_street_labels=25)
    assert drawn.numbered == tuple(range(1, min(5, len(data.hotspots.hotspots)) + 1))
    assert len(drawn.streets_labelled) >= 3
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    boxes = [t.get_window_extent(renderer) for t in labels]
    numbers = [t.get_text() for t in labels if t.get_text().isdigit()]
    assert sorted(numbers) == [str(r) for r in drawn.numbered]
    overlaps = [(a.get_text(), b.get_text()) for (a, ba), (b, bb) in itertools.combinations(zip(labels, boxes), 2)
                if ba.overlaps(bb)]
    assert overlaps == []
    axbox = ax.get_window_extent(renderer)
    for t, b in zip(labels, boxes):
        if not t.get_text().isdigit():
            assert axbox.x0 <= b.x0 and b.x1 <= axbox.x1 and axbox.y0 <= b.y0 and b.y1 <= axbox.y1


def test_draw_map__context_layers_drawn(data):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from shapely.geometry import LineString, box

    streets = gpd.GeoDataFrame({"name": ["A"]}, geometry=[LineString([(587000, 185000), (590000, 186500)])], crs=CRS)
    bounds = gpd.GeoDataFrame({"name": ["B"]}, geometry=[box(587200, 185100, 589800, 186300)], crs=CRS)
    d = MapData(data.incidents, data.surface, data.hotspots, data.gi, streets=streets, boundaries=bounds)
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    drawn = draw_map(ax, d, choose_extent(d, axes_aspect(ax)))
    labels = [h.get_label() for h in drawn.handles]
    assert "Boundary" in labels and "Street (street layer)" in labels
    assert any(lbl.startswith("Hotspot") for lbl in labels) and any(lbl.startswith("Incident") for lbl in labels)
