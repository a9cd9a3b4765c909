"""Checking the audit chains (``manage.py audit_verify``).

Every chain is walked in seq order: each row's hash is recomputed, its ``prev_hash``
must be its predecessor's hash (or the pruned boundary's, or the genesis value), seqs
must run without gaps from just after the pruned boundary, and the head
(``AuditChain.last_seq``/``last_hash``) must name the newest row — so an edited row, a
removed row and a removed tail are all found. Rows are streamed in chunks, one pass over
the ``(chain_key, seq)`` index, so memory stays flat on millions of rows.

Heads are read before the rows: rows written meanwhile lie beyond the head and are
checked for their links only, so the command can run while the system is in use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .chain import GENESIS, canonical, hash_bytes
from .models import AuditChain, AuditEvent

CHUNK = 2000

_COLUMNS = (
    "id",
    "chain_key",
    "seq",
    "kind",
    "actor_id",
    "actor_label",
    "institution_id",
    "object_type",
    "object_id",
    "outcome",
    "ip",
    "at",
    "details",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class Problem:
    chain: str
    seq: int | None
    event_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"chain {self.chain}"
        if self.seq is not None:
            where += f" seq {self.seq}"
        if self.event_id is not None:
            where += f" (id {self.event_id})"
        return f"{where}: {self.message}"


@dataclass
class Result:
    chains: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Walk:
    """The state of one chain being walked."""

    key: str
    head: AuditChain | None
    expected_seq: int
    expected_prev: str
    rows: int = 0
    broken: bool = False

    @classmethod
    def start(cls, key: str, head: AuditChain | None) -> _Walk:
        pruned_seq = head.pruned_seq if head else 0
        pruned_hash = (head.pruned_hash if head else "") or GENESIS
        return cls(key=key, head=head, expected_seq=pruned_seq + 1, expected_prev=pruned_hash)


def _row_hash(row: dict[str, Any]) -> str:
    at: dt.datetime = row["at"]
    return hash_bytes(
        canonical(
            chain_key=row["chain_key"],
            seq=row["seq"],
            kind=row["kind"],
            actor_id=row["actor_id"],
            actor_label=row["actor_label"],
            institution_id=row["institution_id"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            outcome=row["outcome"],
            ip=row["ip"],
            at=at,
            details=row["details"],
            prev_hash=row["prev_hash"],
        )
    )


def _check_row(walk: _Walk, row: dict[str, Any]) -> Problem | None:
    seq, event_id = row["seq"], row["id"]
    pruned_seq = walk.head.pruned_seq if walk.head else 0
    if seq <= pruned_seq:
        return Problem(
            walk.key, seq, event_id, f"row inside the pruned range (pruned up to seq {pruned_seq})"
        )
    if seq > walk.expected_seq:
        missing = str(walk.expected_seq) if seq == walk.expected_seq + 1 else f"{walk.expected_seq}–{seq - 1}"
        return Problem(walk.key, seq, event_id, f"rows before it are missing (seq {missing} deleted)")
    if _row_hash(row) != row["hash"]:
        return Problem(walk.key, seq, event_id, "content does not match its hash (row edited)")
    if row["prev_hash"] != walk.expected_prev:
        if seq > pruned_seq + 1:
            what = f"seq {seq - 1}"
        else:
            what = "the pruned boundary" if pruned_seq else "the chain's start"
        return Problem(walk.key, seq, event_id, f"prev_hash does not match {what} (chain broken)")
    return None


def _finish(walk: _Walk) -> Problem | None:
    if walk.broken:
        return None
    head = walk.head
    if head is None:
        return Problem(walk.key, None, None, "chain has rows but no head (audit_auditchain row deleted)")
    last_seen = walk.expected_seq - 1
    if last_seen < head.last_seq:
        missing = f"{last_seen + 1}" if last_seen + 1 == head.last_seq else f"{last_seen + 1}–{head.last_seq}"
        return Problem(walk.key, head.last_seq, None, f"rows at the end are missing (seq {missing} deleted)")
    return None


def _check_head(walk: _Walk, row: dict[str, Any]) -> Problem | None:
    """The row at the head's seq must carry the head's hash."""
    head = walk.head
    if head is not None and row["seq"] == head.last_seq and head.last_hash != row["hash"]:
        return Problem(walk.key, row["seq"], row["id"], "head hash does not match the newest row")
    return None


def _rows(chain: str | None, chunk_size: int) -> Iterator[dict[str, Any]]:
    rows = AuditEvent.objects.order_by("chain_key", "seq")
    if chain is not None:
        rows = rows.filter(chain_key=chain)
    return rows.values(*_COLUMNS).iterator(chunk_size=chunk_size)


def _heads(chain: str | None) -> dict[str, AuditChain]:
    heads = AuditChain.objects.all()
    if chain is not None:
        heads = heads.filter(key=chain)
    return {head.key: head for head in heads}


def verify(*, chain: str | None = None, chunk_size: int = CHUNK) -> Result:
    """Walk every chain (or one) and report the first problem of each broken chain."""
    heads = _heads(chain)
    result = Result()
    seen: set[str] = set()
    walk: _Walk | None = None

    def close(current: _Walk) -> None:
        problem = _finish(current)
        if problem:
            result.problems.append(problem)
        result.chains += 1

    for row in _rows(chain, chunk_size):
        key = row["chain_key"]
        if walk is None or walk.key != key:
            if walk is not None:
                close(walk)
            head = heads.get(key)
            if head is None:
                # A chain born after the heads were read.
                head = AuditChain.objects.filter(key=key).first()
            walk = _Walk.start(key, head)
            seen.add(key)
        result.rows += 1
        if walk.broken:
            continue
        problem = _check_row(walk, row) or _check_head(walk, row)
        if problem:
            result.problems.append(problem)
            walk.broken = True
            continue
        walk.expected_seq = row["seq"] + 1
        walk.expected_prev = row["hash"]
    if walk is not None:
        close(walk)

    # Heads whose rows are all gone: fine when everything was pruned, else deleted.
    for key, head in sorted(heads.items()):
        if key in seen:
            continue
        result.chains += 1
        if head.last_seq > head.pruned_seq:
            missing = f"{head.pruned_seq + 1}–{head.last_seq}"
            result.problems.append(
                Problem(key, head.last_seq, None, f"all rows are missing (seq {missing} deleted)")
            )
        elif head.last_seq and head.last_hash != head.pruned_hash:
            result.problems.append(
                Problem(key, head.last_seq, None, "head hash does not match the pruned boundary")
            )
    result.problems.sort(key=lambda p: (p.chain, p.seq or 0))
    return result


def verify_prefix(head: AuditChain, *, upto_seq: int, chunk_size: int = CHUNK) -> tuple[Problem | None, str]:
    """Check the chain's rows from just after its pruned boundary up to ``upto_seq``,
    and the link of the row after it. Returns the first problem, or None and the hash
    of the row at ``upto_seq`` (what ``audit_prune`` records as the new boundary)."""
    walk = _Walk.start(head.key, head)
    rows = (
        AuditEvent.objects.filter(chain_key=head.key, seq__gt=head.pruned_seq, seq__lte=upto_seq + 1)
        .order_by("seq")
        .values(*_COLUMNS)
        .iterator(chunk_size=chunk_size)
    )
    boundary_hash = ""
    for row in rows:
        problem = _check_row(walk, row)
        if problem:
            return problem, ""
        if row["seq"] == upto_seq:
            boundary_hash = row["hash"]
        walk.expected_seq = row["seq"] + 1
        walk.expected_prev = row["hash"]
    if walk.expected_seq <= upto_seq:
        return Problem(head.key, walk.expected_seq, None, "rows to prune are missing"), ""
    return None, boundary_hash
