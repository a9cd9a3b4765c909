"""The registration API keeps to each role's duty and never half-commits.

- Only reviewers of the chain's levels (in their jurisdiction) and the applicant (their
  own) read an application, its timeline, its stamped form and its materials. Admins, the
  三员 and the certifiers — of the province or of a county — get 403 on every API path,
  exactly as on the review page; the selectors below find nothing for them either.
- An operation that writes and then fails — an exception after the state write, or an
  answer that does not fit its response schema — leaves nothing behind, with or without
  an ``Idempotency-Key``.
- An application with materials is answered (``materials[].kind_label``) by the detail,
  the applicant's submit and the reviewers' transition.
- Every API answer carries ``Cache-Control: no-store``.
See docs/decisions/0160-0162."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.api.testing import ApiClient, service_token, session_client, token_client
from jiaozi.core.errors import NotFound
from jiaozi.registration.api import applications as applications_api
from jiaozi.registration.api import review as review_api
from jiaozi.registration.applications import materials
from jiaozi.registration.applications.selectors import application_list_visible_to
from jiaozi.registration.models import Application, ApplicationStep, Material
from jiaozi.registration.permissions import APPLICATION_READ_ROLES
from jiaozi.registration.review.selectors import QUEUE_ROLES
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    another_applicant,
    application,
    chain,
)
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.workflow import Status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

API = "/api/v1/registration"

# Every staff role without a duty in a registration, at the province bureau (whose
# jurisdiction covers every school) and, where the role exists there, at the county.
OTHER_ROLES = sorted(set(Role.values) - APPLICATION_READ_ROLES)
AT_COUNTY = {Role.CERTIFYING_OFFICER, Role.INSTITUTION_ADMIN}
OTHERS = [(role, "province") for role in OTHER_ROLES] + [(role, "county") for role in sorted(AT_COUNTY)]


@pytest.fixture(autouse=True)
def at_open() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


@pytest.fixture
def c() -> Chain:
    return chain()


def applicant_client(user: User, *, check: bool = True) -> ApiClient:
    client = ApiClient(enforce_csrf_checks=True, check=check)
    client.force_login(user)
    request = RequestFactory().get("/")
    client.csrf_token = get_token(request)
    client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return client


def unchecked_token_client(user: User) -> ApiClient:
    """A token client that lets a 5xx through, for the tests that cause one on purpose."""
    return ApiClient(headers={"Authorization": f"Bearer {service_token(user)}"}, check=False)


def with_material(c: Chain, *, status: str, all_required: bool = False) -> tuple[Application, Material]:
    """An application with one uploaded material (and, with ``all_required``, rows for
    the rest of the required ones), then moved to ``status``."""
    app = application(c, status=Status.DRAFT, materials=all_required)
    material = materials.material_upload(
        applicant=c.applicant,
        application_id=app.pk,
        kind=Material.Kind.CERTIFICATE,
        file=SimpleUploadedFile("证书.pdf", pdf_bytes(), "application/pdf"),
    )
    Application.objects.filter(pk=app.pk).update(status=status)
    app.refresh_from_db()
    return app, material


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def other_staff(c: Chain, role: str, where: str) -> User:
    institution = c.province if where == "province" else c.authority
    return make_staff(role=role, institution=institution)


# --- Finding 1: reads keep to the role's duty --------------------------------------------


def test_the_readers_are_the_queue_roles() -> None:
    # One role set for the pages and the API.
    assert APPLICATION_READ_ROLES == QUEUE_ROLES


@pytest.mark.parametrize(("role", "where"), OTHERS)
def test_staff_of_another_duty_get_403_on_every_application_read(c: Chain, role: str, where: str) -> None:
    app, material = with_material(c, status=Status.REGISTRATION_REVIEW)
    user = other_staff(c, role, where)
    api = token_client(user)
    for url in (
        f"{API}/applications",
        f"{API}/applications/{app.pk}",
        f"{API}/applications/{app.pk}/timeline",
        f"{API}/applications/{app.pk}/form.pdf",
        f"{API}/materials/{material.pk}",
    ):
        body = problem(api.get(url), 403, "forbidden")
        assert c.teacher.name not in str(body)
    # Each denial is audited, as the page's 403 is, also where the read's transaction
    # was rolled back (the form and the material download record what they serve).
    denials = AuditEvent.objects.filter(kind=AuditKind.ACCESS_DENIED, actor_id=user.pk)
    assert denials.count() == 5
    # The browser session answers the same, and so does the review page.
    browser = session_client(user)
    problem(browser.get(f"{API}/applications/{app.pk}"), 403, "forbidden")
    problem(browser.get(f"{API}/materials/{material.pk}"), 403, "forbidden")
    page = browser.get(reverse("registration:application_detail", args=[app.pk]))
    assert page.status_code == 403
    download = browser.get(reverse("registration:material", args=[material.pk]))
    assert download.status_code == 403
    assert not AuditEvent.objects.filter(kind=AuditKind.MATERIAL_DOWNLOADED).exists()


@pytest.mark.parametrize(("role", "where"), OTHERS)
def test_the_selectors_find_nothing_for_staff_of_another_duty(c: Chain, role: str, where: str) -> None:
    app, material = with_material(c, status=Status.REGISTRATION_REVIEW)
    user = other_staff(c, role, where)
    assert not application_list_visible_to(user=user).filter(pk=app.pk).exists()
    with pytest.raises(NotFound):
        materials.material_get_for_download(user=user, pk=material.pk)


def test_reviewers_in_scope_read_the_application_with_its_materials(c: Chain) -> None:
    app, material = with_material(c, status=Status.REGISTRATION_REVIEW)
    for reviewer in (c.school_reviewer, c.registration_reviewer, c.province_reviewer):
        api = token_client(reviewer)
        response = api.get(f"{API}/applications/{app.pk}")
        assert response.status_code == 200, response.content
        (listed,) = response.json()["materials"]
        assert listed["id"] == material.pk
        assert listed["kind_label"] == str(Material.Kind.CERTIFICATE.label)
        download = api.get(f"{API}/materials/{material.pk}")
        assert download.status_code == 200
        assert download.getvalue() == pdf_bytes()


def test_an_applicant_reads_their_own_and_nobody_elses(c: Chain) -> None:
    app, material = with_material(c, status=Status.SCHOOL_REVIEW)
    own = applicant_client(c.applicant).get(f"{API}/applications/{app.pk}")
    assert own.status_code == 200, own.content
    assert own.json()["materials"][0]["kind"] == Material.Kind.CERTIFICATE
    stranger, _certificate = another_applicant(c)
    client = applicant_client(stranger)
    problem(client.get(f"{API}/applications/{app.pk}"), 404, "not_found")
    problem(client.get(f"{API}/materials/{material.pk}"), 404, "not_found")


# --- Finding 2: answers with materials, and nothing half-done ------------------------------


def test_submit_and_transition_answer_an_application_with_materials(c: Chain) -> None:
    app, _material = with_material(c, status=Status.DRAFT, all_required=True)
    submitted = applicant_client(c.applicant).post_json(
        f"{API}/applications/{app.pk}/submit", {"version": app.version}, csrf=True
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["materials"][0]["kind_label"]
    approved = token_client(c.school_reviewer).post_json(
        f"{API}/applications/{app.pk}/transitions",
        {"action": "school_approve", "version": submitted.json()["version"]},
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == Status.REGISTRATION_REVIEW
    assert approved.json()["materials"][0]["kind_label"]


def _fail_after_the_write(monkeypatch: Any, module: Any, how: str) -> None:
    """Make the answer fail once the transition is written: an exception, or an answer
    outside the response schema."""

    def broken(application: Application, user: User) -> dict[str, Any]:
        if how == "raise":
            raise RuntimeError("fault injected after the state write")
        return {"id": application.pk}  # every other field of ApplicationOut missing

    monkeypatch.setattr(module, "application_out", broken)


@pytest.mark.parametrize("how", ["raise", "schema"])
@pytest.mark.parametrize("key", [None, "t-1"])
def test_a_transition_whose_answer_fails_changes_nothing(
    c: Chain, monkeypatch: Any, how: str, key: str | None
) -> None:
    app = application(c, status=Status.SCHOOL_REVIEW)
    api = unchecked_token_client(c.school_reviewer)
    audit_before = AuditEvent.objects.count()
    _fail_after_the_write(monkeypatch, review_api, how)
    response = api.post_json(
        f"{API}/applications/{app.pk}/transitions",
        {"action": "school_approve", "version": app.version},
        idempotency_key=key,
    )
    problem(response, 500, "server_error")
    app.refresh_from_db()
    assert app.status == Status.SCHOOL_REVIEW
    assert not ApplicationStep.objects.filter(application=app).exists()
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("how", ["raise", "schema"])
def test_a_submit_whose_answer_fails_changes_nothing(c: Chain, monkeypatch: Any, how: str) -> None:
    app = application(c, status=Status.DRAFT, materials=True)
    _fail_after_the_write(monkeypatch, applications_api, how)
    response = applicant_client(c.applicant, check=False).post_json(
        f"{API}/applications/{app.pk}/submit", {"version": app.version}, csrf=True
    )
    problem(response, 500, "server_error")
    app.refresh_from_db()
    assert app.status == Status.DRAFT
    assert not ApplicationStep.objects.filter(application=app).exists()


def test_a_download_that_fails_records_no_download(c: Chain) -> None:
    _app, material = with_material(c, status=Status.SCHOOL_REVIEW)
    Path(material.file.path).write_bytes(b"%PDF-1.4 not what was uploaded")
    response = token_client(c.school_reviewer).get(f"{API}/materials/{material.pk}")
    problem(response, 409, "material_corrupt")
    assert not AuditEvent.objects.filter(kind=AuditKind.MATERIAL_DOWNLOADED).exists()


# --- Finding 6: nothing the API answers is cached ------------------------------------------


def test_every_kind_of_api_answer_is_no_store(c: Chain) -> None:
    app, material = with_material(c, status=Status.SCHOOL_REVIEW)
    api = token_client(c.school_reviewer)
    answers = [
        api.get(f"{API}/applications"),
        api.get(f"{API}/applications/{app.pk}"),
        api.get(f"{API}/applications/{app.pk}/timeline"),
        api.get(f"{API}/materials/{material.pk}"),
        api.get(f"{API}/applications/999999"),  # 404 problem
        api.get("/api/v1/no-such-thing"),  # unknown URL
        api.delete(f"{API}/applications"),  # wrong method
        ApiClient().get(f"{API}/applications"),  # 401
        api.get("/api/v1/openapi.json"),
        api.get("/api/v1/me"),
    ]
    for response in answers:
        assert "no-store" in response["Cache-Control"], (response.status_code, response.get("Cache-Control"))
