"""The registration applications API (§13): per operation one allowed and one forbidden
call, the problem codes of the workflow (wrong_stage, stale_version, window_closed,
reason_required, conflict_of_interest, not_found), jurisdiction (a county-A token never
sees county B), applicants through their browser session with CSRF, idempotent submit,
and the anonymous, rate-limited objection."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.api.testing import ApiClient, token_client
from jiaozi.orgs.tests.factories import YAOHAI, bureau
from jiaozi.registration.models import Application, ApplicationStep, Material, Notice, Objection
from jiaozi.registration.notices import notice_publish
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    STEPS_CLOSED,
    Chain,
    another_applicant,
    application,
    chain,
    drive,
    link,
)
from jiaozi.registration.tests.test_completion import pdf_text
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db

API = "/api/v1/registration"


@pytest.fixture(autouse=True)
def at_open() -> Iterator[None]:
    # Every window of Anhui 2024 is open; sessions start and are used on this clock.
    with clock.travel(OPEN):
        yield


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    # Rate-limit counters live in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def c() -> Chain:
    return chain()


def on_notice(c: Chain) -> tuple[Notice, Application]:
    """An application of the chain published on a notice by its registration reviewer."""
    app = application(c, status=Status.CONCLUDED)
    notice = notice_publish(actor=c.registration_reviewer, application_ids=[app.pk])
    app.refresh_from_db()
    return notice, app


def applicant_client(user: User) -> ApiClient:
    """An applicant's browser: signed in, CSRF enforced (its token at hand)."""
    client = ApiClient(enforce_csrf_checks=True)
    client.force_login(user)
    request = RequestFactory().get("/")
    client.csrf_token = get_token(request)
    client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return client


def county_b_reviewer() -> User:
    return make_staff(role=Role.REGISTRATION_REVIEWER, institution=bureau(YAOHAI))


def staff_api(c: Chain, level: str) -> ApiClient:
    user = c.staff(level)
    assert user is not None
    return token_client(user)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


# --- Reading ------------------------------------------------------------------------------


def test_list_for_a_reviewer_is_their_jurisdiction_only(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    response = staff_api(c, "registration").get(f"{API}/applications?tab=todo")
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["items"]] == [app.pk]
    row = body["items"][0]
    assert row["resident_id_masked"] == c.teacher.resident_id[:6] + "********" + c.teacher.resident_id[-4:]
    assert c.teacher.resident_id not in response.content.decode()

    other = token_client(county_b_reviewer()).get(f"{API}/applications?tab=all")
    assert other.status_code == 200
    assert other.json()["items"] == []


def test_list_query_count_does_not_grow_with_the_rows(c: Chain, django_assert_max_num_queries: Any) -> None:
    api = staff_api(c, "registration")
    application(c, status=Status.REGISTRATION_REVIEW)
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(f"{API}/applications?tab=todo").json()["items"]) == 1
    for _n in range(5):
        stranger, certificate = another_applicant(c)
        application(c, applicant=stranger, certificate_=certificate, status=Status.REGISTRATION_REVIEW)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(f"{API}/applications?tab=todo").json()["items"]) == 6


def test_list_for_an_applicant_is_their_own(c: Chain) -> None:
    mine = application(c, status=Status.DRAFT)
    stranger, certificate = another_applicant(c)
    application(c, applicant=stranger, certificate_=certificate, status=Status.DRAFT)
    response = applicant_client(c.applicant).get(f"{API}/applications")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["items"]] == [mine.pk]


def test_list_refuses_a_resident_id_in_the_url(c: Chain) -> None:
    response = staff_api(c, "registration").get(f"{API}/applications?q={c.teacher.resident_id}")
    body = problem(response, 400, "validation_failed")
    assert body["errors"][0]["field"] == "q"


def test_list_without_credentials_is_401() -> None:
    problem(ApiClient().get(f"{API}/applications"), 401, "unauthenticated")


