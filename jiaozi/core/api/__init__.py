"""The API toolkit every app's ``api.py`` uses (§13). See docs/api.md.

``from jiaozi.core.api import ObjectId, Page, Problem, idempotent, problems, current_user``
(and ``transactional`` for a read that records something)
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jiaozi.core.errors import PermissionDenied

from .auth import API_AUTH, ServiceTokenAuth, StaffRateThrottle, StaffSessionAuth, auth_method
from .base import after_transaction, transactional
from .idempotency import idempotency_records_purge, idempotent
from .problems import Problem, ProblemFieldError, problem_response, problems
from .schemas import MAX_LIMIT, BodyId, ObjectId, Page, text

__all__ = [
    "API_AUTH",
    "MAX_LIMIT",
    "BodyId",
    "ObjectId",
    "Page",
    "Problem",
    "ProblemFieldError",
    "ServiceTokenAuth",
    "StaffRateThrottle",
    "StaffSessionAuth",
    "after_transaction",
    "auth_method",
    "current_user",
    "idempotency_records_purge",
    "idempotent",
    "problem_response",
    "problems",
    "require",
    "text",
    "transactional",
]


def current_user(request: HttpRequest) -> Any:
    """The authenticated staff user of an API operation (token or session)."""
    return request.auth  # type: ignore[attr-defined]


def require(allowed: bool, message: str = "") -> None:
    """Raise a 403 problem unless ``allowed`` — for a permission predicate checked
    before a selector, e.g. ``require(can_view_staff(actor=user))``."""
    if not allowed:
        from django.utils.translation import gettext as _

        raise PermissionDenied(message or _("您无权执行此操作。"))
