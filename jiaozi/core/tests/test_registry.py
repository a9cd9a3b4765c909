"""The registries the apps fill in ``AppConfig.ready()``: periodic jobs, navigation
entries and dashboard cards. An app that registers something sees it in the staff
shell and in the schedule; core itself names no app."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from jiaozi.core import access, jobs, registry
from jiaozi.core.roles import Role
from jiaozi.core.ui.cards import TaskCard, cards_for
from jiaozi.core.ui.nav import SECTION_HOME, SECTION_SECURITY, build_nav, entries_for, quick_links

PROBE_ENTRY = registry.NavEntry(
    "探针页面", "accounts:password_change", frozenset({Role.AUDIT_ADMIN}), "info", SECTION_SECURITY, order=5
)
HOME_ENTRY = registry.NavEntry(
    "首页", "workspace:home", frozenset(Role.values), "home", SECTION_HOME, order=1
)


def probe_cards(user: Any) -> list[TaskCard]:
    if getattr(user, "role", "") != Role.AUDIT_ADMIN:
        return []
    return [TaskCard("探针卡片", "探针应用登记的待办。", "open", "办理中")]


def probe_job() -> int:
    return 3


class ProbeConfig(AppConfig):
    """An app that contributes one of each, the way every Jiaozi app does."""

    name = "probe"
    label = "probe"
    path = "/nonexistent/probe"

    def ready(self) -> None:
        registry.nav_entry_register(PROBE_ENTRY)
        registry.nav_entry_register(HOME_ENTRY)
        registry.dashboard_cards_register("probe", probe_cards, order=5)
        jobs.periodic_job("probe.tidy", every=dt.timedelta(minutes=10), description="探针任务")(probe_job)


@pytest.fixture
def empty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty registries for the test (monkeypatch puts the project's back afterwards)."""
    monkeypatch.setattr(registry, "_NAV", {})
    monkeypatch.setattr(registry, "_CARDS", {})
    monkeypatch.setattr(jobs, "_REGISTRY", {})


@pytest.fixture
def probe(empty: None) -> ProbeConfig:
    config = ProbeConfig("probe", ModuleType("probe"))
    config.ready()
    return config


def staff(role: str) -> Any:
    return SimpleNamespace(is_authenticated=True, is_staff_user=True, role=role)


@pytest.mark.usefixtures("probe")
def test_a_registered_navigation_entry_appears_for_its_roles_only() -> None:
    sections = build_nav(staff(Role.AUDIT_ADMIN))

    assert [(str(s.title), [str(link.label) for link in s.links]) for s in sections] == [
        ("工作台", ["首页"]),
        ("安全与审计", ["探针页面"]),
    ]
    assert [e.url_name for e in entries_for(staff(Role.PROVINCE_ADMIN))] == ["workspace:home"]
    assert [str(link.label) for link in quick_links(staff(Role.AUDIT_ADMIN))] == []  # both are left out


@pytest.mark.usefixtures("probe")
def test_a_registered_card_appears_on_the_dashboard_of_its_role() -> None:
    from jiaozi.workspace.dashboard import tasks_for

    assert [str(card.title) for card in tasks_for(staff(Role.AUDIT_ADMIN))] == ["探针卡片"]
    assert tasks_for(staff(Role.PROVINCE_ADMIN)) == []


@pytest.mark.usefixtures("probe")
def test_a_registered_job_is_run_by_cron_and_scheduled_for_beat() -> None:
    out = StringIO()

    call_command("run_due_jobs", "--list", stdout=out)

    assert "probe.tidy" in out.getvalue()
    assert jobs.job_run(name="probe.tidy").count == 3
    assert jobs.beat_schedule() == {
        "probe.tidy": {"task": "jiaozi.core.tasks.run_job", "schedule": 600.0, "args": ("probe.tidy",)}
    }


def test_ready_may_run_twice(probe: ProbeConfig) -> None:
    probe.ready()

    assert registry.nav_entries() == (HOME_ENTRY, PROBE_ENTRY)
    assert [source.name for source in registry.dashboard_card_sources()] == ["probe"]
    assert [job.name for job in jobs.registered_jobs()] == ["probe.tidy"]


@pytest.mark.usefixtures("probe")
def test_a_different_item_under_a_taken_name_is_refused() -> None:
    with pytest.raises(registry.DuplicateRegistration):
        registry.nav_entry_register(registry.NavEntry("别的", PROBE_ENTRY.url_name, frozenset(), order=9))
    with pytest.raises(registry.DuplicateRegistration):
        registry.dashboard_cards_register("probe", lambda user: [], order=5)
    with pytest.raises(ValueError, match="registered twice"):
        jobs.periodic_job("probe.tidy", every=dt.timedelta(minutes=10))(lambda: 0)


@pytest.mark.usefixtures("probe")
def test_cards_follow_the_registered_order() -> None:
    registry.dashboard_cards_register("first", lambda user: [TaskCard("最先", "", "open", "")], order=1)

    assert [str(card.title) for card in cards_for(staff(Role.AUDIT_ADMIN))] == ["最先", "探针卡片"]


# --- What the project's apps register ------------------------------------------------


def test_the_apps_register_the_navigation_in_its_order() -> None:
    assert [entry.url_name for entry in registry.nav_entries()] == [
        "workspace:home",
        "teachers:teacher_list",
        "teachers:import",
        "applicants_staff:identity_reclaim",
        "certservices:certificate_list",
        "registration:campaign_list",
        "certservices:request_queue",
        "certservices:check_list",
        "certservices:settings",
        "registration:precheck",
        "registration:queue",
        "registration:at_risk",
        "registration:notice_list",
        "registration:objection_list",
        "oversight:spot_check_list",
        "oversight:data_audit",
        "exports:request_list",
        "exports:approval_queue",
        "oversight:statistics",
        "certification:queue",
        "orgs:institution_list",
        "certification:confirm_queue",
        "orgs:public_info",
        "directory:setup",
        "accounts:staff_list",
        "announcements:list",
        "confirmation:day_list",
        "confirmation:point_list",
        "audit:event_list",
        "accounts:password_change",
    ]


def test_the_apps_register_the_dashboard_cards_in_their_order() -> None:
    assert [source.name for source in registry.dashboard_card_sources()] == [
        "registration",
        "certservices",
        "orgs",
        "directory",
        "certification",
        "confirmation",
        "accounts",
        "audit",
    ]


# --- The staff check for the apps below accounts ----------------------------------------


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def test_staff_required_refuses_everything_until_a_check_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(access, "_installed", None)
    view = access.staff_required(Role.AUDIT_ADMIN)(_view)

    with pytest.raises(ImproperlyConfigured):
        view(RequestFactory().get("/"))


def test_staff_required_uses_the_installed_check_with_the_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[str, ...], bool]] = []

    def check(*roles: str, allow_expired_password: bool = False) -> Any:
        calls.append((roles, allow_expired_password))
        return lambda view: lambda request: HttpResponse("checked", status=403)

    monkeypatch.setattr(access, "_installed", check)
    view = access.staff_required(Role.AUDIT_ADMIN)(_view)

    first = view(RequestFactory().get("/"))
    second = view(RequestFactory().get("/"))

    assert (first.status_code, second.status_code) == (403, 403)
    assert calls == [((Role.AUDIT_ADMIN,), False)]  # resolved once, on the first request


def test_accounts_installs_its_staff_check() -> None:
    from jiaozi.accounts.decorators import staff_required

    assert access._installed is staff_required
