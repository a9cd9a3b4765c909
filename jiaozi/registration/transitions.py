"""Running the workflow (§5): one service that moves an application along the table in
``workflow.py``, its batch form, and the predicates the pages use to show buttons.

Every transition is checked in this order, each failure raising a ``DomainError`` and
changing nothing:

1. the application is visible to the actor (else ``NotFound``, the same as missing);
2. the actor's level (applicant, school, registration authority, city, province, or the
   public / scheduler for ``actor=None``) takes this action somewhere in the table
   (else ``PermissionDenied``) and is not the teacher themselves (``conflict_of_interest``);
3. the action is legal for that level from the current status (``Conflict`` code
   ``wrong_stage``) and the caller saw the current version (``stale_version``);
4. the window of the acting level is open (``WindowClosed``; objections only while the
   notice runs, the notice ends only after its period);
5. reasons, conclusion and override reason where the table and §4 ask for them
   (``ValidationFailed``).

Then, in one transaction: the compare-and-set ``UPDATE … WHERE pk, status, version``
(exactly one row, or ``stale_version``), an ``ApplicationStep``, the audit row under the
acting institution, the applicant's notification (its SMS / e-mail copies are queued on
commit) and, for the province's approval, ``completion.application_complete``. Anything
raised after the state write rolls all of it back together.

Services take only explicit arguments: status, conclusion, institution and reviewer
come from the table, the stored application and the signed-in actor, never from a form.
See docs/workflow.md and docs/decisions/0080-0089.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import AuditItem, audit_record, audit_record_many
from jiaozi.core import clock
from jiaozi.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    WindowClosed,
)
from jiaozi.notifications.services import INBOX, notify, notify_many
from jiaozi.teachers.models import Conclusion

from .applications.selectors import application_list_visible_to, deadline_for
from .campaigns.windows import format_window, window_check
from .models import Application, ApplicationStep, Campaign, Notice
from .workflow import (
    ACTIONS_OF_LEVEL,
    LEVELS_OF_ACTION,
    TABLE,
    WINDOW_OF,
    Action,
    Actor,
    Status,
    Transition,
    target_for,
)

# --- Vocabulary ------------------------------------------------------------------------


class ReturnReason(models.TextChoices):
    """Coded reasons for a return (and for any reasoned action taken in a batch). The
    code goes into the step and the audit row; the label is the opinion the applicant
    reads when no text was written. ``OTHER`` needs a written reason."""

    MATERIALS_MISSING = "materials_missing", gettext_lazy("申请材料不齐全")
    MATERIALS_UNCLEAR = "materials_unclear", gettext_lazy("申请材料不清晰或无法辨认")
    INFO_MISMATCH = "info_mismatch", gettext_lazy("申请信息与档案记录不一致")
    APPRAISAL_UNVERIFIED = "appraisal_unverified", gettext_lazy("年度考核或师德考核情况需核实")
    TRAINING_UNVERIFIED = "training_unverified", gettext_lazy("培训学时证明不足或需核实")
    BREAK_UNVERIFIED = "break_unverified", gettext_lazy("中止教育教学工作情况需核实")
    NOT_ELIGIBLE = "not_eligible", gettext_lazy("不符合本次定期注册条件")
    CONCLUSION_UNSUPPORTED = "conclusion_unsupported", gettext_lazy("注册结论依据不足，需重新审核")
    OTHER = "other", gettext_lazy("其他原因（须说明）")


# Staff role → (level, the Application FK naming the institution that acts at it).
ROLE_LEVEL: dict[str, tuple[str, str]] = {
    Role.SCHOOL_REVIEWER: (Actor.SCHOOL, "school_id"),
    Role.REGISTRATION_REVIEWER: (Actor.REGISTRATION, "registration_authority_id"),
    Role.CITY_RECHECKER: (Actor.CITY, "city_bureau_id"),
    Role.PROVINCE_REVIEWER: (Actor.PROVINCE, "province_bureau_id"),
}

AUDIT_KIND: dict[str, AuditKind] = {
    Action.SUBMIT: AuditKind.APPLICATION_SUBMITTED,
    Action.RESUBMIT: AuditKind.APPLICATION_RESUBMITTED,
    Action.WITHDRAW: AuditKind.APPLICATION_WITHDRAWN,
    Action.SCHOOL_APPROVE: AuditKind.APPLICATION_SCHOOL_APPROVED,
    Action.CONCLUDE: AuditKind.APPLICATION_CONCLUDED,
    Action.REVISE: AuditKind.APPLICATION_CONCLUSION_REVISED,
    Action.PUBLISH_NOTICE: AuditKind.APPLICATION_NOTICE_PUBLISHED,
    Action.OBJECT: AuditKind.APPLICATION_OBJECTED,
    Action.UPHOLD_OBJECTION: AuditKind.APPLICATION_OBJECTION_UPHELD,
    Action.DISMISS_OBJECTION: AuditKind.APPLICATION_OBJECTION_DISMISSED,
    Action.NOTICE_END: AuditKind.APPLICATION_NOTICE_ENDED,
    Action.CITY_APPROVE: AuditKind.APPLICATION_CITY_APPROVED,
    Action.PROVINCE_APPROVE: AuditKind.APPLICATION_PROVINCE_APPROVED,
    Action.RETURN_TO_APPLICANT: AuditKind.APPLICATION_RETURNED_TO_APPLICANT,
    Action.RETURN_DOWN: AuditKind.APPLICATION_RETURNED_DOWN,
}

SMS = "sms"


@dataclass(frozen=True)
class Announcement:
    """What the applicant is told about an action: inbox always, SMS where they must act
    or the outcome is final. Bodies never carry the reviewer's free text (it may be
    long or personal and SMS goes through a gateway): the page shows the opinion."""

    kind: str
    title: Any
    body: Any
    channels: tuple[str, ...] = (INBOX,)


# CONCLUDE and REVISE are the registration authority's deliberation before anything is
# published; the applicant hears the conclusion when it goes on notice.
ANNOUNCEMENTS: dict[str, Announcement] = {
    Action.SUBMIT: Announcement(
        "registration.submitted",
        gettext_lazy("定期注册申请已提交"),
        gettext_lazy("您的定期注册申请已提交，等待学校审查。"),
    ),
    Action.RESUBMIT: Announcement(
        "registration.resubmitted",
        gettext_lazy("定期注册申请已重新提交"),
        gettext_lazy("您的定期注册申请已重新提交，等待学校审查。"),
    ),
    Action.WITHDRAW: Announcement(
        "registration.withdrawn",
        gettext_lazy("定期注册申请已撤回"),
        gettext_lazy("您已撤回定期注册申请。如需注册，请在申请期内重新申请。"),
    ),
    Action.SCHOOL_APPROVE: Announcement(
        "registration.school_approved",
        gettext_lazy("学校审查已通过"),
        gettext_lazy("学校已审查通过您的定期注册申请，并报送注册机构审核。"),
    ),
    Action.PUBLISH_NOTICE: Announcement(
        "registration.noticed",
        gettext_lazy("注册结论已公示"),
        gettext_lazy("您的定期注册结论已进入公示期，请登录系统查看。"),
        (INBOX, SMS),
    ),
    Action.OBJECT: Announcement(
        "registration.objected",
        gettext_lazy("公示期间收到异议"),
        gettext_lazy("您的定期注册公示收到异议，注册机构核实处理后继续办理。"),
    ),
    Action.UPHOLD_OBJECTION: Announcement(
        "registration.objection_upheld",
        gettext_lazy("公示异议成立"),
        gettext_lazy("公示异议经核实成立，注册机构将重新作出注册结论并公示，请登录系统查看。"),
        (INBOX, SMS),
    ),
    Action.DISMISS_OBJECTION: Announcement(
        "registration.objection_dismissed",
        gettext_lazy("公示异议不成立"),
        gettext_lazy("公示异议经核实不成立，您的定期注册申请继续公示。"),
    ),
    Action.NOTICE_END: Announcement(
        "registration.notice_ended",
        gettext_lazy("公示期满"),
        gettext_lazy("您的定期注册公示期已满，申请已报送上级复核。"),
    ),
    Action.CITY_APPROVE: Announcement(
        "registration.city_approved",
        gettext_lazy("市级复核已通过"),
        gettext_lazy("您的定期注册申请已通过市级复核，等待省级终审。"),
    ),
    Action.PROVINCE_APPROVE: Announcement(
        "registration.completed",
        gettext_lazy("定期注册已完成"),
        gettext_lazy("您的定期注册已通过省级终审并备案，可登录系统查看结论、下载申请表。"),
        (INBOX, SMS),
    ),
    Action.RETURN_TO_APPLICANT: Announcement(
        "registration.returned",
        gettext_lazy("定期注册申请被退回"),
        gettext_lazy("您的定期注册申请被退回，请登录系统查看退回意见，修改后在申请期内重新提交。"),
        (INBOX, SMS),
    ),
    Action.RETURN_DOWN: Announcement(
        "registration.returned_down",
        gettext_lazy("申请退回重新审核"),
        gettext_lazy("您的定期注册申请已退回下一级重新审核，无需您操作。"),
    ),
}

# Conclusions other than 合格 need a written reason (§5).
NEGATIVE_CONCLUSIONS = frozenset({Conclusion.DEFERRED, Conclusion.UNQUALIFIED})
# Going back before the conclusion clears it (and its notice): it is decided again.
BEFORE_CONCLUSION = frozenset(
    {Status.DRAFT, Status.RETURNED, Status.SCHOOL_REVIEW, Status.REGISTRATION_REVIEW}
)
# Actions that record a conclusion: CONCLUDE must, UPHOLD_OBJECTION may revise it.
CONCLUDING = frozenset({Action.CONCLUDE, Action.UPHOLD_OBJECTION})
REASON_MAX = 2000
BATCH_MAX = 10_000
CHUNK = 1000


# --- Inputs and results ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchItem:
    application_id: int
    version: int
    reason_code: str = ""
    reason: str = ""
    conclusion: str = ""
    override_reason: str = ""


@dataclass
class BatchResult:
    succeeded: list[int] = field(default_factory=list)
    # (application id, error code, message)
    failed: list[tuple[int, str, str]] = field(default_factory=list)


# --- Who acts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Who:
    """The acting user, reduced to what the checks read (None for public / system)."""

    user: Any
    kind: str  # "staff", "applicant" or "" (public / system)
    pk: int | None = None
    role: str = ""
    institution_id: int | None = None
    resident_bidx: str | None = None
    phone_bidx: str | None = None


def _who(user: Any) -> _Who:
    if user is None:
        return _Who(user=None, kind="")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(_("您的账号不能办理此业务。"))
    kind = getattr(user, "kind", "")
    return _Who(
        user=user,
        kind=kind,
        pk=user.pk,
        role=getattr(user, "role", "") or "",
        institution_id=getattr(user, "institution_id", None),
        resident_bidx=getattr(user, "resident_id_bidx", None) or None,
        phone_bidx=getattr(user, "phone_bidx", None) or None,
    )


@dataclass(frozen=True, slots=True)
class _Row:
    """What the checks read of an application (from ``values()`` in a batch, or from a
    loaded instance)."""

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

    @property
    def has_city_step(self) -> bool:
        return self.city_bureau_id is not None


ROW_FIELDS: tuple[str, ...] = (
    "pk",
    "status",
    "version",
    "campaign_id",
    "applicant_id",
    "school_id",
    "registration_authority_id",
    "city_bureau_id",
    "province_bureau_id",
    "suggestion",
    "teacher__resident_id_bidx",
    "teacher__phone_bidx",
    "notice_id",
    "notice__starts_at",
    "notice__ends_at",
)


def _row_of(application: Application) -> _Row:
    teacher = application.teacher
    notice = application.notice if application.notice_id else None
    return _Row(
        pk=application.pk,
        status=application.status,
        version=application.version,
        campaign_id=application.campaign_id,
        applicant_id=application.applicant_id,
        school_id=application.school_id,
        registration_authority_id=application.registration_authority_id,
        city_bureau_id=application.city_bureau_id,
        province_bureau_id=application.province_bureau_id,
        suggestion=application.suggestion,
        # The companion columns EncryptedField adds (not declared, so not typed).
        teacher_resident_bidx=getattr(teacher, "resident_id_bidx", None) or None,
        teacher_phone_bidx=getattr(teacher, "phone_bidx", None) or None,
        notice_id=application.notice_id,
        notice_starts_at=notice.starts_at if notice else None,
        notice_ends_at=notice.ends_at if notice else None,
    )


def _rows(queryset: models.QuerySet[Application], ids: Sequence[int]) -> dict[int, _Row]:
    return {values[0]: _Row(*values) for values in queryset.filter(pk__in=ids).values_list(*ROW_FIELDS)}


def level_of(*, who: _Who, row: _Row, action: str) -> str | None:
    """The level at which ``who`` would take ``action`` on ``row``, or None."""
    if who.kind == "":
        levels = LEVELS_OF_ACTION.get(action, frozenset()) & {Actor.PUBLIC, Actor.SYSTEM}
        return next(iter(levels), None)
    if who.kind == "applicant":
        return Actor.APPLICANT if who.pk == row.applicant_id else None
    if who.kind == "staff" and who.role in ROLE_LEVEL:
        level, attr = ROLE_LEVEL[who.role]
        if who.institution_id is not None and who.institution_id == getattr(row, attr):
            return level
    return None


def _is_own(who: _Who, row: _Row) -> bool:
    """Staff whose resident ID or phone is the teacher's: their own application."""
    if who.kind != "staff":
        return False
    return bool(
        (who.resident_bidx and who.resident_bidx == row.teacher_resident_bidx)
        or (who.phone_bidx and who.phone_bidx == row.teacher_phone_bidx)
    )


