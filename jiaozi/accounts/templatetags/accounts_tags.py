"""Template helpers of the account pages."""

from __future__ import annotations

from django import template

from jiaozi.core.masking import mask_phone as _mask_phone
from jiaozi.core.masking import mask_resident_id as _mask_resident_id

register = template.Library()


@register.filter
def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678: lists and details never show a phone in full."""
    return _mask_phone(value)


@register.filter
def mask_resident_id(value: str | None) -> str:
    """340104199001011234 → 340104********1234; empty stays empty."""
    return _mask_resident_id(value) if value else ""
