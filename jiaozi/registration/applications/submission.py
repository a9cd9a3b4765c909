"""What submission requires besides the workflow's own checks (§4 "Materials"): every
material the campaign's province setting names for the application's registration type.
Read-only; the transition raises what this finds."""

from __future__ import annotations

from django.utils.translation import gettext as _

from jiaozi.core.errors import ValidationFailed

from .. import rules
from ..models import Campaign, Material


def required_kinds(campaign: Campaign, due: str) -> tuple[str, ...]:
    """The kinds the campaign requires for registration type ``due``."""
    return rules.missing_materials(campaign.required_materials or {}, due, ())


def missing_kinds(*, application_id: int, due: str, campaign: Campaign) -> tuple[str, ...]:
    """The required kinds the application (of registration type ``due``) has no
    upload of (one query)."""
    uploaded = frozenset(
        Material.objects.filter(application_id=application_id).values_list("kind", flat=True)
    )
    return rules.missing_materials(campaign.required_materials or {}, due, uploaded)


def check_materials(*, application_id: int, due: str, campaign: Campaign) -> None:
    """Refuse the submission while a required material is missing, naming each one."""
    missing = missing_kinds(application_id=application_id, due=due, campaign=campaign)
    if missing:
        labels = "、".join(str(Material.Kind(kind).label) for kind in missing if kind in Material.Kind.values)
        raise ValidationFailed(
            _("请先上传以下必需材料：%(kinds)s。") % {"kinds": labels},
            code="materials_missing",
            missing=list(missing),
        )
