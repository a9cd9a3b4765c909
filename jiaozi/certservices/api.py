"""The certservices operations of /api/v1/ (§7, §13), mounted in ``config/api.py``:
every action the certificate-service pages offer (decision 0227).

Holders call with their browser session (CSRF enforced on writes): their certificates,
share links, and correction / reissue / replacement requests. Staff call with a token or
their session: the issuing authority's request queue and decisions, and the
authenticity checks. Errors are the services' codes as problem+json — ``invalid_days``,
``material_required``, ``reason_required`` … 400; ``certificate_not_valid``,
``duplicate_request``, ``duplicate_check``, ``share_link_limit``, ``link_expired``,
``wrong_stage``, ``stale_version`` 409; ``not_found`` 404 (also outside the caller's
own certificates or jurisdiction). Names are masked; no resident ID or phone is answered."""

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import Field

from jiaozi.accounts.actor import actor_of, is_active_applicant
from jiaozi.accounts.models import User
from jiaozi.core import clock
from jiaozi.core.api import API_AUTH, ObjectId, Page, current_user, problems, text
from jiaozi.core.api.auth import SAFE_METHODS
from jiaozi.core.api.idempotency import idempotent_with
from jiaozi.core.api.problems import CsrfFailed
from jiaozi.core.errors import NotFound, PermissionDenied
from jiaozi.core.masking import mask_name

from . import selectors, services, sharing
from .authenticity import authenticity_check_open, authenticity_check_transition, checks_visible_to
from .models import AuthenticityCheck, ServiceRequest, ShareLink
from .permissions import CHECK_ANSWER_ROLES, CHECK_OPEN_ROLES, DECIDE_ROLES
from .workflow import CheckAction, CheckOutcome, CheckStatus, RequestAction, RequestKind, RequestStatus

router = Router(tags=["certservices"])
MAX_VERSION = 2**31 - 1


