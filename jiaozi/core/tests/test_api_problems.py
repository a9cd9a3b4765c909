"""Every API error is application/problem+json (RFC 9457) with a stable code, in the
language of the request. A small API mounted only for these tests raises each kind of
exception the real routers can meet."""

from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.test import override_settings
from django.urls import include, path
from django.utils import translation
from django.utils.translation import gettext
from ninja import Router

from jiaozi.accounts.roles import Role
from jiaozi.core.api import problems
from jiaozi.core.api.base import JiaoziAPI
from jiaozi.core.api.testing import staff_user, token_client
from jiaozi.core.errors import Conflict, NotFound, ValidationFailed, WindowClosed
from jiaozi.orgs.tests.factories import LUYANG, bureau

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors"}

router = Router()


@router.get("/not-found", response={200: dict, **problems(404)})
def raise_not_found(request: HttpRequest) -> Any:
    raise NotFound("那份记录不存在。")


@router.get("/window-closed", response={200: dict, **problems(409)})
def raise_window_closed(request: HttpRequest) -> Any:
    raise WindowClosed("学校审查时段已结束（2024-12-15 17:00）。")


@router.get("/conflict", response={200: dict, **problems(409)})
def raise_conflict(request: HttpRequest) -> Any:
    raise Conflict("已被他人处理。", code="stale_version")


@router.get("/invalid-fields", response={200: dict, **problems(400)})
def raise_invalid_fields(request: HttpRequest) -> Any:
    raise ValidationFailed(
        "公示信息填写有误。", field_errors={"phone": "电话格式不正确。", "address": "请填写地址。"}
    )


@router.get("/django-validation", response={200: dict, **problems(400)})
def raise_django_validation(request: HttpRequest) -> Any:
    raise DjangoValidationError({"reason": ["请填写原因。"]})


@router.get("/django-permission", response={200: dict, **problems(403)})
def raise_django_permission(request: HttpRequest) -> Any:
    raise DjangoPermissionDenied("internal detail")


@router.get("/http404", response={200: dict, **problems(404)})
def raise_http404(request: HttpRequest) -> Any:
    raise Http404("No Teacher matches 340104199001011234")


@router.get("/boom", response={200: dict})
def raise_unexpected(request: HttpRequest) -> Any:
    raise RuntimeError("secret internals at /srv/jiaozi/settings.py")


test_api = JiaoziAPI(title="test", version="test", urls_namespace="problems-test")
test_api.add_router("", router)

urlpatterns = [
    path("t/", test_api.urls),
    path("", include("config.urls")),
]


@pytest.fixture
def api() -> Any:
    return token_client(staff_user(bureau(LUYANG), Role.REGISTRATION_REVIEWER))


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json; charset=utf-8"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://jiaozi.invalid/problems/{code}"
    assert body["title"]
    assert body["detail"]
    return body


# --- the real API: authentication, routing, validation ----------------------------


def test_anonymous_is_401_problem(client: Any) -> None:
    response = client.get("/api/v1/me")
    body = assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body["errors"] == []


def test_unknown_api_url_is_404_problem(client: Any, api: Any) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(api.post_json("/api/v1/nothing/here"), 404, "not_found")
    # ninja's own root page would name the docs URL.
    assert_problem(client.get("/api/v1/"), 404, "not_found")


def test_wrong_method_is_405_problem(api: Any) -> None:
    response = api.delete("/api/v1/me")
    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_request_validation_is_400_with_fields(api: Any) -> None:
    response = api.get("/api/v1/institutions", {"limit": 0, "offset": -1, "kind": "x"})
    body = assert_problem(response, 400, "validation_failed")
    assert {e["field"] for e in body["errors"]} == {"limit", "offset", "kind"}


def test_malformed_json_is_400(api: Any) -> None:
    response = api.post_json("/api/v1/staff", "{not json")
    assert_problem(response, 400, "validation_failed")


def test_body_field_names_drop_the_argument_name(api: Any) -> None:
    response = api.post_json("/api/v1/staff", {"username": "ab"})
    body = assert_problem(response, 400, "validation_failed")
    fields = {e["field"] for e in body["errors"]}
    assert {"institution_id", "username", "phone"} <= fields
    assert not any(f.startswith(("body", "payload")) for f in fields)


