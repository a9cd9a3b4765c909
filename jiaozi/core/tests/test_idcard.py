"""Resident ID validation (GB 11643-1999), used on every input path (§9)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiaozi.core import idcard

VALID_X = "11010519491231002X"  # the standard's own example
VALID_DIGIT = idcard.make("34010419900101123")


def test_known_valid_numbers() -> None:
    assert idcard.is_valid(VALID_X)
    assert idcard.error_message(VALID_X) is None
    assert idcard.is_valid(VALID_DIGIT)


def test_lower_case_x_and_spaces_are_normalised() -> None:
    assert idcard.is_valid(" 11010519491231002x ")
    assert idcard.normalise(" 11010519491231002x ") == VALID_X


def test_wrong_check_character() -> None:
    wrong = VALID_X[:17] + "1"
    assert not idcard.is_valid(wrong)
    assert idcard.error_message(wrong) == "身份证号校验位错误"


@pytest.mark.parametrize("value", ["34010419900230123", "34010419901301123", "34010420250229123"])
def test_impossible_birth_dates(value: str) -> None:
    number = idcard.make(value)
    assert not idcard.is_valid(number)
    assert idcard.error_message(number) == "身份证号中的出生日期无效"


def test_leap_day_is_a_date() -> None:
    assert idcard.is_valid(idcard.make("34010420240229123"))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "3401041990010112",  # too short
        "3401041990010112345",  # too long
        "34010419900101123Y",
        "X40104199001011234",
        "３４０１０４１９９００１０１１２３９",  # full-width digits
        "٣٤٠١٠٤١٩٩٠٠١٠١١٢٣9",  # Arabic-Indic digits
        "34010419900101123\n9",
    ],
)
def test_malformed(value: str) -> None:
    assert not idcard.is_valid(value)
    assert idcard.error_message(value) == "身份证号应为18位，前17位为数字，末位为数字或X"


def test_sex_and_birth_date() -> None:
    assert idcard.sex_of(VALID_X) == "female"  # 17th digit 2
    assert idcard.sex_of(idcard.make("34010419900101121")) == "male"
    assert idcard.birth_date_of(VALID_X) == dt.date(1949, 12, 31)


@given(
    area=st.integers(min_value=110000, max_value=659999),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    serial=st.integers(min_value=0, max_value=999),
)
def test_make_always_validates_and_any_other_check_character_fails(
    area: int, birth: dt.date, serial: int
) -> None:
    first17 = f"{area}{birth:%Y%m%d}{serial:03d}"
    number = idcard.make(first17)
    assert idcard.is_valid(number)
    assert idcard.birth_date_of(number) == birth
    for other in set(idcard.CHECK_CHARS) - {number[-1]}:
        assert not idcard.is_valid(first17 + other)
