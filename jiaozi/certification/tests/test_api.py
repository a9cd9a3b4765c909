"""The API end to end: an applicant applies, uploads the photo and submits; the
confirmation user confirms; the officer records the exam and certifies; the holder
downloads the certificate. Retried writes with the same Idempotency-Key act once."""

from __future__ import annotations

from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jiaozi.accounts.testing import sign_in
from jiaozi.certification.models import CertificationApplication
from jiaozi.certification.workflow import Status
from jiaozi.core import clock
from jiaozi.orgs.tests.factories import LUYANG, bureau

from .factories import (
    AFTER_CONFIRM,
    IN_APPLY,
    IN_CONFIRM,
    applicant,
    certifier,
    confirmer,
    photo_bytes,
    point,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/certification"
_keys = count(1)


def post(client: Client, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key or f"k-{next(_keys)}"}
    return client.post(BASE + path, body, content_type="application/json", headers=headers)


def test_the_whole_journey_through_the_api(client: Client, media_root: Path) -> None:
    user = applicant()
    at = point()
    client.force_login(user)
    body = {
        "qualification_type": "2",
        "subject": "数学",
        "authority_id": bureau(LUYANG).pk,
        "confirmation_point_id": at.pk,
        "education": "junior_college",
        "mandarin": "2b",
        "ntce_type": "2",
        "ntce_date": "2023-06-01",
        "commitment": True,
    }
    with clock.travel(IN_APPLY):
        created = post(client, "/applications", body, key="start-1")
        assert created.status_code == 201, created.content
        again = post(client, "/applications", body, key="start-1")
        assert again.status_code == 201
        assert again.json()["id"] == created.json()["id"]
        pk, version = created.json()["id"], created.json()["version"]
        photo = client.post(
            f"{BASE}/applications/{pk}/photo?version={version}",
            {"photo": __import__("io").BytesIO(photo_bytes())},
            headers={"Idempotency-Key": "photo-1"},
        )
        assert photo.status_code == 200, photo.content
        submitted = post(client, f"/applications/{pk}/submit", {"version": photo.json()["version"]})
        assert submitted.json()["status"] == Status.CONFIRMATION
    assert CertificationApplication.objects.count() == 1

    staff = Client()
    sign_in(staff, confirmer(at))
    with clock.travel(IN_CONFIRM):
        confirmed = post(
            staff,
            f"/applications/{pk}/confirmation",
            {"version": submitted.json()["version"], "decision": "confirm"},
        )
        assert confirmed.json()["status"] == Status.DECISION
    officer = Client()
    sign_in(officer, certifier())
    with clock.travel(AFTER_CONFIRM):
        exam = post(
            officer, f"/applications/{pk}/health", {"version": confirmed.json()["version"], "health": "fit"}
        )
        decided = post(
            officer,
            f"/applications/{pk}/decision",
            {"version": exam.json()["version"], "conclusion": "certified"},
        )
    assert decided.status_code == 200, decided.content
    number = decided.json()["certificate_number"]
    assert len(number) == 17
    assert number[-6:] == "000001"
    with clock.travel(AFTER_CONFIRM):
        client.force_login(user)  # a month later: a new session
        pdf = client.get(f"{BASE}/applications/{pk}/certificate")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


def test_submission_refused_with_every_reason_code(client: Client, media_root: Path) -> None:
    from .factories import draft

    app = draft(education="secondary", commitment=False)
    client.force_login(app.applicant)
    with clock.travel(IN_APPLY):
        response = post(client, f"/applications/{app.pk}/submit", {"version": app.version})
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "requirements_unmet"
    fields = [e["field"] for e in problem["errors"]]
    assert fields == ["requirements.education_insufficient", "requirements.commitment_missing"]
