"""Idempotency-Key on creating POSTs (§13, SECURITY 14): replay, reuse with another
body, failures leaving nothing behind, expiry, and concurrent duplicates."""

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.http import HttpRequest
from django.urls import include, path
from ninja import Router, Schema
from ninja.responses import Status

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.api import idempotency, idempotency_records_purge, idempotent, problems
from jiaozi.core.api.base import JiaoziAPI
from jiaozi.core.api.testing import ApiClient, service_token, session_client, staff_user, token_client
from jiaozi.core.models import IdempotencyRecord
from jiaozi.orgs.models import Division
from jiaozi.orgs.tests.factories import LUYANG, bureau
from jiaozi.testing.race import failures, race, returned, shared_cache_sqlite

# --- a test-only operation that writes, then fails on demand ----------------------------

router = Router()


class DivisionIn(Schema):
    code: str
    fail: bool = False


@router.post("/divisions", response={201: dict, **problems(400)})
@idempotent
def division_create(request: HttpRequest, payload: DivisionIn) -> Any:
    Division.objects.create(code=payload.code, name="测试", level="county", parent_id=LUYANG)
    if payload.fail:
        raise RuntimeError("failure after the write")
    return Status(201, {"code": payload.code})


test_api = JiaoziAPI(title="test", version="test", urls_namespace="idempotency-test")
test_api.add_router("", router)
urlpatterns = [path("t/", test_api.urls), path("", include("config.urls"))]


@pytest.fixture
def admin(db: Any) -> User:
    return staff_user(bureau(LUYANG), Role.INSTITUTION_ADMIN)


def staff_body(admin: User, **overrides: Any) -> dict[str, Any]:
    body = {
        "institution_id": admin.institution_id,
        "username": "idem_user",
        "real_name": "孙八",
        "phone": "13900003333",
        "resident_id": "34010419850315127X",
        "post": "审核员",
        "role": "registration_reviewer",
    }
    body.update(overrides)
    return body


def created_count() -> int:
    return User.objects.filter(username__startswith="idem_").count()


# --- replay and reuse ---------------------------------------------------------------------


@pytest.mark.django_db
def test_replay_returns_the_stored_answer(admin: User) -> None:
    api = token_client(admin)
    first = api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="key-1")
    second = api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="key-1")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content  # the initial password too: same answer
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert second["Content-Type"] == first["Content-Type"]
    assert created_count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.STAFF_CREATED).count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_json_is_compared_by_value(admin: User) -> None:
    api = token_client(admin)
    body = staff_body(admin)
    api.post_json("/api/v1/staff", body, idempotency_key="key-2")
    reordered = (
        '{\n "role": "registration_reviewer", '
        + ", ".join(f'"{k}": {v!r}'.replace("'", '"') for k, v in body.items() if k != "role")
        + "}"
    )
    replay = api.post_json("/api/v1/staff", reordered, idempotency_key="key-2")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_same_key_with_another_body_is_422(admin: User) -> None:
    api = token_client(admin)
    assert api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="key-3").status_code == 201
    response = api.post_json(
        "/api/v1/staff", staff_body(admin, username="idem_other"), idempotency_key="key-3"
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "idempotency_key_reused"
    assert created_count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_user(admin: User) -> None:
    other = staff_user(bureau(LUYANG), Role.INSTITUTION_ADMIN)
    a = token_client(admin).post_json("/api/v1/staff", staff_body(admin), idempotency_key="shared")
    b = token_client(other).post_json(
        "/api/v1/staff", staff_body(admin, username="idem_b", phone="13900004444"), idempotency_key="shared"
    )
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b
    assert created_count() == 2


@pytest.mark.django_db
def test_without_a_key_each_post_runs(admin: User) -> None:
    api = token_client(admin)
    assert api.post_json("/api/v1/staff", staff_body(admin)).status_code == 201
    assert api.post_json("/api/v1/staff", staff_body(admin)).status_code == 400  # username taken
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "中文键"])
def test_malformed_key_is_400(admin: User, key: str) -> None:
    response = token_client(admin).post_json("/api/v1/staff", staff_body(admin), idempotency_key=key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert created_count() == 0


@pytest.mark.django_db
def test_anonymous_with_a_key_is_401(admin: User) -> None:
    response = ApiClient().post_json("/api/v1/staff", staff_body(admin), idempotency_key="anon")
    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_session_with_a_key_still_needs_csrf(admin: User) -> None:
    browser = session_client(admin)
    refused = browser.post_json("/api/v1/staff", staff_body(admin), idempotency_key="k")
    assert refused.status_code == 403
    assert not IdempotencyRecord.objects.exists()
    accepted = browser.post_json("/api/v1/staff", staff_body(admin), idempotency_key="k", csrf=True)
    assert accepted.status_code == 201


# --- failures leave nothing --------------------------------------------------------------


@pytest.mark.django_db
def test_refused_request_leaves_no_record(admin: User) -> None:
    api = token_client(admin)
    refused = api.post_json("/api/v1/staff", staff_body(admin, role="province_admin"), idempotency_key="k4")
    assert refused.status_code == 403
    assert not IdempotencyRecord.objects.exists()
    # The client fixes the request and retries with the same key: it runs.
    assert api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="k4").status_code == 201


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_failure_after_the_write_rolls_back_work_and_record(admin: User) -> None:
    api = token_client(admin)
    response = api.post_json("/t/divisions", {"code": "349901", "fail": True}, idempotency_key="k5")
    assert response.status_code == 500
    assert not Division.objects.filter(code="349901").exists()
    assert not IdempotencyRecord.objects.exists()
    ok = api.post_json("/t/divisions", {"code": "349901"}, idempotency_key="k6")
    assert ok.status_code == 201
    assert Division.objects.filter(code="349901").count() == 1


