"""Caps on what an uploaded archive (an .xlsx, or a .zip of CSV files) may inflate to.

A few hundred kilobytes of deflate can inflate to gigabytes: a zip bomb. Every member
is checked twice (docs/decisions/0163-decompression-caps.md):

- **declared**, before anything is read (``check_declared``): the number of members,
  each member's uncompressed size as the central directory states it, and their sum,
  against the caps below;
- **counted**, while reading (``Meter``): the bytes actually inflated per member and in
  total, because a header can lie. (Python's ``zipfile`` already stops a member at its
  declared size and then fails its CRC; counting does not rely on that.)

The caps are settings (``TEACHER_IMPORT_MAX_*``, .env.example) with defaults sized on
the 100,000-teacher benchmark file: 56 MB compressed, ≈ 360 MB inflated, its largest
worksheet ≈ 155 MB, its shared strings ≈ 11 MB, every other part a few kilobytes.

- a worksheet or a CSV file (streamed in chunks): 1 GiB each;
- the shared-string table (read whole, kept in memory): 128 MiB;
- every other part (workbook, relationships, styles, … read whole): 16 MiB each;
- all members together: 2 GiB; at most 1,000 members.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

CODE = "file_inflated_too_large"
MIB = 1024 * 1024
DEFAULT_MAX_INFLATED_BYTES = 2048 * MIB
DEFAULT_MAX_SHEET_BYTES = 1024 * MIB
DEFAULT_MAX_SHARED_STRINGS_BYTES = 128 * MIB
DEFAULT_MAX_PART_BYTES = 16 * MIB
DEFAULT_MAX_MEMBERS = 1000
READ_CHUNK = 1 * MIB


class InflatedTooLarge(Exception):
    """The archive inflates beyond a cap; the message is for users, ``code`` for the API."""

    code = CODE


@dataclass(frozen=True, slots=True)
class Caps:
    total: int
    sheet: int
    shared_strings: int
    part: int
    members: int

    @classmethod
    def from_settings(cls) -> Caps:
        def get(name: str, default: int) -> int:
            return int(getattr(settings, name, default))

        return cls(
            total=get("TEACHER_IMPORT_MAX_INFLATED_BYTES", DEFAULT_MAX_INFLATED_BYTES),
            sheet=get("TEACHER_IMPORT_MAX_SHEET_BYTES", DEFAULT_MAX_SHEET_BYTES),
            shared_strings=get("TEACHER_IMPORT_MAX_SHARED_STRINGS_BYTES", DEFAULT_MAX_SHARED_STRINGS_BYTES),
            part=get("TEACHER_IMPORT_MAX_PART_BYTES", DEFAULT_MAX_PART_BYTES),
            members=get("TEACHER_IMPORT_MAX_MEMBERS", DEFAULT_MAX_MEMBERS),
        )

    def for_member(self, name: str) -> int:
        """The cap of one member, by what it is."""
        lower = name.lower()
        if lower.endswith(".csv") or (lower.startswith("xl/worksheets/") and lower.endswith(".xml")):
            return self.sheet
        if lower.startswith("xl/") and lower.rsplit("/", 1)[-1] == "sharedstrings.xml":
            return self.shared_strings
        return self.part


def _mb(size: int) -> str:
    return f"{size / MIB:g}"


def too_large_part(limit: int) -> InflatedTooLarge:
    return InflatedTooLarge(
        _(
            "文件解压后过大：其中一个部分超过 %(mb)s MB，不是正常的导入文件，未导入任何数据。"
            "请按模板分批导入。"
        )
        % {"mb": _mb(limit)}
    )


def too_large_total(limit: int) -> InflatedTooLarge:
    return InflatedTooLarge(
        _("文件解压后过大：超过 %(mb)s MB，不是正常的导入文件，未导入任何数据。请按模板分批导入。")
        % {"mb": _mb(limit)}
    )


def too_many_members(limit: int) -> InflatedTooLarge:
    return InflatedTooLarge(
        _("压缩包中的文件过多（上限 %(n)d 个），不是正常的导入文件，未导入任何数据。") % {"n": limit}
    )


_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_EOCD_SEARCH = 22 + 65535  # the record and the longest comment


def check_member_count(file: str | IO[bytes] | Any, caps: Caps | None = None) -> None:
    """Refuse an archive whose end-of-directory record announces more members than the
    cap, before ``zipfile`` builds an object per member (two million empty members fit
    in an upload and would take gigabytes). Anything unparsable is left to ``zipfile``."""
    caps = caps or Caps.from_settings()
    if isinstance(file, str):
        with open(file, "rb") as handle:
            count = _declared_count(handle)
    else:
        try:
            count = _declared_count(file)
        finally:
            file.seek(0)
    if count is not None and count > caps.members:
        raise too_many_members(caps.members)


def _declared_count(handle: IO[bytes]) -> int | None:
    import struct

    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    start = max(0, size - _EOCD_SEARCH)
    handle.seek(start)
    tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        return None
    (count,) = struct.unpack("<H", tail[at + 10 : at + 12])
    if count != 0xFFFF:
        return int(count)
    # ZIP64: the locator just before the record points at the ZIP64 record.
    locator = tail[at - 20 : at] if at >= 20 else b""
    if not locator.startswith(_ZIP64_LOCATOR):
        return None
    (offset,) = struct.unpack("<Q", locator[8:16])
    handle.seek(offset)
    record = handle.read(56)
    if len(record) < 40 or not record.startswith(b"PK\x06\x06"):
        return None
    (count64,) = struct.unpack("<Q", record[32:40])
    return int(count64)


def check_declared(archive: zipfile.ZipFile, caps: Caps | None = None) -> None:
    """Refuse the archive on what its central directory declares, before reading it."""
    caps = caps or Caps.from_settings()
    members = archive.infolist()
    if len(members) > caps.members:
        raise too_many_members(caps.members)
    total = 0
    for info in members:
        limit = caps.for_member(info.filename)
        if info.file_size > limit:
            raise too_large_part(limit)
        total += info.file_size
        if total > caps.total:
            raise too_large_total(caps.total)


def check_upload(file: IO[bytes] | Any) -> None:
    """``check_declared`` on an uploaded .xlsx or .zip; a file that is not a zip is
    left for the reader to refuse with its own message."""
    check_member_count(file)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError):
        return
    finally:
        if hasattr(file, "seek"):
            file.seek(0)
    try:
        check_declared(archive)
    finally:
        archive.close()
        if hasattr(file, "seek"):
            file.seek(0)


class Meter:
    """Counts the bytes inflated out of one archive, per member and in total, and
    refuses past the caps. A member read twice (a CSV's encoding probe, then its rows)
    counts once, at the most read of it."""

    def __init__(self, archive: zipfile.ZipFile, caps: Caps | None = None) -> None:
        self.archive = archive
        self.caps = caps or Caps.from_settings()
        self._seen: dict[str, int] = {}
        self._total = 0

    def open(self, member: str | zipfile.ZipInfo) -> IO[bytes]:
        """The member as a buffered stream that counts what it inflates."""
        info = member if isinstance(member, zipfile.ZipInfo) else self.archive.getinfo(member)
        raw = _Counted(self, info.filename, self.caps.for_member(info.filename), self.archive.open(info))
        return io.BufferedReader(raw, buffer_size=READ_CHUNK)

    def read(self, member: str | zipfile.ZipInfo) -> bytes:
        """The whole member (a part read at once), within its cap."""
        with self.open(member) as stream:
            return stream.read()

    def _count(self, name: str, read: int, limit: int) -> None:
        if read > limit:
            raise too_large_part(limit)
        before = self._seen.get(name, 0)
        if read > before:
            self._seen[name] = read
            self._total += read - before
            if self._total > self.caps.total:
                raise too_large_total(self.caps.total)


class _Counted(io.RawIOBase):
    def __init__(self, meter: Meter, name: str, limit: int, stream: IO[bytes]) -> None:
        super().__init__()
        self._meter = meter
        self._name = name
        self._limit = limit
        self._stream = stream
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view))
        n = len(data)
        view[:n] = data
        self._read += n
        self._meter._count(self._name, self._read, self._limit)
        return n

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()
