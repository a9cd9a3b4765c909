"""Parsing one cell: each function returns the clean value or raises ``CellError`` with
the reason in Chinese. Pure functions (no database), cached per distinct cell value by
the importer, so a resident ID that appears on twenty rows is checked once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.core import idcard

# Certificate numbers (§6): year(4) + province(2) + certifying authority(3) + type(1)
# + sex(1) + serial(6).
CERTIFICATE_NUMBER = re.compile(r"^\d{17}$")
# GB/T 2260 province-level codes (the first two digits of a division code).
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
FIRST_CERTIFICATE_YEAR = 1990
PHONE = re.compile(r"^1\d{10}$")
# Institution codes, as the orgs services accept them.
CODE = re.compile(r"^[0-9A-Za-z]{2,32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_DATE = dt.date(1950, 1, 1)
MAX_HOURS = Decimal("999.9")

REQUIRED = gettext_lazy("必填项不能为空")
NUMERIC_PRECISION = gettext_lazy("该列须设置为文本格式：以数值保存时末尾数字已丢失，请改为文本后重新填写")


class CellError(ValueError):
    def __init__(self, reason: str | Promise) -> None:
        super().__init__(str(reason))
        self.reason = str(reason)


def text(value: object, *, max_length: int = 0) -> str:
    """Free text; "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        result = value.strip()
    elif isinstance(value, float) and value.is_integer():
        result = str(int(value))
    elif isinstance(value, dt.datetime):
        result = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    else:
        result = str(value)
    if max_length and len(result) > max_length:
        raise CellError(_("长度不能超过%(n)s个字符") % {"n": max_length})
    return result


def code_text(value: object) -> str:
    """A code or number that must be kept as text (IDs, phone numbers, codes)."""
    if isinstance(value, float):
        # Beyond 2**53 a float no longer holds every integer: the digits are gone.
        if not value.is_integer() or abs(value) >= 2**53:
            raise CellError(NUMERIC_PRECISION)
        return str(int(value))
    if isinstance(value, dt.datetime):
        raise CellError(_("此列应填写文本，不应是日期"))
    return text(value)


def resident_id(value: object) -> str:
    raw = code_text(value)
    if not raw:
        raise CellError(REQUIRED)
    normalised = idcard.normalise(raw)
    message = idcard.error_message(normalised)
    if message:
        raise CellError(_(message))
    return normalised


def phone(value: object) -> str:
    raw = code_text(value)
    if raw and not PHONE.match(raw):
        raise CellError(_("手机号应为以1开头的11位数字"))
    return raw


def code(value: object, *, required: bool = True) -> str:
    raw = code_text(value)
    if not raw:
        if required:
            raise CellError(REQUIRED)
        return ""
    if not CODE.match(raw):
        raise CellError(_("代码应为2～32位数字或字母"))
    return raw


def date(value: object, *, required: bool = False, not_after: dt.date | None = None) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CellError(REQUIRED)
        return None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise CellError(_("日期不应包含时间，格式应为YYYY-MM-DD"))
        result = value.date()
    elif isinstance(value, dt.date):
        result = value
    elif isinstance(value, str):
        raw = value.strip()
        if not DATE.match(raw):
            raise CellError(_("日期格式应为YYYY-MM-DD"))
        try:
            result = dt.date.fromisoformat(raw)
        except ValueError:
            raise CellError(_("日期不存在")) from None
    else:
        raise CellError(_("日期格式应为YYYY-MM-DD"))
    if result < MIN_DATE:
        raise CellError(_("日期不能早于%(date)s") % {"date": MIN_DATE.isoformat()})
    if not_after is not None and result > not_after:
        raise CellError(_("日期不能晚于今天"))
    return result


def year(value: object, *, today: dt.date) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CellError(REQUIRED)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1000 <= value <= 9999:
        raise CellError(_("年度应为四位年份，如2023"))
    if not FIRST_CERTIFICATE_YEAR <= value <= today.year:
        raise CellError(
            _("年度应在%(first)s至%(last)s之间") % {"first": FIRST_CERTIFICATE_YEAR, "last": today.year}
        )
    return value


def hours(value: object) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CellError(REQUIRED)
    if isinstance(value, dt.datetime | bool):
        raise CellError(_("学时应为数字"))
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, str):
            number = Decimal(value.strip())
        else:
            # repr of a float is the shortest text that round-trips (12.5, not 12.4999…).
            number = Decimal(repr(value))
    except InvalidOperation:
        raise CellError(_("学时应为数字")) from None
    if not number.is_finite() or number <= 0:
        raise CellError(_("学时应大于0"))
    if number != number.quantize(Decimal("0.1")):
        raise CellError(_("学时最多保留一位小数"))
    if number > MAX_HOURS:
        raise CellError(_("单条培训学时不能超过%(max)s") % {"max": MAX_HOURS})
    return number.quantize(Decimal("0.1"))


def choice(value: object, choices: Mapping[str, object], *, required: bool) -> object:
    """An enumeration label exactly as the template lists it; "" when blank and allowed."""
    raw = text(value)
    if not raw:
        if required:
            raise CellError(REQUIRED)
        return ""
    try:
        return choices[raw]
    except KeyError:
        raise CellError(_("取值应为以下之一：%(values)s") % {"values": "、".join(choices)}) from None


def certificate_number_errors(number: str, *, today: dt.date) -> str | None:
    """The checks that need only the number itself."""
    if not CERTIFICATE_NUMBER.match(number):
        return _("证书编号应为17位数字")
    year_part = int(number[:4])
    if not FIRST_CERTIFICATE_YEAR <= year_part <= today.year:
        return _("证书编号前4位（年份）应在%(first)s至%(last)s之间") % {
            "first": FIRST_CERTIFICATE_YEAR,
            "last": today.year,
        }
    if number[4:6] not in PROVINCE_CODES:
        return _("证书编号第5～6位不是有效的省级行政区划代码")
    if number[9] not in "1234567":
        return _("证书编号第10位（资格种类）应为1～7")
    if number[10] not in "12":
        return _("证书编号第11位（性别）应为1（男）或2（女）")
    if number[11:] == "000000":
        return _("证书编号末6位（流水号）不能为000000")
    return None
