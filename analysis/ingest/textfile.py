"""Step 1 of reading a text table: the file's bytes as UTF-8, its delimiter and its lines.

Police exports arrive as UTF-8, UTF-8 with a byte-order mark, Windows-1252 (Excel's "CSV"),
or, after a copy and paste in a spreadsheet, a mix of the two. :func:`load_text` returns the
bytes re-encoded as UTF-8, whatever came in, so the CSV parser reads one encoding; a mixed file
is decoded line by line (UTF-8 where the line is valid UTF-8, Windows-1252 elsewhere) and the
report names the lines that were not UTF-8, instead of turning 'Café' into 'CafÃ©' for the
whole file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from analysis.progress import BeatwiseError

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", "\t", ";", "|")
UTF8 = "utf-8"
CP1252 = "cp1252"
MIXED = "mixed"


@dataclass(frozen=True)
class TextFile:
    """A text table's content as UTF-8 bytes, and how it was decoded.

    Attributes
    ----------
    path : Path
    data : bytes or pyarrow.Buffer
        The whole file as UTF-8, without a byte-order mark (a memory map of the file itself when
        it is ASCII or valid UTF-8: nothing is copied).
    encoding : str
        ``utf-8``, ``utf-8-sig`` (had a BOM), ``utf-16`` (Excel's "Unicode text"), ``cp1252``
        or ``mixed``.
    delimiter : str
        One of ``, \\t ; |`` (the most frequent in the header line).
    cp1252_lines : tuple of int
        For a mixed file, the physical lines (1-based) read as Windows-1252.
    """

    path: Path
    data: object
    encoding: str
    delimiter: str
    cp1252_lines: tuple[int, ...] = ()

    def text(self) -> str:
        """The content as one string with ``\n`` line ends (for the careful reader).

        Old Mac files end lines with a lone ``\r``: those become ``\n`` too.
        """
        data = self.data.to_pybytes() if hasattr(self.data, "to_pybytes") else self.data
        text = data.decode(UTF8)
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text

    def physical_lines(self) -> int:
        """Lines up to the last that is not blank (as Arrow, which ignores trailing blank lines)."""
        arr = np.frombuffer(self.data, dtype=np.uint8)
        end = len(arr)
        while end and arr[end - 1] in (10, 13):
            end -= 1
        step = 1 << 22  # in blocks: one 100 MB comparison would cost more than the count
        n = sum(int(np.count_nonzero(arr[i:min(end, i + step)] == 10)) for i in range(0, end, step))
        return n + (1 if end else 0)

    @property
    def warnings(self) -> list[str]:
        """What the report should say about the encoding."""
        name = self.path.name
        if self.encoding == CP1252:
            return [f"{name}: not UTF-8; read as Windows-1252 (Excel) text"]
        if self.encoding == MIXED:
            lines = ", ".join(str(n) for n in self.cp1252_lines[:10])
            more = f" and {len(self.cp1252_lines) - 10:,} more" if len(self.cp1252_lines) > 10 else ""
            return [f"{name}: mixed encodings: the file is UTF-8 but line(s) {lines}{more} are "
                    "not; those lines were read as Windows-1252 (Excel) text"]
        return []


def read_bytes(path: Path):
    """The file's bytes (a memory map, as a pyarrow Buffer), or a BeatwiseError saying why not."""
    try:
        if path.is_dir():
            raise IsADirectoryError(path)
        if path.stat().st_size == 0:
            return b""
        return pa.memory_map(str(path)).read_buffer()
    except IsADirectoryError:
        raise BeatwiseError(f"{path}: this is a folder, not a file") from None
    except (OSError, pa.ArrowException) as exc:
        raise BeatwiseError(f"{path}: cannot read the file "
                            f"({getattr(exc, 'strerror', None) or exc})") from None


def _check_text(path: Path, head: bytes) -> None:
    if not head:
        raise BeatwiseError(f"{path}: the file is empty (0 bytes)")
    if head.startswith(b"PK\x03\x04"):
        raise BeatwiseError(f"{path}: this is a zip or Excel workbook, not a text CSV; save it "
                            "as .xlsx (Beatwise reads workbooks) or export it as CSV")
    if b"\x00" in head[:65536]:
        raise BeatwiseError(f"{path}: this is a binary file, not a text table (CSV/TSV)")


def _decode_lines(data: bytes) -> tuple[bytes, str, tuple[int, ...]]:
    """Decode line by line: UTF-8 where valid, else Windows-1252; re-encode as UTF-8."""
    out, cp_lines, utf8_non_ascii = [], [], False
    for i, line in enumerate(data.split(b"\n"), start=1):
        try:
            text = line.decode(UTF8)
            utf8_non_ascii = utf8_non_ascii or not line.isascii()
        except UnicodeDecodeError:
            # bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become U+FFFD
            text = line.decode(CP1252, errors="replace")
            cp_lines.append(i)
        out.append(text)
    encoding = MIXED if utf8_non_ascii else CP1252
    return "\n".join(out).encode(UTF8), encoding, tuple(cp_lines) if encoding == MIXED else ()


def decode(data) -> tuple[object, str, tuple[int, ...]]:
    """``(utf8_data, encoding, cp1252_lines)`` of raw file bytes (see :class:`TextFile`)."""
    encoding = UTF8
    if bytes(data[:3]) == BOM:
        data, encoding = data[len(BOM):], "utf-8-sig"
    arr = np.frombuffer(data, dtype=np.uint8)
    if not len(arr) or int(arr.max()) < 128:  # ASCII
        return data, encoding, ()
    raw = data.to_pybytes() if hasattr(data, "to_pybytes") else bytes(data)
    try:
        raw.decode(UTF8)
        return data, encoding, ()
    except UnicodeDecodeError:
        return _decode_lines(raw)


def header_line(data) -> str:
    """The first line of UTF-8 ``data`` (no line end)."""
    head = bytes(data[: 1 << 20])
    ends = [i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0]
    first = head[:min(ends)] if ends else head
    return first.decode(UTF8, errors="replace")


def sniff_delimiter(first: str, suffix: str) -> str:
    """The delimiter of a header line: the most frequent of ``, \\t ; |`` (else by suffix)."""
    counts = {d: first.count(d) for d in DELIMITERS}
    delim = max(counts, key=counts.get)
    if counts[delim] == 0:
        delim = "\t" if suffix == ".tsv" else ","
    return delim


def load_text(path: str | os.PathLike, *, limit: int | None = None) -> TextFile:
    """Read a text table (or its first ``limit`` bytes, cut at a line end) as a :class:`TextFile`.

    Raises
    ------
    BeatwiseError
        Unreadable, empty, binary or zip/workbook files, and files with no header line.
    """
    path = Path(path)
    if limit is None:
        raw = read_bytes(path)
    else:
        try:
            with open(path, "rb") as fh:
                raw = fh.read(limit)
                more = fh.read(1) != b""
        except OSError:
            raw, more = read_bytes(path), False
        if more and b"\n" in raw:
            raw = raw[: raw.rfind(b"\n") + 1]
    head = bytes(raw[:4])
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text": UTF-16 with a BOM
        try:
            raw = bytes(raw).decode("utf-16").encode(UTF8)
        except UnicodeDecodeError:
            raise BeatwiseError(f"{path}: starts like UTF-16 text but cannot be decoded as it; "
                                "save it as UTF-8 CSV") from None
        _check_text(path, raw[:65536])
        data, encoding, cp_lines = raw, "utf-16", ()
    else:
        _check_text(path, bytes(raw[:65536]))
        data, encoding, cp_lines = decode(raw)
    first = header_line(data)
    if not first.strip():
        raise BeatwiseError(f"{path}: the file has no header line")
    return TextFile(path, data, encoding, sniff_delimiter(first, path.suffix.lower()), cp_lines)
