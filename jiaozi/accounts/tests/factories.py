"""Factories of accounts. Institutions come from the orgs helpers (the divisions and
bureaus of Anhui are loaded by the orgs data migration).

    StaffFactory(role=Role.INSTITUTION_ADMIN, institution=bureau(LUYANG))
    UserFactory()   # an applicant
"""

from __future__ import annotations

from typing import Any, cast

import factory
from factory.django import DjangoModelFactory, Password

from jiaozi.core import clock, idcard
from jiaozi.orgs.tests.factories import LUYANG, bureau

from ..models import User
from ..roles import Role

PASSWORD = "Jiaozi@2024"


class UserFactory(DjangoModelFactory[User]):
    """An applicant account."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:04d}")
    kind = User.Kind.APPLICANT
    real_name = factory.Sequence(lambda n: f"用户{n}")
    password = Password(PASSWORD)
    password_changed_at = factory.LazyFunction(clock.now)
    date_joined = factory.LazyFunction(clock.now)


class StaffFactory(UserFactory):
    """A filed staff account; an institution admin of the 庐阳区 bureau by default."""

    username = factory.Sequence(lambda n: f"staff{n:04d}")
    kind = User.Kind.STAFF
    role = Role.INSTITUTION_ADMIN
    institution = factory.LazyFunction(lambda: bureau(LUYANG))
    post = "科员"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    # Area 990000 is no real division: never a test teacher's ID by accident.
    resident_id = factory.Sequence(
        lambda n: idcard.make(f"990000{1950 + n // 1000 % 70:04d}0101{n % 1000:03d}")
    )
    filed_at = factory.LazyFunction(clock.now)
    confirmed_at = factory.LazyFunction(clock.now)


def make_staff(**kwargs: Any) -> User:
    """``StaffFactory(**kwargs)``, typed."""
    return cast(User, StaffFactory(**kwargs))


def make_applicant(**kwargs: Any) -> User:
    return cast(User, UserFactory(**kwargs))
