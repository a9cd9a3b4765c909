"""Public verification discloses what §7 allows and nothing more; "no such certificate"
and "name does not match" answer the same page with the same work; every lookup is
logged without what the visitor typed (issue 11 item 4, decision 0225)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import VerificationToken

from .factories import make_certificate, make_teacher, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> VerificationToken:
    teacher = make_teacher(name="张三丰", phone="13912345678")
    return make_token(
        certificate=make_certificate(teacher=teacher, subject="物理"), holder_name_masked="张**"
    )


def _post(client: Client, number: str, name: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("certificates:verify_lookup"), {"certificate_number": number, "name": name}
        )
    assert response.status_code == 200
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    # The form echoes what was typed; the answer below it is what must not differ.
    body = body.replace(number, "NUMBER").replace(name, "NAME")
    return body, len(queries)


def test_no_such_certificate_and_wrong_name_are_the_same_answer(token: VerificationToken) -> None:
    _post(Client(), "20123401041888888", "王五")  # the audit chain's head exists from here on
    missing, missing_queries = _post(Client(), "20123401041999999", "张三丰")
    wrong, wrong_queries = _post(Client(), token.certificate_number, "李四")
    assert missing == wrong
    assert missing_queries == wrong_queries
    assert "未查询到" in missing


def test_a_match_discloses_only_what_section_7_allows(client: Client, token: VerificationToken) -> None:
    teacher = token.certificate.teacher
    body = client.post(
        reverse("certificates:verify_lookup"),
        {"certificate_number": token.certificate_number, "name": "张三丰"},
    ).content.decode()
    answer = body.split('id="jz-verify-result"', 1)[1]
    for allowed in ("张**", "高级中学", "物理", "注册合格", "2029-08-31", token.certificate_number):
        assert allowed in answer, allowed
    for secret in ("张三丰", teacher.resident_id, teacher.phone, teacher.school.name):
        assert secret not in answer, secret


def test_every_lookup_is_logged_without_the_number_or_the_name(
    client: Client, token: VerificationToken
) -> None:
    client.post(
        reverse("certificates:verify_lookup"),
        {"certificate_number": token.certificate_number, "name": "张三丰"},
    )
    client.post(
        reverse("certificates:verify_lookup"),
        {"certificate_number": token.certificate_number, "name": "李四"},
    )
    client.get(reverse("certificates:verify_token", kwargs={"token": token.token}))
    rows = list(AuditEvent.objects.filter(kind=AuditKind.VERIFICATION_LOOKUP).order_by("pk"))
    assert [(r.details["channel"], r.details["found"]) for r in rows] == [
        ("number_name", True),
        ("number_name", False),
        ("qr", True),
    ]
    for row in rows:
        text = str(row.details)
        assert token.certificate_number not in text
        assert "张三丰" not in text
        assert "李四" not in text
        assert token.token not in text
