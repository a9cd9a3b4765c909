"""What the workspace contributes to the staff shell, registered from
``WorkspaceConfig.ready()``: the dashboard entry. (Certification registers its own
dashboard cards.)"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.nav import ALL_STAFF, SECTION_HOME


def register() -> None:
    registry.nav_entry_register(
        NavEntry(_("工作台首页"), "workspace:home", ALL_STAFF, "home", SECTION_HOME, order=10)
    )
