"""What orgs contributes to the staff shell, registered from ``OrgsConfig.ready()``:
the institution entries and the card about the institution's public information."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.roles import Role
from jiaozi.core.ui.cards import TaskCard, url_or_empty
from jiaozi.core.ui.nav import SECTION_ORGS

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

INSTITUTION_ADMINS = frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN})


def public_info_cards(user: User) -> list[TaskCard]:
    if getattr(user, "role", "") not in INSTITUTION_ADMINS:
        return []
    institution = getattr(user, "institution", None)
    published = bool(institution and institution.address and institution.phone and institution.office_hours)
    return [
        TaskCard(
            _("机构公开信息已填写") if published else _("机构公开信息尚未填写完整"),
            _("地址、咨询电话和办公时间会显示在公众网站的“注册机构联系方式”中。"),
            "done" if published else "pending",
            _("已公开") if published else _("待填写"),
            icon="info",
            url=url_or_empty("orgs:public_info"),
            action_label=_("维护公开信息"),
        )
    ]


def register() -> None:
    registry.nav_entry_register(
        NavEntry(
            _("机构管理"), "orgs:institution_list", INSTITUTION_ADMINS, "building", SECTION_ORGS, order=210
        )
    )
    registry.nav_entry_register(
        NavEntry(_("机构公开信息"), "orgs:public_info", INSTITUTION_ADMINS, "info", SECTION_ORGS, order=220)
    )
    registry.dashboard_cards_register("orgs", public_info_cards, order=40)
