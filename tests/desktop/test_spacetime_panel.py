"""The Over time dock: emerging hot spots on the map (legend of the classes present) and the Knox heat
table with its sentence, checked against the analysis pipeline called directly; month-only data
gives plain messages in the panel, not a dialog."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.desktop.conftest import wait_idle

CRIME = ("Violence and sexual offences",)   # the demo's 3,213: three classes, a Knox test in seconds
PERMUTATIONS = 49


@pytest.fixture(scope="module")
def reference(demo):
    """The pipeline on the demo's violence, called directly."""
    from analysis.filters import Filters, apply_filters
    from analysis.spacetime.pipeline import emerging_run, knox_run

    pts = apply_filters(demo.incidents, Filters(crime_types=CRIME))
    return emerging_run(pts), knox_run(pts, permutations=PERMUTATIONS, crime="violence and sexual offences")


def _run(window, qtbot):
    from analysis.filters import Filters

    window.model.set_filters(Filters(crime_types=CRIME))
    wait_idle(window, qtbot)
    panel = window.spacetime_panel
    panel.permutations.setValue(PERMUTATIONS)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.result("spacetime") is not None, timeout=120_000)
    wait_idle(window, qtbot)
    return window.model.result("spacetime")


def test_spacetime_panel__map_legend_table_and_sentence_equal_the_pipeline(demo_window, reference, qtbot):
    from analysis.export.emerging_style import EMERGING_STYLE

    ref_e, ref_k = reference
    w = demo_window
    assert w.docks["spacetime"].windowTitle() == "Over time"
    assert w.docks["spacetime"] in w.tabifiedDockWidgets(w.docks["temporal"])
    run = _run(w, qtbot)
    e, k = run.runs.emerging, run.runs.knox
    assert e.summary() == ref_e.summary()
    np.testing.assert_array_equal(e.result.classes, ref_e.result.classes)
    np.testing.assert_array_equal(k.result.observed, ref_k.result.observed)
    np.testing.assert_array_equal(k.result.p_value, ref_k.result.p_value)

    # the map layer: each patterned cell in its class colour, and the legend lists exactly those classes
    present = [c for c in ref_e.result.class_counts() if c in EMERGING_STYLE]
    assert present, "the demo's violence should show some pattern"
    assert "emerging" in w.map.layers
    assert [name for name, *_ in w.map.emerging] == present
    legend = [label for label, _c, _k in w.map.overlay.legend if label.endswith(" cells)")]
    counts = ref_e.result.class_counts()
    assert legend == [f"{EMERGING_STYLE[c][1]} ({counts[c]} cells)" for c in present]
    img = w.map.layers["emerging"].items[0].image
    g = ref_e.result.grid
    for c in present:
        r, col = np.argwhere(ref_e.result.classes == c)[0]
        assert tuple(img[r, col, :3]) == EMERGING_STYLE[c][0]
    assert img[ref_e.result.classes == "no pattern detected"][:, 3].max() == 0   # left clear
    assert img.shape[:2] == g.shape
    panel_legend = w.spacetime_panel.legend.text()
    for name, (_rgb, label) in EMERGING_STYLE.items():
        assert (f"{label} (" in panel_legend) == (name in present)
        if name in present:
            assert f"{label} ({counts[name]:,} cells)" in panel_legend

    # the heat table: rows distance bands, columns time bands, the ratio in each cell, * when significant
    t = w.spacetime_panel.table
    kr = ref_k.result
    assert [t.verticalHeaderItem(i).text() for i in range(t.rowCount())] == kr.distance_labels
    assert [t.horizontalHeaderItem(j).text().replace("\n", " ") for j in range(t.columnCount())] == kr.time_labels
    sig = kr.significant()
    for i in range(t.rowCount()):
        for j in range(t.columnCount()):
            item = t.item(i, j)
            ratio = kr.knox_ratio[i, j]
            if np.isfinite(ratio):
                assert item.text().split()[0] == f"{ratio:.2f}"
                assert item.data(Qt.ItemDataRole.UserRole) == pytest.approx(ratio)
            assert item.text().endswith(" *") == bool(sig[i, j])
            assert f"{int(kr.observed[i, j]):,} pairs" in item.toolTip()
    assert kr.sentence().split(" (")[0] in w.spacetime_panel.knox_text.text()
    assert f"{PERMUTATIONS} permutations" in w.spacetime_panel.knox_text.text()
    assert not w.errors
    # the results fit in the dock: the window's minimum stays within the (800 x 800 offscreen) screen
    w.docks["spacetime"].raise_()
    qtbot.wait(20)
    room = w.screen().availableGeometry()
    hint = w.minimumSizeHint()
    assert hint.height() <= room.height() and hint.width() <= min(1600, room.width()), hint

    # other filters: the results described other incidents, so they go
    from analysis.filters import Filters

    w.model.set_filters(Filters())
    wait_idle(w, qtbot)
    assert w.model.result("spacetime") is None and "emerging" not in w.map.layers
    assert w.spacetime_panel.table.rowCount() == 0


def test_spacetime_panel__month_only_data_says_why_in_the_panel(window, rutland_months, qtbot):
    from analysis.filters import Filters
    from desktop.tasks import run_spacetime

    incidents, _profile = rutland_months
    run = run_spacetime(incidents, Filters(), permutations=19)
    assert run.runs.emerging is None and run.runs.knox is None
    panel = window.spacetime_panel
    panel.show_run(run)
    text = panel.emerging_text.text()
    assert "No emerging hot spot analysis:" in text and "4 time steps" in text and "at least 10" in text
    assert "No near-repeat test:" in panel.knox_text.text() and "months only" in panel.knox_text.text()
    assert not panel.table.isVisibleTo(panel) and panel.table.rowCount() == 0
    assert "emerging" not in window.map.layers and panel.legend.text() == ""
    assert not window.errors


def test_run_spacetime__equals_the_pipeline_on_timed_chicago_data(tmp_path):
    """Real timed data: the app's task gives what the pipeline gives (Chicago sample, burglaries)."""
    from analysis.filters import Filters, apply_filters
    from analysis.ingest.incidents import read_incidents
    from analysis.spacetime.pipeline import emerging_run, knox_run
    from desktop.tasks import run_spacetime
    from tests.conftest import shared_path

    inc = read_incidents([shared_path("timed", "chicago_crimes_sample_2017_2019.csv")]).incidents
    types = inc["crime_type"].value_counts()
    f = Filters(crime_types=(types.index[0],))
    run = run_spacetime(inc, f, permutations=19)
    pts = apply_filters(inc, f)
    assert run.runs.emerging.summary() == emerging_run(pts).summary()
    ref = knox_run(pts, permutations=19, crime=types.index[0].lower()).result
    assert run.runs.knox.result.summary() == ref.summary()
