"""Writes to institutions. Each runs in one transaction together with its audit row."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.accounts import Account
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .divisions import DivisionRow, bureau_parent_code
from .models import Division, Institution, Level
from .permissions import can_create_institution, can_edit_public_info
from .selectors import institution_get_visible_to

CODE_PATTERN = re.compile(r"^[0-9A-Za-z]{2,32}$")
# Office phone numbers as published: digits with area-code dash, extensions, several
# numbers separated by commas or 、.
PHONE_PATTERN = re.compile(r"^[0-9][0-9\-\s,，、()（）转]{5,63}$")
PATH_MAX = Institution._meta.get_field("path").max_length or 255

Kind = Institution.Kind


def _division_within(division: Division, ancestor_code: str) -> bool:
    node: Division | None = division
    while node is not None:
        if node.code == ancestor_code:
            return True
        node = node.parent
    return False


def _placement(
    *, parent: Institution | None, kind: str, division: Division | None, code: str
) -> tuple[str, Division]:
    """Check where an institution of ``kind`` may hang and return its (level, division).

    - bureau: its code is its division's code, its parent is the bureau the division
      tree names (a 省直管县's bureau reports to the province bureau);
    - department and confirmation point: under a bureau, at its level and division;
    - school: under a bureau or a department (the institution that reviews it), at that
      reviewer's level, located in the reviewer's division or below it."""
    if kind not in Kind.values:
        raise ValidationFailed(_("机构类型无效。"), code="invalid_kind")
    if kind == Kind.BUREAU:
        if division is None or division.code != code:
            raise ValidationFailed(_("教育行政部门的机构代码须与其行政区划代码一致。"), code="bureau_code")
        province = division
        while province.parent is not None:
            province = province.parent
        row = DivisionRow(
            division.code, division.name, division.level, division.parent_id, division.is_province_direct
        )
        expected_parent = bureau_parent_code(row, province.code)
        if (parent.code if parent else None) != expected_parent or (
            parent is not None and parent.kind != Kind.BUREAU
        ):
            raise ValidationFailed(_("上级机构应为上级行政区划的教育行政部门。"), code="bureau_parent")
        return division.level, division

    if parent is None:
        raise ValidationFailed(_("请选择上级机构。"), code="parent_required")
    if kind in (Kind.DEPARTMENT, Kind.CONFIRMATION_POINT):
        if parent.kind != Kind.BUREAU:
            raise ValidationFailed(_("主管部门和确认点须设在教育行政部门之下。"), code="parent_kind")
        if division is not None and division.code != parent.division_id:
            raise ValidationFailed(_("主管部门和确认点的行政区划须与上级教育行政部门一致。"), code="division")
        return parent.level, parent.division

    # School.
    if parent.kind not in (Kind.BUREAU, Kind.DEPARTMENT):
        raise ValidationFailed(_("学校的上级机构须为审核它的教育行政部门或主管部门。"), code="parent_kind")
    division = division or parent.division
    if not _division_within(division, parent.division_id):
        raise ValidationFailed(_("学校所在行政区划须在审核机构的辖区之内。"), code="division")
    return parent.level, division


@transaction.atomic
def institution_create(
    *,
    actor: Account | None,
    parent: Institution | None,
    code: str,
    name: str,
    kind: str,
    level: str | None = None,
    division: Division | None = None,
    ownership: str = "",
    stage: str = "",
    address: str = "",
    phone: str = "",
    office_hours: str = "",
) -> Institution:
    """Create an institution under ``parent``.

    ``actor`` None is the system (seed, data loading); otherwise an admin whose
    jurisdiction contains ``parent``. ``level`` is derived from the placement; when
    given it must agree."""
    code = code.strip()
    name = name.strip()
    if actor is not None:
        # Only the system creates roots (bureaus come from the division data).
        if parent is None:
            raise PermissionDenied(_("您无权新增机构。"))
        own = getattr(actor, "institution", None)
        if own is None or not parent.path.startswith(own.path):
            raise NotFound(_("上级机构不存在或不在您的管辖范围内。"))
        if not can_create_institution(actor=actor, parent=parent):
            raise PermissionDenied(_("您无权新增机构。"))
    if not CODE_PATTERN.match(code):
        raise ValidationFailed(_("机构代码应为2至32位字母或数字。"), code="invalid_code")
    if not name or len(name) > Institution._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationFailed(_("请填写机构名称（不超过128字）。"), code="invalid_name")
    if parent is not None and not parent.is_active:
        raise ValidationFailed(_("上级机构已停用。"), code="parent_inactive")

    derived_level, division = _placement(parent=parent, kind=kind, division=division, code=code)
    if level is not None and level != derived_level:
        raise ValidationFailed(
            _("该位置的机构层级应为%(level)s。") % {"level": Level(derived_level).label},
            code="level_mismatch",
        )
    if kind == Kind.SCHOOL:
        if ownership not in Institution.Ownership.values or stage not in Institution.Stage.values:
            raise ValidationFailed(_("请选择学校的办学性质和学段。"), code="school_fields")
    elif ownership or stage:
        raise ValidationFailed(_("只有学校有办学性质和学段。"), code="school_fields")
    path = Institution.path_for(code, parent)
    if len(path) > PATH_MAX:
        raise ValidationFailed(_("机构层级过深。"), code="too_deep")
    if phone and not PHONE_PATTERN.match(phone):
        raise ValidationFailed(_("咨询电话格式不正确。"), code="invalid_phone")

    institution = Institution(
        code=code,
        name=name,
        kind=kind,
        level=derived_level,
        division=division,
        parent=parent,
        ownership=ownership,
        stage=stage,
        address=address.strip(),
        phone=phone.strip(),
        office_hours=office_hours.strip(),
        public_info_updated_at=clock.now() if (address or phone or office_hours) else None,
    )
    try:
        # A savepoint, so a duplicate code leaves the caller's transaction usable.
        with transaction.atomic():
            institution.save(force_insert=True)
    except IntegrityError:
        raise Conflict(_("机构代码已存在。"), code="duplicate_code") from None
    audit_record(
        kind=AuditKind.INSTITUTION_CREATED,
        actor=actor,
        institution_id=getattr(actor, "institution_id", None)
        if actor is not None
        else (parent.pk if parent else None),
        obj=institution,
        details={
            "code": code,
            "kind": kind,
            "level": derived_level,
            "parent": parent.code if parent else None,
        },
    )
    return institution


PUBLIC_INFO_FIELDS = ("address", "phone", "office_hours")


@transaction.atomic
def institution_update_public_info(
    *, actor: Account, pk: Any, address: str, phone: str, office_hours: str, version: int
) -> Institution:
    """Fill or change an institution's public info (注册机构联系方式), compare-and-set on
    ``version``. Out of scope answers NotFound; in scope but not its own admin,
    PermissionDenied; a stale ``version``, Conflict."""
    institution = institution_get_visible_to(user=actor, pk=pk)
    if not can_edit_public_info(actor=actor, institution=institution):
        raise PermissionDenied(_("只有本机构的管理员可以维护公示信息。"))
    values = {"address": address.strip(), "phone": phone.strip(), "office_hours": office_hours.strip()}
    errors: dict[str, str] = {}
    if not values["address"] or len(values["address"]) > 255:
        errors["address"] = _("请填写地址（不超过255字）。")
    if not PHONE_PATTERN.match(values["phone"]):
        errors["phone"] = _("咨询电话格式不正确，例如 0551-62831234。")
    if not values["office_hours"] or len(values["office_hours"]) > 128:
        errors["office_hours"] = _("请填写办公时间（不超过128字）。")
    if errors:
        raise ValidationFailed(_("公示信息填写有误。"), code="invalid_public_info", field_errors=errors)

    changed = [f for f in PUBLIC_INFO_FIELDS if getattr(institution, f) != values[f]]
    now = clock.now()
    updated = Institution.objects.filter(pk=institution.pk, version=version).update(
        **values, public_info_updated_at=now, updated_at=now, version=models.F("version") + 1
    )
    if updated != 1:
        raise Conflict(_("公示信息已被他人修改，请刷新后重试。"), code="stale_version")
    audit_record(
        kind=AuditKind.INSTITUTION_UPDATED,
        actor=actor,
        obj=institution,
        details={"section": "public_info", "fields": changed, "version": version + 1},
    )
    institution.refresh_from_db()
    return institution
