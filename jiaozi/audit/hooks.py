"""What audit contributes to the staff shell, registered from ``AuditConfig.ready()``:
the audit log entry and card, for the audit admin only (三员分立, SECURITY check 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.roles import Role
from jiaozi.core.ui.cards import NOT_OPEN, TaskCard, url_or_empty
from jiaozi.core.ui.nav import SECTION_SECURITY

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def audit_cards(user: User) -> list[TaskCard]:
    if getattr(user, "role", "") != Role.AUDIT_ADMIN:
        return []
    url = url_or_empty("audit:event_list")
    return [
        TaskCard(
            _("审计日志"),
            _("查阅登录、审核、导出和账号变更等操作记录（只读）。"),
            *(("active", _("可查阅")) if url else NOT_OPEN),
            icon="journal",
            url=url,
            action_label=_("查阅审计日志"),
        )
    ]


def register() -> None:
    registry.nav_entry_register(
        NavEntry(
            _("审计日志"),
            "audit:event_list",
            frozenset({Role.AUDIT_ADMIN}),
            "journal",
            SECTION_SECURITY,
            order=310,
        )
    )
    registry.dashboard_cards_register("audit", audit_cards, order=60)
