"""What exports contributes to the shared registries, installed from
``ExportsConfig.ready()``: its navigation entries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.nav import SECTION_TEACHERS

from .selectors import APPROVER_ROLES, REQUESTER_ROLES

NAV = (
    NavEntry(
        _("数据导出"), "exports:request_list", frozenset(REQUESTER_ROLES), "download", SECTION_TEACHERS, 197
    ),
    NavEntry(
        _("导出审批"), "exports:approval_queue", frozenset(APPROVER_ROLES), "check", SECTION_TEACHERS, 198
    ),
)


def register() -> None:
    for entry in NAV:
        registry.nav_entry_register(entry)
