"""Writes of the certificates app: verification tokens for stamped forms (§7)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.utils.translation import gettext as _

from jiaozi.certificates.models import Certificate, Conclusion
from jiaozi.core import clock
from jiaozi.core.errors import ValidationFailed
from jiaozi.core.masking import mask_name
from jiaozi.orgs.models import Institution

from .models import VerificationToken

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
