"""What accounts contributes to the shared registries and hooks of core, installed from
``AccountsConfig.ready()``: the API's identity rules, the staff check for the apps below
accounts, the staff-filing and password entries, the security admin's card and the job
that disables inactive staff."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.access import staff_required_use
from jiaozi.core.api.auth import Identity, identity_use
from jiaozi.core.jobs import periodic_job
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.cards import NOT_OPEN, TaskCard, url_or_empty
from jiaozi.core.ui.nav import ALL_STAFF, SECTION_ORGS, SECTION_SECURITY

from .decorators import staff_required
from .roles import Role
from .services import password_expired, staff_disable_inactive
from .tokens import service_token_authenticate

if TYPE_CHECKING:
    from .models import User


def _disable_inactive_staff() -> int:
    return len(staff_disable_inactive())


def security_cards(user: User) -> list[TaskCard]:
    if getattr(user, "role", "") != Role.SECURITY_ADMIN:
        return []
    return [
        TaskCard(
            _("安全策略设置尚未开放"),
            _("密码策略、会话时长等安全设置将在这里集中管理。"),
            *NOT_OPEN,
            icon="shield",
            url=url_or_empty("accounts:staff_list"),
            action_label=_("查看人员账号"),
        )
    ]


def register() -> None:
    identity_use(Identity(token_user=service_token_authenticate, password_expired=password_expired))
    staff_required_use(staff_required)
    periodic_job(
        "accounts.disable_inactive_staff",
        every=dt.timedelta(days=1),
        description="停用长期未登录的工作人员账号。",
    )(_disable_inactive_staff)
    registry.nav_entry_register(
        NavEntry(
            _("人员备案"),
            "accounts:staff_list",
            frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN, Role.SECURITY_ADMIN}),
            "person-badge",
            SECTION_ORGS,
            order=230,
        )
    )
    registry.nav_entry_register(
        NavEntry(_("修改密码"), "accounts:password_change", ALL_STAFF, "key", SECTION_SECURITY, order=320)
    )
    registry.dashboard_cards_register("accounts", security_cards, order=50)
