"""notify(): the inbox row commits or rolls back with the change it reports; outside
channels are sent only after commit; failures are recorded and retried; nothing logs a
phone number in clear."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from jiaozi.accounts.models import User
from jiaozi.core import clock
from jiaozi.core.errors import NotFound
from jiaozi.notifications import services
from jiaozi.notifications.backends import OutgoingMessage
from jiaozi.notifications.models import Delivery, Notification
from jiaozi.notifications.services import (
    Outcome,
    deliveries_requeue_stale,
    delivery_send,
    notification_mark_all_read,
    notification_mark_read,
    notify,
    notify_many,
)
from jiaozi.notifications.tasks import deliver_pending

from .factories import make_applicant, make_notification

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


class FailingBackend:
    """A gateway that is down, and whose error message quotes the number."""

    def send(self, message: OutgoingMessage) -> None:
        raise ConnectionError(f"gateway refused {message.to}")


FAILING = "jiaozi.notifications.tests.test_services.FailingBackend"


def sms_lines(outbox: Path) -> list[dict[str, Any]]:
    path = outbox / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_committed_change_notifies_in_the_inbox_and_by_sms(
    django_capture_on_commit_callbacks: Capture, outbox: Path
) -> None:
    user = make_applicant(phone="13812345678")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        notification = notify(
            user=user, kind="registration.returned", title="注册申请被退回", body="请补充材料。", link="/r/1/"
        )
        # Nothing goes out before the commit.
        assert sms_lines(outbox) == []
    assert len(callbacks) == 1
    assert Notification.objects.get().pk == notification.pk
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    [line] = sms_lines(outbox)
    assert line["to"] == "138****5678"
    assert line["text"] == "注册申请被退回：请补充材料。"
    assert line["notification"] == notification.pk
    assert "13812345678" not in (outbox / "sms.jsonl").read_text(encoding="utf-8")


def change_then_fail(user: User) -> None:
    """A state change that notifies, then fails before its transaction commits."""
    with transaction.atomic():
        notify(user=user, kind="registration.concluded", title="注册结论", body="注册合格")
        raise RuntimeError("the state change failed after notify")


def test_a_rolled_back_change_notifies_nobody(
    django_capture_on_commit_callbacks: Capture, outbox: Path
) -> None:
    user = make_applicant()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_then_fail(user)
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()
    assert sms_lines(outbox) == []


def test_inbox_only_queues_nothing(django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(user=make_applicant(), kind="k", title="t", body="", channels=("inbox",))
    assert callbacks == []
    assert notification.in_inbox
    assert not Delivery.objects.exists()


def test_sms_only_stays_out_of_the_inbox(django_capture_on_commit_callbacks: Capture, outbox: Path) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(
            user=make_applicant(), kind="k", title="验证码类通知", body="", channels=("sms",)
        )
    assert not notification.in_inbox
    assert len(sms_lines(outbox)) == 1


def test_email_goes_to_the_email_outbox_masked(
    django_capture_on_commit_callbacks: Capture, outbox: Path
) -> None:
    user = make_applicant(email="zhangsan@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=user, kind="k", title="注册结论", body="注册合格", channels=("inbox", "email"))
    line = json.loads((outbox / "email.jsonl").read_text(encoding="utf-8"))
    assert line["to"] == "z***@example.cn"
    assert line["subject"] == "注册结论"


def test_a_user_without_a_phone_is_skipped(django_capture_on_commit_callbacks: Capture, outbox: Path) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=make_applicant(phone=""), kind="k", title="t", body="b")
    assert Delivery.objects.get().status == Delivery.Status.SKIPPED
    assert sms_lines(outbox) == []


@pytest.mark.parametrize(
    "kw",
    [
        {"link": "https://evil.example/"},
        {"link": "//evil.example/"},
        {"link": "relative/path"},
        {"channels": ("inbox", "wechat")},
        {"channels": ()},
        {"title": ""},
        {"kind": ""},
    ],
)
def test_bad_arguments_are_refused(kw: dict[str, Any]) -> None:
    values: dict[str, Any] = {"user": make_applicant(), "kind": "k", "title": "t", "body": "b"}
    values.update(kw)
    with pytest.raises(ValueError):
        notify(**values)
    assert not Notification.objects.exists()


def test_a_failing_gateway_is_recorded_redacted_and_retried_then_given_up(
    settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    settings.NOTIFICATION_SMS_BACKEND = FAILING
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    notify(user=make_applicant(phone="13987654321"), kind="k", title="t", body="b")
    delivery = Delivery.objects.get()
    assert delivery_send(delivery_id=delivery.pk) == Outcome.RETRY
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("ConnectionError")
    assert "13987654321" not in delivery.last_error
    assert delivery_send(delivery_id=delivery.pk) == Outcome.FAILED
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 2
    assert delivery_send(delivery_id=delivery.pk) == Outcome.NOT_PENDING
    assert "13987654321" not in caplog.text


def test_a_failure_after_commit_does_not_break_the_committed_change(
    settings: SettingsWrapper, django_capture_on_commit_callbacks: Capture
) -> None:
    settings.NOTIFICATION_SMS_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(user=make_applicant(), kind="k", title="t", body="b")
    assert Notification.objects.count() == 1
    assert Delivery.objects.get().status == Delivery.Status.PENDING


def test_a_delivery_is_sent_once(outbox: Path) -> None:
    notify(user=make_applicant(), kind="k", title="t", body="b")
    delivery = Delivery.objects.get()
    assert delivery_send(delivery_id=delivery.pk) == Outcome.SENT
    assert delivery_send(delivery_id=delivery.pk) == Outcome.NOT_PENDING
    assert len(sms_lines(outbox)) == 1


def test_the_console_backend_logs_masked(settings: SettingsWrapper, caplog: pytest.LogCaptureFixture) -> None:
    settings.NOTIFICATION_SMS_BACKEND = "jiaozi.notifications.backends.ConsoleSMSBackend"
    notify(
        user=make_applicant(phone="13612340000"), kind="k", title="身份证 340104199001011234 已核验", body=""
    )
    caplog.set_level("INFO", logger="jiaozi.notifications")
    delivery_send(delivery_id=Delivery.objects.get().pk)
    assert "136****0000" in caplog.text
    assert "13612340000" not in caplog.text
    assert "340104199001011234" not in caplog.text


def test_stale_deliveries_are_requeued(outbox: Path) -> None:
    t0 = dt.datetime(2024, 9, 1, 10, tzinfo=dt.UTC)
    with clock.travel(t0):
        notify(user=make_applicant(), kind="k", title="lost task", body="")
        notify(user=make_applicant(), kind="k", title="dead worker", body="")
    lost, dead = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk=dead.pk).update(status=Delivery.Status.SENDING)
    with clock.travel(t0 + dt.timedelta(minutes=5)):
        assert deliveries_requeue_stale(older_than=dt.timedelta(minutes=10)) == []
        notify(user=make_applicant(), kind="k", title="fresh", body="")
    with clock.travel(t0 + dt.timedelta(minutes=11)):
        assert deliveries_requeue_stale(older_than=dt.timedelta(minutes=10)) == [lost.pk, dead.pk]
        assert deliver_pending.delay(600).get() == 2
    assert {line["text"] for line in sms_lines(outbox)} == {"lost task", "dead worker"}


def test_notify_many_writes_in_bulk_and_sends_in_batches(
    django_capture_on_commit_callbacks: Capture,
    django_assert_max_num_queries: Callable[..., Any],
    outbox: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 20)
    users = [make_applicant() for _ in range(45)]
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
        django_assert_max_num_queries(4),
    ):
        assert notify_many(users=users, kind="registration.concluded", title="注册结论已公布", body="") == 45
    assert len(callbacks) == 1
    assert Notification.objects.count() == 45
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 45
    assert len(sms_lines(outbox)) == 45


# --- inbox ----------------------------------------------------------------------------


def test_marking_read_is_for_the_recipient_only() -> None:
    mine = make_notification()
    other = make_applicant()
    with pytest.raises(NotFound):
        notification_mark_read(user=other, pk=mine.pk)
    mine.refresh_from_db()
    assert mine.read_at is None
    assert notification_mark_read(user=mine.recipient, pk=mine.pk).read_at is not None
    first = Notification.objects.get(pk=mine.pk).read_at
    notification_mark_read(user=mine.recipient, pk=mine.pk)
    assert Notification.objects.get(pk=mine.pk).read_at == first


def test_mark_all_read_touches_only_the_users_unread() -> None:
    user = make_applicant()
    for _ in range(3):
        make_notification(recipient=user)
    someone_else = make_notification()
    assert notification_mark_all_read(user=user) == 3
    assert notification_mark_all_read(user=user) == 0
    someone_else.refresh_from_db()
    assert someone_else.read_at is None
