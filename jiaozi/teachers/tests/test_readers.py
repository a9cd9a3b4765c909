"""The streaming .xlsx reader against openpyxl: the same rows, value for value."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from jiaozi.teachers.importing.sources import FastXlsxSource, OpenpyxlSource
from jiaozi.teachers.tests.workbook import as_excel_saves

# Text as people type it, including XML specials and characters outside the BMP.
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
)
cells = st.one_of(
    st.none(),
    texts,
    st.sampled_from(["<b>&amp;</b>", "a & b", "李\u3000明", "🙂", "=1+1"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).filter(lambda f: not f.is_integer()),
    st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.booleans(),
)
sheets = st.lists(st.lists(cells, min_size=0, max_size=6), min_size=1, max_size=12)


def _workbook(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "教师"
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _rows(source: Any) -> list[tuple[int, list[Any]]]:
    out = []
    for row_no, values in source.rows("教师"):
        trimmed = list(values)
        while trimmed and trimmed[-1] is None:
            trimmed.pop()
        out.append((row_no, trimmed))
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets)
def test_fast_reader_reads_what_openpyxl_reads(rows: list[list[Any]]) -> None:
    data = _workbook(rows)
    expected = _rows(OpenpyxlSource(io.BytesIO(data)))
    assert _rows(FastXlsxSource(io.BytesIO(data))) == expected
    # The same cells with strings in a shared table, as Excel saves them.
    excel = as_excel_saves(data)
    assert _rows(FastXlsxSource(io.BytesIO(excel))) == expected
    assert _rows(OpenpyxlSource(io.BytesIO(excel))) == expected


def test_row_numbers_skip_blank_rows() -> None:
    data = _workbook([["a"], [], [None, None], [None, "b"]])
    assert _rows(FastXlsxSource(io.BytesIO(data))) == [(1, ["a"]), (4, [None, "b"])]


def test_a_date_formatted_number_is_a_date() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "教师"
    ws["A1"] = 45000
    ws["A1"].number_format = "yyyy-mm-dd"
    ws["B1"] = 45000
    buffer = io.BytesIO()
    wb.save(buffer)
    assert _rows(FastXlsxSource(io.BytesIO(buffer.getvalue()))) == [(1, [dt.datetime(2023, 3, 15), 45000])]


def test_attributes_in_another_order_go_to_openpyxl(tmp_path: Any) -> None:
    """``t`` after an attribute the reader does not expect must not be mistaken for a
    number cell (a shared-string index read as a number): the reader refuses."""
    import zipfile

    import pytest

    from jiaozi.teachers.importing.xlsx import Unsupported

    data = as_excel_saves(_workbook([["甲", "乙"]]))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = content.replace(b'<c r="B1" t="s">', b'<c r="B1" cm="1" t="s">')
            target.writestr(info, content)
    with pytest.raises(Unsupported):
        _rows(FastXlsxSource(io.BytesIO(out.getvalue())))
    assert _rows(OpenpyxlSource(io.BytesIO(out.getvalue()))) == [(1, ["甲", "乙"])]
