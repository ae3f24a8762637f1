"""Desktop constants kept beside the panels (to open the window before the analysis stack loads)
must equal the analysis modules' own."""
from __future__ import annotations


def test_params__defaults_equal_the_cli_and_analysis():
    from analysis.commands import hotspots as cli
    from analysis.hotspots.areas import DEFAULT_TOP_PERCENT
    from analysis.hotspots.gistar import DEFAULT_GI_CELL_M
    from analysis.hotspots.kde import KERNELS
    from analysis.temporal.matrix import WEEKDAY_ABBR, WEEKDAYS
    from desktop import params
    from desktop.views import heatmap_view

    assert params.KERNELS == KERNELS
    assert params.DEFAULT_TOP_PERCENT == DEFAULT_TOP_PERCENT == cli.DEFAULT_TOP_PERCENT
    assert params.DEFAULT_GI_CELL_M == DEFAULT_GI_CELL_M == cli.DEFAULT_GI_CELL_M
    assert (heatmap_view.WEEKDAYS, heatmap_view.WEEKDAY_ABBR) == (WEEKDAYS, WEEKDAY_ABBR)
    from analysis.hotspots.adaptive import DEFAULT_K
    from analysis.hotspots.areas import DEFAULT_MAX_HOTSPOT_KM2
    from analysis.hotspots.surface import MODES

    assert params.BANDWIDTH_MODES == MODES
    assert params.DEFAULT_ADAPTIVE_K == DEFAULT_K
    assert params.DEFAULT_MAX_HOTSPOT_KM2 == DEFAULT_MAX_HOTSPOT_KM2
    d = params.HotspotParams()
    assert (d.kernel_bandwidth, d.keep_outliers) == ("auto", False)  # as `beatwise hotspots`


def test_params__round_trip_and_bad_input():
    from desktop.params import HotspotParams

    p = HotspotParams(cell_m=20.0, bandwidth_m=150.0, kernel="gaussian", top_percent=2.5, gi_star=False,
                      study_area_path="/data/beat.geojson")
    assert HotspotParams.from_dict(p.to_dict()) == p
    assert HotspotParams().study_area_path is None   # the cells within reach of the incidents
    assert HotspotParams.from_dict({"kernel": "uniform", "unknown": 1}) == HotspotParams(kernel="uniform")
    assert HotspotParams.from_dict("nonsense") == HotspotParams()


def test_window_opens_without_the_analysis_stack():
    """Start-up speed: the window's modules import no geopandas, pandas or scipy."""
    import subprocess
    import sys

    code = ("import sys; import desktop.main_window, desktop.app; "
            "print(sorted(m for m in ('geopandas', 'pandas', 'scipy', 'shapely', 'pyproj') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_params__shift_defaults_equal_the_analysis():
    import inspect

    from analysis.staffing.timing import recommend_shifts
    from desktop.params import ShiftParams

    sig = inspect.signature(recommend_shifts).parameters
    d = ShiftParams()
    assert d.shift_hours == tuple(sig["shift_hours"].default)
    assert d.max_starts == sig["max_starts"].default
    assert d.min_on_duty == sig["min_on_duty"].default
    assert d.sergeants == sig["sergeants"].default
    assert d.per_weekday == sig["per_weekday"].default
    assert d.time_limit_s == sig["time_limit_s"].default
    assert ShiftParams.from_dict(d.to_dict()) == d
