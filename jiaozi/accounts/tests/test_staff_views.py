"""Staff filing pages: jurisdiction, permissions, masking, and posted extras ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.orgs.models import Institution

from .factories import StaffFactory, make_staff

SignIn = Callable[[User], Client]


def detail(user: User) -> str:
    return reverse("accounts:staff_detail", args=[user.pk])


# --- list ---------------------------------------------------------------------------


def test_list_shows_own_and_subordinate_staff_only(
    signed_in: SignIn, ly_admin: User, ly_reviewer: User, yh_reviewer: User, ly_school: Institution
) -> None:
    school_reviewer = make_staff(username="ly_school", role=Role.SCHOOL_REVIEWER, institution=ly_school)
    response = signed_in(ly_admin).get(reverse("accounts:staff_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "ly_reviewer" in html
    assert school_reviewer.username in html
    assert "yh_reviewer" not in html
    assert ly_reviewer.phone not in html  # phones are masked
    assert ly_reviewer.phone[:3] + "****" + ly_reviewer.phone[-4:] in html


def test_list_filters_and_search(
    signed_in: SignIn, ly_admin: User, ly_reviewer: User, ly_school: Institution
) -> None:
    make_staff(username="ly_school", real_name="张老师", role=Role.SCHOOL_REVIEWER, institution=ly_school)
    make_staff(
        username="gone", role=Role.REGISTRATION_REVIEWER, institution=ly_reviewer.institution, is_active=False
    )
    client = signed_in(ly_admin)
    url = reverse("accounts:staff_list")

    by_role = client.get(url, {"role": Role.SCHOOL_REVIEWER}).content.decode()
    assert "ly_school" in by_role
    assert "ly_reviewer" not in by_role
    by_name = client.get(url, {"q": "张老"}).content.decode()
    assert "ly_school" in by_name
    assert "ly_reviewer" not in by_name
    disabled = client.get(url, {"active": "0"}).content.decode()
    assert "gone" in disabled
    assert "ly_reviewer" not in disabled
    by_school = client.get(url, {"institution": ly_school.code}).content.decode()
    assert "ly_school" in by_school
    assert "ly_reviewer" not in by_school


def test_list_filter_outside_the_jurisdiction_shows_nothing(
    signed_in: SignIn, ly_admin: User, ly_reviewer: User, yh_reviewer: User, yaohai: Institution
) -> None:
    html = (
        signed_in(ly_admin).get(reverse("accounts:staff_list"), {"institution": yaohai.code}).content.decode()
    )
    assert "yh_reviewer" not in html
    assert "ly_reviewer" not in html


def test_list_paginates_with_a_constant_number_of_queries(
    signed_in: SignIn, ly_admin: User, luyang: Institution, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    client = signed_in(ly_admin)
    StaffFactory.create_batch(3, institution=luyang, role=Role.REGISTRATION_REVIEWER)
    client.get(reverse("accounts:staff_list"))  # warm caches (content types, sessions)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("accounts:staff_list"))
    StaffFactory.create_batch(25, institution=luyang, role=Role.REGISTRATION_REVIEWER)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("accounts:staff_list"), {"page": 2})
    assert response.context["page"].number == 2


@pytest.mark.parametrize("name", ["accounts:staff_list", "accounts:staff_create"])
def test_reviewers_may_not_open_the_staff_pages(signed_in: SignIn, ly_reviewer: User, name: str) -> None:
    response = signed_in(ly_reviewer).get(reverse(name))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(kind=AuditKind.ACCESS_DENIED, actor_id=ly_reviewer.pk).exists()


def test_anonymous_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("accounts:staff_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_security_admin_reads_but_does_not_file(signed_in: SignIn, province: Institution) -> None:
    sec = make_staff(username="sec_admin", role=Role.SECURITY_ADMIN, institution=province)
    client = signed_in(sec)
    assert client.get(reverse("accounts:staff_list")).status_code == 200
    assert client.get(reverse("accounts:staff_create")).status_code == 403


# --- create ----------------------------------------------------------------------------


def filing(institution: Institution, **extra: str) -> dict[str, str]:
    data = {
        "real_name": "赵敏",
        "phone": "139 1234 5678",
        "resident_id": "340104198503151237",
        "post": "教务干事",
        "username": "ly_school_reviewer",
        "role": Role.SCHOOL_REVIEWER,
        "institution": institution.code,
    }
    data.update(extra)
    return data


def test_create_shows_the_initial_password_once(
    signed_in: SignIn, ly_admin: User, ly_school: Institution
) -> None:
    client = signed_in(ly_admin)
    form = client.get(reverse("accounts:staff_create"))
    assert form.status_code == 200
    assert ly_school.name in form.content.decode()

    response = client.post(reverse("accounts:staff_create"), filing(ly_school))
    assert response.status_code == 200
    user = User.objects.get(username="ly_school_reviewer")
    password = response.context["password"]
    assert password in response.content.decode()
    assert user.check_password(password)
    assert user.phone == "13912345678"
    assert (user.institution, user.role, user.filed_by) == (ly_school, Role.SCHOOL_REVIEWER, ly_admin)
    assert "no-store" in response["Cache-Control"]
    # The detail page never shows it again.
    assert password not in client.get(detail(user)).content.decode()


def test_create_in_a_sibling_county_is_forbidden(
    signed_in: SignIn, ly_admin: User, yh_school: Institution
) -> None:
    response = signed_in(ly_admin).post(reverse("accounts:staff_create"), filing(yh_school))
    assert response.status_code == 403
    assert not User.objects.filter(username="ly_school_reviewer").exists()
    assert AuditEvent.objects.filter(kind=AuditKind.ACCESS_DENIED, actor_id=ly_admin.pk).exists()


def test_create_above_own_role_is_forbidden(signed_in: SignIn, ly_admin: User, luyang: Institution) -> None:
    response = signed_in(ly_admin).post(
        reverse("accounts:staff_create"), filing(luyang, role=Role.PROVINCE_ADMIN, username="boss")
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="boss").exists()


def test_create_with_a_bad_phone_shows_the_error(
    signed_in: SignIn, ly_admin: User, ly_school: Institution
) -> None:
    response = signed_in(ly_admin).post(reverse("accounts:staff_create"), filing(ly_school, phone="12345"))
    assert response.status_code == 200
    assert "11位" in response.content.decode()
    assert not User.objects.filter(username="ly_school_reviewer").exists()


def test_create_ignores_posted_extras(signed_in: SignIn, ly_admin: User, ly_school: Institution) -> None:
    extras = {
        "is_superuser": "on",
        "is_staff": "on",
        "kind": "applicant",
        "must_change_password": "",
        "filed_by": str(ly_admin.pk),
        "version": "99",
        "password": "Chosen-Passw0rd",
    }
    signed_in(ly_admin).post(reverse("accounts:staff_create"), filing(ly_school, **extras))
    user = User.objects.get(username="ly_school_reviewer")
    assert not user.is_superuser
    assert not user.is_staff
    assert user.kind == User.Kind.STAFF
    assert user.must_change_password
    assert user.version == 1
    assert not user.check_password("Chosen-Passw0rd")


# --- detail and actions ---------------------------------------------------------------------


def test_detail_in_scope(signed_in: SignIn, ly_admin: User, ly_reviewer: User) -> None:
    response = signed_in(ly_admin).get(detail(ly_reviewer))
    assert response.status_code == 200
    assert response.context["can_manage"] is True
    assert ly_reviewer.phone not in response.content.decode()


def test_detail_out_of_scope_and_missing_both_404(
    signed_in: SignIn, ly_admin: User, yh_reviewer: User
) -> None:
    client = signed_in(ly_admin)
    assert client.get(detail(yh_reviewer)).status_code == 404
    assert client.get(reverse("accounts:staff_detail", args=[999_999])).status_code == 404


def test_own_detail_is_read_only(signed_in: SignIn, ly_admin: User) -> None:
    response = signed_in(ly_admin).get(detail(ly_admin))
    assert response.status_code == 200
    assert response.context["can_manage"] is False


def test_superior_admin_is_read_only_for_a_subordinate(
    signed_in: SignIn, ly_admin: User, hf_admin: User
) -> None:
    # hf_admin is outside ly_admin's jurisdiction (above it): not even visible.
    assert signed_in(ly_admin).get(detail(hf_admin)).status_code == 404


def test_edit_changes_only_the_editable_fields(
    signed_in: SignIn, ly_admin: User, ly_reviewer: User, yaohai: Institution
) -> None:
    client = signed_in(ly_admin)
    response = client.post(
        reverse("accounts:staff_edit", args=[ly_reviewer.pk]),
        {
            "real_name": "李华",
            "phone": "",
            "post": "副股长",
            "version": str(ly_reviewer.version),
            # none of these may change anything
            "role": Role.PROVINCE_ADMIN,
            "institution": str(yaohai.pk),
            "institution_id": str(yaohai.pk),
            "is_superuser": "on",
            "is_active": "",
            "username": "renamed",
        },
    )
    assert response.status_code == 302
    ly_reviewer.refresh_from_db()
    assert (ly_reviewer.real_name, ly_reviewer.post) == ("李华", "副股长")
    assert ly_reviewer.phone.startswith("139")  # blank keeps the phone
    assert ly_reviewer.role == Role.REGISTRATION_REVIEWER
    assert ly_reviewer.institution_id == ly_admin.institution_id
    assert (ly_reviewer.is_superuser, ly_reviewer.is_active, ly_reviewer.username) == (
        False,
        True,
        "ly_reviewer",
    )


def test_edit_with_a_stale_version_reports_a_conflict(
    signed_in: SignIn, ly_admin: User, ly_reviewer: User
) -> None:
    response = signed_in(ly_admin).post(
        reverse("accounts:staff_edit", args=[ly_reviewer.pk]),
        {"real_name": "李华", "phone": "", "post": "副股长", "version": str(ly_reviewer.version - 1)},
    )
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    ly_reviewer.refresh_from_db()
    assert ly_reviewer.real_name != "李华"


def test_edit_of_oneself_is_forbidden(signed_in: SignIn, ly_admin: User) -> None:
    assert signed_in(ly_admin).get(reverse("accounts:staff_edit", args=[ly_admin.pk])).status_code == 403


def test_disable_and_enable(signed_in: SignIn, ly_admin: User, ly_reviewer: User) -> None:
    client = signed_in(ly_admin)
    url = reverse("accounts:staff_disable", args=[ly_reviewer.pk])
    assert client.get(url).status_code == 405

    client.post(url, {"reason": ""})
    ly_reviewer.refresh_from_db()
    assert ly_reviewer.is_active

    response = client.post(url, {"reason": "调离本单位", "is_active": "on"})
    assert response.status_code == 302
    ly_reviewer.refresh_from_db()
    assert not ly_reviewer.is_active

    client.post(reverse("accounts:staff_enable", args=[ly_reviewer.pk]))
    ly_reviewer.refresh_from_db()
    assert ly_reviewer.is_active


def test_disable_out_of_scope_is_404(signed_in: SignIn, ly_admin: User, yh_reviewer: User) -> None:
    response = signed_in(ly_admin).post(
        reverse("accounts:staff_disable", args=[yh_reviewer.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
    yh_reviewer.refresh_from_db()
    assert yh_reviewer.is_active


def test_disable_oneself_is_forbidden(signed_in: SignIn, ly_admin: User) -> None:
    response = signed_in(ly_admin).post(
        reverse("accounts:staff_disable", args=[ly_admin.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    ly_admin.refresh_from_db()
    assert ly_admin.is_active


def test_reset_password_shows_a_new_one(signed_in: SignIn, ly_admin: User, ly_reviewer: User) -> None:
    response = signed_in(ly_admin).post(reverse("accounts:staff_reset_password", args=[ly_reviewer.pk]))
    assert response.status_code == 200
    ly_reviewer.refresh_from_db()
    assert ly_reviewer.check_password(response.context["password"])
    assert ly_reviewer.must_change_password


def test_confirm_in_post(signed_in: SignIn, ly_admin: User, ly_reviewer: User) -> None:
    before = ly_reviewer.confirmed_at
    assert before is not None
    response = signed_in(ly_admin).post(
        reverse("accounts:staff_confirm", args=[ly_reviewer.pk]), {"version": str(ly_reviewer.version)}
    )
    assert response.status_code == 302
    ly_reviewer.refresh_from_db()
    assert ly_reviewer.confirmed_at is not None
    assert ly_reviewer.confirmed_at > before
