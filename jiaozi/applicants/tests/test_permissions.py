"""Every URL of the applicant area × anonymous, applicant and staff: one allowed and one
forbidden case per endpoint. A URL missing from the table fails the suite."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from jiaozi.accounts.tests.factories import make_staff
from jiaozi.notifications.services import notify
from jiaozi.registration.models import Material
from jiaozi.registration.tests.factories_applications import Chain, application
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db

LOGIN = "/me/login/"

# name → (method, needs an object, anonymous, applicant, staff): the expected status.
# 302* means a redirect to the applicant sign-in.
MATRIX: dict[str, tuple[str, str, str, str, str]] = {
    "home": ("GET", "", "302*", "200", "403"),
    "signup": ("GET", "", "200", "302", "403"),
    "login": ("GET", "", "200", "302", "200"),
    "logout": ("POST", "", "302", "302", "302"),
    "privacy": ("GET", "", "200", "200", "200"),
    "password_reset": ("GET", "", "200", "302", "302"),
    "password_reset_confirm": ("GET", "", "302", "302", "302"),
    "link": ("GET", "", "302*", "302", "403"),
    "profile": ("GET", "", "302*", "200", "403"),
    "profile_export": ("GET", "", "302*", "200", "403"),
    "password_change": ("GET", "", "302*", "200", "403"),
    "inbox": ("GET", "", "302*", "200", "403"),
    "inbox_read": ("POST", "notification", "302*", "302", "403"),
    "inbox_read_all": ("POST", "", "302*", "302", "403"),
    "application_start": ("GET", "certificate", "302*", "302", "403"),  # its draft exists: opened
    "application_detail": ("GET", "application", "302*", "200", "403"),
    "application_edit": ("GET", "application", "302*", "200", "403"),
    "application_act": ("POST", "application", "302*", "302", "403"),
    "material_upload": ("POST", "application", "302*", "200", "403"),  # the form with its errors
    "application_review_request": ("POST", "application", "302*", "400", "403"),  # the form with its errors
    "material_download": ("GET", "material", "302*", "200", "403"),
    "material_delete": ("POST", "material", "302*", "302", "403"),
    "form_pdf": ("GET", "application", "302*", "302", "403"),
}


def applicant_url_names() -> set[str]:
    resolver = get_resolver()
    _namespace, patterns = resolver.namespace_dict["applicants"]
    return {p.name for p in patterns.url_patterns if isinstance(p, URLPattern) and p.name}


def test_every_applicant_url_is_in_the_matrix() -> None:
    assert applicant_url_names() == set(MATRIX)


@pytest.fixture
def objects(c: Chain, link: Any) -> dict[str, Any]:
    app = application(c, status=Status.DRAFT)
    material = Material(
        application=app,
        kind="other",
        original_name="a.pdf",
        content_type="application/pdf",
        size=len(pdf_bytes()),
        sha256=hashlib.sha256(pdf_bytes()).hexdigest(),
        uploaded_by=c.applicant,
        uploaded_at=app.created_at,
    )
    material.file.save("x", ContentFile(pdf_bytes()), save=True)
    notification = notify(user=c.applicant, kind="t", title="t", body="", channels=["inbox"])
    return {
        "application": app,
        "material": material,
        "notification": notification,
        "certificate": c.certificate,
    }


def request(client: Client, name: str, objects: dict[str, Any]) -> Any:
    method, needs, *_expected = MATRIX[name]
    if name == "application_start":
        path = f"{reverse('applicants:application_start')}?certificate={objects['certificate'].pk}"
    elif needs:
        path = reverse(f"applicants:{name}", args=[objects[needs].pk])
    else:
        path = reverse(f"applicants:{name}")
    if method == "POST":
        data = (
            {"action": "submit", "version": objects["application"].version}
            if name == "application_act"
            else {}
        )
        return client.post(path, data)
    return client.get(path)


def check(response: Any, expected: str) -> None:
    if expected == "302*":
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
    else:
        assert response.status_code == int(expected)
    if response.status_code == 302:
        assert settings.STAFF_URL_PREFIX not in response["Location"]


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous(client: Client, objects: dict[str, Any], name: str) -> None:
    check(request(client, name, objects), MATRIX[name][2])


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_applicant(client: Client, c: Chain, objects: dict[str, Any], name: str) -> None:
    client.force_login(c.applicant)
    check(request(client, name, objects), MATRIX[name][3])


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_staff(client: Client, c: Chain, objects: dict[str, Any], as_staff: Any, name: str) -> None:
    # Even the school reviewer of this very application: staff never use the applicant area.
    as_staff(c.school_reviewer)
    response = request(client, name, objects)
    check(response, MATRIX[name][4])
    if response.status_code == 403:
        assert settings.STAFF_URL_PREFIX not in response.content.decode()


def test_staff_filed_without_institution_scope_also_get_403(client: Client, as_staff: Any) -> None:
    as_staff(make_staff())

    assert client.get(reverse("applicants:profile")).status_code == 403
