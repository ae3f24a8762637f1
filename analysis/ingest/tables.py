"""Step 2: reading a table (CSV, TSV, XLSX) into typed columns, every row with its line number.

CSV and TSV are parsed by Arrow's multi-threaded CSV reader with the column types the caller
asks for: numbers as ``float64``, text as dictionary-encoded strings, nothing read as text and
converted twice. Arrow skips blank lines and joins quoted fields that span lines, so its row
``i`` is not always line ``i + 2``; when the file has any of those (or a row of the wrong
length, or a quote that is never closed), the careful reader takes over: Python's ``csv``
module, record by record, which knows the physical line where each record starts. A quoted
field may span lines only when the record it belongs to then has the header's number of
fields; otherwise (a stray or unterminated quote) the line where the quote opens is rejected
with that reason and reading goes on at the next line, so a stray quote can never swallow the
rest of the file. ``rows_read`` is the number of records, checked by the tests against an
independent count of the file's lines.
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from analysis.ingest import textfile
from analysis.progress import BeatwiseError

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT = pa.dictionary(pa.int32(), pa.string())
MAX_SPAN_LINES = 200   # a quoted field longer than this many lines is not believed


@dataclass
class RawTable:
    """Columns as read, before they mean anything.

    Attributes
    ----------
    path : Path
    header : list of str
        Every column of the file, in order.
    columns : dict
        The columns asked for: name -> pyarrow array (``float64`` for numbers, strings or
        dictionary-encoded strings for text; empty cells are null or "").
    lines : ndarray of int64
        The physical line (header = line 1) where each row starts.
    malformed : list of (int, str)
        Records the reader rejected: line, reason ("4 fields where the header has 3").
    warnings : list of str
        What the report should say (encodings, quoted fields spanning lines...).
    fmt : str
        ``csv``, ``tsv``... or ``xlsx`` (for the report's column map).
    """

    path: Path
    header: list[str]
    columns: dict
    lines: np.ndarray
    malformed: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    fmt: str = "csv"

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def rows_read(self) -> int:
        return len(self.lines) + len(self.malformed)

    def strings(self, name: str) -> np.ndarray:
        """Column ``name`` as an object array of stripped strings ("" for empty)."""
        return as_strings(self.columns[name])


def as_strings(arr) -> np.ndarray:
    """A pyarrow column as an object array of whitespace-stripped ``str`` ("" for null)."""
    arr = pc.utf8_trim_whitespace(arr.cast(pa.string())).fill_null("")
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)


# ---------------------------------------------------------------- the careful reader
def _records(lines: Sequence[str], delimiter: str, n_fields: int, first_line: int):
    """Yield ``(start_line, fields | None, reason)`` for each record of ``lines``.

    ``lines`` are the file's lines after the header, ``first_line`` the physical number of
    the first. Blank lines are skipped. A record that spans lines is kept only when it has
    ``n_fields`` fields; else its first line is rejected and reading restarts after it.
    """
    csv.field_size_limit(sys.maxsize)  # fields over 131,072 characters are data, not errors
    i, n = 0, len(lines)
    while i < n:
        reader = csv.reader(iter(lines[i:]), delimiter=delimiter, strict=False)
        consumed = 0
        restart = False
        for rec in _guarded(reader, first_line + i):
            start = i + consumed
            consumed = reader.line_num
            span = consumed - (start - i)
            if not rec or (len(rec) == 1 and rec[0].strip() == "" and span == 1):
                continue  # blank line
            if span > 1 and (len(rec) != n_fields or span > MAX_SPAN_LINES):
                yield (first_line + start,
                       None, "a quote opened on this line is not closed where the row should end "
                             f"(it would run over {span - 1:,} more line(s) and give {len(rec)} "
                             f"fields where the header has {n_fields})")
                i = start + 1
                restart = True
                break
            yield first_line + start, rec, ("spans" if span > 1 else "")
        if not restart:
            return


def _guarded(reader, first_line: int):
    """The records of a csv reader; its rare errors become a message naming the line."""
    try:
        yield from reader
    except csv.Error as exc:
        raise BeatwiseError(f"line {first_line + reader.line_num - 1}: cannot be read as CSV ({exc})") from None


def _careful(text: textfile.TextFile, include: Optional[set]) -> tuple[list, dict, np.ndarray, list, list]:
    body = text.text().splitlines(keepends=True)
    header = next(csv.reader(body[:1], delimiter=text.delimiter), [])
    header = [h.strip() for h in header]
    n_fields = len(header)
    keep = [j for j, h in enumerate(header) if include is None or h in include]
    cols: list[list[str]] = [[] for _ in keep]
    lines, malformed, spans = [], [], []
    for line, rec, why in _records(body[1:], text.delimiter, n_fields, 2):
        if rec is None:
            malformed.append((line, why))
            continue
        if len(rec) > n_fields:
            malformed.append((line, f"{len(rec)} fields where the header has {n_fields}"))
            continue
        if why == "spans":
            spans.append(line)
        if len(rec) < n_fields:
            rec = rec + [""] * (n_fields - len(rec))
        for c, j in zip(cols, keep):
            c.append(rec[j])
        lines.append(line)
    warnings = []
    if spans:
        shown = ", ".join(map(str, spans[:5])) + (" ..." if len(spans) > 5 else "")
        warnings.append(f"{text.path.name}: {len(spans):,} row(s) have a quoted field that spans "
                        f"lines (starting at line {shown}); each counts as one row")
    columns = {header[j]: pa.array(c, type=pa.string()) for c, j in zip(cols, keep)}
    return header, columns, np.asarray(lines, dtype=np.int64), malformed, warnings


# ---------------------------------------------------------------- the fast reader
def _arrow(text: textfile.TextFile, header: list[str], include: list[str], numbers: set,
           coded: set) -> tuple[dict, int] | None:
    """Arrow's read of the columns, or None when the careful reader must decide."""
    invalid = []

    def on_invalid(row):
        invalid.append(row)
        return "skip"

    types = {c: (pa.float64() if c in numbers else TEXT if c in coded else pa.string())
             for c in include}
    try:
        table = pacsv.read_csv(
            pa.BufferReader(text.data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=text.delimiter,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                include_columns=include, column_types=types, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowKeyError):
        return None
    if invalid:
        return None
    return {c: table.column(c) for c in include}, table.num_rows


def read_table(path: str | Path, include: Optional[Iterable[str]] = None, *,
               numbers: Iterable[str] = (), coded: Iterable[str] = (),
               sheet: Optional[str] = None) -> RawTable:
    """Read the columns ``include`` (all when None) of a CSV, TSV or workbook.

    Parameters
    ----------
    numbers : columns to read as ``float64`` (when any cell is not a plain number, the column
        comes back as strings, for the caller to judge row by row).
    coded : text columns to read dictionary-encoded (few distinct values, such as months or
        crime types); the others are read as plain strings.
    sheet : the workbook sheet (name or 0-based index as text); default the first.
    """
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_workbook(path, include, sheet)
    text = textfile.load_text(path)
    header = [h.strip() for h in next(csv.reader([textfile.header_line(text.data)],
                                                 delimiter=text.delimiter), [])]
    wanted = [h for h in dict.fromkeys(header) if include is None or h in set(include)]
    numbers = set(numbers) & set(wanted)
    fmt = path.suffix.lower().lstrip(".") or "csv"
    if len(set(header)) == len(header):
        got = _arrow(text, header, wanted, numbers, set(coded))
        if got is None and numbers:  # text in a number column: strings, judged row by row later
            got = _arrow(text, header, wanted, set(), set(coded) - numbers)
        if got is not None and got[1] + 1 == text.physical_lines():
            columns, n = got
            return RawTable(path, header, columns, np.arange(2, n + 2, dtype=np.int64),
                            [], text.warnings, fmt)
    header, columns, lines, malformed, warnings = _careful(
        text, None if include is None else set(include))
    return RawTable(path, header, columns, lines, malformed, text.warnings + warnings, fmt)


def _read_workbook(path: Path, include, sheet) -> RawTable:
    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=_sheet(sheet), dtype=str, keep_default_na=False,
                              engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for broken workbooks
        raise BeatwiseError(f"{path}: cannot read the workbook ({exc})") from exc
    frame = frame.fillna("")
    header = [str(c).strip() for c in frame.columns]
    frame.columns = header
    keep = [h for h in dict.fromkeys(header) if include is None or h in set(include)]
    columns = {h: pa.array(frame[h].astype(str).tolist(), type=pa.string()) for h in keep}
    return RawTable(path, header, columns, np.arange(2, len(frame) + 2, dtype=np.int64), [], [],
                    path.suffix.lower().lstrip("."))


def _sheet(sheet):
    if sheet is None:
        return 0
    return int(sheet) if str(sheet).isdigit() else sheet


def peek(path: str | Path, rows: int = 500, *, sheet: Optional[str] = None):
    """The header and first ``rows`` data rows, every cell as text (a pandas DataFrame).

    Reads only the start of a text file, so it is quick for large files; the rows are the
    same ones :func:`read_table` would read.
    """
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            frame = pd.read_excel(path, sheet_name=_sheet(sheet), dtype=str, nrows=rows,
                                  keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for broken workbooks
            raise BeatwiseError(f"{path}: cannot read the workbook ({exc})") from exc
        return frame.fillna("").reset_index(drop=True)
    text = textfile.load_text(path, limit=1 << 20)
    body = text.text().splitlines(keepends=True)
    header = [h.strip() for h in next(csv.reader(body[:1], delimiter=text.delimiter), [])]
    out = []
    for _, rec, _ in _records(body[1:], text.delimiter, len(header), 2):
        if rec is None or len(rec) > len(header):
            continue
        out.append(rec + [""] * (len(header) - len(rec)))
        if len(out) >= rows:
            break
    if not out:
        return pd.DataFrame({h: pd.Series(dtype="str") for h in header})
    return pd.DataFrame(out, columns=header).astype("str")

