"""The cache-based fixed-window rate limiter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from jiaozi.core import clock
from jiaozi.core.errors import DomainError
from jiaozi.core.ratelimit import RateLimited, ratelimit

T0 = dt.datetime(2024, 9, 1, 10, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_hits_up_to_the_limit_pass_and_the_next_is_refused() -> None:
    with clock.travel(T0):
        assert [ratelimit("k", 3, 60) for _ in range(3)] == [2, 1, 0]
        with pytest.raises(RateLimited) as refused:
            ratelimit("k", 3, 60)
    error = refused.value
    assert isinstance(error, DomainError)
    assert error.status == 429
    assert error.code == "rate_limited"
    assert error.retry_after == 60
    assert error.details == {"retry_after": 60}
    assert "请求过于频繁" in error.message


def test_keys_are_counted_apart() -> None:
    with clock.travel(T0):
        ratelimit("a", 1, 60)
        assert ratelimit("b", 1, 60) == 0
        with pytest.raises(RateLimited):
            ratelimit("a", 1, 60)


def test_a_new_window_starts_a_new_count() -> None:
    with clock.travel(T0 + dt.timedelta(seconds=45)):
        ratelimit("k", 1, 60)
        with pytest.raises(RateLimited) as refused:
            ratelimit("k", 1, 60)
        assert refused.value.retry_after == 15
    with clock.travel(T0 + dt.timedelta(seconds=61)):
        assert ratelimit("k", 1, 60) == 0


def test_the_cache_never_holds_the_key_in_clear() -> None:
    with clock.travel(T0):
        ratelimit("verify:ip:203.0.113.7", 5, 60)
    stored = list(cache._cache)  # type: ignore[attr-defined]  # LocMemCache's dict
    assert stored
    assert not any("203.0.113.7" in key for key in stored)


@pytest.mark.parametrize(("limit", "window"), [(0, 60), (5, 0)])
def test_nonsense_limits_are_a_programming_error(limit: int, window: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        ratelimit("k", limit, window)
