"""The certservices API end to end (issue 11 item 8, decision 0227): the holder lists
certificates, shares and revokes a link, asks for a reissue and withdraws; the issuing
authority finds the request in its queue and approves it; a reviewer opens an
authenticity check that the authority answers "forged". Every answer is checked against
the OpenAPI document (``ApiClient``); retried creations act once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jiaozi.accounts.models import User
from jiaozi.certificates.models import Certificate, CertificateStatus
from jiaozi.core.api.testing import ApiClient, token_client
from jiaozi.orgs.models import Institution

from ..models import ServiceRequest, ShareLink
from .factories import certificate_of, holder_with_certificate, png_upload

pytestmark = pytest.mark.django_db
BASE = "/api/v1/certservices"


@pytest.fixture(autouse=True)
def _media(media_root: Path) -> None:
    return None


def _holder(user: User) -> ApiClient:
    client = ApiClient()
    client.force_login(user)
    return client


def _submit(client: ApiClient, certificate_id: int, key: str, **extra: Any) -> Any:
    data = {
        "kind": "reissue",
        "reason": "搬家时遗失。",
        "loss_notice_medium": "安徽日报",
        "loss_notice_date": "2026-11-20",
        "material": png_upload(),
        **extra,
    }
    return client.post(
        f"{BASE}/me/certificates/{certificate_id}/requests", data, headers={"Idempotency-Key": key}
    )


def test_holder_lists_shares_and_revokes(luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    client = _holder(user)
    mine = client.get(f"{BASE}/me/certificates").json()
    assert [row["number"] for row in mine] == [certificate.number]
    assert "resident_id" not in mine[0]
    path = f"{BASE}/me/certificates/{certificate.pk}/share-links"
    bad = client.post_json(path, {"days": 31}, idempotency_key="s-0")
    assert bad.status_code == 400
    created = client.post_json(path, {"days": 3}, idempotency_key="s-1")
    assert created.status_code == 201, created.content
    replay = client.post_json(path, {"days": 3}, idempotency_key="s-1")
    assert replay.json()["url"] == created.json()["url"]
    assert ShareLink.objects.count() == 1
    link = created.json()
    assert link["active"] is True
    assert "/verify/s/" in link["url"]
    listed = client.get(path).json()
    assert [row["id"] for row in listed] == [link["id"]]
    assert "url" not in listed[0]
    stale = client.post_json(
        f"{BASE}/me/share-links/{link['id']}/revoke", {"version": 9}, idempotency_key="r-0"
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_version")
    done = client.post_json(
        f"{BASE}/me/share-links/{link['id']}/revoke", {"version": 1}, idempotency_key="r-1"
    )
    assert done.status_code == 200
    assert done.json()["active"] is False
    other, _theirs = holder_with_certificate(luyang)
    assert _holder(other).get(path).status_code == 404


def test_holder_requests_authority_decides(luyang: Institution, ly_certifier: User) -> None:
    user, certificate = holder_with_certificate(luyang)
    client = _holder(user)
    missing = client.post(
        f"{BASE}/me/certificates/{certificate.pk}/requests",
        {
            "kind": "reissue",
            "reason": "遗失。",
            "loss_notice_medium": "安徽日报",
            "loss_notice_date": "2026-11-20",
        },
    )
    assert missing.status_code in {400, 422}
    created = _submit(client, certificate.pk, "q-1")
    assert created.status_code == 201, created.content
    again = _submit(client, certificate.pk, "q-1")
    assert again.json()["id"] == created.json()["id"]
    duplicate = _submit(client, certificate.pk, "q-2")
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate_request")
    request_id = created.json()["id"]
    withdrawn = client.post_json(
        f"{BASE}/me/requests/{request_id}/transitions", {"action": "withdraw", "version": 1}
    )
    assert withdrawn.json()["status"] == "withdrawn"
    second = _submit(client, certificate.pk, "q-3").json()
    assert [row["id"] for row in client.get(f"{BASE}/me/requests").json()] == [second["id"], request_id]

    staff = token_client(ly_certifier)
    queue = staff.get(f"{BASE}/requests?status=submitted").json()
    assert [row["id"] for row in queue["items"]] == [second["id"]]
    assert queue["items"][0]["holder_name_masked"].endswith("*")
    stale = staff.post_json(
        f"{BASE}/requests/{second['id']}/transitions",
        {"action": "approve", "version": 7},
        idempotency_key="d-0",
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_version")
    approved = staff.post_json(
        f"{BASE}/requests/{second['id']}/transitions",
        {"action": "approve", "version": 1, "reason": "遗失补发。"},
        idempotency_key="d-1",
    )
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["has_paper"]) == ("approved", True)
    assert approved.json()["certificate_number"] == certificate.number
    assert ServiceRequest.objects.get(pk=second["id"]).paper
    # The holder cannot decide; staff cannot act as a holder.
    assert client.get(f"{BASE}/requests").status_code == 401
    assert staff.get(f"{BASE}/me/certificates").status_code == 401


def test_check_opened_and_answered_forged(
    luyang: Institution, ly_school: Institution, ly_reviewer: User, ly_certifier: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    reviewer = token_client(ly_reviewer)
    body = {"holder_name": certificate.teacher.name, "reason": "原件印章模糊。"}
    opened = reviewer.post_json(
        f"{BASE}/certificates/{certificate.pk}/authenticity-checks", body, idempotency_key="c-1"
    )
    assert opened.status_code == 201, opened.content
    check = opened.json()
    assert check["holder_name_masked"] != certificate.teacher.name
    twice = reviewer.post_json(
        f"{BASE}/certificates/{certificate.pk}/authenticity-checks", body, idempotency_key="c-2"
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "duplicate_check")
    certifier = token_client(ly_certifier)
    assert [row["id"] for row in certifier.get(f"{BASE}/authenticity-checks").json()["items"]] == [
        check["id"]
    ]
    no_note = certifier.post_json(
        f"{BASE}/authenticity-checks/{check['id']}/transitions",
        {"action": "answer", "version": 1, "outcome": "forged", "reference": "皖教资核〔2026〕9号"},
        idempotency_key="a-0",
    )
    assert (no_note.status_code, no_note.json()["code"]) == (400, "reason_required")
    answered = certifier.post_json(
        f"{BASE}/authenticity-checks/{check['id']}/transitions",
        {
            "action": "answer",
            "version": 1,
            "outcome": "forged",
            "reference": "皖教资核〔2026〕9号",
            "note": "档案无此编号。",
        },
        idempotency_key="a-1",
    )
    assert answered.status_code == 200, answered.content
    assert (answered.json()["status"], answered.json()["outcome"]) == ("answered", "forged")
    assert Certificate.objects.get(pk=certificate.pk).status == CertificateStatus.REVOKED
