"""What a store INPUT is: a PostgreSQL connection (libpq URL or service) and an incidents table.

Accepted forms (libpq's own syntax, so ``~/.pg_service.conf``, ``~/.pgpass`` and the ``PG*``
environment work as they do for psql and QGIS)::

    postgresql://host/db?table=incidents          # host, database; the table (default: incidents)
    postgresql:///db?host=/run/postgresql&table=beatwise.incidents
    service=crime_analysis table=incidents         # a libpq service name
    pg:crime_analysis                              # short form of a service, table incidents

The table may carry its schema (``beatwise.incidents``); the default schema is ``public``.
Passwords are never kept: :meth:`StoreAddress.redacted` (what messages, logs, JSON and project
files show) drops them, and :attr:`StoreAddress.conninfo` is only handed to libpq.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from analysis.progress import BeatwiseError

DEFAULT_TABLE = "incidents"
DEFAULT_SCHEMA = "public"
_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)
_KEYWORDS = re.compile(r"^\s*(service|host|dbname|table)\s*=", re.IGNORECASE)


def is_store(text) -> bool:
    """Whether an INPUT names a store rather than a file."""
    s = str(text)
    return bool(_URL.match(s) or s.lower().startswith("pg:") or _KEYWORDS.match(s))


@dataclass(frozen=True)
class StoreAddress:
    """A parsed store INPUT.

    Attributes
    ----------
    conninfo : str
        What libpq connects with (may hold a password given in the URL: never print it).
    schema, table : str
        The incidents table (unquoted names; the driver quotes them).
    text : str
        The INPUT with any password removed.
    """

    conninfo: str = field(repr=False)
    schema: str
    table: str
    text: str

    def redacted(self) -> str:
        return self.text

    def with_table(self, table: str) -> "StoreAddress":
        schema, name = split_table(table)
        return StoreAddress(self.conninfo, schema, name, _replace_table(self.text, f"{schema}.{name}"))

    def __str__(self) -> str:
        return self.text


def split_table(text: str) -> tuple[str, str]:
    """``schema.table`` or ``table`` to (schema, table); BeatwiseError when empty or malformed."""
    parts = [p.strip() for p in str(text).split(".")]
    if len(parts) == 1:
        parts = [DEFAULT_SCHEMA] + parts
    if len(parts) != 2 or not all(parts):
        raise BeatwiseError(f"table {text!r}: give TABLE or SCHEMA.TABLE")
    return parts[0], parts[1]


def _url(scheme: str, netloc: str, path: str, query: list) -> str:
    """A URL kept with its ``//`` when the host is empty (``postgresql:///db``), unlike urlunsplit."""
    q = urlencode(query, safe="/")
    return f"{scheme}://{netloc}{path}" + (f"?{q}" if q else "")


def _replace_table(text: str, table: str) -> str:
    if _URL.match(text):
        u = urlsplit(text)
        q = [(k, v) for k, v in parse_qsl(u.query, keep_blank_values=True) if k != "table"]
        return _url(u.scheme, u.netloc, u.path, q + [("table", table)])
    kept = [w for w in text.split() if not w.lower().startswith("table=")]
    return " ".join(kept + [f"table={table}"])


def parse_address(text) -> StoreAddress:
    """A store INPUT (see the module docstring) to a :class:`StoreAddress`.

    Raises
    ------
    BeatwiseError
        Not a store, or a malformed one (the message never contains the password).
    """
    s = str(text).strip()
    if s.lower().startswith("pg:"):
        service = s[3:].strip()
        if not service:
            raise BeatwiseError("pg:SERVICE needs a service name (see ~/.pg_service.conf)")
        return StoreAddress(f"service={service}", DEFAULT_SCHEMA, DEFAULT_TABLE, f"pg:{service}")
    if _URL.match(s):
        u = urlsplit(s)
        query = parse_qsl(u.query, keep_blank_values=True)
        table = next((v for k, v in query if k == "table"), DEFAULT_TABLE)
        rest = [(k, v) for k, v in query if k != "table"]
        netloc = u.netloc
        shown_netloc = netloc
        if "@" in netloc:
            creds, host = netloc.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            shown_netloc = f"{user}@{host}" if user else host
        rest_shown = [(k, v) for k, v in rest if k.lower() != "password"]
        conninfo = _url(u.scheme, netloc, u.path, rest)
        schema, name = split_table(table)
        shown = _url(u.scheme, shown_netloc, u.path, rest_shown + [("table", f"{schema}.{name}")])
        return StoreAddress(conninfo, schema, name, shown)
    if _KEYWORDS.match(s):
        words, table, shown = [], DEFAULT_TABLE, []
        for w in s.split():
            key = w.split("=", 1)[0].lower()
            if key == "table":
                table = w.split("=", 1)[1]
                continue
            words.append(w)
            if key != "password":
                shown.append(w)
        schema, name = split_table(table)
        return StoreAddress(" ".join(words), schema, name, " ".join(shown + [f"table={schema}.{name}"]))
    raise BeatwiseError(f"{s!r} is not a store: give postgresql://HOST/DB?table=TABLE or pg:SERVICE")


def has_password(text) -> bool:
    """Whether the INPUT carries a password (it works, but belongs in ~/.pgpass or PGPASSWORD)."""
    s = str(text)
    if _URL.match(s):
        u = urlsplit(s)
        return u.password is not None or any(k.lower() == "password" for k, _ in parse_qsl(u.query))
    return any(w.lower().startswith("password=") for w in s.split())