# --- expiry and storage -----------------------------------------------------------------


@pytest.mark.django_db
def test_keys_expire_after_24_hours(admin: User) -> None:
    api = token_client(admin)
    api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="k7")
    with clock.travel(clock.now() + dt.timedelta(hours=23)):
        assert api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="k7")["Idempotent-Replayed"]
    with clock.travel(clock.now() + dt.timedelta(hours=25)):
        fresh = api.post_json(
            "/api/v1/staff",
            staff_body(admin, username="idem_later", phone="13900005555"),
            idempotency_key="k7",
        )
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh
    assert created_count() == 2
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_purge_deletes_expired_records_only(admin: User) -> None:
    api = token_client(admin)
    api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="old")
    with clock.travel(clock.now() + dt.timedelta(hours=20)):
        api.post_json(
            "/api/v1/staff",
            staff_body(admin, username="idem_new", phone="13900006666"),
            idempotency_key="new",
        )
    assert idempotency_records_purge(now=clock.now() + dt.timedelta(hours=30)) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_stored_answer_is_encrypted_at_rest(admin: User) -> None:
    response = token_client(admin).post_json("/api/v1/staff", staff_body(admin), idempotency_key="k8")
    password = response.json()["initial_password"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body FROM core_idempotencyrecord")
        (raw,) = cursor.fetchone()
    assert password not in raw
    assert "idem_user" not in raw
    assert IdempotencyRecord.objects.get().response_body == response.content.decode()


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.django_db
def test_losing_the_race_replays_the_winner(admin: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """The interleaving a race produces, made deterministic: this request looks before
    the winner commits (sees nothing), then its insert meets the winner's record."""
    api = token_client(admin)
    winner = api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="race")
    real_lookup = idempotency._lookup
    calls = {"n": 0}

    def blind_once(user: AbstractBaseUser, key: str) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_lookup(user, key)

    monkeypatch.setattr(idempotency, "_lookup", blind_once)
    loser = api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="race")
    assert loser.status_code == 201
    assert loser["Idempotent-Replayed"] == "true"
    assert loser.content == winner.content
    assert created_count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.STAFF_CREATED).count() == 1


@pytest.mark.django_db
def test_a_key_that_stays_taken_is_409(admin: User, monkeypatch: pytest.MonkeyPatch) -> None:
    api = token_client(admin)
    api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="busy")
    monkeypatch.setattr(idempotency, "_lookup", lambda user, key: None)
    response = api.post_json("/api/v1/staff", staff_body(admin), idempotency_key="busy")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert created_count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one(admin: User) -> None:
    """Real threads. SQLite's shared in-memory test database answers "table is locked"
    instead of waiting, so this runs on PostgreSQL (and file-based SQLite); the test
    above covers the same interleaving everywhere."""
    if shared_cache_sqlite():
        pytest.skip("needs a database that queues concurrent writers (PostgreSQL or SQLite on disk)")
    token = service_token(admin)
    body = staff_body(admin)

    def post(_n: int) -> Any:
        client = ApiClient(headers={"Authorization": f"Bearer {token}"})
        return client.post_json("/api/v1/staff", body, idempotency_key="race")

    results = race(post, threads=2, retry=False, timeout=60)
    assert not failures(results), results
    responses = returned(results)
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([201, 201], [201, 409]), [r.content for r in responses]
    assert created_count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.STAFF_CREATED).count() == 1
    if statuses == [201, 201]:
        assert responses[0].content == responses[1].content
        assert sum(r.get("Idempotent-Replayed") == "true" for r in responses) == 1
