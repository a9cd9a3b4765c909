"""Staff filing offers the roles the chosen institution can hold (issue 9, item 13):
the page carries which institution holds which roles (the role list narrows as soon as
an institution is chosen), and a role the institution cannot hold is refused on the
form, by name, before anything is filed."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.orgs.models import Institution

from .test_staff_views import filing

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


def test_a_role_the_institution_cannot_hold_is_refused_on_the_form(
    signed_in: SignIn, ly_admin: User, ly_school: Institution
) -> None:
    client = signed_in(ly_admin)
    response = client.post(
        reverse("accounts:staff_create"), filing(ly_school, role=Role.REGISTRATION_REVIEWER)
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert f"所选机构不能设置“{Role.REGISTRATION_REVIEWER.label}”角色" in page
    assert not User.objects.filter(username="ly_school_reviewer").exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.STAFF_CREATED).exists()


def test_the_page_says_which_roles_each_institution_holds(
    signed_in: SignIn, ly_admin: User, ly_school: Institution
) -> None:
    page = signed_in(ly_admin).get(reverse("accounts:staff_create")).content.decode()
    kinds = json.loads(attribute(page, "data-jz-institution-kinds"))
    assert kinds[ly_school.code] == "school:county"
    holders = json.loads(attribute(page, "data-jz-role-holders"))
    assert holders[Role.SCHOOL_REVIEWER] == ["school:"]


def attribute(page: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', page)
    assert match is not None, name
    return html.unescape(match.group(1))
