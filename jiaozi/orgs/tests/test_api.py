"""API: the institution directory and public info. One allowed and one forbidden case
per operation, and county A never reaching county B."""

from typing import Any

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.api.testing import session_client, staff_user, token_client
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import HEFEI, LUYANG, YAOHAI, bureau, school

pytestmark = pytest.mark.django_db

PUBLIC_INFO = {
    "address": "合肥市庐阳区某路1号",
    "phone": "0551-62831234",
    "office_hours": "工作日 8:30-17:00",
}


@pytest.fixture
def county_a() -> Institution:
    return bureau(LUYANG)


@pytest.fixture
def county_b() -> Institution:
    return bureau(YAOHAI)


@pytest.fixture
def school_a(county_a: Institution) -> Institution:
    return school("3401030001")


@pytest.fixture
def school_b(county_b: Institution) -> Institution:
    return school("3401020001", YAOHAI)


@pytest.fixture
def admin_a(county_a: Institution) -> User:
    return staff_user(county_a, Role.INSTITUTION_ADMIN)


@pytest.fixture
def reviewer_a(county_a: Institution) -> User:
    return staff_user(county_a, Role.REGISTRATION_REVIEWER)


# --- GET /institutions ----------------------------------------------------------------


def test_institution_list_is_scoped(
    reviewer_a: User, county_a: Institution, school_a: Institution, school_b: Institution
) -> None:
    response = token_client(reviewer_a).get("/api/v1/institutions", {"limit": 200})
    assert response.status_code == 200
    codes = {item["code"] for item in response.json()["items"]}
    assert {county_a.code, school_a.code} <= codes
    assert school_b.code not in codes
    assert HEFEI not in codes  # the superior is not in the jurisdiction either


def test_institution_list_filters(reviewer_a: User, school_a: Institution) -> None:
    api = token_client(reviewer_a)
    response = api.get("/api/v1/institutions", {"kind": "school"})
    assert [item["code"] for item in response.json()["items"]] == [school_a.code]
    assert api.get("/api/v1/institutions", {"kind": "school", "level": "city"}).json()["count"] == 0
    assert api.get("/api/v1/institutions", {"division": LUYANG, "kind": "school"}).json()["count"] == 1


def test_institution_list_rejects_unknown_kind(reviewer_a: User) -> None:
    response = token_client(reviewer_a).get("/api/v1/institutions", {"kind": "casino"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "kind"


def test_institution_list_anonymous_is_401(client: Any) -> None:
    assert client.get("/api/v1/institutions").status_code == 401


# --- GET /institutions/{id} ------------------------------------------------------------


def test_institution_detail(reviewer_a: User, school_a: Institution) -> None:
    response = token_client(reviewer_a).get(f"/api/v1/institutions/{school_a.pk}")
    assert response.status_code == 200
    data = response.json()
    assert (data["code"], data["kind"], data["division_code"]) == (school_a.code, "school", LUYANG)


def test_institution_detail_of_county_b_is_404(reviewer_a: User, school_b: Institution) -> None:
    response = token_client(reviewer_a).get(f"/api/v1/institutions/{school_b.pk}")
    missing = token_client(reviewer_a).get("/api/v1/institutions/987654321")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()


def test_institution_detail_rejects_a_non_numeric_id(reviewer_a: User) -> None:
    response = token_client(reviewer_a).get("/api/v1/institutions/abc")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "institution_id"


# --- PATCH /institutions/{id}/public-info ---------------------------------------------


def test_public_info_update_by_own_admin(admin_a: User, county_a: Institution) -> None:
    body = {**PUBLIC_INFO, "version": county_a.version}
    response = token_client(admin_a).patch_json(f"/api/v1/institutions/{county_a.pk}/public-info", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["phone"] == PUBLIC_INFO["phone"]
    assert data["version"] == county_a.version + 1
    assert AuditEvent.objects.filter(kind=AuditKind.INSTITUTION_UPDATED, object_id=str(county_a.pk)).exists()


def test_public_info_partial_update_keeps_other_fields(admin_a: User, county_a: Institution) -> None:
    api = token_client(admin_a)
    url = f"/api/v1/institutions/{county_a.pk}/public-info"
    first = api.patch_json(url, {**PUBLIC_INFO, "version": county_a.version}).json()
    response = api.patch_json(url, {"office_hours": "周一至周五", "version": first["version"]})
    assert response.status_code == 200
    data = response.json()
    assert (data["address"], data["office_hours"]) == (PUBLIC_INFO["address"], "周一至周五")


def test_public_info_stale_version_is_409(admin_a: User, county_a: Institution) -> None:
    response = token_client(admin_a).patch_json(
        f"/api/v1/institutions/{county_a.pk}/public-info", {**PUBLIC_INFO, "version": county_a.version + 5}
    )
    assert response.status_code == 409
    county_a.refresh_from_db()
    assert county_a.address == ""


def test_public_info_by_reviewer_is_403(reviewer_a: User, county_a: Institution) -> None:
    response = token_client(reviewer_a).patch_json(
        f"/api/v1/institutions/{county_a.pk}/public-info", {**PUBLIC_INFO, "version": county_a.version}
    )
    assert response.status_code == 403


def test_public_info_of_county_b_is_404(admin_a: User, county_b: Institution) -> None:
    response = token_client(admin_a).patch_json(
        f"/api/v1/institutions/{county_b.pk}/public-info", {**PUBLIC_INFO, "version": county_b.version}
    )
    assert response.status_code == 404
    county_b.refresh_from_db()
    assert county_b.address == ""


def test_public_info_invalid_phone_lists_the_field(admin_a: User, county_a: Institution) -> None:
    response = token_client(admin_a).patch_json(
        f"/api/v1/institutions/{county_a.pk}/public-info",
        {**PUBLIC_INFO, "phone": "call us", "version": county_a.version},
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["phone"]


def test_public_info_by_session_needs_csrf(admin_a: User, county_a: Institution) -> None:
    browser = session_client(admin_a)
    url = f"/api/v1/institutions/{county_a.pk}/public-info"
    body = {**PUBLIC_INFO, "version": county_a.version}
    refused = browser.patch_json(url, body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    county_a.refresh_from_db()
    assert county_a.address == ""
    assert browser.patch_json(url, body, csrf=True).status_code == 200
