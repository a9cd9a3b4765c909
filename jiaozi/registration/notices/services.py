"""Public notice of registration conclusions (公示, §5, §8) and objections (异议).

Services:
- ``notice_publish`` — the registration reviewer publishes a batch of its CONCLUDED
  applications: a ``Notice`` with the masked list as published and the SHA-256 of its
  canonical form (proof of publication), and each application moved by the workflow
  (``PUBLISH_NOTICE``), all in one transaction.
- ``objection_submit`` — anyone, signed in or not, objects to one entry while the
  notice is open; the first objection freezes the application (``OBJECT``).
- ``objection_resolve`` — the registration reviewer upholds (``UPHOLD_OBJECTION``: back to
  CONCLUDED with the revised conclusion, to be noticed again) or dismisses
  (``DISMISS_OBJECTION``: back to NOTICE, the period goes on).
- ``notice_close_expired`` — the periodic job: applications still in NOTICE after the
  end move on (``NOTICE_END``, system actor); notices past their end are closed.

Reads are in ``selectors``. Nothing here assigns a status: every application status
change goes through ``transitions.application_transition``, every notice and objection
state change through the engine's compare-and-set on the tables in ``workflow``.
See docs/decisions/0110-notice-proof-of-publication.md and the following records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Conclusion
from jiaozi.core import clock
from jiaozi.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    WindowClosed,
)
from jiaozi.core.masking import mask_phone
from jiaozi.core.ratelimit import ratelimit
from jiaozi.orgs.models import Institution
from jiaozi.workflow.engine import simple_transition, simple_transition_where

from ..models import Application, Notice, Objection
from ..transitions import BatchItem, application_transition, application_transition_batch
from ..workflow import ActingLevel, Action, Status
from .selectors import (
    can_manage_notices,
    notice_canonical_bytes,
    notice_entry,
    notice_is_open,
    objection_get_visible_to,
)
from .workflow import NOTICE_TABLE, OBJECTION_TABLE, NoticeAction, ObjectionAction

logger = logging.getLogger(__name__)

NOTICE_MAX_DAYS = 30
# One notice is one page of public record and one JSON document; larger batches are
# published as several notices.
NOTICE_MAX_ENTRIES = 5000
OBJECTION_CONTENT_MIN = 10
OBJECTION_CONTENT_MAX = 2000
OBJECTION_NAME_MAX = 64
# Batches for the notice-end job: each batch is one call of the workflow's batch
# transition (its own transactions), so a crash loses at most one batch's progress.
CLOSE_BATCH = 500

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _limit(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """(hits, seconds) from settings, so operators can tune without a release."""
    limit, window = getattr(settings, name, default)
    return int(limit), int(window)


def _require_manager(actor: User) -> None:
    if not can_manage_notices(actor=actor):
        raise PermissionDenied(_("只有注册审核员可以办理公示及异议。"))


# --- Publish -------------------------------------------------------------------------


def _notice_title(*, authority: Institution, year: int, batch: int) -> str:
    # The title is part of the published record: always in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(authority)s%(year)s年中小学教师资格定期注册结论公示（第%(batch)s批）") % {
            "authority": authority.name,
            "year": year,
            "batch": batch,
        }


def _clean_ids(application_ids: Iterable[Any]) -> list[int]:
    try:
        ids = sorted({int(pk) for pk in application_ids})
    except (TypeError, ValueError):
        raise ValidationFailed(_("申请编号无效。"), code="invalid_id") from None
    if not ids:
        raise ValidationFailed(_("请选择要公示的申请。"), code="empty")
    if len(ids) > NOTICE_MAX_ENTRIES:
        raise ValidationFailed(
            _("一次最多公示 %(max)s 条，请分批发布。") % {"max": NOTICE_MAX_ENTRIES}, code="too_many"
        )
    return ids


def _clean_days(days: Any, default: int) -> int:
    """The notice period is the campaign's (§5: a province setting of at least seven
    natural days); a reviewer may repeat it but never change it."""
    if days is None or days == "":
        return default
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = 0
    if value != default:
        raise ValidationFailed.on_field(
            "days",
            _("公示期由省级统一设置为%(days)s个自然日，审核人员不能更改。") % {"days": default},
            code="notice_days_fixed",
        )
    return value


# Error classes for the codes a batch item can fail with (the batch reports codes only).
_BATCH_ERRORS: dict[str, type[DomainError]] = {
    NotFound.code: NotFound,
    PermissionDenied.code: PermissionDenied,
    "conflict_of_interest": PermissionDenied,
    WindowClosed.code: WindowClosed,
    ValidationFailed.code: ValidationFailed,
}


def notice_publish(*, actor: User, application_ids: Iterable[Any], days: int | None = None) -> Notice:
    """Publish the actor's authority's CONCLUDED applications ``application_ids`` for
    the campaign's ``notice_days`` (``days``, if given, must equal it). All or nothing: one application
    out of scope, in another stage, or changed meanwhile fails the whole notice, so the
    published list is exactly the set that moved to NOTICE."""
    _require_manager(actor)
    ids = _clean_ids(application_ids)
    with transaction.atomic():
        applications = list(
            Application.objects.filter(pk__in=ids, registration_authority_id=actor.institution_id)
            .select_related("teacher", "school", "campaign", "registration_authority")
            .order_by("school__code", "pk")
        )
        if len(applications) != len(ids):
            raise NotFound(_("有申请不存在或不属于本机构。"))
        not_concluded = [a.pk for a in applications if a.status != Status.CONCLUDED]
        if not_concluded:
            raise Conflict(
                _("只能公示已作出结论的申请（%(ids)s 不在此环节）。")
                % {"ids": "、".join(str(pk) for pk in not_concluded[:10])},
                code="wrong_stage",
                application_ids=not_concluded,
            )
        campaigns = {a.campaign_id for a in applications}
        if len(campaigns) != 1:
            raise ValidationFailed(_("一次公示只能包含同一项注册工作的申请。"), code="mixed_campaigns")
        campaign = applications[0].campaign
        authority = applications[0].registration_authority
        days = _clean_days(days, campaign.notice_days)

        starts_at = clock.now().replace(microsecond=0)
        ends_at = starts_at + dt.timedelta(days=days)
        entries = [notice_entry(no=n, application=a) for n, a in enumerate(applications, start=1)]
        batch = Notice.objects.filter(campaign=campaign, authority=authority).count() + 1
        title = _notice_title(authority=authority, year=campaign.year, batch=batch)
        digest = hashlib.sha256(
            notice_canonical_bytes(title=title, starts_at=starts_at, ends_at=ends_at, entries=entries)
        ).hexdigest()
        notice = Notice.objects.create(
            campaign=campaign,
            authority=authority,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            published_by=actor,
            entries=entries,
            list_sha256=digest,
        )
        result = application_transition_batch(
            actor=actor,
            action=Action.PUBLISH_NOTICE,
            items=[BatchItem(application_id=a.pk, version=a.version) for a in applications],
            notice=notice,
        )
        if result.failed:
            # All or nothing: name the first application that stopped the batch; raising
            # rolls back the notice and every application the batch did move.
            pk, code, message = result.failed[0]
            error = _BATCH_ERRORS.get(code, Conflict)
            raise error(
                _("申请 %(id)s：%(message)s") % {"id": pk, "message": message},
                code=code,
                application_ids=[f[0] for f in result.failed],
            )
        audit_record(
            kind=AuditKind.NOTICE_PUBLISHED,
            actor=actor,
            institution_id=authority.pk,
            obj=notice,
            details={
                "campaign": campaign.pk,
                "entries": len(entries),
                "days": days,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "sha256": digest,
            },
        )
    return notice


# --- Objections ----------------------------------------------------------------------


def _clean_text(value: str | None) -> str:
    return _CONTROL.sub("", (value or "").replace("\r\n", "\n")).strip()


def normalise_contact(value: str | None) -> str:
    """A mobile, a landline or an e-mail address, spaces removed; raises
    ``ValidationFailed`` otherwise."""
    contact = re.sub(r"\s+", "", value or "")
    if _MOBILE.match(contact) or _LANDLINE.match(contact):
        return contact
    if "@" in contact and len(contact) <= 254:
        try:
            validate_email(contact)
        except ValidationError:
            pass
        else:
            return contact.lower()
    message = _("请填写有效的手机号、固定电话（如 0551-12345678）或电子邮箱。")
    raise ValidationFailed.on_field("contact", message, code="invalid_contact")


def mask_contact(value: str | None) -> str:
    """138****5678 for phones, z***@example.com for e-mail addresses."""
    if not value:
        return ""
    if "@" in value:
        local, _sep, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_phone(value)


def _validate_objection(*, anonymous: bool, name: str, content: str) -> None:
    fields: dict[str, str] = {}
    if not anonymous and not name:
        fields["name"] = _("实名提出异议请填写姓名，或选择匿名。")
    elif len(name) > OBJECTION_NAME_MAX:
        fields["name"] = _("姓名过长。")
    if len(content) < OBJECTION_CONTENT_MIN:
        fields["content"] = _("请写明异议的具体事实和理由（不少于 %(min)s 字）。") % {
            "min": OBJECTION_CONTENT_MIN
        }
    elif len(content) > OBJECTION_CONTENT_MAX:
        fields["content"] = _("异议内容不超过 %(max)s 字。") % {"max": OBJECTION_CONTENT_MAX}
    if fields:
        raise ValidationFailed(next(iter(fields.values())), code="invalid_objection", field_errors=fields)


def objection_rate_check(*, application_id: Any, ip: str | None) -> None:
    """Raise ``RateLimited`` when this address, or everybody together for this
    application, has objected too often. Counted before validation: malformed posts
    cost the same as good ones."""
    ratelimit(f"objection:ip:{ip or 'unknown'}", *_limit("OBJECTION_IP_RATE_LIMIT", (5, 3600)))
    ratelimit(
        f"objection:application:{application_id}", *_limit("OBJECTION_APPLICATION_RATE_LIMIT", (20, 86400))
    )


def _notify_reviewers(*, application: Application, objection: Objection) -> None:
    from jiaozi.notifications.services import INBOX, notify_many

    reviewers = User.objects.filter(
        kind=User.Kind.STAFF,
        is_active=True,
        role=Role.REGISTRATION_REVIEWER,
        institution_id=application.registration_authority_id,
    )
    with translation.override(settings.LANGUAGE_CODE):
        notify_many(
            users=list(reviewers),
            kind="registration.objection_received",
            title=_("收到公示异议"),
            body=_("公示名单中的一项申请收到异议，已暂停公示，请及时核查处理。"),
            link=reverse("registration:objection_resolve", args=[objection.pk]),
            channels=(INBOX,),
        )


def objection_submit(
    *,
    notice_id: Any,
    application_id: Any,
    anonymous: bool,
    name: str,
    contact: str,
    content: str,
    ip: str | None,
) -> Objection:
    """File an objection to one entry of an open notice. The first objection moves the
    application to NOTICE_PAUSED (``OBJECT``); later ones join it. Refused with
    ``WindowClosed`` (409, ``notice_ended``) outside the period, ``RateLimited`` (429)
    when hammered."""
    objection_rate_check(application_id=application_id, ip=ip)
    name = "" if anonymous else _clean_text(name)
    content = _clean_text(content)
    _validate_objection(anonymous=anonymous, name=name, content=content)
    contact = normalise_contact(contact)

    with transaction.atomic():
        notice = Notice.objects.filter(pk=notice_id).first() if str(notice_id).isdigit() else None
        if notice is None:
            raise NotFound(_("公示不存在。"))
        now = clock.now()
        if not notice_is_open(notice, now=now):
            raise WindowClosed(_("公示期已结束，不再受理异议。"), code="notice_ended")
        listed = {entry.get("application_id") for entry in notice.entries}
        application = (
            Application.objects.filter(pk=application_id).first()
            if str(application_id).isdigit() and int(application_id) in listed
            else None
        )
        if application is None:
            raise NotFound(_("公示名单中没有这一项。"))
        if application.notice_id != notice.pk:
            # Upheld and published again, or sent back: this row is no longer in force.
            raise Conflict(_("该申请已不在公示中，不再受理异议。"), code="not_in_notice")
        if application.status == Status.NOTICE:
            try:
                with transaction.atomic():
                    application_transition(
                        actor=None,
                        application_id=application.pk,
                        action=Action.OBJECT,
                        version=application.version,
                    )
            except Conflict:
                # Another objection (or the end of the period) got there first.
                application.refresh_from_db()
                if application.status != Status.NOTICE_PAUSED or application.notice_id != notice.pk:
                    raise Conflict(_("该申请已不在公示中，不再受理异议。"), code="not_in_notice") from None
        elif application.status != Status.NOTICE_PAUSED:
            raise Conflict(_("该申请已不在公示中，不再受理异议。"), code="not_in_notice")
        objection = Objection.objects.create(
            notice=notice,
            application=application,
            anonymous=anonymous,
            name=name,
            contact=contact,
            content=content,
            submitted_at=now,
            ip=ip or None,
        )
        audit_record(
            kind=AuditKind.OBJECTION_SUBMITTED,
            actor=None,
            institution_id=application.registration_authority_id,
            obj=objection,
            ip=ip,
            details={"notice": notice.pk, "application": application.pk, "anonymous": anonymous},
        )
        _notify_reviewers(application=application, objection=objection)
    return objection


def objection_resolve(
    *,
    actor: User,
    objection_id: Any,
    upheld: bool,
    resolution: str,
    conclusion: str = "",
    version: int,
) -> Objection:
    """Decide an objection; ``version`` is the application's, as the reviewer saw it.

    Upheld: the application goes back to CONCLUDED with ``conclusion`` (it must change)
    and is published again in a later notice. Dismissed: back to NOTICE; if the period
    is over meanwhile, the next run of the notice-end job moves it on. The decision is
    about the application, so every other open objection to it is closed with it."""
    _require_manager(actor)
    resolution = _clean_text(resolution)
    if not resolution:
        message = _("请填写处理意见。")
        raise ValidationFailed.on_field("resolution", message, code="reason_required")
    if upheld and conclusion not in Conclusion.values:
        message = _("异议成立时请选择修改后的注册结论。")
        raise ValidationFailed.on_field("conclusion", message, code="conclusion_required")

    with transaction.atomic():
        objection = objection_get_visible_to(user=actor, pk=objection_id)
        if objection.state != Objection.State.OPEN:
            raise Conflict(_("该异议已处理。"), code="already_resolved")
        application = objection.application
        if upheld and conclusion == application.conclusion:
            message = _("异议成立时应修改注册结论；维持原结论请选择“异议不成立”。")
            raise ValidationFailed.on_field("conclusion", message, code="conclusion_unchanged")
        now = clock.now()
        decision = ObjectionAction.UPHOLD if upheld else ObjectionAction.DISMISS
        resolved = {"resolution": resolution, "resolved_by": actor, "resolved_at": now}
        move = {"status": Objection.State.OPEN, "action": decision, "level": ActingLevel.REGISTRATION}
        simple_transition(
            Objection,
            OBJECTION_TABLE,
            pk=objection.pk,
            values=resolved,
            on_refused=lambda: Conflict(_("该异议已处理。"), code="already_resolved"),
            **move,
        )
        others = simple_transition_where(
            Objection, OBJECTION_TABLE, filters={"application": application}, values=resolved, **move
        )
        if upheld:
            application_transition(
                actor=actor,
                application_id=application.pk,
                action=Action.UPHOLD_OBJECTION,
                version=version,
                reason=resolution,
                conclusion=conclusion,
                override_reason=resolution if conclusion != application.suggestion else "",
            )
        else:
            application_transition(
                actor=actor,
                application_id=application.pk,
                action=Action.DISMISS_OBJECTION,
                version=version,
                reason=resolution,
            )
        audit_record(
            kind=AuditKind.OBJECTION_RESOLVED,
            actor=actor,
            institution_id=application.registration_authority_id,
            obj=objection,
            details={
                "application": application.pk,
                "notice": objection.notice_id,
                "upheld": upheld,
                "conclusion": conclusion if upheld else "",
                "also_closed": others,
            },
        )
    objection.refresh_from_db()
    return objection


# --- Notice end (the periodic job) --------------------------------------------------


def notice_close_expired(*, now: dt.datetime | None = None) -> int:
    """Move on every application still in NOTICE whose notice has ended (``NOTICE_END``
    by the system: to CITY_RECHECK, or PROVINCE_REVIEW without a city step), then close
    the notices past their end. Paused applications wait for their objection; one
    dismissed after the end moves on at the next run. Returns how many moved.

    ``now`` decides which notices count as ended (default: the clock); the workflow
    itself refuses NOTICE_END before the end by the clock, so a ``now`` in the future
    moves nothing early.

    Safe to run twice at once: each move is the workflow's compare-and-set on
    (status, version), each close a compare-and-set on the notice's state — the loser of
    a race changes nothing and writes no audit row."""
    now = now or clock.now()
    due = list(
        Application.objects.filter(status=Status.NOTICE, notice__ends_at__lte=now)
        .order_by("pk")
        .values_list("pk", "version")
    )
    moved = 0
    for start in range(0, len(due), CLOSE_BATCH):
        chunk = due[start : start + CLOSE_BATCH]
        result = application_transition_batch(
            actor=None,
            action=Action.NOTICE_END,
            items=[BatchItem(application_id=pk, version=version) for pk, version in chunk],
        )
        moved += len(result.succeeded)
        for pk, code, _message in result.failed:
            # stale_version / wrong_stage: another run (or an objection) got there first.
            log = logger.info if code in {"stale_version", "wrong_stage"} else logger.warning
            log("notice end: application %s not moved (%s)", pk, code)

    for notice_id, authority_id in (
        Notice.objects.filter(state=Notice.State.OPEN, ends_at__lte=now)
        .order_by("pk")
        .values_list("pk", "authority_id")
    ):
        with transaction.atomic():
            closed = simple_transition(
                Notice,
                NOTICE_TABLE,
                pk=notice_id,
                status=Notice.State.OPEN,
                action=NoticeAction.CLOSE,
                level=ActingLevel.SYSTEM,
                values={"closed_at": now},
            )
            if closed is None:
                continue  # closed by a concurrent run
            counts = dict(
                Application.objects.filter(notice_id=notice_id)
                .values_list("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            )
            audit_record(
                kind=AuditKind.NOTICE_CLOSED,
                actor=None,
                institution_id=authority_id,
                object_type="registration.notice",
                object_id=notice_id,
                details={"paused": counts.get(Status.NOTICE_PAUSED, 0)},
            )
    if moved:
        logger.info("notice end: %s applications moved on", moved)
    return moved


def objection_contact_reveal(*, actor: User, objection: Objection) -> str:
    """The objector's contact in clear, for the reviewer who must answer; audited as an
    unmasked view (§9)."""
    _require_manager(actor)
    audit_record(
        kind=AuditKind.UNMASKED_VIEW,
        actor=actor,
        obj=objection,
        details={"field": "contact", "application": objection.application_id},
    )
    return str(objection.contact)
