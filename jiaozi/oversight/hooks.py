"""What oversight contributes to the shared registries, installed from
``OversightConfig.ready()``: its navigation entries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
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
)


def register() -> None:
    for entry in NAV:
        registry.nav_entry_register(entry)
