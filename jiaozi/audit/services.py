"""Writing the audit log. Call inside the transaction of the change being recorded,
as late as possible in it: the chain head stays locked until that transaction ends.

Each row carries ``prev_hash`` (its predecessor's hash in the same chain) and ``hash``,
an HMAC-SM3 under AUDIT_CHAIN_KEY of a canonical encoding of every column but the id.
See docs/decisions/0004-audit-chain-per-institution.md.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaozi.core import clock
from jiaozi.core.accounts import Account
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.core.masking import mask_name
from jiaozi.core.middleware import current

from . import guard
from .chain import GENESIS, canonical, canonical_ip, compute_hash, hash_bytes, normalise_details
from .models import AuditChain, AuditEvent, AuditKind
from .verify import verify_prefix

__all__ = [
    "GENESIS",
    "canonical",
    "canonical_ip",
    "compute_hash",
    "hash_bytes",
    "normalise_details",
]

PUBLIC_SHARDS = 16
OUTCOMES = frozenset(AuditEvent.Outcome.values)
_LABEL_MAX = AuditEvent._meta.get_field("actor_label").max_length or 128
_OBJECT_TYPE_MAX = AuditEvent._meta.get_field("object_type").max_length or 64
_OBJECT_ID_MAX = AuditEvent._meta.get_field("object_id").max_length or 64
BULK_BATCH = 2000


class ChainHeadMoved(RuntimeError):
    """The chain head changed under a writer that holds its lock: a bug or tampering."""


# --- Chains --------------------------------------------------------------------


def chain_key_for(*, institution_id: int | None, actor_id: int | None) -> str:
    if institution_id is not None:
        return f"inst:{institution_id}"
    # Applicants and the public spread over a few chains so they never queue behind one.
    shard = zlib.crc32(str(actor_id or 0).encode()) % PUBLIC_SHARDS
    return f"pub:{shard:02d}"


def _reserve(key: str, count: int) -> tuple[int, str]:
    """Reserve ``count`` sequence numbers of chain ``key``: (first seq, prev hash).

    The increment takes the head's row lock, which the caller's transaction keeps until
    it ends: writers of one chain queue here, writers of other chains do not. Under
    READ COMMITTED the read that follows sees our reservation and the hash its
    predecessor committed, so no retry loop is needed (on SQLite the write lock is
    database-wide anyway)."""
    connection = transaction.get_connection()
    q = connection.ops.quote_name
    sql = (
        f"UPDATE {q(AuditChain._meta.db_table)} SET {q('last_seq')} = {q('last_seq')} + %s "  # noqa: S608 # nosec B608 # names from model metadata, values bound
        f"WHERE {q('key')} = %s RETURNING {q('last_seq')}, {q('last_hash')}"
    )
    # One round trip: the increment takes the lock and hands back the head it wrote.
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, key])
        row = cursor.fetchone()
        if row is None:
            AuditChain.objects.get_or_create(key=key)  # a concurrent creator may win; fine
            cursor.execute(sql, [count, key])
            row = cursor.fetchone()
    last_seq, last_hash = row
    return last_seq - count + 1, last_hash or GENESIS


def _publish(key: str, last_seq: int, last_hash: str) -> None:
    """Compare-and-set the head's hash: exactly one row, at the seq we reserved."""
    if AuditChain.objects.filter(key=key, last_seq=last_seq).update(last_hash=last_hash) != 1:
        raise ChainHeadMoved(f"Audit chain {key} moved while locked.")


# --- Writing -------------------------------------------------------------------


