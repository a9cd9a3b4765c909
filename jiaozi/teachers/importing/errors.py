"""Row errors of an import and the downloadable error report.

An error names the sheet, the row as Excel shows it (the header is row 1), the column
header, the offending value (masked when it is personal data, §9) and the reason in
Chinese. The log keeps the first ``limit`` errors and counts the rest, so a file of
garbage cannot fill the memory or the job row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.functional import Promise
from openpyxl import Workbook

from jiaozi.core.masking import mask_name, mask_phone, mask_resident_id
from jiaozi.core.spreadsheet import safe_row, xlsx_row

from .columns import H_ID, H_NAME, H_PHONE

REPORT_HEADERS = ("工作表", "行号", "列", "值", "错误原因")
MAX_VALUE_CHARS = 60


def _mask_phone(value: str) -> str:
    # mask_phone keeps 7 of 11 digits; a short (wrong) number would come out whole.
    return mask_phone(value) if len(value) >= 11 else value[:3] + "*" * max(len(value) - 3, 1)


_MASKS = {H_ID: mask_resident_id, H_PHONE: _mask_phone, H_NAME: mask_name}


@dataclass(frozen=True, slots=True)
class RowError:
    sheet: str
    row: int | None
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(data["sheet"], data["row"], data["column"], data["value"], data["reason"])


def display(value: object) -> str:
    """A cell value as the user typed it, for the report."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = str(value).strip()
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def masked(column: str, value: object) -> str:
    text = display(value)
    mask = _MASKS.get(column)
    return mask(text) if mask and text else text


class ErrorLog:
    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.items: list[RowError] = []
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    @property
    def full(self) -> bool:
        return self.total >= self.limit

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)

    def add(self, sheet: str, row: int | None, column: str, value: object, reason: str | Promise) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            # Reasons are translated now, in the language of whoever runs the import.
            self.items.append(RowError(sheet, row, column, masked(column, value), str(reason)))


def report_rows(errors: Iterable[RowError]) -> Iterable[list[object]]:
    # Every text goes out as text that no spreadsheet evaluates: a value, a sheet name
    # or a column header typed "=HYPERLINK(…)" in the upload (all copied into the
    # report) must not become a formula in it (CSV injection, core/spreadsheet.py).
    for e in errors:
        yield safe_row((e.sheet, e.row if e.row is not None else "", e.column, e.value, e.reason))


def report_csv(errors: Iterable[RowError]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_HEADERS)
    writer.writerows(report_rows(errors))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(errors: Iterable[RowError]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["C"].width = 20
    ws.column_dimensions["D"].width = 24
    ws.column_dimensions["E"].width = 60
    ws.append(xlsx_row(ws, REPORT_HEADERS))
    for row in report_rows(errors):
        ws.append(xlsx_row(ws, row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
