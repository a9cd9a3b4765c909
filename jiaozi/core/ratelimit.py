"""A small fixed-window rate limiter on Django's cache, for public endpoints and bulk
searches (SECURITY 25) — anything that must not be hammered from one address.

    from jiaozi.core.ratelimit import RateLimited, ratelimit

    ratelimit(f"verify:ip:{client_ip(request)}", limit=30, window=60)  # raises RateLimited

The count lives in the default cache. The embedded default (LocMemCache) counts per
process; production runs several workers, so it configures a shared cache (Redis) for
the limits to hold across them. Fixed windows allow up to 2 × limit across a window
boundary; that is the price of one cache key and one round trip per hit.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.utils.translation import gettext as _

from . import clock
from .errors import DomainError


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message or _("请求过于频繁，请稍后再试。"), retry_after=retry_after)
        self.retry_after = retry_after


def ratelimit(key: str, limit: int, window: int, *, cache_alias: str = "default") -> int:
    """Count one hit for ``key`` in the current ``window`` (seconds); raise
    ``RateLimited`` (429, code ``rate_limited``) once the hits in this window exceed
    ``limit``. Returns the hits left. Keys are hashed, so an IP address or a
    certificate number never sits in the cache in clear."""
    if limit < 1 or window < 1:
        raise ValueError("limit and window must be positive")
    now = int(clock.now().timestamp())
    bucket = now // window
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"jiaozi:rl:{window}:{bucket}:{digest}"
    cache = caches[cache_alias]
    # add() is atomic and only succeeds for the first hit of the window; incr() is
    # atomic on Redis and memcached, and locked in LocMemCache.
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:
            # The key expired between add() and incr(): this hit opens a new window.
            cache.set(cache_key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        raise RateLimited(retry_after=max(1, window - now % window))
    return limit - count
