"""A streaming reader for the worksheets of an .xlsx file, built for size.

openpyxl's read-only mode parses every cell through its descriptor machinery: on the
reference 2-core machine that is about 20 µs per cell, so the 100,000-teacher file of
the benchmark (≈ 10 million cells) would spend three minutes in parsing alone against a
60 s budget for the whole import (PRODUCT.md §10). This reader streams the worksheet
XML straight out of the zip and matches cells with one compiled regular expression,
which costs about a tenth of that. It understands what Excel, WPS and openpyxl write:
shared and inline strings, numbers, booleans, formula results, ISO dates (``t="d"``)
and number cells with a date format. Anything it cannot vouch for (a cell without a
reference, an unexpected layout) raises :class:`Unsupported`, and the caller falls back
to openpyxl for the whole workbook. See docs/decisions/0061-streaming-xlsx-reader.md.

Rows come out as ``(row number as Excel shows it, [values…])``; rows without any cell
value are skipped, so row numbers may jump.
"""

from __future__ import annotations

import codecs
import datetime as dt
import html
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any
from xml.etree import ElementTree as ET

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from . import limits

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

CHUNK = 1 << 22
# One row's markup beyond this (no ``</row>`` in sight) is not a row of the template:
# refused rather than buffered without end.
MAX_ROW_BYTES = 16 << 20

Value = str | int | float | dt.datetime | None


class Unsupported(Exception):
    """The file is a valid zip, but not laid out the way this reader expects."""


class NotAWorkbook(Exception):
    """Not an .xlsx file at all."""


def _cell_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """One cell. Excel, WPS, LibreOffice and openpyxl all write ``r`` first, then ``s``
    and ``t``; a cell written otherwise either does not match (the count check in
    :meth:`XlsxWorkbook.rows` notices) or leaves ``t=``/``s=`` among the other
    attributes (checked per cell): the workbook goes to openpyxl instead. The
    two common bodies (``<v>…</v>`` and a plain inline string) have their own groups so
    most cells need no second match."""
    p = re.escape(prefix)
    q = rb"[\"']"
    return re.compile(
        rb"<"
        + p
        + rb"c r="
        + q
        + rb"([A-Z]{1,3})(\d+)"
        + q
        + rb"(?: s="
        + q
        + rb"(\d+)"
        + q
        + rb")?"
        + rb"(?: t="
        + q
        + rb"(\w+)"
        + q
        + rb")?"
        + rb"(?: s="
        + q
        + rb"(\d+)"
        + q
        + rb")?"
        + rb"([^>]*?)(?:/>|>(?:<"
        + p
        + rb"v>([^<]*)</"
        + p
        + rb"v>|<"
        + p
        + rb"is><"
        + p
        + rb"t>([^<]*)</"
        + p
        + rb"t></"
        + p
        + rb"is>|(.*?))</"
        + p
        + rb"c>)",
        re.S,
    )


def _value_pattern(prefix: bytes) -> re.Pattern[bytes]:
    p = re.escape(prefix)
    return re.compile(rb"<" + p + rb"v(?:\s[^>]*)?>([^<]*)</" + p + rb"v>|<" + p + rb"v\s*/>")


def _text_pattern(prefix: bytes) -> re.Pattern[bytes]:
    p = re.escape(prefix)
    # <t>…</t> runs of a string, leaving out phonetic guides (<rPh>).
    return re.compile(
        rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>|<" + p + rb"t(?:\s[^>]*)?>([^<]*)</" + p + rb"t>", re.S
    )


_COLUMN_INDEX: dict[bytes, int] = {}


def column_index(letters: bytes) -> int:
    """b"A" → 0, b"AA" → 26."""
    index = _COLUMN_INDEX.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + (ch - 64)
        index -= 1
        _COLUMN_INDEX[letters] = index
    return index


def _text(raw: bytes) -> str:
    value = raw.decode("utf-8")
    return html.unescape(value) if "&" in value else value


def _number(raw: bytes) -> int | float:
    text = raw.strip()
    if text.lstrip(b"-").isdigit():
        return int(text)
    return float(text)