class ApplicantSessionAuth(APIKeyCookie):
    """The browser session of a signed-in holder (an applicant account); unsafe methods
    need the CSRF token, as on the holder's pages."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if not is_active_applicant(user):
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user


HOLDER_AUTH: list[Any] = [ApplicantSessionAuth()]


# --- Schemas --------------------------------------------------------------------------------


class CertsvcHolderCertificateOut(Schema):
    id: int
    number: str
    qualification_type: str
    qualification_type_label: str
    subject: str
    status: str
    status_label: str
    validity: str = Field(description="valid / expired / unregistered / not_qualified / invalid")
    validity_label: str
    last_conclusion: str
    registered_on: dt.date | None
    valid_from: dt.date | None
    valid_to: dt.date | None


class CertsvcShareLinkOut(Schema):
    id: int
    certificate_id: int
    version: int
    hint: str = Field(description="链接的前几个字符，用于区分不同链接")
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool


class CertsvcShareLinkCreatedOut(CertsvcShareLinkOut):
    url: str = Field(description="分享链接（只在创建时返回一次，系统不保存原文）")


class CertsvcShareLinkIn(Schema):
    days: int = Field(sharing.DAYS_DEFAULT, ge=sharing.DAYS_MIN, le=sharing.DAYS_MAX, description="有效天数")


class CertsvcVersionIn(Schema):
    version: int = Field(ge=1, le=MAX_VERSION)


class CertsvcRequestOut(Schema):
    id: int
    version: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    certificate_id: int
    certificate_number: str
    holder_name_masked: str
    authority_id: int
    reason: str
    corrections: dict[str, list[str | None]]
    loss_notice_medium: str
    loss_notice_date: dt.date | None
    submitted_at: dt.datetime
    due_on: dt.date
    overdue: bool
    decided_at: dt.datetime | None
    decision_note: str
    has_paper: bool

    @staticmethod
    def resolve_kind_label(obj: ServiceRequest) -> str:
        return str(RequestKind(obj.kind).label)

    @staticmethod
    def resolve_status_label(obj: ServiceRequest) -> str:
        return str(RequestStatus(obj.status).label)

    @staticmethod
    def resolve_certificate_number(obj: ServiceRequest) -> str:
        return obj.certificate.number

    @staticmethod
    def resolve_holder_name_masked(obj: ServiceRequest) -> str:
        return mask_name(obj.certificate.teacher.name)

    @staticmethod
    def resolve_overdue(obj: ServiceRequest) -> bool:
        return obj.status == RequestStatus.SUBMITTED and obj.due_on < clock.today()

    @staticmethod
    def resolve_has_paper(obj: ServiceRequest) -> bool:
        return bool(obj.paper)


class CertsvcRequestIn(Schema):
    kind: Literal["correction", "reissue", "replacement"] = Field(
        description="correction 更正 / reissue 遗失补发 / replacement 损毁换发"
    )
    reason: text(min_length=1, max_length=services.REASON_MAX)  # type: ignore[valid-type]
    name: text(max_length=64) = Field("", description="更正：正确的姓名")  # type: ignore[valid-type]
    subject: text(max_length=64) = Field("", description="更正：正确的任教学科")  # type: ignore[valid-type]
    loss_notice_medium: text(max_length=services.NOTICE_MEDIUM_MAX) = Field(  # type: ignore[valid-type]
        "", description="补发：刊登遗失声明的报刊或网站"
    )
    loss_notice_date: dt.date | None = Field(None, description="补发：遗失声明刊登日期")


class CertsvcRequestFilters(Schema):
    status: Literal["", "submitted", "returned", "approved", "rejected", "withdrawn"] = ""
    kind: Literal["", "correction", "reissue", "replacement"] = ""
    overdue: bool = Field(False, description="只看已超过办理期限的待办理申请")


class CertsvcHolderActIn(CertsvcVersionIn):
    action: Literal["withdraw", "submit"] = Field(description="withdraw 撤回；submit 退回补正后重新提交")
    reason: text(max_length=services.REASON_MAX) = ""  # type: ignore[valid-type]


class CertsvcDecideIn(CertsvcVersionIn):
    action: Literal["approve", "return", "reject"] = Field(
        description="approve 办结（生成新证书文本）；return 退回补正；reject 不予办理"
    )
    reason: text(max_length=services.REASON_MAX) = ""  # type: ignore[valid-type]
    old_returned: bool = Field(False, description="换发：原证书已收回")


class CertsvcCheckOut(Schema):
    id: int
    version: int
    status: str
    status_label: str
    certificate_id: int
    certificate_number: str
    holder_name_masked: str
    requesting_institution_id: int
    authority_id: int | None
    outside_authority: str
    opened_at: dt.datetime
    due_on: dt.date
    outcome: str
    outcome_label: str
    outcome_note: str
    reference: str
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_status_label(obj: AuthenticityCheck) -> str:
        return str(CheckStatus(obj.status).label)

    @staticmethod
    def resolve_certificate_number(obj: AuthenticityCheck) -> str:
        return obj.certificate.number

    @staticmethod
    def resolve_holder_name_masked(obj: AuthenticityCheck) -> str:
        return mask_name(obj.holder_name)

    @staticmethod
    def resolve_outcome_label(obj: AuthenticityCheck) -> str:
        return str(CheckOutcome(obj.outcome).label) if obj.outcome else ""


class CertsvcCheckOpenIn(Schema):
    holder_name: text(min_length=1, max_length=64)  # type: ignore[valid-type]
    reason: text(min_length=1, max_length=500)  # type: ignore[valid-type]
    outside_authority: text(max_length=128) = Field("", description="省外证书：原发证机关名称")  # type: ignore[valid-type]


class CertsvcCheckActIn(CertsvcVersionIn):
    action: Literal["answer", "withdraw"]
    outcome: Literal["", "authentic", "not_found", "forged"] = Field(
        "", description="answer：authentic 真实 / not_found 查无此证 / forged 伪造（证书随即撤销）"
    )
    reference: text(max_length=128) = Field("", description="答复文号或档案编号")  # type: ignore[valid-type]
    note: text(max_length=500) = Field("", description="核验说明；查无此证或伪造时必填")  # type: ignore[valid-type]


class CertsvcCheckFilters(Schema):
    status: Literal["", "open", "answered", "withdrawn"] = ""


# --- Answers -------------------------------------------------------------------------------


def _certificate_out(view: selectors.CertificateView) -> dict[str, Any]:
    c = view.certificate
    return {
        "id": c.pk,
        "number": c.number,
        "qualification_type": c.qualification_type,
        "qualification_type_label": str(c.get_qualification_type_display()),
        "subject": c.subject,
        "status": c.status,
        "status_label": str(c.get_status_display()),
        "validity": view.validity,
        "validity_label": view.validity_label,
        "last_conclusion": c.last_conclusion,
        "registered_on": c.registered_on,
        "valid_from": c.valid_from,
        "valid_to": c.valid_to,
    }


def _link_out(link: ShareLink) -> dict[str, Any]:
    return {
        "id": link.pk,
        "certificate_id": link.certificate_id,
        "version": link.version,
        "hint": link.hint,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "active": link.active_at(clock.now()),
    }


def _holder_request(user: User, pk: int) -> ServiceRequest:
    return selectors.holder_request_get(user=user, pk=pk)


def _staff_request(user: User, pk: int) -> ServiceRequest:
    return selectors.request_get_visible_to(user=user, pk=pk)


def _staff_check(user: User, pk: int) -> AuthenticityCheck:
    row = checks_visible_to(user).select_related("certificate").filter(pk=pk).first()
    if row is None:
        raise NotFound(_("核验不存在或不在您的管辖范围内。"))
    return row


# --- The holder ----------------------------------------------------------------------------


@router.get(
    "/certservices/me/certificates",
    response=list[CertsvcHolderCertificateOut],
    auth=HOLDER_AUTH,
    summary="持证人：本人的教师资格证书（注册状态与有效期）",
)
def certsvc_my_certificates(request: HttpRequest) -> Any:
    return [_certificate_out(v) for v in selectors.holder_certificates(user=current_user(request))]


@router.get(
    "/certservices/me/certificates/{certificate_id}/share-links",
    response={200: list[CertsvcShareLinkOut], **problems(404)},
    auth=HOLDER_AUTH,
    summary="持证人：某本证书的分享链接（最新的50个）",
)
def certsvc_share_link_list(request: HttpRequest, certificate_id: ObjectId) -> Any:
    links = sharing.share_links_of(holder=current_user(request), certificate_id=certificate_id)
    return [_link_out(link) for link in links]


@router.post(
    "/certservices/me/certificates/{certificate_id}/share-links",
    response={201: CertsvcShareLinkCreatedOut, **problems(404, 409)},
    auth=HOLDER_AUTH,
    summary="持证人：生成限时分享链接（1–30天；链接只返回这一次）",
)
@idempotent_with(HOLDER_AUTH)
def certsvc_share_link_create(
    request: HttpRequest, certificate_id: ObjectId, payload: CertsvcShareLinkIn
) -> Any:
    created = sharing.share_link_create(
        holder=current_user(request), certificate_id=certificate_id, days=payload.days
    )
    return Status(201, {**_link_out(created.link), "url": created.url})


@router.post(
    "/certservices/me/share-links/{link_id}/revoke",
    response={200: CertsvcShareLinkOut, **problems(404, 409)},
    auth=HOLDER_AUTH,
    summary="持证人：撤销分享链接（重复撤销返回同一结果）",
)
@idempotent_with(HOLDER_AUTH)
def certsvc_share_link_revoke(request: HttpRequest, link_id: ObjectId, payload: CertsvcVersionIn) -> Any:
    link = sharing.share_link_revoke(holder=current_user(request), link_id=link_id, version=payload.version)
    return _link_out(link)


@router.get(
    "/certservices/me/requests",
    response=list[CertsvcRequestOut],
    auth=HOLDER_AUTH,
    summary="持证人：本人的更正、补发、换发申请",
)
def certsvc_my_requests(request: HttpRequest) -> Any:
    rows = (
        ServiceRequest.objects.filter(applicant=current_user(request))
        .select_related("certificate__teacher")
        .order_by("-submitted_at", "-pk")[:200]
    )
    return list(rows)


@router.post(
    "/certservices/me/certificates/{certificate_id}/requests",
    response={201: CertsvcRequestOut, **problems(403, 404, 409)},
    auth=HOLDER_AUTH,
    summary="持证人：申请更正（附证明材料）、遗失补发（附遗失声明）或损毁换发（附原证书照片）",
)
@idempotent_with(HOLDER_AUTH)
def certsvc_request_submit(
    request: HttpRequest,
    certificate_id: ObjectId,
    payload: Form[CertsvcRequestIn],
    material: File[UploadedFile],
) -> Any:
    """``material`` is the file the kind needs (PDF/JPG/PNG, checked by content): the
    evidence of a correction, the loss notice of a reissue, the photo of the damaged
    certificate of a replacement."""
    user = current_user(request)
    needed = services.REQUIRED_MATERIAL[RequestKind(payload.kind)]
    created = services.request_submit(
        applicant=user,
        certificate_id=certificate_id,
        kind=payload.kind,
        reason=payload.reason,
        corrections={"name": payload.name, "subject": payload.subject},
        loss_notice_medium=payload.loss_notice_medium,
        loss_notice_date=payload.loss_notice_date,
        files=[(str(needed), material)],
    )
    return Status(201, _holder_request(user, created.pk))


@router.post(
    "/certservices/me/requests/{request_id}/transitions",
    response={200: CertsvcRequestOut, **problems(403, 404, 409)},
    auth=HOLDER_AUTH,
    summary="持证人：撤回申请，或退回补正后重新提交",
)
@idempotent_with(HOLDER_AUTH)
def certsvc_my_request_act(request: HttpRequest, request_id: ObjectId, payload: CertsvcHolderActIn) -> Any:
    user = current_user(request)
    action = RequestAction.WITHDRAW if payload.action == "withdraw" else RequestAction.SUBMIT
    services.request_transition(
        actor=user, request_id=request_id, action=action, version=payload.version, reason=payload.reason
    )
    return _holder_request(user, request_id)


# --- The issuing authority -----------------------------------------------------------------


def _require_role(user: User, roles: frozenset[str], message: str) -> None:
    """The same duties as the page (403 otherwise, as there)."""
    if actor_of(user).role not in roles:
        raise PermissionDenied(message)


@router.get(
    "/certservices/requests",
    response={200: list[CertsvcRequestOut], **problems(403)},
    summary="发证机关：证书业务办理队列（待办理的按办理期限排序）",
)
@paginate(Page)
def certsvc_request_queue(request: HttpRequest, filters: Query[CertsvcRequestFilters]) -> Any:
    _require_role(current_user(request), DECIDE_ROLES, _("只有发证机关的工作人员可以查看办理队列。"))
    return selectors.request_queue(
        user=current_user(request), status=filters.status, kind=filters.kind, overdue=filters.overdue
    )


@router.get(
    "/certservices/requests/{request_id}",
    response={200: CertsvcRequestOut, **problems(404)},
    summary="发证机关：一件证书业务申请",
)
def certsvc_request_detail(request: HttpRequest, request_id: ObjectId) -> Any:
    return _staff_request(current_user(request), request_id)


@router.post(
    "/certservices/requests/{request_id}/transitions",
    response={200: CertsvcRequestOut, **problems(403, 404, 409)},
    summary="发证机关：办结（证书编号不变，生成附备注页的新证书文本）、退回补正或不予办理",
)
@idempotent_with(API_AUTH)
def certsvc_request_decide(request: HttpRequest, request_id: ObjectId, payload: CertsvcDecideIn) -> Any:
    user = current_user(request)
    services.request_transition(
        actor=user,
        request_id=request_id,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
        old_returned=payload.old_returned,
    )
    return _staff_request(user, request_id)


# --- Authenticity checks -------------------------------------------------------------------


@router.get(
    "/certservices/authenticity-checks",
    response={200: list[CertsvcCheckOut], **problems(403)},
    summary="证书真伪核验：本机构发起或须答复的核验",
)
@paginate(Page)
def certsvc_check_list(request: HttpRequest, filters: Query[CertsvcCheckFilters]) -> Any:
    _require_role(
        current_user(request), CHECK_OPEN_ROLES | CHECK_ANSWER_ROLES, _("您的角色不办理证书真伪核验。")
    )
    queryset: models.QuerySet[AuthenticityCheck] = checks_visible_to(current_user(request)).select_related(
        "certificate"
    )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    return queryset.order_by("status", "due_on", "pk")


@router.post(
    "/certservices/certificates/{certificate_id}/authenticity-checks",
    response={201: CertsvcCheckOut, **problems(403, 404, 409)},
    summary="注册审核人员：向发证机关发起证书真伪核验（核验期间该证书的注册申请暂停办理）",
)
@idempotent_with(API_AUTH)
def certsvc_check_open(request: HttpRequest, certificate_id: ObjectId, payload: CertsvcCheckOpenIn) -> Any:
    user = current_user(request)
    check = authenticity_check_open(
        actor=user,
        certificate_id=certificate_id,
        holder_name=payload.holder_name,
        reason=payload.reason,
        outside_authority=payload.outside_authority,
    )
    return Status(201, _staff_check(user, check.pk))


@router.post(
    "/certservices/authenticity-checks/{check_id}/transitions",
    response={200: CertsvcCheckOut, **problems(403, 404, 409)},
    summary="证书真伪核验：答复（真实 / 查无此证 / 伪造）或撤回",
)
@idempotent_with(API_AUTH)
def certsvc_check_act(request: HttpRequest, check_id: ObjectId, payload: CertsvcCheckActIn) -> Any:
    user = current_user(request)
    action = CheckAction.ANSWER if payload.action == "answer" else CheckAction.WITHDRAW
    authenticity_check_transition(
        actor=user,
        check_id=check_id,
        action=action,
        version=payload.version,
        outcome=payload.outcome,
        note=payload.note,
        reference=payload.reference,
    )
    return _staff_check(user, check_id)
