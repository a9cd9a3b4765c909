"""Writing the audit log. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from typing import Any

from django.conf import settings
from django.db import transaction

from jiaozi.core import clock, crypto
from jiaozi.core.middleware import current

from .models import AuditChain, AuditEvent, AuditKind

PUBLIC_SHARDS = 16
GENESIS = "0" * 64


def chain_key_for(*, institution_id: int | None, actor_id: int | None) -> str:
    if institution_id is not None:
        return f"inst:{institution_id}"
    # Applicants and the public spread over a few chains so they never queue behind one.
    shard = zlib.crc32(str(actor_id or 0).encode()) % PUBLIC_SHARDS
    return f"pub:{shard:02d}"


def canonical(event: AuditEvent) -> bytes:
    at = event.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = [
        event.chain_key,
        event.seq,
        int(event.kind),
        event.actor_id,
        event.actor_label,
        event.institution_id,
        event.object_type,
        event.object_id,
        event.outcome,
        event.ip,
        at,
        event.details,
        event.prev_hash,
    ]
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    key = base64.b64decode(settings.AUDIT_CHAIN_KEY)
    return crypto.keyed_hash(canonical(event), key)


def _advance(key: str) -> tuple[int, str]:
    """Take the next sequence number of chain ``key`` by compare-and-set on its head."""
    AuditChain.objects.get_or_create(key=key)
    while True:
        head = AuditChain.objects.values_list("last_seq", "last_hash").get(key=key)
        seq, prev = head[0] + 1, head[1] or GENESIS
        # The hash is written after the row; the placeholder is never committed.
        if AuditChain.objects.filter(key=key, last_seq=head[0]).update(last_seq=seq):
            return seq, prev


def audit_record(
    *,
    kind: AuditKind,
    actor: Any = None,
    institution_id: int | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    outcome: str = AuditEvent.Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one row to the audit log, in the caller's transaction.

    ``institution_id`` defaults to the actor's institution; ``obj`` fills object type and
    id. Details must hold no personal data in clear (mask it first)."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return audit_record(
                kind=kind, actor=actor, institution_id=institution_id, obj=obj,
                object_type=object_type, object_id=object_id, outcome=outcome,
                details=details, ip=ip,
            )
    ctx = current()
    actor_id = getattr(actor, "pk", None) if actor is not None else (ctx.user_id if ctx else None)
    if institution_id is None and actor is not None:
        institution_id = getattr(actor, "institution_id", None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    key = chain_key_for(institution_id=institution_id, actor_id=actor_id)
    seq, prev = _advance(key)
    event = AuditEvent(
        chain_key=key,
        seq=seq,
        kind=kind,
        actor_id=actor_id,
        actor_label=getattr(actor, "real_name", "") if actor is not None else "",
        institution_id=institution_id,
        object_type=object_type,
        object_id=str(object_id),
        outcome=outcome,
        ip=ip if ip is not None else (ctx.ip if ctx else None),
        at=clock.now(),
        details=details or {},
        prev_hash=prev,
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    AuditChain.objects.filter(key=key, last_seq=seq).update(last_hash=event.hash)
    return event
