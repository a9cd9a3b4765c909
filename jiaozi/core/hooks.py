"""What core itself registers, from ``CoreConfig.ready()``: the purge of expired API
idempotency records."""

from __future__ import annotations

import datetime as dt

from jiaozi.core.api.idempotency import idempotency_records_purge
from jiaozi.core.jobs import periodic_job


def _idempotency_records_purge() -> int:
    return idempotency_records_purge()


def register() -> None:
    periodic_job(
        "api.idempotency_records_purge",
        every=dt.timedelta(days=1),
        description="清理过期的接口幂等记录。",
    )(_idempotency_records_purge)