class XlsxWorkbook:
    """Read-only access to the worksheets of one .xlsx file."""

    def __init__(self, file: str | IO[bytes]) -> None:
        try:
            self._zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError) as exc:
            raise NotAWorkbook(str(exc)) from exc
        # Sizes first, as declared, then counted while reading (limits.py): a zip bomb
        # is refused before any part of it is inflated.
        try:
            limits.check_declared(self._zip)
        except limits.InflatedTooLarge:
            self._zip.close()
            raise
        self._meter = limits.Meter(self._zip)
        try:
            self._sheets = self._read_sheet_index()
            self._date_styles, self._epoch = self._read_styles_and_epoch()
            self._strings: list[str] | None = None
            self._shared_strings()
        except (KeyError, ET.ParseError, ValueError, zipfile.BadZipFile) as exc:
            raise NotAWorkbook(str(exc)) from exc

    def close(self) -> None:
        self._zip.close()

    @property
    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    # --- workbook parts --------------------------------------------------------
    def _read_sheet_index(self) -> dict[str, str]:
        rels_root = ET.fromstring(self._meter.read("xl/_rels/workbook.xml.rels"))  # noqa: S314 # nosec B314 # no external entities; expat refuses entity bombs
        targets: dict[str, str] = {}
        for rel in rels_root.iter(f"{{{NS_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            targets[rel.get("Id", "")] = path
        self._shared_strings_path = next(
            (
                targets[rel.get("Id", "")]
                for rel in rels_root.iter(f"{{{NS_PKG_REL}}}Relationship")
                if rel.get("Type", "").endswith("/sharedStrings")
            ),
            None,
        )
        root = ET.fromstring(self._meter.read("xl/workbook.xml"))  # noqa: S314 # nosec B314 # no external entities; expat refuses entity bombs
        pr = root.find(f"{{{NS_MAIN}}}workbookPr")
        self._date1904 = pr is not None and pr.get("date1904", "0") in {"1", "true"}
        sheets: dict[str, str] = {}
        for sheet in root.iter(f"{{{NS_MAIN}}}sheet"):
            rid = sheet.get(f"{{{NS_REL}}}id", "")
            if rid in targets:
                sheets[sheet.get("name", "")] = targets[rid]
        return sheets

    def _read_styles_and_epoch(self) -> tuple[frozenset[int], dt.datetime]:
        epoch = CALENDAR_MAC_1904 if self._date1904 else CALENDAR_WINDOWS_1900
        try:
            root = ET.fromstring(self._meter.read("xl/styles.xml"))  # noqa: S314 # nosec B314 # no external entities; expat refuses entity bombs
        except KeyError:
            return frozenset(), epoch
        custom = {
            int(fmt.get("numFmtId", "0")): fmt.get("formatCode", "")
            for fmt in root.iter(f"{{{NS_MAIN}}}numFmt")
        }
        dates: set[int] = set()
        xfs = root.find(f"{{{NS_MAIN}}}cellXfs")
        for index, xf in enumerate(xfs if xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "General")
            if is_date_format(code):
                dates.add(index)
        return frozenset(dates), epoch

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            if self._shared_strings_path and self._shared_strings_path in self._zip.namelist():
                data = self._meter.read(self._shared_strings_path)
                prefix = _root_prefix(data[:2048], b"sst")
                p = re.escape(prefix)
                item = re.compile(rb"<" + p + rb"si\s*/>|<" + p + rb"si>(.*?)</" + p + rb"si>", re.S)
                runs = _text_pattern(prefix)
                for match in item.finditer(data):
                    body = match.group(1) or b""
                    self._strings.append("".join(_text(m) for m in runs.findall(body) if m))
        return self._strings

    # --- rows ------------------------------------------------------------------
    def rows(self, name: str) -> Iterator[tuple[int, list[Value]]]:
        path = self._sheets[name]
        info = self._zip.getinfo(path)
        strings = self._shared_strings()
        date_styles = self._date_styles
        epoch = self._epoch
        with self._meter.open(info) as stream:
            head = stream.read(CHUNK)
            prefix = _root_prefix(head[:4096], b"worksheet")
            cell_re = _cell_pattern(prefix)
            value_re = _value_pattern(prefix)
            text_re = _text_pattern(prefix)
            row_end = b"</" + prefix + b"row>"
            cell_open = (b"<" + prefix + b"c ", b"<" + prefix + b"c>", b"<" + prefix + b"c/>")
            start = head.find(b"<" + prefix + b"sheetData")
            if start < 0:
                raise Unsupported("no <sheetData> near the start")
            buffer = head[start:]
            current_no = 0
            current_ref = b""
            current: list[Value] = []
            columns = _COLUMN_INDEX
            dates: dict[bytes, Value] = {}
            while True:
                more = stream.read(CHUNK)
                if more:
                    buffer += more
                    cut = buffer.rfind(row_end)
                    if cut < 0:
                        if len(buffer) > MAX_ROW_BYTES + CHUNK:
                            raise limits.too_large_part(MAX_ROW_BYTES)
                        continue
                    cut += len(row_end)
                    part, buffer = buffer[:cut], buffer[cut:]
                else:
                    part, buffer = buffer, b""
                matches = cell_re.findall(part)
                if len(matches) != sum(part.count(tag) for tag in cell_open):
                    raise Unsupported("unrecognised cell markup")
                for letters, number, style, kind, style_after, rest, v, t, inner in matches:
                    value: Value
                    style = style or style_after
                    if rest and (b"t=" in rest or b"s=" in rest):
                        # A type or style after other attributes: not the order vouched for.
                        raise Unsupported("cell attributes in an unexpected order")
                    if v:
                        if kind == b"s":
                            value = strings[int(v)]
                        elif not kind or kind == b"n":
                            if style and int(style) in date_styles:
                                value = dates.get(v)
                                if value is None:
                                    value = dates[v] = _as_date(_number(v), epoch)
                            else:
                                value = int(v) if v.isdigit() else _number(v)
                        else:
                            value = _cell_value(
                                kind,
                                style,
                                b"<v>" + v + b"</v>",
                                strings,
                                date_styles,
                                epoch,
                                value_re,
                                text_re,
                            )
                    elif t:
                        text = t.decode("utf-8")
                        value = html.unescape(text) if "&" in text else text
                    elif inner:
                        value = _cell_value(
                            kind, style, inner, strings, date_styles, epoch, value_re, text_re
                        )
                    else:
                        continue
                    if value is None:
                        continue
                    if number != current_ref:
                        row_no = int(number)
                        if row_no < current_no:
                            raise Unsupported("rows out of order")
                        if current:
                            yield current_no, current
                        current_no, current_ref, current = row_no, number, []
                    col = columns.get(letters)
                    if col is None:
                        col = column_index(letters)
                    if col == len(current):
                        current.append(value)
                    elif col > len(current):
                        current.extend([None] * (col - len(current)))
                        current.append(value)
                    else:
                        current[col] = value
                if not more:
                    break
            if current:
                yield current_no, current


def _root_prefix(head: bytes, root: bytes) -> bytes:
    """The namespace prefix a writer used for the main namespace (b"" or b"x:")."""
    match = re.search(rb"<(\w+:)?" + root + rb"[\s>]", head)
    if match is None:
        raise Unsupported(f"no <{root.decode()}> element")
    return match.group(1) or b""


def _cell_value(
    kind: bytes,
    style: bytes,
    inner: bytes,
    strings: list[str],
    date_styles: frozenset[int],
    epoch: dt.datetime,
    value_re: re.Pattern[bytes],
    text_re: re.Pattern[bytes],
) -> Value:
    if not inner:
        return None
    if kind == b"inlineStr":
        return "".join(_text(m) for m in text_re.findall(inner) if m)
    found = value_re.search(inner)
    if found is None or found.group(1) is None:
        return None
    raw = found.group(1)
    if kind == b"s":
        try:
            return strings[int(raw)]
        except (IndexError, ValueError) as exc:
            raise Unsupported("shared string out of range") from exc
    if kind in (b"str", b"e"):
        return _text(raw)
    if kind == b"b":
        # As Excel shows a boolean; the template has no boolean columns.
        return "TRUE" if raw.strip() in (b"1", b"true") else "FALSE"
    if kind == b"d":
        try:
            return dt.datetime.fromisoformat(raw.decode().rstrip("Z"))
        except ValueError:
            return _text(raw)
    # A number (t="n" or no type).
    try:
        number = _number(raw)
    except ValueError:
        return _text(raw)
    if style and int(style) in date_styles:
        return _as_date(number, epoch)
    return number


def _as_date(number: int | float, epoch: dt.datetime) -> Value:
    """A number cell formatted as a date; a bare time of day stays a number."""
    converted: Any = from_excel(number, epoch)
    return converted if isinstance(converted, dt.datetime) else number


def decode_stream_is_utf8(stream: IO[bytes]) -> bool:
    """True when the whole byte stream decodes as UTF-8 (checked incrementally)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
