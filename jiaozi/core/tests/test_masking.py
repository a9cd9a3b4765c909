"""Masking for lists, exports and public pages (§8, SECURITY check 11)."""

from __future__ import annotations

import pytest

from jiaozi.core.masking import mask_name, mask_phone, mask_resident_id


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("34010419900101123X", "340104********123X"),
        ("340104199001011234", "340104********1234"),
        ("340104900101123", "340104*****1123"),  # 15-digit IDs of the first generation
        ("1234567890", "**********"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_resident_id(value: str | None, masked: str) -> None:
    assert mask_resident_id(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0551-1234567", "055*****4567"),
        ("12345", "*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(value: str | None, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张三", "张*"), ("张", "张*"), ("欧阳娜娜", "欧***"), ("", ""), (None, "")],
)
def test_mask_name(value: str | None, masked: str) -> None:
    assert mask_name(value) == masked


def test_masked_id_keeps_no_birth_date() -> None:
    assert "19900101" not in mask_resident_id("34010419900101123X")
