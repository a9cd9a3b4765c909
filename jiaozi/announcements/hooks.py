"""What announcements contribute to the staff shell, registered from ``ready()``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.nav import SECTION_ORGS

from .permissions import AUTHOR_ROLES


def register() -> None:
    registry.nav_entry_register(
        NavEntry(_("公告管理"), "announcements:list", AUTHOR_ROLES, "megaphone", SECTION_ORGS, order=230)
    )
