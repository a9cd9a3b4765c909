"""Certification's cards on the staff dashboard: a confirmation user's waiting
applications; a certifying officer's applications awaiting a decision and those past
their 30-working-day deadline (§6, §3: dashboards show what is overdue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from jiaozi.core import clock
from jiaozi.core.roles import Role
from jiaozi.core.ui.cards import TaskCard, url_or_empty

from .selectors import overdue_count, queue_count
from .workflow import Status

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def certification_cards(user: User) -> list[TaskCard]:
    role = getattr(user, "role", "")
    if role == Role.CONFIRMATION_USER:
        waiting = queue_count(user=user, statuses=(Status.CONFIRMATION, Status.CONFIRM_REFUSED))
        return [
            TaskCard(
                _("认定现场确认"),
                _("本确认点待现场确认的认定申请：%(n)d 件。") % {"n": waiting},
                "open" if waiting else "done",
                _("待办") if waiting else _("暂无"),
                icon="check",
                url=url_or_empty("certification:confirm_queue"),
                action_label=_("进入确认"),
            )
        ]
    if role == Role.CERTIFYING_OFFICER:
        waiting = queue_count(user=user, statuses=(Status.DECISION,))
        overdue = overdue_count(user=user, today=clock.today())
        cards = [
            TaskCard(
                _("教师资格认定审批"),
                _("待认定审批的申请：%(n)d 件。") % {"n": waiting},
                "open" if waiting else "done",
                _("待办") if waiting else _("暂无"),
                icon="certificate",
                url=url_or_empty("certification:queue"),
                action_label=_("进入审批"),
            )
        ]
        if overdue:
            cards.append(
                TaskCard(
                    _("认定超期未办结"),
                    _("已超过30个工作日办理期限仍未作出认定结论的申请：%(n)d 件。") % {"n": overdue},
                    "overdue",
                    _("已超期"),
                    icon="clock",
                    url=url_or_empty("certification:overdue"),
                    action_label=_("查看超期申请"),
                )
            )
        return cards
    return []
