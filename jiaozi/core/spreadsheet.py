"""Cells that spreadsheets never evaluate (CSV / formula injection, SECURITY.md).

Excel, WPS and LibreOffice run a cell whose text starts with ``=``, ``+``, ``-`` or
``@`` as a formula (a tab or carriage return first is stripped and the rest run), in a
CSV file as in an .xlsx one; ``=HYPERLINK(…)`` or ``=cmd|…`` from an upload would then
act in the reviewer's spreadsheet. Every text cell an export or a report writes goes
through ``safe_text``: such a text gets a leading apostrophe, the form the programs
themselves use for "text, not a formula", so it shows and sorts as text.

``xlsx_row`` goes further for .xlsx files: every text is written as a string cell,
whatever openpyxl would have guessed from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """``value``, with a leading apostrophe when a spreadsheet would run it."""
    return "'" + value if value.startswith(FORMULA_START) else value


def safe_cell(value: Any) -> Any:
    """Text through ``safe_text``; numbers, dates and ``None`` as they are."""
    return safe_text(value) if isinstance(value, str) else value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """The cells of one row for ``sheet`` (an openpyxl write-only worksheet): text as
    string cells (never a formula), other values as they are."""
    from openpyxl.cell import WriteOnlyCell

    cells: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=safe_text(value))
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells
