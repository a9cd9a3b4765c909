"""A holder's share links (§7 public verification, issue 11 item 4): a time-limited
link to what the public verification says about one of their certificates, which they
can list and revoke (decision 0226).

The token is 256 random bits (``secrets.token_urlsafe(32)``), shown to the holder once;
the database keeps its SHA-256 only. An expired, revoked or unknown token raises the
same ``NotFound``, so the public page cannot tell them apart."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.links import public_base_url
from jiaozi.certificates.models import CertificateStatus
from jiaozi.certificates.selectors import VerificationResult, verification_of_certificate
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, ValidationFailed
from jiaozi.core.masking import mask_name

from .models import ShareLink
from .services import holder_certificate_for_write

DAYS_MIN = 1
DAYS_MAX = 30
DAYS_DEFAULT = 7
DAYS_CHOICES = (1, 3, 7, 14, 30)
# Active links per certificate: enough to share with several employers, few enough
# that a leaked account cannot spray links.
ACTIVE_MAX = 10
SHARE_TOKEN_PATTERN = r"[A-Za-z0-9_-]{43}"  # noqa: S105 -- a URL pattern, not a secret
_TOKEN_RE = re.compile(SHARE_TOKEN_PATTERN)
HINT_LENGTH = 6


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_url(token: str) -> str:
    """The absolute public address of a share link (what the holder copies)."""
    return public_base_url() + reverse("certservices_share:share_verify", kwargs={"token": token})


@dataclass(frozen=True, slots=True)
class CreatedLink:
    link: ShareLink
    token: str  # shown once; never stored

    @property
    def url(self) -> str:
        return share_url(self.token)


def share_link_create(*, holder: User, certificate_id: Any, days: Any) -> CreatedLink:
    """A new link to ``certificate_id`` (the holder's own, valid) for ``days`` days
    (1–30). One transaction with its SHARE_LINK_CREATED audit row (no token in it)."""
    certificate = holder_certificate_for_write(holder, certificate_id)
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not DAYS_MIN <= days <= DAYS_MAX:
        raise ValidationFailed.on_field(
            "days", _("有效期须为1至30天。"), code="invalid_days", minimum=DAYS_MIN, maximum=DAYS_MAX
        )
    if certificate.status != CertificateStatus.VALID:
        raise Conflict(_("该证书已被撤销或丧失，不能分享。"), code="certificate_not_valid")
    now = clock.now()
    with transaction.atomic():
        # The holder's row serialises their concurrent creations, so the cap holds.
        User.objects.select_for_update().filter(pk=holder.pk).first()
        active = ShareLink.objects.filter(
            holder=holder, certificate=certificate, revoked_at__isnull=True, expires_at__gt=now
        ).count()
        if active >= ACTIVE_MAX:
            raise Conflict(
                _("每本证书最多同时有%(max)d个有效的分享链接，请先撤销不用的链接。") % {"max": ACTIVE_MAX},
                code="share_link_limit",
            )
        token = secrets.token_urlsafe(32)
        try:
            link = ShareLink.objects.create(
                certificate=certificate,
                holder=holder,
                token_hash=token_hash(token),
                hint=token[:HINT_LENGTH],
                created_at=now,
                expires_at=now + dt.timedelta(days=days),
            )
        except IntegrityError:  # pragma: no cover - a 256-bit collision
            raise Conflict(_("请重试。"), code="retry") from None
        audit_record(
            kind=AuditKind.SHARE_LINK_CREATED,
            actor=holder,
            obj=link,
            details={"certificate_id": certificate.pk, "days": days, "expires_at": link.expires_at},
        )
    return CreatedLink(link, token)


def share_links_of(*, holder: User, certificate_id: Any) -> list[ShareLink]:
    """The holder's links to one of their certificates, newest first (at most 50)."""
    certificate = holder_certificate_for_write(holder, certificate_id)
    return list(
        ShareLink.objects.filter(holder=holder, certificate=certificate).order_by("-created_at", "-pk")[:50]
    )


def share_link_revoke(*, holder: User, link_id: Any, version: int) -> ShareLink:
    """Revoke one of the holder's links. Retrying a revocation answers the revoked
    link again (nothing written twice); an expired link needs no revoking."""
    link = ShareLink.objects.filter(pk=link_id, holder=holder).first() if str(link_id).isdigit() else None
    if link is None:
        raise NotFound(_("分享链接不存在。"))
    if link.revoked_at is not None:
        return link
    now = clock.now()
    if link.expires_at <= now:
        raise Conflict(_("该分享链接已过期，无需撤销。"), code="link_expired")
    with transaction.atomic():
        updated = ShareLink.objects.filter(pk=link.pk, version=version, revoked_at__isnull=True).update(
            revoked_at=now, version=F("version") + 1
        )
        if updated != 1:
            raise Conflict(_("分享链接已被修改，请刷新后重试。"), code="stale_version")
        link.revoked_at = now
        link.version += 1
        audit_record(
            kind=AuditKind.SHARE_LINK_REVOKED,
            actor=holder,
            obj=link,
            details={"certificate_id": link.certificate_id},
        )
    return link


def share_link_verify(*, token: str) -> tuple[VerificationResult, ShareLink]:
    """The public answer behind a share link, the same facts the number + name lookup
    gives (masked name, number, type, subject, status, registration and validity).
    ``NotFound`` for a malformed, unknown, expired or revoked token alike. Two queries."""
    if not _TOKEN_RE.fullmatch(token):
        raise NotFound("unknown share link")
    link = (
        ShareLink.objects.select_related("certificate__teacher")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=clock.now())
        .first()
    )
    if link is None:
        raise NotFound("unknown share link")
    certificate = link.certificate
    result = verification_of_certificate(
        certificate=certificate, holder_name_masked=mask_name(certificate.teacher.name)
    )
    return result, link
