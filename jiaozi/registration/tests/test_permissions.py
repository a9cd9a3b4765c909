"""The permission predicates of campaigns and the pre-check."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.orgs.tests.factories import HEFEI, LUYANG, PROVINCE, bureau, school
from jiaozi.registration.permissions import PRECHECK_ROLES, can_manage_campaigns, can_view_precheck

pytestmark = pytest.mark.django_db
MakeStaff = Callable[..., User]


def test_only_the_province_admin_of_that_province_manages_campaigns(make_staff: MakeStaff) -> None:
    admin = make_staff(bureau(PROVINCE), Role.PROVINCE_ADMIN)
    assert can_manage_campaigns(actor=admin, province_code="340000")
    assert not can_manage_campaigns(actor=admin, province_code="320000")
    assert not can_manage_campaigns(
        actor=make_staff(bureau(PROVINCE), Role.INSTITUTION_ADMIN), province_code="340000"
    )
    assert not can_manage_campaigns(
        actor=make_staff(bureau(HEFEI), Role.INSTITUTION_ADMIN), province_code="340000"
    )
    admin.is_active = False
    assert not can_manage_campaigns(actor=admin, province_code="340000")
    assert not can_manage_campaigns(actor=None, province_code="340000")


@pytest.mark.parametrize("role", sorted(Role.values))
def test_who_sees_the_precheck(make_staff: MakeStaff, role: str) -> None:
    institution = school("3401030001") if role == Role.SCHOOL_REVIEWER else bureau(LUYANG)
    assert can_view_precheck(actor=make_staff(institution, role)) is (role in PRECHECK_ROLES)


def test_applicants_never_see_the_precheck(db: None) -> None:
    applicant = User.objects.create_user(
        username="applicant1", password="x", real_name="申请人", kind="applicant"
    )
    assert not can_view_precheck(actor=applicant)
