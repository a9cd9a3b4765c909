"""The school's own edits: compare-and-set, audit, rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.orgs.models import Institution
from jiaozi.teachers import services
from jiaozi.teachers.models import ImportJob, Teacher
from jiaozi.teachers.tests.factories import make_teacher
from jiaozi.teachers.tests.workbook import resident_id

pytestmark = pytest.mark.django_db

FACTS: dict[str, Any] = {
    "name": "赵老师",
    "sex": "male",
    "phone": "13700000000",
    "post_type": "full_time",
    "employment_type": "public_established",
    "health": "fit",
    "probation_passed_on": dt.date(2015, 8, 31),
}


def test_create_checks_the_resident_id_and_its_sex(school_a_staff: User) -> None:
    with pytest.raises(ValidationFailed) as bad:
        services.teacher_create(actor=school_a_staff, resident_id=resident_id(1)[:-1] + "0", **FACTS)
    assert "resident_id" in bad.value.field_errors
    with pytest.raises(ValidationFailed) as wrong_sex:
        services.teacher_create(actor=school_a_staff, resident_id=resident_id(1, sex="女"), **FACTS)
    assert wrong_sex.value.field_errors == {"sex": ["性别与身份证号不符"]}
    assert not Teacher.objects.exists()


def test_create_refuses_a_teacher_registered_anywhere(school_a_staff: User, school_b: Institution) -> None:
    existing = make_teacher(school=school_b)
    with pytest.raises(ValidationFailed) as taken:
        services.teacher_create(actor=school_a_staff, resident_id=existing.resident_id, **FACTS)
    assert "resident_id" in taken.value.field_errors


def test_update_is_compare_and_set(school_a_staff: User, school_a: Institution) -> None:
    teacher = make_teacher(school=school_a)
    services.teacher_update(actor=school_a_staff, pk=teacher.pk, version=1, **{**FACTS, "name": "甲"})
    with pytest.raises(Conflict):
        services.teacher_update(actor=school_a_staff, pk=teacher.pk, version=1, **{**FACTS, "name": "乙"})
    teacher.refresh_from_db()
    assert (teacher.name, teacher.version) == ("甲", 2)
    assert (
        Teacher.objects.filter(
            phone_bidx=Teacher._meta.get_field("phone").lookup("13700000000")["phone_bidx"]
        ).get()
        == teacher
    )  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(kind=AuditKind.TEACHER_UPDATED).count() == 1


def test_edits_of_another_schools_teacher(school_a_staff: User, school_b: Institution) -> None:
    teacher = make_teacher(school=school_b)
    with pytest.raises(NotFound):
        services.annual_appraisal_set(
            actor=school_a_staff, teacher_id=teacher.pk, version=1, year=2023, grade="qualified"
        )


def test_county_reviewer_may_read_but_not_edit(county_a_reviewer: User, school_a: Institution) -> None:
    teacher = make_teacher(school=school_a)
    with pytest.raises(PermissionDenied):
        services.training_record_add(
            actor=county_a_reviewer,
            teacher_id=teacher.pk,
            version=1,
            date=dt.date(2023, 1, 1),
            hours=Decimal(8),
            programme="x",
        )
    assert services.teacher_reveal_resident_id(actor=county_a_reviewer, pk=teacher.pk) == teacher.resident_id


def test_appraisal_set_corrects_the_year(school_a_staff: User, school_a: Institution) -> None:
    teacher = make_teacher(school=school_a)
    services.annual_appraisal_set(
        actor=school_a_staff, teacher_id=teacher.pk, version=1, year=2023, grade="basic"
    )
    services.annual_appraisal_set(
        actor=school_a_staff, teacher_id=teacher.pk, version=2, year=2023, grade="excellent"
    )
    assert list(teacher.annual_appraisals.values_list("year", "grade")) == [(2023, "excellent")]


def test_training_and_breaks_keep_their_import_keys(school_a_staff: User, school_a: Institution) -> None:
    teacher = make_teacher(school=school_a)
    services.training_record_add(
        actor=school_a_staff,
        teacher_id=teacher.pk,
        version=1,
        date=dt.date(2023, 7, 1),
        hours=Decimal(8),
        programme="国培",
    )
    with pytest.raises(ValidationFailed) as again:
        services.training_record_add(
            actor=school_a_staff,
            teacher_id=teacher.pk,
            version=2,
            date=dt.date(2023, 7, 1),
            hours=Decimal(4),
            programme="国培",
        )
    assert again.value.field_errors == {"programme": ["该日期的同名培训已登记"]}
    with pytest.raises(ValidationFailed) as order:
        services.teaching_break_add(
            actor=school_a_staff,
            teacher_id=teacher.pk,
            version=2,
            start=dt.date(2023, 7, 1),
            end=dt.date(2023, 6, 1),
            reason="",
            approved=False,
        )
    assert order.value.field_errors == {"end": ["结束日期不能早于开始日期"]}


def test_a_job_runs_once(school_a_staff: User, tmp_path: Any, settings: Any) -> None:
    from django.core.files.base import ContentFile

    from jiaozi.teachers.tests.workbook import TemplateBook

    settings.MEDIA_ROOT = tmp_path
    book = TemplateBook()
    assert school_a_staff.institution is not None
    book.teacher(school=school_a_staff.institution.code)
    job = ImportJob(created_by=school_a_staff, institution=school_a_staff.institution, original_name="a.xlsx")
    job.file.save("a.xlsx", ContentFile(book.xlsx()), save=False)
    job.save()
    stored = Path(job.file.path)
    assert stored.exists()
    first = services.import_job_run(job_id=job.pk)
    assert first is not None
    assert first.status == ImportJob.Status.SUCCEEDED
    assert services.import_job_run(job_id=job.pk) is None
    assert Teacher.objects.count() == 1
    assert not stored.exists()


def test_a_job_of_a_user_who_lost_the_role_does_nothing(school_a_staff: User) -> None:
    job = ImportJob.objects.create(
        created_by=school_a_staff, institution=school_a_staff.institution, original_name="a.xlsx"
    )
    User.objects.filter(pk=school_a_staff.pk).update(role="confirmation_user")
    done = services.import_job_run(job_id=job.pk)
    assert done is not None
    assert (done.status, done.message) == (ImportJob.Status.FAILED, "导入人已无导入权限，未导入。")
