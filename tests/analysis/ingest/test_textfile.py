"""Step 1: a text table's bytes as UTF-8, its delimiter and its lines."""
from __future__ import annotations

import pytest

from analysis.ingest import textfile
from analysis.progress import BeatwiseError


def test_utf8_bom_and_cp1252():
    assert textfile.decode("a,b\ncafé,1\n".encode())[1] == "utf-8"
    data, enc, _ = textfile.decode(b"\xef\xbb\xbfa,b\n1,2\n")
    assert enc == "utf-8-sig" and bytes(data) == b"a,b\n1,2\n"
    data, enc, lines = textfile.decode("a,b\nCafé £5,1\n".encode("cp1252"))
    assert enc == "cp1252" and data.decode() == "a,b\nCafé £5,1\n" and lines == ()


def test_mixed_encoding__one_cp1252_byte_at_end_of_64k_utf8_file(tmp_path):
    """Regression: one Windows-1252 byte after 64 KB of UTF-8 turned 'Café' into 'CafÃ©' everywhere."""
    body = "".join(f"51.5,0.7,Café {i}\n" for i in range(4000))
    raw = ("lat,lon,location\n" + body).encode() + "51.5,0.7,Bar £5\n".encode("cp1252")
    assert len(raw) > 65536
    p = tmp_path / "mixed.csv"
    p.write_bytes(raw)
    t = textfile.load_text(p)
    text = t.text()
    assert t.encoding == "mixed" and t.cp1252_lines == (4002,)
    assert "Café 0\n" in text and "CafÃ" not in text and "Bar £5" in text
    assert "line(s) 4002" in t.warnings[0]


def test_delimiter_and_header():
    assert textfile.sniff_delimiter("a;b;c", ".csv") == ";"
    assert textfile.sniff_delimiter("a\tb", ".csv") == "\t"
    assert textfile.sniff_delimiter("abc", ".tsv") == "\t"
    assert textfile.header_line(b"x,y\r\n1,2\n") == "x,y"


def test_physical_lines__trailing_blank_lines_ignored(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(b"a,b\n1,2\n3,4\n\n\r\n")
    assert textfile.load_text(p).physical_lines() == 3
    p.write_bytes(b"a,b\n1,2")
    assert textfile.load_text(p).physical_lines() == 2


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"PK\x03\x04rest", "zip or Excel workbook"),
    (b"\x89PNG\x00\x00", "binary file"),
    (b"\n\n1,2\n", "no header line"),
])
def test_unreadable_kinds_are_messages(tmp_path, content, message):
    p = tmp_path / "x.csv"
    p.write_bytes(content)
    with pytest.raises(BeatwiseError, match=message):
        textfile.load_text(p)


def test_unreadable_file__folder_named_csv_is_a_message(tmp_path):
    """Regression: an unreadable path raised a Python traceback."""
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(BeatwiseError, match="d.csv: this is a folder"):
        textfile.load_text(tmp_path / "d.csv")


def test_utf16_unicode_text__read(tmp_path):
    """Excel's "Unicode text" export is UTF-16 with a BOM: read, not refused as binary."""
    p = tmp_path / "u16.txt"
    p.write_bytes("lat\tlon\tplace\n51.5\t0.7\tCafé\n".encode("utf-16"))
    t = textfile.load_text(p)
    assert t.encoding == "utf-16" and t.delimiter == "\t" and "Café" in t.text()


def test_old_mac_line_ends__lone_cr(tmp_path):
    """Regression: a file with lone CR line ends crashed the careful reader."""
    from analysis.ingest.incidents import read_incidents

    p = tmp_path / "mac.csv"
    p.write_bytes(b"lat,lon\r51.5,0.7\r51.6,0.7\r")
    r = read_incidents(p)
    assert (r.report.rows_read, r.report.accepted) == (2, 2)
    assert [x for x in r.incidents["source_row"]] == [2, 3]