def _actor_label(actor: Account | None) -> str:
    """Staff are named in full (accountability); applicants masked, since their
    usernames may be phone numbers."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    real_name = getattr(actor, "real_name", "") or ""
    if getattr(actor, "is_staff_user", False):
        label = f"{real_name}（{actor.get_username()}）" if real_name else actor.get_username()
    else:
        label = mask_name(real_name)
    return label[:_LABEL_MAX]


@dataclass(frozen=True, slots=True)
class AuditItem:
    """One row of ``audit_record_many``; unset fields take the batch's values."""

    obj: Any = None
    object_type: str = ""
    object_id: str | int = ""
    details: Mapping[str, Any] | None = None
    institution_id: int | None = None
    kind: AuditKind | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class _Common:
    actor_id: int | None
    actor_label: str
    ip: str | None


def _common(actor: Account | None, ip: str | None) -> _Common:
    ctx = current()
    actor_id = getattr(actor, "pk", None) if actor is not None else (ctx.user_id if ctx else None)
    return _Common(
        actor_id=actor_id,
        actor_label=_actor_label(actor),
        ip=canonical_ip(ip if ip is not None else (ctx.ip if ctx else None)),
    )


def _object_ref(obj: Any, object_type: str, object_id: str | int) -> tuple[str, str]:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id not in ("", None) else obj.pk
    object_id = "" if object_id is None else object_id
    return str(object_type)[:_OBJECT_TYPE_MAX], str(object_id)[:_OBJECT_ID_MAX]


