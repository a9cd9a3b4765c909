"""Registration's checks on the workflow engine's plan (transitions.py runs them): who
acts, the row the checks read, the campaign windows, the reasons, the conclusion and
the notice an action needs. Each failure is a ``DomainError``; nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.certificates.models import Conclusion
from jiaozi.certservices.authenticity import authenticity_held_certificates
from jiaozi.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed, WindowClosed
from jiaozi.workflow.cas import FirstSet
from jiaozi.workflow.engine import Inputs, Plan

from .applications.selectors import deadline_for
from .applications.submission import check_materials
from .campaigns.windows import effective_close, format_moment, format_window, live_extensions, window_check
from .models import Application, Campaign, Notice, WindowAction
from .opinions import default_opinion
from .workflow import APPLICATION_TABLE, REVIEW_LEVELS, Action, ReturnReason, Status
from .workflow import ActingLevel as Level

# Staff role → (level, the Application FK naming the institution that acts at it).
ROLE_LEVEL: dict[str, tuple[str, str]] = {r.role: (r.level, f"{r.holder_field}_id") for r in REVIEW_LEVELS}
# Conclusions other than 合格 need a written reason (§5).
NEGATIVE_CONCLUSIONS = frozenset({Conclusion.DEFERRED, Conclusion.UNQUALIFIED})
# Going back before the conclusion clears it (and its notice): it is decided again.
BEFORE_CONCLUSION = frozenset(
    {Status.DRAFT, Status.RETURNED, Status.SCHOOL_REVIEW, Status.REGISTRATION_REVIEW}
)
# Actions that record a conclusion (the table's ``requires``).
CONCLUDING = frozenset(action for action, req in APPLICATION_TABLE.requires.items() if req.conclusion)
REASON_MAX = 2000


@dataclass(frozen=True, slots=True)
class Who:
    """The acting user, reduced to what the checks read (None for public / system)."""

    user: User | None
    kind: User.Kind | None  # None for the public / system
    pk: int | None = None
    role: str = ""
    institution_id: int | None = None
    resident_bidx: str | None = None
    phone_bidx: str | None = None

    @property
    def is_public(self) -> bool:
        """Nobody signed in: the public or the scheduler."""
        return self.user is None

    @property
    def is_staff(self) -> bool:
        return self.kind == User.Kind.STAFF


def who_of(user: User | AnonymousUser | None) -> Who:
    if user is None:
        return Who(user=None, kind=None)
    actor = actor_of(user)
    if actor.user is None or not actor.is_active:
        raise PermissionDenied(_("您的账号不能办理此业务。"))
    return Who(
        user=actor.user,
        kind=actor.kind,
        pk=actor.user_id,
        role=actor.role or "",
        institution_id=actor.institution_id,
        resident_bidx=getattr(actor.user, "resident_id_bidx", None) or None,
        phone_bidx=getattr(actor.user, "phone_bidx", None) or None,
    )


@dataclass(frozen=True, slots=True)
class Row:
    """What the checks read of an application (``values()`` in a batch, or an instance)."""

    pk: int
    status: str
    version: int
    campaign_id: int
    applicant_id: int
    school_id: int
    registration_authority_id: int
    city_bureau_id: int | None
    province_bureau_id: int
    suggestion: str
    teacher_resident_bidx: str | None
    teacher_phone_bidx: str | None
    notice_id: int | None
    notice_starts_at: dt.datetime | None
    notice_ends_at: dt.datetime | None
    due: str = ""
    conclusion: str = ""

    @property
    def has_city_step(self) -> bool:
        return self.city_bureau_id is not None


ROW_FIELDS: tuple[str, ...] = (
    *("pk", "status", "version", "campaign_id", "applicant_id", "school_id", "registration_authority_id"),
    *("city_bureau_id", "province_bureau_id", "suggestion", "teacher__resident_id_bidx"),
    *("teacher__phone_bidx", "notice_id", "notice__starts_at", "notice__ends_at", "due"),
    "conclusion",
)


def row_of(a: Application) -> Row:
    teacher, notice = a.teacher, (a.notice if a.notice_id else None)
    return Row(
        *(a.pk, a.status, a.version, a.campaign_id, a.applicant_id, a.school_id, a.registration_authority_id),
        *(a.city_bureau_id, a.province_bureau_id, a.suggestion),
        # The companion columns EncryptedField adds (not declared, so not typed).
        getattr(teacher, "resident_id_bidx", None) or None,
        getattr(teacher, "phone_bidx", None) or None,
        *(a.notice_id, notice.starts_at if notice else None, notice.ends_at if notice else None),
        a.due,
        a.conclusion,
    )


def rows(queryset: models.QuerySet[Application], ids: Sequence[int]) -> dict[int, Row]:
    return {values[0]: Row(*values) for values in queryset.filter(pk__in=ids).values_list(*ROW_FIELDS)}


class WindowCache:
    """Window checks per (campaign, window, chain), evaluated once per call or batch;
    the campaign's window extensions are read once."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.campaigns: dict[int, Campaign] = {}
        self._extensions: dict[int, dict[tuple[str, int], dt.datetime]] = {}
        self._results: dict[tuple[int, str, tuple[int | None, ...]], WindowClosed | None] = {}
        self.authenticity_held: frozenset[int] | None = None  # see authenticity_hold

    def campaign(self, pk: int) -> Campaign:
        if pk not in self.campaigns:
            self.campaigns[pk] = Campaign.objects.get(pk=pk)
        return self.campaigns[pk]

    def extensions(self, campaign_id: int) -> dict[tuple[str, int], dt.datetime]:
        if campaign_id not in self._extensions:
            self._extensions[campaign_id] = live_extensions(campaign_id)
        return self._extensions[campaign_id]

    def check(self, campaign_id: int, window: str, chain: tuple[int | None, ...] = ()) -> None:
        extensions = self.extensions(campaign_id) if chain else {}
        # Only the chain's institutions with an extension of this window matter.
        chain = tuple(pk for pk in chain if pk is not None and (window, pk) in extensions)
        key = (campaign_id, window, chain)
        if key not in self._results:
            try:
                window_check(
                    campaign=self.campaign(campaign_id),
                    action=window,
                    at=self.now,
                    chain=chain,
                    extensions=extensions,
                )
                self._results[key] = None
            except WindowClosed as exc:
                self._results[key] = exc
        if (failure := self._results[key]) is not None:
            raise failure


