"""Resident ID numbers (GB 11643-1999): 17 digits and a check character."""

from __future__ import annotations

import datetime as dt
import re

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# ASCII digits only: `\d` would also accept full-width and other Unicode digits, which int()
# reads happily — the same person could then be filed twice under different blind indexes.
_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(value: str) -> str:
    return value.strip().upper()


def is_valid(value: str) -> bool:
    value = normalise(value)
    if not _PATTERN.match(value):
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return check_char(value[:17]) == value[17]


def error_message(value: str) -> str | None:
    """None when valid, otherwise the reason in Chinese."""
    value = normalise(value)
    if not _PATTERN.match(value):
        return "身份证号应为18位，前17位为数字，末位为数字或X"
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if check_char(value[:17]) != value[17]:
        return "身份证号校验位错误"
    return None


def sex_of(value: str) -> str:
    """'male' or 'female' from the 17th digit."""
    return "male" if int(normalise(value)[16]) % 2 else "female"


def birth_date_of(value: str) -> dt.date:
    value = normalise(value)
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def make(prefix17: str) -> str:
    """A valid ID from its first 17 digits (demo and tests)."""
    return prefix17 + check_char(prefix17)
