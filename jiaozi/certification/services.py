"""Writes of certification that are not state changes: starting an application (a
draft), editing it, the photo, the physical exam the authority records. State changes go
through ``transitions`` (the workflow engine). Each write checks permission, compares and
sets on the version and writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import QualificationType
from jiaozi.confirmation.models import ConfirmationPoint
from jiaozi.confirmation.selectors import points_for_authority
from jiaozi.core import clock, idcard
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.roles import Role
from jiaozi.orgs.models import Institution

from . import rules
from .choices import Education, Health, Mandarin, Sex, Title
from .models import CertificationApplication, CertificationBatch
from .photos import photo_check
from .selectors import application_list_visible_to
from .windows import window_check
from .workflow import Status

EDITABLE = frozenset({Status.DRAFT, Status.CONFIRM_REFUSED})


@dataclass(frozen=True, slots=True)
class ApplicationData:
    """What the applicant fills in (values of ``choices``; dates)."""

    qualification_type: str
    subject: str
    authority_id: int
    confirmation_point_id: int | None
    education: str
    mandarin: str
    preschool_major: bool = False
    title: str = ""
    mandarin_certificate_no: str = ""
    ntce_type: str = ""
    ntce_number: str = ""
    ntce_date: dt.date | None = None
    commitment: bool = False
    phone: str = ""


def _choice(field: str, value: str, choices: Any, *, blank: bool = False) -> None:
    if (blank and value == "") or value in choices.values:
        return
    raise ValidationFailed.on_field(field, _("所选内容无效。"), code="invalid_choice")


def authorities_for(qualification_type: str, *, province_code: str = "340000") -> list[Institution]:
    """The bureaus that certify ``qualification_type`` (§6 routing), in code order."""
    bureaus = Institution.objects.filter(
        kind=Institution.Kind.BUREAU, is_active=True, division__code__startswith=province_code[:2]
    ).select_related("division")
    return [
        b
        for b in bureaus.order_by("code")
        if rules.authority_may_certify(
            qualification_type, division_level=b.division.level, province_direct=b.division.is_province_direct
        )
    ]


def points_of(authority_id: int) -> list[Institution]:
    """The confirmation points (确认点) an authority has opened for booking (the
    confirmation app's registry); an authority that registered none there offers the
    point institutions it has in the tree."""
    registered = [point.institution for point in points_for_authority(authority_id)]
    if registered or ConfirmationPoint.objects.filter(authority_id=authority_id).exists():
        return registered
    return list(
        Institution.objects.filter(
            kind=Institution.Kind.CONFIRMATION_POINT, parent_id=authority_id, is_active=True
        ).order_by("code")
    )


def _validate(data: ApplicationData) -> Institution:
    _choice("qualification_type", data.qualification_type, QualificationType)
    _choice("education", data.education, Education)
    _choice("mandarin", data.mandarin, Mandarin)
    _choice("title", data.title, Title, blank=True)
    _choice("ntce_type", data.ntce_type, QualificationType, blank=True)
    subject = data.subject.strip()
    if not subject or len(subject) > 64:
        raise ValidationFailed.on_field("subject", _("请填写任教学科（64字以内）。"), code="subject_required")
    if data.ntce_type and data.ntce_date is None:
        raise ValidationFailed.on_field("ntce_date", _("请填写考试合格证明日期。"), code="ntce_date_required")
    if data.ntce_date is not None and data.ntce_date > clock.today():
        raise ValidationFailed.on_field(
            "ntce_date", _("考试合格证明日期不能晚于今天。"), code="ntce_date_future"
        )
    authority = (
        Institution.objects.select_related("division")
        .filter(pk=data.authority_id, kind=Institution.Kind.BUREAU, is_active=True)
        .first()
    )
    if authority is None or not rules.authority_may_certify(
        data.qualification_type,
        division_level=authority.division.level,
        province_direct=authority.division.is_province_direct,
    ):
        message = _(
            "该认定机构不受理此资格种类：幼儿园、小学、初级中学由县级认定，高级中学、中职由市级认定（省直管县可认定以上各类），高等学校由省级认定。"
        )
        raise ValidationFailed.on_field("authority", message, code="wrong_authority")
    if data.confirmation_point_id is not None and not Institution.objects.filter(
        pk=data.confirmation_point_id, kind=Institution.Kind.CONFIRMATION_POINT, parent_id=authority.pk,
        is_active=True,
    ).exists():  # fmt: skip
        message = _("请选择所选认定机构设置的确认点。")
        raise ValidationFailed.on_field("confirmation_point", message, code="wrong_point")
    return authority


def _values(data: ApplicationData) -> dict[str, Any]:
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    values["subject"] = data.subject.strip()
    values["ntce_number"] = data.ntce_number.strip()
    values["mandarin_certificate_no"] = data.mandarin_certificate_no.strip()
    if not data.ntce_type:
        values["ntce_date"] = None
    if data.qualification_type != "1":
        values["preschool_major"] = data.preschool_major
    return values


def _applicant(user: User) -> User:
    actor = actor_of(user)
    if not actor.is_active_applicant:
        raise PermissionDenied(_("请使用申请人账号办理认定申请。"))
    if not user.resident_id or idcard.error_message(user.resident_id):
        raise ValidationFailed(
            _("您的账号未登记有效的居民身份证号，不能申请认定。"), code="resident_id_missing"
        )
    return user


def application_start(
    *, user: User, batch: CertificationBatch, data: ApplicationData
) -> CertificationApplication:
    """A draft application in ``batch``: only inside the online window, at most one per
    person per calendar year (withdrawn ones aside; the database refuses a second one
    even when two requests race)."""
    _applicant(user)
    window_check(batch, "apply")
    _validate(data)
    resident_id = idcard.normalise(user.resident_id or "")
    values = _values(data)
    try:
        with transaction.atomic():
            application = CertificationApplication.objects.create(
                batch=batch,
                applicant=user,
                year=batch.year,
                name=user.real_name,
                resident_id=resident_id,
                sex=Sex.MALE if idcard.sex_of(resident_id) == "male" else Sex.FEMALE,
                birth_date=idcard.birth_date_of(resident_id),
                **values,
            )
            audit_record(
                kind=AuditKind.CERTIFICATION_STARTED,
                actor=user,
                obj=application,
                details={"batch": batch.pk, "type": data.qualification_type, "authority": data.authority_id},
            )
    except IntegrityError:
        message = _("每人每个自然年度只能申请一次教师资格认定（已撤回的除外）。")
        raise Conflict(message, code=rules.ALREADY_APPLIED_THIS_YEAR) from None
    return application


def _own(user: User, pk: int) -> CertificationApplication:
    application = application_list_visible_to(user=user).select_related("batch").filter(pk=pk).first()
    if application is None or application.applicant_id != user.pk:
        raise NotFound(_("申请不存在或不在您的管辖范围内。"))
    return application


def application_update(
    *, user: User, pk: int, version: int, data: ApplicationData
) -> CertificationApplication:
    """Edit a draft, or an application whose confirmation was refused (before the
    confirmation deadline), by compare-and-set on its version."""
    _applicant(user)
    application = _own(user, pk)
    if application.status not in EDITABLE:
        message = _("该申请当前状态为「%(status)s」，不能修改。") % {
            "status": application.get_status_display()
        }
        raise Conflict(message, code="wrong_stage")
    window_check(application.batch, "apply" if application.status == Status.DRAFT else "confirm")
    _validate(data)
    values = _values(data)
    with transaction.atomic():
        moved = CertificationApplication.objects.filter(
            pk=pk, version=version, status=application.status
        ).update(**values, version=F("version") + 1, updated_at=clock.now())
        if moved != 1:
            raise Conflict(_("该申请已被修改，请刷新后重试。"), code="stale_version")
        audit_record(
            kind=AuditKind.CERTIFICATION_DRAFT_UPDATED,
            actor=user,
            obj=application,
            details={"version": version + 1, "fields": sorted(values)},
        )
    application.refresh_from_db()
    return application


def application_photo_set(
    *, user: User, pk: int, version: int, photo: UploadedFile
) -> CertificationApplication:
    """The applicant's photo, checked (format, size, dimensions) before it is stored."""
    _applicant(user)
    application = _own(user, pk)
    if application.status not in EDITABLE:
        raise Conflict(_("当前状态不能更换照片。"), code="wrong_stage")
    info = photo_check(photo)
    with transaction.atomic():
        application.photo.save(f"photo.{info.extension}", photo, save=False)
        moved = CertificationApplication.objects.filter(pk=pk, version=version).update(
            photo=application.photo.name, version=F("version") + 1, updated_at=clock.now()
        )
        if moved != 1:
            application.photo.delete(save=False)
            raise Conflict(_("该申请已被修改，请刷新后重试。"), code="stale_version")
        audit_record(
            kind=AuditKind.CERTIFICATION_PHOTO_UPLOADED,
            actor=user,
            obj=application,
            details={"width": info.width, "height": info.height, "size": info.size, "format": info.extension},
        )
    application.refresh_from_db()
    return application


def health_record(
    *, actor: User, pk: int, version: int, health: str, hospital: str = ""
) -> CertificationApplication:
    """The certifying authority records the physical exam (§6: from a designated
    hospital; 不合格 refuses). Only while the application awaits the decision."""
    if actor_of(actor).role != Role.CERTIFYING_OFFICER:
        raise PermissionDenied(_("只有认定机构审核员可以登记体检结论。"))
    _choice("health", health, Health)
    application = application_list_visible_to(user=actor).filter(pk=pk).first()
    if application is None or application.authority_id != actor.institution_id:
        raise NotFound(_("申请不存在或不在您的管辖范围内。"))
    if application.status != Status.DECISION:
        raise Conflict(_("只有待认定审批的申请可以登记体检结论。"), code="wrong_stage")
    hospital = hospital.strip()[:128]
    now = clock.now()
    with transaction.atomic():
        moved = CertificationApplication.objects.filter(
            pk=pk, version=version, status=Status.DECISION
        ).update(
            health=health,
            health_hospital=hospital,
            health_recorded_at=now,
            version=F("version") + 1,
            updated_at=now,
        )
        if moved != 1:
            raise Conflict(_("该申请已被他人处理或修改，请刷新后重试。"), code="stale_version")
        audit_record(
            kind=AuditKind.CERTIFICATION_HEALTH_RECORDED,
            actor=actor,
            obj=application,
            details={"health": health, "previous": application.health, "version": version + 1},
        )
    application.refresh_from_db()
    return application


def certificate_pdf_for_holder(*, user: User, pk: int) -> tuple[str, bytes]:
    """The holder's certificate as (file name, PDF bytes); audited."""
    from .certificate_pdf import certificate_data, render_certificate

    application = (
        application_list_visible_to(user=user)
        .select_related("authority")
        .filter(pk=pk, applicant=user)
        .first()
    )
    if application is None:
        raise NotFound(_("申请不存在或不在您的管辖范围内。"))
    if application.status != Status.CERTIFIED or application.certificate_id is None:
        raise Conflict(_("认定通过后方可下载教师资格证书。"), code="not_certified")
    pdf = render_certificate(certificate_data(application))
    audit_record(
        kind=AuditKind.CERTIFICATION_CERTIFICATE_DOWNLOADED,
        actor=user,
        obj=application,
        details={"certificate": application.certificate_id},
    )
    return f"teacher-certificate-{application.certificate_number}.pdf", pdf
