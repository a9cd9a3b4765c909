"""The error boundary of the pages: how a ``DomainError`` becomes a response.

``@domain_errors`` wraps a view: ``NotFound`` becomes ``Http404`` (the 404 page, which
never echoes the message), ``PermissionDenied`` the 403 page (through the handler the
accounts app registers, which also audits the denial), any other ``DomainError`` the
error page with the error's status and message.

``form_errors(form)`` is the inner part for pages with a form: a ``with`` block around
the service call that puts the error's ``field_errors`` onto the bound form (a field the
form does not have becomes a non-field error) or, without field errors, the message as a
non-field error, and lets the view render the form again. ``NotFound`` and
``PermissionDenied`` always pass through to the decorator. See docs/decisions/0141."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from types import TracebackType
from typing import Any, Protocol, TypeVar, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from .errors import DomainError, NotFound, PermissionDenied

V = TypeVar("V", bound=Callable[..., HttpResponseBase])

ERROR_TEMPLATE = "domain_error.html"


class _Form(Protocol):
    fields: dict[str, Any]

    def add_error(self, field: str | None, error: Any) -> None: ...


def _raise_forbidden(request: HttpRequest) -> HttpResponse:
    raise DjangoPermissionDenied


# The accounts app replaces this in its AppConfig.ready() with its audited 403 page.
_forbidden: Callable[[HttpRequest], HttpResponse] = _raise_forbidden


def register_forbidden(handler: Callable[[HttpRequest], HttpResponse]) -> None:
    global _forbidden
    _forbidden = handler


def forbidden_response(request: HttpRequest) -> HttpResponse:
    return _forbidden(request)


def add_to_form(
    form: _Form,
    exc: DomainError,
    *,
    message: str | None = None,
    fallback_field: str | None = None,
) -> None:
    """Put ``exc`` onto ``form``: each field error on its field (or on
    ``fallback_field``, else the form, when the form has no such field); without field
    errors, ``message`` (default: the error's message) on ``fallback_field`` or the form."""
    fallback = fallback_field if fallback_field in form.fields else None
    for name, messages in exc.field_errors.items():
        for text in messages:
            form.add_error(name if name in form.fields else fallback, text)
    if not exc.field_errors:
        form.add_error(fallback, message if message is not None else exc.message)


class form_errors:
    """``with form_errors(form): ...`` — a domain error raised inside lands on the form
    and the block is left. ``kinds`` names the errors the form takes (default: every
    DomainError but NotFound and PermissionDenied, which the page boundary answers; name
    them to put them on the form too). ``caught`` holds the
    error afterwards, for a view that answers with another status."""

    def __init__(
        self,
        form: _Form,
        *kinds: type[DomainError],
        message: Callable[[DomainError], str] | None = None,
        fallback_field: str | None = None,
    ) -> None:
        self.form = form
        self.kinds = kinds
        self.caught: DomainError | None = None
        self.message = message
        self.fallback_field = fallback_field

    def __enter__(self) -> form_errors:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if not isinstance(exc, DomainError):
            return False
        if self.kinds:
            if not isinstance(exc, self.kinds):
                return False
        elif isinstance(exc, NotFound | PermissionDenied):
            return False
        self.caught = exc
        add_to_form(
            self.form,
            exc,
            message=self.message(exc) if self.message else None,
            fallback_field=self.fallback_field,
        )
        return True


def domain_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The page's answer to a domain error no form took."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from None
    if isinstance(exc, PermissionDenied):
        return forbidden_response(request)
    user = getattr(request, "user", None)
    layout = "workspace/base.html" if getattr(user, "is_staff_user", False) else "base.html"
    context = {"error": exc, "status": exc.status, "layout": layout}
    return render(request, ERROR_TEMPLATE, context, status=exc.status)


def domain_errors(view: V) -> V:
    """The error boundary of a page view (see the module docstring)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return domain_response(request, exc)

    return cast(V, wrapped)
