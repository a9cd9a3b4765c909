"""Announcement attachments: checked by content like the registration materials
(``registration.applications.materials.sniff`` for PDF, JPEG and PNG), plus the two
office formats government notices attach (an .xlsx of contact details, a .docx form),
which are opened as ZIP archives and checked part by part: the archive is sound, it holds
the main part of its kind, carries no macros, and does not expand beyond a cap (a ZIP
bomb is refused before it is read).

Stored under random names outside the web root (``Attachment.file``), served by the app
as an attachment with ``nosniff``; the bytes are compared with the SHA-256 recorded at
upload before they leave."""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _

from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.registration.applications.materials import ContentRefused, sniff

from .models import Attachment

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_FILES = 10
# An office file larger than this once expanded is not a notice's attachment.
MAX_EXPANDED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ALLOWED_TYPES = (PDF, JPEG, PNG, XLSX, DOCX)
EXTENSION = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", XLSX: ".xlsx", DOCX: ".docx"}
# The part each office kind must hold, and the content type its [Content_Types].xml names.
_OFFICE_MAIN = {
    XLSX: ("xl/workbook.xml", b"spreadsheetml.sheet.main+xml"),
    DOCX: ("word/document.xml", b"wordprocessingml.document.main+xml"),
}
_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")


def max_bytes() -> int:
    return int(getattr(settings, "ANNOUNCEMENT_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_files() -> int:
    return int(getattr(settings, "ANNOUNCEMENT_ATTACHMENT_MAX_FILES", DEFAULT_MAX_FILES))


def _refuse_type() -> ContentRefused:
    return ContentRefused(_("附件只能是PDF、JPG、PNG、Excel（.xlsx）或Word（.docx）文件。"))


def _check_office(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ContentRefused(_("该Office文件不完整或已损坏，请重新保存后上传。")) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_EXPANDED_BYTES:
            raise ContentRefused(_("该Office文件结构异常，请另存为新文件后上传。"))
        names = {m.filename.lower(): m.filename for m in members}
        if any(name.rsplit("/", 1)[-1] in _MACRO_PARTS for name in names):
            raise ContentRefused(_("附件含有宏，请另存为不含宏的.xlsx或.docx文件后上传。"))
        if "[content_types].xml" not in names:
            raise _refuse_type()
        try:
            types = archive.read(names["[content_types].xml"])
            for content_type, (part, marker) in _OFFICE_MAIN.items():
                if part in names and marker in types:
                    archive.read(names[part])  # CRC-checked read of the main part
                    return content_type
        except (zipfile.BadZipFile, KeyError, OSError, EOFError):
            raise ContentRefused(_("该Office文件不完整或已损坏，请重新保存后上传。")) from None
    raise _refuse_type()


def attachment_sniff(data: bytes) -> str:
    """The content type of ``data`` after its structure checks; ``ContentRefused``
    with the reason otherwise."""
    if data.startswith(b"PK\x03\x04"):
        return _check_office(data)
    try:
        return sniff(data)
    except ContentRefused as exc:
        if data.startswith((b"%PDF-", b"\x89PNG", b"\xff\xd8\xff")):
            raise
        raise _refuse_type() from exc


def read_limited(file: Any, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the upload, so an oversized one is noticed without
    holding all of it."""
    if hasattr(file, "seek"):
        file.seek(0)
    chunks: list[bytes] = []
    total = 0
    source = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(65536), b"")
    for chunk in source:
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            break
    return b"".join(chunks)


def clean_name(name: str, content_type: str) -> str:
    """The uploader's name without path or control characters, at most 100 characters,
    with the extension of the real content type."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return (stem[:100] or _("附件")) + EXTENSION[content_type]


def checked_bytes(file: Any) -> tuple[bytes, str]:
    """The upload's bytes and content type, or ``ValidationFailed`` on field ``file``."""
    if file is None:
        raise ValidationFailed.on_field("file", _("请选择要上传的附件。"), code="file_required")
    limit = max_bytes()
    declared = getattr(file, "size", None)
    data = b"" if declared is not None and declared > limit else read_limited(file, limit)
    if (declared is not None and declared > limit) or len(data) > limit:
        raise ValidationFailed.on_field(
            "file",
            _("附件超过%(mb)s MB，请压缩后再上传。") % {"mb": f"{limit / (1024 * 1024):g}"},
            code="file_too_large",
        )
    if not data:
        raise ValidationFailed.on_field("file", _("附件是空的，请重新选择。"), code="file_empty")
    try:
        return data, attachment_sniff(data)
    except ContentRefused as exc:
        raise ValidationFailed.on_field("file", str(exc), code="file_type") from None


def attachment_response(attachment: Attachment) -> FileResponse:
    """The download: an attachment with the checked type and its stored name, after the
    bytes are compared with the SHA-256 recorded at upload. Public attachments may be
    cached by the browser briefly; they are public documents."""
    with attachment.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise Conflict(_("附件文件校验失败，请联系发布机构。"), code="attachment_corrupt")
    response = FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response
