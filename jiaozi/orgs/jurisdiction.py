"""Jurisdiction (§9): a staff user sees its own institution and everything below it.

Every selector that lists or fetches scoped data starts from ``scope_q``; every
single-object fetch goes through ``get_visible_or_404``, which answers "not found"
for out-of-scope and missing alike, so the answer never tells which it was."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from jiaozi.core.accounts import Account
from jiaozi.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


def scope_q(user: Account | None, *, path_field: str = "path") -> models.Q:
    """Q matching rows whose institution path lies within ``user``'s institution.

    ``path_field`` is the lookup to the institution path, e.g. ``"school__path"``.
    Applicants, inactive users and staff without an institution see nothing."""
    institution = getattr(user, "institution", None)
    if not getattr(user, "is_active_staff", False) or institution is None:
        return models.Q(pk__in=[])
    return models.Q(**{f"{path_field}__startswith": institution.path})


def get_visible_or_404(queryset: models.QuerySet[M], **lookup: Any) -> M:
    """Fetch one object from an already-scoped queryset, or raise ``NotFound``."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound("记录不存在或不在您的管辖范围内。") from None
