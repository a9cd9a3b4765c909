"""Writes of certificate services (§7): a holder's correction, reissue or replacement
request, its materials, every later step on the workflow engine, and the province's
processing deadline. Each write is one transaction with its audit row."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Certificate, CertificateStatus
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.notifications.services import notify_many
from jiaozi.workflow.engine import Inputs

from . import deadlines
from .authority import issuing_authority
from .evidence import CheckedFile, check_upload
from .models import RequestMaterial, RequestStep, ServiceRequest, ServiceSetting
from .transitions import REQUESTS
from .workflow import RequestAction, RequestKind, RequestStatus

REASON_MAX = 500
NOTICE_MEDIUM_MAX = 128
MAX_FILES_PER_REQUEST = 10
# The material each kind needs before the authority can act on it.
REQUIRED_MATERIAL = {
    RequestKind.CORRECTION: RequestMaterial.Kind.EVIDENCE,
    RequestKind.REISSUE: RequestMaterial.Kind.LOSS_NOTICE,
    RequestKind.REPLACEMENT: RequestMaterial.Kind.DAMAGED,
}
CORRECTABLE = ("name", "subject")


def holder_certificate_for_write(applicant: User, certificate_id: Any) -> Certificate:
    """One of the applicant's own certificates (with its teacher), for a write they make
    on it; NotFound for anyone else's, PermissionDenied for a non-applicant."""
    actor = actor_of(applicant)
    if not actor.is_active_applicant:
        raise PermissionDenied(_("只有持证人本人可以申请。"))
    certificate = (
        Certificate.objects.select_related("teacher")
        .filter(pk=certificate_id, teacher__applicant_link__user=applicant)
        .first()
        if str(certificate_id).isdigit()
        else None
    )
    if certificate is None:
        raise NotFound(_("证书不存在。"))
    return certificate


def _corrections(certificate: Certificate, requested: Mapping[str, str]) -> dict[str, list[str]]:
    current = {"name": certificate.teacher.name, "subject": certificate.subject}
    out: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for field in CORRECTABLE:
        value = (
            "".join(str(requested.get(field, "") or "").split())
            if field == "name"
            else " ".join(str(requested.get(field, "") or "").split())
        )
        if not value or value == current[field]:
            continue
        if len(value) > 64:
            errors[field] = [_("不能超过64个字。")]
            continue
        out[field] = [current[field], value]
    if errors:
        raise ValidationFailed(_("更正内容填写有误。"), code="invalid_correction", field_errors=errors)
    if not out:
        raise ValidationFailed.on_field(
            "name", _("请填写需要更正的内容（与证书记载不同的正确信息）。"), code="nothing_to_correct"
        )
    return out


def _store(request: ServiceRequest, kind: str, checked: CheckedFile) -> RequestMaterial:
    material = RequestMaterial(
        request=request,
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        uploaded_at=clock.now(),
    )
    material.file.save(secrets.token_hex(16) + checked.extension, ContentFile(checked.data), save=False)
    material.save()
    return material


def authority_officers(authority_id: int) -> list[User]:
    return list(
        User.objects.filter(
            kind=User.Kind.STAFF, is_active=True, role=Role.CERTIFYING_OFFICER, institution_id=authority_id
        )
    )


