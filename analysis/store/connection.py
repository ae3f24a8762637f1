"""Opening a store: read-only unless writing, plain messages for every server fault.

Connections are read-only by default (``default_transaction_read_only``; libpq's
``options`` setting), so an analysis can never change the force's data; only ``store load``
and ``--out postgresql://`` open a writing connection. Every message names the store by
:meth:`~analysis.store.address.StoreAddress.redacted` (no password).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from analysis.progress import BeatwiseError
from analysis.store.address import StoreAddress

CONNECT_TIMEOUT_S = 10
APPLICATION = "beatwise"


class StoreError(BeatwiseError):
    """A store could not be reached or answered with an error."""


def _explain(exc: Exception, address: StoreAddress, doing: str) -> str:
    import psycopg

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.replace(address.conninfo, address.redacted())
    if isinstance(exc, psycopg.OperationalError):
        if "password" in text.lower() or "authentication" in text.lower():
            hint = "; put the password in ~/.pgpass or PGPASSWORD, never in a project file"
        elif "terminat" in text.lower() or "closed" in text.lower() or "lost" in text.lower() \
                or "shut" in text.lower():
            hint = "; the server stopped or the connection dropped: nothing was written"
        else:
            hint = ""
        return f"store {address.redacted()}: {doing}: the server is unreachable or stopped ({text}){hint}"
    return f"store {address.redacted()}: {doing}: {text}"


@contextmanager
def store_errors(address: StoreAddress, doing: str) -> Iterator[None]:
    """Turn psycopg errors raised inside into :class:`StoreError` with a plain message."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        raise StoreError(_explain(exc, address, doing)) from exc


def connect(address: StoreAddress, *, write: bool = False):
    """A psycopg connection to ``address`` (read-only unless ``write``).

    Raises
    ------
    StoreError
        The server cannot be reached, the login is refused, or PostGIS is missing.
    """
    import psycopg

    # JIT compiles each query for about a second: more than a filtered scan of 10M rows takes
    options = "-c jit=off" + ("" if write else " -c default_transaction_read_only=on")
    with store_errors(address, "connecting"):
        conn = psycopg.connect(address.conninfo, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name=APPLICATION, options=options)
    try:
        with store_errors(address, "checking PostGIS"):
            row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
            conn.rollback()
        if row is None:
            raise StoreError(f"store {address.redacted()}: PostGIS is not installed in this database "
                             "(CREATE EXTENSION postgis, as its owner)")
    except BaseException:
        conn.close()
        raise
    return conn
