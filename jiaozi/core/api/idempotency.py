"""``Idempotency-Key`` on creating POSTs (§13, SECURITY 14).

Decorate the operation with ``@idempotent`` (below the router decorator)::

    @router.post("/staff", response={201: StaffCreated, **problems(403, 409)})
    @idempotent
    def staff_create(request, payload: StaffIn): ...

A client that sends ``Idempotency-Key: <1–255 visible ASCII characters>`` gets:

- first time: the operation runs; if it answers 2xx, the answer is stored in the same
  transaction as the work, so a failure leaves neither work nor record;
- same key, same user, same method, path and body (JSON compared canonically) within
  24 hours: the stored answer again — same status and body, header
  ``Idempotent-Replayed: true`` — and nothing is done twice;
- same key with anything else different: 422 ``idempotency_key_reused``;
- two concurrent requests with one key: the unique constraint on (user, key) lets one
  win; the other waits for it and replays its answer, or gets 409 ``conflict``.

Without the header the operation runs as usual. See docs/decisions/0042."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from functools import partial, wraps
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja.decorators import _apply_decorators
from ninja.errors import HttpError
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from jiaozi.core import clock
from jiaozi.core.models import IdempotencyRecord

from .auth import authenticate_request
from .problems import problem_response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = dt.timedelta(hours=24)
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY_RE = re.compile(KEY_PATTERN)
# How often a request that lost the race on a key looks for the winner's answer.
_ATTEMPTS = 3

F = TypeVar("F", bound=Callable[..., Any])

OPENAPI_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "可选。同一用户以相同的键重发相同的请求时，返回首次的结果而不重复执行（24 小时内有效）；"
        "相同的键用于不同的请求时返回 422。"
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
}


class _KeyTaken(Exception):
    """Another transaction holds (user, key); retry to read its answer."""


def fingerprint(request: HttpRequest) -> str:
    """What makes two requests "the same": method, full path and the body, with JSON
    compared by value so whitespace and key order do not matter."""
    body = request.body
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        body = canonical.encode()
    except (ValueError, UnicodeDecodeError):
        pass
    digest = hashlib.sha256()
    for part in (request.method or "").encode(), request.get_full_path().encode(), body:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, request_fingerprint: str) -> HttpResponse:
    if record.fingerprint != request_fingerprint:
        return problem_response(
            422,
            "idempotency_key_reused",
            _("该幂等键已用于另一个不同的请求，请为新请求使用新的键。"),
            errors=[{"field": HEADER, "message": _("该键已被使用。")}],
        )
    response = HttpResponse(record.response_body, status=record.status_code, content_type=record.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def _lookup(user: AbstractBaseUser, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user_id=user.pk, key=key).first()


def _run_once(
    run: Callable[..., HttpResponseBase],
    request: HttpRequest,
    user: AbstractBaseUser,
    key: str,
    fp: str,
    *a: Any,
    **kw: Any,
) -> HttpResponseBase:
    with transaction.atomic():
        now = clock.now()
        record = _lookup(user, key)
        if record is not None:
            if record.expires_at > now:
                return _replay(record, fp)
            record.delete()
        try:
            # A savepoint, so a duplicate key can be caught without poisoning the
            # transaction. On PostgreSQL this INSERT waits for a concurrent holder of the
            # same key to finish; SQLite's immediate transactions queue at BEGIN instead.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user_id=user.pk,
                    key=key,
                    method=request.method or "",
                    path=request.get_full_path()[:512],
                    fingerprint=fp,
                    created_at=now,
                    expires_at=now + TTL,
                )
        except IntegrityError:
            raise _KeyTaken from None
        response = run(request, *a, **kw)
        if not 200 <= response.status_code < 300 or not isinstance(response, HttpResponse):
            # The operation failed (ninja turned the exception into a problem response):
            # undo its writes and the record together.
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "application/json")
        record.response_body = response.content.decode(response.charset or "utf-8")
        record.save(update_fields=["status_code", "content_type", "response_body"])
        return response


def _idempotent_run(
    run: Callable[..., HttpResponseBase], auth: Sequence[Any] | None = None
) -> Callable[..., HttpResponseBase]:
    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if key is None:
            return run(request, *args, **kwargs)
        try:
            user = authenticate_request(request, auth)
        except HttpError:  # CSRF or password change: the operation answers it
            user = None
        if user is None:
            # Let the operation give its own 401/403.
            return run(request, *args, **kwargs)
        if not _KEY_RE.match(key):
            return problem_response(
                400,
                "validation_failed",
                _("幂等键须为 1 至 255 个可见 ASCII 字符。"),
                errors=[{"field": HEADER, "message": _("格式不正确。")}],
            )
        fp = fingerprint(request)
        for _attempt in range(_ATTEMPTS):
            try:
                return _run_once(run, request, user, key, fp, *args, **kwargs)
            except _KeyTaken:
                continue
        return problem_response(409, "conflict", _("相同幂等键的请求正在处理中，请稍后重试。"))

    return wrapper


def _contribute(operation: Operation, auth: Sequence[Any] | None = None) -> None:
    _apply_decorators((partial(_idempotent_run, auth=auth),), operation)  # type: ignore[arg-type]
    extra = dict(operation.openapi_extra or {})
    extra["parameters"] = [*extra.get("parameters", []), OPENAPI_PARAMETER]
    # JiaoziAPI documents the 422 answer and the replay header from this mark.
    extra["x-idempotent"] = True
    operation.openapi_extra = extra


def idempotent(func: F) -> F:
    """Honour ``Idempotency-Key`` on this operation (see the module docstring)."""
    operation = getattr(func, "_ninja_operation", None)
    if operation is not None:
        _contribute(operation)
    else:
        contribute_operation_callback(func, _contribute)
    return func


def idempotent_with(auth: Sequence[Any]) -> Callable[[F], F]:
    """``@idempotent`` for an operation declared with its own ``auth=`` list (e.g. one
    that applicants call with their browser session too): the key belongs to whoever
    that list authenticates. Pass the same list as the operation's ``auth``."""
    auth = list(auth)

    def decorate(func: F) -> F:
        operation = getattr(func, "_ninja_operation", None)
        if operation is not None:
            _contribute(operation, auth)
        else:
            contribute_operation_callback(func, partial(_contribute, auth=auth))
        return func

    return decorate


def idempotency_records_purge(*, now: dt.datetime | None = None) -> int:
    """Delete expired records; returns how many. Run daily (an expired key is also
    dropped lazily when it is reused)."""
    deleted, _by_model = IdempotencyRecord.objects.filter(expires_at__lte=now or clock.now()).delete()
    return deleted
