"""Share links (issue 11 item 4, decision 0226): a holder creates a time-limited link to
their certificate's public verification, lists and revokes it; the public page shows
only what the public verification shows, and an expired, revoked or unknown link answers
the same not-found page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, ValidationFailed
from jiaozi.orgs.models import Institution

from ..models import ShareLink
from ..sharing import ACTIVE_MAX, share_link_create, share_link_revoke, share_link_verify, token_hash
from .factories import holder_with_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_token_is_random_shown_once_and_stored_hashed(luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    first = share_link_create(holder=user, certificate_id=certificate.pk, days=7)
    second = share_link_create(holder=user, certificate_id=certificate.pk, days=7)
    assert first.token != second.token
    assert len(first.token) == 43
    row = ShareLink.objects.get(pk=first.link.pk)
    assert row.token_hash == token_hash(first.token) != first.token
    assert not ShareLink.objects.filter(token_hash=first.token).exists()
    assert row.expires_at - row.created_at == dt.timedelta(days=7)
    audit = AuditEvent.objects.get(kind=AuditKind.SHARE_LINK_CREATED, object_id=str(row.pk))
    assert first.token not in str(audit.details)
    assert audit.details["certificate_id"] == certificate.pk


@pytest.mark.parametrize("days", [0, 31, -1, "x", None])
def test_validity_must_be_one_to_thirty_days(luyang: Institution, days: object) -> None:
    user, certificate = holder_with_certificate(luyang)
    with pytest.raises(ValidationFailed) as error:
        share_link_create(holder=user, certificate_id=certificate.pk, days=days)
    assert error.value.code == "invalid_days"
    assert not ShareLink.objects.exists()


def test_only_the_holder_shares_and_only_a_valid_certificate(luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    other, _mine = holder_with_certificate(luyang)
    with pytest.raises(NotFound):
        share_link_create(holder=other, certificate_id=certificate.pk, days=3)
    type(certificate).objects.filter(pk=certificate.pk).update(status="revoked")
    with pytest.raises(Conflict) as error:
        share_link_create(holder=user, certificate_id=certificate.pk, days=3)
    assert error.value.code == "certificate_not_valid"


def test_active_links_are_capped(luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    links = [share_link_create(holder=user, certificate_id=certificate.pk, days=1) for _ in range(ACTIVE_MAX)]
    with pytest.raises(Conflict) as error:
        share_link_create(holder=user, certificate_id=certificate.pk, days=1)
    assert error.value.code == "share_link_limit"
    share_link_revoke(holder=user, link_id=links[0].link.pk, version=1)
    share_link_create(holder=user, certificate_id=certificate.pk, days=1)


def test_public_page_discloses_only_the_verification_facts(client: Client, luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang, subject="数学")
    created = share_link_create(holder=user, certificate_id=certificate.pk, days=7)
    response = client.get(_path(created.url))
    assert response.status_code == 200
    page = response.content.decode()
    teacher = certificate.teacher
    assert certificate.number in page
    assert "数学" in page
    assert teacher.name[0] + "*" in page
    assert teacher.name not in page
    assert teacher.resident_id not in page
    assert teacher.resident_id[-4:] not in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    lookup = AuditEvent.objects.filter(kind=AuditKind.VERIFICATION_LOOKUP).latest("pk")
    assert lookup.details == {"channel": "share", "found": True, "well_formed": True}


def test_revoked_expired_and_unknown_links_answer_alike(client: Client, luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    revoked = share_link_create(holder=user, certificate_id=certificate.pk, days=7)
    expiring = share_link_create(holder=user, certificate_id=certificate.pk, days=1)
    assert client.get(_path(revoked.url)).status_code == 200
    share_link_revoke(holder=user, link_id=revoked.link.pk, version=1)
    unknown = "A" * 43
    answers = []
    with clock.travel(clock.now() + dt.timedelta(days=1, seconds=1)):
        for path in (
            _path(revoked.url),
            _path(expiring.url),
            reverse("certservices_share:share_verify", args=[unknown]),
        ):
            response = client.get(path)
            answers.append(
                (response.status_code, re.sub(r'nonce="[^"]*"|value="[^"]*"', "", response.content.decode()))
            )
        with pytest.raises(NotFound):
            share_link_verify(token=expiring.token)
    assert answers[0][0] == 404
    assert answers[0] == answers[1] == answers[2]
    assert certificate.number not in answers[0][1]


def test_revoke_is_audited_retry_safe_and_compare_and_set(luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    other, _mine = holder_with_certificate(luyang)
    created = share_link_create(holder=user, certificate_id=certificate.pk, days=7)
    with pytest.raises(NotFound):
        share_link_revoke(holder=other, link_id=created.link.pk, version=1)
    with pytest.raises(Conflict) as error:
        share_link_revoke(holder=user, link_id=created.link.pk, version=5)
    assert error.value.code == "stale_version"
    done = share_link_revoke(holder=user, link_id=created.link.pk, version=1)
    again = share_link_revoke(holder=user, link_id=created.link.pk, version=1)
    assert done.revoked_at == again.revoked_at
    assert AuditEvent.objects.filter(kind=AuditKind.SHARE_LINK_REVOKED).count() == 1


def test_holder_pages_create_list_and_revoke(client: Client, luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    client.force_login(user)
    url = reverse("certservices_applicant:share_links", args=[certificate.pk])
    assert "尚未生成分享链接" in client.get(url).content.decode()
    response = client.post(url, {"days": "14"})
    page = response.content.decode()
    shown = re.search(r'value="([^"]+/verify/s/[^"]+/)"', page)
    assert response.status_code == 200
    assert shown is not None
    link = ShareLink.objects.get()
    assert link.expires_at - link.created_at == dt.timedelta(days=14)
    assert Client().get(_path(shown.group(1))).status_code == 200
    listing = client.get(url).content.decode()
    assert link.hint in listing
    assert shown.group(1) not in listing
    bad = client.post(url, {"days": "60"})
    assert bad.status_code == 200
    assert ShareLink.objects.count() == 1
    revoke = reverse("certservices_applicant:share_revoke", args=[certificate.pk, link.pk])
    assert client.post(revoke, {"version": "1"}).status_code == 302
    assert Client().get(_path(shown.group(1))).status_code == 404


@override_settings(SHARE_LINK_RATE_LIMIT=(2, 60))
def test_public_page_is_rate_limited(client: Client, luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    created = share_link_create(holder=user, certificate_id=certificate.pk, days=7)
    assert [client.get(_path(created.url)).status_code for _ in range(3)] == [200, 200, 429]
