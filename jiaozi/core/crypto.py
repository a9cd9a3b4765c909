"""Field-level encryption of personal data (GB/T 39786-2021).

Values are encrypted with SM4-GCM (or AES-GCM, by setting) under a named key, so keys
can rotate: every ciphertext carries the id of the key that made it. Equality lookups
and uniqueness use a blind index: HMAC-SM3 (or HMAC-SHA256) of the normalised value
under a separate key.

Stored form: ``<alg>$<key id>$<base64(nonce ‖ ciphertext ‖ tag)>``.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
TAG_BYTES = 16
ALGORITHMS = {"sm4-gcm": "sm4", "aes-gcm": "aes"}


class DecryptionError(ValueError):
    """The ciphertext was altered, or its key is unknown."""


@dataclass(frozen=True)
class KeyRing:
    algorithm: str
    keys: dict[str, bytes]
    active: str
    blind_key: bytes


def _b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not valid base64.") from exc


@lru_cache(maxsize=4)
def _keyring(algorithm: str, keys_spec: str, active: str, blind: str) -> KeyRing:
    if algorithm not in ALGORITHMS:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_ALGORITHM must be one of {sorted(ALGORITHMS)}.")
    keys: dict[str, bytes] = {}
    for item in keys_spec.split(","):
        key_id, _, value = item.strip().partition(":")
        key = _b64(value, "FIELD_ENCRYPTION_KEYS")
        allowed = (16,) if algorithm == "sm4-gcm" else (16, 24, 32)
        if len(key) not in allowed:
            raise ImproperlyConfigured(f"Key {key_id} must be {allowed} bytes for {algorithm}.")
        keys[key_id] = key
    if active not in keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_ACTIVE_KEY names no key in FIELD_ENCRYPTION_KEYS.")
    blind_key = _b64(blind, "BLIND_INDEX_KEY")
    if len(blind_key) < 16:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 16 bytes.")
    return KeyRing(algorithm, keys, active, blind_key)


@lru_cache(maxsize=4)
def _read_keys_file(path: str, mtime_ns: int) -> str:
    """The key spec of a key file: ``id:base64`` items, one a line or comma-separated;
    blank lines and ``#`` comments ignored. Re-read when the file changes."""
    with open(path, encoding="utf-8") as handle:
        lines = [line.split("#", 1)[0].strip() for line in handle]
    items = [item.strip() for line in lines for item in line.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS_FILE holds no key.")
    return ",".join(items)


def keys_spec() -> str:
    """The keys, from the file FIELD_ENCRYPTION_KEYS_FILE when set (it must lie outside
    the source tree), otherwise from FIELD_ENCRYPTION_KEYS (the environment)."""
    path = getattr(settings, "FIELD_ENCRYPTION_KEYS_FILE", "") or ""
    if not path:
        spec: str = settings.FIELD_ENCRYPTION_KEYS
        if not spec:
            raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS or FIELD_ENCRYPTION_KEYS_FILE.")
        return spec
    resolved = Path(path).resolve()
    source_tree = Path(settings.BASE_DIR).resolve()
    if resolved == source_tree or source_tree in resolved.parents:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS_FILE must lie outside the source tree.")
    try:
        mtime_ns = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS_FILE cannot be read.") from exc
    return _read_keys_file(str(resolved), mtime_ns)


def keyring() -> KeyRing:
    return _keyring(
        settings.FIELD_ENCRYPTION_ALGORITHM,
        keys_spec(),
        settings.FIELD_ENCRYPTION_ACTIVE_KEY,
        settings.BLIND_INDEX_KEY,
    )


def key_id_of(stored: str) -> str:
    """The id of the key that made ``stored`` ("" when it is not a ciphertext)."""
    parts = stored.split("$", 2)
    return parts[1] if len(parts) == 3 else ""


def reencrypt(stored: str, *, context: str = "") -> str:
    """``stored`` under the active key (unchanged when it is on it already)."""
    if key_id_of(stored) == keyring().active:
        return stored
    return encrypt(decrypt(stored, context=context), context=context)


def _cipher(algorithm: str, key: bytes, mode: modes.GCM) -> Cipher:
    if algorithm == "sm4-gcm":
        return Cipher(algorithms.SM4(key), mode)
    return Cipher(algorithms.AES(key), mode)


def encrypt(plaintext: str, *, context: str = "") -> str:
    """Encrypt ``plaintext``; ``context`` (e.g. the column name) is bound as associated
    data, so a ciphertext copied into another column fails to decrypt."""
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = _cipher(ring.algorithm, ring.keys[ring.active], modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    blob = base64.b64encode(nonce + body + encryptor.tag).decode("ascii")
    return f"{ring.algorithm}${ring.active}${blob}"


def decrypt(stored: str, *, context: str = "") -> str:
    try:
        algorithm, key_id, blob = stored.split("$", 2)
        raw = base64.b64decode(blob, validate=True)
    except ValueError as exc:
        raise DecryptionError("Malformed ciphertext.") from exc
    ring = keyring()
    key = ring.keys.get(key_id)
    if key is None or algorithm not in ALGORITHMS or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("Unknown key or malformed ciphertext.")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = _cipher(algorithm, key, modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except InvalidTag as exc:
        raise DecryptionError("Ciphertext failed authentication.") from exc


HASHES = {"hmac-sm3": hashes.SM3, "hmac-sha256": hashes.SHA256}


def keyed_hash(data: bytes, key: bytes, *, algorithm: str = "hmac-sm3") -> str:
    """HMAC-SM3 (or HMAC-SHA256), hex."""
    if algorithm not in HASHES:
        raise ImproperlyConfigured(f"Keyed hash must be one of {sorted(HASHES)}.")
    mac = hmac.HMAC(key, HASHES[algorithm]())
    mac.update(data)
    return mac.finalize().hex()


def blind_index(value: str, *, context: str = "") -> str:
    """Deterministic keyed hash of the normalised value, for equality and uniqueness."""
    normalised = value.strip().upper()
    # Its own setting, not the cipher's: switching the cipher must not silently change
    # every stored index (and with it lookups and uniqueness).
    algorithm = getattr(settings, "BLIND_INDEX_ALGORITHM", "hmac-sm3")
    return keyed_hash(f"{context}\x00{normalised}".encode(), keyring().blind_key, algorithm=algorithm)
