"""Writing the audit log: one chain per institution, gapless seqs, hashes linking each
row to its predecessor, nothing left behind by a rolled-back transaction."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from jiaozi.accounts.models import User
from jiaozi.audit import services
from jiaozi.audit.models import AuditChain, AuditEvent, AuditKind
from jiaozi.audit.services import GENESIS, AuditItem, audit_record, audit_record_many, compute_hash
from jiaozi.audit.verify import verify
from jiaozi.core import clock
from jiaozi.core.middleware import RequestContext, _current
from jiaozi.orgs.models import Institution

from .factories import record, record_many

pytestmark = pytest.mark.django_db


def _chain(key: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain_key=key).order_by("seq"))


def test_rows_of_one_institution_form_one_chain() -> None:
    rows = record_many(4, institution_id=11)
    record_many(2, institution_id=12)
    chain = _chain("inst:11")
    assert [e.seq for e in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    assert [e.seq for e in _chain("inst:12")] == [1, 2]
    head = AuditChain.objects.get(key="inst:11")
    assert (head.last_seq, head.last_hash) == (4, rows[-1].hash)


def test_hash_is_recomputable_from_the_stored_row() -> None:
    event = record(institution_id=1, details={"reason": "退回", "count": 3, "nested": {"b": [1, 2]}})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert compute_hash(stored) == stored.hash == event.hash
    assert len(stored.hash) == 64


def test_hash_covers_every_column() -> None:
    event = AuditEvent.objects.get(pk=record(institution_id=1, ip="10.0.0.1").pk)
    original = compute_hash(event)
    for name, value in [
        ("chain_key", "inst:2"),
        ("seq", 99),
        ("kind", int(AuditKind.EXPORT)),
        ("actor_id", 5),
        ("actor_label", "某人"),
        ("institution_id", 2),
        ("object_type", "x"),
        ("object_id", "2"),
        ("outcome", "failure"),
        ("ip", "10.0.0.2"),
        ("at", event.at + dt.timedelta(microseconds=1)),
        ("details", {"n": 1}),
        ("prev_hash", "f" * 64),
    ]:
        changed = AuditEvent.objects.get(pk=event.pk)
        setattr(changed, name, value)
        assert compute_hash(changed) != original, name


def test_chain_hash_is_hmac_sm3_under_the_chain_key() -> None:
    event = record(institution_id=1)
    with override_settings(AUDIT_CHAIN_KEY="YW5vdGhlci1hdWRpdC1jaGFpbi1rZXktMDAwMDAwMA=="):
        assert compute_hash(event) != event.hash
    # Switching the field encryption to AES must not change the audit hashes.
    with override_settings(FIELD_ENCRYPTION_ALGORITHM="aes-gcm"):
        assert compute_hash(event) == event.hash


def test_actor_fills_institution_label_and_ip_from_the_request(ly_admin: User, luyang: Institution) -> None:
    token = _current.set(RequestContext(ip="192.0.2.7", user_id=ly_admin.pk, user_agent="pytest"))
    try:
        event = audit_record(kind=AuditKind.STAFF_UPDATED, actor=ly_admin, obj=ly_admin)
    finally:
        _current.reset(token)
    assert event.chain_key == f"inst:{luyang.pk}"
    assert event.institution_id == luyang.pk
    assert event.actor_id == ly_admin.pk
    assert event.actor_label == f"{ly_admin.real_name}（ly_admin）"
    assert (event.object_type, event.object_id) == ("accounts.user", str(ly_admin.pk))
    assert event.ip == "192.0.2.7"


def test_applicant_label_is_masked_and_goes_to_a_public_chain(db: Any) -> None:
    applicant = User.objects.create_user("13812345678", "Jiaozi@2024", real_name="张三")
    event = audit_record(kind=AuditKind.LOGIN_SUCCEEDED, actor=applicant)
    assert event.actor_label == "张*"
    assert "13812345678" not in event.actor_label
    assert event.chain_key.startswith("pub:")


def test_ipv6_and_float_details_survive_the_round_trip() -> None:
    event = record(
        institution_id=1, ip="2001:0db8:0000:0000:0000:0000:0000:0001", details={"ratio": 0.1, "big": 1e20}
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.ip == "2001:db8::1"
    assert stored.details == {"ratio": "0.1", "big": "1e+20"}
    assert compute_hash(stored) == stored.hash


def test_not_an_address_is_dropped() -> None:
    assert record(institution_id=1, ip="not-an-ip").ip is None


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        record(institution_id=1, outcome="maybe")


def test_rolled_back_transaction_leaves_no_row_and_no_advance() -> None:
    first = record(institution_id=3)

    def failing_change() -> None:
        with transaction.atomic():
            record(institution_id=3)
            record(institution_id=4)  # a chain created inside the failed transaction
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert AuditEvent.objects.filter(chain_key__in=["inst:3", "inst:4"]).count() == 1
    head = AuditChain.objects.get(key="inst:3")
    assert (head.last_seq, head.last_hash) == (1, first.hash)
    assert not AuditChain.objects.filter(key="inst:4").exists()
    assert record(institution_id=3).seq == 2  # no gap
    assert verify().ok


def test_record_many_advances_each_chain_once(django_assert_max_num_queries: Any) -> None:
    record(institution_id=5)
    record(institution_id=6)
    items = [
        AuditItem(object_type="registration.application", object_id=n, institution_id=5 + n % 2)
        for n in range(50)
    ]
    # Per chain: advance, read the head, the inserts (two batches; one COPY on
    # PostgreSQL), read the ids back, publish the hash.
    with django_assert_max_num_queries(2 * 6):
        events = audit_record_many(
            kind=AuditKind.TEACHER_UPDATED, items=items, details={"batch": "b1"}, batch_size=20
        )
    assert len(events) == 50
    stored = AuditEvent.objects.in_bulk([e.pk for e in events])
    assert all(stored[e.pk].hash == e.hash and stored[e.pk].seq == e.seq for e in events)
    assert [e.seq for e in _chain("inst:5")] == list(range(1, 27))
    assert [e.seq for e in _chain("inst:6")] == list(range(1, 27))
    assert AuditChain.objects.get(key="inst:6").last_hash == _chain("inst:6")[-1].hash
    assert verify().ok


def test_record_many_takes_model_instances_and_per_item_overrides(
    luyang: Institution, yaohai: Institution
) -> None:
    events = audit_record_many(
        kind=AuditKind.INSTITUTION_UPDATED,
        items=[
            luyang,
            AuditItem(obj=yaohai, kind=AuditKind.INSTITUTION_CREATED, outcome="denied", details={"why": "x"}),
        ],
        institution_id=luyang.pk,
        details={"batch": 1},
    )
    first, second = sorted(events, key=lambda e: e.object_id == str(yaohai.pk))
    assert (first.object_type, first.object_id, first.kind) == (
        "orgs.institution",
        str(luyang.pk),
        AuditKind.INSTITUTION_UPDATED,
    )
    assert (second.kind, second.outcome, second.details) == (
        AuditKind.INSTITUTION_CREATED,
        "denied",
        {"batch": 1, "why": "x"},
    )
    assert verify().ok


def test_record_many_interleaves_with_single_records() -> None:
    record(institution_id=8)
    audit_record_many(
        kind=AuditKind.EXPORT, items=[AuditItem(object_id=n) for n in range(3)], institution_id=8
    )
    record(institution_id=8)
    assert [e.seq for e in _chain("inst:8")] == [1, 2, 3, 4, 5]
    assert verify().ok


def test_record_many_of_nothing_writes_nothing() -> None:
    assert audit_record_many(kind=AuditKind.EXPORT, items=[]) == []
    assert not AuditEvent.objects.exists()


def test_rows_are_dated_by_the_clock() -> None:
    moment = dt.datetime(2024, 9, 13, 9, 0, tzinfo=dt.UTC)
    with clock.travel(moment):
        event = record(institution_id=1)
    assert abs(event.at - moment) < dt.timedelta(seconds=5)


def test_head_that_moved_under_the_lock_is_an_error() -> None:
    record(institution_id=9)
    with pytest.raises(services.ChainHeadMoved):
        services._publish("inst:9", 7, "x" * 64)
