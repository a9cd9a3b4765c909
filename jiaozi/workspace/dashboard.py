"""What the dashboard shows each role: the cards every app registered
(``jiaozi.core.registry.dashboard_cards_register``), in dashboard order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiaozi.core.ui.cards import TaskCard, cards_for

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

__all__ = ["TaskCard", "tasks_for"]

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def tasks_for(user: User) -> list[TaskCard]:
    return cards_for(user)
