"""What the dashboard shows each role: the cards every app registered
(``jiaozi.core.registry.dashboard_cards_register``), in dashboard order, plus the
placeholders for the certification work that has not opened yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from jiaozi.accounts.roles import Role
from jiaozi.core.ui.cards import NOT_OPEN, TaskCard, cards_for

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

__all__ = ["TaskCard", "certification_cards", "tasks_for"]

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def certification_cards(user: User) -> list[TaskCard]:
    """Placeholders until certification (认定) lands and registers cards of its own."""
    role = getattr(user, "role", "")
    if role == Role.CONFIRMATION_USER:
        return [
            TaskCard(
                _("认定现场确认尚未开放"),
                _("认定工作开放后，本确认点需要确认的申请将在这里列出。"),
                *NOT_OPEN,
                icon="check",
            )
        ]
    if role == Role.CERTIFYING_OFFICER:
        return [
            TaskCard(
                _("教师资格认定工作尚未开放"),
                _("认定工作开放后，待审核的认定申请和待发证书将在这里列出。"),
                *NOT_OPEN,
                icon="certificate",
            )
        ]
    return []


def tasks_for(user: User) -> list[TaskCard]:
    return cards_for(user)
