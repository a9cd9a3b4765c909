"""Application materials (§4 "Materials", SECURITY 24): uploads checked by content,
size-limited, stored under random names outside the web root, downloaded as
attachments only through a permission check.

- ``material_upload(*, applicant, application_id, kind, file)`` — the applicant's own
  application in DRAFT or RETURNED; PDF, JPEG or PNG recognised from the bytes (never
  from the name or the browser's content type) and checked for a sound structure: a
  renamed executable, a truncated file or a PDF carrying scripts is refused.
- ``material_delete(*, applicant, material_id)`` — same status rule.
- ``material_get_for_download(*, user, pk)`` — the applicant's own material, or a
  reviewer's whose jurisdiction covers the application's school; anything else
  (other staff included) is ``NotFound``, as if it did not exist.
- ``material_response(material)`` — the HTTP answer both the applicant's and the
  reviewers' download views return.

The file is checked without an image library (Pillow is not a dependency): signatures,
chunk and segment structure, and the PDF header and trailer. The checks refuse what is
not a document; they do not make a document safe to render, which is why downloads are
attachments with ``nosniff`` and never shown inline.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, ValidationFailed
from jiaozi.orgs.jurisdiction import scope_q

from ..models import Application, Material
from ..permissions import can_read_applications
from ..workflow import Status

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Enough for every §4 material several times over; stops a script filling the disk.
DEFAULT_MAX_FILES = 30
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
ALLOWED_TYPES = (PDF, JPEG, PNG)
_EXTENSION = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}

# Images larger than this in either direction are not scans of a paper document.
MAX_IMAGE_SIDE = 20_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# Start-of-frame markers carry the image size (C4 DHT, C8 JPG, CC DAC are not frames).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# PDF names that run code or carry files; "#xx" escapes are decoded before the search.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z])")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Stream bodies are (mostly compressed) binary where any three bytes may spell "/JS":
# the search for active content skips them.
_PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)


def max_bytes() -> int:
    return int(getattr(settings, "REGISTRATION_MATERIAL_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_files() -> int:
    return int(getattr(settings, "REGISTRATION_MATERIAL_MAX_FILES", DEFAULT_MAX_FILES))


# --- Content checks ---------------------------------------------------------------


class ContentRefused(ValueError):
    """The bytes are not an acceptable PDF, JPEG or PNG; the message says why."""


def _refuse_type() -> ContentRefused:
    return ContentRefused(_("只能上传PDF、JPG或PNG格式的文件，请将材料扫描或拍照后重新上传。"))


def _refuse_damaged(kind: str) -> ContentRefused:
    return ContentRefused(_("该%(kind)s文件不完整或已损坏，请重新导出或重新拍照后上传。") % {"kind": kind})


def _check_pdf(data: bytes) -> None:
    # The header starts the file; the trailer (startxref … %%EOF) ends it, allowing
    # the trailing whitespace writers add. Incremental updates append more trailers,
    # so only the last one is required here.
    if not re.match(rb"%PDF-[12]\.[0-9]", data[:8]):
        raise _refuse_type()
    tail = data[-2048:]
    if not re.search(rb"%%EOF[\s\x00]*$", tail) or b"startxref" not in tail:
        raise _refuse_damaged("PDF")
    if not re.search(rb"\d+\s+\d+\s+obj\b", data):
        raise _refuse_damaged("PDF")
    # Only the object syntax outside streams is searched: scripts hidden inside
    # compressed object streams pass this check, which is why downloads are never shown
    # inline (see the module's docstring).
    syntax = _PDF_STREAM.sub(b"stream endstream", data)
    decoded = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), syntax)
    if _PDF_ACTIVE.search(decoded):
        raise ContentRefused(
            _("该PDF文件含有脚本、表单或内嵌附件，请使用“打印为PDF”或扫描件重新生成后上传。")
        )


def _check_png(data: bytes) -> None:
    if not data.startswith(_PNG_SIGNATURE):
        raise _refuse_type()
    # Walk every chunk: length, type, data, CRC. IHDR first, IEND last, nothing after.
    pos = len(_PNG_SIGNATURE)
    first = True
    seen_idat = False
    while True:
        if pos + 12 > len(data):
            raise _refuse_damaged("PNG")
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise _refuse_damaged("PNG")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise _refuse_damaged("PNG")
        if first:
            if ctype != b"IHDR" or length != 13:
                raise _refuse_damaged("PNG")
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
                raise ContentRefused(_("图片尺寸异常，请重新拍照或扫描后上传。"))
            if depth not in (1, 2, 4, 8, 16) or colour not in (0, 2, 3, 4, 6):
                raise _refuse_damaged("PNG")
            first = False
        elif ctype == b"IDAT":
            seen_idat = True
        elif ctype == b"IEND":
            if end != len(data) or not seen_idat:
                raise _refuse_damaged("PNG")
            return
        pos = end


def _check_jpeg(data: bytes) -> None:
    if not data.startswith(b"\xff\xd8\xff"):
        raise _refuse_type()
    # Some cameras pad after the end-of-image marker; it must be near the end.
    if b"\xff\xd9" not in data[-512:]:
        raise _refuse_damaged("JPG")
    # Walk the header segments up to the start of scan; a frame header must come first
    # and give a sensible size.
    pos = 2
    size: tuple[int, int] | None = None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise _refuse_damaged("JPG")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2 or pos + 2 + length > len(data):
            raise _refuse_damaged("JPG")
        if marker in _JPEG_SOF:
            if length < 7:
                raise _refuse_damaged("JPG")
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (width, height)
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            break
        pos += 2 + length
    else:
        raise _refuse_damaged("JPG")
    if size is None:
        raise _refuse_damaged("JPG")
    width, height = size
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        raise ContentRefused(_("图片尺寸异常，请重新拍照或扫描后上传。"))


def sniff(data: bytes) -> str:
    """The content type of ``data`` (PDF, JPEG or PNG) after its structure checks;
    ``ContentRefused`` with the reason otherwise."""
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return PDF
    if data.startswith(_PNG_SIGNATURE):
        _check_png(data)
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        _check_jpeg(data)
        return JPEG
    raise _refuse_type()


def _read_limited(file: Any, limit: int) -> bytes:
    """The upload's bytes, reading at most ``limit + 1`` so an oversized upload is
    noticed without holding all of it."""
    chunks: list[bytes] = []
    total = 0
    if hasattr(file, "seek"):
        file.seek(0)
    iterator: Iterable[bytes] = (
        file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(65536), b"")
    )
    for chunk in iterator:
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            break
    return b"".join(chunks)


def clean_original_name(name: str, content_type: str) -> str:
    """The uploader's file name for display and the download's suggested name: no path,
    no control characters, at most 100 characters, and the extension of the real
    content type."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:100] or _("材料")
    return stem + _EXTENSION[content_type]


