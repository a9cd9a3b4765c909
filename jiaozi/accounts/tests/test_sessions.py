"""SessionPolicyMiddleware: lifetimes, account fingerprint, second factor, forced change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from jiaozi.accounts import services
from jiaozi.accounts.middleware import SessionPolicyMiddleware, mark_session
from jiaozi.accounts.models import User
from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.views import workspace_url
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock

from .factories import PASSWORD

LOGIN = "accounts:login"


def signed_out(response: Any) -> bool:
    return response.status_code == 302 and reverse(LOGIN) in response["Location"]


def test_idle_timeout(client: Client, ly_reviewer: User) -> None:
    sign_in(client, ly_reviewer)
    start = clock.now()
    with clock.travel(start + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)):
        assert client.get(workspace_url()).status_code == 200
    with clock.travel(start + timedelta(seconds=2 * settings.SESSION_COOKIE_AGE)):
        assert signed_out(client.get(workspace_url()))
    assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, details__reason="idle_timeout").exists()


def test_absolute_cap_despite_activity(client: Client, ly_reviewer: User) -> None:
    sign_in(client, ly_reviewer)
    start = clock.now()
    step = timedelta(minutes=20)
    elapsed = timedelta(0)
    while elapsed + step < timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS):
        elapsed += step
        with clock.travel(start + elapsed):
            assert client.get(workspace_url()).status_code == 200
    with clock.travel(start + elapsed + step):
        assert signed_out(client.get(workspace_url()))
    assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, details__reason="absolute_timeout").exists()
    assert SESSION_KEY not in client.session


def test_disabling_ends_the_session_at_once(client: Client, ly_admin: User, ly_reviewer: User) -> None:
    sign_in(client, ly_reviewer)
    assert client.get(workspace_url()).status_code == 200
    services.staff_disable(actor=ly_admin, user_id=ly_reviewer.pk, reason="离岗")
    assert signed_out(client.get(workspace_url()))
    assert SESSION_KEY not in client.session
    # Enabling again does not revive the old session.
    services.staff_enable(actor=ly_admin, user_id=ly_reviewer.pk)
    assert signed_out(client.get(workspace_url()))


@pytest.mark.parametrize("change", ["update", "reset"])
def test_a_changed_account_ends_its_sessions(
    client: Client, ly_admin: User, ly_reviewer: User, change: str
) -> None:
    sign_in(client, ly_reviewer)
    if change == "update":
        services.staff_update(
            actor=ly_admin,
            user_id=ly_reviewer.pk,
            real_name="新名",
            phone="13700001111",
            post="股长",
            version=1,
        )
    else:
        services.staff_reset_password(actor=ly_admin, user_id=ly_reviewer.pk)
    assert signed_out(client.get(workspace_url()))


def test_version_change_alone_ends_the_session(client: Client, ly_reviewer: User) -> None:
    sign_in(client, ly_reviewer)
    User.objects.filter(pk=ly_reviewer.pk).update(version=ly_reviewer.version + 1)
    assert signed_out(client.get(workspace_url()))
    assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, details__reason="account_changed").exists()


def test_confirming_in_post_keeps_the_session(client: Client, ly_admin: User, ly_reviewer: User) -> None:
    sign_in(client, ly_reviewer)
    services.staff_confirm(actor=ly_admin, user_id=ly_reviewer.pk, version=ly_reviewer.version)
    assert client.get(workspace_url()).status_code == 200


def test_staff_without_second_factor_reach_no_staff_page(client: Client, ly_reviewer: User) -> None:
    sign_in(client, ly_reviewer, verified=False)
    for url in (workspace_url(), reverse("accounts:password_change"), reverse("accounts:staff_list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.get(reverse("accounts:otp_verify")).status_code in (200, 302)


def test_mfa_can_be_switched_off_by_setting(client: Client, ly_reviewer: User, settings: Any) -> None:
    settings.STAFF_MFA_REQUIRED = False
    sign_in(client, ly_reviewer, verified=False)
    assert client.get(workspace_url()).status_code == 200


def test_initial_password_must_be_changed_first(client: Client, ly_reviewer: User) -> None:
    User.objects.filter(pk=ly_reviewer.pk).update(must_change_password=True)
    ly_reviewer.refresh_from_db()
    sign_in(client, ly_reviewer)
    response = client.get(workspace_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:password_change"))

    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    assert "初始密码" in page.content.decode()

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Xin-Mima-2025", "new_password2": "Xin-Mima-2025"},
    )
    assert response.status_code == 302
    # The session survives its own password change.
    assert client.get(workspace_url()).status_code == 200
    ly_reviewer.refresh_from_db()
    assert not ly_reviewer.must_change_password
    assert ly_reviewer.password_changed_at is not None


def test_a_password_older_than_the_maximum_age_must_be_changed(client: Client, ly_reviewer: User) -> None:
    old = clock.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    User.objects.filter(pk=ly_reviewer.pk).update(password_changed_at=old)
    ly_reviewer.refresh_from_db()
    sign_in(client, ly_reviewer)
    response = client.get(workspace_url())
    assert response["Location"].startswith(reverse("accounts:password_change"))
    assert "超过" in client.get(reverse("accounts:password_change")).content.decode()


def test_password_change_errors(client: Client, ly_reviewer: User) -> None:
    sign_in(client, ly_reviewer)
    url = reverse("accounts:password_change")
    wrong_old = client.post(
        url, {"old_password": "x", "new_password1": "Xin-Mima-2025", "new_password2": "Xin-Mima-2025"}
    )
    assert "原密码不正确" in wrong_old.content.decode()
    mismatch = client.post(
        url, {"old_password": PASSWORD, "new_password1": "Xin-Mima-2025", "new_password2": "Xin-Mima-2026"}
    )
    assert "不一致" in mismatch.content.decode()
    weak = client.post(
        url, {"old_password": PASSWORD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"}
    )
    assert weak.status_code == 200
    ly_reviewer.refresh_from_db()
    assert ly_reviewer.check_password(PASSWORD)


def test_other_sessions_end_when_the_password_changes(ly_reviewer: User) -> None:
    first, second = Client(), Client()
    sign_in(first, ly_reviewer)
    sign_in(second, ly_reviewer)
    first.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Xin-Mima-2025", "new_password2": "Xin-Mima-2025"},
    )
    assert first.get(workspace_url()).status_code == 200
    assert signed_out(second.get(workspace_url()))


# --- the middleware on its own -------------------------------------------------------


def _request(user: User, path: str, *, verified: bool = True, marked: bool = True) -> HttpRequest:
    request = RequestFactory().get(path)
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request.session[SESSION_KEY] = str(user.pk)
    if marked:
        mark_session(request, user)
    user.is_verified = lambda: verified  # type: ignore[attr-defined]  # django_otp sets it per request
    request.user = user
    return request


def _run(request: HttpRequest) -> tuple[HttpResponse, Any]:
    seen: dict[str, Any] = {}

    def view(req: HttpRequest) -> HttpResponse:
        seen["user"] = req.user
        return HttpResponse("ok")

    response = SessionPolicyMiddleware(view)(request)
    return response, seen.get("user")


def test_middleware_makes_no_query(ly_reviewer: User, django_assert_num_queries: Callable[..., Any]) -> None:
    request = _request(ly_reviewer, workspace_url())
    with django_assert_num_queries(0):
        response, user = _run(request)
    assert response.status_code == 200
    assert user is ly_reviewer


def test_half_signed_in_staff_is_anonymous_outside_the_staff_area(ly_reviewer: User) -> None:
    response, user = _run(_request(ly_reviewer, "/api/v1/teachers", verified=False))
    assert response.status_code == 200
    assert isinstance(user, AnonymousUser)


def test_a_session_the_policy_did_not_start_is_ended(ly_reviewer: User) -> None:
    request = _request(ly_reviewer, workspace_url(), marked=False)
    _response, user = _run(request)
    assert not user.is_authenticated
    assert SESSION_KEY not in request.session


def test_htmx_requests_get_an_hx_redirect(ly_reviewer: User) -> None:
    request = _request(ly_reviewer, workspace_url(), verified=False)
    request.META["HTTP_HX_REQUEST"] = "true"
    response, _user = _run(request)
    assert response["HX-Redirect"] == reverse("accounts:otp_verify")


# --- The last-seen refresh, at most once a minute (docs/decisions/0270) ---------------------


def _session_writes(queries: Any) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    ]


def test_a_signed_in_read_within_the_minute_writes_no_session(
    client: Client, ly_reviewer: User, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    sign_in(client, ly_reviewer)
    start = clock.now()
    soon = start + timedelta(seconds=settings.SESSION_SEEN_REFRESH_SECONDS - 5)
    with clock.travel(soon), django_assert_max_num_queries(50) as queries:
        assert client.get(workspace_url()).status_code == 200
    assert _session_writes(queries) == []


def test_a_read_after_the_minute_moves_last_seen_once(
    client: Client, ly_reviewer: User, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    sign_in(client, ly_reviewer)
    later = clock.now() + timedelta(seconds=settings.SESSION_SEEN_REFRESH_SECONDS + 1)
    with clock.travel(later):
        with django_assert_max_num_queries(50) as queries:
            assert client.get(workspace_url()).status_code == 200
        assert len(_session_writes(queries)) == 1
        # The travelled clock runs on from ``later``: the refresh is at or just after it.
        assert later.timestamp() <= client.session["jz_seen_at"] < later.timestamp() + 30
        with django_assert_max_num_queries(50) as again:
            assert client.get(workspace_url()).status_code == 200
        assert _session_writes(again) == []


def test_requests_less_than_a_minute_apart_keep_a_session_past_the_idle_time(
    client: Client, ly_reviewer: User
) -> None:
    sign_in(client, ly_reviewer)
    start = clock.now()
    step = timedelta(seconds=settings.SESSION_SEEN_REFRESH_SECONDS - 10)
    elapsed = timedelta(0)
    while elapsed < timedelta(seconds=2 * settings.SESSION_COOKIE_AGE):
        elapsed += step
        with clock.travel(start + elapsed):
            assert client.get(workspace_url()).status_code == 200


def test_idle_time_counts_from_the_last_refresh_never_longer(client: Client, ly_reviewer: User) -> None:
    """A request inside the minute does not move last-seen: the session ends the idle
    time after the refresh, so it never outlives the idle time after any request."""
    sign_in(client, ly_reviewer)
    start = clock.now()
    with clock.travel(start + timedelta(seconds=30)):  # not a refresh
        assert client.get(workspace_url()).status_code == 200
    with clock.travel(start + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)):
        assert signed_out(client.get(workspace_url()))
    assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, details__reason="idle_timeout").exists()
