"""Certificates whose number names a given issuing authority, and holders linked to them."""

from __future__ import annotations

from itertools import count
from typing import Any, cast

from jiaozi.accounts.models import User
from jiaozi.accounts.tests.factories import make_applicant
from jiaozi.applicants.tests.factories import linked
from jiaozi.certificates.models import Certificate
from jiaozi.certificates.tests.factories import CertificateFactory, TeacherFactory
from jiaozi.orgs.models import Institution
from jiaozi.teachers.models import Teacher

_serial = count(1)


def number_for(authority: Institution, *, kind: str = "2", sex: str = "1", year: str = "2015") -> str:
    """A well-formed number issued by ``authority`` (a bureau with an authority code)."""
    assert authority.authority_code, authority
    return f"{year}{authority.division_id[:2]}{authority.authority_code}{kind}{sex}{next(_serial):06d}"


def certificate_of(authority: Institution, *, kind: str = "2", **kw: Any) -> Certificate:
    return cast(
        Certificate,
        CertificateFactory(number=number_for(authority, kind=kind), qualification_type=kind, **kw),
    )


def holder_with_certificate(authority: Institution, **kw: Any) -> tuple[User, Certificate]:
    """An applicant account linked to a teacher holding one certificate of ``authority``."""
    teacher = cast(Teacher, TeacherFactory(**{k[9:]: v for k, v in kw.items() if k.startswith("teacher__")}))
    certificate = certificate_of(
        authority, teacher=teacher, **{k: v for k, v in kw.items() if not k.startswith("teacher__")}
    )
    user = make_applicant(resident_id=teacher.resident_id, real_name=teacher.name)
    linked(user, teacher=teacher, certificate=certificate)
    return user, certificate
