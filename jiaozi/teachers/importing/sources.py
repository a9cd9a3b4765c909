"""Where the rows come from: an .xlsx workbook, a folder of CSV files named after the
sheets, or a .zip of such CSV files (the upload form's equivalent of a folder).

Every source yields ``(row number as the user sees it, [cell values…])`` per sheet,
header included as row 1, blank rows left out. Values are ``str``, ``int``, ``float``,
``datetime`` or ``None``; booleans arrive as the text Excel shows ("TRUE"/"FALSE").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Protocol

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from . import limits, xlsx
from .columns import INSTRUCTIONS, SHEETS

Row = tuple[int, list[object]]


class UnreadableFile(Exception):
    """The upload is not a workbook or CSV bundle we can read; the message is for users."""


class Source(Protocol):
    label: str

    @property
    def sheet_names(self) -> list[str]: ...

    def rows(self, name: str) -> Iterator[Row]: ...

    def close(self) -> None: ...


def _plain(value: object) -> object:
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return value


class FastXlsxSource:
    label = "xlsx"

    def __init__(self, file: str | Path | IO[bytes]) -> None:
        try:
            self._book = xlsx.XlsxWorkbook(file if not isinstance(file, Path) else str(file))
        except xlsx.NotAWorkbook as exc:
            raise UnreadableFile(_("文件无法读取：不是有效的 Excel 工作簿（.xlsx）")) from exc

    @property
    def sheet_names(self) -> list[str]:
        return self._book.sheet_names

    def rows(self, name: str) -> Iterator[Row]:
        return self._book.rows(name)  # type: ignore[return-value]

    def close(self) -> None:
        self._book.close()


class OpenpyxlSource:
    """openpyxl in read-only mode: slower, but reads whatever Excel can write. Used
    when :class:`FastXlsxSource` meets markup it does not vouch for."""

    label = "openpyxl"

    def __init__(self, file: str | Path | IO[bytes]) -> None:
        if hasattr(file, "seek"):
            file.seek(0)  # type: ignore[union-attr]
        try:
            self._book = load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise UnreadableFile(_("文件无法读取：不是有效的 Excel 工作簿（.xlsx）")) from exc

    @property
    def sheet_names(self) -> list[str]:
        return list(self._book.sheetnames)

    def rows(self, name: str) -> Iterator[Row]:
        ws = self._book[name]
        # The stored dimension is often wrong (some writers say "A1"); without the
        # reset, read-only mode would stop early.
        ws.reset_dimensions()  # type: ignore[union-attr]
        for row_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if any(v is not None and v != "" for v in values):
                yield row_no, [_plain(v) for v in values]

    def close(self) -> None:
        self._book.close()


class CsvSource:
    """CSV files named after the sheets (学校.csv …), UTF-8 with or without BOM, or
    GB18030 (what Excel on a Chinese Windows saves as "CSV") when UTF-8 decoding fails."""

    label = "csv"

    def __init__(
        self, files: dict[str, Callable[[], IO[bytes]]], closer: Callable[[], None] | None = None
    ) -> None:
        self._files = files
        self._closer = closer

    @property
    def sheet_names(self) -> list[str]:
        return list(self._files)

    def rows(self, name: str) -> Iterator[Row]:
        opener = self._files[name]
        with opener() as probe:
            encoding = "utf-8-sig" if xlsx.decode_stream_is_utf8(probe) else "gb18030"
        with opener() as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
            for row_no, values in enumerate(csv.reader(text), start=1):
                if any(v.strip() for v in values):
                    yield row_no, list(values)

    def close(self) -> None:
        if self._closer:
            self._closer()


def _csv_folder(folder: Path) -> CsvSource:
    files: dict[str, Callable[[], IO[bytes]]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() == ".csv":
            files[path.stem.strip()] = lambda p=path: p.open("rb")  # type: ignore[misc]
    if not files:
        raise UnreadableFile(_("文件夹中没有以工作表命名的 CSV 文件（如 教师.csv）"))
    return CsvSource(files)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Chinese Windows zip tools store names in GBK without saying so."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _csv_zip(archive: zipfile.ZipFile) -> CsvSource:
    # Declared sizes were checked by open_source; the meter counts what is inflated.
    meter = limits.Meter(archive)
    files: dict[str, Callable[[], IO[bytes]]] = {}
    for info in archive.infolist():
        name = _zip_name(info).rsplit("/", 1)[-1]
        if info.is_dir() or not name.lower().endswith(".csv") or name.startswith((".", "__MACOSX")):
            continue
        files[name[:-4].strip()] = lambda i=info: meter.open(i)  # type: ignore[misc]
    if not files:
        raise UnreadableFile(_("压缩包中没有以工作表命名的 CSV 文件（如 教师.csv）"))
    return CsvSource(files, closer=archive.close)


def open_source(file: str | Path | IO[bytes], *, name: str = "", fast: bool = True) -> Source:
    """Open an upload or a path. ``name`` is the original file name (for a single CSV,
    its stem names the sheet). ``fast=False`` forces openpyxl for a workbook.

    An archive that inflates beyond the caps raises ``limits.InflatedTooLarge``, here
    or while its rows are read."""
    if isinstance(file, str | Path):
        path = Path(file)
        if path.is_dir():
            return _csv_folder(path)
        if not path.exists():
            raise UnreadableFile(_("文件不存在"))
        name = name or path.name
    if name.lower().endswith(".csv"):
        stem = Path(name).stem.strip()
        if isinstance(file, str | Path):
            return CsvSource({stem: lambda: Path(file).open("rb")})
        file.seek(0)
        data = file.read()
        return CsvSource({stem: lambda: io.BytesIO(data)})
    limits.check_member_count(file if not isinstance(file, Path) else str(file))
    try:
        archive = zipfile.ZipFile(file if not isinstance(file, Path) else str(file))
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(
            _("文件无法读取：请上传 .xlsx 工作簿，或以工作表命名的 CSV 文件（可打包为 .zip）")
        ) from exc
    # Every member's declared inflated size, before anything is read (limits.py).
    try:
        limits.check_declared(archive)
    except limits.InflatedTooLarge:
        archive.close()
        raise
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        return _csv_zip(archive)
    archive.close()
    if hasattr(file, "seek"):
        file.seek(0)  # type: ignore[union-attr]
    return FastXlsxSource(file) if fast else OpenpyxlSource(file)


def sheet_is_known(name: str) -> bool:
    return name in SHEETS or name == INSTRUCTIONS