def reason_of(inputs: Inputs, *, required: bool) -> tuple[str, str]:
    """(opinion text, reason code). A required reason is a written text or, except
    ``other``, a code whose label then serves as the opinion; a batch item needs the code."""
    text, code = inputs.reason.strip(), inputs.reason_code.strip()
    if len(text) > REASON_MAX:
        message = _("理由不能超过%(max)d字。") % {"max": REASON_MAX}
        raise ValidationFailed.on_field("reason", message, code="reason_too_long")
    if code and code not in ReturnReason.values:
        raise ValidationFailed.on_field("reason_code", _("理由代码无效。"), code="invalid_reason_code")
    if required and inputs.coded and not code:
        message = _("批量操作须为每条申请选择理由代码。")
        raise ValidationFailed.on_field("reason_code", message, code="reason_required")
    if required and not text and (not code or code == ReturnReason.OTHER):
        raise ValidationFailed.on_field("reason", _("请填写理由。"), code="reason_required")
    if not text and code:
        with translation.override(settings.LANGUAGE_CODE):  # the form prints it
            text = str(ReturnReason(code).label)
    return text, code


def conclusion_of(row: Row, inputs: Inputs, opinion: str, *, required: bool) -> dict[str, Any]:
    """The conclusion fields CONCLUDE (and an upheld objection) write."""
    conclusion = inputs.conclusion.strip()
    if not conclusion:
        if required:
            raise ValidationFailed.on_field("conclusion", _("请选择注册结论。"), code="conclusion_required")
        return {}
    if conclusion not in Conclusion.values:
        raise ValidationFailed.on_field("conclusion", _("注册结论无效。"), code="invalid_conclusion")
    if conclusion in NEGATIVE_CONCLUSIONS and not opinion:
        raise ValidationFailed.on_field(
            "reason", _("暂缓注册或注册不合格须说明理由。"), code="reason_required"
        )
    override = inputs.override_reason.strip()
    overridden = bool(row.suggestion) and conclusion != row.suggestion
    if overridden and not override:
        message = _("注册结论与系统建议不一致，请说明不采纳建议的理由。")
        raise ValidationFailed.on_field("override_reason", message, code="override_reason_required")
    if len(override) > REASON_MAX:
        message = _("理由不能超过%(max)d字。") % {"max": REASON_MAX}
        raise ValidationFailed.on_field("override_reason", message, code="reason_too_long")
    return {
        "conclusion": conclusion,
        "conclusion_reason": opinion,
        "override_reason": override if overridden else "",
    }


