"""The table of certificate-service requests (§7): correction (更正), reissue (补发) and
replacement (换发), each submitted by the holder and handled by the issuing authority.

    submitted ──approve──▶ approved (a new paper with the remark, the number kept)
        │ ├────reject───▶ rejected (with the reason)
        │ └────return───▶ returned ──submit──▶ submitted (the deadline starts again)
        └──withdraw──▶ withdrawn ◀──withdraw── returned

The engine (``jiaozi.workflow``) runs it; ``transitions.py`` is the vocabulary."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.workflow.table import Transition, TransitionTable


class RequestKind(models.TextChoices):
    CORRECTION = "correction", _("更正")
    REISSUE = "reissue", _("补发")
    REPLACEMENT = "replacement", _("换发")


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待办理")
    RETURNED = "returned", _("退回补正")
    APPROVED = "approved", _("已办结")
    REJECTED = "rejected", _("不予办理")
    WITHDRAWN = "withdrawn", _("已撤回")


class RequestAction(models.TextChoices):
    SUBMIT = "submit", _("重新提交")
    WITHDRAW = "withdraw", _("撤回申请")
    RETURN = "return", _("退回补正")
    APPROVE = "approve", _("办结")
    REJECT = "reject", _("不予办理")


class RequestLevel(models.TextChoices):
    HOLDER = "holder", _("持证人")
    AUTHORITY = "authority", _("发证机关")


OPEN_STATUSES = frozenset({RequestStatus.SUBMITTED, RequestStatus.RETURNED})

TRANSITIONS = (
    Transition(RequestStatus.RETURNED, RequestAction.SUBMIT, RequestStatus.SUBMITTED, RequestLevel.HOLDER),
    Transition(RequestStatus.SUBMITTED, RequestAction.WITHDRAW, RequestStatus.WITHDRAWN, RequestLevel.HOLDER),
    Transition(RequestStatus.RETURNED, RequestAction.WITHDRAW, RequestStatus.WITHDRAWN, RequestLevel.HOLDER),
    Transition(
        RequestStatus.SUBMITTED, RequestAction.RETURN, RequestStatus.RETURNED, RequestLevel.AUTHORITY, True
    ),
    Transition(
        RequestStatus.SUBMITTED, RequestAction.APPROVE, RequestStatus.APPROVED, RequestLevel.AUTHORITY
    ),
    Transition(
        RequestStatus.SUBMITTED, RequestAction.REJECT, RequestStatus.REJECTED, RequestLevel.AUTHORITY, True
    ),
)

REQUEST_TABLE = TransitionTable(
    transitions=TRANSITIONS,
    levels=tuple(RequestLevel.values),
    actions=tuple(RequestAction.values),
)


# --- Authenticity checks (证书真伪核验) of certificates not issued in this system ----------


class CheckStatus(models.TextChoices):
    OPEN = "open", _("核验中")
    ANSWERED = "answered", _("已核验")
    WITHDRAWN = "withdrawn", _("已撤回")


class CheckOutcome(models.TextChoices):
    AUTHENTIC = "authentic", _("真实")
    NOT_FOUND = "not_found", _("查无此证")
    FORGED = "forged", _("伪造")


class CheckAction(models.TextChoices):
    ANSWER = "answer", _("记录核验结果")
    WITHDRAW = "withdraw", _("撤回核验")


class CheckLevel(models.TextChoices):
    # The issuing authority inside the province answers; for one outside it, the
    # requesting institution records the answer it received (§7).
    AUTHORITY = "authority", _("发证机关")
    REQUESTER = "requester", _("发起机构")


CHECK_TABLE = TransitionTable(
    transitions=(
        Transition(CheckStatus.OPEN, CheckAction.ANSWER, CheckStatus.ANSWERED, CheckLevel.AUTHORITY),
        Transition(CheckStatus.OPEN, CheckAction.WITHDRAW, CheckStatus.WITHDRAWN, CheckLevel.REQUESTER, True),
    ),
    levels=tuple(CheckLevel.values),
    actions=tuple(CheckAction.values),
)
