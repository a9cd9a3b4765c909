"""Jurisdiction (§9): a staff user sees its own institution and everything below it.

Every selector that lists or fetches scoped data starts from ``scope_q``; every
single-object fetch goes through ``get_visible_or_404``, which answers "not found"
for out-of-scope and missing alike, so the answer never tells which it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from jiaozi.core.accounts import Account
from jiaozi.core.scoping import get_visible_or_404

if TYPE_CHECKING:
    from .models import Institution

__all__ = ["get_visible_or_404", "scope_q"]


def scope_q(user: Account | None, *, path_field: str = "path") -> models.Q:
    """Q matching rows whose institution path lies within ``user``'s institution.

    ``path_field`` is the lookup to the institution path, e.g. ``"school__path"``.
    Applicants, inactive users and staff without an institution see nothing."""
    institution = getattr(user, "institution", None)
    if not getattr(user, "is_active_staff", False) or institution is None:
        return models.Q(pk__in=[])
    return models.Q(**{f"{path_field}__startswith": institution.path})


def province_code_of(institution: Institution | None) -> str:
    """GB/T 2260 code of the province an institution belongs to (340103 → 340000)."""
    if institution is None:
        return ""
    return str(institution.division_id)[:2] + "0000"
