"""The applicant's photo (§6): a recent bare-headed front photo, JPEG or PNG, at most
200 KB, between 295×413 and 1000×1400 pixels, portrait about 3:4
(docs/decisions/0206). Checked from the bytes, not the name or the browser's type;
the dimensions are read from the header before any pixel is decoded."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from jiaozi.core.errors import NotFound, ValidationFailed

MAX_BYTES = 200 * 1024
MIN_SIZE = (295, 413)
MAX_SIZE = (1000, 1400)
RATIO = (0.65, 0.82)  # width / height
FORMATS = {"JPEG": "jpg", "PNG": "png"}


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    extension: str
    width: int
    height: int
    size: int


def _refuse(message: str, code: str) -> ValidationFailed:
    return ValidationFailed.on_field("photo", message, code=code)


def photo_check(file: Any) -> PhotoInfo:
    """Read at most ``MAX_BYTES`` + 1 bytes of ``file`` and check them; rewinds it."""
    file.seek(0)
    data = file.read(MAX_BYTES + 1)
    file.seek(0)
    if len(data) > MAX_BYTES:
        raise _refuse(_("照片不能超过200KB。"), "photo_too_large")
    if not data:
        raise _refuse(_("照片文件为空。"), "photo_empty")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format or "", image.size
            if kind not in FORMATS:
                raise _refuse(_("照片须为JPG或PNG格式。"), "photo_format")
            if width > MAX_SIZE[0] or height > MAX_SIZE[1] or width < MIN_SIZE[0] or height < MIN_SIZE[1]:
                raise _refuse(
                    _("照片尺寸须在295×413至1000×1400像素之间，当前为%(w)d×%(h)d。")
                    % {"w": width, "h": height},
                    "photo_dimensions",
                )
            if not RATIO[0] <= width / height <= RATIO[1]:
                raise _refuse(_("照片须为竖版，宽高比约为3:4。"), "photo_dimensions")
            image.verify()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("照片须为JPG或PNG格式，且文件完好。"), "photo_format") from None
    return PhotoInfo(FORMATS[kind], width, height, len(data))


def photo_response(application: Any) -> HttpResponse:
    """The stored photo of ``application`` (the caller has authorised it)."""
    if not application.photo:
        raise NotFound(_("尚未上传照片。"))
    try:
        with application.photo.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except (FileNotFoundError, OSError):
        raise NotFound(_("照片文件不存在。")) from None
    content_type = "image/png" if application.photo.name.lower().endswith(".png") else "image/jpeg"
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
