"""The audit chain's hash: a canonical encoding of every column but the id, and an
HMAC-SM3 of it under AUDIT_CHAIN_KEY. Shared by the writer (``services``) and the
verifier (``verify``), which therefore do not import each other's modules in a circle.
See docs/decisions/0004-audit-chain-per-institution.md."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.ipv6 import clean_ipv6_address

from .models import AuditEvent

GENESIS = "0" * 64


@lru_cache(maxsize=4)
def _chain_key_bytes(encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEY is not valid base64.") from exc
    if len(key) < 16:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be at least 16 bytes.")
    return key


def canonical_ip(ip: str | None) -> str | None:
    """The form the database gives back, so the hash survives the round trip
    (PostgreSQL's inet and Django both compress IPv6). Not an address → None."""
    if not ip:
        return None
    try:
        if ":" in ip:
            return clean_ipv6_address(ip)
        return str(ipaddress.IPv4Address(ip))
    except (ValueError, ipaddress.AddressValueError):
        return None


def _json_safe(value: Any) -> Any:
    """Details as the JSON column gives them back. Floats become strings because
    PostgreSQL's jsonb may print them differently (1e20 → 100000000000000000000)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def normalise_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    if not details:
        return {}
    return _json_safe(json.loads(json.dumps(dict(details), cls=DjangoJSONEncoder)))


def canonical(
    *,
    chain_key: str,
    seq: int,
    kind: int,
    actor_id: int | None,
    actor_label: str,
    institution_id: int | None,
    object_type: str,
    object_id: str,
    outcome: str,
    ip: str | None,
    at: dt.datetime,
    details: Any,
    prev_hash: str,
) -> bytes:
    """The bytes that are hashed: every column but ``id`` and ``hash``."""
    payload = [
        chain_key,
        seq,
        int(kind),
        actor_id,
        actor_label,
        institution_id,
        object_type,
        object_id,
        outcome,
        canonical_ip(ip),
        at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        details,
        prev_hash,
    ]
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def hash_bytes(data: bytes) -> str:
    """HMAC-SM3 under AUDIT_CHAIN_KEY, hex. Always SM3, whatever algorithm the field
    encryption uses: switching that must not invalidate the existing chain."""
    mac = hmac.HMAC(_chain_key_bytes(settings.AUDIT_CHAIN_KEY), hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


def compute_hash(event: AuditEvent) -> str:
    return hash_bytes(
        canonical(
            chain_key=event.chain_key,
            seq=event.seq,
            kind=event.kind,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            institution_id=event.institution_id,
            object_type=event.object_type,
            object_id=event.object_id,
            outcome=event.outcome,
            ip=event.ip,
            at=event.at,
            details=event.details,
            prev_hash=event.prev_hash,
        )
    )
