"""staff_required(*roles) on a bare view, through the whole middleware stack."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from jiaozi.accounts.decorators import staff_required
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.audit.models import AuditEvent, AuditKind

from .factories import make_applicant


@staff_required(Role.REGISTRATION_REVIEWER)
def reviewers_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@staff_required()
def any_staff(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def call(view: Callable[[HttpRequest], HttpResponse], user: object, *, verified: bool = True) -> HttpResponse:
    request = RequestFactory().get("/staff-test/somewhere/")
    if getattr(user, "is_authenticated", False):
        user.is_verified = lambda: verified  # type: ignore[attr-defined]
    request.user = user  # type: ignore[assignment]
    return view(request)


def test_right_role_passes(ly_reviewer: User) -> None:
    assert call(reviewers_only, ly_reviewer).content == b"ok"


def test_wrong_role_is_403_and_audited(ly_admin: User) -> None:
    response = call(reviewers_only, ly_admin)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        kind=AuditKind.ACCESS_DENIED, actor_id=ly_admin.pk, outcome="denied"
    ).exists()


def test_no_roles_means_any_staff(ly_admin: User) -> None:
    assert call(any_staff, ly_admin).status_code == 200


@pytest.mark.django_db
def test_anonymous_goes_to_sign_in() -> None:
    from django.contrib.auth.models import AnonymousUser

    response = call(any_staff, AnonymousUser())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.django_db
def test_applicant_goes_to_sign_in() -> None:
    response = call(any_staff, make_applicant())
    assert response["Location"].startswith(reverse("accounts:login"))


def test_unverified_staff_goes_to_the_code_page(ly_reviewer: User) -> None:
    response = call(reviewers_only, ly_reviewer, verified=False)
    assert response["Location"].startswith(reverse("accounts:otp_verify"))


def test_expired_password_goes_to_the_change_page(ly_reviewer: User) -> None:
    ly_reviewer.must_change_password = True
    response = call(reviewers_only, ly_reviewer)
    assert response["Location"].startswith(reverse("accounts:password_change"))


def test_through_the_stack(client: Client, ly_reviewer: User, ly_admin: User) -> None:
    # The staff list admits admins; a reviewer gets the 403 page inside the workspace shell.
    sign_in(client, ly_reviewer)
    response = client.get(reverse("accounts:staff_list"))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
