"""Queuing a teacher import from an uploaded file: check the file, store it, and queue
the Celery task that runs it (``tasks.import_job_run_task`` → ``services.import_job_run``).
Kept apart from ``services`` so the task's body sits below the task and the code that
queues it above, with no import in a circle."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from jiaozi.core.errors import PermissionDenied, ValidationFailed

from .importing import limits
from .models import ImportJob
from .permissions import can_import_teachers
from .tasks import import_job_run_task

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

MAX_UPLOAD_BYTES = getattr(settings, "TEACHER_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
UPLOAD_SUFFIXES = (".xlsx", ".zip", ".csv")


def _sniff(upload: UploadedFile) -> None:
    name = (upload.name or "").lower()
    if not name.endswith(UPLOAD_SUFFIXES):
        raise ValidationFailed(
            _("请上传 .xlsx 工作簿，或以工作表命名的 CSV 文件（可打包为 .zip）。"), code="file_type"
        )
    if upload.size is None or upload.size == 0:
        raise ValidationFailed(_("文件为空。"), code="file_empty")
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            _("文件过大（上限 %(mb)s MB）。") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="file_too_large",
        )
    upload.seek(0)
    head = upload.read(65536)
    upload.seek(0)
    # By content, never by name alone: a workbook or .zip starts with a zip header; a
    # CSV is text without NUL bytes.
    if name.endswith((".xlsx", ".zip")):
        if not head.startswith(b"PK\x03\x04"):
            raise ValidationFailed(_("文件内容不是有效的 .xlsx 或 .zip 文件。"), code="file_content")
        # A zip bomb is refused now, on the sizes its directory declares; the reader
        # counts again while inflating (importing/limits.py).
        try:
            limits.check_upload(upload)
        except limits.InflatedTooLarge as exc:
            raise ValidationFailed(str(exc), code=exc.code) from None
    elif b"\x00" in head or head.startswith(b"PK\x03\x04"):
        raise ValidationFailed(_("文件内容不是文本格式的 CSV 文件。"), code="file_content")


def import_job_create(*, actor: User, upload: UploadedFile) -> ImportJob:
    """Store the upload and queue the import (run at commit, so the worker finds the
    job; inline when Celery runs eagerly). The file is written first; if the job's row
    is not committed with it, the file is removed again: an upload holds personal data
    in clear and is never left behind unreferenced."""
    if not can_import_teachers(user=actor):
        raise PermissionDenied(_("您无权导入教师数据。"))
    _sniff(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    job = ImportJob(
        created_by=actor,
        institution=actor.institution,
        original_name=Path(upload.name or "upload").name[:255],
        size=upload.size or 0,
        sha256=digest.hexdigest(),
    )
    job.file.save(job.original_name, upload, save=False)
    try:
        with transaction.atomic():
            job.save(force_insert=True)
            transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    except BaseException:
        job.file.delete(save=False)
        raise
    return job
