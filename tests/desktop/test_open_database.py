"""File > Open from database on a real throwaway PostGIS store (tests/conftest.py: the four Essex
2024 months in table ``essex``): the table list, a filtered open equal to project_from_store row for
row, a hotspot run on it, faults as messages, no password kept, cancel."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import QDate

from desktop.panels.open_database import OpenDatabaseDialog
from tests.desktop.conftest import wait_idle


def _dialog(window, url: str) -> OpenDatabaseDialog:
    d = window.open_database_dialog()
    assert isinstance(d, OpenDatabaseDialog) and d.isVisible()
    d.address_edit.setText(url)
    return d


def _list(d, qtbot, window) -> None:
    d.list_button.click()
    assert window.tasks.is_running("store_tables") or d.tables.rows or d.error
    qtbot.waitUntil(lambda: not d.running(), timeout=60_000)


def _open(d, qtbot, window) -> None:
    d.open_button.click()
    qtbot.waitUntil(lambda: not d.running(), timeout=120_000)


def test_file_menu__has_open_from_database(window, qtbot):
    file_menu = window.menuBar().actions()[0].menu()
    act = next(a for a in file_menu.actions() if a.text().replace("&", "") == "Open from database...")
    act.trigger()
    assert isinstance(window.import_window, OpenDatabaseDialog) and window.import_window.isVisible()
    window.import_window.reject()


def test_table_list__lists_essex_with_the_row_count_of_list_tables(window, essex_store, qtbot):
    from analysis.store.address import parse_address
    from analysis.store.read import list_tables

    expected = {f"{t['schema']}.{t['table']}": t for t in list_tables(parse_address(essex_store))}
    d = _dialog(window, essex_store)
    _list(d, qtbot, window)
    assert d.error is None
    names = [d.tables.name(i) for i in range(d.tables.rowCount())]
    assert "public.essex" in names and set(names) == set(expected)
    i = names.index("public.essex")
    assert d.tables.rows[i]["rows"] == expected["public.essex"]["rows"] > 10_000
    shown = d.tables.index(i, 1).data()
    assert shown == f"{expected['public.essex']['rows']:,}"
    assert d.chosen_table() == "public.essex"  # the address names it: it is selected
    assert not window.model.has_project
    d.address_edit.setText("pg:another_database")  # another database: the list was not of it
    assert d.tables.rowCount() == 0 and d.chosen_table() is None
    d.reject()


def test_open__filtered_project_equals_project_from_store_and_hotspots_run(window, essex_store, qtbot):
    from analysis.filters import Filters
    from analysis.store.address import parse_address
    from analysis.store.read import project_from_store

    d = _dialog(window, essex_store)
    _list(d, qtbot, window)
    d.types_edit.setText("Burglary, violence and sexual offences,  Drugs")
    d.use_from.setChecked(True)
    d.date_from.setDate(QDate(2024, 2, 1))
    d.use_to.setChecked(True)
    d.date_to.setDate(QDate(2024, 3, 31))
    d.area_edit.setText("Southend")
    _open(d, qtbot, window)
    assert d.error is None and not d.isVisible()
    qtbot.waitUntil(lambda: window.model.has_project, timeout=10_000)

    filters = Filters(crime_types=("Burglary", "violence and sexual offences", "Drugs"),
                      date_from=date(2024, 2, 1), date_to=date(2024, 3, 31), area="Southend")
    expected = project_from_store(parse_address(essex_store), filters)
    got = window.model.project
    assert 0 < len(got.incidents) == len(expected.incidents) < expected.report.columns[
        expected.report.files[0]]["rows_in_store"]
    pd.testing.assert_frame_equal(got.incidents.reset_index(drop=True), expected.incidents.reset_index(drop=True))
    assert got.settings["store"] == parse_address(essex_store).redacted()
    assert got.settings["store_filters"] == filters.to_dict()
    assert window.model.filters.is_empty()  # the server filtered already: the filter bar starts clear
    assert str(len(got.incidents)) in window.status_message.text().replace(",", "")

    window.run_hotspots()
    wait_idle(window, qtbot, timeout=120_000)
    run = window.model.result("hotspots")
    assert run is not None and run.n_incidents == len(expected.incidents)
    assert len(run.areas.hotspots) > 0 and "hotspots" in window.map.layers
    assert window.error_box is None and not window.errors


def test_open__no_filters_is_the_default(window, essex_store, qtbot):
    d = _dialog(window, essex_store)
    f = d.filters()
    assert f.is_empty() and not d.date_from.isEnabled() and not d.date_to.isEnabled()
    d.use_from.setChecked(True)
    assert d.date_from.isEnabled()
    d.reject()


@pytest.mark.parametrize("how", ["query", "userinfo", "field"])
def test_password__never_in_settings_nor_in_the_saved_project(window, essex_store, pg_cluster, qtbot,
                                                             private_settings, tmp_path, how):
    """The throwaway cluster trusts the socket, so any password is accepted and must simply vanish."""
    url, password = essex_store, ""
    if how == "query":
        url = essex_store + "&password=secret"
    elif how == "userinfo":
        url = essex_store.replace("postgresql:///", f"postgresql://{pg_cluster.user}:secret@/")
    else:
        password = "secret"
    d = _dialog(window, url)
    d.password_edit.setText(password)
    assert "secret" not in d.address().redacted() and "secret" in d.address().conninfo  # used, not shown
    _list(d, qtbot, window)
    assert d.error is None and d.chosen_table() == "public.essex"
    d.area_edit.setText("Southend-on-Sea 001")  # a small open
    _open(d, qtbot, window)
    assert d.error is None
    qtbot.waitUntil(lambda: window.model.has_project, timeout=10_000)

    window.save_settings()
    text = Path(private_settings).read_text(encoding="utf-8")
    assert "last_store" in text and "essex" in text and "secret" not in text
    again = window.open_database_dialog()
    assert "essex" in again.address_edit.text() and "secret" not in again.address_edit.text()
    assert again.password_edit.text() == ""
    again.reject()

    saved = tmp_path / "from-store.beatwise"
    window.save_to(saved)
    wait_idle(window, qtbot)
    data = saved.read_bytes()
    assert window.model.project.settings["store"].encode() in data  # the check sees the settings
    assert b"secret" not in data


def test_errors__bad_address_is_a_message_and_the_dialog_stays_usable(window, essex_store, qtbot):
    d = _dialog(window, "mysql://server/db")
    d.list_button.click()
    assert "is not a store" in d.error and d.isVisible() and not d.running()
    d.address_edit.setText("")
    d.open_button.click()
    assert "address" in d.error
    d.address_edit.setText(essex_store)
    d.use_from.setChecked(True)
    d.date_from.setDate(QDate(2024, 3, 1))
    d.use_to.setChecked(True)
    d.date_to.setDate(QDate(2024, 2, 1))
    d.open_button.click()
    assert "date range is empty" in d.error and not window.model.has_project
    _list(d, qtbot, window)  # still usable
    assert d.error is None and d.tables.rowCount() >= 1
    assert window.error_box is None


def test_errors__server_unreachable_is_a_message_not_a_traceback(window, tmp_path, qtbot):
    url = f"postgresql:///essex?host={tmp_path / 'no-such-socket-dir'}&table=essex"
    d = _dialog(window, url)
    _list(d, qtbot, window)
    assert "the server is unreachable or stopped" in d.error and "Traceback" not in d.error
    assert "color" in d.message.styleSheet() and d.error in d.message.text()
    _open(d, qtbot, window)
    assert "unreachable or stopped" in d.error and d.isVisible() and not window.model.has_project
    assert d.list_button.isEnabled() and d.open_button.isEnabled()
    assert window.error_box is None


def test_errors__no_such_table_and_no_postgis(window, essex_store, pg_cluster, qtbot):
    d = _dialog(window, essex_store.replace("table=essex", "table=nope"))
    _open(d, qtbot, window)  # not listed: the address's own table is read
    assert "there is no table public.nope" in d.error and not window.model.has_project
    bare = pg_cluster.createdb(f"bare_{id(d)}", postgis=False)
    d.address_edit.setText(bare)
    _list(d, qtbot, window)
    assert "PostGIS is not installed" in d.error and d.tables.rowCount() == 0
    empty = pg_cluster.createdb(f"empty_{id(d)}")
    d.address_edit.setText(empty)
    _list(d, qtbot, window)
    assert "No Beatwise incidents tables" in d.error
    d.reject()


def test_cancel__the_status_bar_cancel_stops_the_open(window, essex_store, qtbot):
    d = _dialog(window, essex_store)
    d.open_button.click()
    assert window.tasks.is_running("project") and window.cancel_button.isVisible()
    assert d.cancel_button.text() == "Stop" and not d.open_button.isEnabled()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not d.running(), timeout=60_000)
    assert "Cancelled" in d.message.text() and d.isVisible() and not window.model.has_project
    # the dialog's own Stop, then it opens after all
    d.open_button.click()
    d.cancel_button.click()
    qtbot.waitUntil(lambda: not d.running(), timeout=60_000)
    assert not window.model.has_project and d.isVisible()
    d.area_edit.setText("Southend-on-Sea 001")
    _open(d, qtbot, window)
    assert window.model.has_project and not d.isVisible()
