"""API of the review (§5, §13): a reviewer's action on one application and the same
action on many (a batch, each item succeeding or failing on its own). Staff only (the
API's default authentication). Errors are the services' codes as problem+json:
``wrong_stage`` / ``stale_version`` / ``window_closed`` 409, ``reason_required`` 400,
``conflict_of_interest`` 403, ``not_found`` 404. See docs/decisions/0123, 0151."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from jiaozi.certificates.models import Conclusion
from jiaozi.core.api import ObjectId, current_user, idempotent, problems, text
from jiaozi.core.api.schemas import MAX_ID

from .. import transitions
from .application_schemas import ApplicationOut, application_out, application_reload
from .schemas import MULTILINE, version_field

router = Router(tags=["registration-applications"])

BATCH_MAX = 2000


class BatchFailureOut(Schema):
    application_id: int
    code: str
    message: str


class BatchOut(Schema):
    succeeded: list[int]
    failed: list[BatchFailureOut]


ReviewAction = Literal[
    "school_approve",
    "conclude",
    "revise",
    "city_approve",
    "province_approve",
    "return_to_applicant",
    "return_down",
    "uphold_review",
    "send_back_review",
]


class TransitionIn(Schema):
    """A reviewer's action. Returns and 暂缓/不合格 conclusions need ``reason``;
    ``conclude`` needs ``conclusion``, and ``override_reason`` when it differs from the
    system's suggestion."""

    action: ReviewAction
    version: int = version_field()
    reason: text(max_length=transitions.REASON_MAX, pattern=MULTILINE) = ""  # type: ignore[valid-type]
    reason_code: transitions.ReturnReason | None = None
    conclusion: Conclusion | None = None
    override_reason: text(max_length=transitions.REASON_MAX, pattern=MULTILINE) = ""  # type: ignore[valid-type]


class BatchItemIn(Schema):
    application_id: int = Field(ge=1, le=MAX_ID)
    version: int = version_field()
    reason_code: transitions.ReturnReason | None = None
    reason: text(max_length=transitions.REASON_MAX, pattern=MULTILINE) = ""  # type: ignore[valid-type]
    conclusion: Conclusion | None = None
    override_reason: text(max_length=transitions.REASON_MAX, pattern=MULTILINE) = ""  # type: ignore[valid-type]


class BatchIn(Schema):
    """The same action on many applications; each item succeeds or fails on its own. A
    reasoned action needs a coded ``reason_code`` per item."""

    action: ReviewAction
    items: list[BatchItemIn] = Field(min_length=1, max_length=BATCH_MAX)


# --- Applications: the reviewers' actions -------------------------------------------------


@router.post(
    "/registration/applications/{application_id}/transitions",
    response={200: ApplicationOut, **problems(404, 409)},
    summary="审核操作：通过、作出结论、修改结论、复核、终审备案、退回",
)
@idempotent
def application_transition(request: HttpRequest, application_id: ObjectId, payload: TransitionIn) -> Any:
    user = current_user(request)
    application = transitions.application_transition(
        actor=user,
        application_id=application_id,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
        reason_code=payload.reason_code.value if payload.reason_code else "",
        conclusion=payload.conclusion.value if payload.conclusion else "",
        override_reason=payload.override_reason,
        full=False,  # reloaded below for the answer
    )
    return application_out(application_reload(user, application), user)


@router.post(
    "/registration/batch-transitions",
    response={200: BatchOut},
    summary="批量审核操作（每条各自成败，退回等须逐条给出退回原因代码）",
)
@idempotent
def application_batch(request: HttpRequest, payload: BatchIn) -> Any:
    result = transitions.application_transition_batch(
        actor=current_user(request),
        action=payload.action,
        items=[
            transitions.BatchItem(
                application_id=item.application_id,
                version=item.version,
                reason_code=item.reason_code.value if item.reason_code else "",
                reason=item.reason,
                conclusion=item.conclusion.value if item.conclusion else "",
                override_reason=item.override_reason,
            )
            for item in payload.items
        ],
    )
    return {
        "succeeded": result.succeeded,
        "failed": [
            {"application_id": pk, "code": code, "message": str(message)}
            for pk, code, message in result.failed
        ],
    }
