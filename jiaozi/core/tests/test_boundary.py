"""The page error boundary: each kind of domain error → the page's response."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from jiaozi.core import boundary
from jiaozi.core.boundary import add_to_form, domain_errors, form_errors
from jiaozi.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    WindowClosed,
)


class NameForm(forms.Form):
    name = forms.CharField()
    phone = forms.CharField(required=False)


def bound() -> NameForm:
    form = NameForm({"name": "张三"})
    assert form.is_valid()
    return form


def page_request() -> HttpRequest:
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    return request


def raising(exc: Exception) -> Any:
    @domain_errors
    def view(request: HttpRequest) -> HttpResponse:
        raise exc

    return view


# --- One shape for field errors -----------------------------------------------------


def test_field_errors_are_lists_per_field() -> None:
    exc = ValidationFailed("有误", field_errors={"name": "必填", "phone": ["太短", "格式不对"]})
    assert exc.field_errors == {"name": ["必填"], "phone": ["太短", "格式不对"]}
    assert exc.error_list() == [
        {"field": "name", "message": "必填"},
        {"field": "phone", "message": "太短"},
        {"field": "phone", "message": "格式不对"},
    ]


def test_on_field_is_the_message_on_one_field() -> None:
    exc = Conflict.on_field("phone", "已注册", code="phone_taken")
    assert isinstance(exc, Conflict)
    assert exc.code == "phone_taken"
    assert exc.message == "已注册"
    assert exc.field_errors == {"phone": ["已注册"]}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"field": "name"},
        {"fields": {"name": "必填", "phone": "太短"}},
        {"errors": [{"field": "name", "message": "必填"}]},
    ],
)
def test_the_old_keywords_are_refused(kwargs: dict[str, Any]) -> None:
    # One shape: a field error given another way would end up in ``details`` unseen.
    with pytest.raises(TypeError, match="field_errors"):
        ValidationFailed("摘要", **kwargs)


def test_other_keywords_stay_context() -> None:
    exc = ValidationFailed("摘要", window="apply", due=3)
    assert exc.field_errors == {}
    assert exc.details == {"window": "apply", "due": 3}


# --- Errors onto a bound form ------------------------------------------------------


def test_field_errors_land_on_their_fields() -> None:
    form = bound()
    add_to_form(form, ValidationFailed("有误", field_errors={"name": ["必填"], "elsewhere": ["别处"]}))
    assert form.errors["name"] == ["必填"]
    assert form.non_field_errors() == ["别处"]


def test_without_field_errors_the_message_is_a_form_error() -> None:
    form = bound()
    add_to_form(form, Conflict("已被他人修改"))
    assert form.non_field_errors() == ["已被他人修改"]
    assert "name" not in form.errors


def test_fallback_field_takes_what_has_no_field() -> None:
    form = bound()
    add_to_form(
        form, ValidationFailed("太简单", field_errors={"password": ["太简单"]}), fallback_field="phone"
    )
    assert form.errors["phone"] == ["太简单"]


def test_form_errors_swallows_and_keeps_the_error() -> None:
    form = bound()
    with form_errors(form) as failed:
        raise ValidationFailed("有误", field_errors={"name": "必填"})
    assert isinstance(failed.caught, ValidationFailed)
    assert form.errors["name"] == ["必填"]


def test_form_errors_message_rewrites_the_summary() -> None:
    form = bound()
    with form_errors(form, message=lambda e: f"[{e.code}]"):
        raise Conflict("x", code="stale_version")
    assert form.non_field_errors() == ["[stale_version]"]


@pytest.mark.parametrize("exc", [NotFound("无"), PermissionDenied("不许")])
def test_form_errors_lets_not_found_and_forbidden_through_by_default(exc: DomainError) -> None:
    form = bound()
    with pytest.raises(type(exc)), form_errors(form):
        raise exc
    assert not form.errors


def test_form_errors_takes_only_the_named_kinds() -> None:
    form = bound()
    with pytest.raises(WindowClosed), form_errors(form, ValidationFailed, Conflict):
        raise WindowClosed("不在办理时间内")
    with form_errors(form, NotFound, fallback_field="name"):
        raise NotFound("机构不存在")
    assert form.errors["name"] == ["机构不存在"]


def test_form_errors_leaves_other_exceptions_alone() -> None:
    with pytest.raises(ValueError), form_errors(bound()):
        raise ValueError("not a domain error")


# --- The page boundary ---------------------------------------------------------------


def test_not_found_is_http404() -> None:
    with pytest.raises(Http404):
        raising(NotFound("记录不存在"))(page_request())


def test_permission_denied_is_the_registered_403_page(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[HttpRequest] = []

    def handler(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        return HttpResponse("forbidden", status=403)

    monkeypatch.setattr(boundary, "_forbidden", handler)
    request = page_request()
    response = raising(PermissionDenied("不许"))(request)
    assert response.status_code == 403
    assert calls == [request]


def test_permission_denied_without_a_handler_is_djangos_403(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

    monkeypatch.setattr(boundary, "_forbidden", boundary._raise_forbidden)
    with pytest.raises(DjangoPermissionDenied):
        raising(PermissionDenied("不许"))(page_request())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (Conflict("已被他人修改"), 409),
        (WindowClosed("不在办理时间内"), 409),
        (ValidationFailed("内容有误"), 400),
        (DomainError("操作失败"), 400),
    ],
)
def test_other_errors_are_the_error_page_with_their_status(exc: DomainError, status: int) -> None:
    response = raising(exc)(page_request())
    assert response.status_code == status
    assert exc.message in response.content.decode()


def test_a_normal_response_passes_through() -> None:
    @domain_errors
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert raising.__name__ == "raising"
    assert view(page_request()).content == b"ok"


def test_the_accounts_app_registers_its_audited_403_page() -> None:
    from jiaozi.accounts.decorators import forbidden

    assert boundary._forbidden is forbidden


@pytest.mark.django_db
def test_the_error_page_keeps_the_workspace_for_staff() -> None:
    from jiaozi.accounts.roles import Role
    from jiaozi.accounts.tests.factories import make_staff
    from jiaozi.orgs.tests.factories import LUYANG, bureau

    request = page_request()
    request.user = make_staff(
        username="boundary_staff", role=Role.REGISTRATION_REVIEWER, institution=bureau(LUYANG)
    )
    response = raising(WindowClosed("不在办理时间内"))(request)
    assert response.status_code == 409
    content = response.content.decode()
    assert "不在办理时间内" in content
    assert "返回工作台" in content
