"""The staff navigation: the entries the apps registered (``jiaozi.core.registry``),
filtered per user.

An entry shows only when its URL name resolves (so a page that has not landed yet is
simply absent, never a dead link) and the user's role is one of its roles. Roles follow
三员分立: the security and audit admins review nothing, the system admins never see the
audit log (SECURITY check 7)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiaozi.core.registry import NavEntry, nav_entries
from jiaozi.core.roles import Role

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

__all__ = [
    "ALL_STAFF",
    "SECTION_HOME",
    "SECTION_ORGS",
    "SECTION_SECURITY",
    "SECTION_TEACHERS",
    "NavEntry",
    "NavLink",
    "NavSection",
    "build_nav",
    "entries_for",
    "quick_links",
]

ALL_STAFF: frozenset[str] = frozenset(Role.values)

# The sections, in navigation order; an entry's ``order`` places it inside its band
# (home 0–99, teachers and registration 100–199, institutions and people 200–299,
# security and audit 300–399).
SECTION_HOME = _("工作台")
SECTION_TEACHERS = _("教师与注册")
SECTION_ORGS = _("机构与人员")
SECTION_SECURITY = _("安全与审计")


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


def _resolve(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def entries_for(user: User | None, entries: Iterable[NavEntry] | None = None) -> list[NavEntry]:
    """The entries ``user`` may see, in order (default: every registered entry).
    Applicants and anonymous users see none."""
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_staff_user", False)
    ):
        return []
    role = getattr(user, "role", "")
    return [
        entry
        for entry in (nav_entries() if entries is None else entries)
        if role in entry.roles and _resolve(entry.url_name) is not None
    ]


def build_nav(
    user: User | None, *, path: str = "", active: str = "", entries: Iterable[NavEntry] | None = None
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


def quick_links(user: User | None) -> list[NavLink]:
    """The user's destinations other than the dashboard itself, for the dashboard cards."""
    return [
        link
        for section in build_nav(user)
        for link in section.links
        if link.url_name not in {"workspace:home", "accounts:password_change"}
    ]
