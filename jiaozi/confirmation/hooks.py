"""What confirmation contributes to the staff shell, registered from ``ready()``: the
points for the authorities' admins, the day's list for confirmation users, and a card
telling a confirmation user how many are booked today."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from jiaozi.core import clock, registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.roles import Role
from jiaozi.core.ui.cards import TaskCard, url_or_empty
from jiaozi.core.ui.nav import SECTION_ORGS

from .models import Booking
from .permissions import ADMIN_ROLES, VIEW_ROLES

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def day_cards(user: User) -> list[TaskCard]:
    if getattr(user, "role", "") != Role.CONFIRMATION_USER or user.institution_id is None:
        return []
    waiting = Booking.objects.filter(
        point__institution_id=user.institution_id, date=clock.today(), status=Booking.Status.BOOKED
    ).count()
    return [
        TaskCard(
            _("今日待签到 %(n)d 人") % {"n": waiting},
            _("扫描申请人的签到二维码或按身份证号查找，办理现场确认签到。"),
            "pending" if waiting else "done",
            _("待签到") if waiting else _("无待签到"),
            icon="check",
            url=url_or_empty("confirmation:day_list"),
            action_label=_("打开当日名单"),
        )
    ]


def register() -> None:
    registry.nav_entry_register(
        NavEntry(
            _("预约签到"),
            "confirmation:day_list",
            frozenset({Role.CONFIRMATION_USER}),
            "check",
            SECTION_ORGS,
            order=230,
        )
    )
    registry.nav_entry_register(
        NavEntry(
            _("确认点"),
            "confirmation:point_list",
            frozenset(VIEW_ROLES - {Role.CONFIRMATION_USER}) | ADMIN_ROLES,
            "pin",
            SECTION_ORGS,
            order=235,
        )
    )
    registry.dashboard_cards_register("confirmation", day_cards, order=45)
