"""Key rotation (issue 14, deliverable 4): ``manage.py rotate_keys`` moves every
encrypted value to the active key in batches, resumable and audited; keys come from the
environment or from a key file outside the source tree; no personal field bypasses the
encrypted type. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import base64
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from jiaozi.accounts.tests.factories import make_applicant
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import crypto, keyrotation
from jiaozi.core.fields import EncryptedField, encrypted_fields, unencrypted_personal_fields
from jiaozi.teachers.models import Teacher
from jiaozi.teachers.tests.factories import make_teacher

pytestmark = pytest.mark.django_db

ALG = "sm4-gcm"
OLD = "old1:" + base64.b64encode(b"0123456789abcdef").decode()
NEW = "new2:" + base64.b64encode(b"fedcba9876543210").decode()
IDS = [
    "110101199003070011",
    "110101199003070038",
    "11010119900307005X",
    "110101199003070070",
    "110101199003070097",
]


def raw(field: EncryptedField) -> list[str]:
    """The stored ciphertexts of ``field``'s column, as the database holds them."""
    quote = connection.ops.quote_name
    column = str(field.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(column)} FROM {quote(field.model._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(column)} <> ''"
        )
        return [row[0] for row in cursor.fetchall()]


def resident_id_field() -> EncryptedField:
    field = Teacher._meta.get_field("resident_id")
    assert isinstance(field, EncryptedField)
    return field


@pytest.fixture
def on_old_key(settings: Any) -> list[Teacher]:
    """Five teachers and an applicant, all encrypted under ``old1``; then ``new2`` becomes
    the active key with ``old1`` still known."""
    settings.FIELD_ENCRYPTION_KEYS = OLD
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "old1"
    teachers = [make_teacher(resident_id=rid, phone=f"1380000{n:04d}") for n, rid in enumerate(IDS)]
    make_applicant(username="rotating", phone="13912345678")
    settings.FIELD_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "new2"
    return teachers


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def test_every_value_moves_to_the_active_key_and_still_reads(
    on_old_key: list[Teacher], settings: Any
) -> None:
    assert all(crypto.key_id_of(v) == "old1" for v in raw(resident_id_field()))

    out = run("--batch-size", "2")

    for field in encrypted_fields():
        assert all(crypto.key_id_of(v) == "new2" for v in raw(field)), field
    assert "teachers_teacher.resident_id: re-encrypted 5" in out
    # The old key can go: everything reads under the new one alone.
    settings.FIELD_ENCRYPTION_KEYS = NEW
    assert sorted(Teacher.objects.values_list("resident_id", flat=True)) == sorted(IDS)
    assert Teacher.objects.filter(**Teacher.resident_id.field.lookup(IDS[2])).count() == 1  # type: ignore[attr-defined]


def test_each_batch_and_the_run_are_audited_without_personal_data(on_old_key: list[Teacher]) -> None:
    run("--batch-size", "2")

    events = AuditEvent.objects.filter(kind=AuditKind.KEYS_ROTATED)
    batches = events.filter(object_id="teachers_teacher.resident_id")
    assert sorted(e.details["rotated"] for e in batches) == [1, 2, 2]
    (summary,) = events.filter(object_type="encryption_key")
    assert summary.object_id == "new2"
    assert summary.details["dry_run"] is False
    assert summary.details["rotated"] == sum(e.details["rotated"] for e in events.exclude(pk=summary.pk))
    dumped = " ".join(str(e.details) + e.object_id for e in events)
    for rid in IDS:
        assert rid not in dumped
    assert "13912345678" not in dumped


