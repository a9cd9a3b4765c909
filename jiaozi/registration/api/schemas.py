"""Pieces the registration API's features share: the applicant's session
authentication, the version and free-text fields, institutions and choice labels in
answers. Each feature's ``api.py`` keeps its own schemas and operations."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Schema
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import Field

from jiaozi.accounts.actor import is_active_applicant
from jiaozi.accounts.models import User
from jiaozi.core.api import API_AUTH
from jiaozi.core.api.auth import SAFE_METHODS
from jiaozi.core.api.problems import CsrfFailed


class ApplicantSessionAuth(APIKeyCookie):
    """The browser session of a signed-in applicant (kind ``applicant``). Unsafe methods
    need the CSRF token in ``X-CSRFToken``, as for staff sessions."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        # Checked below, once we know the session is an applicant's (an anonymous POST
        # answers 401, not a CSRF 403).
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if not is_active_applicant(user):
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user


applicant_session_auth = ApplicantSessionAuth()
# Operations applicants call too; staff keep their token and session.
WITH_APPLICANTS: list[Any] = [*API_AUTH, applicant_session_auth]

MAX_VERSION = 2**31 - 1
# Free text of opinions and reasons: several lines allowed, no other control characters.
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def version_field() -> Any:
    """The ``version`` of an optimistic-lock write (the one last read)."""
    return Field(ge=1, le=MAX_VERSION, description="上次读取到的版本号（乐观锁）")


class AppInstitutionOut(Schema):
    id: int
    code: str
    name: str


def choice_label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else ""


def institution_out(institution: Any) -> dict[str, Any] | None:
    if institution is None:
        return None
    return {"id": institution.pk, "code": institution.code, "name": institution.name}
