"""The acting identity: resolved from the account's own columns, once per request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from jiaozi.accounts.actor import ANONYMOUS, Actor, ActorMiddleware, actor_of, is_active_staff, request_actor
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.orgs.models import Institution

from .factories import make_applicant, make_staff


@pytest.mark.parametrize(
    ("role", "fixture", "level"),
    [
        (Role.SCHOOL_REVIEWER, "ly_school", "school"),
        (Role.REGISTRATION_REVIEWER, "luyang", "registration"),
        (Role.CITY_RECHECKER, "hefei", "city"),
        (Role.PROVINCE_REVIEWER, "province", "province"),
        (Role.INSTITUTION_ADMIN, "luyang", None),
    ],
)
def test_staff_at_each_level(
    request: pytest.FixtureRequest, role: Role, fixture: str, level: str | None
) -> None:
    institution: Institution = request.getfixturevalue(fixture)
    user = make_staff(username=f"u_{role}", role=role, institution=institution)
    actor = actor_of(user)
    assert actor.user_id == user.pk
    assert actor.kind is User.Kind.STAFF
    assert actor.role is role
    assert actor.roles == frozenset({role})
    assert actor.has_role(role)
    assert not actor.has_role(Role.AUDIT_ADMIN)
    assert actor.institution_id == institution.pk
    assert actor.institution_path == institution.path
    assert actor.is_authenticated
    assert actor.is_staff
    assert actor.is_active_staff
    assert not actor.is_applicant
    assert actor.level_in("registration") == level
    assert actor.level_in("no-such-workflow") is None
    assert is_active_staff(user) is True
    assert user.is_active_staff is True


def test_applicant(db: Any) -> None:
    user = make_applicant(username="a1")
    actor = actor_of(user)
    assert actor.kind is User.Kind.APPLICANT
    assert actor.is_applicant
    assert actor.is_active_applicant
    assert not actor.is_staff
    assert not actor.is_active_staff
    assert actor.role is None
    assert actor.roles == frozenset()
    assert actor.institution_id is None
    assert actor.institution is None
    assert actor.institution_path == ""
    assert actor.level_in("registration") is None
    assert not actor.has_role(*Role.values)


@pytest.mark.parametrize("user", [None, AnonymousUser()])
def test_anonymous(user: AnonymousUser | None) -> None:
    actor = actor_of(user)
    assert actor is ANONYMOUS
    assert not actor.is_authenticated
    assert actor.user_id is None
    assert actor.kind is None
    assert not actor.is_staff
    assert not actor.is_applicant
    assert not actor.is_active_staff
    assert actor.level_in("registration") is None
    assert is_active_staff(user) is False


def test_inactive_staff_is_not_active_staff(luyang: Institution) -> None:
    user = make_staff(username="gone", role=Role.REGISTRATION_REVIEWER, institution=luyang, is_active=False)
    actor = actor_of(user)
    assert actor.is_staff
    assert actor.kind is User.Kind.STAFF
    assert not actor.is_active
    assert not actor.is_active_staff
    assert actor.level_in("registration") is None


def test_inactive_applicant(db: Any) -> None:
    actor = actor_of(make_applicant(username="a2", is_active=False))
    assert actor.is_applicant
    assert not actor.is_active_applicant


def test_cached_on_the_user_and_refreshed_when_the_account_changes(
    luyang: Institution, django_assert_num_queries: Callable[..., Any]
) -> None:
    user = make_staff(username="r1", role=Role.REGISTRATION_REVIEWER, institution=luyang)
    user = User.objects.get(pk=user.pk)
    with django_assert_num_queries(0):
        first = actor_of(user)
        assert actor_of(user) is first
    user.role = Role.INSTITUTION_ADMIN
    changed = actor_of(user)
    assert changed is not first
    assert changed.role is Role.INSTITUTION_ADMIN
    user.is_active = False
    assert not actor_of(user).is_active_staff


def test_actor_is_frozen(luyang: Institution) -> None:
    actor = actor_of(make_staff(username="r2", role=Role.REGISTRATION_REVIEWER, institution=luyang))
    with pytest.raises(FrozenInstanceError):
        actor.role = Role.PROVINCE_ADMIN  # type: ignore[misc]
    assert isinstance(actor, Actor)


def test_middleware_resolves_lazily_once(luyang: Institution) -> None:
    user = make_staff(username="r3", role=Role.REGISTRATION_REVIEWER, institution=luyang)
    seen: list[Any] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.actor)  # type: ignore[attr-defined]
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = user
    ActorMiddleware(view)(request)
    assert seen[0].user_id == user.pk
    assert seen[0].is_active_staff
    assert request_actor(request) is actor_of(user)


def test_request_actor_follows_the_session_policy(client: Client, ly_reviewer: User) -> None:
    # Signed in without the second factor: outside the staff area the request runs
    # anonymous, and so does its actor.
    client.force_login(ly_reviewer)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert response.wsgi_request.actor.is_authenticated is False  # type: ignore[attr-defined]


def test_request_actor_of_a_signed_in_staff_member(
    signed_in: Callable[[User], Client], ly_reviewer: User
) -> None:
    response = signed_in(ly_reviewer).get(reverse("portal:home"))
    actor = response.wsgi_request.actor  # type: ignore[attr-defined]
    assert actor.user_id == ly_reviewer.pk
    assert actor.level_in("registration") == "registration"
