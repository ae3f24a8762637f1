"""Store addresses: the forms libpq takes, the table, and no password ever shown."""
import pytest

from analysis.progress import BeatwiseError
from analysis.store.address import has_password, is_store, parse_address


def test_url_with_table_and_schema():
    a = parse_address("postgresql://analyst@gis-db/crime?table=beatwise.incidents")
    assert (a.schema, a.table) == ("beatwise", "incidents")
    assert a.conninfo == "postgresql://analyst@gis-db/crime"
    assert a.redacted() == "postgresql://analyst@gis-db/crime?table=beatwise.incidents"


def test_socket_url_keeps_its_empty_host():
    a = parse_address("postgresql:///crime?host=/run/postgresql&table=essex")
    assert a.conninfo == "postgresql:///crime?host=/run/postgresql"
    assert (a.schema, a.table) == ("public", "essex")


def test_service_forms():
    assert parse_address("pg:force").conninfo == "service=force"
    a = parse_address("service=force table=s.t")
    assert (a.conninfo, a.schema, a.table) == ("service=force", "s", "t")


@pytest.mark.parametrize("text", ["postgresql://u:SeCrEt@host/db?table=t",
                                  "postgresql://u@host/db?password=SeCrEt&table=t",
                                  "host=h dbname=d password=SeCrEt table=t"])
def test_password_never_in_the_text_shown(text):
    a = parse_address(text)
    assert has_password(text)
    assert "SeCrEt" not in a.redacted() and "SeCrEt" not in str(a) and "SeCrEt" not in repr(a)
    assert "SeCrEt" in a.conninfo  # libpq still gets it


def test_files_are_not_stores(tmp_path):
    assert not is_store(tmp_path / "incidents.csv")
    assert not is_store("data/postgresql.csv")
    assert is_store("postgres://h/d") and is_store("pg:x")


@pytest.mark.parametrize("text", ["pg:", "postgresql://h/d?table=a.b.c", "postgresql://h/d?table="])
def test_malformed_addresses_are_refused(text):
    with pytest.raises(BeatwiseError):
        parse_address(text)
