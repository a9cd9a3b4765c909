"""Errors as ``application/problem+json`` (RFC 9457), one shape for every failure.

Each problem carries a stable ``code`` that clients branch on, a ``type`` URI built from
it, a ``title`` per code and a ``detail`` for this occurrence — both in the language of
the request (Chinese unless the request asks for English). Validation problems list the
offending fields in ``errors``. Request validation and domain validation share status
400; 422 is kept for a reused ``Idempotency-Key`` (docs/decisions/0041)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from jiaozi.core.errors import DomainError

logger = logging.getLogger("jiaozi.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://jiaozi.invalid/problems/"

# Stable codes and their titles. A title names the kind of problem and never changes
# between occurrences except by language; the detail describes this occurrence.
TITLES: dict[str, Any] = {
    "validation_failed": gettext_lazy("请求内容有误"),
    "invalid": gettext_lazy("请求内容有误"),
    "unauthenticated": gettext_lazy("未登录或凭据无效"),
    "forbidden": gettext_lazy("无权执行此操作"),
    "csrf_failed": gettext_lazy("安全校验失败"),
    "password_change_required": gettext_lazy("须先修改密码"),
    "not_found": gettext_lazy("记录不存在"),
    "method_not_allowed": gettext_lazy("不支持该请求方法"),
    "conflict": gettext_lazy("操作冲突"),
    "window_closed": gettext_lazy("不在办理时间内"),
    "idempotency_key_reused": gettext_lazy("幂等键已用于其他请求"),
    "rate_limited": gettext_lazy("请求过于频繁"),
    "server_error": gettext_lazy("服务器内部错误"),
}

# The code a bare status maps to when nothing more specific is known.
STATUS_CODES: dict[int, str] = {
    400: "validation_failed",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "idempotency_key_reused",
    429: "rate_limited",
    500: "server_error",
}


class ProblemFieldError(Schema):
    field: str = Field(description="出错的字段（点分路径）；请求整体出错时为空字符串。")
    message: str


class Problem(Schema):
    """RFC 9457 problem details with Jiaozi's stable ``code``."""

    type: str = Field(description="问题类型 URI，由 code 构成，或 about:blank。")
    title: str
    status: int
    detail: str
    code: str = Field(description="稳定的错误代码，例如 not_found、conflict、window_closed。")
    errors: list[ProblemFieldError] = Field(default_factory=list)


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code if code and code != "about:blank" else "about:blank"