# --- The checks --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Inputs:
    action: str
    version: int
    reason: str = ""
    reason_code: str = ""
    conclusion: str = ""
    override_reason: str = ""
    coded: bool = False  # a batch item: reasons must be coded


@dataclass(slots=True)
class _Plan:
    """One checked transition, ready to write."""

    row: _Row
    level: str
    transition: Transition
    target: str
    values: dict[str, Any]
    opinion: str
    reason_code: str
    details: dict[str, Any]


class _WindowCache:
    """Window checks per (campaign, window), evaluated once per batch."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._campaigns: dict[int, Campaign] = {}
        self._results: dict[tuple[int, str], WindowClosed | None] = {}

    def campaign(self, pk: int) -> Campaign:
        if pk not in self._campaigns:
            self._campaigns[pk] = Campaign.objects.get(pk=pk)
        return self._campaigns[pk]

    def add(self, campaign: Campaign) -> None:
        self._campaigns[campaign.pk] = campaign

    def check(self, campaign_id: int, window: str) -> None:
        key = (campaign_id, window)
        if key not in self._results:
            try:
                window_check(campaign=self.campaign(campaign_id), action=window, at=self.now)
                self._results[key] = None
            except WindowClosed as exc:
                self._results[key] = exc
        failure = self._results[key]
        if failure is not None:
            raise failure


def _permitted(who: _Who, row: _Row, action: str) -> str:
    """The acting level, or PermissionDenied (wrong role / level / own application)."""
    level = level_of(who=who, row=row, action=action)
    if level is None or action not in ACTIONS_OF_LEVEL.get(level, frozenset()):
        raise PermissionDenied(_("您无权对该申请执行此操作。"))
    if _is_own(who, row):
        raise PermissionDenied(
            _("不能审核本人的定期注册申请，请由同级其他工作人员办理。"), code="conflict_of_interest"
        )
    return level


def _legal(row: _Row, action: str, level: str) -> Transition:
    transition = TABLE.get((row.status, action))
    if transition is None or transition.actor != level:
        raise Conflict(
            _("该申请当前状态为「%(status)s」，不能执行「%(action)s」。")
            % {"status": Status(row.status).label, "action": Action(action).label},
            code="wrong_stage",
            status=row.status,
        )
    return transition


def _fresh(row: _Row, version: int) -> None:
    if version != row.version:
        raise Conflict(
            _("该申请已被他人处理或修改，请刷新后重试。"),
            code="stale_version",
            version=row.version,
        )


def _timing(row: _Row, action: str, level: str, windows: _WindowCache) -> None:
    windows.check(row.campaign_id, WINDOW_OF[level])
    now = windows.now
    if action == Action.OBJECT:
        # Objections are taken only while the notice runs (its own half-open window).
        starts, ends = row.notice_starts_at, row.notice_ends_at
        if starts is None or ends is None or not starts <= now < ends:
            dates = format_window(starts, ends) if starts and ends else ""
            raise WindowClosed(
                _("公示期为%(dates)s，当前不在公示期内，不能提出异议。") % {"dates": dates},
                window="notice",
            )
    if action == Action.NOTICE_END and (row.notice_ends_at is None or now < row.notice_ends_at):
        raise Conflict(_("公示期尚未届满。"), code="notice_running")


def _reason(inputs: _Inputs, *, required: bool) -> tuple[str, str]:
    """(opinion text, reason code). A required reason is a written text or, except
    ``other``, a code whose label then serves as the opinion; a batch item needs the code."""
    text = inputs.reason.strip()
    code = inputs.reason_code.strip()
    if len(text) > REASON_MAX:
        raise ValidationFailed(
            _("理由不能超过%(max)d字。") % {"max": REASON_MAX}, code="reason_too_long", field="reason"
        )
    if code and code not in ReturnReason.values:
        raise ValidationFailed(_("理由代码无效。"), code="invalid_reason_code", field="reason_code")
    if required and inputs.coded and not code:
        raise ValidationFailed(
            _("批量操作须为每条申请选择理由代码。"), code="reason_required", field="reason_code"
        )
    if required and not text and (not code or code == ReturnReason.OTHER):
        raise ValidationFailed(_("请填写理由。"), code="reason_required", field="reason")
    if not text and code:
        # The label becomes the written opinion (the form prints it): the site's language.
        with translation.override(settings.LANGUAGE_CODE):
            text = str(ReturnReason(code).label)
    return text, code


def _conclusion(row: _Row, inputs: _Inputs, opinion: str, *, required: bool) -> dict[str, Any]:
    """The conclusion fields CONCLUDE (and an upheld objection) write."""
    conclusion = inputs.conclusion.strip()
    if not conclusion:
        if required:
            raise ValidationFailed(_("请选择注册结论。"), code="conclusion_required", field="conclusion")
        return {}
    if conclusion not in Conclusion.values:
        raise ValidationFailed(_("注册结论无效。"), code="invalid_conclusion", field="conclusion")
    if conclusion in NEGATIVE_CONCLUSIONS and not opinion:
        raise ValidationFailed(_("暂缓注册或注册不合格须说明理由。"), code="reason_required", field="reason")
    override = inputs.override_reason.strip()
    overridden = bool(row.suggestion) and conclusion != row.suggestion
    if overridden and not override:
        raise ValidationFailed(
            _("注册结论与系统建议不一致，请说明不采纳建议的理由。"),
            code="override_reason_required",
            field="override_reason",
        )
    if len(override) > REASON_MAX:
        raise ValidationFailed(
            _("理由不能超过%(max)d字。") % {"max": REASON_MAX},
            code="reason_too_long",
            field="override_reason",
        )
    return {
        "conclusion": conclusion,
        "conclusion_reason": opinion,
        "override_reason": override if overridden else "",
    }


def _notice_ok(row: _Row, notice: Notice | None) -> Notice:
    if notice is None:
        raise ValidationFailed(_("请指定公示。"), code="notice_required", field="notice")
    if (
        notice.authority_id != row.registration_authority_id
        or notice.campaign_id != row.campaign_id
        or notice.state != Notice.State.OPEN
    ):
        raise ValidationFailed(_("该公示不能用于此申请。"), code="notice_mismatch", field="notice")
    return notice


def _plan(
    *,
    who: _Who,
    row: _Row,
    inputs: _Inputs,
    windows: _WindowCache,
    notice: Notice | None = None,
) -> _Plan:
    action = inputs.action
    level = _permitted(who, row, action)
    transition = _legal(row, action, level)
    _fresh(row, inputs.version)
    _timing(row, action, level, windows)

    opinion, reason_code = _reason(inputs, required=transition.needs_reason)
    target = target_for(transition, has_city_step=row.has_city_step)
    now = windows.now
    values: dict[str, Any] = {}
    notice_ends_at = row.notice_ends_at
    if action in CONCLUDING:
        values |= _conclusion(row, inputs, opinion, required=action == Action.CONCLUDE)
    if action == Action.PUBLISH_NOTICE:
        published = _notice_ok(row, notice)
        values["notice_id"] = published.pk
        notice_ends_at = published.ends_at
    if target in BEFORE_CONCLUSION:
        values |= {"conclusion": "", "conclusion_reason": "", "override_reason": "", "notice_id": None}
        notice_ends_at = None
    if action in (Action.SUBMIT, Action.RESUBMIT):
        values["submitted_at"] = now
    # completed_at, valid_from and valid_to are completion's to write (exactly once).
    values["step_deadline"] = deadline_for(
        status=target, campaign=windows.campaign(row.campaign_id), notice_ends_at=notice_ends_at
    )

    details: dict[str, Any] = {"action": action, "from": row.status, "to": target, "version": row.version + 1}
    if reason_code:
        details["reason_code"] = reason_code
    if values.get("conclusion"):
        details["conclusion"] = values["conclusion"]
        details["suggestion"] = row.suggestion
        details["overridden"] = bool(values["override_reason"])
    if values.get("notice_id"):
        details["notice"] = values["notice_id"]
    return _Plan(
        row=row,
        level=level,
        transition=transition,
        target=target,
        values=values,
        opinion=opinion,
        reason_code=reason_code,
        details=details,
    )


# --- Writing -----------------------------------------------------------------------------


def _acting_institution(plan: _Plan, who: _Who) -> int | None:
    """The institution whose audit chain records the step: the staff member's; for the
    scheduler the registration authority whose notice ended; none (the public chains)
    for the applicant and the public."""
    if who.kind == "staff":
        return who.institution_id
    if plan.level == Actor.SYSTEM:
        return plan.row.registration_authority_id
    return None


def _step(plan: _Plan, who: _Who, now: dt.datetime) -> ApplicationStep:
    return ApplicationStep(
        application_id=plan.row.pk,
        action=plan.transition.action,
        from_status=plan.row.status,
        to_status=plan.target,
        actor_id=who.pk,
        institution_id=who.institution_id if who.kind == "staff" else None,
        opinion=plan.opinion,
        reason_code=plan.reason_code,
        at=now,
    )


def _applicant_link(application_id: int | None = None) -> str:
    """The application's page in the applicant area; a batch shares one link, so it
    points at the applicant's home, which lists their applications."""
    if application_id is not None:
        return reverse("applicants:application_detail", args=[application_id])
    return reverse("applicants:home")