def _too_large(limit: int) -> ValidationFailed:
    return ValidationFailed.on_field(
        "file",
        _("文件超过%(mb)s MB，请压缩或分页后再上传。") % {"mb": f"{limit / (1024 * 1024):g}"},
        code="file_too_large",
    )


# --- Upload and delete ------------------------------------------------------------------


def _own_application(*, applicant: User, application_id: Any) -> Application:
    try:
        return Application.objects.get(pk=application_id, applicant=applicant)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("申请不存在。")) from None


# Evidence for a review of a 暂缓注册 / 注册不合格 conclusion (§5 申请复核) is uploaded
# after the notice, while the application waits for the city or the province.
REVIEW_EVIDENCE_STATUSES = frozenset({Status.CITY_RECHECK, Status.PROVINCE_REVIEW})


def _check_editable(application: Application, kind: str = "") -> None:
    if (
        kind == Material.Kind.REVIEW_EVIDENCE
        and application.status in REVIEW_EVIDENCE_STATUSES
        and application.conclusion in ("deferred", "unqualified")
    ):
        return
    if application.status not in EDITABLE:
        raise Conflict(
            _("申请已提交，当前不能修改材料；被退回后可以补充或更换。"),
            code="wrong_stage",
        )


def _check_room(application: Application) -> None:
    if Material.objects.filter(application=application).count() >= max_files():
        raise ValidationFailed.on_field(
            "file",
            _("每份申请最多上传%(n)d个文件，请先删除不需要的文件。") % {"n": max_files()},
            code="too_many_files",
        )


def _lock_editable(application: Application, kind: str = "") -> None:
    """Lock the application's row until the transaction ends (PostgreSQL: a concurrent
    upload waits here; SQLite's immediate transactions already queue every writer) and
    check it is still editable: a submission that won meanwhile closes it to uploads."""
    current = (
        Application.objects.select_for_update()
        .filter(pk=application.pk)
        .values("status", "conclusion")
        .first()
    )
    if current is None:
        raise NotFound(_("申请不存在。"))
    application.status, application.conclusion = current["status"], current["conclusion"]
    _check_editable(application, kind)


