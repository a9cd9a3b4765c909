"""Navigation filtering: by role, by URL names that resolve, and highlighting."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.core.registry import nav_entries
from jiaozi.core.ui.nav import NavEntry, build_nav, entries_for

ENTRIES = (
    NavEntry("首页", "workspace:home", frozenset(Role.values), "home", "A"),
    NavEntry("人员", "accounts:staff_list", frozenset({Role.INSTITUTION_ADMIN}), "people", "B"),
    NavEntry("未上线", "nowhere:missing", frozenset(Role.values), "info", "B"),
    NavEntry("审计", "accounts:password_change", frozenset({Role.AUDIT_ADMIN}), "journal", "C"),
)


def staff(role: str) -> Any:
    return SimpleNamespace(is_authenticated=True, kind="staff", is_staff_user=True, role=role)


def test_entries_follow_the_role() -> None:
    admin = [e.url_name for e in entries_for(staff(Role.INSTITUTION_ADMIN), ENTRIES)]
    auditor = [e.url_name for e in entries_for(staff(Role.AUDIT_ADMIN), ENTRIES)]

    assert admin == ["workspace:home", "accounts:staff_list"]
    assert auditor == ["workspace:home", "accounts:password_change"]


def test_entries_whose_url_does_not_resolve_are_left_out() -> None:
    names = [e.url_name for e in entries_for(staff(Role.INSTITUTION_ADMIN), ENTRIES)]

    assert "nowhere:missing" not in names


@pytest.mark.parametrize(
    "user",
    [
        None,
        cast(
            User,
            SimpleNamespace(
                is_authenticated=False, kind=User.Kind.STAFF, is_staff_user=True, role=Role.PROVINCE_ADMIN
            ),
        ),
        cast(
            User,
            SimpleNamespace(is_authenticated=True, kind=User.Kind.APPLICANT, is_staff_user=False, role=""),
        ),
    ],
)
def test_anonymous_and_applicants_get_no_navigation(user: User | None) -> None:
    assert entries_for(user, ENTRIES) == []


def test_audit_log_only_for_the_audit_admin() -> None:
    """三员分立: the system admins never see the audit log in their navigation."""
    audit_entry = next(e for e in nav_entries() if e.url_name == "audit:event_list")

    assert audit_entry.roles == frozenset({Role.AUDIT_ADMIN})


def test_sections_group_links_and_the_longest_prefix_is_active() -> None:
    staff_list = reverse("accounts:staff_list")

    sections = build_nav(staff(Role.INSTITUTION_ADMIN), path=f"{staff_list}42/", entries=ENTRIES)

    assert [s.title for s in sections] == ["A", "B"]
    active = [link.url_name for s in sections for link in s.links if link.active]
    assert active == ["accounts:staff_list"]


def test_explicit_active_entry_wins() -> None:
    sections = build_nav(
        staff(Role.INSTITUTION_ADMIN),
        path=reverse("accounts:staff_list"),
        active="workspace:home",
        entries=ENTRIES,
    )

    active = [link.url_name for s in sections for link in s.links if link.active]
    assert active == ["workspace:home"]


def test_every_role_has_the_dashboard() -> None:
    for role in Role.values:
        assert "workspace:home" in [e.url_name for e in entries_for(staff(role))]


def test_every_navigation_icon_is_drawn() -> None:
    """A name missing from icons.svg leaves a blank space before the entry's label."""
    import re
    from pathlib import Path

    from django.conf import settings

    sprite = (Path(settings.BASE_DIR) / "jiaozi" / "static" / "jiaozi" / "icons.svg").read_text(
        encoding="utf-8"
    )
    drawn = set(re.findall(r'<symbol id="([a-z-]+)"', sprite))
    missing = {str(e.label): e.icon for e in nav_entries() if e.icon and e.icon not in drawn}
    assert not missing, missing
