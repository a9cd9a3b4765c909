"""Factories for the certificates tests: a teacher with a certificate in the registry
(at a 庐阳区 school by default) and verification tokens for it."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from jiaozi.certificates.models import (
    Certificate,
    CertificateStatus,
    Conclusion,
    QualificationType,
    VerificationToken,
)
from jiaozi.core import clock, idcard
from jiaozi.orgs.tests.factories import LUYANG, bureau, school
from jiaozi.teachers.models import EmploymentType, PostType, Sex, Teacher


class TeacherFactory(DjangoModelFactory):
    class Meta:
        model = Teacher

    resident_id = factory.Sequence(lambda n: idcard.make(f"34010419900101{n % 1000:03d}"))
    name = factory.Sequence(lambda n: f"张三{n}")
    sex = Sex.MALE
    school = factory.LazyFunction(lambda: school("3401030001", name="合肥市第一中学"))
    post_type = PostType.FULL_TIME
    employment_type = EmploymentType.PUBLIC_ESTABLISHED
    probation_passed_on = dt.date(2013, 9, 1)


class CertificateFactory(DjangoModelFactory):
    class Meta:
        model = Certificate

    number = factory.Sequence(lambda n: f"20123401041{n:06d}")
    teacher = factory.SubFactory(TeacherFactory)
    qualification_type = QualificationType.SENIOR
    subject = "数学"
    status = CertificateStatus.VALID
    last_conclusion = Conclusion.QUALIFIED
    valid_from = dt.date(2024, 9, 1)
    valid_to = dt.date(2029, 8, 31)
    registered_on = dt.date(2024, 9, 1)


class VerificationTokenFactory(DjangoModelFactory):
    class Meta:
        model = VerificationToken

    token = factory.Sequence(lambda n: f"test-token-{n:04d}-" + "x" * 32)
    certificate = factory.SubFactory(CertificateFactory)
    certificate_number = factory.LazyAttribute(lambda o: o.certificate.number)
    holder_name_masked = "张*"
    qualification_type = factory.LazyAttribute(lambda o: o.certificate.qualification_type)
    conclusion = Conclusion.QUALIFIED
    valid_from = dt.date(2024, 9, 1)
    valid_to = dt.date(2029, 8, 31)
    registered_on = dt.date(2024, 9, 1)
    institution = factory.LazyFunction(lambda: bureau(LUYANG))
    institution_name = factory.LazyAttribute(lambda o: o.institution.name)
    issued_at = factory.LazyFunction(clock.now)


# Typed shorthands: factory_boy's call returns the factory type as far as mypy knows.


def make_teacher(**kw: Any) -> Teacher:
    return cast(Teacher, TeacherFactory(**kw))


def make_certificate(**kw: Any) -> Certificate:
    return cast(Certificate, CertificateFactory(**kw))


def make_token(**kw: Any) -> VerificationToken:
    return cast(VerificationToken, VerificationTokenFactory(**kw))