def level_of(who: Who, row: Row, action: str) -> str | None:
    if who.is_public:
        return next(
            iter(APPLICATION_TABLE.levels_of_action.get(action, frozenset()) & APPLICATION_TABLE.anonymous),
            None,
        )
    if who.kind == User.Kind.APPLICANT:
        return Level.APPLICANT if who.pk == row.applicant_id else None
    if action == Action.REVOKE:  # the province's supervision, not a review step
        oversees = who.is_staff and who.role == Role.PROVINCE_REVIEWER
        return Level.OVERSIGHT if oversees and who.institution_id == row.province_bureau_id else None
    if who.is_staff and who.role in ROLE_LEVEL:
        level, attr = ROLE_LEVEL[who.role]
        return level if who.institution_id is not None and who.institution_id == getattr(row, attr) else None
    return None


def refuse(who: Who, row: Row) -> None:
    """Staff whose resident ID or phone is the teacher's: their own application."""
    if who.is_staff and (
        (who.resident_bidx and who.resident_bidx == row.teacher_resident_bidx)
        or (who.phone_bidx and who.phone_bidx == row.teacher_phone_bidx)
    ):
        message = _("不能审核本人的定期注册申请，请由同级其他工作人员办理。")
        raise PermissionDenied(message, code="conflict_of_interest")


def wrong_stage(row: Row, action: str) -> DomainError:
    message = _("该申请当前状态为「%(status)s」，不能执行「%(action)s」。") % {
        "status": Status(row.status).label,
        "action": Action(action).label,
    }
    return Conflict(message, code="wrong_stage", status=row.status)


def chain_of(row: Row) -> tuple[int | None, ...]:
    """The institutions of the application's review chain (window extensions)."""
    return (row.school_id, row.registration_authority_id, row.city_bureau_id, row.province_bureau_id)


# The applicant acts from these statuses only to ask for a review of the conclusion; that
# runs while the system is open (its own period is checked in ``timing``), not in the
# apply window.
_REVIEW_REQUEST_FROM = frozenset({Status.CITY_RECHECK, Status.PROVINCE_REVIEW})


def check_window(row: Row, window: str, ctx: WindowCache) -> None:
    if window == WindowAction.APPLY and row.status in _REVIEW_REQUEST_FROM:
        window = WindowAction.SYSTEM
    if window:  # a level without a window (the province's supervision) acts at any time
        ctx.check(row.campaign_id, window, chain_of(row))


def review_request_until(row: Row, ctx: WindowCache) -> dt.datetime | None:
    """The end of the period in which the applicant may ask for a review of the
    conclusion: the notice's end + the campaign's ``review_request_days``."""
    if row.notice_ends_at is None:
        return None
    return row.notice_ends_at + dt.timedelta(days=ctx.campaign(row.campaign_id).review_request_days)


def check_review_request(row: Row, ctx: WindowCache) -> None:
    """§5 申请复核: only a 暂缓注册 or 注册不合格 conclusion, only within the period."""
    if row.conclusion not in NEGATIVE_CONCLUSIONS:
        raise Conflict(_("只有注册结论为暂缓注册或注册不合格的申请可以申请复核。"), code="review_not_allowed")
    until = review_request_until(row, ctx)
    if until is None or not row.notice_ends_at <= ctx.now < until:  # type: ignore[operator]
        dates = format_window(row.notice_ends_at, until) if row.notice_ends_at and until else ""
        raise WindowClosed(
            _("申请复核的期限为%(dates)s（公示期满后%(days)s天内），当前不能申请复核。")
            % {"dates": dates, "days": ctx.campaign(row.campaign_id).review_request_days},
            window="review_request",
        )


def next_window_after_notice(row: Row) -> str:
    """The window of the level that acts when the notice ends: the city's recheck, or
    the province's final review where the chain has no city step."""
    return WindowAction.RECHECK if row.has_city_step else WindowAction.FINAL_REVIEW


def check_notice_fits(row: Row, notice_ends_at: dt.datetime, ctx: WindowCache) -> None:
    """§5 "deadlines cascade": refuse a notice that would end when the next level can no
    longer act, naming the dates — unless the province extended that window for an
    institution of this chain."""
    window = next_window_after_notice(row)
    campaign = ctx.campaign(row.campaign_id)
    closes_at = effective_close(campaign, window, chain_of(row), ctx.extensions(row.campaign_id))
    if notice_ends_at < closes_at:
        return
    message = _(
        "公示将于%(ends)s结束，晚于%(window)s截止时间%(closes)s，公示期满后%(window)s将无法办理。"
        "请在截止时间前留足公示期，或联系省级管理员延长%(window)s时间。"
    ) % {
        "ends": format_moment(notice_ends_at),
        "window": WindowAction(window).label,
        "closes": format_moment(closes_at),
    }
    raise Conflict(
        message,
        code="notice_after_next_window",
        window=str(window),
        notice_ends_at=notice_ends_at.isoformat(),
        window_closes_at=closes_at.isoformat(),
    )


