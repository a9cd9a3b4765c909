"""API: /me and staff filing. One allowed and one forbidden case per operation, and
county A never reaching county B."""

from __future__ import annotations

from typing import Any

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.api.testing import session_client, staff_user, token_client
from jiaozi.orgs.tests.factories import LUYANG, YAOHAI, bureau, school

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_a() -> Any:
    return bureau(LUYANG)


@pytest.fixture
def county_b() -> Any:
    return bureau(YAOHAI)


@pytest.fixture
def admin_a(county_a: Any) -> User:
    return staff_user(county_a, Role.INSTITUTION_ADMIN)


@pytest.fixture
def admin_b(county_b: Any) -> User:
    return staff_user(county_b, Role.INSTITUTION_ADMIN)


@pytest.fixture
def reviewer_a(county_a: Any) -> User:
    return staff_user(county_a, Role.REGISTRATION_REVIEWER)


def new_staff(institution: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "institution_id": institution.pk,
        "username": "new_reviewer",
        "real_name": "王五",
        "phone": "13955550001",
        "resident_id": "340104198503151245",
        "post": "审核员",
        "role": Role.REGISTRATION_REVIEWER.value,
    }
    body.update(overrides)
    return body


# --- /me -------------------------------------------------------------------------


def test_me_with_token(admin_a: User, county_a: Any) -> None:
    response = token_client(admin_a).get("/api/v1/me")
    assert response.status_code == 200
    data = response.json()
    assert data["username"] == admin_a.username
    assert data["role"] == Role.INSTITUTION_ADMIN
    assert data["institution"]["code"] == county_a.code
    assert data["auth"] == "token"


def test_me_with_session(admin_a: User) -> None:
    response = session_client(admin_a).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["auth"] == "session"


def test_me_anonymous_is_401(client: Any) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthenticated"


# --- GET /staff -------------------------------------------------------------------


def test_staff_list_is_scoped_and_masks_phones(admin_a: User, reviewer_a: User, admin_b: User) -> None:
    response = token_client(admin_a).get("/api/v1/staff")
    assert response.status_code == 200
    data = response.json()
    usernames = {item["username"] for item in data["items"]}
    assert {admin_a.username, reviewer_a.username} <= usernames
    assert admin_b.username not in usernames
    assert data["count"] == len(data["items"])
    row = next(item for item in data["items"] if item["username"] == reviewer_a.username)
    assert row["phone_masked"] == reviewer_a.phone[:3] + "****" + reviewer_a.phone[-4:]
    assert reviewer_a.phone not in response.content.decode()


def test_staff_list_filters(admin_a: User, reviewer_a: User) -> None:
    response = token_client(admin_a).get("/api/v1/staff", {"role": "registration_reviewer"})
    assert [item["username"] for item in response.json()["items"]] == [reviewer_a.username]


def test_staff_list_forbidden_to_reviewers(reviewer_a: User) -> None:
    response = token_client(reviewer_a).get("/api/v1/staff")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_staff_list_paginates(admin_a: User, county_a: Any) -> None:
    for _ in range(3):
        staff_user(county_a, Role.REGISTRATION_REVIEWER)
    response = token_client(admin_a).get("/api/v1/staff", {"limit": 2, "offset": 1})
    data = response.json()
    assert (data["count"], data["limit"], data["offset"], len(data["items"])) == (4, 2, 1, 2)


def test_staff_list_rejects_oversized_limit(admin_a: User) -> None:
    response = token_client(admin_a).get("/api/v1/staff", {"limit": 100000})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


# --- GET /staff/{id} ---------------------------------------------------------------


def test_staff_detail_in_scope(admin_a: User, reviewer_a: User) -> None:
    response = token_client(admin_a).get(f"/api/v1/staff/{reviewer_a.pk}")
    assert response.status_code == 200
    assert response.json()["username"] == reviewer_a.username


def test_staff_detail_of_county_b_is_404(admin_a: User, admin_b: User) -> None:
    response = token_client(admin_a).get(f"/api/v1/staff/{admin_b.pk}")
    missing = token_client(admin_a).get("/api/v1/staff/987654321")
    assert response.status_code == missing.status_code == 404
    # Out of scope and missing are indistinguishable.
    assert response.json() == missing.json()


# --- POST /staff -------------------------------------------------------------------


def test_staff_create_returns_initial_password_once(admin_a: User, county_a: Any) -> None:
    api = token_client(admin_a)
    response = api.post_json("/api/v1/staff", new_staff(county_a))
    assert response.status_code == 201, response.content
    data = response.json()
    created = User.objects.get(username="new_reviewer")
    assert created.check_password(data["initial_password"])
    assert created.must_change_password
    assert created.filed_by == admin_a
    assert data["phone_masked"] == "139****0001"
    assert AuditEvent.objects.filter(kind=AuditKind.STAFF_CREATED, object_id=str(created.pk)).count() == 1
    # Never again: the detail has no password.
    assert "initial_password" not in api.get(f"/api/v1/staff/{created.pk}").json()