def request_submit(
    *,
    applicant: User,
    certificate_id: Any,
    kind: str,
    reason: str,
    corrections: Mapping[str, str] | None = None,
    loss_notice_medium: str = "",
    loss_notice_date: dt.date | None = None,
    files: Sequence[tuple[str, Any]] = (),
) -> ServiceRequest:
    """A holder's request to the issuing authority of one of their certificates. Every
    check runs before anything is written; the files are checked by content."""
    certificate = holder_certificate_for_write(applicant, certificate_id)
    if kind not in RequestKind.values:
        raise ValidationFailed.on_field("kind", _("请选择申请类型。"), code="invalid_kind")
    if certificate.status != CertificateStatus.VALID:
        raise Conflict(_("该证书已被撤销或丧失，不能办理更正、补发或换发。"), code="certificate_not_valid")
    authority = issuing_authority(certificate.number)
    if authority is None:
        raise Conflict(
            _("该证书的发证机关不在本省系统中，请向原发证机关申请。"), code="authority_outside_province"
        )
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed.on_field("reason", _("请填写申请事由。"), code="reason_required")
    if len(reason) > REASON_MAX:
        raise ValidationFailed.on_field("reason", _("申请事由不能超过500字。"), code="reason_too_long")
    values: dict[str, Any] = {}
    if kind == RequestKind.CORRECTION:
        values["corrections"] = _corrections(certificate, corrections or {})
    if kind == RequestKind.REISSUE:
        medium = " ".join(loss_notice_medium.split())
        if not medium or len(medium) > NOTICE_MEDIUM_MAX:
            raise ValidationFailed.on_field(
                "loss_notice_medium", _("请填写刊登遗失声明的报刊或网站。"), code="loss_notice_required"
            )
        if loss_notice_date is None or loss_notice_date > clock.today():
            raise ValidationFailed.on_field(
                "loss_notice_date", _("请填写遗失声明的刊登日期（不能晚于今天）。"), code="loss_notice_date"
            )
        values.update(loss_notice_medium=medium, loss_notice_date=loss_notice_date)
    if len(files) > MAX_FILES_PER_REQUEST:
        raise ValidationFailed.on_field("files", _("一次最多上传10个文件。"), code="too_many_files")
    checked = [(material_kind, check_upload(upload, field=material_kind)) for material_kind, upload in files]
    needed = REQUIRED_MATERIAL[RequestKind(kind)]
    if needed not in {material_kind for material_kind, _file in checked}:
        raise ValidationFailed.on_field(
            needed,
            _("请上传%(what)s。") % {"what": RequestMaterial.Kind(needed).label},
            code="material_required",
        )
    now = clock.now()
    rules = deadlines.rules_for(authority)
    try:
        with transaction.atomic():
            request = ServiceRequest.objects.create(
                kind=kind,
                certificate=certificate,
                applicant=applicant,
                authority=authority,
                reason=reason,
                submitted_at=now,
                due_on=deadlines.due_on(clock.today(), rules),
                **values,
            )
            for material_kind, file in checked:
                _store(request, material_kind, file)
            RequestStep.objects.create(
                request=request, action="create", to_status=request.status, actor=applicant, at=now
            )
            audit_record(
                kind=AuditKind.CERTSVC_REQUEST_SUBMITTED,
                actor=applicant,
                obj=request,
                details={
                    "kind": kind,
                    "certificate_id": certificate.pk,
                    "authority_id": authority.pk,
                    "due_on": request.due_on,
                    "materials": len(checked),
                },
            )
            notify_many(
                users=authority_officers(authority.pk),
                kind="certsvc.submitted",
                title=_("新的证书%(kind)s申请") % {"kind": RequestKind(kind).label},
                body=_("证书编号 %(number)s，请在 %(due)s 前办理。")
                % {"number": certificate.number, "due": request.due_on.isoformat()},
                channels=["inbox"],
            )
    except IntegrityError:
        raise Conflict(_("该证书已有办理中的同类申请，请等待办理结果。"), code="duplicate_request") from None
    return request


def request_material_add(*, applicant: User, request_id: Any, kind: str, file: Any) -> RequestMaterial:
    """More material for a request the authority returned (补正)."""
    request = (
        ServiceRequest.objects.filter(pk=request_id, applicant=applicant).first()
        if str(request_id).isdigit()
        else None
    )
    if request is None:
        raise NotFound(_("申请不存在。"))
    if request.status != RequestStatus.RETURNED:
        raise Conflict(_("只有退回补正的申请可以补充材料。"), code="wrong_stage")
    if kind not in RequestMaterial.Kind.values:
        raise ValidationFailed.on_field("kind", _("请选择材料类型。"), code="invalid_kind")
    if request.materials.count() >= MAX_FILES_PER_REQUEST:
        raise ValidationFailed.on_field("file", _("每个申请最多上传10个文件。"), code="too_many_files")
    checked = check_upload(file, field="file")
    with transaction.atomic():
        material = _store(request, kind, checked)
        audit_record(
            kind=AuditKind.CERTSVC_MATERIAL_UPLOADED,
            actor=applicant,
            obj=request,
            details={"material_id": material.pk, "kind": kind, "size": material.size},
        )
    return material


