"""Writes of accounts: staff filing (备案), password changes, second-factor enrolment.

Every change is a compare-and-set on ``User.version`` (one row or ``Conflict``) with its
audit row in the same transaction. Bumping ``version`` also ends the account's sessions
at their next request (SessionPolicyMiddleware compares a fingerprint that includes it),
so disabling an account or resetting its password takes effect at once."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock, idcard
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.logging import redact
from jiaozi.orgs.models import Institution

from . import mfa
from .models import User
from .permissions import PROVINCE_ONLY_ROLES, can_file_staff, can_manage_staff
from .roles import RANK, can_hold
from .selectors import staff_get_visible_to

USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
REASON_MAX = 200

# Initial passwords: no look-alike characters (0/O, 1/l/I), all four classes.
_PW_LOWER = "abcdefghijkmnpqrstuvwxyz"
_PW_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_PW_DIGIT = "23456789"
_PW_SYMBOL = "@#%+=?!"


def _conflict() -> Conflict:
    return Conflict(_("该账号已被他人修改，请刷新页面后重试。"))


def generate_initial_password(length: int = 12) -> str:
    """A random password meeting the MLPS policy, shown once to the filing admin."""
    pools = (_PW_LOWER, _PW_UPPER, _PW_DIGIT, _PW_SYMBOL)
    alphabet = "".join(pools)
    while True:
        chars = [secrets.choice(pool) for pool in pools]
        chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        if password[0] not in _PW_SYMBOL:
            return password


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed.on_field("password", " ".join(exc.messages), code="password_invalid") from None


def _clean_staff_fields(*, real_name: str, phone: str, post: str) -> tuple[str, str, str]:
    real_name, phone, post = (real_name or "").strip(), (phone or "").strip(), (post or "").strip()
    if not real_name or len(real_name) > 64:
        raise ValidationFailed.on_field("real_name", _("请填写真实姓名（不超过64个字符）。"))
    if not PHONE_RE.match(phone):
        raise ValidationFailed.on_field("phone", _("手机号应为11位中国大陆手机号码。"))
    if not post or len(post) > 64:
        raise ValidationFailed.on_field("post", _("请填写职务（不超过64个字符）。"))
    return real_name, phone, post


def _clean_reason(reason: str) -> str:
    # A free-text reason may carry an ID or phone number by accident; the audit log
    # keeps it redacted (SECURITY 19).
    reason = redact((reason or "").strip())[:REASON_MAX]
    if not reason:
        raise ValidationFailed.on_field("reason", _("请填写原因。"))
    return reason


def clean_staff_resident_id(value: str) -> str:
    """The filed person's resident ID (GB 11643-1999), required on every staff filing."""
    rid = idcard.normalise(value or "")
    if not rid:
        raise ValidationFailed.on_field("resident_id", _("请填写身份证号。"), code="resident_id_required")
    if not idcard.is_valid(rid):
        raise ValidationFailed.on_field(
            "resident_id", _("身份证号格式或校验位错误，请核对后重新输入。"), code="resident_id_invalid"
        )
    return rid


def _person_lookup(field: str, value: str) -> dict[str, str]:
    return User._meta.get_field(field).lookup(value)  # type: ignore[union-attr, no-any-return]


def _check_separation_of_duties(
    *, role: str, phone: str, resident_id: str | None, exclude: int | None = None
) -> None:
    """三员分立: the province (system), security and audit admins are different people.
    The resident ID names the person; a phone number already filed for another of the
    three roles is taken to name the same person as well."""
    if role not in PROVINCE_ONLY_ROLES:
        return
    others = User.objects.filter(kind=User.Kind.STAFF, is_active=True, role__in=PROVINCE_ONLY_ROLES - {role})
    if exclude is not None:
        others = others.exclude(pk=exclude)
    message = _("省级管理员、安全管理员、审计管理员须由不同人员担任（三员分立）。")
    if resident_id and others.filter(**_person_lookup("resident_id", resident_id)).exists():
        raise ValidationFailed.on_field("resident_id", message, code="separation_of_duties")
    if phone and others.filter(**_person_lookup("phone", phone)).exists():
        raise ValidationFailed.on_field("phone", message, code="separation_of_duties")


