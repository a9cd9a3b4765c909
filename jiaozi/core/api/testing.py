"""Helpers for API tests in every app (test code only; never imported by the app).

from jiaozi.core.api.testing import ApiClient, staff_user, token_client, session_client

user = staff_user(bureau("340103"), Role.INSTITUTION_ADMIN)
api = token_client(user)                  # Authorization: Bearer <a fresh token>
r = api.get("/api/v1/staff")
api.post_json("/api/v1/staff", {...}, idempotency_key="k1")

browser = session_client(user)            # signed in, OTP verified, CSRF enforced
browser.post_json(url, {...}, csrf=True)  # sends the CSRF cookie's token

Every answer an ``ApiClient`` receives under /api/v1/ is checked against the API's own
OpenAPI document (``conforms``): a 5xx, a status the operation does not declare, or a
body that does not fit the declared schema fails the test that caused it — so a
response schema error is caught by whichever test reaches it, not by users.
"""

from __future__ import annotations

import json
from functools import cache
from itertools import count
from typing import Any

from django.conf import settings
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tokens import service_token_create
from jiaozi.orgs.models import Institution

PASSWORD = "Jiaozi@2024"  # noqa: S105 -- the demo password of test personas
_serial = count(1)


def staff_user(institution: Institution, role: str = Role.INSTITUTION_ADMIN, **extra: Any) -> User:
    n = next(_serial)
    extra.setdefault("username", f"api_staff_{n}")
    extra.setdefault("real_name", f"接口测试{n}")
    extra.setdefault("phone", f"139{n:08d}")
    extra.setdefault("post", "科员")
    return User.objects.create_user(
        password=PASSWORD, kind=User.Kind.STAFF, role=role, institution=institution, **extra
    )


API_PREFIX = "/api/v1/"
# Not operations of the document: the document itself and its UI.
_UNDOCUMENTED = ("/api/v1/openapi.json", "/api/v1/docs")


@cache
def _api_document() -> Any:
    import schemathesis

    from config.api import api

    return schemathesis.openapi.from_dict(api.get_openapi_schema())


class NonConforming(AssertionError):
    """An API answer the OpenAPI document does not describe."""


def conforms(method: str, path: str, response: Any) -> None:
    """Raise ``NonConforming`` unless ``response`` to ``method path`` is an answer the
    document declares for that operation: no 5xx, a declared status, a declared content
    type and, for JSON, a body valid against the declared schema. Paths that are no
    operation (unknown URLs, wrong methods) are only checked for the 5xx."""
    status = response.status_code
    if status >= 500:
        raise NonConforming(f"{method} {path} answered {status}: {response.content[:500]!r}")
    document = _api_document()
    operation = document.find_operation_by_path(method, path)
    if operation is None:
        return
    declared = operation.definition.raw.get("responses", {})
    spec = declared.get(str(status)) or declared.get(status) or declared.get("default")
    if spec is None:
        raise NonConforming(f"{method} {path} answered {status}, not among {sorted(map(str, declared))}")
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    media = spec.get("content") or {}
    if media and content_type not in media:
        raise NonConforming(f"{method} {path} answered {content_type!r}, not among {sorted(media)}")
    if content_type.endswith("json"):
        from schemathesis.core.transport import Response

        headers = {name: [value] for name, value in response.items()}
        answer = Response(
            status_code=status,
            headers=headers,
            content=response.content,
            request=_prepared(method, path),
            elapsed=0.0,
            verify=True,
        )
        try:
            operation.validate_response(answer)
        except Exception as exc:
            raise NonConforming(f"{method} {path} answered a body outside its schema: {exc}") from exc


def _prepared(method: str, path: str) -> Any:
    import requests

    return requests.Request(method, f"http://testserver{path}").prepare()


class ApiClient(Client):
    """A test client with JSON helpers and optional default headers; every answer under
    the API is checked against the OpenAPI document (``conforms``) unless the client is
    made with ``check=False``."""

    def __init__(
        self, *args: Any, headers: dict[str, str] | None = None, check: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, headers=headers, **kwargs)
        self.csrf_token = ""
        self.check = check

    def request(self, **request: Any) -> Any:
        response = super().request(**request)
        path = request.get("PATH_INFO", "")
        if self.check and path.startswith(API_PREFIX) and not path.startswith(_UNDOCUMENTED):
            conforms(request.get("REQUEST_METHOD", "GET"), path, response)
        return response

    def _send(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        idempotency_key: str | None = None,
        csrf: bool = False,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Any:
        headers = dict(headers or {})
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if csrf:
            headers["X-CSRFToken"] = self.csrf_token
        body = data if isinstance(data, str | bytes) else json.dumps(data if data is not None else {})
        return self.generic(method, path, body, content_type="application/json", headers=headers, **extra)

    def post_json(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self._send("POST", path, data, **kw)

    def patch_json(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self._send("PATCH", path, data, **kw)


def service_token(user: User, name: str = "test") -> str:
    return service_token_create(actor=None, user=user, name=name, expires_at=None)[1]


def token_client(user: User, *, token: str | None = None) -> ApiClient:
    token = token or service_token(user)
    return ApiClient(headers={"Authorization": f"Bearer {token}"})


def session_client(user: User, *, verified: bool = True) -> ApiClient:
    """A browser-like client: signed in through Django's login (so the session policy
    marks the session), a confirmed TOTP device, CSRF checks enforced."""
    client = ApiClient(enforce_csrf_checks=True)
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    # A CSRF cookie and its token, as a page of the staff area would have set them.
    request = RequestFactory().get("/")
    client.csrf_token = get_token(request)
    client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return client
