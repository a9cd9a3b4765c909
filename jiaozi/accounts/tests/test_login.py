"""Staff sign-in: password → TOTP → workspace; lockout; identical failures; OTP rules."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts import mfa, services
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import totp_code
from jiaozi.accounts.views import workspace_url
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.orgs.models import Institution

from .factories import PASSWORD, make_applicant, make_staff

LOGIN = "accounts:login"


def login(client: Client, username: str, password: str = PASSWORD, ip: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(reverse(LOGIN), {"username": username, "password": password}, REMOTE_ADDR=ip)


def kinds() -> list[int]:
    return list(AuditEvent.objects.order_by("at", "pk").values_list("kind", flat=True))


@pytest.fixture
def reviewer(luyang: Institution) -> User:
    return make_staff(username="ly_reviewer", role=Role.REGISTRATION_REVIEWER, institution=luyang)


@pytest.fixture
def device(reviewer: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=reviewer, name=mfa.DEVICE_NAME, confirmed=True)


def test_login_page_renders(client: Client, db: None) -> None:
    response = client.get(reverse(LOGIN))
    assert response.status_code == 200
    assert "工作人员登录" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_sign_in_password_then_totp_then_workspace(
    client: Client, reviewer: User, device: TOTPDevice
) -> None:
    client.get(reverse(LOGIN))
    client.session.save()
    before = client.session.session_key

    response = login(client, "ly_reviewer")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.session.session_key != before  # new session key at sign-in

    # Not yet through: staff pages send the half-signed-in user to the code page.
    response = client.get(workspace_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))

    after_password = client.session.session_key
    response = client.post(reverse("accounts:otp_verify"), {"token": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == workspace_url()
    assert client.session.session_key != after_password  # and again after the second factor
    assert client.get(workspace_url()).status_code == 200

    # 登录成功 only once the code passed (issue 9, item 9).
    assert kinds() == [AuditKind.LOGIN_PASSWORD_ACCEPTED, AuditKind.OTP_VERIFIED, AuditKind.LOGIN_SUCCEEDED]
    success = AuditEvent.objects.get(kind=AuditKind.LOGIN_SUCCEEDED)
    assert success.actor_id == reviewer.pk
    assert success.ip == "127.0.0.1"


def test_next_is_kept_through_the_second_factor(client: Client, reviewer: User, device: TOTPDevice) -> None:
    target = reverse("accounts:password_change")
    client.post(f"{reverse(LOGIN)}?next={target}", {"username": "ly_reviewer", "password": PASSWORD})
    response = client.post(f"{reverse('accounts:otp_verify')}?next={target}", {"token": totp_code(device)})
    assert response["Location"] == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/public/page"])
def test_next_never_leaves_the_staff_area(
    client: Client, reviewer: User, device: TOTPDevice, target: str
) -> None:
    client.post(reverse(LOGIN), {"username": "ly_reviewer", "password": PASSWORD})
    response = client.post(f"{reverse('accounts:otp_verify')}?next={target}", {"token": totp_code(device)})
    assert response["Location"] == workspace_url()


def _normalise(html: str, username: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(username, "USERNAME")


def test_unknown_user_wrong_password_and_applicant_answer_identically(client: Client, reviewer: User) -> None:
    make_applicant(username="applicant1")
    unknown = login(client, "nobody_xx", "whatever-1A")
    wrong = login(client, "ly_reviewer", "whatever-1A")
    applicant = login(client, "applicant1", PASSWORD)  # right password, but not staff

    assert unknown.status_code == wrong.status_code == applicant.status_code == 200
    body = _normalise(unknown.content.decode(), "nobody_xx")
    assert body == _normalise(wrong.content.decode(), "ly_reviewer")
    assert body == _normalise(applicant.content.decode(), "applicant1")
    assert "用户名或密码错误" in body
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED)
    assert failed.count() == 3
    assert {row.details["reason"] for row in failed} == {"wrong_credentials", "not_staff"}
    unknown_row = failed.get(details__known=False)
    assert unknown_row.details["username"] == "no*******"  # masked, never the typed text


def test_disabled_staff_cannot_sign_in(client: Client, reviewer: User) -> None:
    User.objects.filter(pk=reviewer.pk).update(is_active=False)
    response = login(client, "ly_reviewer")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_lockout_per_username_across_ips(client: Client, reviewer: User, device: TOTPDevice) -> None:
    statuses = [
        login(client, "ly_reviewer", "Wrong-pass-1", ip=f"10.0.0.{n}").status_code for n in range(1, 6)
    ]
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] == 429

    locked = login(client, "ly_reviewer", PASSWORD, ip="10.9.9.9")  # the right password
    assert locked.status_code == 429
    assert "账号已锁定" in locked.content.decode()
    assert locked["Retry-After"] == str(30 * 60)
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_LOCKED, outcome="denied").count() >= 2

    # Another username is not affected.
    make_staff(username="other_staff")
    assert login(client, "other_staff", ip="10.0.0.1").status_code == 302

    # After the 30-minute cool-off the right password works again.
    AccessAttempt.objects.filter(username="ly_reviewer").update(
        attempt_time=timezone.now() - timedelta(minutes=31)
    )
    client.logout()
    assert login(client, "ly_reviewer", ip="10.9.9.9").status_code == 302


@override_settings(TRUSTED_PROXIES=["10.8.0.0/16", "2001:db8:ffff::/48"])
def test_the_lockout_and_the_audit_record_the_client_behind_a_trusted_proxy(
    client: Client, reviewer: User, device: TOTPDevice
) -> None:
    def post(peer: str, forwarded_for: str) -> None:
        client.post(
            reverse(LOGIN),
            {"username": "ly_reviewer", "password": "Wrong-pass-1"},
            REMOTE_ADDR=peer,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    post("10.8.0.1", "192.0.2.1, 198.51.100.9")  # through the proxy: the right-most outside hop
    post("203.0.113.7", "198.51.100.10")  # straight in, forging the header: the peer
    post("2001:db8:ffff::1", "2001:db8:1::7")  # IPv6 behind an IPv6 proxy
    attempts = AccessAttempt.objects.filter(username="ly_reviewer")
    assert sorted(a.ip_address for a in attempts) == ["198.51.100.9", "2001:db8:1::7", "203.0.113.7"]
    failed = AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED).order_by("at", "pk")
    assert [event.ip for event in failed] == ["198.51.100.9", "203.0.113.7", "2001:db8:1::7"]


def test_applicants_count_towards_the_lockout_like_wrong_passwords(client: Client, db: None) -> None:
    make_applicant(username="applicant2")
    statuses = [login(client, "applicant2", PASSWORD, ip=f"10.1.0.{n}").status_code for n in range(1, 7)]
    assert statuses[-1] == 429


def test_reused_totp_code_is_refused(client: Client, reviewer: User, device: TOTPDevice) -> None:
    login(client, "ly_reviewer")
    code = totp_code(device)
    assert client.post(reverse("accounts:otp_verify"), {"token": code}).status_code == 302
    client.post(reverse("accounts:logout"))

    login(client, "ly_reviewer")
    response = client.post(reverse("accounts:otp_verify"), {"token": code})
    assert response.status_code == 200
    assert "已使用过" in response.content.decode()
    assert client.get(workspace_url()).status_code == 302
    assert AuditEvent.objects.filter(kind=AuditKind.OTP_FAILED, actor_id=reviewer.pk).exists()


def test_verify_spends_a_code_once_even_when_two_requests_race(reviewer: User, device: TOTPDevice) -> None:
    code = totp_code(device)
    first = TOTPDevice.objects.get(pk=device.pk)
    second = TOTPDevice.objects.get(pk=device.pk)  # read before the first one was spent
    assert mfa.verify(first, code) is mfa.VerifyResult.OK
    assert mfa.verify(second, code) is mfa.VerifyResult.WRONG
    # The loser's failure count must not write its stale last_t back over the spent one.
    assert TOTPDevice.objects.get(pk=device.pk).last_t == first.last_t
    assert mfa.verify(TOTPDevice.objects.get(pk=device.pk), code) is not mfa.VerifyResult.OK


def test_too_many_wrong_codes_end_the_session(client: Client, reviewer: User, device: TOTPDevice) -> None:
    login(client, "ly_reviewer")
    for _ in range(4):
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
        assert client.post(reverse("accounts:otp_verify"), {"token": "000000"}).status_code == 200
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    response = client.post(reverse("accounts:otp_verify"), {"token": "000000"})
    assert response.status_code == 302
    assert response["Location"] == reverse(LOGIN)
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, details__reason="otp_failures").exists()


def test_wrong_codes_are_throttled(client: Client, reviewer: User, device: TOTPDevice) -> None:
    login(client, "ly_reviewer")
    client.post(reverse("accounts:otp_verify"), {"token": "000000"})
    # Several failures in a row: the next try must wait 2**5 seconds (no race with a slow run).
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=6)
    response = client.post(reverse("accounts:otp_verify"), {"token": totp_code(device)})
    assert "尝试过于频繁" in response.content.decode()
    assert not client.session.get("otp_device_id")


def test_first_sign_in_enrols_a_device(client: Client, reviewer: User) -> None:
    response = login(client, "ly_reviewer")
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))

    page = client.get(reverse("accounts:otp_setup"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html
    assert "no-store" in page["Cache-Control"]
    pending = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert mfa.manual_key(pending) in html
    # Reloading keeps the same secret (the user may already have scanned it).
    client.get(reverse("accounts:otp_setup"))
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1

    response = client.post(reverse("accounts:otp_setup"), {"token": totp_code(pending)})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.confirmed
    assert AuditEvent.objects.filter(kind=AuditKind.OTP_ENROLLED, actor_id=reviewer.pk).exists()
    assert client.get(workspace_url()).status_code == 200


def test_setup_is_refused_once_a_device_exists(client: Client, reviewer: User, device: TOTPDevice) -> None:
    login(client, "ly_reviewer")
    response = client.get(reverse("accounts:otp_setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=False).exists()


def test_otp_pages_need_a_password_first(client: Client, db: None) -> None:
    for name in ("accounts:otp_verify", "accounts:otp_setup"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == reverse(LOGIN)


def test_demo_notice_shows_the_code_in_demo_mode(client: Client, reviewer: User) -> None:
    services.demo_totp_enroll(user=reviewer)
    login(client, "ly_reviewer")
    html = client.get(reverse("accounts:otp_verify")).content.decode()
    code = services.demo_totp_code(user=reviewer)
    assert "演示环境：当前动态口令" in html
    assert code in html
    assert client.post(reverse("accounts:otp_verify"), {"token": code}).status_code == 302


def test_no_demo_notice_outside_demo_mode(client: Client, reviewer: User, settings: Any) -> None:
    services.demo_totp_enroll(user=reviewer)
    demo_device = TOTPDevice.objects.get(user=reviewer)
    settings.DEMO_MODE = False
    login(client, "ly_reviewer")
    # A demo device does not count outside DEMO_MODE: the user must enrol a real one.
    response = client.get(reverse("accounts:otp_verify"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))
    html = client.get(reverse("accounts:otp_setup")).content.decode()
    assert "演示环境" not in html
    response = client.post(reverse("accounts:otp_verify"), {"token": mfa.next_code(demo_device)})
    assert response.status_code == 302
    assert "otp_device_id" not in client.session
    with pytest.raises(Exception, match="DEMO_MODE"):
        services.demo_totp_code(user=reviewer)


def test_logout_flushes_and_a_replayed_cookie_is_refused(
    client: Client, reviewer: User, device: TOTPDevice
) -> None:
    login(client, "ly_reviewer")
    client.post(reverse("accounts:otp_verify"), {"token": totp_code(device)})
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        kind=AuditKind.LOGOUT, actor_id=reviewer.pk, details__reason="user"
    ).exists()

    client.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    response = client.get(workspace_url())
    assert response.status_code == 302
    assert reverse(LOGIN) in response["Location"]


def test_logout_by_get_only_asks(client: Client, reviewer: User, device: TOTPDevice) -> None:
    login(client, "ly_reviewer")
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 200
    assert "_auth_user_id" in client.session
