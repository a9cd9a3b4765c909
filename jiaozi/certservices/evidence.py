"""Checks of the files a holder attaches to a request (evidence, the loss notice, a photo
of the damaged certificate): PDF, JPEG or PNG recognised from the bytes, never from the
name or the browser's type; at most 5 MB; images decoded by Pillow (already installed
with reportlab) and PDFs checked for a header, a trailer and no active content. Files
are stored under random names and downloaded as attachments only (decision 0222)."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from jiaozi.core.errors import ValidationFailed

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 20_000
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSION = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z])")
_PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class CheckedFile:
    data: bytes
    content_type: str
    sha256: str
    original_name: str

    @property
    def extension(self) -> str:
        return EXTENSION[self.content_type]


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed.on_field(field, message, code="file_refused")


def _read(upload: Any, field: str) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = b""
    chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b"")
    for chunk in chunks:
        data += chunk
        if len(data) > MAX_BYTES:
            raise _refuse(field, _("文件不能超过5MB。"))
    if not data:
        raise _refuse(field, _("文件是空的，请重新选择。"))
    return data


def _pdf(data: bytes, field: str) -> None:
    tail = data[-2048:]
    if not re.search(rb"%%EOF[\s\x00]*$", tail) or b"startxref" not in tail:
        raise _refuse(field, _("该PDF文件不完整或已损坏，请重新导出后上传。"))
    syntax = _PDF_STREAM.sub(b"stream endstream", data)
    decoded = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), syntax)
    if _PDF_ACTIVE.search(decoded):
        raise _refuse(field, _("该PDF文件含有脚本或内嵌附件，请使用扫描件重新上传。"))


def _image(data: bytes, field: str, expected: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise _refuse(field, _("文件内容与格式不符，请重新拍照或扫描后上传。"))
            width, height = image.size
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                raise _refuse(field, _("图片尺寸异常，请重新拍照或扫描后上传。"))
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(field, _("图片不完整或已损坏，请重新拍照后上传。")) from None


def check_upload(upload: Any, *, field: str) -> CheckedFile:
    """The upload's bytes and type after the checks; ``ValidationFailed`` on ``field``."""
    data = _read(upload, field)
    if re.match(rb"%PDF-[12]\.[0-9]", data[:8]):
        _pdf(data, field)
        content_type = PDF
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        _image(data, field, "PNG")
        content_type = PNG
    elif data.startswith(b"\xff\xd8\xff"):
        _image(data, field, "JPEG")
        content_type = JPEG
    else:
        raise _refuse(field, _("只能上传PDF、JPG或PNG格式的文件。"))
    name = str(getattr(upload, "name", "") or "file")[-100:]
    return CheckedFile(data, content_type, hashlib.sha256(data).hexdigest(), name)
