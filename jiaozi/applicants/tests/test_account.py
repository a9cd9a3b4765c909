"""The applicant's own things: the inbox, personal information and its download,
password change, and the password reset by SMS code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.tests.factories import PASSWORD
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.notifications.models import Notification
from jiaozi.notifications.services import notify
from jiaozi.registration.tests.factories_applications import Chain, another_applicant

pytestmark = pytest.mark.django_db

NEW = "Nj#2024-teach"


def url(name: str, *args: Any) -> str:
    return reverse(f"applicants:{name}", args=args)


# --- Inbox ------------------------------------------------------------------------------------------


def test_the_inbox_lists_own_messages_only(applicant_client: Client, c: Chain) -> None:
    notify(user=c.applicant, kind="t", title="学校已审查通过", body="", channels=["inbox"])
    other, _cert = another_applicant(c)
    notify(user=other, kind="t", title="别人的消息", body="", channels=["inbox"])

    response = applicant_client.get(url("inbox"))

    assert response.status_code == 200
    assert "学校已审查通过" in response.text
    assert "别人的消息" not in response.text
    assert 'data-unread="1"' in response.text


def test_open_marks_read_and_follows_the_link(applicant_client: Client, c: Chain) -> None:
    n = notify(
        user=c.applicant, kind="t", title="退回", body="", link="/me/applications/1/", channels=["inbox"]
    )

    response = applicant_client.post(url("inbox_read", n.pk), {"open": "1"})

    assert response["Location"] == "/me/applications/1/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_someone_elses_message_is_not_found(applicant_client: Client, c: Chain) -> None:
    other, _cert = another_applicant(c)
    theirs = notify(user=other, kind="t", title="x", body="", channels=["inbox"])

    assert applicant_client.post(url("inbox_read", theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(applicant_client: Client, c: Chain) -> None:
    for n in range(3):
        notify(user=c.applicant, kind="t", title=f"m{n}", body="", channels=["inbox"])

    applicant_client.post(url("inbox_read_all"))

    assert not Notification.objects.filter(recipient=c.applicant, read_at__isnull=True).exists()


# --- Own data -------------------------------------------------------------------------------------------


def test_my_information_shows_everything_in_full_with_the_correction_note(
    applicant_client: Client, c: Chain
) -> None:
    response = applicant_client.get(url("profile"))

    assert response.status_code == 200
    assert str(c.applicant.resident_id) in response.text
    assert str(c.applicant.phone) in response.text
    assert c.certificate.number in response.text
    assert c.school.name in response.text
    assert "申请更正" in response.text
    assert "no-store" in response["Cache-Control"]


def test_the_download_of_my_data_is_complete_and_audited(applicant_client: Client, c: Chain) -> None:
    response = applicant_client.get(url("profile_export"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["resident_id"] == c.applicant.resident_id
    assert data["teacher"]["certificates"][0]["number"] == c.certificate.number
    assert len(data["teacher"]["annual_appraisals"]) == 5
    event = AuditEvent.objects.get(kind=AuditKind.EXPORT, actor_id=c.applicant.pk)
    assert event.details == {"what": "own_personal_data"}


def test_password_change(applicant_client: Client, c: Chain) -> None:
    response = applicant_client.post(
        url("password_change"), {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )

    assert response.status_code == 302
    c.applicant.refresh_from_db()
    assert c.applicant.check_password(NEW)
    # The session goes on with the new password.
    assert applicant_client.get(url("home")).status_code == 200


def test_password_change_needs_the_old_password(applicant_client: Client, c: Chain) -> None:
    response = applicant_client.post(
        url("password_change"), {"old_password": "nope", "new_password1": NEW, "new_password2": NEW}
    )

    assert "原密码不正确" in response.text
    c.applicant.refresh_from_db()
    assert c.applicant.check_password(PASSWORD)


# --- Password reset by SMS -------------------------------------------------------------------------------


def sms_lines(media: Path) -> list[dict[str, Any]]:
    outbox = media / "outbox" / "sms.jsonl"
    return [json.loads(line) for line in outbox.read_text().splitlines()] if outbox.exists() else []


def test_reset_with_the_code_sent_by_sms(client: Client, c: Chain, media: Path) -> None:
    response = client.post(
        url("password_reset"), {"resident_id": c.applicant.resident_id, "phone": c.applicant.phone}
    )
    assert response["Location"] == url("password_reset_confirm")
    sent = sms_lines(media)
    assert len(sent) == 1
    assert sent[0]["to"] != c.applicant.phone  # the outbox keeps it masked
    code = client.session["jz_applicant_reset"]["d"]  # shown on the page in the demo only
    assert code in client.get(url("password_reset_confirm")).text

    done = client.post(
        url("password_reset_confirm"), {"code": code, "new_password1": NEW, "new_password2": NEW}
    )

    assert done["Location"] == url("login")
    c.applicant.refresh_from_db()
    assert c.applicant.check_password(NEW)
    assert AuditEvent.objects.filter(
        kind=AuditKind.APPLICANT_PASSWORD_RESET, actor_id=c.applicant.pk
    ).exists()


def test_no_code_is_sent_when_id_and_phone_do_not_match_and_the_page_is_the_same(
    client: Client, c: Chain, media: Path
) -> None:
    response = client.post(
        url("password_reset"), {"resident_id": c.applicant.resident_id, "phone": "13800000000"}
    )

    assert response["Location"] == url("password_reset_confirm")
    assert sms_lines(media) == []
    page = client.get(url("password_reset_confirm"))
    assert page.status_code == 200
    refused = client.post(
        url("password_reset_confirm"), {"code": "123456", "new_password1": NEW, "new_password2": NEW}
    )
    assert "验证码错误或已过期" in refused.text


def test_a_wrong_code_is_refused_and_tries_are_limited(client: Client, c: Chain) -> None:
    client.post(url("password_reset"), {"resident_id": c.applicant.resident_id, "phone": c.applicant.phone})
    code = client.session["jz_applicant_reset"]["d"]
    wrong = "000000" if code != "000000" else "111111"
    for _n in range(5):
        client.post(
            url("password_reset_confirm"), {"code": wrong, "new_password1": NEW, "new_password2": NEW}
        )

    response = client.post(
        url("password_reset_confirm"), {"code": code, "new_password1": NEW, "new_password2": NEW}
    )

    assert response["Location"] == url("password_reset")
    c.applicant.refresh_from_db()
    assert c.applicant.check_password(PASSWORD)


def test_reset_requests_are_rate_limited_per_id(client: Client, c: Chain, media: Path) -> None:
    for _n in range(3):
        client.post(
            url("password_reset"), {"resident_id": c.applicant.resident_id, "phone": c.applicant.phone}
        )

    response = client.post(
        url("password_reset"), {"resident_id": c.applicant.resident_id, "phone": c.applicant.phone}
    )

    assert response.status_code == 429
    assert len(sms_lines(media)) == 3


def test_a_reset_unlocks_a_locked_account(
    client: Client, c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    for _n in range(5):
        client.post(url("login"), {"username": c.applicant.username, "password": "Wrong#pass1"})
    assert (
        client.post(url("login"), {"username": c.applicant.username, "password": PASSWORD}).status_code == 429
    )
    client.post(url("password_reset"), {"resident_id": c.applicant.resident_id, "phone": c.applicant.phone})
    code = client.session["jz_applicant_reset"]["d"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("password_reset_confirm"), {"code": code, "new_password1": NEW, "new_password2": NEW})
    response = client.post(url("login"), {"username": c.applicant.username, "password": NEW})

    assert response.status_code == 302
    assert User.objects.get(pk=c.applicant.pk).check_password(NEW)