# --- mapping of exceptions -------------------------------------------------------------


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "status", "code", "detail"),
    [
        ("/t/not-found", 404, "not_found", "那份记录不存在。"),
        ("/t/window-closed", 409, "window_closed", "学校审查时段已结束（2024-12-15 17:00）。"),
        ("/t/conflict", 409, "stale_version", "已被他人处理。"),
        ("/t/django-permission", 403, "forbidden", "您无权执行此操作。"),
        ("/t/http404", 404, "not_found", "记录不存在或不在您的管辖范围内。"),
    ],
)
def test_exceptions_map_to_problems(api: Any, url: str, status: int, code: str, detail: str) -> None:
    body = assert_problem(api.get(url), status, code)
    assert body["detail"] == detail


@pytest.mark.urls(__name__)
def test_domain_validation_lists_fields(api: Any) -> None:
    body = assert_problem(api.get("/t/invalid-fields"), 400, "validation_failed")
    assert body["errors"] == [
        {"field": "phone", "message": "电话格式不正确。"},
        {"field": "address", "message": "请填写地址。"},
    ]


@pytest.mark.urls(__name__)
def test_django_validation_error_is_400(api: Any) -> None:
    body = assert_problem(api.get("/t/django-validation"), 400, "validation_failed")
    assert body["errors"] == [{"field": "reason", "message": "请填写原因。"}]


@pytest.mark.urls(__name__)
def test_unexpected_error_is_500_without_internals(api: Any) -> None:
    response = api.get("/t/boom")
    body = assert_problem(response, 500, "server_error")
    text = response.content.decode()
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert body["detail"] == "服务器内部错误，请稍后重试或联系管理员。"


# --- language ----------------------------------------------------------------------


def english(msgid: str) -> str:
    with translation.override("en"):
        text = gettext(msgid)
    assert text != msgid, f"no English for {msgid!r} in jiaozi/locale/en"
    return text


def test_problem_is_chinese_by_default(client: Any) -> None:
    body = client.get("/api/v1/me").json()
    assert body["detail"] == "请先登录，或提供有效的接口令牌。"
    assert body["title"] == "未登录或凭据无效"


def test_problem_follows_the_request_language(client: Any) -> None:
    response = client.get("/api/v1/me", headers={"Accept-Language": "en"})
    body = assert_problem(response, 401, "unauthenticated")
    assert response["Content-Language"] == "en"
    assert body["detail"] == english("请先登录，或提供有效的接口令牌。")
    assert body["title"] == english("未登录或凭据无效")
    # The code is the same in every language.
    chinese = client.get("/api/v1/me", headers={"Accept-Language": "zh-hans"}).json()
    assert chinese["code"] == body["code"]
    assert chinese["detail"] == "请先登录，或提供有效的接口令牌。"


def test_validation_messages_follow_the_language(api: Any) -> None:
    body = api.get("/api/v1/institutions", {"limit": 0}, headers={"Accept-Language": "en"}).json()
    assert body["detail"] == english("请求内容有误，请检查后重试。")
    assert body["errors"] == [{"field": "limit", "message": english("数值过小。")}]


# --- rate limit ------------------------------------------------------------------------


def test_rate_limit_is_429_problem(api: Any) -> None:
    cache.clear()
    with override_settings(API_THROTTLE_RATE="3/m"):
        statuses = [api.get("/api/v1/me").status_code for _ in range(4)]
        response = api.get("/api/v1/me")
    cache.clear()
    assert statuses == [200, 200, 200, 429]
    assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 61


def test_rate_limit_counts_per_user(api: Any) -> None:
    other = token_client(staff_user(bureau(LUYANG), Role.REGISTRATION_REVIEWER))
    cache.clear()
    with override_settings(API_THROTTLE_RATE="1/m"):
        assert api.get("/api/v1/me").status_code == 200
        assert api.get("/api/v1/me").status_code == 429
        assert other.get("/api/v1/me").status_code == 200
    cache.clear()
