"""Reads of the certificate registry: a certificate's history, and public verification
(§7). Verification is public, so it has no jurisdiction: what it returns is masked,
and the views rate-limit it. The history is for callers that have already authorised
the certificate (it carries who acted)."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass

from jiaozi.core import clock
from jiaozi.core.errors import NotFound
from jiaozi.core.masking import mask_name

from .models import (
    Certificate,
    CertificateEvent,
    CertificateStatus,
    Conclusion,
    QualificationType,
    VerificationToken,
)


def certificate_history(*, certificate: Certificate) -> list[CertificateEvent]:
    """Every change of ``certificate``, oldest first, with who acted and for which
    institution (one query). Certificates loaded by the teacher import start without
    events: their past is the import job's (decision 0136)."""
    return list(
        CertificateEvent.objects.filter(certificate=certificate)
        .select_related("actor", "institution")
        .order_by("at", "id")
    )


class State:
    """What the public page says about the record, worst first."""

    REVOKED = "revoked"  # this form's token was revoked
    CERTIFICATE_INVALID = "certificate_invalid"  # certificate revoked (撤销) or lost (丧失)
    SUPERSEDED = "superseded"  # a later stamped form replaced this one
    UNREGISTERED = "unregistered"  # never registered
    EXPIRED = "expired"  # 注册合格, but the validity has ended
    CURRENT = "current"


@dataclass(frozen=True, slots=True)
class VerificationResult:
    holder_name_masked: str
    certificate_number: str
    qualification_type: str
    qualification_type_label: str
    certificate_status: str
    certificate_status_label: str
    # The conclusion being confirmed: the stamped one for a token, the registry's for a lookup.
    conclusion: str
    conclusion_label: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    registered_on: dt.date | None
    institution_name: str
    issued_at: dt.datetime | None
    state: str
    # The registry's registration record now (differs from the above when superseded).
    current_conclusion: str
    current_conclusion_label: str
    current_valid_to: dt.date | None
    # 任教学科 as the registry holds it now (§7 lets the public see it; decision 0225).
    subject: str = ""
    # What the QR code is printed on (VerificationToken.Document); empty for a lookup.
    document: str = ""


TOKEN_PATTERN = r"[A-Za-z0-9_-]{32,64}"  # noqa: S105 -- a URL pattern, not a secret
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_CERTIFICATE_NUMBER_RE = re.compile(r"\d{17}")


def verification_get_by_token(*, token: str) -> VerificationResult:
    """The record behind a QR code; NotFound for an unknown or malformed token. Two
    queries: the token with its certificate, and whether a later document of the same
    kind (a form by a form, a certificate paper by a paper) replaced it."""
    if not _TOKEN_RE.fullmatch(token):
        raise NotFound("unknown token")
    row = VerificationToken.objects.select_related("certificate").filter(token=token).first()
    if row is None:
        raise NotFound("unknown token")
    certificate = row.certificate
    superseded = (
        VerificationToken.objects.filter(
            certificate_id=row.certificate_id,
            document=row.document,
            revoked=False,
            issued_at__gt=row.issued_at,
        )
        .exclude(pk=row.pk)
        .exists()
    )
    if row.revoked:
        state = State.REVOKED
    elif certificate.status != CertificateStatus.VALID:
        state = State.CERTIFICATE_INVALID
    elif superseded:
        state = State.SUPERSEDED
    elif not row.conclusion:
        # A certificate paper issued before any registration (decision 0223).
        state = State.UNREGISTERED
    else:
        state = _registration_state(row.conclusion, row.valid_to)
    return VerificationResult(
        holder_name_masked=row.holder_name_masked,
        certificate_number=row.certificate_number,
        qualification_type=row.qualification_type,
        qualification_type_label=str(QualificationType(row.qualification_type).label),
        certificate_status=certificate.status,
        certificate_status_label=str(CertificateStatus(certificate.status).label),
        conclusion=row.conclusion,
        conclusion_label=_conclusion_label(row.conclusion),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        registered_on=row.registered_on,
        institution_name=row.institution_name,
        issued_at=row.issued_at,
        state=state,
        current_conclusion=certificate.last_conclusion,
        current_conclusion_label=_conclusion_label(certificate.last_conclusion),
        current_valid_to=certificate.valid_to,
        subject=certificate.subject,
        document=row.document,
    )


def verification_lookup(*, certificate_number: str, name: str) -> VerificationResult | None:
    """The registry's record when the number and the holder's full name both match;
    None otherwise — the caller must not tell which of the two was wrong."""
    number = certificate_number.strip()
    full_name = "".join(name.split())
    if not _CERTIFICATE_NUMBER_RE.fullmatch(number) or not full_name:
        return None
    certificate = Certificate.objects.select_related("teacher").filter(number=number).first()
    # "No such certificate" and "name does not match" take the same path: one query,
    # then a constant-time comparison against a name (a dummy one when missing), so
    # neither the answer nor its timing tells them apart (decision 0225).
    stored = certificate.teacher.name if certificate is not None else "\u0000" * len(full_name)
    if not hmac.compare_digest(stored.encode(), full_name.encode()) or certificate is None:
        return None
    return verification_of_certificate(certificate=certificate, holder_name_masked=mask_name(full_name))


def verification_of_certificate(*, certificate: Certificate, holder_name_masked: str) -> VerificationResult:
    """What the public may know of ``certificate`` from the registry now (the lookup's
    answer; also a holder's share link's): one query for the latest registration form's
    institution (a certificate paper names its issuing authority, not a registration)."""
    latest = (
        VerificationToken.objects.filter(
            certificate=certificate, document=VerificationToken.Document.FORM, revoked=False
        )
        .order_by("-issued_at")
        .values_list("institution_name", flat=True)
        .first()
    )
    if certificate.status != CertificateStatus.VALID:
        state = State.CERTIFICATE_INVALID
    elif not certificate.last_conclusion:
        state = State.UNREGISTERED
    else:
        state = _registration_state(certificate.last_conclusion, certificate.valid_to)
    conclusion_label = _conclusion_label(certificate.last_conclusion)
    return VerificationResult(
        holder_name_masked=holder_name_masked,
        certificate_number=certificate.number,
        qualification_type=certificate.qualification_type,
        qualification_type_label=str(QualificationType(certificate.qualification_type).label),
        certificate_status=certificate.status,
        certificate_status_label=str(CertificateStatus(certificate.status).label),
        conclusion=certificate.last_conclusion,
        conclusion_label=conclusion_label,
        valid_from=certificate.valid_from,
        valid_to=certificate.valid_to,
        registered_on=certificate.registered_on,
        institution_name=latest or "",
        issued_at=None,
        state=state,
        current_conclusion=certificate.last_conclusion,
        current_conclusion_label=conclusion_label,
        current_valid_to=certificate.valid_to,
        subject=certificate.subject,
    )


def _registration_state(conclusion: str, valid_to: dt.date | None) -> str:
    if conclusion == Conclusion.QUALIFIED and valid_to is not None and valid_to < clock.today():
        return State.EXPIRED
    return State.CURRENT


def _conclusion_label(value: str) -> str:
    return str(Conclusion(value).label) if value else ""
