"""Writes of the certificate registry: registration records with their history
events (§5 Completion), and verification tokens for stamped forms (§7).

Every service here writes in the caller's transaction (it opens one only when called
outside any) and changes a certificate by compare-and-set on its ``version``: one
narrow UPDATE that must hit exactly one row, then one ``CertificateEvent`` and one audit
row. The apps above (registration today; certification, certificate services and
oversight next) call these instead of writing the certificate table.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import AuditItem, audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.core.masking import mask_name
from jiaozi.orgs.models import Institution

from .models import Certificate, CertificateEvent, CertificateStatus, Conclusion, VerificationToken

if TYPE_CHECKING:
    from jiaozi.accounts.models import User
    from jiaozi.teachers.models import Teacher

# 32 random bytes → 43 URL-safe characters: unguessable, and short enough for a
# version-5 QR code at error correction M.
TOKEN_BYTES = 32


def verification_token_new() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def verification_token_issue(
    *,
    certificate: Certificate,
    conclusion: str,
    holder_name: str,
    institution: Institution,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    registered_on: dt.date | None = None,
) -> VerificationToken:
    """A token for one stamped form. Call it inside the transaction that completes
    the registration (and writes its audit row), before rendering the PDF: a rollback
    then leaves no token behind, and the PDF's QR code always has a row to point at.

    Earlier tokens of the certificate stay valid: an older form is still authentic
    paper, and its page says that a newer registration has replaced it."""
    if conclusion not in Conclusion.values:
        raise ValidationFailed(_("注册结论无效。"), code="invalid_conclusion")
    if conclusion == Conclusion.QUALIFIED and valid_to is None:
        raise ValidationFailed(_("注册合格须有注册有效期。"), code="validity_required")
    if conclusion != Conclusion.QUALIFIED and (valid_from or valid_to):
        raise ValidationFailed(_("只有注册合格才有注册有效期。"), code="validity_not_allowed")
    return VerificationToken.objects.create(
        token=verification_token_new(),
        certificate=certificate,
        certificate_number=certificate.number,
        holder_name_masked=mask_name(holder_name.strip()),
        qualification_type=certificate.qualification_type,
        conclusion=conclusion,
        valid_from=valid_from,
        valid_to=valid_to,
        registered_on=registered_on,
        institution=institution,
        institution_name=institution.name,
        issued_at=clock.now(),
    )


def verification_tokens_revoke(*, certificate: Certificate, reason: str) -> int:
    """Mark every live token of ``certificate`` revoked (the form no longer counts:
    the registration was revoked after a spot check, §5). Call it inside the
    revocation's transaction, which writes the audit row. Returns how many changed."""
    if not reason.strip():
        raise ValidationFailed(_("请填写撤销原因。"), code="reason_required")
    return VerificationToken.objects.filter(certificate=certificate, revoked=False).update(
        revoked=True, revoked_at=clock.now(), revoked_reason=reason.strip()[:200]
    )


# --- The registration record and its history -------------------------------------------

# The registration record: the fields a registration writes on the certificate.
REGISTRATION_FIELDS = ("last_conclusion", "registered_on", "valid_from", "valid_to")


