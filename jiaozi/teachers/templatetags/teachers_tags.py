"""``{% load teachers_tags %}``: masking personal data in teacher pages (§9)."""

from __future__ import annotations

from django import template

from jiaozi.core.masking import mask_phone, mask_resident_id

register = template.Library()


@register.filter
def masked_id(value: str | None) -> str:
    return mask_resident_id(value)


@register.filter
def masked_phone(value: str | None) -> str:
    return mask_phone(value)