def test_a_stopped_run_resumes_and_a_second_run_changes_nothing(
    on_old_key: list[Teacher], monkeypatch: Any
) -> None:
    real = keyrotation.rotate_field
    calls = {"n": 0}

    def stop_after_first_column(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(keyrotation, "rotate_field", stop_after_first_column)
    with pytest.raises(KeyboardInterrupt):
        run("--batch-size", "2")
    monkeypatch.setattr(keyrotation, "rotate_field", real)
    first = encrypted_fields()[0]
    assert all(crypto.key_id_of(v) == "new2" for v in raw(first))

    run("--batch-size", "2")
    again = run()

    for field in encrypted_fields():
        assert all(crypto.key_id_of(v) == "new2" for v in raw(field)), field
    assert "re-encrypted 0 values" in again
    summary = AuditEvent.objects.filter(kind=AuditKind.KEYS_ROTATED, object_type="encryption_key").latest(
        "pk"
    )
    assert summary.details["rotated"] == 0
    assert summary.details["skipped"] >= len(IDS) * 2


def test_a_row_changed_meanwhile_is_not_overwritten(on_old_key: list[Teacher]) -> None:
    field = resident_id_field()
    target = on_old_key[0]
    real_reencrypt = crypto.reencrypt

    def race(stored: str, *, context: str = "") -> str:
        if crypto.decrypt(stored, context=context) == IDS[0]:
            Teacher.objects.filter(pk=target.pk).update(phone="13700000000")
            Teacher.objects.filter(pk=target.pk).update(resident_id="110101199003070118")
        return real_reencrypt(stored, context=context)

    import jiaozi.core.keyrotation as module

    module.crypto.reencrypt = race  # type: ignore[assignment]
    try:
        results = keyrotation.rotate_field(field, batch_size=10)
    finally:
        module.crypto.reencrypt = real_reencrypt  # type: ignore[assignment]
    assert sum(r.changed_meanwhile for r in results) == 1
    assert Teacher.objects.get(pk=target.pk).resident_id == "110101199003070118"


def test_dry_run_counts_and_writes_nothing(on_old_key: list[Teacher]) -> None:
    before = {field.name: raw(field) for field in encrypted_fields()}

    out = run("--dry-run")

    assert {field.name: raw(field) for field in encrypted_fields()} == before
    assert "teachers_teacher.resident_id: would re-encrypt 5" in out
    events = AuditEvent.objects.filter(kind=AuditKind.KEYS_ROTATED)
    assert [e.details["dry_run"] for e in events] == [True]  # the run, no batch


def test_a_bad_batch_size_is_refused() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        run("--batch-size", "0")


# ── keys from a file outside the source tree ─────────────────────────────────────


def test_keys_come_from_a_key_file_outside_the_source_tree(tmp_path: Path, settings: Any) -> None:
    key_file = tmp_path / "field-keys"
    key_file.write_text(f"# rotated 2026-12\n{NEW}\n{OLD}\n", encoding="utf-8")
    settings.FIELD_ENCRYPTION_KEYS = ""
    settings.FIELD_ENCRYPTION_KEYS_FILE = str(key_file)
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "new2"

    stored = crypto.encrypt("13800000000", context="c")

    assert stored.startswith(f"{ALG}$new2$")
    assert crypto.keyring().keys.keys() == {"new2", "old1"}
    # A changed file is read again: the old key retired.
    key_file.write_text(f"{NEW}\n", encoding="utf-8")
    import os

    os.utime(key_file, ns=(1, 10**18))
    assert crypto.keyring().keys.keys() == {"new2"}


def test_a_key_file_inside_the_source_tree_is_refused(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS_FILE = str(Path(settings.BASE_DIR) / "keys.txt")
    with pytest.raises(ImproperlyConfigured, match="outside the source tree"):
        crypto.keyring()


def test_a_missing_key_file_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS_FILE = str(tmp_path / "absent")
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        crypto.keyring()


def test_production_needs_keys_from_one_of_the_two_places(monkeypatch: Any) -> None:
    import importlib
    import sys

    for name in (
        "DJANGO_SECRET_KEY",
        "STAFF_URL_PREFIX",
        "FIELD_ENCRYPTION_ACTIVE_KEY",
        "BLIND_INDEX_KEY",
        "PUBLIC_BASE_URL",
    ):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("AUDIT_CHAIN_KEY", "x")
    monkeypatch.delenv("FIELD_ENCRYPTION_KEYS", raising=False)
    monkeypatch.delenv("FIELD_ENCRYPTION_KEYS_FILE", raising=False)
    monkeypatch.delitem(sys.modules, "config.settings.production", raising=False)
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        importlib.import_module("config.settings.production")
    monkeypatch.setenv("FIELD_ENCRYPTION_KEYS_FILE", "/etc/jiaozi/field-keys")
    monkeypatch.delitem(sys.modules, "config.settings.production", raising=False)
    reloaded = importlib.import_module("config.settings.production")
    assert reloaded.FIELD_ENCRYPTION_KEYS_FILE == "/etc/jiaozi/field-keys"
    assert reloaded.FIELD_ENCRYPTION_KEYS == ""


# ── no personal field in the clear ───────────────────────────────────────────────


def test_no_personal_field_bypasses_the_encrypted_type() -> None:
    assert unencrypted_personal_fields() == []


def test_the_check_names_a_plain_personal_field() -> None:
    from django.apps import apps
    from django.db import models

    class Witness(models.Model):  # noqa: DJ008
        home_address = models.CharField(max_length=10)

        class Meta:
            app_label = "core"
            managed = False

    try:
        assert "core.Witness.home_address" in unencrypted_personal_fields()
    finally:
        del apps.all_models["core"]["witness"]
        apps.clear_cache()


def test_every_encrypted_column_is_covered_by_the_rotation() -> None:
    labels = {f"{f.model._meta.label}.{f.name}" for f in encrypted_fields()}
    assert {"teachers.Teacher.resident_id", "accounts.User.phone", "registration.Objection.contact"} <= labels
    assert settings.FIELD_ENCRYPTION_KEYS_FILE == ""
