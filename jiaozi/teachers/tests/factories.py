"""Factories of teacher records (any app may use them).

teacher = TeacherFactory(school=school("3401030901"))
CertificateFactory(teacher=teacher, number=certificate_number(1))
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from jiaozi.certificates.models import Certificate, CertificateStatus, Conclusion
from jiaozi.orgs.tests.factories import LUYANG, school

from ..models import EmploymentType, PostType, Sex, Teacher
from .workbook import certificate_number, resident_id


class TeacherFactory(DjangoModelFactory[Teacher]):
    class Meta:
        model = Teacher

    resident_id = factory.Sequence(
        lambda n: resident_id(n, area="340104", birth=dt.date(1980, 1, 1) + dt.timedelta(days=n // 500))
    )
    name = factory.Sequence(lambda n: f"教师{n}")
    sex = Sex.MALE
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    school = factory.LazyFunction(lambda: school("3401030901", LUYANG))
    post_type = PostType.FULL_TIME
    employment_type = EmploymentType.PUBLIC_ESTABLISHED
    probation_passed_on = dt.date(2012, 8, 31)


class CertificateFactory(DjangoModelFactory[Certificate]):
    class Meta:
        model = Certificate

    teacher = factory.SubFactory(TeacherFactory)
    number = factory.Sequence(lambda n: certificate_number(900_000 + n))
    qualification_type = "3"
    subject = "语文"
    status = CertificateStatus.VALID
    last_conclusion = Conclusion.QUALIFIED
    valid_from = dt.date(2019, 12, 1)
    valid_to = dt.date(2024, 11, 30)


def make_teacher(**kwargs: Any) -> Teacher:
    return cast(Teacher, TeacherFactory(**kwargs))


def make_certificate(**kwargs: Any) -> Certificate:
    return cast(Certificate, CertificateFactory(**kwargs))
