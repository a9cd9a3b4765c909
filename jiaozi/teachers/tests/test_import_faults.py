"""Faults injected after the state write (issue 14, deliverable 5): an import or the
queuing of one that fails half-way leaves no teacher, no certificate, no job and no
stored upload behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import Certificate
from jiaozi.teachers import services, uploads
from jiaozi.teachers.models import ImportJob, Teacher, TrainingRecord
from jiaozi.teachers.tests.workbook import TemplateBook

pytestmark = pytest.mark.django_db


class Injected(RuntimeError):
    pass


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _book(staff: User) -> bytes:
    book = TemplateBook()
    assert staff.institution is not None
    book.full_teacher(school=staff.institution.code)
    return book.xlsx()


def _fail_on_success(monkeypatch: pytest.MonkeyPatch) -> None:
    """The success audit row is the import's last write, after every teacher row."""
    original = services.audit_record

    def audit(**kwargs: Any) -> Any:
        if kwargs.get("outcome") == AuditEvent.Outcome.SUCCESS:
            assert Teacher.objects.exists()  # the state was written
            raise Injected
        return original(**kwargs)

    monkeypatch.setattr(services, "audit_record", audit)


def test_an_import_failing_after_its_writes_is_rolled_back_whole(
    school_a_staff: User, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fail_on_success(monkeypatch)
    path = tmp_path / "t.xlsx"
    path.write_bytes(_book(school_a_staff))

    with pytest.raises(Injected):
        services.teacher_import(actor=school_a_staff, file=path)

    assert not Teacher.objects.exists()
    assert not Certificate.objects.exists()
    assert not TrainingRecord.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.TEACHER_IMPORTED).exists()


def test_a_job_failing_after_the_writes_ends_failed_with_nothing_imported(
    school_a_staff: User, monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    _fail_on_success(monkeypatch)
    job = ImportJob(created_by=school_a_staff, institution=school_a_staff.institution, original_name="a.xlsx")
    job.file.save("a.xlsx", ContentFile(_book(school_a_staff)), save=False)
    job.save()

    done = services.import_job_run(job_id=job.pk)

    assert done is not None
    assert done.status == ImportJob.Status.FAILED
    assert done.message == "导入过程中出现系统错误，未导入任何数据，请联系系统管理员。"
    assert not Teacher.objects.exists()
    assert not Certificate.objects.exists()
    assert _files(media) == []  # the upload (personal data) is gone all the same


def test_queuing_that_fails_after_the_job_row_leaves_no_job_and_no_stored_upload(
    school_a_staff: User, monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    def on_commit(_callback: Any) -> None:
        assert ImportJob.objects.exists()  # the job row was written
        raise Injected

    monkeypatch.setattr(uploads.transaction, "on_commit", on_commit)

    with pytest.raises(Injected):
        uploads.import_job_create(
            actor=school_a_staff, upload=SimpleUploadedFile("教师.xlsx", _book(school_a_staff))
        )

    assert not ImportJob.objects.exists()
    assert _files(media) == []


def test_a_database_error_mid_batch_rolls_the_import_back_whole(
    school_a_staff: User, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The teachers are written, then the database fails on the training records."""
    from django.db import DatabaseError

    from jiaozi.teachers import bulk

    original = bulk.insert

    def insert(model: Any, fields: Any, rows: Any) -> None:
        if model is TrainingRecord:
            assert Teacher.objects.exists()
            raise DatabaseError("disk I/O error")
        original(model, fields, rows)

    monkeypatch.setattr(bulk, "insert", insert)
    path = tmp_path / "t.xlsx"
    path.write_bytes(_book(school_a_staff))

    with pytest.raises(DatabaseError):
        services.teacher_import(actor=school_a_staff, file=path)

    assert not Teacher.objects.exists()
    assert not Certificate.objects.exists()
    assert not TrainingRecord.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.TEACHER_IMPORTED).exists()