def test_detail_allowed_in_scope_with_masked_data(c: Chain) -> None:
    app = application(c, status=Status.SCHOOL_REVIEW, phone="13912345678")
    response = staff_api(c, "school").get(f"{API}/applications/{app.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == Status.SCHOOL_REVIEW
    assert body["phone_masked"] == "139****5678"
    assert body["actions"] == ["school_approve", "return_to_applicant"]
    assert body["school"]["id"] == c.school.pk
    text = response.content.decode()
    assert c.teacher.resident_id not in text
    assert "13912345678" not in text


def test_detail_of_county_b_is_404_for_a_county_a_token(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    problem(token_client(county_b_reviewer()).get(f"{API}/applications/{app.pk}"), 404, "not_found")


def test_timeline_of_the_own_application(c: Chain) -> None:
    app = drive(c, to=Status.REGISTRATION_REVIEW)
    response = applicant_client(c.applicant).get(f"{API}/applications/{app.pk}/timeline")
    assert response.status_code == 200
    body = response.json()
    assert body["holder"] == "registration"
    assert body["holder_institution"]["id"] == c.authority.pk
    assert body["deadline"] is not None
    assert [s["action"] for s in body["steps"]] == ["submit", "school_approve"]
    assert [s["state"] for s in body["stages"]][:3] == ["done", "done", "current"]


def test_timeline_of_someone_elses_application_is_404(c: Chain) -> None:
    app = application(c, status=Status.SCHOOL_REVIEW)
    stranger, _certificate = another_applicant(c)
    problem(applicant_client(stranger).get(f"{API}/applications/{app.pk}/timeline"), 404, "not_found")


# --- The applicant's actions --------------------------------------------------------------


def test_start_then_start_again_leaves_one_application(c: Chain) -> None:
    link(c.applicant, c.teacher)
    client = applicant_client(c.applicant)
    payload = {"certificate_id": c.certificate.pk}
    first = client.post_json(f"{API}/applications", payload, csrf=True)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == Status.DRAFT
    # A double click without an Idempotency-Key: still one active application.
    second = client.post_json(f"{API}/applications", payload, csrf=True)
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert Application.objects.filter(certificate=c.certificate).count() == 1


def test_start_is_refused_until_the_record_is_linked(c: Chain) -> None:
    client = applicant_client(c.applicant)
    response = client.post_json(f"{API}/applications", {"certificate_id": c.certificate.pk}, csrf=True)
    problem(response, 403, "teacher_not_linked")
    assert not Application.objects.exists()


def test_start_is_refused_to_staff(c: Chain) -> None:
    response = staff_api(c, "school").post_json(f"{API}/applications", {"certificate_id": c.certificate.pk})
    problem(response, 403, "forbidden")
    assert not Application.objects.exists()


def test_start_needs_the_csrf_token_in_a_browser(c: Chain) -> None:
    response = applicant_client(c.applicant).post_json(
        f"{API}/applications", {"certificate_id": c.certificate.pk}
    )
    problem(response, 403, "csrf_failed")


def test_update_draft(c: Chain) -> None:
    app = application(c, status=Status.DRAFT)
    response = applicant_client(c.applicant).patch_json(
        f"{API}/applications/{app.pk}",
        {"version": app.version, "address": "合肥市庐阳区长江中路1号"},
        csrf=True,
    )
    assert response.status_code == 200, response.content
    assert response.json()["address"] == "合肥市庐阳区长江中路1号"
    assert response.json()["version"] == app.version + 1


def test_update_of_someone_elses_draft_is_404(c: Chain) -> None:
    app = application(c, status=Status.DRAFT)
    stranger, _certificate = another_applicant(c)
    response = applicant_client(stranger).patch_json(
        f"{API}/applications/{app.pk}", {"version": app.version, "address": "别处"}, csrf=True
    )
    problem(response, 404, "not_found")
    app.refresh_from_db()
    assert app.address == ""


def test_submit_replayed_with_the_same_key_submits_once(c: Chain) -> None:
    app = application(c, status=Status.DRAFT, materials=True)
    client = applicant_client(c.applicant)
    url = f"{API}/applications/{app.pk}/submit"
    first = client.post_json(url, {"version": app.version}, idempotency_key="submit-1", csrf=True)
    assert first.status_code == 200, first.content
    assert first.json()["status"] == Status.SCHOOL_REVIEW
    replay = client.post_json(url, {"version": app.version}, idempotency_key="submit-1", csrf=True)
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert ApplicationStep.objects.filter(application=app, action="submit").count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.APPLICATION_SUBMITTED).count() == 1
    # The same key for another request is refused.
    reused = client.post_json(url, {"version": app.version + 1}, idempotency_key="submit-1", csrf=True)
    problem(reused, 422, "idempotency_key_reused")
    # Without a key, a second submit finds the application already submitted.
    again = client.post_json(url, {"version": app.version}, csrf=True)
    problem(again, 409, "wrong_stage")


def test_submit_by_a_reviewer_is_refused(c: Chain) -> None:
    app = application(c, status=Status.DRAFT, materials=True)
    response = staff_api(c, "school").post_json(
        f"{API}/applications/{app.pk}/submit", {"version": app.version}
    )
    assert response.status_code in (403, 404)
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_submit_after_the_window_is_409(c: Chain) -> None:
    app = application(c, status=Status.DRAFT, materials=True)
    client = applicant_client(c.applicant)
    with clock.travel(STEPS_CLOSED):
        client.force_login(c.applicant)  # a fresh session on the moved clock
        response = client.post_json(
            f"{API}/applications/{app.pk}/submit", {"version": app.version}, csrf=True
        )
    problem(response, 409, "window_closed")


def test_withdraw_before_school_review(c: Chain) -> None:
    app = application(c, status=Status.SCHOOL_REVIEW)
    response = applicant_client(c.applicant).post_json(
        f"{API}/applications/{app.pk}/withdraw", {"version": app.version}, csrf=True
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.WITHDRAWN


def test_withdraw_after_the_school_approved_is_409(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    response = applicant_client(c.applicant).post_json(
        f"{API}/applications/{app.pk}/withdraw", {"version": app.version}, csrf=True
    )
    problem(response, 409, "wrong_stage")


def test_resubmit_after_a_return(c: Chain) -> None:
    app = application(c, status=Status.RETURNED, materials=True)
    response = applicant_client(c.applicant).post_json(
        f"{API}/applications/{app.pk}/resubmit", {"version": app.version}, csrf=True
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.SCHOOL_REVIEW


def test_resubmit_with_a_stale_version_is_409(c: Chain) -> None:
    app = application(c, status=Status.RETURNED, materials=True)
    response = applicant_client(c.applicant).post_json(
        f"{API}/applications/{app.pk}/resubmit", {"version": app.version + 5}, csrf=True
    )
    problem(response, 409, "stale_version")


# --- The reviewers' actions ---------------------------------------------------------------


def test_transition_school_approve(c: Chain) -> None:
    app = application(c, status=Status.SCHOOL_REVIEW)
    response = staff_api(c, "school").post_json(
        f"{API}/applications/{app.pk}/transitions", {"action": "school_approve", "version": app.version}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.REGISTRATION_REVIEW


def test_transition_by_county_b_is_404_and_changes_nothing(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    response = token_client(county_b_reviewer()).post_json(
        f"{API}/applications/{app.pk}/transitions",
        {"action": "conclude", "version": app.version, "conclusion": "qualified"},
    )
    problem(response, 404, "not_found")
    app.refresh_from_db()
    assert app.status == Status.REGISTRATION_REVIEW


def test_transition_problem_codes(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW, suggestion="qualified")
    api = staff_api(c, "registration")
    url = f"{API}/applications/{app.pk}/transitions"
    problem(
        api.post_json(url, {"action": "return_to_applicant", "version": app.version}), 400, "reason_required"
    )
    problem(
        api.post_json(url, {"action": "revise", "version": app.version, "reason": "重新审核"}),
        409,
        "wrong_stage",
    )
    problem(
        api.post_json(url, {"action": "conclude", "version": app.version + 1, "conclusion": "qualified"}),
        409,
        "stale_version",
    )
    with clock.travel(STEPS_CLOSED):
        problem(
            api.post_json(url, {"action": "conclude", "version": app.version, "conclusion": "qualified"}),
            409,
            "window_closed",
        )
    app.refresh_from_db()
    assert app.status == Status.REGISTRATION_REVIEW


def test_transition_on_ones_own_application_is_a_conflict_of_interest(c: Chain) -> None:
    teacher = c.teacher
    teacher.phone = "13955550001"
    teacher.save()
    # A colleague at the registration authority whose phone is the teacher's: the teacher.
    reviewer = make_staff(role=Role.REGISTRATION_REVIEWER, institution=c.authority, phone="13955550001")
    app = application(c, status=Status.REGISTRATION_REVIEW)
    response = token_client(reviewer).post_json(
        f"{API}/applications/{app.pk}/transitions",
        {"action": "conclude", "version": app.version, "conclusion": "qualified"},
    )
    problem(response, 403, "conflict_of_interest")


def test_batch_with_mixed_results(c: Chain) -> None:
    good = application(c, status=Status.SCHOOL_REVIEW)
    stranger, certificate = another_applicant(c)
    stale = application(c, applicant=stranger, certificate_=certificate, status=Status.SCHOOL_REVIEW)
    response = staff_api(c, "school").post_json(
        f"{API}/batch-transitions",
        {
            "action": "school_approve",
            "items": [
                {"application_id": good.pk, "version": good.version},
                {"application_id": stale.pk, "version": stale.version + 1},
            ],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["succeeded"] == [good.pk]
    assert [(f["application_id"], f["code"]) for f in body["failed"]] == [(stale.pk, "stale_version")]


def test_batch_is_not_for_applicants(c: Chain) -> None:
    app = application(c, status=Status.SCHOOL_REVIEW)
    response = applicant_client(c.applicant).post_json(
        f"{API}/batch-transitions",
        {"action": "school_approve", "items": [{"application_id": app.pk, "version": app.version}]},
        csrf=True,
    )
    problem(response, 401, "unauthenticated")


# --- Materials ----------------------------------------------------------------------------


def _upload(client: ApiClient, app: Application) -> Any:
    return client.post(
        f"{API}/applications/{app.pk}/materials",
        {"kind": "certificate", "file": SimpleUploadedFile("证书.pdf", pdf_bytes(), "application/pdf")},
        headers={"X-CSRFToken": client.csrf_token},
    )


def test_material_upload_by_the_applicant(c: Chain) -> None:
    app = application(c, status=Status.DRAFT)
    response = _upload(applicant_client(c.applicant), app)
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "application/pdf"
    assert Material.objects.filter(application=app).count() == 1


def test_material_upload_to_someone_elses_application_is_404(c: Chain) -> None:
    app = application(c, status=Status.DRAFT)
    stranger, _certificate = another_applicant(c)
    problem(_upload(applicant_client(stranger), app), 404, "not_found")
    assert not Material.objects.exists()


def test_material_download_in_scope_and_not_in_county_b(c: Chain) -> None:
    app = application(c, status=Status.DRAFT)
    material_id = _upload(applicant_client(c.applicant), app).json()["id"]
    response = staff_api(c, "school").get(f"{API}/materials/{material_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response.getvalue() == pdf_bytes()
    problem(token_client(county_b_reviewer()).get(f"{API}/materials/{material_id}"), 404, "not_found")


def test_material_delete_by_the_applicant_only(c: Chain) -> None:
    app = application(c, status=Status.DRAFT)
    client = applicant_client(c.applicant)
    material_id = _upload(client, app).json()["id"]
    problem(staff_api(c, "school").delete(f"{API}/materials/{material_id}"), 404, "not_found")
    response = client.delete(f"{API}/materials/{material_id}", headers={"X-CSRFToken": client.csrf_token})
    assert response.status_code == 204
    assert not Material.objects.exists()


# --- The stamped form ---------------------------------------------------------------------


def test_form_pdf_for_the_applicant(c: Chain, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        app = drive(c, to=Status.COMPLETED)
    response = applicant_client(c.applicant).get(f"{API}/applications/{app.pk}/form.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store, private"
    text = pdf_text(response.content)
    assert c.teacher.name in text
    assert "注册合格" in text
    assert AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW, actor_id=c.applicant.pk).count() == 1


def test_form_pdf_for_county_b_is_404(c: Chain) -> None:
    app = drive(c, to=Status.COMPLETED)
    problem(token_client(county_b_reviewer()).get(f"{API}/applications/{app.pk}/form.pdf"), 404, "not_found")


def test_form_pdf_before_completion_is_409(c: Chain) -> None:
    app = application(c, status=Status.CITY_RECHECK)
    problem(applicant_client(c.applicant).get(f"{API}/applications/{app.pk}/form.pdf"), 409, "wrong_stage")


# --- Notices and objections ---------------------------------------------------------------


def test_notice_publish_by_the_registration_reviewer(c: Chain) -> None:
    app = application(c, status=Status.CONCLUDED)
    api = staff_api(c, "registration")
    response = api.post_json(f"{API}/notices", {"application_ids": [app.pk]}, idempotency_key="notice-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["entry_count"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", body["list_sha256"])
    app.refresh_from_db()
    assert (app.status, app.notice_id) == (Status.NOTICE, body["id"])
    assert [n["id"] for n in api.get(f"{API}/notices").json()["items"]] == [body["id"]]


def test_notice_publish_by_a_school_reviewer_is_403(c: Chain) -> None:
    app = application(c, status=Status.CONCLUDED)
    problem(
        staff_api(c, "school").post_json(f"{API}/notices", {"application_ids": [app.pk]}), 403, "forbidden"
    )
    assert not Notice.objects.exists()


def _object(client: ApiClient, notice: Notice, app: Application) -> Any:
    return client.post_json(
        f"{API}/notices/{notice.pk}/objections",
        {
            "application_id": app.pk,
            "anonymous": True,
            "contact": "13800001111",
            "content": "该教师近两年未在本校任教。",
        },
    )


def test_public_objection_without_signing_in(c: Chain) -> None:
    notice, app = on_notice(c)
    response = _object(ApiClient(), notice, app)
    assert response.status_code == 201, response.content
    assert response.json()["state"] == Objection.State.OPEN
    app.refresh_from_db()
    assert app.status == Status.NOTICE_PAUSED


def test_public_objection_is_rate_limited(c: Chain, settings: Any) -> None:
    settings.OBJECTION_IP_RATE_LIMIT = (1, 3600)
    notice, app = on_notice(c)
    assert _object(ApiClient(), notice, app).status_code == 201
    response = _object(ApiClient(), notice, app)
    problem(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert Objection.objects.count() == 1


def test_objection_list_and_resolve_by_the_reviewer(c: Chain) -> None:
    notice, app = on_notice(c)
    _object(ApiClient(), notice, app)
    api = staff_api(c, "registration")
    listed = api.get(f"{API}/objections?state=open")
    assert listed.status_code == 200
    (row,) = listed.json()["items"]
    assert row["contact_masked"] != "13800001111"
    assert "13800001111" not in listed.content.decode()
    response = api.post_json(
        f"{API}/objections/{row['id']}/resolve",
        {
            "upheld": False,
            "resolution": "经核实，该教师一直在本校任教。",
            "version": row["application_version"],
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == Objection.State.DISMISSED
    app.refresh_from_db()
    assert app.status == Status.NOTICE


def test_objections_of_county_a_are_invisible_to_county_b(c: Chain) -> None:
    notice, app = on_notice(c)
    _object(ApiClient(), notice, app)
    objection = Objection.objects.get()
    county_b = token_client(county_b_reviewer())
    assert county_b.get(f"{API}/objections").json()["items"] == []
    response = county_b.post_json(
        f"{API}/objections/{objection.pk}/resolve",
        {"upheld": False, "resolution": "不成立", "version": app.version + 1},
    )
    problem(response, 404, "not_found")