def timing(row: Row, action: str, level: str, ctx: WindowCache) -> None:
    starts, ends, now = row.notice_starts_at, row.notice_ends_at, ctx.now
    if action == Action.OBJECT and (starts is None or ends is None or not starts <= now < ends):
        # Objections are taken only while the notice runs (its own half-open window).
        dates = format_window(starts, ends) if starts and ends else ""
        message = _("公示期为%(dates)s，当前不在公示期内，不能提出异议。") % {"dates": dates}
        raise WindowClosed(message, window="notice")
    if action == Action.NOTICE_END and (ends is None or now < ends):
        raise Conflict(_("公示期尚未届满。"), code="notice_running")
    if action == Action.REQUEST_REVIEW:
        check_review_request(row, ctx)
    authenticity_hold(row, action, ctx)


# --- Certificate services: an authenticity check holds the application (decision 0224) ---
# While a 证书真伪核验 of the application's certificate is open, or once it found the
# certificate forged, the application does not move towards registration. Returning it
# or withdrawing it stays possible.
HELD_BY_AUTHENTICITY_CHECK = frozenset(
    {Action.CONCLUDE, Action.PUBLISH_NOTICE, Action.CITY_APPROVE, Action.PROVINCE_APPROVE}
)


def authenticity_hold(row: Row, action: str, ctx: WindowCache) -> None:
    if action not in HELD_BY_AUTHENTICITY_CHECK:
        return
    if ctx.authenticity_held is None:  # once per call or batch
        certificates = authenticity_held_certificates()
        ctx.authenticity_held = frozenset(
            Application.objects.filter(certificate_id__in=certificates).values_list("pk", flat=True)
            if certificates
            else ()
        )
    if row.pk in ctx.authenticity_held:
        message = _("该申请的教师资格证书正在进行真伪核验或已核验为伪造，核验完成前不能继续办理。")
        raise Conflict(message, code="authenticity_check_pending")


def prepare(plan: Plan, inputs: Inputs, ctx: WindowCache, notice: Notice | None = None) -> None:
    row, action, target = plan.row, inputs.action, plan.target
    plan.opinion, plan.reason_code = reason_of(inputs, required=plan.transition.needs_reason)
    values, notice_ends_at = plan.values, row.notice_ends_at
    if action in CONCLUDING:
        values |= conclusion_of(
            row, inputs, plan.opinion, required=APPLICATION_TABLE.requires[action].conclusion == "must"
        )
    if not plan.opinion:
        # §5: a default opinion is recorded at decision time, never invented at print time.
        plan.opinion = default_opinion(action, values.get("conclusion", ""))
    if action == Action.PUBLISH_NOTICE:
        if notice is None:
            raise ValidationFailed.on_field("notice", _("请指定公示。"), code="notice_required")
        if (notice.authority_id, notice.campaign_id, notice.state) != (
            row.registration_authority_id, row.campaign_id, Notice.State.OPEN,
        ):  # fmt: skip
            raise ValidationFailed.on_field("notice", _("该公示不能用于此申请。"), code="notice_mismatch")
        check_notice_fits(row, notice.ends_at, ctx)
        values["notice_id"], notice_ends_at = notice.pk, notice.ends_at
    if target in BEFORE_CONCLUSION:
        values |= {"conclusion": "", "conclusion_reason": "", "override_reason": "", "notice_id": None}
        notice_ends_at = None
    if action in (Action.SUBMIT, Action.RESUBMIT):
        # §4: refused while a material the province requires for this type is missing.
        check_materials(application_id=row.pk, due=row.due, campaign=ctx.campaign(row.campaign_id))
        # The first submission stays the one queues sort by; a resubmission keeps it.
        values["submitted_at"] = FirstSet(ctx.now)
    # completed_at, valid_from and valid_to are completion's to write (exactly once).
    campaign = ctx.campaign(row.campaign_id)
    values["step_deadline"] = deadline_for(status=target, campaign=campaign, notice_ends_at=notice_ends_at)
    details = {"action": action, "from": row.status, "to": target, "version": row.version + 1}
    if plan.reason_code:
        details["reason_code"] = plan.reason_code
    if values.get("conclusion"):
        details |= {"conclusion": values["conclusion"], "suggestion": row.suggestion}
        details["overridden"] = bool(values["override_reason"])
    if values.get("notice_id"):
        details["notice"] = values["notice_id"]
    plan.details, plan.extra["notice"] = details, notice