def _check_outcome(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise ValueError(f"Unknown audit outcome {outcome!r}.")
    return str(outcome)


def _chain(events: list[AuditEvent], first_seq: int, prev: str) -> str:
    """Date, number and hash ``events`` in order after ``prev``; returns the last hash.
    Dated here, under the chain's lock, so times never run backwards along a chain."""
    at = clock.now()
    for offset, event in enumerate(events):
        event.at = at
        event.seq = first_seq + offset
        event.prev_hash = prev
        event.hash = prev = compute_hash(event)
    return prev


def audit_record(
    *,
    kind: AuditKind,
    actor: Account | None = None,
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
    id. Actor and IP default to the current request's. Details must hold no personal
    data in clear (mask it first)."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return audit_record(
                kind=kind,
                actor=actor,
                institution_id=institution_id,
                obj=obj,
                object_type=object_type,
                object_id=object_id,
                outcome=outcome,
                details=details,
                ip=ip,
            )
    common = _common(actor, ip)
    if institution_id is None and actor is not None:
        institution_id = getattr(actor, "institution_id", None)
    object_type, object_id = _object_ref(obj, object_type, object_id)
    key = chain_key_for(institution_id=institution_id, actor_id=common.actor_id)
    event = AuditEvent(
        chain_key=key,
        kind=int(kind),
        actor_id=common.actor_id,
        actor_label=common.actor_label,
        institution_id=institution_id,
        object_type=object_type,
        object_id=object_id,
        outcome=_check_outcome(outcome),
        ip=common.ip,
        details=normalise_details(details),
    )
    first_seq, prev = _reserve(key, 1)
    last_hash = _chain([event], first_seq, prev)
    event.save(force_insert=True)
    _publish(key, first_seq, last_hash)
    return event


def audit_record_many(
    *,
    kind: AuditKind,
    items: Iterable[AuditItem | models.Model],
    actor: Account | None = None,
    institution_id: int | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    details: Mapping[str, Any] | None = None,
    ip: str | None = None,
    batch_size: int = BULK_BATCH,
) -> list[AuditEvent]:
    """Append one row per item (a model instance or an ``AuditItem``) in one go: each
    chain involved is advanced once and its rows are inserted with ``bulk_create``.

    Batch values (kind, institution, outcome, details) apply to every row; an
    ``AuditItem`` may override them, its details merged over the batch's. Chains are
    locked in key order, so two batches never deadlock each other."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return audit_record_many(
                kind=kind,
                items=items,
                actor=actor,
                institution_id=institution_id,
                outcome=outcome,
                details=details,
                ip=ip,
                batch_size=batch_size,
            )
    common = _common(actor, ip)
    if institution_id is None and actor is not None:
        institution_id = getattr(actor, "institution_id", None)
    base_details = normalise_details(details)
    by_chain: dict[str, list[AuditEvent]] = defaultdict(list)
    for raw in items:
        item = raw if isinstance(raw, AuditItem) else AuditItem(obj=raw)
        row_institution = item.institution_id if item.institution_id is not None else institution_id
        object_type, object_id = _object_ref(item.obj, item.object_type, item.object_id)
        key = chain_key_for(institution_id=row_institution, actor_id=common.actor_id)
        by_chain[key].append(
            AuditEvent(
                chain_key=key,
                kind=int(item.kind if item.kind is not None else kind),
                actor_id=common.actor_id,
                actor_label=common.actor_label,
                institution_id=row_institution,
                object_type=object_type,
                object_id=object_id,
                outcome=_check_outcome(item.outcome or outcome),
                ip=common.ip,
                details={**base_details, **normalise_details(item.details)} if item.details else base_details,
            )
        )
    written: list[AuditEvent] = []
    for key in sorted(by_chain):
        events = by_chain[key]
        first_seq, prev = _reserve(key, len(events))
        last_hash = _chain(events, first_seq, prev)
        _insert(events, batch_size=batch_size)
        _publish(key, first_seq + len(events) - 1, last_hash)
        written.extend(events)
    return written


# Columns whose Python value needs the field's own conversion before the driver sees it.
_PREPARED = (models.DateTimeField, models.JSONField, models.GenericIPAddressField)


# From this many rows a chain's insert is a batch: COPY on PostgreSQL, executemany elsewhere.
COPY_FROM = 50


def _insert(events: list[AuditEvent], *, batch_size: int) -> None:
    """Insert one chain's new rows and give them their ids.

    A batch decision writes 10,000 rows inside a 10-second budget (§10), and Django's
    ``bulk_create`` spends most of that preparing each field of each row. Below
    ``COPY_FROM`` rows (a single decision's few) one ``INSERT … RETURNING`` writes them
    and hands back their ids; a batch goes through COPY on PostgreSQL and
    ``executemany`` elsewhere, and a single query then reads the ids back by
    ``(chain_key, seq)``."""
    connection = transaction.get_connection()
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row_sql = "({})".format(", ".join(["%s"] * len(fields)))
    ids: dict[int, int] | None = None
    with connection.cursor() as cursor:
        if len(events) < COPY_FROM and connection.features.can_return_rows_from_bulk_insert:
            sql = "INSERT INTO {} ({}) VALUES {} RETURNING {}, {}".format(  # noqa: S608 # nosec B608 # names from model metadata, values bound
                table,
                columns,
                ", ".join([row_sql] * len(events)),
                connection.ops.quote_name("seq"),
                connection.ops.quote_name("id"),
            )
            cursor.execute(sql, [_prepared(f, event, connection) for event in events for f in fields])
            ids = dict(cursor.fetchall())
        elif connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for event in events:
                    copy.write_row(
                        [
                            json.dumps(event.details) if f.attname == "details" else getattr(event, f.attname)
                            for f in fields
                        ]
                    )
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES {row_sql}"  # noqa: S608 # nosec B608 # names from model metadata, values bound
            for start in range(0, len(events), batch_size):
                cursor.executemany(
                    sql,
                    [
                        [_prepared(f, event, connection) for f in fields]
                        for event in events[start : start + batch_size]
                    ],
                )
    if ids is None:
        ids = dict(
            AuditEvent.objects.filter(
                chain_key=events[0].chain_key, seq__gte=events[0].seq, seq__lte=events[-1].seq
            )
            .values_list("seq", "id")
            .iterator(chunk_size=batch_size)
        )
    for event in events:
        event.pk = ids[event.seq]
        event._state.adding = False
        event._state.db = connection.alias


def _prepared(f: models.Field[Any, Any], event: AuditEvent, connection: Any) -> Any:
    value = getattr(event, f.attname)
    return f.get_db_prep_save(value, connection) if isinstance(f, _PREPARED) else value


# --- Retention -------------------------------------------------------------------


def retention_days() -> int:
    """AUDIT_RETENTION_DAYS, never below the statutory six months."""
    return max(int(getattr(settings, "AUDIT_RETENTION_DAYS", guard.FLOOR_DAYS)), guard.FLOOR_DAYS)


@dataclass(frozen=True)
class ChainPruned:
    chain: str
    from_seq: int
    to_seq: int

    @property
    def rows(self) -> int:
        return self.to_seq - self.from_seq + 1


def audit_prune(*, before: dt.datetime, dry_run: bool = False) -> list[ChainPruned]:
    """Delete audit rows older than ``before``, chain by chain, oldest first.

    Refuses a boundary younger than the retention period. Each chain loses a prefix
    only — up to its first row at or after ``before`` — after that prefix has been
    verified, and its head records the last pruned row (seq and hash) so the chain
    still verifies. Each chain is one transaction that also writes an AUDIT_PRUNED row."""
    oldest_allowed = clock.now() - dt.timedelta(days=retention_days())
    if before > oldest_allowed:
        raise ValidationFailed(
            _("审计记录至少保留 %(days)d 天：只能清理 %(limit)s 之前的记录。")
            % {"days": retention_days(), "limit": f"{timezone.localtime(oldest_allowed):%Y-%m-%d %H:%M}"},
            code="audit_retention",
        )
    pruned: list[ChainPruned] = []
    for key in AuditChain.objects.order_by("key").values_list("key", flat=True):
        with transaction.atomic():
            # Locks the head on PostgreSQL; SQLite's write lock is database-wide already.
            head = AuditChain.objects.select_for_update().get(key=key)
            first_young = (
                AuditEvent.objects.filter(chain_key=key, seq__gt=head.pruned_seq, at__gte=before)
                .order_by("seq")
                .values_list("seq", flat=True)
                .first()
            )
            upto = head.last_seq if first_young is None else min(first_young - 1, head.last_seq)
            if upto <= head.pruned_seq:
                continue
            problem, boundary_hash = verify_prefix(head, upto_seq=upto)
            if problem:
                raise Conflict(
                    _("审计链校验失败，未清理：%(problem)s") % {"problem": problem}, code="audit_chain_broken"
                )
            done = ChainPruned(chain=key, from_seq=head.pruned_seq + 1, to_seq=upto)
            pruned.append(done)
            if dry_run:
                continue
            with guard.prune_gate(before=before):
                AuditEvent.objects.filter(chain_key=key, seq__gt=head.pruned_seq, seq__lte=upto).delete()
                moved = AuditChain.objects.filter(key=key, pruned_seq=head.pruned_seq).update(
                    pruned_seq=upto, pruned_hash=boundary_hash, pruned_at=clock.now()
                )
                if moved != 1:
                    raise ChainHeadMoved(f"Audit chain {key} moved while locked.")
            audit_record(
                kind=AuditKind.AUDIT_PRUNED,
                institution_id=int(key.removeprefix("inst:")) if key.startswith("inst:") else None,
                object_type="audit.auditchain",
                object_id=key,
                details={
                    "before": before.isoformat(),
                    "from_seq": done.from_seq,
                    "to_seq": done.to_seq,
                    "rows": done.rows,
                },
            )
    return pruned


# --- Events about the log itself ----------------------------------------------------


def audit_log_viewed_event(
    *, actor: Account | None, event: AuditEvent | None = None, filters: Mapping[str, Any] | None = None
) -> AuditEvent:
    """Reading the log is itself recorded (who watched, what they looked for)."""
    return audit_record(
        kind=AuditKind.AUDIT_LOG_VIEWED,
        actor=actor,
        obj=event,
        details={"filters": dict(filters)} if filters is not None else None,
    )