def _load_manageable(*, actor: User, user_id: Any) -> User:
    target = staff_get_visible_to(user=actor, pk=user_id)
    if not can_manage_staff(actor=actor, target=target):
        raise PermissionDenied(_("您无权管理该工作人员的备案。"))
    return target


def staff_create(
    *,
    actor: User | None,
    institution: Institution,
    username: str,
    real_name: str,
    phone: str,
    post: str,
    role: str,
    resident_id: str,
    password: str | None = None,
) -> tuple[User, str]:
    """File a staff account. Returns the account and its initial password.

    ``actor`` None is the system seed (demo, first province admin): no filing checks,
    and a password it sets is not forced to change. Otherwise the actor must be allowed
    by ``can_file_staff`` and the account must change its password at first sign-in."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise ValidationFailed.on_field(
            "username", _("用户名须以字母开头，由3至32位字母、数字、下划线、点或连字符组成。")
        )
    real_name, phone, post = _clean_staff_fields(real_name=real_name, phone=phone, post=post)
    resident_id = clean_staff_resident_id(resident_id)
    if role not in RANK:
        raise ValidationFailed.on_field("role", _("请选择有效的角色。"))
    if actor is not None:
        if not can_file_staff(actor=actor, institution=institution, role=role):
            raise PermissionDenied(_("您无权在该机构备案该角色的工作人员。"))
    elif not can_hold(role, kind=institution.kind, level=institution.level):
        raise ValidationFailed.on_field("role", _("该机构不能设置此角色。"))
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed.on_field("username", _("该用户名已被使用。"))
    _check_separation_of_duties(role=role, phone=phone, resident_id=resident_id)

    now = clock.now()
    user = User(
        username=username,
        kind=User.Kind.STAFF,
        real_name=real_name,
        phone=phone,
        resident_id=resident_id,
        role=role,
        institution=institution,
        post=post,
        filed_by=actor,
        filed_at=now,
        confirmed_at=now,
        password_changed_at=now,
        date_joined=now,
        must_change_password=not (actor is None and password is not None),
    )
    initial = password if password is not None else generate_initial_password()
    _check_password(initial, user)
    user.set_password(initial)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            audit_record(
                kind=AuditKind.STAFF_CREATED,
                actor=actor,
                institution_id=actor.institution_id if actor is not None else institution.pk,
                obj=user,
                details={"role": role, "institution": institution.code, "username": username},
            )
    except IntegrityError:
        raise ValidationFailed.on_field("username", _("该用户名已被使用。")) from None
    return user, initial


def staff_update(
    *, actor: User, user_id: Any, real_name: str, phone: str, post: str, version: int, resident_id: str = ""
) -> User:
    """Change the filed real name, phone and post, and the resident ID when given (blank
    keeps it; a filing made before the ID was required must be completed with one). Role
    and institution are not edited: a new post elsewhere is a new filing."""
    target = _load_manageable(actor=actor, user_id=user_id)
    real_name, phone, post = _clean_staff_fields(real_name=real_name, phone=phone, post=post)
    if (resident_id or "").strip():
        resident_id = clean_staff_resident_id(resident_id)
    elif target.resident_id:
        resident_id = target.resident_id
    else:
        raise ValidationFailed.on_field(
            "resident_id", _("该工作人员尚未登记身份证号，请补录。"), code="resident_id_required"
        )
    changed = [
        name
        for name, old, new in (
            ("real_name", target.real_name, real_name),
            ("phone", target.phone, phone),
            ("resident_id", target.resident_id, resident_id),
            ("post", target.post, post),
        )
        if old != new
    ]
    if "phone" in changed or "resident_id" in changed:
        _check_separation_of_duties(role=target.role, phone=phone, resident_id=resident_id, exclude=target.pk)
    lookups = _person_lookup("phone", phone) | _person_lookup("resident_id", resident_id)
    with transaction.atomic():
        updated = User.objects.filter(pk=target.pk, version=version).update(
            real_name=real_name,
            phone=phone,
            resident_id=resident_id,
            post=post,
            version=F("version") + 1,
            **lookups,
        )
        if updated != 1:
            raise _conflict()
        audit_record(kind=AuditKind.STAFF_UPDATED, actor=actor, obj=target, details={"fields": changed})
    return User.objects.get(pk=target.pk)


def staff_disable(*, actor: User, user_id: Any, reason: str) -> User:
    """Revoke a filing (离岗): the account can no longer sign in and its open sessions
    end at their next request."""
    target = _load_manageable(actor=actor, user_id=user_id)
    reason = _clean_reason(reason)
    with transaction.atomic():
        updated = User.objects.filter(pk=target.pk, version=target.version, is_active=True).update(
            is_active=False, version=F("version") + 1
        )
        if updated != 1:
            raise _conflict()
        audit_record(kind=AuditKind.STAFF_DISABLED, actor=actor, obj=target, details={"reason": reason})
    return User.objects.get(pk=target.pk)


def staff_enable(*, actor: User, user_id: Any) -> User:
    target = _load_manageable(actor=actor, user_id=user_id)
    # The person may hold another of the three admin roles by now (三员分立).
    _check_separation_of_duties(
        role=target.role, phone=target.phone, resident_id=target.resident_id, exclude=target.pk
    )
    now = clock.now()
    with transaction.atomic():
        updated = User.objects.filter(pk=target.pk, version=target.version, is_active=False).update(
            is_active=True, reactivated_at=now, confirmed_at=now, version=F("version") + 1
        )
        if updated != 1:
            raise _conflict()
        audit_record(kind=AuditKind.STAFF_ENABLED, actor=actor, obj=target)
    return User.objects.get(pk=target.pk)


def staff_reset_password(*, actor: User, user_id: Any, reset_otp: bool = False) -> tuple[User, str]:
    """A new initial password (shown once, to be changed at the next sign-in). With
    ``reset_otp`` the TOTP device is removed too, for a lost phone: the user enrols a new
    one at the next sign-in. The lockout of the username is lifted."""
    target = _load_manageable(actor=actor, user_id=user_id)
    initial = generate_initial_password()
    _check_password(initial, target)
    with transaction.atomic():
        updated = User.objects.filter(pk=target.pk, version=target.version).update(
            password=make_password(initial),
            must_change_password=True,
            password_changed_at=clock.now(),
            version=F("version") + 1,
        )
        if updated != 1:
            raise _conflict()
        if reset_otp:
            TOTPDevice.objects.filter(user=target).delete()
        audit_record(
            kind=AuditKind.STAFF_PASSWORD_RESET, actor=actor, obj=target, details={"otp_reset": reset_otp}
        )
        username = target.username
        transaction.on_commit(lambda: _unlock(username))
    return User.objects.get(pk=target.pk), initial


def _unlock(username: str) -> None:
    from axes.utils import reset

    reset(username=username)


def staff_confirm(*, actor: User, user_id: Any, version: int) -> User:
    """Periodic re-confirmation (定期确认): the filing admin confirms the person still
    holds the post. It does not bump ``version`` — confirming is idempotent and must not
    end the person's sessions — but a stale form (changed since it was shown) conflicts."""
    target = _load_manageable(actor=actor, user_id=user_id)
    if not target.is_active:
        raise Conflict(_("已停用的账号无需确认在岗。"))
    with transaction.atomic():
        updated = User.objects.filter(pk=target.pk, version=version, is_active=True).update(
            confirmed_at=clock.now()
        )
        if updated != 1:
            raise _conflict()
        audit_record(kind=AuditKind.STAFF_CONFIRMED, actor=actor, obj=target)
    return User.objects.get(pk=target.pk)


