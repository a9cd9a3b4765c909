"""What certservices contributes to the staff shell and the scheduler, registered from
its ``ready()``."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.jobs import periodic_job
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.nav import SECTION_TEACHERS


def _reminders() -> int:
    from .jobs import request_reminders_send

    return request_reminders_send()


def register() -> None:
    from jiaozi.accounts.roles import Role

    from .dashboard import certservices_cards
    from .permissions import CHECK_ANSWER_ROLES, CHECK_OPEN_ROLES, DECIDE_ROLES, VIEW_ROLES

    registry.nav_entry_register(
        NavEntry(
            _("证书信息"),
            "certservices:certificate_list",
            VIEW_ROLES,
            "certificate",
            SECTION_TEACHERS,
            order=130,
        )
    )
    registry.nav_entry_register(
        NavEntry(
            _("证书业务办理"),
            "certservices:request_queue",
            DECIDE_ROLES,
            "inbox",
            SECTION_TEACHERS,
            order=131,
        )
    )
    registry.nav_entry_register(
        NavEntry(
            _("证书真伪核验"),
            "certservices:check_list",
            CHECK_OPEN_ROLES | CHECK_ANSWER_ROLES,
            "shield",
            SECTION_TEACHERS,
            order=132,
        )
    )
    registry.nav_entry_register(
        NavEntry(
            _("证书业务设置"),
            "certservices:settings",
            frozenset({Role.PROVINCE_ADMIN}),
            "key",
            SECTION_TEACHERS,
            order=139,
        )
    )
    registry.dashboard_cards_register("certservices", certservices_cards, order=30)
    periodic_job(
        "certservices.request_reminders",
        every=dt.timedelta(hours=24),
        description="提醒发证机关办理临近或超过期限的证书更正、补发、换发申请。",
    )(_reminders)
