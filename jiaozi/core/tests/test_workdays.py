import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiaozi.core.workdays import add_working_days, covers, is_working_day, working_days_between

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2024, 10, 1), False),  # 国庆节, a Tuesday
        (D(2024, 10, 7), False),  # 国庆节, a Monday
        (D(2024, 10, 8), True),
        (D(2024, 10, 12), True),  # a Saturday worked (调休)
        (D(2024, 10, 13), False),  # a Sunday
        (D(2024, 9, 14), True),  # a Saturday worked before 中秋节
        (D(2025, 1, 26), True),  # a Sunday worked before 春节
        (D(2025, 2, 4), False),  # 春节, a Tuesday
        (D(2025, 6, 2), False),  # 端午节, a Monday
        (D(2026, 6, 1), True),  # a Monday of a year not in the file: weekends only
    ],
)
def test_is_working_day(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_holidays_push_a_deadline() -> None:
    # Friday 2024-09-13 + 1 is the Saturday worked before 中秋节; + 2 skips 16 and 17.
    assert add_working_days(D(2024, 9, 13), 1) == D(2024, 9, 14)
    assert add_working_days(D(2024, 9, 13), 2) == D(2024, 9, 18)
    # Across 国庆节: 2024-09-30 (Monday) + 1 is Tuesday 10-08; the Saturday 10-12 counts.
    assert add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 8)
    assert add_working_days(D(2024, 10, 11), 1) == D(2024, 10, 12)
    # 30 working days from 2024-09-25 (the online window's last day of the 2024 batch).
    assert add_working_days(D(2024, 9, 25), 30) == D(2024, 11, 11)
    assert add_working_days(D(2024, 9, 25), 0) == D(2024, 9, 25)


def test_negative_days_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(D(2024, 1, 2), -1)


def test_years_covered() -> None:
    assert covers(2024)
    assert covers(2025)
    assert not covers(2023)


@given(st.dates(min_value=D(2023, 12, 1), max_value=D(2026, 1, 31)), st.integers(0, 80))
def test_between_inverts_add(start: dt.date, days: int) -> None:
    end = add_working_days(start, days)
    assert working_days_between(start, end) == days
    assert days == 0 or is_working_day(end)
