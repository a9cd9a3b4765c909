"""``JiaoziAPI``: django-ninja's NinjaAPI with Jiaozi's rules built in.

- every operation requires a service token or a verified staff session (``auth.API_AUTH``)
  and is rate-limited per user;
- every error is ``application/problem+json`` (``problems``), including unknown URLs
  under the API and wrong methods;
- the OpenAPI document and the Swagger UI answer 404 to anyone but staff (SECURITY 23),
  and the UI loads only files this server serves (no CDN);
- the OpenAPI document is honest about errors: each operation lists 400/401/403/429
  where they can happen, error bodies are declared as ``application/problem+json``, and
  idempotent operations list 409/422 and the ``Idempotent-Replayed`` header;
- every operation that writes (POST, PUT, PATCH, DELETE, and reads marked
  ``@transactional`` because they record something) runs in one transaction that is
  rolled back unless the answer is a success — an error raised after the write, or an
  answer that does not fit its response schema, leaves nothing behind
  (docs/decisions/0161);
- no answer under the API is kept by a browser or a proxy: every response carries
  ``Cache-Control: no-store`` (personal data, SECURITY 21).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.decorators import _apply_decorators
from ninja.errors import HttpError
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from .auth import API_AUTH, StaffRateThrottle, authenticate_request
from .idempotency import REPLAYED_HEADER
from .problems import EXCEPTION_HANDLERS, PROBLEM_CONTENT_TYPE, Problem, problem_response

SCHEMA_REF_TEMPLATE = "#/components/schemas/{model}"
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
NO_STORE = "no-store, private"


def _not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problem_response(404, "not_found", _("请求的接口不存在。"))


not_found_view = csrf_exempt(_not_found)


def staff_only_docs(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The schema and the docs exist only for staff: everyone else gets the same 404
    as an unknown URL."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            user = authenticate_request(request)
        except HttpError:
            user = None
        if user is None:
            return _not_found(request)
        return view(request, *args, **kwargs)

    return wrapper


class LocalSwagger(Swagger):
    """Swagger UI from the files django-ninja ships (``ninja/static``), never a CDN.
    It sends the CSRF token, so "try it out" works with a browser session."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        if "ninja" not in settings.INSTALLED_APPS:
            # ninja would fall back to its CDN template; refuse instead.
            return _not_found(request)
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings, indent=1), "api": api, "add_csrf": True}
        return render(request, self.template, context)


def _with_problem_405(view: Callable[..., Any]) -> Callable[..., Any]:
    """ninja answers a wrong method with a plain-text 405; make it a problem too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            PROBLEM_CONTENT_TYPE
        ):
            return problem_response(
                405,
                "method_not_allowed",
                _("该接口不支持 %(method)s 请求。") % {"method": request.method},
                headers={"Allow": response.get("Allow", "")},
            )
        return response

    return wrapper


_AFTER = "_jiaozi_after_transaction"


def after_transaction(request: HttpRequest, record: Callable[[], None]) -> None:
    """Run ``record`` once the operation's transaction is over, committed or rolled
    back — for what must be kept even when the request fails, such as the audit of a
    denied access. Outside a transactional operation it runs at once."""
    pending: list[Callable[[], None]] | None = getattr(request, _AFTER, None)
    if pending is None:
        record()
    else:
        pending.append(record)


def _in_transaction(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """One operation's run — authentication, the work and the rendering of the answer
    against its schema — in one transaction, rolled back unless the answer is a 2xx or
    3xx. ninja turns every exception into an error answer inside ``run``, so the answer's
    status is what decides."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        outermost = getattr(request, _AFTER, None) is None
        if outermost:
            setattr(request, _AFTER, [])
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                if response.status_code >= 400:
                    transaction.set_rollback(True)
        finally:
            if outermost:
                pending = getattr(request, _AFTER)
                delattr(request, _AFTER)
                for record in pending:
                    with transaction.atomic():
                        record()
        return response

    return wrapper


def _make_transactional(operation: Operation) -> None:
    _apply_decorators((_in_transaction,), operation)  # type: ignore[arg-type]


def transactional(func: Any) -> Any:
    """Run a safe-method operation that records something (an audited download, a
    document stored on first read) in one transaction like a write: a failed answer
    leaves no record behind. Unsafe methods get this from ``JiaoziAPI`` without asking."""
    operation = getattr(func, "_ninja_operation", None)
    if operation is not None:
        _make_transactional(operation)
    else:
        contribute_operation_callback(func, _make_transactional)
    return func


def _writes_in_transaction(view: Callable[..., Any]) -> Callable[..., Any]:
    """Every POST, PUT, PATCH and DELETE under the API in one transaction."""
    in_transaction = _in_transaction(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if (request.method or "").lower() in UNSAFE_METHODS:
            return in_transaction(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapper


def _no_store(view: Callable[..., Any]) -> Callable[..., Any]:
    """Nothing the API answers is kept by a browser or a proxy: the answers carry
    personal data. A view's own ``no-store`` stays as it set it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = NO_STORE
        return response

    return wrapper


class JiaoziAPI(NinjaAPI):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("auth", API_AUTH)
        kwargs.setdefault("throttle", [StaffRateThrottle()])
        kwargs.setdefault(
            "docs", LocalSwagger(settings={"validatorUrl": None, "persistAuthorization": False})
        )
        kwargs.setdefault("docs_decorator", staff_only_docs)
        super().__init__(**kwargs)
        for exc_class, handler in EXCEPTION_HANDLERS:
            self.add_exception_handler(exc_class, handler)

    # Operation ids are the view function names: short, stable, unique (a test checks).
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _writes_in_transaction(_with_problem_405(pattern.callback))
        # ninja's root view raises Http404 naming the docs URL; answer like any unknown URL.
        urls[-1] = path("", not_found_view, name="api-root")
        urls.append(re_path(r"^.*$", not_found_view, name="not-found"))
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _no_store(pattern.callback)
        return urls

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_problems(schema)
        return schema


def _problem_response_doc(status: int) -> dict[str, Any]:
    return {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": SCHEMA_REF_TEMPLATE.format(model="Problem")}}},
    }


def _document_problems(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template=SCHEMA_REF_TEMPLATE)
    components.update(problem_schema.pop("$defs", {}))
    components.setdefault("Problem", problem_schema)

    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            responses: dict[Any, Any] = operation.setdefault("responses", {})
            # ninja keys responses by int; keep them ints so nothing is listed twice.
            for status in list(responses):
                if int(status) >= 400:
                    responses[status] = _problem_response_doc(int(status))
            secured = bool(operation.get("security"))
            has_input = bool(operation.get("parameters")) or "requestBody" in operation
            extra: list[int] = []
            if has_input:
                extra.append(400)
            if secured:
                # 401 without credentials; 403 for a failed CSRF check or a password that
                # must be changed first; 429 over the rate limit.
                extra += [401, 403, 429]
            if operation.get("x-idempotent"):
                extra += [400, 409, 422]
                for status, response in responses.items():
                    if 200 <= int(status) < 300:
                        response.setdefault("headers", {})[REPLAYED_HEADER] = {
                            "description": "true when the answer is the stored one of an earlier request",
                            "schema": {"type": "string", "enum": ["true"]},
                        }
            for status in extra:
                if status not in responses and str(status) not in responses:
                    responses[status] = _problem_response_doc(status)
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: int(kv[0])))
            del method
