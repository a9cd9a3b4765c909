"""Staff filings carry the person's resident ID (issue 14, finding 7 and 三员分立;
docs/decisions/0169 and 0171): required on every filing path, validated, stored
encrypted and shown masked; the three admins of 三员分立 are three different people by
resident ID, whatever phone each is filed with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from jiaozi.accounts import services
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.api.testing import token_client
from jiaozi.core.errors import ValidationFailed
from jiaozi.orgs.models import Institution

from .factories import make_staff

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
RID = "340104198503151237"
OTHER_RID = "340104198503151245"


def file(actor: User | None, institution: Institution, **overrides: Any) -> tuple[User, str]:
    fields: dict[str, Any] = {
        "username": "filed_person",
        "real_name": "王芳",
        "phone": "13912345678",
        "post": "干事",
        "role": Role.REGISTRATION_REVIEWER,
        "resident_id": RID,
    }
    fields.update(overrides)
    return services.staff_create(actor=actor, institution=institution, **fields)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "resident_id_required"),
        ("340104198503151238", "resident_id_invalid"),
        ("12345", "resident_id_invalid"),
    ],
)
def test_a_filing_without_a_valid_resident_id_is_refused(
    ly_admin: User, luyang: Institution, value: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        file(ly_admin, luyang, resident_id=value)
    assert caught.value.code == code
    assert "resident_id" in (caught.value.field_errors or {})
    assert not User.objects.filter(username="filed_person").exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.STAFF_CREATED).exists()


def test_the_resident_id_is_stored_encrypted_and_found_by_its_blind_index(
    ly_admin: User, luyang: Institution
) -> None:
    user, _ = file(ly_admin, luyang, resident_id=RID.lower())
    assert User.objects.get(pk=user.pk).resident_id == RID
    with connection.cursor() as cursor:
        cursor.execute("SELECT resident_id FROM accounts_user WHERE id = %s", [user.pk])
        (raw,) = cursor.fetchone()
    assert RID not in raw
    lookup = User._meta.get_field("resident_id").lookup(RID)  # type: ignore[union-attr]
    assert User.objects.filter(kind=User.Kind.STAFF, **lookup).get() == user


def test_a_teacher_with_an_applicant_account_can_also_be_filed_as_staff(
    ly_admin: User, luyang: Institution
) -> None:
    User.objects.create_user(
        username="js_teacher", password=None, kind=User.Kind.APPLICANT, real_name="王芳", resident_id=RID
    )
    staff, _ = file(ly_admin, luyang)
    assert staff.resident_id == RID


def test_the_filing_page_requires_the_resident_id(
    signed_in: SignIn, ly_admin: User, ly_school: Institution
) -> None:
    client = signed_in(ly_admin)
    data = {
        "real_name": "赵敏",
        "phone": "13912345678",
        "post": "教务干事",
        "username": "ly_school_reviewer",
        "role": Role.SCHOOL_REVIEWER,
        "institution": ly_school.code,
    }
    response = client.post(reverse("accounts:staff_create"), data)
    assert response.status_code == 200
    assert "resident_id" in response.context["form"].errors
    response = client.post(reverse("accounts:staff_create"), {**data, "resident_id": "340104198503151238"})
    assert "身份证号" in str(response.context["form"].errors["resident_id"])
    assert not User.objects.filter(username="ly_school_reviewer").exists()

    response = client.post(reverse("accounts:staff_create"), {**data, "resident_id": RID})
    assert response.status_code == 200
    created = User.objects.get(username="ly_school_reviewer")
    assert created.resident_id == RID
    detail = client.get(reverse("accounts:staff_detail", args=[created.pk])).content.decode()
    assert RID not in detail
    assert "340104********1237" in detail


def test_the_api_requires_the_resident_id(ly_admin: User, luyang: Institution) -> None:
    api = token_client(ly_admin)
    body = {
        "institution_id": luyang.pk,
        "username": "api_filed",
        "real_name": "王五",
        "phone": "13955550001",
        "post": "审核员",
        "role": Role.REGISTRATION_REVIEWER.value,
    }
    missing = api.post_json("/api/v1/staff", body)
    assert missing.status_code in (400, 422)
    assert "resident_id" in missing.content.decode()
    invalid = api.post_json("/api/v1/staff", {**body, "resident_id": "340104198503151238"})
    assert invalid.status_code in (400, 422)
    assert invalid.json()["code"] == "resident_id_invalid"
    assert not User.objects.filter(username="api_filed").exists()

    created = api.post_json("/api/v1/staff", {**body, "resident_id": RID})
    assert created.status_code == 201
    assert created.json()["resident_id_masked"] == "340104********1237"
    assert RID not in created.content.decode()


def test_a_filing_made_before_the_rule_is_completed_on_edit(ly_admin: User) -> None:
    old = make_staff(role=Role.REGISTRATION_REVIEWER, resident_id=None)
    with pytest.raises(ValidationFailed) as caught:
        services.staff_update(
            actor=ly_admin,
            user_id=old.pk,
            real_name=old.real_name,
            phone=old.phone,
            post="科员",
            version=old.version,
        )
    assert caught.value.code == "resident_id_required"
    updated = services.staff_update(
        actor=ly_admin,
        user_id=old.pk,
        real_name=old.real_name,
        phone=old.phone,
        post="科员",
        version=old.version,
        resident_id=RID,
    )
    assert updated.resident_id == RID
    row = AuditEvent.objects.filter(kind=AuditKind.STAFF_UPDATED).latest("pk")
    assert "resident_id" in row.details["fields"]
    assert RID not in str(row.details)


# --- 三员分立: one person holds at most one of the three admin roles ---------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN),
        (Role.AUDIT_ADMIN, Role.SECURITY_ADMIN),
        (Role.SECURITY_ADMIN, Role.PROVINCE_ADMIN),
    ],
)
def test_the_same_person_with_another_phone_cannot_hold_two_of_the_three_admin_roles(
    prov_admin: User, province: Institution, first: str, second: str
) -> None:
    file(prov_admin, province, username="first_admin", role=first, phone="13811112222")
    with pytest.raises(ValidationFailed) as caught:
        file(prov_admin, province, username="second_admin", role=second, phone="13833334444")
    assert caught.value.code == "separation_of_duties"
    assert "resident_id" in (caught.value.field_errors or {})
    assert not User.objects.filter(username="second_admin").exists()
    # Another person may.
    file(
        prov_admin, province, username="second_admin", role=second, phone="13833334444", resident_id=OTHER_RID
    )


def test_the_province_admin_cannot_be_the_security_admin_filed_again(province: Institution) -> None:
    filer = make_staff(username="filer", role=Role.PROVINCE_ADMIN, institution=province, resident_id=RID)
    with pytest.raises(ValidationFailed) as caught:
        file(filer, province, username="sec_again", role=Role.SECURITY_ADMIN, phone="13800001234")
    assert caught.value.code == "separation_of_duties"


def test_enabling_an_old_admin_account_of_a_person_now_holding_another_admin_role_is_refused(
    prov_admin: User, province: Institution
) -> None:
    old, _ = file(prov_admin, province, username="old_audit", role=Role.AUDIT_ADMIN, phone="13811112222")
    services.staff_disable(actor=prov_admin, user_id=old.pk, reason="调岗")
    file(prov_admin, province, username="new_security", role=Role.SECURITY_ADMIN, phone="13833334444")
    with pytest.raises(ValidationFailed) as caught:
        services.staff_enable(actor=prov_admin, user_id=old.pk)
    assert caught.value.code == "separation_of_duties"
    assert not User.objects.get(pk=old.pk).is_active


def test_changing_a_security_admins_resident_id_to_the_audit_admins_is_refused(
    prov_admin: User, province: Institution
) -> None:
    file(prov_admin, province, username="aud", role=Role.AUDIT_ADMIN, phone="13811112222")
    sec, _ = file(
        prov_admin,
        province,
        username="sec",
        role=Role.SECURITY_ADMIN,
        phone="13833334444",
        resident_id=OTHER_RID,
    )
    with pytest.raises(ValidationFailed) as caught:
        services.staff_update(
            actor=prov_admin,
            user_id=sec.pk,
            real_name=sec.real_name,
            phone=sec.phone,
            post=sec.post,
            version=sec.version,
            resident_id=RID,
        )
    assert caught.value.code == "separation_of_duties"
    assert User.objects.get(pk=sec.pk).resident_id == OTHER_RID