def staff_disable_inactive(*, days: int | None = None) -> list[int]:
    """Disable staff accounts unused for ``days`` (STAFF_INACTIVE_DISABLE_DAYS): no
    sign-in since then, counting from filing or re-enabling when never signed in."""
    days = settings.STAFF_INACTIVE_DISABLE_DAYS if days is None else days
    cutoff = clock.now() - timedelta(days=days)
    candidates = (
        User.objects.filter(kind=User.Kind.STAFF, is_active=True)
        .annotate(
            last_activity=Greatest(
                Coalesce("last_login", "date_joined", output_field=DateTimeField()),
                Coalesce("reactivated_at", "last_login", "date_joined", output_field=DateTimeField()),
                output_field=DateTimeField(),
            )
        )
        .filter(last_activity__lt=cutoff)
        .values_list("pk", "version", "institution_id")
    )
    disabled: list[int] = []
    for pk, version, institution_id in list(candidates):
        with transaction.atomic():
            if not User.objects.filter(pk=pk, version=version, is_active=True).update(
                is_active=False, version=F("version") + 1
            ):
                continue  # changed meanwhile (signed in, edited): leave it for the next run
            audit_record(
                kind=AuditKind.STAFF_DISABLED_INACTIVE,
                institution_id=institution_id,
                object_type="accounts.user",
                object_id=pk,
                details={"days": days},
            )
        disabled.append(pk)
    return disabled


