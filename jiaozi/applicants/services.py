"""Writes of the applicant area: real-name sign-up, the link to the teacher record,
the applicant's own password change.

Every write runs in one transaction with its audit row. Personal data (resident ID,
phone) never reaches the audit details, the logs or an exception message in clear."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.actor import is_active_staff
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock, idcard
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.core.logging import redact
from jiaozi.notifications.backends import OutgoingMessage, get_backend
from jiaozi.orgs.models import Institution
from jiaozi.registration.models import Application
from jiaozi.teachers.models import Teacher

from .models import TeacherLink
from .selectors import applicant_profile, applicant_teacher, resident_id_lookup

# The version of the personal-information notice (个人信息处理规则) shown at sign-up; the
# audit row of each sign-up records which version the applicant agreed to.
PRIVACY_NOTICE_VERSION = "2024-1"

# ASCII digits only: `\d` also matches full-width and other Unicode digits.
PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
CERTIFICATE_NUMBER_RE = re.compile(r"^[0-9]{17}$")
# Chinese names, with the middle dot of minority and foreign names; Latin letters for
# the few registered that way.
NAME_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z·・. ]{2,30}$")

# Generated usernames: "js" (教师) and eight characters without look-alikes (0/o, 1/l).
USERNAME_PREFIX = "js"
_USERNAME_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_USERNAME_LENGTH = 8


# jiaozi.core.idcard answers in plain Chinese; the same texts as msgids, so they translate.
_ID_MESSAGES = {
    "身份证号应为18位，前17位为数字，末位为数字或X": gettext_lazy(
        "身份证号应为18位，前17位为数字，末位为数字或X"
    ),
    "身份证号中的出生日期无效": gettext_lazy("身份证号中的出生日期无效"),
    "身份证号校验位错误": gettext_lazy("身份证号校验位错误，请核对后重新输入"),
}


def _duplicate_id() -> Conflict:
    return Conflict.on_field(
        "resident_id", _("该身份证号已注册，请直接登录或找回密码。"), code="resident_id_taken"
    )


def _duplicate_phone() -> Conflict:
    return Conflict.on_field("phone", _("该手机号已注册，请直接登录或找回密码。"), code="phone_taken")


def generate_username() -> str:
    """A username that carries nothing personal: the sign-in name of an applicant who
    prefers it to their ID or phone number."""
    while True:
        name = USERNAME_PREFIX + "".join(secrets.choice(_USERNAME_ALPHABET) for _ in range(_USERNAME_LENGTH))
        if not User.objects.filter(username=name).exists():
            return name


def clean_real_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not NAME_RE.match(name):
        raise ValidationFailed.on_field(
            "real_name",
            _("请填写身份证上的真实姓名（2～30个字，少数民族姓名中的间隔号请用“·”）。"),
            code="name_invalid",
        )
    return name


def clean_resident_id(value: str) -> str:
    rid = idcard.normalise(value or "")
    message = idcard.error_message(rid)
    if message is not None:
        raise ValidationFailed.on_field(
            "resident_id", str(_ID_MESSAGES.get(message, message)), code="resident_id_invalid"
        )
    return rid


def clean_phone(value: str) -> str:
    phone = (value or "").strip().replace(" ", "").replace("-", "")
    if not PHONE_RE.match(phone):
        raise ValidationFailed.on_field(
            "phone", _("请填写11位中国大陆手机号码（以1开头）。"), code="phone_invalid"
        )
    return phone


def clean_certificate_number(value: str) -> str:
    number = (value or "").strip().replace(" ", "")
    if not CERTIFICATE_NUMBER_RE.match(number):
        raise ValidationFailed.on_field(
            "number",
            _("证书编号为17位数字，请对照教师资格证书填写。"),
            code="certificate_number_invalid",
        )
    return number


def applicant_signup(*, real_name: str, resident_id: str, phone: str, password: str, consent: bool) -> User:
    """Create a real-name applicant account (kind applicant, no role, no institution).

    The username is generated (shown to the applicant after sign-up); they may sign in
    with it, their resident ID or their phone number. A resident ID already registered
    → Conflict ``resident_id_taken`` with a message that says only that."""
    if not consent:
        raise ValidationFailed.on_field(
            "consent", _("请阅读并同意《个人信息处理规则》后再注册。"), code="consent_required"
        )
    real_name = clean_real_name(real_name)
    resident_id = clean_resident_id(resident_id)
    phone = clean_phone(phone)
    if User.objects.filter(kind=User.Kind.APPLICANT, **resident_id_lookup(resident_id)).exists():
        raise _duplicate_id()
    # Sign-in by phone needs one applicant per phone; staff numbers are not compared.
    phone_lookup = User._meta.get_field("phone").lookup(phone)  # type: ignore[attr-defined]
    if User.objects.filter(kind=User.Kind.APPLICANT, **phone_lookup).exists():
        raise _duplicate_phone()

    now = clock.now()
    user = User(
        username=generate_username(),
        kind=User.Kind.APPLICANT,
        real_name=real_name,
        resident_id=resident_id,
        phone=phone,
        date_joined=now,
        password_changed_at=now,
    )
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed.on_field(
            "password1", " ".join(exc.messages), code="password_invalid"
        ) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            audit_record(
                kind=AuditKind.APPLICANT_SIGNED_UP,
                actor=user,
                obj=user,
                details={"privacy_notice": PRIVACY_NOTICE_VERSION},
            )
    except IntegrityError:
        # Two sign-ups with one ID at the same moment: the unique blind index decides.
        raise _duplicate_id() from None
    return user


def teacher_link(*, user: User, certificate_number: str) -> TeacherLink:
    """Confirm the applicant's teacher record with the number of one of its
    certificates. A number that is not one of *their* teacher's certificates, or no
    teacher under their resident ID, answers the same "does not match" — the message
    never says whether the number exists."""
    number = clean_certificate_number(certificate_number)
    existing = TeacherLink.objects.filter(user=user).first()
    if existing is not None:
        return existing
    teacher = applicant_teacher(user=user)
    certificate = (
        Certificate.objects.filter(teacher=teacher, number=number).first() if teacher is not None else None
    )
    if teacher is None or certificate is None:
        audit_record(
            kind=AuditKind.APPLICANT_LINKED,
            actor=user,
            obj=user,
            outcome=AuditEvent.Outcome.FAILURE,
            details={"reason": "no_teacher" if teacher is None else "number_mismatch"},
        )
        raise ValidationFailed.on_field(
            "number",
            _("证书编号与您的身份信息不匹配，请核对教师资格证书上的编号后重试；如仍有问题，请联系所在学校。"),
            code="link_mismatch",
        )
    try:
        with transaction.atomic():
            link = TeacherLink.objects.create(
                user=user, teacher=teacher, certificate=certificate, linked_at=clock.now()
            )
            audit_record(
                kind=AuditKind.APPLICANT_LINKED,
                actor=user,
                obj=user,
                details={"teacher": teacher.pk, "certificate": certificate.pk},
            )
    except IntegrityError:
        # A double click: the first request made the link.
        link = TeacherLink.objects.filter(user=user).first()  # type: ignore[assignment]
        if link is None:
            raise Conflict(_("该教师信息已关联其他账号，请联系所在学校。"), code="teacher_taken") from None
    return link


def _value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def applicant_data_export(*, user: User) -> dict[str, Any]:
    """A copy of the applicant's personal data (PIPL art. 45): the account, the linked
    teacher record with its certificates, appraisals, training and breaks, and the
    applications. Audited as an export of one's own data."""
    profile = applicant_profile(user=user)
    teacher = profile["teacher"]
    data: dict[str, Any] = {
        "exported_at": clock.now().isoformat(),
        "account": {
            "username": user.username,
            "real_name": user.real_name,
            "resident_id": user.resident_id,
            "phone": user.phone,
            "date_joined": _value(user.date_joined),
        },
        "teacher": None,
        "applications": [
            {
                "id": a.pk,
                "campaign": a.campaign.name,
                "certificate": a.certificate.number,
                "status": a.status,
                "due": a.due,
                "suggestion": a.suggestion,
                "conclusion": a.conclusion,
                "submitted_at": _value(a.submitted_at),
                "completed_at": _value(a.completed_at),
                "valid_from": _value(a.valid_from),
                "valid_to": _value(a.valid_to),
            }
            for a in Application.objects.filter(applicant=user).select_related("campaign", "certificate")
        ],
    }
    if teacher is not None:
        data["teacher"] = {
            "name": teacher.name,
            "resident_id": teacher.resident_id,
            "phone": teacher.phone,
            "sex": teacher.sex,
            "school": teacher.school.name,
            "post_type": teacher.post_type,
            "employment_type": teacher.employment_type,
            "health": teacher.health,
            "probation_passed_on": _value(teacher.probation_passed_on),
            "certificates": [
                {
                    "number": c.number,
                    "qualification_type": c.qualification_type,
                    "subject": c.subject,
                    "status": c.status,
                    "last_conclusion": c.last_conclusion,
                    "registered_on": _value(c.registered_on),
                    "valid_from": _value(c.valid_from),
                    "valid_to": _value(c.valid_to),
                }
                for c in profile["certificates"]
            ],
            "annual_appraisals": [{"year": a.year, "grade": a.grade} for a in profile["appraisals"]],
            "ethics_appraisals": [{"year": e.year, "result": e.result} for e in profile["ethics"]],
            "training": [
                {"date": _value(t.date), "hours": _value(t.hours), "programme": t.programme}
                for t in profile["training"]
            ],
            "teaching_breaks": [
                {"start": _value(b.start), "end": _value(b.end), "reason": b.reason, "approved": b.approved}
                for b in profile["breaks"]
            ],
        }
    audit_record(kind=AuditKind.EXPORT, actor=user, obj=user, details={"what": "own_personal_data"})
    return data


