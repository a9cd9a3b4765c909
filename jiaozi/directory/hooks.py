"""What the directory contributes to the staff shell, registered from ``ready()``: the
set-up entries and a dashboard card for an institution that has not finished."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.cards import TaskCard, url_or_empty
from jiaozi.core.ui.nav import SECTION_ORGS

from .permissions import ADMIN_ROLES, can_keep_plan

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def plan_cards(user: User) -> list[TaskCard]:
    """The admin of a registration institution: the plan for the running campaign."""
    if not can_keep_plan(actor=user):
        return []
    from . import selectors

    campaign = selectors.campaign_for(user.institution)
    if campaign is None or user.institution is None:
        return []
    done = selectors.plan_for(institution=user.institution, campaign=campaign) is not None
    return [
        TaskCard(
            _("注册计划已提交") if done else _("注册计划尚未提交"),
            _("按学校类型填报本机构预计办理定期注册的人数。"),
            "done" if done else "pending",
            _("已提交") if done else _("待提交"),
            icon="calendar",
            url=url_or_empty("directory:setup"),
            action_label=_("注册准备"),
        )
    ]


def register() -> None:
    registry.nav_entry_register(
        NavEntry(_("注册准备"), "directory:setup", ADMIN_ROLES, "calendar", SECTION_ORGS, order=225)
    )
    registry.dashboard_cards_register("directory", plan_cards, order=41)