def _texts(announcement: Announcement) -> tuple[str, str]:
    # In the site's language, not the acting reviewer's: the applicant reads them.
    with translation.override(settings.LANGUAGE_CODE):
        return str(announcement.title), str(announcement.body)


def _orm_values(values: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    update = dict(values)
    if "submitted_at" in update:
        # The first submission stays the one queues sort by; a resubmission keeps it.
        update["submitted_at"] = Coalesce(F("submitted_at"), Value(update["submitted_at"]))
    return update | {"updated_at": now}


def _write_one(plan: _Plan, who: _Who, now: dt.datetime) -> Application:
    row = plan.row
    updated = Application.objects.filter(pk=row.pk, status=row.status, version=row.version).update(
        status=plan.target, version=F("version") + 1, **_orm_values(plan.values, now)
    )
    if updated != 1:
        raise Conflict(_("该申请已被他人处理或修改，请刷新后重试。"), code="stale_version")
    step = _step(plan, who, now)
    step.save(force_insert=True)
    application = _load(Application.objects.all(), row.pk)
    audit_record(
        kind=AUDIT_KIND[plan.transition.action],
        actor=who.user,
        institution_id=_acting_institution(plan, who),
        obj=application,
        details=plan.details | {"step": step.pk},
    )
    announcement = ANNOUNCEMENTS.get(plan.transition.action)
    if announcement is not None:
        title, body = _texts(announcement)
        notify(
            user=application.applicant,
            kind=announcement.kind,
            title=title,
            body=body,
            link=_applicant_link(application.pk),
            channels=announcement.channels,
        )
    if plan.transition.action == Action.PROVINCE_APPROVE:
        _complete(application, who)
    return application


def _complete(application: Application, who: _Who) -> None:
    # Imported here: completion builds on this module's results, not the other way.
    from .completion import application_complete

    application_complete(application=application, actor=who.user)


def _load(queryset: models.QuerySet[Application], pk: Any) -> Application:
    return queryset.select_related(
        "campaign",
        "teacher",
        "certificate",
        "applicant",
        "school",
        "registration_authority",
        "city_bureau",
        "province_bureau",
        "notice",
    ).get(pk=pk)


def _visible(who: _Who) -> models.QuerySet[Application]:
    if who.kind == "":
        return Application.objects.all()
    return application_list_visible_to(user=who.user)


def _check_action(action: str, who: _Who) -> str:
    if action not in Action.values:
        raise ValidationFailed(_("未知的操作。"), code="unknown_action", field="action")
    if who.kind == "" and not LEVELS_OF_ACTION[action] & {Actor.PUBLIC, Actor.SYSTEM}:
        raise PermissionDenied(_("此操作须由工作人员或申请人本人办理。"))
    return action


def _load_notice(notice: Notice | int | None) -> Notice | None:
    if notice is None or isinstance(notice, Notice):
        return notice
    return Notice.objects.filter(pk=notice).first()


def application_transition(
    *,
    actor: Any,
    application_id: int,
    action: str,
    version: int,
    reason: str = "",
    reason_code: str = "",
    conclusion: str = "",
    override_reason: str = "",
    notice: Notice | int | None = None,
) -> Application:
    """Take ``action`` on the application (see the module docstring for the checks).

    ``actor`` None is the public (OBJECT) or the scheduler (NOTICE_END). ``reason`` is
    the opinion (required where the table says, and for 暂缓/不合格); ``notice`` the
    Notice (or its pk) a PUBLISH_NOTICE puts the application on. Returns the
    application as written, related objects loaded."""
    who = _who(actor)
    action = _check_action(action, who)
    now = clock.now()
    windows = _WindowCache(now)
    queryset = _visible(who)
    try:
        application = _load(queryset, application_id)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("申请不存在或不在您的管辖范围内。")) from None
    windows.add(application.campaign)
    inputs = _Inputs(
        action=action,
        version=version,
        reason=reason or "",
        reason_code=reason_code or "",
        conclusion=conclusion or "",
        override_reason=override_reason or "",
    )
    plan = _plan(
        who=who, row=_row_of(application), inputs=inputs, windows=windows, notice=_load_notice(notice)
    )
    with transaction.atomic():
        return _write_one(plan, who, now)


