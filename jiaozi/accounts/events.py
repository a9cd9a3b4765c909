"""One function per sign-in audit event (SECURITY 17): who, from where, outcome.

Sign-in events are not state changes of a record, so they get their own small
transaction (``audit_record`` opens one when called outside a transaction). Nothing
here records a password, a code or a session id; a username that matches no account is
kept only masked, since people sometimes type their password into the username box."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.services import audit_record

from .models import User

OUTCOME_SUCCESS = AuditEvent.Outcome.SUCCESS
OUTCOME_FAILURE = AuditEvent.Outcome.FAILURE
OUTCOME_DENIED = AuditEvent.Outcome.DENIED


def masked_username(username: str) -> str:
    username = (username or "")[:64]
    if len(username) <= 2:
        return "*" * len(username)
    return username[:2] + "*" * min(len(username) - 2, 8)


def _subject(user: User | None, username: str) -> dict[str, Any]:
    if user is None:
        return {"details": {"username": masked_username(username), "known": False}}
    return {
        "obj": user,
        "institution_id": user.institution_id,
        "details": {"username": user.username, "known": True},
    }


def login_succeeded_event(*, user: User, mfa: str) -> None:
    """The password was right. ``mfa``: "pending" (the TOTP step follows: recorded as
    密码正确，待验证动态口令 — not yet a sign-in) or "not_required" (登录成功)."""
    kind = AuditKind.LOGIN_PASSWORD_ACCEPTED if mfa == "pending" else AuditKind.LOGIN_SUCCEEDED
    audit_record(kind=kind, actor=user, obj=user, details={"mfa": mfa, "kind": user.kind})


def otp_verified_event(*, user: User) -> None:
    """The second factor passed: the sign-in is complete — 动态口令验证通过, then
    登录成功 (so a sign-in that never passed the code has no 登录成功 row)."""
    audit_record(kind=AuditKind.OTP_VERIFIED, actor=user, obj=user)
    audit_record(
        kind=AuditKind.LOGIN_SUCCEEDED, actor=user, obj=user, details={"mfa": "totp", "kind": user.kind}
    )


def login_failed_event(*, username: str, user: User | None, reason: str) -> None:
    """``user`` is the account the username names, when there is one; the actor stays
    empty because whoever tried has not proven who they are."""
    subject = _subject(user, username)
    subject["details"]["reason"] = reason
    audit_record(kind=AuditKind.LOGIN_FAILED, outcome=OUTCOME_FAILURE, **subject)


def login_locked_event(*, username: str, user: User | None, failures: int | None) -> None:
    subject = _subject(user, username)
    if failures is not None:
        subject["details"]["failures"] = failures
    audit_record(kind=AuditKind.LOGIN_LOCKED, outcome=OUTCOME_DENIED, **subject)


def logout_event(*, user: User, reason: str) -> None:
    """``reason``: "user", "absolute_timeout", "idle_timeout", "account_changed",
    "otp_failures"."""
    audit_record(kind=AuditKind.LOGOUT, actor=user, obj=user, details={"reason": reason})


def otp_failed_event(*, user: User, reason: str) -> None:
    audit_record(
        kind=AuditKind.OTP_FAILED, actor=user, obj=user, outcome=OUTCOME_FAILURE, details={"reason": reason}
    )


def access_denied_event(*, user: User | AnonymousUser | None, path: str, reason: str) -> None:
    actor = user if isinstance(user, User) else None
    audit_record(
        kind=AuditKind.ACCESS_DENIED,
        actor=actor,
        outcome=OUTCOME_DENIED,
        details={"path": path[:200], "reason": reason},
    )
