"""The province's oversight settings: read with a default, changed by the province
admin (compare-and-set, audited)."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.core.roles import Role
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.registration.models import Material

from .models import OversightSetting

THRESHOLD_MAX = 10_000_000


def oversight_setting(province_code: str) -> OversightSetting:
    """The province's settings, or the defaults (not saved) when never set."""
    found = OversightSetting.objects.filter(province_code=province_code).first()
    return found or OversightSetting(province_code=province_code, required_materials=[])


def export_threshold(province_code: str) -> int:
    value = oversight_setting(province_code).export_approval_threshold
    return int(value if value is not None else django_settings.EXPORT_APPROVAL_THRESHOLD)


def oversight_setting_update(
    *, actor: User, version: Any, required_materials: list[str], export_approval_threshold: int | None
) -> OversightSetting:
    who = actor_of(actor)
    if not who.is_active_staff or who.role != Role.PROVINCE_ADMIN:
        raise PermissionDenied(_("只有省级管理员可以修改监督设置。"))
    code = province_code_of(actor.institution)
    kinds = sorted(set(required_materials))
    if any(kind not in Material.Kind.values for kind in kinds):
        raise ValidationFailed.on_field("required_materials", _("材料类型无效。"), code="invalid_material")
    if export_approval_threshold is not None and not 0 <= export_approval_threshold <= THRESHOLD_MAX:
        raise ValidationFailed.on_field(
            "export_approval_threshold", _("导出审批阈值须在0至10000000行之间。"), code="invalid_threshold"
        )
    now = clock.now()
    values = {
        "required_materials": kinds,
        "export_approval_threshold": export_approval_threshold,
        "updated_by": actor,
        "updated_at": now,
    }
    with transaction.atomic():
        current = OversightSetting.objects.filter(province_code=code).first()
        if current is None:
            if int(version or 0) not in (0, 1):
                raise Conflict(_("设置已被他人修改，请刷新后重试。"), code="stale_version")
            current = OversightSetting.objects.create(province_code=code, **values)
            before: dict[str, Any] = {}
        else:
            before = {
                "required_materials": current.required_materials,
                "export_approval_threshold": current.export_approval_threshold,
            }
            moved = OversightSetting.objects.filter(pk=current.pk, version=version).update(
                **values, version=F("version") + 1
            )
            if moved != 1:
                raise Conflict(_("设置已被他人修改，请刷新后重试。"), code="stale_version")
            current.refresh_from_db()
        audit_record(
            kind=AuditKind.OVERSIGHT_SETTINGS_CHANGED,
            actor=actor,
            obj=current,
            details={
                "before": before,
                "after": {k: values[k] for k in ("required_materials", "export_approval_threshold")},
            },
        )
    return current
