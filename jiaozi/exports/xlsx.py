"""The exported workbook: openpyxl's write-only mode (rows go to disk as they come, so
memory stays flat whatever the row count), a watermark in the first row and in the
document properties, and every text cell one no spreadsheet evaluates
(``jiaozi.core.spreadsheet.xlsx_row``)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator

from jiaozi.core.spreadsheet import safe_text, xlsx_row

CHUNK = 64 * 1024
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_chunks(
    *,
    sheet_title: str,
    watermark: str,
    creator: str,
    created: dt.datetime,
    header: Iterable[str],
    rows: Iterable[Iterable[object]],
) -> Iterator[bytes]:
    """The file, a chunk at a time. openpyxl writes the zip only at the end: the sheet
    goes to its own temporary file row by row, the zip to another, which is then read
    out in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    props = workbook.properties
    props.creator = safe_text(creator)
    props.lastModifiedBy = safe_text(creator)
    props.title = safe_text(sheet_title)
    props.description = safe_text(watermark)
    props.keywords = "watermark"
    props.created = created.replace(tzinfo=None)
    props.modified = created.replace(tzinfo=None)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append(xlsx_row(sheet, (watermark,)))
    sheet.append(xlsx_row(sheet, header))
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk
