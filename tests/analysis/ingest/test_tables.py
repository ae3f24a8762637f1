"""Step 2: tables read by Arrow (typed) or, for awkward files, record by record, with line numbers."""
from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow as pa

from analysis.ingest import tables


def write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def independent_records(text):
    """(start line, fields) of every non-blank record, by Python's csv module (the reference)."""
    out, lines = [], text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text))
    next(reader)
    prev = 1
    for rec in reader:
        start = prev + 1
        while start <= len(lines) and not lines[start - 1].strip():
            start += 1
        prev = reader.line_num
        if rec:
            out.append((start, rec))
    return out


def test_arrow_path__typed_columns_and_lines(tmp_path):
    p = write(tmp_path, "id,x,crime\nA,1.5,Drugs\nB,,Theft\nC,3,Drugs\n")
    raw = tables.read_table(p, ["id", "x", "crime"], numbers=["x"], coded=["crime"])
    assert pa.types.is_floating(raw.columns["x"].type)
    assert pa.types.is_dictionary(raw.columns["crime"].type)
    assert pa.types.is_string(raw.columns["id"].type)
    assert raw.lines.tolist() == [2, 3, 4] and raw.rows_read == 3
    assert np.isnan(raw.columns["x"].to_numpy(zero_copy_only=False)[1])


def test_number_column_with_text__read_as_strings(tmp_path):
    p = write(tmp_path, "x,y\n1.5,2\neast,3\n")
    raw = tables.read_table(p, numbers=["x", "y"])
    assert raw.strings("x").tolist() == ["1.5", "east"]


def test_line_numbers__blank_lines_and_multiline_fields(tmp_path):
    """Regression: rejected rows in files with blank lines or multi-line fields had wrong lines."""
    text = ('id,note,x\n1,plain,1\n\n2,"two\nlines",2\n\n\n3,"a ""quoted"" word",3\n'
            '4,"three\nphysical\nlines",4\n5,last,5\n')
    p = write(tmp_path, text)
    raw = tables.read_table(p)
    expected = independent_records(text)
    assert raw.lines.tolist() == [s for s, _ in expected] == [2, 4, 8, 9, 12]
    assert raw.strings("note").tolist() == [r[1] for _, r in expected]
    assert any("spans lines" in w for w in raw.warnings)


def test_unterminated_quote__does_not_swallow_rows(tmp_path):
    """Regression: an unterminated quote swallowed 30 of 40 data lines (rows_read 10, no warning)."""
    rows = [f"{i},51.5,0.7" for i in range(40)]
    rows[10] = '10,"51.5,0.7'
    text = "id,lat,lon\n" + "\n".join(rows) + "\n"
    p = write(tmp_path, text)
    raw = tables.read_table(p)
    data_lines = sum(1 for line in text.splitlines()[1:] if line.strip())   # independent count
    assert raw.rows_read == data_lines == 40
    assert raw.malformed == [(12, raw.malformed[0][1])] and "quote" in raw.malformed[0][1]
    assert raw.lines.tolist() == [n for n in range(2, 42) if n != 12]


def test_ragged_rows__too_many_rejected_too_few_padded(tmp_path):
    p = write(tmp_path, "a,b,c\n1,2,3\n1,2,3,4\n1,2\n")
    raw = tables.read_table(p)
    assert raw.malformed == [(3, "4 fields where the header has 3")]
    assert raw.lines.tolist() == [2, 4] and raw.strings("c").tolist() == ["3", ""]


def test_field_over_131072_characters(tmp_path):
    """Regression: a field longer than the csv module's 131,072-character limit crashed the import."""
    long = "x" * 200_000
    p = write(tmp_path, f'id,note\n1,"{long}"\n2,"a\nb"\n')   # the multi-line field forces the csv path
    raw = tables.read_table(p)
    assert raw.rows_read == 2 and len(raw.strings("note")[0]) == 200_000


def test_workbook(tmp_path):
    import pandas as pd

    p = tmp_path / "a.xlsx"
    pd.DataFrame({"x": [1.5, 2.5], "name": ["A", "B"]}).to_excel(p, index=False)
    raw = tables.read_table(p)
    assert raw.fmt == "xlsx" and raw.lines.tolist() == [2, 3] and raw.strings("name").tolist() == ["A", "B"]


def test_peek__same_rows_as_the_read(tmp_path):
    p = write(tmp_path, 'a,b\n1,"x\ny"\n\n2,z\n')
    head = tables.peek(p, 10)
    assert head.values.tolist() == [["1", "x\ny"], ["2", "z"]]
