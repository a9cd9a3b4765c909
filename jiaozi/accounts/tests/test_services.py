"""Staff filing services: permission, compare-and-set, audit in the same transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts import services
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.orgs.models import Institution

from .factories import PASSWORD, make_staff


def events(kind: AuditKind, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind, **filters))


def create(actor: User | None, institution: Institution, **overrides: Any) -> tuple[User, str]:
    fields: dict[str, Any] = {
        "username": "new_reviewer",
        "real_name": "王芳",
        "phone": "13912345678",
        "resident_id": "340104198503151237",
        "post": "教育股干事",
        "role": Role.REGISTRATION_REVIEWER,
    }
    fields.update(overrides)
    return services.staff_create(actor=actor, institution=institution, **fields)


# --- staff_create -----------------------------------------------------------------


def test_admin_files_a_reviewer_in_its_own_bureau(ly_admin: User, luyang: Institution) -> None:
    user, password = create(ly_admin, luyang)

    assert user.kind == User.Kind.STAFF
    assert user.institution == luyang
    assert user.filed_by == ly_admin
    assert user.must_change_password is True
    assert user.check_password(password)
    assert user.phone == "13912345678"
    row = events(AuditKind.STAFF_CREATED, object_id=str(user.pk))
    assert len(row) == 1
    assert row[0].actor_id == ly_admin.pk
    assert "13912345678" not in str(row[0].details)


def test_initial_password_meets_the_policy(ly_admin: User, luyang: Institution) -> None:
    from django.contrib.auth.password_validation import validate_password

    user, password = create(ly_admin, luyang)
    validate_password(password, user)  # raises when it does not
    assert len(password) >= 12


def test_seed_creates_without_an_actor_and_keeps_its_password(province: Institution) -> None:
    user, password = create(
        None, province, username="prov_admin", role=Role.PROVINCE_ADMIN, password=PASSWORD
    )
    assert password == PASSWORD
    assert user.must_change_password is False
    assert user.filed_by is None


def test_filing_into_a_sibling_county_is_refused(ly_admin: User, yaohai: Institution) -> None:
    with pytest.raises(PermissionDenied):
        create(ly_admin, yaohai)
    assert not User.objects.filter(username="new_reviewer").exists()
    assert not events(AuditKind.STAFF_CREATED)


def test_filing_a_role_above_its_own_is_refused(ly_admin: User, luyang: Institution) -> None:
    with pytest.raises(PermissionDenied):
        create(ly_admin, luyang, role=Role.PROVINCE_ADMIN)


def test_school_admin_files_school_reviewers_only(ly_school: Institution) -> None:
    school_admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=ly_school)
    create(school_admin, ly_school, role=Role.SCHOOL_REVIEWER)
    with pytest.raises(PermissionDenied):
        create(school_admin, ly_school, username="other", role=Role.REGISTRATION_REVIEWER)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "1234"),
        ("phone", "23912345678"),
        ("username", "1abc"),
        ("username", "a b"),
        ("real_name", "  "),
        ("post", ""),
        ("role", "root"),
    ],
)
def test_invalid_filing_fields(ly_admin: User, luyang: Institution, field: str, value: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        create(ly_admin, luyang, **{field: value})
    assert list(info.value.field_errors) == [field]


def test_usernames_are_unique_regardless_of_case(ly_admin: User, luyang: Institution) -> None:
    create(ly_admin, luyang, username="Reviewer1")
    with pytest.raises(ValidationFailed):
        create(ly_admin, luyang, username="reviewer1", phone="13900000001")


def test_three_admins_are_different_people(prov_admin: User, province: Institution) -> None:
    create(prov_admin, province, username="sec_admin", role=Role.SECURITY_ADMIN, phone="13811112222")
    with pytest.raises(ValidationFailed):
        create(
            prov_admin,
            province,
            username="audit_admin",
            role=Role.AUDIT_ADMIN,
            phone="13811112222",
            resident_id="340104198503151245",
        )
    create(
        prov_admin,
        province,
        username="audit_admin",
        role=Role.AUDIT_ADMIN,
        phone="13833334444",
        resident_id="340104198503151245",
    )


# --- staff_update -----------------------------------------------------------------


def test_update_changes_filed_fields_and_bumps_version(ly_admin: User, ly_reviewer: User) -> None:
    updated = services.staff_update(
        actor=ly_admin,
        user_id=ly_reviewer.pk,
        real_name="李明",
        phone="13700001111",
        post="股长",
        version=ly_reviewer.version,
    )
    assert (updated.real_name, updated.phone, updated.post) == ("李明", "13700001111", "股长")
    assert updated.version == ly_reviewer.version + 1
    # the blind index follows the phone, so lookups by phone still work
    lookup = User._meta.get_field("phone").lookup("13700001111")  # type: ignore[union-attr]
    assert User.objects.filter(**lookup).get() == updated
    row = events(AuditKind.STAFF_UPDATED, object_id=str(ly_reviewer.pk))
    assert row
    assert set(row[0].details["fields"]) == {"real_name", "phone", "post"}


def test_update_with_a_stale_version_conflicts(ly_admin: User, ly_reviewer: User) -> None:
    stale = ly_reviewer.version
    services.staff_update(
        actor=ly_admin, user_id=ly_reviewer.pk, real_name="甲", phone="13700001111", post="甲", version=stale
    )
    with pytest.raises(Conflict):
        services.staff_update(
            actor=ly_admin,
            user_id=ly_reviewer.pk,
            real_name="乙",
            phone="13700002222",
            post="乙",
            version=stale,
        )
    ly_reviewer.refresh_from_db()
    assert ly_reviewer.real_name == "甲"
    assert len(events(AuditKind.STAFF_UPDATED)) == 1


def test_update_out_of_scope_is_not_found(ly_admin: User, yh_reviewer: User) -> None:
    with pytest.raises(NotFound):
        services.staff_update(
            actor=ly_admin, user_id=yh_reviewer.pk, real_name="x", phone="13700001111", post="x", version=1
        )


def test_nobody_edits_their_own_filing(ly_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.staff_update(
            actor=ly_admin, user_id=ly_admin.pk, real_name="x", phone="13700001111", post="x", version=1
        )


# --- disable / enable / confirm / reset -------------------------------------------------


def test_disable_needs_a_reason_and_stops_sign_in(ly_admin: User, ly_reviewer: User) -> None:
    with pytest.raises(ValidationFailed):
        services.staff_disable(actor=ly_admin, user_id=ly_reviewer.pk, reason=" ")
    services.staff_disable(actor=ly_admin, user_id=ly_reviewer.pk, reason="调离，联系电话13912345678")

    ly_reviewer.refresh_from_db()
    assert ly_reviewer.is_active is False
    request = RequestFactory().post("/")
    assert authenticate(request, username="ly_reviewer", password=PASSWORD) is None
    row = events(AuditKind.STAFF_DISABLED)[0]
    assert "13912345678" not in row.details["reason"]  # redacted
    assert row.actor_id == ly_admin.pk


def test_disable_twice_conflicts(ly_admin: User, ly_reviewer: User) -> None:
    services.staff_disable(actor=ly_admin, user_id=ly_reviewer.pk, reason="离岗")
    with pytest.raises(Conflict):
        services.staff_disable(actor=ly_admin, user_id=ly_reviewer.pk, reason="离岗")
    assert len(events(AuditKind.STAFF_DISABLED)) == 1


def test_enable_restores_and_restarts_the_inactivity_clock(ly_admin: User, ly_reviewer: User) -> None:
    services.staff_disable(actor=ly_admin, user_id=ly_reviewer.pk, reason="离岗")
    enabled = services.staff_enable(actor=ly_admin, user_id=ly_reviewer.pk)
    assert enabled.is_active
    assert enabled.reactivated_at is not None
    assert events(AuditKind.STAFF_ENABLED)
    with pytest.raises(Conflict):
        services.staff_enable(actor=ly_admin, user_id=ly_reviewer.pk)


def test_sibling_admin_cannot_disable(yh_admin: User, ly_reviewer: User) -> None:
    with pytest.raises(NotFound):
        services.staff_disable(actor=yh_admin, user_id=ly_reviewer.pk, reason="x")
    ly_reviewer.refresh_from_db()
    assert ly_reviewer.is_active


def test_confirm_sets_confirmed_at_without_ending_sessions(ly_admin: User, ly_reviewer: User) -> None:
    with clock.travel(clock.now() + timedelta(days=400)):
        confirmed = services.staff_confirm(
            actor=ly_admin, user_id=ly_reviewer.pk, version=ly_reviewer.version
        )
    assert confirmed.confirmed_at is not None
    assert ly_reviewer.confirmed_at is not None
    assert confirmed.confirmed_at > ly_reviewer.confirmed_at + timedelta(days=399)
    assert confirmed.version == ly_reviewer.version
    assert events(AuditKind.STAFF_CONFIRMED)
    with pytest.raises(Conflict):
        services.staff_confirm(actor=ly_admin, user_id=ly_reviewer.pk, version=ly_reviewer.version - 1)


def test_reset_password_forces_a_change_and_can_drop_the_device(ly_admin: User, ly_reviewer: User) -> None:
    TOTPDevice.objects.create(user=ly_reviewer, name="default", confirmed=True)
    updated, password = services.staff_reset_password(actor=ly_admin, user_id=ly_reviewer.pk, reset_otp=True)
    assert updated.must_change_password
    assert updated.check_password(password)
    assert not TOTPDevice.objects.filter(user=ly_reviewer).exists()
    assert events(AuditKind.STAFF_PASSWORD_RESET)[0].details == {"otp_reset": True}


# --- inactivity job -----------------------------------------------------------------------


def test_disable_inactive_staff(ly_admin: User, luyang: Institution) -> None:
    now = clock.now()
    stale = make_staff(
        institution=luyang, role=Role.REGISTRATION_REVIEWER, last_login=now - timedelta(days=120)
    )
    never = make_staff(
        institution=luyang, role=Role.REGISTRATION_REVIEWER, date_joined=now - timedelta(days=100)
    )
    fresh = make_staff(
        institution=luyang, role=Role.REGISTRATION_REVIEWER, last_login=now - timedelta(days=3)
    )
    back = make_staff(
        institution=luyang,
        role=Role.REGISTRATION_REVIEWER,
        last_login=now - timedelta(days=200),
        reactivated_at=now - timedelta(days=1),
    )

    disabled = services.staff_disable_inactive(days=90)

    assert set(disabled) == {stale.pk, never.pk}
    assert User.objects.get(pk=fresh.pk).is_active
    assert User.objects.get(pk=back.pk).is_active
    assert User.objects.get(pk=ly_admin.pk).is_active
    rows = events(AuditKind.STAFF_DISABLED_INACTIVE)
    assert {r.object_id for r in rows} == {str(stale.pk), str(never.pk)}


# --- own password -------------------------------------------------------------------------


def test_password_change(ly_reviewer: User) -> None:
    with pytest.raises(ValidationFailed):
        services.user_password_change(user=ly_reviewer, old_password="wrong", new_password="N3w-Passw0rd!")
    assert events(AuditKind.PASSWORD_CHANGED, outcome="failure")
    with pytest.raises(ValidationFailed):
        services.user_password_change(user=ly_reviewer, old_password=PASSWORD, new_password="short")
    changed = services.user_password_change(
        user=ly_reviewer, old_password=PASSWORD, new_password="N3w-Passw0rd!"
    )
    assert changed.check_password("N3w-Passw0rd!")
    assert changed.must_change_password is False
    assert changed.version == ly_reviewer.version + 1
    assert events(AuditKind.PASSWORD_CHANGED, outcome="success")


def test_password_expiry(ly_reviewer: User) -> None:
    assert not services.password_expired(ly_reviewer)
    with clock.travel(clock.now() + timedelta(days=91)):
        assert services.password_expired(ly_reviewer)
    ly_reviewer.must_change_password = True
    assert services.password_expired(ly_reviewer)
