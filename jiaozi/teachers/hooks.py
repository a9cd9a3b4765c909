"""What teachers contributes to the staff shell, registered from ``TeachersConfig.ready()``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.nav import SECTION_TEACHERS


def register() -> None:
    from .permissions import IMPORT_ROLES, VIEW_ROLES

    registry.nav_entry_register(
        NavEntry(_("教师信息"), "teachers:teacher_list", VIEW_ROLES, "people", SECTION_TEACHERS, order=110)
    )
    registry.nav_entry_register(
        NavEntry(_("教师数据导入"), "teachers:import", IMPORT_ROLES, "upload", SECTION_TEACHERS, order=120)
    )
