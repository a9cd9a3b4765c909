"""What registration contributes to the shared registries, installed from
``RegistrationConfig.ready()``: its navigation entries, its dashboard card and the job
that closes expired public notices."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from jiaozi.accounts.roles import REGISTRATION_ROLES, Role
from jiaozi.core import registry
from jiaozi.core.jobs import periodic_job
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.nav import SECTION_TEACHERS

from .dashboard import registration_cards
from .notices import notice_close_expired

_REVIEWERS = frozenset(
    {Role.SCHOOL_REVIEWER, Role.REGISTRATION_REVIEWER, Role.CITY_RECHECKER, Role.PROVINCE_REVIEWER}
)

NAV = (
    NavEntry(
        _("定期注册"), "registration:campaign_list", REGISTRATION_ROLES, "calendar", SECTION_TEACHERS, 130
    ),
    NavEntry(
        _("注册预审"),
        "registration:precheck",
        _REVIEWERS | {Role.INSTITUTION_ADMIN},
        "check",
        SECTION_TEACHERS,
        140,
    ),
    # One queue, its level taken from the role.
    NavEntry(_("审核队列"), "registration:queue", _REVIEWERS, "inbox", SECTION_TEACHERS, 150),
    # Applications that cannot finish inside their level's window (§5).
    NavEntry(_("办理时限预警"), "registration:at_risk", _REVIEWERS, "clock", SECTION_TEACHERS, 155),
    # Public notices (公示) and their objections.
    NavEntry(
        _("结果公示"),
        "registration:notice_list",
        frozenset({Role.REGISTRATION_REVIEWER}),
        "notice",
        SECTION_TEACHERS,
        160,
    ),
    NavEntry(
        _("公示异议"),
        "registration:objection_list",
        frozenset({Role.REGISTRATION_REVIEWER}),
        "megaphone",
        SECTION_TEACHERS,
        170,
    ),
)


def _notice_close_expired() -> int:
    return notice_close_expired()


def register() -> None:
    from jiaozi.teachers.signals import teacher_records_changed

    from .applications.refresh import on_teacher_records_changed

    teacher_records_changed.connect(
        on_teacher_records_changed, dispatch_uid="registration.refresh_suggestion"
    )
    periodic_job(
        "registration.notice_close_expired",
        every=dt.timedelta(minutes=15),
        description="公示期满的申请自动进入下一环节，并结束到期的公示。",
    )(_notice_close_expired)
    for entry in NAV:
        registry.nav_entry_register(entry)
    registry.dashboard_cards_register("registration", registration_cards, order=10)
