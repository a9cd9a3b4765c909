"""What certservices contributes to the staff shell, registered from its ``ready()``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.ui.nav import SECTION_TEACHERS


def register() -> None:
    from .permissions import VIEW_ROLES

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