def request_transition(
    *,
    actor: User,
    request_id: Any,
    action: str,
    version: int,
    reason: str = "",
    old_returned: bool = False,
) -> ServiceRequest:
    """One step of a request (withdraw, resubmit, return, approve, reject) on the
    engine. A resubmission starts the deadline again from today."""
    options: dict[str, Any] = {"actor_id": actor.pk, "old_returned": old_returned}
    if action == RequestAction.SUBMIT:
        row = (
            ServiceRequest.objects.filter(pk=request_id).only("authority").first()
            if str(request_id).isdigit()
            else None
        )
        if row is not None:
            rules = deadlines.rules_for(row.authority)
            options["resubmit_values"] = {
                "due_on": deadlines.due_on(clock.today(), rules),
                "submitted_at": clock.now(),
                "reminded_on": None,
            }
    return REQUESTS.run(
        user=actor, pk=request_id, inputs=Inputs(action=action, version=version, reason=reason), **options
    )


def material_for_download(*, user: User, pk: Any) -> RequestMaterial:
    """A material of a request the user may read (the holder's own, or the authority's
    officers'); NotFound otherwise. Audited."""
    from .transitions import requests_visible_to

    material = (
        RequestMaterial.objects.select_related("request")
        .filter(pk=pk, request__in=requests_visible_to(user))
        .first()
        if str(pk).isdigit()
        else None
    )
    if material is None:
        raise NotFound(_("材料不存在。"))
    audit_record(
        kind=AuditKind.CERTSVC_MATERIAL_DOWNLOADED,
        actor=user,
        obj=material.request,
        details={"material_id": material.pk},
    )
    return material


# --- The province's setting -------------------------------------------------------------

MAX_PROCESSING_DAYS = 60


def service_setting_update(
    *, actor: User, processing_days: int, reminder_days: int, version: int | None = None
) -> ServiceSetting:
    """The province admin sets the processing deadline (working days) and the reminder
    period. Open requests keep the deadline they were given."""
    a = actor_of(actor)
    if not (a.is_active_staff and a.role == Role.PROVINCE_ADMIN) or actor.institution is None:
        raise PermissionDenied(_("只有省级管理员可以修改办理时限。"))
    errors: dict[str, list[str]] = {}
    if not 1 <= processing_days <= MAX_PROCESSING_DAYS:
        errors["processing_days"] = [_("办理时限应为1至60个工作日。")]
    if not 0 <= reminder_days < max(processing_days, 1):
        errors["reminder_days"] = [_("提前提醒的天数应小于办理时限。")]
    if errors:
        raise ValidationFailed(_("设置填写有误。"), code="invalid_setting", field_errors=errors)
    province = actor.institution
    now = clock.now()
    with transaction.atomic():
        row, created = ServiceSetting.objects.get_or_create(province=province)
        if version is not None and not created and version != row.version:
            raise Conflict(_("设置已被他人修改，请刷新后重试。"), code="stale_version")
        before = {"processing_days": row.processing_days, "reminder_days": row.reminder_days}
        moved = ServiceSetting.objects.filter(pk=row.pk, version=row.version).update(
            processing_days=processing_days,
            reminder_days=reminder_days,
            version=F("version") + 1,
            updated_at=now,
        )
        if moved != 1:
            raise Conflict(_("设置已被他人修改，请刷新后重试。"), code="stale_version")
        audit_record(
            kind=AuditKind.CERTSVC_SETTINGS_UPDATED,
            actor=actor,
            obj=row,
            details={"before": before, "processing_days": processing_days, "reminder_days": reminder_days},
        )
        row.refresh_from_db()
    return row