# --- Batches -----------------------------------------------------------------------------


def _chunks(items: Sequence[BatchItem], size: int) -> Iterator[Sequence[BatchItem]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _cas_many(plans: Sequence[_Plan], now: dt.datetime) -> set[int]:
    """Compare-and-set many applications at once; returns the pks actually moved.

    One ``UPDATE … WHERE id IN (…) AND status = … AND version = … RETURNING id`` per
    group of plans that write the same values (PostgreSQL and SQLite ≥ 3.35 both
    return the rows they changed, so a row a concurrent writer moved first is simply
    not among them)."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for plan in plans:
        key = (plan.row.status, plan.row.version, plan.target, tuple(sorted(plan.values.items())))
        groups[key].append(plan.row.pk)
    moved: set[int] = set()
    meta = Application._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_col = quote(str(cast(models.Field, meta.pk).column))
    for (status, version, target, values), ids in groups.items():
        sets = [f"{quote('status')} = %s", f"{quote('version')} = {quote('version')} + 1"]
        params: list[Any] = [target]
        for name, value in (*values, ("updated_at", now)):
            model_field = cast(models.Field, meta.get_field(name))  # by name or attname ("notice_id")
            column = quote(str(model_field.column))
            prepared = model_field.get_db_prep_save(value, connection)
            if name == "submitted_at":
                sets.append(f"{column} = COALESCE({column}, %s)")
            else:
                sets.append(f"{column} = %s")
            params.append(prepared)
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608 (identifiers from model metadata)
            f"WHERE {pk_col} IN ({marks}) AND {quote('status')} = %s AND {quote('version')} = %s "
            f"RETURNING {pk_col}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *ids, status, version])
            moved.update(row[0] for row in cursor.fetchall())
    return moved


def _announce_many(plans: Iterable[_Plan]) -> None:
    """One notify_many per kind of announcement (a batch shares its action)."""
    by_action: dict[str, list[int]] = defaultdict(list)
    for plan in plans:
        if plan.transition.action in ANNOUNCEMENTS:
            by_action[plan.transition.action].append(plan.row.applicant_id)
    from jiaozi.accounts.models import User

    for action, applicant_ids in by_action.items():
        announcement = ANNOUNCEMENTS[action]
        title, body = _texts(announcement)
        notify_many(
            users=[User(pk=pk) for pk in applicant_ids],
            kind=announcement.kind,
            title=title,
            body=body,
            link=_applicant_link(),
            channels=announcement.channels,
        )


def _write_many(plans: list[_Plan], who: _Who, now: dt.datetime, result: BatchResult) -> None:
    """Write one chunk's checked plans in the current transaction."""
    if not plans:
        return
    action = plans[0].transition.action
    if action == Action.PROVINCE_APPROVE:
        # Completion writes the certificate and issues a token per application; each
        # item gets its own savepoint so one refusal leaves the others filed.
        won: list[_Plan] = []
        for plan in plans:
            try:
                with transaction.atomic():
                    if not _cas_many([plan], now):
                        raise Conflict(_("该申请已被他人处理或修改，请刷新后重试。"), code="stale_version")
                    _complete(_load(Application.objects.all(), plan.row.pk), who)
            except DomainError as exc:
                result.failed.append((plan.row.pk, exc.code, exc.message))
            else:
                won.append(plan)
    else:
        moved = _cas_many(plans, now)
        won = [plan for plan in plans if plan.row.pk in moved]
        for plan in plans:
            if plan.row.pk not in moved:
                result.failed.append(
                    (plan.row.pk, "stale_version", _("该申请已被他人处理或修改，请刷新后重试。"))
                )
    if not won:
        return
    steps = ApplicationStep.objects.bulk_create([_step(plan, who, now) for plan in won], batch_size=2000)
    audit_record_many(
        kind=AUDIT_KIND[action],
        actor=who.user,
        items=[
            AuditItem(
                object_type=Application._meta.label_lower,
                object_id=plan.row.pk,
                institution_id=_acting_institution(plan, who),
                details=plan.details | {"step": step.pk},
            )
            for plan, step in zip(won, steps, strict=True)
        ],
    )
    _announce_many(won)
    result.succeeded.extend(plan.row.pk for plan in won)


def application_transition_batch(
    *,
    actor: Any,
    action: str,
    items: Sequence[BatchItem],
    notice: Notice | int | None = None,
) -> BatchResult:
    """Take ``action`` on many applications; each item succeeds or fails on its own.

    The same checks as ``application_transition`` per item, except that a reasoned
    action needs a ``ReturnReason`` code per item. Items are written a chunk at a time
    (one transaction each), set-based: one compare-and-set statement per group of equal
    writes, bulk steps, ``audit_record_many``, ``notify_many``. ``notice`` serves
    PUBLISH_NOTICE. A failing item is reported as (id, code, message)."""
    who = _who(actor)
    action = _check_action(action, who)
    if len(items) > BATCH_MAX:
        raise ValidationFailed(
            _("一次最多批量处理%(max)d条申请。") % {"max": BATCH_MAX}, code="batch_too_large"
        )
    result = BatchResult()
    now = clock.now()
    windows = _WindowCache(now)
    published = _load_notice(notice)
    queryset = _visible(who)
    seen: set[int] = set()
    for chunk in _chunks(items, CHUNK):
        rows = _rows(queryset, [item.application_id for item in chunk])
        plans: list[_Plan] = []
        for item in chunk:
            pk = item.application_id
            if pk in seen:
                result.failed.append((pk, "duplicate", _("同一申请在批量操作中重复出现。")))
                continue
            seen.add(pk)
            row = rows.get(pk)
            if row is None:
                result.failed.append((pk, NotFound.code, _("申请不存在或不在您的管辖范围内。")))
                continue
            inputs = _Inputs(
                action=action,
                version=item.version,
                reason=item.reason,
                reason_code=item.reason_code,
                conclusion=item.conclusion,
                override_reason=item.override_reason,
                coded=True,
            )
            try:
                plans.append(_plan(who=who, row=row, inputs=inputs, windows=windows, notice=published))
            except DomainError as exc:
                result.failed.append((pk, exc.code, exc.message))
        with transaction.atomic():
            _write_many(plans, who, now, result)
    return result


# --- Predicates for pages --------------------------------------------------------------------


def can_act(*, user: Any, application: Application, action: str) -> bool:
    """Whether ``user`` could take ``action`` on ``application`` now (role, level,
    stage, own application, window; not the reasons, which the form asks for). Reads
    the application's campaign, teacher and notice: load them with ``select_related``."""
    if action not in Action.values:
        return False
    try:
        who = _who(user)
        if who.kind == "":
            return False
        row = _row_of(application)
        level = _permitted(who, row, action)
        _legal(row, action, level)
        windows = _WindowCache(clock.now())
        windows.add(application.campaign)
        _timing(row, action, level, windows)
    except DomainError:
        return False
    return True


_NOBODY = frozenset({Actor.PUBLIC, Actor.SYSTEM})


def actions_for(*, user: Any, application: Application) -> list[str]:
    """The actions ``user`` could take on ``application`` now, in table order."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    candidates = [
        t.action for t in TABLE.values() if t.source == application.status and t.actor not in _NOBODY
    ]
    return [
        action
        for action in dict.fromkeys(candidates)
        if can_act(user=user, application=application, action=action)
    ]