# --- Password reset by SMS code (找回密码) ---------------------------------------------

RESET_CODE_DIGITS = 6
RESET_CODE_SECONDS = 10 * 60
RESET_MAX_TRIES = 5


@dataclass(frozen=True)
class ResetChallenge:
    """What the reset page keeps in the session between its two steps: the account (or
    none, when nothing matched — the page behaves the same either way), a keyed hash of
    the code, never the code, and its expiry."""

    user_id: int | None
    code_hash: str
    expires_at: float
    demo_code: str = ""  # DEMO_MODE only: shown on the page, there being no real SMS

    def as_session(self) -> dict[str, Any]:
        return {"u": self.user_id, "h": self.code_hash, "e": self.expires_at, "d": self.demo_code}

    @classmethod
    def from_session(cls, value: Any) -> ResetChallenge | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                user_id=value["u"],
                code_hash=str(value["h"]),
                expires_at=float(value["e"]),
                demo_code=value["d"],
            )
        except (KeyError, TypeError, ValueError):
            return None


def _code_hash(user_id: int | None, code: str) -> str:
    return salted_hmac("jiaozi.applicants.reset", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def password_reset_request(*, resident_id: str, phone: str) -> ResetChallenge:
    """Send a one-time code by SMS to the phone of the applicant account whose resident
    ID *and* phone match. The answer is a challenge in every case, so the page never
    tells whether an account exists."""
    code = "".join(secrets.choice("0123456789") for _ in range(RESET_CODE_DIGITS))
    expires_at = clock.now().timestamp() + RESET_CODE_SECONDS
    user = None
    try:
        rid, number = clean_resident_id(resident_id), clean_phone(phone)
    except ValidationFailed:
        rid = number = ""
    if rid and number:
        user = (
            User.objects.filter(kind=User.Kind.APPLICANT, is_active=True, **resident_id_lookup(rid))
            .filter(**User._meta.get_field("phone").lookup(number))  # type: ignore[attr-defined]
            .first()
        )
    if user is None:
        return ResetChallenge(
            user_id=None, code_hash=_code_hash(None, secrets.token_hex(8)), expires_at=expires_at
        )

    get_backend("sms").send(
        OutgoingMessage(
            channel="sms",
            to=user.phone,
            subject="",
            text=_(
                "【教师资格】您正在找回密码，验证码%(code)s，%(minutes)d分钟内有效。如非本人操作，请忽略。"
            )
            % {"code": code, "minutes": RESET_CODE_SECONDS // 60},
            notification_id=0,
            kind="applicant.password_reset",
        )
    )
    audit_record(
        kind=AuditKind.APPLICANT_PASSWORD_RESET,
        actor=None,
        obj=user,
        outcome=AuditEvent.Outcome.SUCCESS,
        details={"step": "code_sent"},
    )
    return ResetChallenge(
        user_id=user.pk,
        code_hash=_code_hash(user.pk, code),
        expires_at=expires_at,
        demo_code=code if settings.DEMO_MODE else "",
    )


def password_reset_confirm(*, challenge: ResetChallenge, code: str, new_password: str) -> User:
    """Set a new password with the code from the SMS. A wrong or expired code and a
    challenge that matched no account fail alike. Ends the account's other sessions
    (the version changes) and lifts a sign-in lock."""
    invalid = ValidationFailed.on_field("code", _("验证码错误或已过期，请重新获取。"), code="code_invalid")
    if challenge.user_id is None or clock.now().timestamp() > challenge.expires_at:
        raise invalid
    if not constant_time_compare(_code_hash(challenge.user_id, (code or "").strip()), challenge.code_hash):
        raise invalid
    user = User.objects.filter(pk=challenge.user_id, kind=User.Kind.APPLICANT, is_active=True).first()
    if user is None:
        raise invalid
    try:
        validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed.on_field(
            "new_password1", " ".join(exc.messages), code="password_invalid"
        ) from None
    with transaction.atomic():
        if (
            User.objects.filter(pk=user.pk, version=user.version).update(
                password=make_password(new_password),
                password_changed_at=clock.now(),
                must_change_password=False,
                version=F("version") + 1,
            )
            != 1
        ):
            raise Conflict(_("账号信息已变化，请重新获取验证码。"), code="stale_version")
        audit_record(
            kind=AuditKind.APPLICANT_PASSWORD_RESET, actor=user, obj=user, details={"step": "password_set"}
        )
        username = user.username
        transaction.on_commit(lambda: _unlock(username))
    return User.objects.get(pk=user.pk)


def _unlock(username: str) -> None:
    from axes.utils import reset

    reset(username=username)


# --- Identity reclaim (冒用身份证号的处理) ---------------------------------------------

# School staff who may confirm a teacher's identity in person: the teacher's own school.
RECLAIM_ROLES = frozenset({Role.SCHOOL_REVIEWER, Role.INSTITUTION_ADMIN})


@dataclass(frozen=True)
class Reclaimed:
    """What the school's page reports back: the suspended account (its username only)."""

    username: str
    was_linked: bool


def can_reclaim_identity(*, actor: User | None) -> bool:
    institution = getattr(actor, "institution", None) if is_active_staff(actor) else None
    return (
        actor is not None
        and institution is not None
        and actor.role in RECLAIM_ROLES
        and institution.kind == Institution.Kind.SCHOOL
    )


def identity_reclaim(*, actor: User, resident_id: str, identity_checked: bool, reason: str) -> Reclaimed:
    """A teacher finds their resident ID taken by somebody else's applicant account. Their
    school checks the teacher's ID card in person, types the ID from the card and states
    why; the account holding the ID is suspended (it can no longer sign in, its sessions
    end) and the ID released, so the teacher can sign up and link their record. The
    squatter's link to the teacher record, if any, is removed. One transaction, audited.

    Only staff of the school holding that teacher's record may do this; a teacher of
    another school answers as if there were none."""
    if not can_reclaim_identity(actor=actor):
        raise PermissionDenied(_("只有教师所在学校的审查员或机构管理员可以办理。"))
    if not identity_checked:
        raise ValidationFailed.on_field(
            "identity_checked", _("请先当面核验教师本人的身份证件。"), code="identity_not_checked"
        )
    reason = redact((reason or "").strip())[:200]
    if not reason:
        raise ValidationFailed.on_field("reason", _("请填写办理原因。"), code="reason_required")
    rid = clean_resident_id(resident_id)
    lookup = resident_id_lookup(rid)
    teacher = Teacher.objects.filter(school_id=actor.institution_id, **lookup).first()
    if teacher is None:
        raise ValidationFailed.on_field(
            "resident_id", _("本校教师档案中没有该身份证号，请核对。"), code="teacher_not_found"
        )
    if getattr(actor, "resident_id_bidx", None) == lookup["resident_id_bidx"]:
        raise PermissionDenied(_("不能为本人办理，请由学校其他工作人员办理。"), code="conflict_of_interest")
    holder = User.objects.filter(kind=User.Kind.APPLICANT, **lookup).first()
    if holder is None:
        raise Conflict(_("没有申请人账号使用该身份证号，教师可以直接注册。"), code="no_account_holds_the_id")
    with transaction.atomic():
        updated = User.objects.filter(pk=holder.pk, version=holder.version).update(
            is_active=False, resident_id=None, resident_id_bidx=None, version=F("version") + 1
        )
        if updated != 1:
            raise Conflict(_("该账号刚刚发生变化，请重试。"), code="stale_version")
        linked, _rows = TeacherLink.objects.filter(user=holder).delete()
        audit_record(
            kind=AuditKind.APPLICANT_IDENTITY_RECLAIMED,
            actor=actor,
            obj=holder,
            institution_id=actor.institution_id,
            details={"teacher": teacher.pk, "reason": reason, "link_removed": bool(linked)},
        )
    return Reclaimed(username=holder.username, was_linked=bool(linked))