def test_staff_create_at_a_school_below(admin_a: User) -> None:
    s = school("3401039901")
    response = token_client(admin_a).post_json(
        "/api/v1/staff", new_staff(s, role=Role.SCHOOL_REVIEWER.value, username="sch_rev")
    )
    assert response.status_code == 201, response.content


def test_staff_create_in_county_b_is_403(admin_a: User, county_b: Any) -> None:
    response = token_client(admin_a).post_json("/api/v1/staff", new_staff(county_b))
    missing = token_client(admin_a).post_json("/api/v1/staff", new_staff(county_b, institution_id=987654321))
    assert response.status_code == missing.status_code == 403
    assert not User.objects.filter(username="new_reviewer").exists()


def test_staff_create_above_own_role_is_403(admin_a: User, county_a: Any) -> None:
    response = token_client(admin_a).post_json(
        "/api/v1/staff", new_staff(county_a, role=Role.PROVINCE_ADMIN.value)
    )
    assert response.status_code == 403


def test_staff_create_by_reviewer_is_403(reviewer_a: User, county_a: Any) -> None:
    response = token_client(reviewer_a).post_json("/api/v1/staff", new_staff(county_a))
    assert response.status_code == 403


def test_staff_create_validation_names_the_field(admin_a: User, county_a: Any) -> None:
    response = token_client(admin_a).post_json("/api/v1/staff", new_staff(county_a, phone="12345"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert [e["field"] for e in body["errors"]] == ["phone"]


def test_staff_create_duplicate_username_is_400(admin_a: User, county_a: Any) -> None:
    api = token_client(admin_a)
    assert api.post_json("/api/v1/staff", new_staff(county_a)).status_code == 201
    response = api.post_json("/api/v1/staff", new_staff(county_a, phone="13955550002"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "username"


def test_staff_create_ignores_smuggled_fields(admin_a: User, county_a: Any) -> None:
    body = new_staff(county_a, is_active=False, must_change_password=False, filed_by=1, version=9)
    response = token_client(admin_a).post_json("/api/v1/staff", body)
    assert response.status_code == 201
    created = User.objects.get(username="new_reviewer")
    assert created.is_active
    assert created.must_change_password
    assert created.version == 1


# --- POST /staff/{id}/disable, /enable ---------------------------------------------------


def test_staff_disable_and_enable(admin_a: User, reviewer_a: User) -> None:
    api = token_client(admin_a)
    response = api.post_json(f"/api/v1/staff/{reviewer_a.pk}/disable", {"reason": "调离"})
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    # Disabling twice is a conflict, not a silent no-op.
    again = api.post_json(f"/api/v1/staff/{reviewer_a.pk}/disable", {"reason": "调离"})
    assert again.status_code == 409
    response = api.post_json(f"/api/v1/staff/{reviewer_a.pk}/enable")
    assert response.status_code == 200
    assert response.json()["is_active"] is True


def test_staff_disable_needs_a_reason(admin_a: User, reviewer_a: User) -> None:
    response = token_client(admin_a).post_json(f"/api/v1/staff/{reviewer_a.pk}/disable", {"reason": ""})
    assert response.status_code == 400
    reviewer_a.refresh_from_db()
    assert reviewer_a.is_active


def test_staff_disable_of_county_b_is_404(admin_a: User, admin_b: User) -> None:
    response = token_client(admin_a).post_json(f"/api/v1/staff/{admin_b.pk}/disable", {"reason": "调离"})
    assert response.status_code == 404
    admin_b.refresh_from_db()
    assert admin_b.is_active


def test_staff_disable_by_reviewer_is_403(reviewer_a: User, admin_a: User, county_a: Any) -> None:
    other = staff_user(county_a, Role.REGISTRATION_REVIEWER)
    response = token_client(reviewer_a).post_json(f"/api/v1/staff/{other.pk}/disable", {"reason": "调离"})
    assert response.status_code == 403


def test_staff_enable_of_county_b_is_404(admin_a: User, admin_b: User) -> None:
    User.objects.filter(pk=admin_b.pk).update(is_active=False)
    response = token_client(admin_a).post_json(f"/api/v1/staff/{admin_b.pk}/enable")
    assert response.status_code == 404


def test_disabled_user_token_stops_working(admin_a: User, reviewer_a: User) -> None:
    reviewer_api = token_client(reviewer_a)
    assert reviewer_api.get("/api/v1/me").status_code == 200
    token_client(admin_a).post_json(f"/api/v1/staff/{reviewer_a.pk}/disable", {"reason": "离岗"})
    assert reviewer_api.get("/api/v1/me").status_code == 401
