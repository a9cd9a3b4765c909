"""The workspace's left navigation: one table of entries, filtered per user.

An entry shows only when its URL name resolves (so a page that has not landed yet is
simply absent, never a dead link) and the user's role is one of its roles. Roles follow
三员分立: the security and audit admins review nothing, the system admins never see the
audit log (SECURITY check 7)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiaozi.accounts.actor import is_staff_account
from jiaozi.accounts.roles import Role

ALL_STAFF: frozenset[str] = frozenset(Role.values)

# Who keeps teacher facts and takes part in periodic registration (§1, §5).
_REGISTRATION = frozenset(
    {
        Role.SCHOOL_REVIEWER,
        Role.REGISTRATION_REVIEWER,
        Role.CITY_RECHECKER,
        Role.PROVINCE_REVIEWER,
        Role.INSTITUTION_ADMIN,
        Role.PROVINCE_ADMIN,
    }
)

if TYPE_CHECKING:
    from jiaozi.accounts.models import User
_INSTITUTION_ADMINS = frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN})


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    icon: str = ""
    section: str | Promise = ""


@dataclass
class NavLink:
    """A resolved entry, ready for the template."""

    label: str | Promise
    url_name: str
    url: str
    icon: str
    active: bool = False


@dataclass
class NavSection:
    title: str | Promise
    links: list[NavLink] = field(default_factory=list)


SECTION_HOME = _("工作台")
SECTION_TEACHERS = _("教师与注册")
SECTION_ORGS = _("机构与人员")
SECTION_SECURITY = _("安全与审计")

NAV: tuple[NavEntry, ...] = (
    NavEntry(_("工作台首页"), "workspace:home", ALL_STAFF, "home", SECTION_HOME),
    NavEntry(_("教师信息"), "teachers:teacher_list", _REGISTRATION, "people", SECTION_TEACHERS),
    NavEntry(
        _("教师数据导入"),
        "teachers:import",
        frozenset(
            {Role.SCHOOL_REVIEWER, Role.REGISTRATION_REVIEWER, Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN}
        ),
        "upload",
        SECTION_TEACHERS,
    ),
    NavEntry(_("定期注册"), "registration:campaign_list", _REGISTRATION, "calendar", SECTION_TEACHERS),
    NavEntry(
        _("注册预审"),
        "registration:precheck",
        frozenset(
            {
                Role.SCHOOL_REVIEWER,
                Role.REGISTRATION_REVIEWER,
                Role.CITY_RECHECKER,
                Role.PROVINCE_REVIEWER,
                Role.INSTITUTION_ADMIN,
            }
        ),
        "check",
        SECTION_TEACHERS,
    ),
    # Appended by the review engineer: one queue, its level taken from the role.
    NavEntry(
        _("审核队列"),
        "registration:queue",
        frozenset(
            {Role.SCHOOL_REVIEWER, Role.REGISTRATION_REVIEWER, Role.CITY_RECHECKER, Role.PROVINCE_REVIEWER}
        ),
        "inbox",
        SECTION_TEACHERS,
    ),
    # Appended by the notice engineer: public notices (公示) and their objections.
    NavEntry(
        _("结果公示"),
        "registration:notice_list",
        frozenset({Role.REGISTRATION_REVIEWER}),
        "notice",
        SECTION_TEACHERS,
    ),
    NavEntry(
        _("公示异议"),
        "registration:objection_list",
        frozenset({Role.REGISTRATION_REVIEWER}),
        "megaphone",
        SECTION_TEACHERS,
    ),
    NavEntry(_("机构管理"), "orgs:institution_list", _INSTITUTION_ADMINS, "building", SECTION_ORGS),
    NavEntry(_("机构公开信息"), "orgs:public_info", _INSTITUTION_ADMINS, "info", SECTION_ORGS),
    NavEntry(
        _("人员备案"),
        "accounts:staff_list",
        frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN, Role.SECURITY_ADMIN}),
        "person-badge",
        SECTION_ORGS,
    ),
    NavEntry(_("审计日志"), "audit:event_list", frozenset({Role.AUDIT_ADMIN}), "journal", SECTION_SECURITY),
    NavEntry(_("修改密码"), "accounts:password_change", ALL_STAFF, "key", SECTION_SECURITY),
)


def _resolve(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def entries_for(user: User | AnonymousUser | None, entries: Iterable[NavEntry] = NAV) -> list[NavEntry]:
    """The entries ``user`` may see, in table order. Applicants and anonymous users see none."""
    if not is_staff_account(user):
        return []
    role = getattr(user, "role", "")
    return [entry for entry in entries if role in entry.roles and _resolve(entry.url_name) is not None]


def build_nav(
    user: User | AnonymousUser | None, *, path: str = "", active: str = "", entries: Iterable[NavEntry] = NAV
) -> list[NavSection]:
    """Sections of resolved links for ``user``. ``active`` (a URL name) wins; otherwise
    the link whose URL is the longest prefix of ``path`` is highlighted, so a detail page
    under a list highlights that list."""
    links: list[tuple[str | Promise, NavLink]] = []
    for entry in entries_for(user, entries):
        url = _resolve(entry.url_name)
        assert url is not None  # entries_for kept only resolving names
        links.append((entry.section, NavLink(entry.label, entry.url_name, url, entry.icon)))

    chosen: NavLink | None = None
    if active:
        chosen = next((link for _s, link in links if link.url_name == active), None)
    if chosen is None and path:
        best = -1
        for _s, link in links:
            if path.startswith(link.url) and len(link.url) > best:
                chosen, best = link, len(link.url)
    if chosen is not None:
        chosen.active = True

    sections: list[NavSection] = []
    for section, link in links:
        if not sections or sections[-1].title is not section:
            sections.append(NavSection(section))
        sections[-1].links.append(link)
    return sections


def quick_links(user: User | AnonymousUser | None) -> list[NavLink]:
    """The user's destinations other than the dashboard itself, for the dashboard cards."""
    return [
        link
        for section in build_nav(user)
        for link in section.links
        if link.url_name not in {"workspace:home", "accounts:password_change"}
    ]
