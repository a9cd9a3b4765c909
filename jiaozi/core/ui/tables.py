"""Helpers for list pages: safe sorting from ``?sort=`` and pagination that keeps filters.

Views stay thin: ``sort, order_by = ordering_from(request, allowed=..., default=...)``
then ``page_obj = paginate(request, queryset.order_by(*order_by))``. Only the keys of
``allowed`` are accepted, so a crafted ``sort`` never reaches ``order_by``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.functional import Promise

PER_PAGE = 20


@dataclass(frozen=True)
class Column:
    """A table column for ``includes/data_table.html``. ``field`` is the ``?sort=`` key
    (``""`` for none); ``sortable`` columns get a sort link."""

    label: str | Promise
    field: str = ""
    sortable: bool = False
    css: str = ""


def ordering_from(
    request: HttpRequest, *, allowed: Mapping[str, str | Sequence[str]], default: str
) -> tuple[str, list[str]]:
    """Returns the effective ``sort`` value and the ``order_by`` arguments.

    ``allowed`` maps a public key to model field(s): ``{"name": "real_name"}``; ``-key``
    sorts descending. Unknown keys fall back to ``default``."""
    raw = request.GET.get("sort", "") or default
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in allowed:
        raw = default
        descending = default.startswith("-")
        key = default.lstrip("-")
    target = allowed[key]
    fields = [target] if isinstance(target, str) else list(target)
    order_by = [f"-{f.lstrip('-')}" if descending != f.startswith("-") else f.lstrip("-") for f in fields]
    return raw, order_by


def paginate(request: HttpRequest, items: Any, *, per_page: int = PER_PAGE) -> Page:
    """The requested page (out-of-range and malformed numbers give the nearest valid page)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
