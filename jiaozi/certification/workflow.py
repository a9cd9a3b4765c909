"""The certification workflow (§6) in one place: every status, every action, and the
one table ``(status, action) → status`` with the level that takes it.

Nothing else assigns ``CertificationApplication.status``: ``transitions.py`` runs this
table on the workflow engine. Which staff role acts at which level is said once, in
``REVIEW_LEVELS``; the queues, the transitions and ``register_levels`` derive from it.
``docs/certification.md`` draws this table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from jiaozi.core.roles import Role
from jiaozi.workflow.table import Branch, Requires, Transition, TransitionTable


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONFIRMATION = "confirmation", _("待现场确认")
    CONFIRM_REFUSED = "confirm_refused", _("确认未通过")
    DECISION = "decision", _("待认定审批")
    CERTIFIED = "certified", _("认定通过")
    REFUSED = "refused", _("认定未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


class Action(models.TextChoices):
    SUBMIT = "submit", _("提交申请")
    RESUBMIT = "resubmit", _("修改后重新提交确认")
    WITHDRAW = "withdraw", _("撤回申请")
    CONFIRM = "confirm", _("现场确认通过")
    REFUSE_CONFIRMATION = "refuse_confirmation", _("现场确认不通过")
    DECIDE = "decide", _("作出认定结论")


class ActingLevel(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    CONFIRMATION_POINT = "confirmation_point", _("确认点")
    AUTHORITY = "authority", _("认定机构")


class Conclusion(models.TextChoices):
    CERTIFIED = "certified", _("认定通过")
    REFUSED = "refused", _("认定未通过")


# A decision certifies or refuses: the conclusion the officer records decides.
CERTIFIED_OR_REFUSED = "@certified_or_refused"

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.DRAFT, Action.SUBMIT, Status.CONFIRMATION, ActingLevel.APPLICANT),
    Transition(Status.DRAFT, Action.WITHDRAW, Status.WITHDRAWN, ActingLevel.APPLICANT),
    Transition(Status.CONFIRMATION, Action.WITHDRAW, Status.WITHDRAWN, ActingLevel.APPLICANT),
    Transition(Status.CONFIRMATION, Action.CONFIRM, Status.DECISION, ActingLevel.CONFIRMATION_POINT),
    Transition(
        Status.CONFIRMATION,
        Action.REFUSE_CONFIRMATION,
        Status.CONFIRM_REFUSED,
        ActingLevel.CONFIRMATION_POINT,
        True,
    ),
    # 确认未通过: the applicant fixes the online data and asks again, or brings the
    # missing papers and is confirmed again — either before the confirmation deadline.
    Transition(Status.CONFIRM_REFUSED, Action.RESUBMIT, Status.CONFIRMATION, ActingLevel.APPLICANT),
    Transition(Status.CONFIRM_REFUSED, Action.WITHDRAW, Status.WITHDRAWN, ActingLevel.APPLICANT),
    Transition(Status.CONFIRM_REFUSED, Action.CONFIRM, Status.DECISION, ActingLevel.CONFIRMATION_POINT),
    Transition(Status.DECISION, Action.DECIDE, CERTIFIED_OR_REFUSED, ActingLevel.AUTHORITY),
)

# Where an application waits, which level holds it.
HOLDER: dict[str, str] = {
    Status.DRAFT: ActingLevel.APPLICANT,
    Status.CONFIRM_REFUSED: ActingLevel.APPLICANT,
    Status.CONFIRMATION: ActingLevel.CONFIRMATION_POINT,
    Status.DECISION: ActingLevel.AUTHORITY,
}

# The batch window (``windows.Window``) of each level: the applicant and the point act
# until on-site confirmation ends (a first submission only inside the online window,
# which ``transitions`` checks); the authority decides from the opening on, its
# deadline tracked rather than enforced (docs/decisions/0203).
WINDOW_OF: dict[str, str] = {
    ActingLevel.APPLICANT: "confirm",
    ActingLevel.CONFIRMATION_POINT: "confirm",
    ActingLevel.AUTHORITY: "decide",
}


def _certified(row: Any) -> bool:
    return bool(getattr(row, "conclusion", "") == Conclusion.CERTIFIED)


CERTIFICATION_TABLE = TransitionTable(
    transitions=TRANSITIONS,
    levels=tuple(ActingLevel.values),
    actions=tuple(Action.values),
    branches={
        CERTIFIED_OR_REFUSED: Branch(Status.CERTIFIED, Status.REFUSED, _certified, "认定通过", "认定未通过")
    },
    windows=WINDOW_OF,
    requires={Action.DECIDE: Requires(conclusion="must")},
)
TABLE = CERTIFICATION_TABLE.pairs

TERMINAL = frozenset({Status.CERTIFIED, Status.REFUSED, Status.WITHDRAWN})


class ConfirmReason(models.TextChoices):
    """Coded reasons of 确认未通过 (the applicant reads the label when no text is given);
    ``OTHER`` needs a written reason."""

    MATERIALS_MISSING = "materials_missing", _("现场确认材料不齐全")
    IDENTITY_MISMATCH = "identity_mismatch", _("身份证件与网上信息不一致")
    EDUCATION_MISMATCH = "education_mismatch", _("学历证书与网上信息不一致")
    MANDARIN_MISMATCH = "mandarin_mismatch", _("普通话证书与网上信息不一致")
    NTCE_MISMATCH = "ntce_mismatch", _("考试合格证明与网上信息不一致")
    PHOTO_UNSUITABLE = "photo_unsuitable", _("照片不符合要求")
    COMMITMENT_MISSING = "commitment_missing", _("未签署个人承诺书")
    REQUIREMENTS_UNMET = "requirements_unmet", _("不符合认定条件")
    OTHER = "other", _("其他原因（须说明）")


class RefuseReason(models.TextChoices):
    """Coded reasons of 认定未通过; ``OTHER`` needs a written reason."""

    HEALTH_FAILED = "health_failed", _("体检不合格")
    EDUCATION_INSUFFICIENT = "education_insufficient", _("学历不符合要求")
    MANDARIN_INSUFFICIENT = "mandarin_insufficient", _("普通话水平不符合要求")
    NTCE_INVALID = "ntce_invalid", _("考试合格证明不符合要求")
    BARRED = "barred", _("不得认定教师资格的情形")
    OTHER = "other", _("其他原因（须说明）")


@dataclass(frozen=True)
class ReviewLevel:
    """Which staff role acts at which level, the application's foreign key naming the
    institution that acts there, and the actions its queue offers in a batch."""

    role: str
    level: str
    holder_field: str
    batch_actions: tuple[str, ...]


REVIEW_LEVELS: tuple[ReviewLevel, ...] = (
    ReviewLevel(
        Role.CONFIRMATION_USER,
        ActingLevel.CONFIRMATION_POINT,
        "confirmation_point",
        (Action.CONFIRM, Action.REFUSE_CONFIRMATION),
    ),
    ReviewLevel(Role.CERTIFYING_OFFICER, ActingLevel.AUTHORITY, "authority", (Action.DECIDE,)),
)


def statuses_held_by(level: str) -> tuple[str, ...]:
    return tuple(status for status in Status.values if HOLDER.get(status) == level)


def mermaid() -> str:
    """The table as a Mermaid ``stateDiagram-v2`` (docs/certification.md embeds it)."""
    with translation.override(None):
        return CERTIFICATION_TABLE.mermaid(
            states=[(status.value, str(status.label)) for status in Status],
            initial=Status.DRAFT.value,
            terminal=[status for status in Status.values if status in TERMINAL],
            action_label=lambda action: str(Action(action).label),
            level_label=lambda level: str(ActingLevel(level).label),
        )