@dataclass(frozen=True, slots=True)
class RegistrationRecorded:
    """What ``certificate_registration_record`` wrote: the record before and after (the
    certificate's own validity, which a negative conclusion leaves as it was)."""

    certificate: Certificate
    event: CertificateEvent
    previous: dict[str, Any]
    current: dict[str, Any]


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _changes(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, list[object]]:
    """``{"field": [before, after]}`` for the fields that differ, dates as ISO text."""
    return {
        name: [_json_value(before.get(name)), _json_value(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def certificate_event_record(
    *,
    certificate: Certificate,
    kind: CertificateEvent.Kind,
    actor: User | None,
    institution: Institution | None,
    source: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> CertificateEvent:
    """One history event of ``certificate``, in the caller's transaction. ``source`` is
    the record that caused the change (an application, a correction request …), kept as
    its model label and key so that the registry depends on no app above it."""
    return CertificateEvent.objects.create(
        certificate=certificate,
        kind=kind,
        at=at or clock.now(),
        actor=actor,
        institution=institution,
        source_type=source._meta.label_lower if source is not None else "",
        source_id=source.pk if source is not None else None,
        changes=dict(changes or {}),
    )


def certificate_registration_record(
    *,
    certificate: Certificate,
    application: models.Model,
    conclusion: str,
    registration_date: dt.date,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    actor: User | None,
    institution: Institution,
    audit_details: Mapping[str, Any] | None = None,
) -> RegistrationRecorded:
    """Write a filed registration into ``certificate``'s registration record: registered
    on ``registration_date`` with ``conclusion``; ``valid_from``/``valid_to`` is the
    validity the conclusion grants (注册合格 only). 暂缓注册 and 注册不合格 grant none,
    so the certificate keeps the validity of its last 注册合格 (decision 0120).

    ``certificate`` must have been read in the caller's transaction: its ``version`` is
    compared. ``institution`` is the registration authority in whose name the record is
    made, ``application`` the record that caused it. Writes one ``REGISTERED`` event and
    one ``CERTIFICATE_REGISTRATION_RECORDED`` audit row (``audit_details`` adds the
    caller's references to it). Raises ``Conflict`` — having written nothing — when the
    certificate is revoked or lost, already holds a later registration, or changed
    since it was read."""
    if conclusion not in Conclusion.values:
        raise ValidationFailed(_("注册结论无效。"), code="invalid_conclusion")
    if conclusion == Conclusion.QUALIFIED and (valid_from is None or valid_to is None):
        raise ValidationFailed(_("注册合格须有注册有效期。"), code="validity_required")
    if conclusion != Conclusion.QUALIFIED and (valid_from or valid_to):
        raise ValidationFailed(_("只有注册合格才有注册有效期。"), code="validity_not_allowed")
    if certificate.status != CertificateStatus.VALID:
        raise Conflict(_("该教师资格证书已被撤销或丧失，不能办理注册备案。"), code="certificate_not_valid")
    if certificate.registered_on is not None and certificate.registered_on > registration_date:
        # A later campaign already registered this certificate: an older conclusion
        # must not overwrite a newer record.
        raise Conflict(_("该证书已有更晚的注册记录。"), code="newer_registration")

    previous = {name: getattr(certificate, name) for name in REGISTRATION_FIELDS}
    if conclusion == Conclusion.QUALIFIED:
        kept_from, kept_to = valid_from, valid_to
    else:
        kept_from, kept_to = certificate.valid_from, certificate.valid_to
    current: dict[str, Any] = {
        "last_conclusion": conclusion,
        "registered_on": registration_date,
        "valid_from": kept_from,
        "valid_to": kept_to,
    }
    now = clock.now()
    with transaction.atomic(savepoint=False):
        updated = Certificate.objects.filter(pk=certificate.pk, version=certificate.version).update(
            **current, version=F("version") + 1, updated_at=now
        )
        if updated != 1:
            raise Conflict(_("证书信息已被他人修改，请刷新后重试。"), code="stale_version")
        for name, value in current.items():
            setattr(certificate, name, value)
        certificate.version += 1
        certificate.updated_at = now
        event = certificate_event_record(
            certificate=certificate,
            kind=CertificateEvent.Kind.REGISTERED,
            actor=actor,
            institution=institution,
            source=application,
            changes=_changes(previous, current),
            at=now,
        )
        audit_record(
            kind=AuditKind.CERTIFICATE_REGISTRATION_RECORDED,
            actor=actor,
            obj=certificate,
            details={
                "application_id": application.pk,
                **(audit_details or {}),
                "conclusion": conclusion,
                "registered_on": registration_date,
                "valid_from": kept_from,
                "valid_to": kept_to,
                "previous": previous,
                "event_id": event.pk,
            },
        )
    return RegistrationRecorded(certificate=certificate, event=event, previous=previous, current=current)


# --- Issuing a new certificate (certification, §6) — the certification wing's block --------


@dataclass(frozen=True, slots=True)
class CertificateIssued:
    certificate: Certificate
    event: CertificateEvent
    token: VerificationToken


def certificate_issue(
    *,
    teacher: Teacher,
    number: str,
    qualification_type: str,
    subject: str,
    holder_name: str,
    actor: User | None,
    institution: Institution,
    source: models.Model,
    audit_items: list[AuditItem] | None = None,
) -> CertificateIssued:
    """Enter a newly certified teacher qualification into the registry, in the caller's
    transaction (the decision that certifies): the certificate with ``number`` (17
    digits, unique), one ``ISSUED`` event naming ``source`` (the application), one audit
    row, and the verification token its PDF's QR code points at. No registration record
    yet: the token carries no conclusion and the verification page says so. Raises
    ``Conflict`` — having written nothing — when the number is taken.

    ``audit_items``: a caller that writes several audit rows of its own in the same
    transaction passes a list, and the audit row is appended to it instead of written;
    the caller then writes them together (``audit_record_many``) before it commits."""
    if len(number) != 17 or not number.isdigit():
        raise ValidationFailed(_("证书编号须为17位数字。"), code="invalid_certificate_number")
    now = clock.now()
    if Certificate.objects.filter(number=number).exists():
        raise Conflict(_("该证书编号已存在。"), code="certificate_number_taken")
    # No savepoint: nothing is written before the check above, and a failing write
    # below fails the caller's transaction as a whole.
    with transaction.atomic(savepoint=False):
        certificate = Certificate.objects.create(
            number=number,
            teacher=teacher,
            qualification_type=qualification_type,
            subject=subject,
            status=CertificateStatus.VALID,
        )
        event = certificate_event_record(
            certificate=certificate,
            kind=CertificateEvent.Kind.ISSUED,
            actor=actor,
            institution=institution,
            source=source,
            changes={"number": [None, number], "qualification_type": [None, qualification_type]},
            at=now,
        )
        token = VerificationToken.objects.create(
            token=verification_token_new(),
            certificate=certificate,
            document=VerificationToken.Document.PAPER,
            certificate_number=number,
            holder_name_masked=mask_name(holder_name.strip()),
            qualification_type=qualification_type,
            conclusion="",
            institution=institution,
            institution_name=institution.name,
            issued_at=now,
        )
        details = {
            "number": number,
            "type": qualification_type,
            "source": f"{source._meta.label_lower}:{source.pk}",
            "event_id": event.pk,
        }
        kind = AuditKind.CERTIFICATION_CERTIFICATE_ISSUED
        if audit_items is None:
            audit_record(kind=kind, actor=actor, obj=certificate, details=details)
        else:
            audit_items.append(AuditItem(obj=certificate, kind=kind, details=details))
    return CertificateIssued(certificate=certificate, event=event, token=token)


# --- Certificate services: correction, reissue, replacement (§7) -------------------------
# Called by jiaozi.certservices inside the transaction that approves a request. Each
# compares and sets on the certificate's version, writes one history event whose
# ``changes`` carry the changed fields and the remark printed on the remarks page
# (``{"remark": ["", "…"]}``), and one audit row. The number is never changed.

# The fields a correction may change: the certificate's own data. The holder's name is
# the teacher record's (corrected there by the same approval); the number and the type
# it encodes are not corrected but revoked and issued anew.
CORRECTABLE_FIELDS = ("subject",)
REMARK_MAX = 200


def _remark_checked(remark: str) -> str:
    text = " ".join(remark.split())
    if not text:
        raise ValidationFailed(_("请填写备注（办理原因）。"), code="remark_required")
    if len(text) > REMARK_MAX:
        raise ValidationFailed(_("备注不能超过200字。"), code="remark_too_long")
    return text


def _certificate_change(
    *,
    certificate: Certificate,
    kind: CertificateEvent.Kind,
    audit_kind: AuditKind,
    values: Mapping[str, Any],
    remark: str,
    actor: User | None,
    institution: Institution,
    source: models.Model | None,
    extra_changes: Mapping[str, Any] | None = None,
    audit_details: Mapping[str, Any] | None = None,
) -> CertificateEvent:
    if certificate.status != CertificateStatus.VALID:
        raise Conflict(_("该教师资格证书已被撤销或丧失，不能办理。"), code="certificate_not_valid")
    remark = _remark_checked(remark)
    previous = {name: getattr(certificate, name) for name in values}
    now = clock.now()
    with transaction.atomic(savepoint=False):
        updated = Certificate.objects.filter(pk=certificate.pk, version=certificate.version).update(
            **values, version=F("version") + 1, updated_at=now
        )
        if updated != 1:
            raise Conflict(_("证书信息已被他人修改，请刷新后重试。"), code="stale_version")
        for name, value in values.items():
            setattr(certificate, name, value)
        certificate.version += 1
        certificate.updated_at = now
        changes: dict[str, Any] = {
            **_changes(previous, values),
            **(extra_changes or {}),
            "remark": ["", remark],
        }
        event = certificate_event_record(
            certificate=certificate,
            kind=kind,
            actor=actor,
            institution=institution,
            source=source,
            changes=changes,
            at=now,
        )
        audit_record(
            kind=audit_kind,
            actor=actor,
            obj=certificate,
            details={
                **(audit_details or {}),
                "source": source._meta.label_lower if source is not None else "",
                "source_id": source.pk if source is not None else None,
                "fields": sorted(values),
                "event_id": event.pk,
            },
        )
    return event


def certificate_correct(
    *,
    certificate: Certificate,
    values: Mapping[str, Any],
    remark: str,
    actor: User | None,
    institution: Institution,
    source: models.Model | None = None,
    extra_changes: Mapping[str, Any] | None = None,
) -> CertificateEvent:
    """更正: change the certificate's own data (``CORRECTABLE_FIELDS``) and record why.
    ``extra_changes`` records corrections made elsewhere by the same approval (the
    holder's name on the teacher record) in the same event."""
    unknown = set(values) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("该项不能更正。"), code="field_not_correctable", fields=sorted(unknown))
    if not values and not extra_changes:
        raise ValidationFailed(_("没有需要更正的内容。"), code="nothing_to_correct")
    return _certificate_change(
        certificate=certificate,
        kind=CertificateEvent.Kind.CORRECTED,
        audit_kind=AuditKind.CERTIFICATE_CORRECTED,
        values=values,
        remark=remark,
        actor=actor,
        institution=institution,
        source=source,
        extra_changes=extra_changes,
    )


def certificate_reissue(
    *,
    certificate: Certificate,
    remark: str,
    actor: User | None,
    institution: Institution,
    source: models.Model | None = None,
) -> CertificateEvent:
    """补发: a new paper for a lost one, the number kept. Earlier papers' QR tokens are
    revoked by the caller (``verification_tokens_revoke``): the lost paper must not
    keep confirming itself."""
    return _certificate_change(
        certificate=certificate,
        kind=CertificateEvent.Kind.REISSUED,
        audit_kind=AuditKind.CERTIFICATE_REISSUED,
        values={},
        remark=remark,
        actor=actor,
        institution=institution,
        source=source,
    )


def certificate_replace(
    *,
    certificate: Certificate,
    remark: str,
    actor: User | None,
    institution: Institution,
    source: models.Model | None = None,
) -> CertificateEvent:
    """换发: a new paper for a damaged one that was handed back, the number kept."""
    return _certificate_change(
        certificate=certificate,
        kind=CertificateEvent.Kind.REPLACED,
        audit_kind=AuditKind.CERTIFICATE_REPLACED,
        values={},
        remark=remark,
        actor=actor,
        institution=institution,
        source=source,
    )


def certificate_paper_token_issue(
    *, certificate: Certificate, holder_name: str, institution: Institution
) -> VerificationToken:
    """The QR token of a certificate paper (a reissued, replaced or corrected one): a
    snapshot of the registry's registration record now, which may be empty (never
    registered). Call it inside the transaction that issues the paper."""
    return VerificationToken.objects.create(
        token=verification_token_new(),
        certificate=certificate,
        document=VerificationToken.Document.PAPER,
        certificate_number=certificate.number,
        holder_name_masked=mask_name(holder_name.strip()),
        qualification_type=certificate.qualification_type,
        conclusion=certificate.last_conclusion,
        valid_from=certificate.valid_from if certificate.last_conclusion == Conclusion.QUALIFIED else None,
        valid_to=certificate.valid_to if certificate.last_conclusion == Conclusion.QUALIFIED else None,
        registered_on=certificate.registered_on,
        institution=institution,
        institution_name=institution.name,
        issued_at=clock.now(),
    )


# --- Revocation (撤销, oversight, §5) -----------------------------------------------------

REVOCATION_REASON_MAX = 500


def _revocation_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationFailed.on_field("reason", _("请填写撤销原因。"), code="reason_required")
    if len(text) > REVOCATION_REASON_MAX:
        message = _("撤销原因不能超过%(max)d字。") % {"max": REVOCATION_REASON_MAX}
        raise ValidationFailed.on_field("reason", message, code="reason_too_long")
    return text


def certificate_revoke(
    *,
    certificate: Certificate,
    reason: str,
    actor: User | None,
    institution: Institution,
    source: models.Model | None = None,
    audit_details: Mapping[str, Any] | None = None,
) -> CertificateEvent:
    """Revoke (撤销) ``certificate``: its status becomes revoked, which the public
    verification shows at once (by number and by every form's QR code). Same shape as
    ``certificate_registration_record``: ``certificate`` read in the caller's
    transaction, compare-and-set on its ``version``, one ``REVOKED`` event and one
    ``CERTIFICATE_REVOKED`` audit row in the same transaction. Raises ``Conflict`` —
    having written nothing — when it is already revoked or lost, or changed since read."""
    text = _revocation_reason(reason)
    if certificate.status != CertificateStatus.VALID:
        raise Conflict(_("该教师资格证书已被撤销或丧失。"), code="certificate_not_valid")
    now = clock.now()
    with transaction.atomic(savepoint=False):
        updated = Certificate.objects.filter(
            pk=certificate.pk, version=certificate.version, status=CertificateStatus.VALID
        ).update(status=CertificateStatus.REVOKED, version=F("version") + 1, updated_at=now)
        if updated != 1:
            raise Conflict(_("证书信息已被他人修改，请刷新后重试。"), code="stale_version")
        previous = certificate.status
        certificate.status = CertificateStatus.REVOKED
        certificate.version += 1
        certificate.updated_at = now
        event = certificate_event_record(
            certificate=certificate,
            kind=CertificateEvent.Kind.REVOKED,
            actor=actor,
            institution=institution,
            source=source,
            changes={"status": [previous, CertificateStatus.REVOKED.value], "reason": [None, text]},
            at=now,
        )
        audit_record(
            kind=AuditKind.CERTIFICATE_REVOKED,
            actor=actor,
            obj=certificate,
            details={**(audit_details or {}), "reason": text, "event_id": event.pk},
        )
    return event


def certificate_registration_revoke(
    *,
    certificate: Certificate,
    application: models.Model,
    reason: str,
    actor: User | None,
    institution: Institution,
    token_ids: Collection[int] = (),
    audit_details: Mapping[str, Any] | None = None,
) -> CertificateEvent:
    """Undo the registration record that ``application`` wrote (its filing was revoked
    after a spot check): when that filing is still the certificate's latest
    registration, the record goes back to what it was before it (the ``previous`` of its
    ``REGISTERED`` event); a later registration is left as it is. The QR codes of the
    application's own form (``token_ids``) stop counting; older forms stay authentic. One ``REVOKED`` event (its changes
    name the registration fields) and one ``CERTIFICATE_REGISTRATION_REVOKED`` audit
    row; compare-and-set on ``version``, in the caller's transaction."""
    text = _revocation_reason(reason)
    label = application._meta.label_lower
    registered = (
        CertificateEvent.objects.filter(certificate=certificate, kind=CertificateEvent.Kind.REGISTERED)
        .order_by("-at", "-pk")
        .first()
    )
    mine = registered is not None and (registered.source_type, registered.source_id) == (
        label,
        application.pk,
    )
    current = {name: getattr(certificate, name) for name in REGISTRATION_FIELDS}
    restored = dict(current)
    if mine and registered is not None:
        for name, (before, _after) in registered.changes.items():
            if name in REGISTRATION_FIELDS:
                restored[name] = (
                    dt.date.fromisoformat(before) if before and name != "last_conclusion" else before
                )
        restored["last_conclusion"] = restored["last_conclusion"] or ""
    now = clock.now()
    with transaction.atomic(savepoint=False):
        updated = Certificate.objects.filter(pk=certificate.pk, version=certificate.version).update(
            **restored, version=F("version") + 1, updated_at=now
        )
        if updated != 1:
            raise Conflict(_("证书信息已被他人修改，请刷新后重试。"), code="stale_version")
        for name, value in restored.items():
            setattr(certificate, name, value)
        certificate.version += 1
        certificate.updated_at = now
        tokens = VerificationToken.objects.filter(
            certificate=certificate, pk__in=list(token_ids), revoked=False
        ).update(revoked=True, revoked_at=now, revoked_reason=text[:200])
        event = certificate_event_record(
            certificate=certificate,
            kind=CertificateEvent.Kind.REVOKED,
            actor=actor,
            institution=institution,
            source=application,
            changes={**_changes(current, restored), "registration": [application.pk, None]},
            at=now,
        )
        audit_record(
            kind=AuditKind.CERTIFICATE_REGISTRATION_REVOKED,
            actor=actor,
            obj=certificate,
            details={
                "application_id": application.pk,
                **(audit_details or {}),
                "reason": text,
                "previous": current,
                "restored": restored,
                "latest_registration": mine,
                "tokens_revoked": tokens,
                "event_id": event.pk,
            },
        )
    return event
