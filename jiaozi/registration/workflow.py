"""The registration workflow (§5) in one place: every status, every action, and the one
table ``(status, action) → status`` with who may take it.

Nothing else assigns ``Application.status``: services call ``transition_for`` to learn
the target and the acting level, then compare-and-set. ``docs/workflow.md`` draws this
table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


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


class Actor(models.TextChoices):
    """Who takes an action: the applicant, a level of the review chain, the public, or
    the scheduler."""

    APPLICANT = "applicant", _("申请人")
    SCHOOL = "school", _("学校")
    REGISTRATION = "registration", _("注册机构")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")
    PUBLIC = "public", _("公众")
    SYSTEM = "system", _("系统")


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    actor: str
    needs_reason: bool = False


# RETURN_DOWN and NOTICE_END have targets that depend on the chain (a 省直管县 or a
# province-level reviewer has no city step); ``target_for`` resolves them.
CITY_OR_PROVINCE = "@city_or_province"
DOWN_FROM_PROVINCE = "@down_from_province"

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.DRAFT, Action.SUBMIT, Status.SCHOOL_REVIEW, Actor.APPLICANT),
    Transition(Status.DRAFT, Action.WITHDRAW, Status.WITHDRAWN, Actor.APPLICANT),
    Transition(Status.RETURNED, Action.RESUBMIT, Status.SCHOOL_REVIEW, Actor.APPLICANT),
    Transition(Status.RETURNED, Action.WITHDRAW, Status.WITHDRAWN, Actor.APPLICANT),
    # The applicant may withdraw until the school has acted.
    Transition(Status.SCHOOL_REVIEW, Action.WITHDRAW, Status.WITHDRAWN, Actor.APPLICANT),
    Transition(Status.SCHOOL_REVIEW, Action.SCHOOL_APPROVE, Status.REGISTRATION_REVIEW, Actor.SCHOOL),
    Transition(Status.SCHOOL_REVIEW, Action.RETURN_TO_APPLICANT, Status.RETURNED, Actor.SCHOOL, True),
    Transition(Status.REGISTRATION_REVIEW, Action.CONCLUDE, Status.CONCLUDED, Actor.REGISTRATION),
    Transition(
        Status.REGISTRATION_REVIEW, Action.RETURN_TO_APPLICANT, Status.RETURNED, Actor.REGISTRATION, True
    ),
    Transition(
        Status.REGISTRATION_REVIEW, Action.RETURN_DOWN, Status.SCHOOL_REVIEW, Actor.REGISTRATION, True
    ),
    Transition(Status.CONCLUDED, Action.REVISE, Status.REGISTRATION_REVIEW, Actor.REGISTRATION, True),
    Transition(Status.CONCLUDED, Action.PUBLISH_NOTICE, Status.NOTICE, Actor.REGISTRATION),
    Transition(Status.NOTICE, Action.OBJECT, Status.NOTICE_PAUSED, Actor.PUBLIC),
    Transition(Status.NOTICE, Action.NOTICE_END, CITY_OR_PROVINCE, Actor.SYSTEM),
    Transition(Status.NOTICE_PAUSED, Action.UPHOLD_OBJECTION, Status.CONCLUDED, Actor.REGISTRATION, True),
    Transition(Status.NOTICE_PAUSED, Action.DISMISS_OBJECTION, Status.NOTICE, Actor.REGISTRATION, True),
    Transition(Status.CITY_RECHECK, Action.CITY_APPROVE, Status.PROVINCE_REVIEW, Actor.CITY),
    Transition(Status.CITY_RECHECK, Action.RETURN_DOWN, Status.REGISTRATION_REVIEW, Actor.CITY, True),
    Transition(Status.CITY_RECHECK, Action.RETURN_TO_APPLICANT, Status.RETURNED, Actor.CITY, True),
    Transition(Status.PROVINCE_REVIEW, Action.PROVINCE_APPROVE, Status.COMPLETED, Actor.PROVINCE),
    Transition(Status.PROVINCE_REVIEW, Action.RETURN_DOWN, DOWN_FROM_PROVINCE, Actor.PROVINCE, True),
    Transition(Status.PROVINCE_REVIEW, Action.RETURN_TO_APPLICANT, Status.RETURNED, Actor.PROVINCE, True),
)

TABLE: dict[tuple[str, str], Transition] = {(t.source, t.action): t for t in TRANSITIONS}

# Where an application waits, which level holds it (for queues and the timeline).
HOLDER: dict[str, str] = {
    Status.DRAFT: Actor.APPLICANT,
    Status.RETURNED: Actor.APPLICANT,
    Status.SCHOOL_REVIEW: Actor.SCHOOL,
    Status.REGISTRATION_REVIEW: Actor.REGISTRATION,
    Status.CONCLUDED: Actor.REGISTRATION,
    Status.NOTICE: Actor.PUBLIC,
    Status.NOTICE_PAUSED: Actor.REGISTRATION,
    Status.CITY_RECHECK: Actor.CITY,
    Status.PROVINCE_REVIEW: Actor.PROVINCE,
}

# Which levels take each action somewhere in the table, and the reverse: a user whose
# level never takes an action is refused (403) before the stage is even looked at.
LEVELS_OF_ACTION: dict[str, frozenset[str]] = {
    action: frozenset(t.actor for t in TRANSITIONS if t.action == action) for action in Action.values
}
ACTIONS_OF_LEVEL: dict[str, frozenset[str]] = {
    actor: frozenset(t.action for t in TRANSITIONS if t.actor == actor) for actor in Actor.values
}

# The campaign window (models.WindowAction value) that governs each acting level (§3).
# The public and the scheduler act while the system is open; objections additionally
# only while the notice runs.
WINDOW_OF: dict[str, str] = {
    Actor.APPLICANT: "apply",
    Actor.SCHOOL: "school_review",
    Actor.REGISTRATION: "review",
    Actor.CITY: "recheck",
    Actor.PROVINCE: "final_review",
    Actor.PUBLIC: "system",
    Actor.SYSTEM: "system",
}

TERMINAL = frozenset({Status.COMPLETED, Status.WITHDRAWN})
# An application in one of these counts as the certificate's active application.
ACTIVE = frozenset(s for s in Status.values if s not in (Status.WITHDRAWN,))


class IllegalTransition(Exception):
    """No such (status, action) pair."""


def transition_for(status: str, action: str) -> Transition:
    try:
        return TABLE[(status, action)]
    except KeyError:
        raise IllegalTransition(f"{action} is not allowed in {status}") from None


def target_for(transition: Transition, *, has_city_step: bool) -> str:
    """The concrete target status; ``has_city_step`` is False for a chain without a city
    recheck (a 省直管县 or a province-level reviewing institution)."""
    if transition.target == CITY_OR_PROVINCE:
        return Status.CITY_RECHECK if has_city_step else Status.PROVINCE_REVIEW
    if transition.target == DOWN_FROM_PROVINCE:
        return Status.CITY_RECHECK if has_city_step else Status.REGISTRATION_REVIEW
    return transition.target


def actions_from(status: str, *, actor: str) -> list[str]:
    """The actions ``actor`` may take on an application in ``status``."""
    return [t.action for t in TRANSITIONS if t.source == status and t.actor == actor]


def _mermaid_targets(transition: Transition) -> list[tuple[str, str]]:
    """(target, condition) pairs: one for a fixed target, two for a chain-dependent one."""
    if transition.target in (CITY_OR_PROVINCE, DOWN_FROM_PROVINCE):
        return [
            (target_for(transition, has_city_step=True), "有市级复核"),
            (target_for(transition, has_city_step=False), "无市级复核"),
        ]
    return [(transition.target, "")]


def mermaid() -> str:
    """The table as a Mermaid ``stateDiagram-v2``, one edge per (status, action, target).

    docs/workflow.md embeds this output and a test keeps the two identical, so the
    drawing can never drift from the table. Labels are the Chinese msgids whatever
    language is active; ``*`` marks an action that needs a written reason."""
    with translation.override(None):
        lines = ["stateDiagram-v2"]
        lines += [f'    state "{status.label}" as {status.value}' for status in Status]
        lines.append(f"    [*] --> {Status.DRAFT.value}")
        for t in TRANSITIONS:
            action, actor = Action(t.action), Actor(t.actor)
            star = "*" if t.needs_reason else ""
            for target, condition in _mermaid_targets(t):
                label = f"{action.label}{star}（{actor.label}）"
                if condition:
                    label += f"［{condition}］"
                lines.append(f"    {t.source} --> {target}: {label}")
        lines += [f"    {status} --> [*]" for status in Status.values if status in TERMINAL]
    return "\n".join(lines) + "\n"
