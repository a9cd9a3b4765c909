"""Factories of the applicant area. Chains (a school, its reviewers and a due
applicant) come from jiaozi.registration.tests.factories_applications.

    c = chain()              # inside clock.travel(OPEN)
    linked(c.applicant)      # the applicant has confirmed their teacher record
"""

from __future__ import annotations

from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from jiaozi.accounts.models import User
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock
from jiaozi.teachers.models import Teacher

from ..models import TeacherLink


class TeacherLinkFactory(DjangoModelFactory[TeacherLink]):
    class Meta:
        model = TeacherLink

    linked_at = factory.LazyFunction(clock.now)


def linked(
    user: User, *, teacher: Teacher | None = None, certificate: Certificate | None = None
) -> TeacherLink:
    """Link ``user`` to the teacher filed under their resident ID (or ``teacher``)."""
    if teacher is None:
        teacher = Teacher.objects.get(resident_id_bidx=user.resident_id_bidx)  # type: ignore[attr-defined]
    certificate = certificate or Certificate.objects.filter(teacher=teacher).first()
    values: dict[str, Any] = {"user": user, "teacher": teacher, "certificate": certificate}
    return cast(TeacherLink, TeacherLinkFactory(**values))
