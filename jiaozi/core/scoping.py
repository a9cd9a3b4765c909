"""Fetching one object from a queryset already scoped to the user's jurisdiction.

``jiaozi.orgs.jurisdiction`` builds the scope; this helper knows no app, so the apps below
``orgs`` (the audit viewer) use it too."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from jiaozi.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


def get_visible_or_404(queryset: models.QuerySet[M], **lookup: Any) -> M:
    """Fetch one object from an already-scoped queryset, or raise ``NotFound``."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound("记录不存在或不在您的管辖范围内。") from None
