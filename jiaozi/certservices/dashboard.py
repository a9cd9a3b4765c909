"""The dashboard cards of certificate services: the authority's open requests, with the
overdue ones said in words (§7 "shows when overdue")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from jiaozi.core.ui.cards import TaskCard

from .permissions import can_decide_requests

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def certservices_cards(user: User) -> list[TaskCard]:
    if not can_decide_requests(user=user):
        return []
    from .selectors import request_counts

    counts = request_counts(user=user)
    cards = [
        TaskCard(
            _("证书更正、补发、换发"),
            _("待办理 %(open)s 件，其中临近期限 %(soon)s 件。")
            % {"open": counts.open, "soon": counts.due_soon},
            "open" if counts.open else "done",
            _("待办理") if counts.open else _("无待办"),
            icon="certificate",
            url=reverse("certservices:request_queue") + "?status=submitted",
            action_label=_("进入办理"),
        )
    ]
    if counts.overdue:
        cards.append(
            TaskCard(
                _("证书业务已超期"),
                _("%(count)s 件申请已超过办理期限，请尽快办理，不得拖延。") % {"count": counts.overdue},
                "overdue",
                _("已超期"),
                icon="clock",
                url=reverse("certservices:request_queue") + "?overdue=1",
                action_label=_("查看超期申请"),
            )
        )
    return cards