def user_password_change(*, user: User, old_password: str, new_password: str) -> User:
    """The signed-in user changes their own password (MLPS rules, 90-day rotation)."""
    if not user.check_password(old_password):
        audit_record(
            kind=AuditKind.PASSWORD_CHANGED,
            actor=user,
            obj=user,
            outcome=AuditEvent.Outcome.FAILURE,
            details={"reason": "old_password"},
        )
        raise ValidationFailed.on_field("old_password", _("原密码不正确。"))
    if new_password == old_password:
        raise ValidationFailed.on_field("new_password1", _("新密码不能与原密码相同。"))
    _check_password(new_password, user)
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, version=user.version).update(
            password=make_password(new_password),
            password_changed_at=clock.now(),
            must_change_password=False,
            version=F("version") + 1,
        )
        if updated != 1:
            raise _conflict()
        audit_record(kind=AuditKind.PASSWORD_CHANGED, actor=user, obj=user)
    return User.objects.get(pk=user.pk)


def password_expired(user: User) -> bool:
    """Must change the password before anything else: first sign-in with an initial
    password, or a password older than PASSWORD_MAX_AGE_DAYS (MLPS 90-day rotation)."""
    if user.must_change_password:
        return True
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if not max_age:
        return False
    changed = user.password_changed_at or user.date_joined
    return clock.now() - changed > timedelta(days=max_age)


# --- Second factor -------------------------------------------------------------


def totp_enrol_start(*, user: User) -> TOTPDevice:
    """The pending (unconfirmed) device of a first sign-in; the same one until confirmed,
    so reloading the page keeps the QR code the user may already have scanned."""
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False, name=mfa.DEVICE_NAME).order_by("pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=mfa.DEVICE_NAME, confirmed=False)
    return device


def totp_enrol_confirm(*, user: User, device: TOTPDevice, token: str) -> mfa.VerifyResult:
    """Confirm the pending device with a first code from the authenticator app."""
    if device.user_id != user.pk or device.confirmed:
        raise NotFound(_("绑定请求已失效，请重新登录。"))
    result = mfa.verify(device, token)
    if result is not mfa.VerifyResult.OK:
        return result
    with transaction.atomic():
        if TOTPDevice.objects.filter(pk=device.pk, confirmed=False).update(confirmed=True) != 1:
            raise _conflict()
        # One device per person: the new phone replaces any other (and a demo device).
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        audit_record(kind=AuditKind.OTP_ENROLLED, actor=user, obj=user)
    device.confirmed = True
    return result


def demo_totp_enroll(*, user: User) -> None:
    """DEMO only: give ``user`` a confirmed TOTP device whose key derives from the
    username, replacing any other device."""
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("demo_totp_enroll needs DEMO_MODE.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(name=mfa.DEMO_DEVICE_NAME).delete()
        TOTPDevice.objects.update_or_create(
            user=user,
            name=mfa.DEMO_DEVICE_NAME,
            defaults={
                "key": mfa.demo_key(user.get_username()),
                "confirmed": True,
                "tolerance": mfa.DEMO_TOLERANCE,
                "drift": 0,
            },
        )


def demo_totp_code(*, user: User) -> str:
    """DEMO only: the code the persona's demo device accepts next."""
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("demo_totp_code needs DEMO_MODE.")
    device = TOTPDevice.objects.filter(user=user, name=mfa.DEMO_DEVICE_NAME, confirmed=True).first()
    if device is None or not mfa.is_demo_device(device):
        raise NotFound(_("该用户没有演示动态口令设备。"))
    return mfa.next_code(device)
