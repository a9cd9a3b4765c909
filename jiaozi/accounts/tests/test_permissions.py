"""The filing predicates, table-driven, on plain objects (no database)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.permissions import can_file_staff, can_manage_staff, can_view_staff, fileable_roles
from jiaozi.accounts.roles import Role


def inst(path: str, kind: str = "bureau", level: str = "county", active: bool = True) -> SimpleNamespace:
    return SimpleNamespace(path=path, kind=kind, level=level, is_active=active)


PROVINCE = inst("/340000/", level="province")
HEFEI = inst("/340000/340100/", level="city")
LUYANG = inst("/340000/340100/340103/")
YAOHAI = inst("/340000/340100/340102/")
LY_SCHOOL = inst("/340000/340100/340103/3401030001/", kind="school")
YH_SCHOOL = inst("/340000/340100/340102/3401020001/", kind="school")
LY_POINT = inst("/340000/340100/340103/340103QR01/", kind="confirmation_point")
HF_DEPT = inst("/340000/340100/340100ZG01/", kind="department", level="city")
# A code that merely starts with the admin's code is not below it.
LUYANG_LOOKALIKE = inst("/340000/340100/3401039/", kind="school")

_ids = iter(range(1, 10_000))


def staff(role: str, institution: SimpleNamespace | None, **kw: object) -> User:
    """A loaded staff account as the predicates see it (plain attributes, no database)."""
    fields = {
        "pk": next(_ids),
        "is_authenticated": True,
        "is_active": True,
        "kind": User.Kind.STAFF,
        "role": role,
        "institution": institution,
        "institution_id": 1,
    }
    fields.update(kw)
    return cast(User, SimpleNamespace(**fields))


LY_ADMIN = staff(Role.INSTITUTION_ADMIN, LUYANG)
HF_ADMIN = staff(Role.INSTITUTION_ADMIN, HEFEI)
PROV_ADMIN = staff(Role.PROVINCE_ADMIN, PROVINCE)
SEC_ADMIN = staff(Role.SECURITY_ADMIN, PROVINCE)
LY_REVIEWER = staff(Role.REGISTRATION_REVIEWER, LUYANG)


@pytest.mark.parametrize(
    ("actor", "institution", "role", "allowed"),
    [
        # own institution
        (LY_ADMIN, LUYANG, Role.REGISTRATION_REVIEWER, True),
        (LY_ADMIN, LUYANG, Role.CERTIFYING_OFFICER, True),
        (LY_ADMIN, LUYANG, Role.INSTITUTION_ADMIN, True),  # same rank, not above
        # subordinate institutions
        (LY_ADMIN, LY_SCHOOL, Role.SCHOOL_REVIEWER, True),
        (LY_ADMIN, LY_SCHOOL, Role.INSTITUTION_ADMIN, True),
        (LY_ADMIN, LY_POINT, Role.CONFIRMATION_USER, True),
        (HF_ADMIN, LY_SCHOOL, Role.SCHOOL_REVIEWER, True),
        (HF_ADMIN, HEFEI, Role.CITY_RECHECKER, True),
        (HF_ADMIN, HF_DEPT, Role.REGISTRATION_REVIEWER, True),
        # sibling and superior institutions
        (LY_ADMIN, YAOHAI, Role.REGISTRATION_REVIEWER, False),
        (LY_ADMIN, YH_SCHOOL, Role.SCHOOL_REVIEWER, False),
        (LY_ADMIN, HEFEI, Role.CITY_RECHECKER, False),
        (LY_ADMIN, PROVINCE, Role.PROVINCE_REVIEWER, False),
        (LY_ADMIN, LUYANG_LOOKALIKE, Role.SCHOOL_REVIEWER, False),
        # roles ranked above the actor's, and the three admins only by the province admin
        (LY_ADMIN, LUYANG, Role.PROVINCE_ADMIN, False),
        (HF_ADMIN, PROVINCE, Role.SECURITY_ADMIN, False),
        (PROV_ADMIN, PROVINCE, Role.SECURITY_ADMIN, True),
        (PROV_ADMIN, PROVINCE, Role.AUDIT_ADMIN, True),
        (PROV_ADMIN, PROVINCE, Role.PROVINCE_ADMIN, True),
        (PROV_ADMIN, LY_SCHOOL, Role.SCHOOL_REVIEWER, True),
        # kinds and levels that cannot hold the role
        (LY_ADMIN, LUYANG, Role.SCHOOL_REVIEWER, False),
        (LY_ADMIN, LUYANG, Role.CITY_RECHECKER, False),
        (LY_ADMIN, LY_SCHOOL, Role.REGISTRATION_REVIEWER, False),
        (LY_ADMIN, LY_POINT, Role.INSTITUTION_ADMIN, False),
        (PROV_ADMIN, HEFEI, Role.SECURITY_ADMIN, False),
        (PROV_ADMIN, LUYANG, Role.PROVINCE_REVIEWER, False),
        # actors who do not file at all
        (SEC_ADMIN, PROVINCE, Role.PROVINCE_REVIEWER, False),
        (LY_REVIEWER, LUYANG, Role.REGISTRATION_REVIEWER, False),
        # unknown role, inactive institution
        (LY_ADMIN, LUYANG, "superuser", False),
        (
            LY_ADMIN,
            inst("/340000/340100/340103/3401030002/", kind="school", active=False),
            Role.SCHOOL_REVIEWER,
            False,
        ),
    ],
)
def test_can_file_staff(actor: User, institution: SimpleNamespace, role: str, allowed: bool) -> None:
    assert can_file_staff(actor=actor, institution=institution, role=role) is allowed


@pytest.mark.parametrize(
    "actor",
    [
        staff(Role.INSTITUTION_ADMIN, LUYANG, is_active=False),
        staff(Role.INSTITUTION_ADMIN, LUYANG, kind="applicant"),
        staff(Role.INSTITUTION_ADMIN, LUYANG, is_authenticated=False),
        staff(Role.INSTITUTION_ADMIN, None, institution_id=None),
        None,
    ],
)
def test_can_file_staff_needs_an_active_staff_actor(actor: User | None) -> None:
    assert can_file_staff(actor=actor, institution=LY_SCHOOL, role=Role.SCHOOL_REVIEWER) is False


def test_nobody_manages_themselves() -> None:
    assert can_manage_staff(actor=LY_ADMIN, target=LY_ADMIN) is False
    assert can_manage_staff(actor=HF_ADMIN, target=LY_ADMIN) is True


def test_managing_follows_the_filing_rule() -> None:
    peer_above = staff(Role.INSTITUTION_ADMIN, HEFEI)
    assert can_manage_staff(actor=LY_ADMIN, target=peer_above) is False
    assert can_manage_staff(actor=LY_ADMIN, target=LY_REVIEWER) is True
    assert can_manage_staff(actor=LY_ADMIN, target=staff(Role.AUDIT_ADMIN, PROVINCE)) is False
    assert can_manage_staff(actor=PROV_ADMIN, target=SEC_ADMIN) is True
    applicant = cast(User, SimpleNamespace(pk=999, kind=User.Kind.APPLICANT, role="", institution=None))
    assert can_manage_staff(actor=PROV_ADMIN, target=applicant) is False


def test_can_view_staff() -> None:
    assert can_view_staff(actor=LY_ADMIN)
    assert can_view_staff(actor=SEC_ADMIN)
    assert not can_view_staff(actor=LY_REVIEWER)
    assert not can_view_staff(actor=staff(Role.AUDIT_ADMIN, PROVINCE))


def test_fileable_roles_at_a_school_and_a_bureau() -> None:
    assert fileable_roles(actor=LY_ADMIN, institution=LY_SCHOOL) == [
        Role.SCHOOL_REVIEWER,
        Role.INSTITUTION_ADMIN,
    ]
    assert Role.SECURITY_ADMIN in fileable_roles(actor=PROV_ADMIN, institution=PROVINCE)
    assert Role.SECURITY_ADMIN not in fileable_roles(actor=HF_ADMIN, institution=HEFEI)
