"""Field encryption (GB/T 39786-2021): SM4-GCM by default, AES-GCM by setting, keys
named and rotatable, the column bound as associated data (SECURITY check 22)."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from jiaozi.core import crypto

K1 = "k1:" + base64.b64encode(b"0123456789abcdef").decode()
K2 = "k2:" + base64.b64encode(b"fedcba9876543210").decode()
AES256 = "a1:" + base64.b64encode(bytes(range(32))).decode()
ID = "34010419900101123X"


def _tamper(stored: str) -> str:
    alg, key_id, blob = stored.split("$", 2)
    raw = bytearray(base64.b64decode(blob))
    raw[len(raw) // 2] ^= 0x01
    return f"{alg}${key_id}${base64.b64encode(bytes(raw)).decode()}"


def test_sm4_round_trip_by_default() -> None:
    stored = crypto.encrypt(ID, context="teachers.teacher.resident_id")
    assert stored.startswith("sm4-gcm$dev1$")
    assert ID not in stored
    assert crypto.decrypt(stored, context="teachers.teacher.resident_id") == ID


@override_settings(
    FIELD_ENCRYPTION_ALGORITHM="aes-gcm", FIELD_ENCRYPTION_KEYS=AES256, FIELD_ENCRYPTION_ACTIVE_KEY="a1"
)
def test_aes_round_trip_when_switched() -> None:
    stored = crypto.encrypt(ID, context="c")
    assert stored.startswith("aes-gcm$a1$")
    assert crypto.decrypt(stored, context="c") == ID


def test_same_value_encrypts_differently_each_time() -> None:
    assert crypto.encrypt(ID) != crypto.encrypt(ID)


@pytest.mark.parametrize("algorithm", ["sm4-gcm", "aes-gcm"])
def test_tampered_ciphertext_fails_authentication(algorithm: str) -> None:
    with override_settings(
        FIELD_ENCRYPTION_ALGORITHM=algorithm, FIELD_ENCRYPTION_KEYS=K1, FIELD_ENCRYPTION_ACTIVE_KEY="k1"
    ):
        stored = crypto.encrypt(ID, context="c")
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(_tamper(stored), context="c")


@pytest.mark.parametrize(
    "garbage", ["", "sm4-gcm$dev1", "sm4-gcm$dev1$***", "sm4-gcm$dev1$" + base64.b64encode(b"short").decode()]
)
def test_malformed_ciphertext_fails(garbage: str) -> None:
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(garbage)


def test_ciphertext_moved_to_another_column_fails() -> None:
    stored = crypto.encrypt("13812345678", context="teachers.teacher.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, context="teachers.teacher.resident_id")


def test_key_rotation_old_key_still_decrypts() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=K1, FIELD_ENCRYPTION_ACTIVE_KEY="k1"):
        old = crypto.encrypt(ID, context="c")
    with override_settings(FIELD_ENCRYPTION_KEYS=f"{K2},{K1}", FIELD_ENCRYPTION_ACTIVE_KEY="k2"):
        new = crypto.encrypt(ID, context="c")
        assert old.split("$")[1] == "k1"
        assert new.split("$")[1] == "k2"
        assert crypto.decrypt(old, context="c") == ID
        assert crypto.decrypt(new, context="c") == ID


def test_unknown_key_fails() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=K1, FIELD_ENCRYPTION_ACTIVE_KEY="k1"):
        old = crypto.encrypt(ID, context="c")
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=K2, FIELD_ENCRYPTION_ACTIVE_KEY="k2"),
        pytest.raises(crypto.DecryptionError),
    ):
        crypto.decrypt(old, context="c")


def test_a_key_id_reused_for_another_key_fails() -> None:
    """Rotating means a new id: the same id with other bytes cannot decrypt."""
    with override_settings(FIELD_ENCRYPTION_KEYS=K1, FIELD_ENCRYPTION_ACTIVE_KEY="k1"):
        old = crypto.encrypt(ID, context="c")
    other = "k1:" + K2.split(":", 1)[1]
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=other, FIELD_ENCRYPTION_ACTIVE_KEY="k1"),
        pytest.raises(crypto.DecryptionError),
    ):
        crypto.decrypt(old, context="c")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"FIELD_ENCRYPTION_ALGORITHM": "des"}, "FIELD_ENCRYPTION_ALGORITHM"),
        (
            {
                "FIELD_ENCRYPTION_KEYS": "k1:" + base64.b64encode(b"short").decode(),
                "FIELD_ENCRYPTION_ACTIVE_KEY": "k1",
            },
            "bytes",
        ),
        ({"FIELD_ENCRYPTION_ACTIVE_KEY": "nope"}, "FIELD_ENCRYPTION_ACTIVE_KEY"),
        ({"BLIND_INDEX_KEY": base64.b64encode(b"short").decode()}, "BLIND_INDEX_KEY"),
        ({"FIELD_ENCRYPTION_KEYS": "k1:not base64!", "FIELD_ENCRYPTION_ACTIVE_KEY": "k1"}, "base64"),
    ],
)
def test_bad_configuration_is_refused(overrides: dict[str, str], message: str) -> None:
    with override_settings(**overrides), pytest.raises(ImproperlyConfigured, match=message):
        crypto.encrypt(ID)


def test_blind_index_is_deterministic_normalised_and_keyed() -> None:
    lower = crypto.blind_index("34010419900101123x", context="resident_id")
    assert lower == crypto.blind_index(" 34010419900101123X ", context="resident_id")
    assert lower != crypto.blind_index("34010419900101123X", context="phone")
    assert ID not in lower
    other_key = base64.b64encode(b"another-blind-index-key-000000").decode()
    with override_settings(BLIND_INDEX_KEY=other_key):
        assert crypto.blind_index(ID, context="resident_id") != lower


def test_blind_index_is_hmac_sm3_by_default() -> None:
    from cryptography.hazmat.primitives import hashes, hmac
    from django.conf import settings

    mac = hmac.HMAC(base64.b64decode(settings.BLIND_INDEX_KEY), hashes.SM3())
    mac.update(f"resident_id\x00{ID}".encode())
    assert crypto.blind_index(ID, context="resident_id") == mac.finalize().hex()


def test_blind_index_does_not_follow_the_cipher() -> None:
    """Switching the cipher must not change stored blind indexes (lookups, uniqueness)."""
    from django.test import override_settings

    before = crypto.blind_index("34010419900101123X", context="resident_id")
    with override_settings(
        FIELD_ENCRYPTION_ALGORITHM="aes-gcm", FIELD_ENCRYPTION_KEYS=AES256, FIELD_ENCRYPTION_ACTIVE_KEY="a1"
    ):
        assert crypto.blind_index("34010419900101123X", context="resident_id") == before
    with override_settings(BLIND_INDEX_ALGORITHM="hmac-sha256"):
        assert crypto.blind_index("34010419900101123X", context="resident_id") != before
