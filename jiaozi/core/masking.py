"""Masking of personal data for lists, exports and public pages (§8, §9)."""

from __future__ import annotations


def mask_resident_id(value: str | None) -> str:
    """340104199001011234 → 340104********1234 (first 6 and last 4 kept)."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the first character kept."""
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)
