"""Factories of the core tests: teachers carrying encrypted personal data."""

from __future__ import annotations

from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from jiaozi.core import idcard
from jiaozi.teachers.models import EmploymentType, PostType, Sex, Teacher


class TeacherFactory(DjangoModelFactory):
    """Needs ``school``. Resident IDs are valid GB 11643 numbers, distinct per teacher."""

    class Meta:
        model = Teacher

    resident_id = factory.Sequence(lambda n: idcard.make(f"34010419800101{n % 1000:03d}"))
    name = factory.Sequence(lambda n: f"教师{n}")
    sex = Sex.FEMALE
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    post_type = PostType.FULL_TIME
    employment_type = EmploymentType.PUBLIC_ESTABLISHED


def make_teacher(**kwargs: Any) -> Teacher:
    """``TeacherFactory(**kwargs)``, typed."""
    return cast(Teacher, TeacherFactory(**kwargs))
