"""The registration workflow (§5) in one place: every status, every action, and the one
table ``(status, action) → status`` with who may take it.

Nothing else assigns ``Application.status``: ``transitions.py`` runs this table on the
workflow engine (``jiaozi.workflow``), which checks and compare-and-sets. Which staff
role acts at which level is said once, in ``REVIEW_LEVELS``; the queues and the
transitions derive from it. ``docs/workflow.md`` draws this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from jiaozi.accounts.roles import Role
from jiaozi.workflow.table import Branch, Requires, Transition, TransitionTable
from jiaozi.workflow.table import IllegalTransition as IllegalTransition


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SCHOOL_REVIEW = "school_review", _("待学校审查")
    REGISTRATION_REVIEW = "registration_review", _("待注册审核")
    CONCLUDED = "concluded", _("已作结论待公示")
    NOTICE = "notice", _("公示中")
    NOTICE_PAUSED = "notice_paused", _("公示异议处理中")
    CITY_RECHECK = "city_recheck", _("待市级复核")
    PROVINCE_REVIEW = "province_review", _("待省级终审")
    COMPLETED = "completed", _("已完成（已备案）")
    RETURNED = "returned", _("已退回申请人")
    WITHDRAWN = "withdrawn", _("已撤回")
    # 申请复核 (§5): the level above the registration authority decides.
    REVIEW_AT_CITY = "review_at_city", _("申请复核，待市级决定")
    REVIEW_AT_PROVINCE = "review_at_province", _("申请复核，待省级决定")
    # A filed registration the province revoked after a spot check (oversight).
    REVOKED = "revoked", _("已撤销注册")


class Action(models.TextChoices):
    SUBMIT = "submit", _("提交申请")
    RESUBMIT = "resubmit", _("重新提交")
    WITHDRAW = "withdraw", _("撤回申请")
    SCHOOL_APPROVE = "school_approve", _("学校审查通过并报送")
    CONCLUDE = "conclude", _("作出注册结论")
    REVISE = "revise", _("修改结论")
    PUBLISH_NOTICE = "publish_notice", _("发布公示")
    OBJECT = "object", _("提出异议")
    UPHOLD_OBJECTION = "uphold_objection", _("异议成立（修改结论并重新公示）")
    DISMISS_OBJECTION = "dismiss_objection", _("异议不成立（继续公示）")
    NOTICE_END = "notice_end", _("公示期满")
    CITY_APPROVE = "city_approve", _("市级复核通过")
    PROVINCE_APPROVE = "province_approve", _("省级终审通过并备案")
    RETURN_TO_APPLICANT = "return_to_applicant", _("退回申请人")
    RETURN_DOWN = "return_down", _("退回下一级")
    REQUEST_REVIEW = "request_review", _("申请复核")
    UPHOLD_REVIEW = "uphold_review", _("复核维持原结论")
    SEND_BACK_REVIEW = "send_back_review", _("复核发回重新作出结论")
    # Not a transition: the timeline's record that the suggestion was recomputed after
    # the teacher's records changed during review (§4 "one per person").
    RECOMPUTE = "recompute", _("教师档案变化，系统建议已重新计算")
    REVOKE = "revoke", _("撤销注册")


class ActingLevel(models.TextChoices):
    """Who takes an action: the applicant, a level of the review chain, the public, or
    the scheduler."""

    APPLICANT = "applicant", _("申请人")
    SCHOOL = "school", _("学校")
    REGISTRATION = "registration", _("注册机构")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")
    PUBLIC = "public", _("公众")
    SYSTEM = "system", _("系统")
    # The province's supervision (spot checks, §5): acts on filed registrations at any
    # time, outside the campaign's windows.
    OVERSIGHT = "oversight", _("省级监督")


# The name the level choices had before the acting identity (``jiaozi.accounts.actor``)
# took the word; kept so callers keep working.
Actor = ActingLevel


# RETURN_DOWN and NOTICE_END have targets that depend on the chain (a 省直管县 or a
# province-level reviewer has no city step); ``target_for`` resolves them.
CITY_OR_PROVINCE = "@city_or_province"
DOWN_FROM_PROVINCE = "@down_from_province"
# A review of a conclusion goes to the level above the registration authority: the city,
# or the province where the chain has no city step.
REVIEW_LEVEL_ABOVE = "@review_level_above"

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.DRAFT, Action.SUBMIT, Status.SCHOOL_REVIEW, ActingLevel.APPLICANT),
    Transition(Status.DRAFT, Action.WITHDRAW, Status.WITHDRAWN, ActingLevel.APPLICANT),
    Transition(Status.RETURNED, Action.RESUBMIT, Status.SCHOOL_REVIEW, ActingLevel.APPLICANT),
    Transition(Status.RETURNED, Action.WITHDRAW, Status.WITHDRAWN, ActingLevel.APPLICANT),
    # The applicant may withdraw until the school has acted.
    Transition(Status.SCHOOL_REVIEW, Action.WITHDRAW, Status.WITHDRAWN, ActingLevel.APPLICANT),
    Transition(Status.SCHOOL_REVIEW, Action.SCHOOL_APPROVE, Status.REGISTRATION_REVIEW, ActingLevel.SCHOOL),
    Transition(Status.SCHOOL_REVIEW, Action.RETURN_TO_APPLICANT, Status.RETURNED, ActingLevel.SCHOOL, True),
    Transition(Status.REGISTRATION_REVIEW, Action.CONCLUDE, Status.CONCLUDED, ActingLevel.REGISTRATION),
    Transition(
        Status.REGISTRATION_REVIEW,
        Action.RETURN_TO_APPLICANT,
        Status.RETURNED,
        ActingLevel.REGISTRATION,
        True,
    ),
    Transition(
        Status.REGISTRATION_REVIEW, Action.RETURN_DOWN, Status.SCHOOL_REVIEW, ActingLevel.REGISTRATION, True
    ),
    Transition(Status.CONCLUDED, Action.REVISE, Status.REGISTRATION_REVIEW, ActingLevel.REGISTRATION, True),
    Transition(Status.CONCLUDED, Action.PUBLISH_NOTICE, Status.NOTICE, ActingLevel.REGISTRATION),
    Transition(Status.NOTICE, Action.OBJECT, Status.NOTICE_PAUSED, ActingLevel.PUBLIC),
    Transition(Status.NOTICE, Action.NOTICE_END, CITY_OR_PROVINCE, ActingLevel.SYSTEM),
    Transition(
        Status.NOTICE_PAUSED, Action.UPHOLD_OBJECTION, Status.CONCLUDED, ActingLevel.REGISTRATION, True
    ),
    Transition(Status.NOTICE_PAUSED, Action.DISMISS_OBJECTION, Status.NOTICE, ActingLevel.REGISTRATION, True),
    Transition(Status.CITY_RECHECK, Action.CITY_APPROVE, Status.PROVINCE_REVIEW, ActingLevel.CITY),
    Transition(Status.CITY_RECHECK, Action.RETURN_DOWN, Status.REGISTRATION_REVIEW, ActingLevel.CITY, True),
    Transition(Status.CITY_RECHECK, Action.RETURN_TO_APPLICANT, Status.RETURNED, ActingLevel.CITY, True),
    Transition(Status.PROVINCE_REVIEW, Action.PROVINCE_APPROVE, Status.COMPLETED, ActingLevel.PROVINCE),
    Transition(Status.PROVINCE_REVIEW, Action.RETURN_DOWN, DOWN_FROM_PROVINCE, ActingLevel.PROVINCE, True),
    Transition(
        Status.PROVINCE_REVIEW, Action.RETURN_TO_APPLICANT, Status.RETURNED, ActingLevel.PROVINCE, True
    ),
    # 申请复核 (§5): within the set period after the notice ends, an applicant concluded
    # 暂缓注册 or 注册不合格 asks the level above to review; it upholds (the application goes
    # on where it was) or sends it back for a new conclusion, which is noticed again.
    Transition(
        Status.CITY_RECHECK, Action.REQUEST_REVIEW, Status.REVIEW_AT_CITY, ActingLevel.APPLICANT, True
    ),
    Transition(
        Status.PROVINCE_REVIEW, Action.REQUEST_REVIEW, REVIEW_LEVEL_ABOVE, ActingLevel.APPLICANT, True
    ),
    Transition(Status.REVIEW_AT_CITY, Action.UPHOLD_REVIEW, Status.CITY_RECHECK, ActingLevel.CITY, True),
    Transition(
        Status.REVIEW_AT_CITY, Action.SEND_BACK_REVIEW, Status.REGISTRATION_REVIEW, ActingLevel.CITY, True
    ),
    Transition(
        Status.REVIEW_AT_PROVINCE, Action.UPHOLD_REVIEW, Status.PROVINCE_REVIEW, ActingLevel.PROVINCE, True
    ),
    Transition(
        Status.REVIEW_AT_PROVINCE,
        Action.SEND_BACK_REVIEW,
        Status.REGISTRATION_REVIEW,
        ActingLevel.PROVINCE,
        True,
    ),
    Transition(Status.COMPLETED, Action.REVOKE, Status.REVOKED, ActingLevel.OVERSIGHT, True),
)


# Where an application waits, which level holds it (for queues and the timeline).
HOLDER: dict[str, str] = {
    Status.DRAFT: ActingLevel.APPLICANT,
    Status.RETURNED: ActingLevel.APPLICANT,
    Status.SCHOOL_REVIEW: ActingLevel.SCHOOL,
    Status.REGISTRATION_REVIEW: ActingLevel.REGISTRATION,
    Status.CONCLUDED: ActingLevel.REGISTRATION,
    Status.NOTICE: ActingLevel.PUBLIC,
    Status.NOTICE_PAUSED: ActingLevel.REGISTRATION,
    Status.CITY_RECHECK: ActingLevel.CITY,
    Status.PROVINCE_REVIEW: ActingLevel.PROVINCE,
    Status.REVIEW_AT_CITY: ActingLevel.CITY,
    Status.REVIEW_AT_PROVINCE: ActingLevel.PROVINCE,
}

# The campaign window (models.WindowAction value) that governs each acting level (§3).
# The public and the scheduler act while the system is open; objections additionally
# only while the notice runs.
WINDOW_OF: dict[str, str] = {
    ActingLevel.APPLICANT: "apply",
    ActingLevel.SCHOOL: "school_review",
    ActingLevel.REGISTRATION: "review",
    ActingLevel.CITY: "recheck",
    ActingLevel.PROVINCE: "final_review",
    ActingLevel.PUBLIC: "system",
    ActingLevel.SYSTEM: "system",
}


def _has_city_step(row: Any) -> bool:
    return bool(row.has_city_step)


APPLICATION_TABLE = TransitionTable(
    transitions=TRANSITIONS,
    levels=tuple(ActingLevel.values),
    actions=tuple(Action.values),
    branches={
        CITY_OR_PROVINCE: Branch(
            Status.CITY_RECHECK, Status.PROVINCE_REVIEW, _has_city_step, "有市级复核", "无市级复核"
        ),
        DOWN_FROM_PROVINCE: Branch(
            Status.CITY_RECHECK, Status.REGISTRATION_REVIEW, _has_city_step, "有市级复核", "无市级复核"
        ),
        REVIEW_LEVEL_ABOVE: Branch(
            Status.REVIEW_AT_CITY, Status.REVIEW_AT_PROVINCE, _has_city_step, "有市级复核", "无市级复核"
        ),
    },
    windows=WINDOW_OF,
    # CONCLUDE must record a conclusion, an upheld objection may revise it; either way a
    # conclusion other than the suggestion needs an override reason.
    requires={
        Action.CONCLUDE: Requires(conclusion="must", override_reason=True),
        Action.UPHOLD_OBJECTION: Requires(conclusion="may", override_reason=True),
    },
    anonymous=frozenset({ActingLevel.PUBLIC, ActingLevel.SYSTEM}),
)
TABLE: dict[tuple[str, str], Transition] = APPLICATION_TABLE.pairs

# Which levels take each action somewhere in the table, and the reverse: a user whose
# level never takes an action is refused (403) before the stage is even looked at.
LEVELS_OF_ACTION: dict[str, frozenset[str]] = APPLICATION_TABLE.levels_of_action
ACTIONS_OF_LEVEL: dict[str, frozenset[str]] = APPLICATION_TABLE.actions_of_level


class ReturnReason(models.TextChoices):
    """Coded reasons for a return (and for any reasoned action taken in a batch). The
    code goes into the step and the audit row; the label is the opinion the applicant
    reads when no text was written. ``OTHER`` needs a written reason."""

    MATERIALS_MISSING = "materials_missing", _("申请材料不齐全")
    MATERIALS_UNCLEAR = "materials_unclear", _("申请材料不清晰或无法辨认")
    INFO_MISMATCH = "info_mismatch", _("申请信息与档案记录不一致")
    APPRAISAL_UNVERIFIED = "appraisal_unverified", _("年度考核或师德考核情况需核实")
    TRAINING_UNVERIFIED = "training_unverified", _("培训学时证明不足或需核实")
    BREAK_UNVERIFIED = "break_unverified", _("中止教育教学工作情况需核实")
    NOT_ELIGIBLE = "not_eligible", _("不符合本次定期注册条件")
    CONCLUSION_UNSUPPORTED = "conclusion_unsupported", _("注册结论依据不足，需重新审核")
    OTHER = "other", _("其他原因（须说明）")


@dataclass(frozen=True)
class ReviewLevel:
    """Which staff role acts at which level of the review chain, the Application
    foreign key naming the institution that acts there, and the actions the queue
    offers as batch actions (in this order)."""

    role: str
    level: str
    holder_field: str
    batch_actions: tuple[str, ...]


REVIEW_LEVELS: tuple[ReviewLevel, ...] = (
    ReviewLevel(
        Role.SCHOOL_REVIEWER,
        ActingLevel.SCHOOL,
        "school",
        (Action.SCHOOL_APPROVE, Action.RETURN_TO_APPLICANT),
    ),
    ReviewLevel(
        Role.REGISTRATION_REVIEWER,
        ActingLevel.REGISTRATION,
        "registration_authority",
        (Action.CONCLUDE, Action.RETURN_TO_APPLICANT, Action.RETURN_DOWN),
    ),
    ReviewLevel(
        Role.CITY_RECHECKER,
        ActingLevel.CITY,
        "city_bureau",
        (Action.CITY_APPROVE, Action.RETURN_DOWN, Action.RETURN_TO_APPLICANT),
    ),
    ReviewLevel(
        Role.PROVINCE_REVIEWER,
        ActingLevel.PROVINCE,
        "province_bureau",
        (Action.PROVINCE_APPROVE, Action.RETURN_DOWN, Action.RETURN_TO_APPLICANT),
    ),
)


def statuses_held_by(level: str) -> tuple[str, ...]:
    """The statuses in which ``level`` holds an application, in status order."""
    return tuple(status for status in Status.values if HOLDER.get(status) == level)


TERMINAL = frozenset({Status.COMPLETED, Status.WITHDRAWN, Status.REVOKED})
# An application in one of these counts as the certificate's active application.
ACTIVE = frozenset(s for s in Status.values if s not in (Status.WITHDRAWN,))


def transition_for(status: str, action: str) -> Transition:
    return APPLICATION_TABLE.transition_for(status, action)


@dataclass(frozen=True)
class _Chain:
    has_city_step: bool


def target_for(transition: Transition, *, has_city_step: bool) -> str:
    """The concrete target status; ``has_city_step`` is False for a chain without a city
    recheck (a 省直管县 or a province-level reviewing institution)."""
    return APPLICATION_TABLE.target(transition, _Chain(has_city_step))


def actions_from(status: str, *, actor: str) -> list[str]:
    """The actions ``actor`` (a level) may take on an application in ``status``."""
    return APPLICATION_TABLE.actions_from(status, level=actor)


def mermaid() -> str:
    """The table as a Mermaid ``stateDiagram-v2``, one edge per (status, action, target).

    docs/workflow.md embeds this output and a test keeps the two identical, so the
    drawing can never drift from the table. Labels are the Chinese msgids whatever
    language is active; ``*`` marks an action that needs a written reason."""
    with translation.override(None):
        return APPLICATION_TABLE.mermaid(
            states=[(status.value, str(status.label)) for status in Status],
            initial=Status.DRAFT.value,
            terminal=[status for status in Status.values if status in TERMINAL],
            action_label=lambda action: str(Action(action).label),
            level_label=lambda level: str(ActingLevel(level).label),
        )
