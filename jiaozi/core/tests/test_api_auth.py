"""Who may call the API: service tokens, verified staff sessions with CSRF, nobody
else; the OpenAPI document and docs only for staff (SECURITY 1, 4, 23)."""

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, RequestFactory

from jiaozi.accounts.models import ServiceToken, User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tokens import service_token_create, service_token_revoke, token_hash
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.api.auth import StaffSessionAuth
from jiaozi.core.api.problems import PasswordChangeRequired
from jiaozi.core.api.testing import ApiClient, service_token, session_client, staff_user, token_client
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.core.tests.test_api_schemathesis import PUBLIC_OPERATIONS
from jiaozi.orgs.tests.factories import LUYANG, PROVINCE, bureau

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer() -> User:
    return staff_user(bureau(LUYANG), Role.REGISTRATION_REVIEWER)


@pytest.fixture
def admin() -> User:
    return staff_user(bureau(LUYANG), Role.INSTITUTION_ADMIN)


def bearer(token: str) -> ApiClient:
    return ApiClient(headers={"Authorization": f"Bearer {token}"})


# --- service tokens ---------------------------------------------------------------------


def test_valid_token_authenticates(reviewer: User) -> None:
    response = token_client(reviewer).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == reviewer.username


@pytest.mark.parametrize("header", ["Bearer jz_not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "jz_x"])
def test_wrong_credentials_are_401(reviewer: User, header: str) -> None:
    response = ApiClient(headers={"Authorization": header}).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_revoked_token_is_401(reviewer: User) -> None:
    token, plaintext = service_token_create(actor=None, user=reviewer, name="hr", expires_at=None)
    assert bearer(plaintext).get("/api/v1/me").status_code == 200
    service_token_revoke(actor=None, token_id=token.pk)
    assert bearer(plaintext).get("/api/v1/me").status_code == 401


def test_expired_token_is_401(reviewer: User) -> None:
    expires = clock.now() + dt.timedelta(days=1)
    _token, plaintext = service_token_create(actor=None, user=reviewer, name="hr", expires_at=expires)
    assert bearer(plaintext).get("/api/v1/me").status_code == 200
    with clock.travel(expires + dt.timedelta(seconds=1)):
        assert bearer(plaintext).get("/api/v1/me").status_code == 401


def test_token_of_a_disabled_user_is_401(reviewer: User) -> None:
    plaintext = service_token(reviewer)
    User.objects.filter(pk=reviewer.pk).update(is_active=False)
    assert bearer(plaintext).get("/api/v1/me").status_code == 401


def test_token_of_an_applicant_is_401() -> None:
    applicant = User.objects.create_user(username="applicant1", password="x", real_name="申请人")
    plaintext = "jz_applicant-token-for-test"
    ServiceToken.objects.create(user=applicant, name="x", token_hash=token_hash(plaintext), prefix="jz_appli")
    assert bearer(plaintext).get("/api/v1/me").status_code == 401


def test_only_the_hash_is_stored(reviewer: User) -> None:
    token, plaintext = service_token_create(actor=None, user=reviewer, name="hr", expires_at=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT token_hash, prefix FROM accounts_servicetoken WHERE id = %s", [token.pk])
        stored_hash, prefix = cursor.fetchone()
    assert plaintext not in (stored_hash, prefix)
    assert stored_hash == token_hash(plaintext)
    assert plaintext.startswith(prefix)
    assert len(prefix) == 8


def test_last_used_at_is_written_at_most_once_a_minute(reviewer: User) -> None:
    token, plaintext = service_token_create(actor=None, user=reviewer, name="hr", expires_at=None)
    api = bearer(plaintext)
    api.get("/api/v1/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == first
    with clock.travel(clock.now() + dt.timedelta(minutes=2)):
        api.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > first


def test_token_post_needs_no_csrf(admin: User) -> None:
    response = token_client(admin).post_json(
        "/api/v1/staff",
        {
            "institution_id": admin.institution_id,
            "username": "csrf_free",
            "real_name": "赵六",
            "phone": "13900001111",
            "resident_id": "340104198503151253",
            "post": "审核员",
            "role": "registration_reviewer",
        },
    )
    assert response.status_code == 201


# --- token management ----------------------------------------------------------------


def test_token_creation_is_audited(reviewer: User) -> None:
    security_admin = staff_user(bureau(PROVINCE), Role.SECURITY_ADMIN)
    token, _plaintext = service_token_create(
        actor=security_admin, user=reviewer, name="人事系统", expires_at=None
    )
    event = AuditEvent.objects.get(kind=AuditKind.SERVICE_TOKEN_CREATED, object_id=str(token.pk))
    assert event.actor_id == security_admin.pk
    assert event.institution_id == reviewer.institution_id
    assert event.details["prefix"] == token.prefix
    assert _plaintext not in str(event.details)


def test_token_creation_is_for_the_security_admin(admin: User, reviewer: User) -> None:
    with pytest.raises(PermissionDenied):
        service_token_create(actor=admin, user=reviewer, name="x", expires_at=None)
    assert not ServiceToken.objects.exists()


def test_token_creation_refuses_applicants_and_past_expiry(reviewer: User) -> None:
    applicant = User.objects.create_user(username="applicant2", password="x", real_name="申请人")
    with pytest.raises(ValidationFailed):
        service_token_create(actor=None, user=applicant, name="x", expires_at=None)
    with pytest.raises(ValidationFailed):
        service_token_create(
            actor=None, user=reviewer, name="x", expires_at=clock.now() - dt.timedelta(days=1)
        )


def test_token_revocation_is_audited_once(reviewer: User) -> None:
    token, _ = service_token_create(actor=None, user=reviewer, name="hr", expires_at=None)
    service_token_revoke(actor=None, token_id=token.pk)
    with pytest.raises(Conflict):
        service_token_revoke(actor=None, token_id=token.pk)
    assert (
        AuditEvent.objects.filter(kind=AuditKind.SERVICE_TOKEN_REVOKED, object_id=str(token.pk)).count() == 1
    )


def test_create_service_token_command(reviewer: User) -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "create_service_token",
        reviewer.username,
        "培训学时同步",
        "--expires-days",
        "30",
        stdout=out,
        stderr=err,
    )
    plaintext = out.getvalue().strip()
    assert plaintext.startswith("jz_")
    assert plaintext not in err.getvalue()
    assert bearer(plaintext).get("/api/v1/me").json()["username"] == reviewer.username
    token = ServiceToken.objects.get(user=reviewer)
    assert token.expires_at is not None
    assert dt.timedelta(days=29) < token.expires_at - clock.now() <= dt.timedelta(days=30)


def test_create_service_token_command_unknown_user() -> None:
    with pytest.raises(CommandError):
        call_command("create_service_token", "nobody", "x", stdout=StringIO(), stderr=StringIO())


# --- browser sessions ---------------------------------------------------------------


def test_verified_staff_session_authenticates(reviewer: User) -> None:
    response = session_client(reviewer).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["auth"] == "session"


def test_session_without_verified_otp_is_401(reviewer: User) -> None:
    assert session_client(reviewer, verified=False).get("/api/v1/me").status_code == 401


def test_session_with_a_password_to_change_is_refused(reviewer: User) -> None:
    User.objects.filter(pk=reviewer.pk).update(must_change_password=True)
    reviewer.refresh_from_db()
    response = session_client(reviewer).get("/api/v1/me")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("unauthenticated", "password_change_required")


def test_applicant_session_is_401() -> None:
    applicant = User.objects.create_user(username="applicant3", password="x", real_name="申请人")
    client = Client()
    client.force_login(applicant)
    assert client.get("/api/v1/me").status_code == 401


def test_session_post_requires_csrf(admin: User) -> None:
    browser = session_client(admin)
    body = {
        "institution_id": admin.institution_id,
        "username": "via_browser",
        "real_name": "钱七",
        "phone": "13900002222",
        "resident_id": "340104198503151261",
        "post": "审核员",
        "role": "registration_reviewer",
    }
    refused = browser.post_json("/api/v1/staff", body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert not User.objects.filter(username="via_browser").exists()
    accepted = browser.post_json("/api/v1/staff", body, csrf=True)
    assert accepted.status_code == 201


def test_anonymous_post_is_401_not_a_csrf_error() -> None:
    response = Client(enforce_csrf_checks=True).post("/api/v1/staff", {}, content_type="application/json")
    assert response.status_code == 401


# --- OpenAPI document and docs ------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_schema_and_docs_are_404_to_the_public(client: Any, url: str, reviewer: User) -> None:
    unknown = client.get("/api/v1/no-such-page")
    response = client.get(url)
    assert response.status_code == 404
    assert response.json() == unknown.json()
    assert session_client(reviewer, verified=False).get(url).status_code == 404


def test_schema_for_staff(reviewer: User) -> None:
    for api in (token_client(reviewer), session_client(reviewer)):
        response = api.get("/api/v1/openapi.json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["info"]["title"] == "Jiaozi 教资 API"
        assert schema["info"]["version"] == "1"


def test_docs_page_uses_local_files_only(reviewer: User) -> None:
    response = session_client(reviewer).get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)
    assets = re.findall(r"(?:src|href)=\"/static/([^\"]+)\"", html)
    assert {"ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"} <= set(assets)
    for asset in assets:
        assert finders.find(asset), asset
    # Swagger UI's online validator would send the schema to swagger.io.
    assert '"validatorUrl": null' in html


def test_operation_ids_are_unique_function_names(reviewer: User) -> None:
    schema = token_client(reviewer).get("/api/v1/openapi.json").json()
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert {"me", "staff_list", "staff_create", "institution_list", "institution_public_info_update"} <= set(
        ids
    )


def test_schema_documents_problems(reviewer: User) -> None:
    schema = token_client(reviewer).get("/api/v1/openapi.json").json()
    create = schema["paths"]["/api/v1/staff"]["post"]
    assert {"201", "400", "401", "403", "409", "422", "429"} <= set(create["responses"])
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert "Idempotent-Replayed" in create["responses"]["201"]["headers"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    for item in schema["paths"].values():
        for op in item.values():
            if op.get("security"):
                assert "401" in op["responses"]
            else:
                assert op["operationId"] in PUBLIC_OPERATIONS
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
    # Applicants' sessions serve the registration operations they take part in (0122).
    assert set(schema["components"]["securitySchemes"]) == {
        "ServiceTokenAuth",
        "StaffSessionAuth",
        "ApplicantSessionAuth",
    }


def test_session_auth_itself_refuses_a_password_to_change(reviewer: User) -> None:
    """Belt and braces: even if a session reached the API with an initial password."""
    request = RequestFactory().get("/api/v1/me")
    reviewer.must_change_password = True
    reviewer.is_verified = lambda: True  # type: ignore[attr-defined]
    request.user = reviewer
    with pytest.raises(PasswordChangeRequired):
        StaffSessionAuth().authenticate(request, None)
    reviewer.must_change_password = False
    assert StaffSessionAuth().authenticate(request, None) == reviewer