def material_upload(*, applicant: User, application_id: Any, kind: str, file: Any) -> Material:
    """Store one material of the applicant's own application (DRAFT or RETURNED)."""
    application = _own_application(applicant=applicant, application_id=application_id)
    _check_editable(application, kind)
    if kind not in Material.Kind.values:
        raise ValidationFailed.on_field("kind", _("请选择材料类型。"), code="kind_invalid")
    if file is None:
        raise ValidationFailed.on_field("file", _("请选择要上传的文件。"), code="file_required")
    limit = max_bytes()
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(limit)
    data = _read_limited(file, limit)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise ValidationFailed.on_field("file", _("文件是空的，请重新选择。"), code="file_empty")
    _check_room(application)
    try:
        content_type = sniff(data)
    except ContentRefused as exc:
        raise ValidationFailed.on_field("file", str(exc), code="file_type") from None

    digest = hashlib.sha256(data).hexdigest()
    material = Material(
        application=application,
        kind=kind,
        original_name=clean_original_name(getattr(file, "name", ""), content_type),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=applicant,
        uploaded_at=clock.now(),
    )
    # The storage writes the file now under a random name (Material.upload_to); if the
    # row is not committed the file is removed again, so nothing is left unreferenced.
    material.file.save("upload", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            # Counted again under the application's lock, in the transaction that
            # inserts: uploads arriving together queue here, and the cap holds.
            _lock_editable(application, kind)
            _check_room(application)
            material.save(force_insert=True)
            audit_record(
                kind=AuditKind.MATERIAL_UPLOADED,
                actor=applicant,
                obj=material,
                details={
                    "application": application.pk,
                    "kind": kind,
                    "content_type": content_type,
                    "size": len(data),
                    "sha256": digest,
                },
            )
    except BaseException:
        material.file.delete(save=False)
        raise
    return material


def material_delete(*, applicant: User, material_id: Any) -> None:
    """Remove one material of the applicant's own application (DRAFT or RETURNED)."""
    try:
        material = Material.objects.select_related("application").get(
            pk=material_id, application__applicant=applicant
        )
    except (Material.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("材料不存在。")) from None
    _check_editable(material.application)
    name = material.file.name or ""
    storage = material.file.storage
    with transaction.atomic():
        material.delete()
        audit_record(
            kind=AuditKind.MATERIAL_DELETED,
            actor=applicant,
            object_type="registration.material",
            object_id=material_id,
            details={
                "application": material.application_id,
                "kind": material.kind,
                "sha256": material.sha256,
            },
        )
        if name:
            transaction.on_commit(lambda: storage.delete(name))


# --- Download -----------------------------------------------------------------------------


def material_list_for(*, application: Application) -> list[Material]:
    return list(Material.objects.filter(application=application).order_by("kind", "uploaded_at", "pk"))


def material_get_for_download(*, user: User | AnonymousUser | None, pk: Any) -> Material:
    """The material, if ``user`` may read it: the applicant of its application, or a
    reviewer whose jurisdiction covers the application's school. Everything else —
    another applicant's, out of scope, staff of another duty, missing — is
    ``NotFound``. Each download is audited."""
    actor = actor_of(user)
    if not actor.is_authenticated or not actor.is_active:
        raise NotFound(_("材料不存在。"))
    materials = Material.objects.select_related("application")
    if actor.is_staff:
        if not can_read_applications(actor=user):
            raise NotFound(_("材料不存在。"))
        materials = materials.filter(scope_q(user, path_field="application__school__path"))
    else:
        materials = materials.filter(application__applicant=actor.user)
    try:
        material = materials.get(pk=pk)
    except (Material.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("材料不存在。")) from None
    audit_record(
        kind=AuditKind.MATERIAL_DOWNLOADED,
        actor=user,
        obj=material,
        details={"application": material.application_id, "kind": material.kind},
    )
    return material


@dataclass(frozen=True)
class _Verified:
    data: bytes


def _read_verified(material: Material) -> _Verified:
    with material.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != material.sha256:
        # The stored bytes are not what was uploaded: never hand them out.
        raise Conflict(_("材料文件校验失败，请联系系统管理员。"), code="material_corrupt")
    return _Verified(data)


def material_response(material: Material) -> FileResponse:
    """The download: an attachment with the checked content type, its stored name,
    ``nosniff`` and ``no-store`` (personal documents stay out of caches). The bytes are
    compared with the SHA-256 recorded at upload first."""
    from io import BytesIO

    verified = _read_verified(material)
    response = FileResponse(
        BytesIO(verified.data),
        as_attachment=True,
        filename=material.original_name,
        content_type=material.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
