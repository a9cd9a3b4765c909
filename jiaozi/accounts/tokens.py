"""API tokens for service accounts (integration with HR, teacher-records and
training-hours systems, §13).

A token is shown once, at creation; only its SHA-256 is stored, with an 8-character
prefix that lets operators tell tokens apart without holding the secret. A token acts
as its staff user, inside that user's jurisdiction and role; disabling the user, revoking
the token or reaching ``expires_at`` ends it (docs/decisions/0043)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .actor import actor_of
from .models import ServiceToken, User
from .roles import Role

TOKEN_PREFIX = "jz_"  # noqa: S105 -- a marker for secret scanners, not a secret
PREFIX_LENGTH = 8
# Writing last_used_at on every call would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def can_manage_service_tokens(*, actor: User | None) -> bool:
    """Tokens are a security setting (三员分立): the security admin manages them; the
    command line (actor None) is the operator's route."""
    return actor is None or (actor_of(actor).is_active_staff and actor.has_role(Role.SECURITY_ADMIN))


def service_token_create(
    *, actor: User | None, user: User, name: str, expires_at: dt.datetime | None
) -> tuple[ServiceToken, str]:
    """Create a token for staff ``user``; return it with the plaintext, shown once."""
    if not can_manage_service_tokens(actor=actor):
        raise PermissionDenied(_("只有安全管理员可以创建接口令牌。"))
    if user.kind != User.Kind.STAFF or not user.is_active:
        raise ValidationFailed.on_field("user", _("只能为已启用的工作人员账号创建接口令牌。"))
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationFailed.on_field("name", _("令牌名称须为 1 至 64 个字符。"))
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationFailed.on_field("expires_at", _("过期时间须晚于当前时间。"))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ServiceToken.objects.create(
            user=user,
            name=name,
            token_hash=token_hash(plaintext),
            prefix=plaintext[:PREFIX_LENGTH],
            expires_at=expires_at,
        )
        audit_record(
            kind=AuditKind.SERVICE_TOKEN_CREATED,
            actor=actor,
            institution_id=user.institution_id,
            obj=token,
            details={
                "user_id": user.pk,
                "name": name,
                "prefix": token.prefix,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return token, plaintext


def service_token_revoke(*, actor: User | None, token_id: int) -> ServiceToken:
    """Revoke a token at once; a second revocation is a conflict, not a silent no-op."""
    if not can_manage_service_tokens(actor=actor):
        raise PermissionDenied(_("只有安全管理员可以吊销接口令牌。"))
    with transaction.atomic():
        token = ServiceToken.objects.select_related("user").filter(pk=token_id).first()
        if token is None:
            raise NotFound(_("接口令牌不存在。"))
        now = clock.now()
        if ServiceToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=now) != 1:
            raise Conflict(_("该接口令牌已被吊销。"))
        token.revoked_at = now
        audit_record(
            kind=AuditKind.SERVICE_TOKEN_REVOKED,
            actor=actor,
            institution_id=token.user.institution_id,
            obj=token,
            details={"user_id": token.user_id, "prefix": token.prefix},
        )
    return token


def service_token_authenticate(plaintext: str) -> User | None:
    """The active staff user behind a presented token, or None."""
    if not plaintext or len(plaintext) > 256:
        return None
    now = clock.now()
    token = (
        ServiceToken.objects.select_related("user", "user__institution")
        .filter(token_hash=token_hash(plaintext), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None:
        return None
    user = token.user
    if not user.is_active or user.kind != User.Kind.STAFF:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        # Conditional, so concurrent calls within the same minute write at most once.
        ServiceToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return user
