"""What oversight contributes to the shared registries, installed from
``OversightConfig.ready()``: its navigation entries and the statistics refresh job."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.jobs import periodic_job
from jiaozi.core.registry import NavEntry
from jiaozi.core.roles import Role
from jiaozi.core.ui.nav import SECTION_TEACHERS

NAV = (
    NavEntry(
        _("定期注册抽查"),
        "oversight:spot_check_list",
        frozenset({Role.PROVINCE_REVIEWER, Role.CITY_RECHECKER}),
        "check",
        SECTION_TEACHERS,
        195,
    ),
    NavEntry(
        _("数据核查"),
        "oversight:data_audit",
        frozenset(
            {
                Role.SCHOOL_REVIEWER,
                Role.REGISTRATION_REVIEWER,
                Role.CITY_RECHECKER,
                Role.PROVINCE_REVIEWER,
                Role.INSTITUTION_ADMIN,
                Role.PROVINCE_ADMIN,
            }
        ),
        "check",
        SECTION_TEACHERS,
        196,
    ),
    NavEntry(
        _("统计"),
        "oversight:statistics",
        frozenset(
            {
                Role.SCHOOL_REVIEWER,
                Role.REGISTRATION_REVIEWER,
                Role.CITY_RECHECKER,
                Role.PROVINCE_REVIEWER,
                Role.INSTITUTION_ADMIN,
                Role.PROVINCE_ADMIN,
            }
        ),
        "journal",
        SECTION_TEACHERS,
        199,
    ),
)


def _statistics_refresh() -> int:
    from .stats import statistics_refresh_due

    return statistics_refresh_due()


def register() -> None:
    periodic_job(
        "oversight.statistics_refresh",
        every=dt.timedelta(minutes=10),
        description="重新汇总进行中的定期注册工作和认定批次的统计数据。",
    )(_statistics_refresh)
    for entry in NAV:
        registry.nav_entry_register(entry)