def problem_response(
    status: int,
    code: str | None = None,
    detail: str | None = None,
    *,
    errors: Iterable[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Render one problem. ``detail`` defaults to the title of ``code``."""
    code = code or STATUS_CODES.get(status, "about:blank")
    title = str(TITLES.get(code) or TITLES.get(STATUS_CODES.get(status, ""), "") or code)
    body = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": str(detail) if detail else title,
        "code": code,
        "errors": [{"field": str(e["field"]), "message": str(e["message"])} for e in errors],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# --- Exceptions raised by the API layer itself --------------------------------------


class CsrfFailed(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "csrf_failed")


class PasswordChangeRequired(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "password_change_required")


# --- Mapping exceptions to problems ---------------------------------------------------


def _field_name(loc: Iterable[Any]) -> str:
    """ninja's ``("body", "payload", "phone")`` → ``"phone"``; ``("query", "limit")`` → ``"limit"``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source = parts.pop(0)
        # Body parameters are nested under the view argument's name; clients never see it.
        if source == "body" and len(parts) > 1:
            parts.pop(0)
    return ".".join(parts)


def _validation_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("此项为必填项。"),
        "string_too_short": _("内容过短。"),
        "string_too_long": _("内容过长（最多 %(max)s 个字符）。") % {"max": ctx.get("max_length", "")},
        "string_pattern_mismatch": _("格式不正确。"),
        "int_parsing": _("应为整数。"),
        "int_from_float": _("应为整数。"),
        "greater_than_equal": _("数值过小。"),
        "less_than_equal": _("数值过大。"),
        "enum": _("不是允许的取值。"),
        "literal_error": _("不是允许的取值。"),
        "bool_parsing": _("应为 true 或 false。"),
        "datetime_parsing": _("日期时间格式不正确。"),
        "datetime_from_date_parsing": _("日期时间格式不正确。"),
        "date_parsing": _("日期格式不正确（YYYY-MM-DD）。"),
        "json_invalid": _("请求体不是合法的 JSON。"),
        "model_attributes_type": _("请求体应为 JSON 对象。"),
        "dict_type": _("请求体应为 JSON 对象。"),
        "extra_forbidden": _("不允许的字段。"),
        "string_type": _("应为字符串。"),
        "value_error": _("取值不正确。"),
    }
    return str(messages.get(kind, _("取值不正确。")))


def handle_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [{"field": _field_name(e.get("loc", ())), "message": _validation_message(e)} for e in exc.errors]
    return problem_response(400, "validation_failed", _("请求内容有误，请检查后重试。"), errors=errors)


def handle_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem_response(exc.status, exc.code, exc.message, errors=exc.error_list())


def handle_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors: list[Mapping[str, str]] = []
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            errors.extend({"field": "" if field == "__all__" else field, "message": m} for m in messages)
    else:
        errors = [{"field": "", "message": m} for m in exc.messages]
    detail = errors[0]["message"] if len(errors) == 1 else _("请求内容有误，请检查后重试。")
    return problem_response(400, "validation_failed", detail, errors=errors)


def handle_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    # The message of a Http404 may name what was looked for; never echo it.
    return problem_response(404, "not_found", _("记录不存在或不在您的管辖范围内。"))


def handle_permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return problem_response(403, "forbidden", _("您无权执行此操作。"))


def handle_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # A unique constraint lost a race the service did not foresee: the loser learns it
    # conflicted rather than seeing a server error.
    logger.warning("API integrity conflict on %s %s", request.method, request.path)
    return problem_response(409, "conflict", _("数据已被他人修改或已存在，请刷新后重试。"))


def handle_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return problem_response(
            401,
            "unauthenticated",
            _("请先登录，或提供有效的接口令牌。"),
            headers={"WWW-Authenticate": 'Bearer realm="jiaozi"'},
        )
    if isinstance(exc, CsrfFailed):
        return problem_response(403, "csrf_failed", _("安全校验失败，请刷新页面后重试。"))
    if isinstance(exc, PasswordChangeRequired):
        return problem_response(403, "password_change_required", _("请先在系统中修改初始密码或过期密码。"))
    if isinstance(exc, Throttled):
        headers = {"Retry-After": str(int(exc.wait) + 1)} if exc.wait is not None else {}
        return problem_response(429, "rate_limited", _("请求过于频繁，请稍后再试。"), headers=headers)
    return problem_response(exc.status_code)


def handle_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with its traceback for operators (the log filter redacts personal data);
    # the client learns nothing about the internals.
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return problem_response(500, "server_error", _("服务器内部错误，请稍后重试或联系管理员。"))


EXCEPTION_HANDLERS: list[tuple[type[Exception], Any]] = [
    (NinjaValidationError, handle_ninja_validation),
    (DomainError, handle_domain_error),
    (DjangoValidationError, handle_django_validation),
    (Http404, handle_http404),
    (DjangoPermissionDenied, handle_permission_denied),
    (IntegrityError, handle_integrity_error),
    (HttpError, handle_http_error),
    (Exception, handle_unexpected),
]


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """Response declarations for the given error statuses: ``{201: Out, **problems(403, 404)}``.

    400 (validation), 401 and 429 are added to every operation by ``JiaoziAPI``; list
    only what the operation itself can answer."""
    return dict.fromkeys(statuses, Problem)
