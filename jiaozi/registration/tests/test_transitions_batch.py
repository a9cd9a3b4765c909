"""application_transition_batch: each item succeeds or fails on its own, with the same
checks as one transition, coded reasons, set-based writes and one audit row per
application moved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import F

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import PermissionDenied, ValidationFailed
from jiaozi.notifications.models import Notification
from jiaozi.registration import transitions
from jiaozi.registration.models import Application, ApplicationStep
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    STEPS_CLOSED,
    Chain,
    another_applicant,
    application,
    chain,
    make_notice,
)
from jiaozi.registration.transitions import BatchItem, ReturnReason, application_transition_batch
from jiaozi.registration.workflow import Action, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_clock() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def many(c: Chain, n: int, status: str, **fields: Any) -> list[Application]:
    apps = []
    for _ in range(n):
        applicant, cert = another_applicant(c)
        apps.append(application(c, status=status, applicant=applicant, certificate_=cert, **fields))
    return apps


def items(apps: list[Application], **kwargs: Any) -> list[BatchItem]:
    return [BatchItem(application_id=a.pk, version=a.version, **kwargs) for a in apps]


def audited(kind: AuditKind) -> list[int]:
    return sorted(int(pk) for pk in AuditEvent.objects.filter(kind=kind).values_list("object_id", flat=True))


def statuses(apps: list[Application]) -> list[str]:
    by_pk = dict(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("pk", "status"))
    return [by_pk[a.pk] for a in apps]


def test_each_item_succeeds_or_fails_on_its_own() -> None:
    c = chain()
    good = many(c, 3, Status.SCHOOL_REVIEW)
    stale = many(c, 1, Status.SCHOOL_REVIEW)[0]
    wrong_stage = many(c, 1, Status.REGISTRATION_REVIEW)[0]
    elsewhere = application(chain("susong"), status=Status.SCHOOL_REVIEW)
    batch = [
        *items(good),
        BatchItem(application_id=stale.pk, version=stale.version - 1),
        BatchItem(application_id=wrong_stage.pk, version=wrong_stage.version),
        BatchItem(application_id=elsewhere.pk, version=elsewhere.version),
        BatchItem(application_id=good[0].pk, version=good[0].version),
        BatchItem(application_id=999_999, version=1),
    ]
    result = application_transition_batch(actor=c.school_reviewer, action=Action.SCHOOL_APPROVE, items=batch)

    assert result.succeeded == [a.pk for a in good]
    assert [(pk, code) for pk, code, _message in result.failed] == [
        (stale.pk, "stale_version"),
        (wrong_stage.pk, "wrong_stage"),
        (elsewhere.pk, "not_found"),
        (good[0].pk, "duplicate"),
        (999_999, "not_found"),
    ]
    assert all(message for _pk, _code, message in result.failed)
    assert statuses(good) == [Status.REGISTRATION_REVIEW] * 3
    assert statuses([stale, wrong_stage, elsewhere]) == [
        Status.SCHOOL_REVIEW,
        Status.REGISTRATION_REVIEW,
        Status.SCHOOL_REVIEW,
    ]
    assert [a.version + 1 for a in good] == list(
        Application.objects.filter(pk__in=[a.pk for a in good])
        .order_by("pk")
        .values_list("version", flat=True)
    )
    assert ApplicationStep.objects.filter(action=Action.SCHOOL_APPROVE).count() == 3
    assert audited(AuditKind.APPLICATION_SCHOOL_APPROVED) == sorted(a.pk for a in good)
    rows = AuditEvent.objects.filter(kind=AuditKind.APPLICATION_SCHOOL_APPROVED)
    assert {row.institution_id for row in rows} == {c.school.pk}
    assert Notification.objects.filter(kind="registration.school_approved").count() == 3


def test_batch_returns_need_a_reason_code_per_item() -> None:
    c = chain()
    apps = many(c, 4, Status.SCHOOL_REVIEW)
    batch = [
        BatchItem(application_id=apps[0].pk, version=apps[0].version),
        BatchItem(application_id=apps[1].pk, version=apps[1].version, reason="只有文字"),
        BatchItem(application_id=apps[2].pk, version=apps[2].version, reason_code=ReturnReason.OTHER),
        BatchItem(
            application_id=apps[3].pk, version=apps[3].version, reason_code=ReturnReason.MATERIALS_MISSING
        ),
    ]
    result = application_transition_batch(
        actor=c.school_reviewer, action=Action.RETURN_TO_APPLICANT, items=batch
    )
    assert result.succeeded == [apps[3].pk]
    assert [code for _pk, code, _m in result.failed] == ["reason_required"] * 3
    step = ApplicationStep.objects.get(application=apps[3])
    assert (step.reason_code, step.opinion) == (
        ReturnReason.MATERIALS_MISSING,
        str(ReturnReason.MATERIALS_MISSING.label),
    )
    assert AuditEvent.objects.get(kind=AuditKind.APPLICATION_RETURNED_TO_APPLICANT).details[
        "reason_code"
    ] == (ReturnReason.MATERIALS_MISSING)
    assert Notification.objects.filter(kind="registration.returned").count() == 1


def test_batch_conclusions_per_item() -> None:
    c = chain()
    apps = many(c, 3, Status.REGISTRATION_REVIEW, suggestion="deferred")
    batch = [
        BatchItem(
            application_id=apps[0].pk,
            version=apps[0].version,
            conclusion="deferred",
            reason_code=ReturnReason.TRAINING_UNVERIFIED,
        ),
        BatchItem(application_id=apps[1].pk, version=apps[1].version, conclusion="qualified"),
        BatchItem(
            application_id=apps[2].pk,
            version=apps[2].version,
            conclusion="qualified",
            override_reason="学时已补录",
        ),
    ]
    result = application_transition_batch(actor=c.registration_reviewer, action=Action.CONCLUDE, items=batch)
    assert result.succeeded == [apps[0].pk, apps[2].pk]
    assert [(pk, code) for pk, code, _m in result.failed] == [(apps[1].pk, "override_reason_required")]
    rows = dict(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("pk", "conclusion"))
    assert rows == {apps[0].pk: "deferred", apps[1].pk: "", apps[2].pk: "qualified"}
    # Concluding tells the applicant nothing yet.
    assert not Notification.objects.exists()


def test_batch_publish_puts_the_applications_on_the_notice() -> None:
    c = chain()
    apps = many(c, 3, Status.CONCLUDED)
    notice = make_notice(c)
    result = application_transition_batch(
        actor=c.registration_reviewer, action=Action.PUBLISH_NOTICE, items=items(apps), notice=notice
    )
    assert result.succeeded == [a.pk for a in apps]
    assert set(
        Application.objects.filter(pk__in=result.succeeded).values_list("notice_id", "step_deadline")
    ) == {(notice.pk, notice.ends_at)}


def test_the_scheduler_ends_notices_in_a_batch() -> None:
    county, susong = chain(), chain("susong")
    ended = [
        *many(county, 2, Status.NOTICE, notice=make_notice(county, starts_at=OPEN - dt.timedelta(days=8))),
        *many(susong, 1, Status.NOTICE, notice=make_notice(susong, starts_at=OPEN - dt.timedelta(days=8))),
    ]
    running = many(county, 1, Status.NOTICE, notice=make_notice(county))
    result = application_transition_batch(actor=None, action=Action.NOTICE_END, items=items(ended + running))
    assert result.succeeded == [a.pk for a in ended]
    assert [code for _pk, code, _m in result.failed] == ["notice_running"]
    assert statuses(ended) == [Status.CITY_RECHECK, Status.CITY_RECHECK, Status.PROVINCE_REVIEW]
    rows = AuditEvent.objects.filter(kind=AuditKind.APPLICATION_NOTICE_ENDED)
    assert list(rows.order_by("institution_id").values_list("institution_id", flat=True)) == sorted(
        [county.authority.pk, county.authority.pk, susong.authority.pk]
    )


def test_the_public_cannot_batch_review_actions() -> None:
    with pytest.raises(PermissionDenied):
        application_transition_batch(actor=None, action=Action.CITY_APPROVE, items=[])


def test_batch_province_approval_completes_each_on_its_own() -> None:
    c = chain()
    apps = many(c, 3, Status.PROVINCE_REVIEW)
    revoked = apps[1].certificate
    type(revoked).objects.filter(pk=revoked.pk).update(status="revoked")
    result = application_transition_batch(
        actor=c.province_reviewer, action=Action.PROVINCE_APPROVE, items=items(apps)
    )
    assert result.succeeded == [apps[0].pk, apps[2].pk]
    assert [(pk, code) for pk, code, _m in result.failed] == [(apps[1].pk, "certificate_not_valid")]
    assert statuses(apps) == [Status.COMPLETED, Status.PROVINCE_REVIEW, Status.COMPLETED]
    assert audited(AuditKind.APPLICATION_PROVINCE_APPROVED) == sorted([apps[0].pk, apps[2].pk])
    assert ApplicationStep.objects.filter(application=apps[1]).count() == 0
    assert Application.objects.get(pk=apps[0].pk).completed_at is not None


def test_a_row_moved_by_someone_else_after_the_checks_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compare-and-set returns only the rows it changed: a row another writer moved
    between the checks and the write is reported stale and gets no step or audit row."""
    c = chain()
    apps = many(c, 3, Status.CITY_RECHECK)
    real_rows = transitions._rows

    def rows_then_interfere(*args: Any) -> Any:
        loaded = real_rows(*args)
        Application.objects.filter(pk=apps[1].pk).update(version=F("version") + 1)
        return loaded

    monkeypatch.setattr(transitions, "_rows", rows_then_interfere)
    result = application_transition_batch(
        actor=c.city_rechecker, action=Action.CITY_APPROVE, items=items(apps)
    )
    assert result.succeeded == [apps[0].pk, apps[2].pk]
    assert [(pk, code) for pk, code, _m in result.failed] == [(apps[1].pk, "stale_version")]
    assert statuses(apps) == [Status.PROVINCE_REVIEW, Status.CITY_RECHECK, Status.PROVINCE_REVIEW]
    assert audited(AuditKind.APPLICATION_CITY_APPROVED) == sorted([apps[0].pk, apps[2].pk])
    assert not ApplicationStep.objects.filter(application=apps[1]).exists()


def test_mixed_versions_and_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transitions, "CHUNK", 2)
    c = chain()
    apps = [*many(c, 3, Status.SCHOOL_REVIEW, version=2), *many(c, 2, Status.SCHOOL_REVIEW, version=5)]
    result = application_transition_batch(
        actor=c.school_reviewer, action=Action.SCHOOL_APPROVE, items=items(apps)
    )
    assert result.succeeded == [a.pk for a in apps]
    assert list(
        Application.objects.filter(pk__in=result.succeeded).order_by("pk").values_list("version", flat=True)
    ) == [
        3,
        3,
        3,
        6,
        6,
    ]
    assert AuditEvent.objects.filter(kind=AuditKind.APPLICATION_SCHOOL_APPROVED).count() == 5


def test_a_closed_window_fails_every_item() -> None:
    c = chain()
    apps = many(c, 2, Status.SCHOOL_REVIEW)
    with clock.travel(STEPS_CLOSED):
        result = application_transition_batch(
            actor=c.school_reviewer, action=Action.SCHOOL_APPROVE, items=items(apps)
        )
    assert result.succeeded == []
    assert [code for _pk, code, _m in result.failed] == ["window_closed", "window_closed"]
    assert statuses(apps) == [Status.SCHOOL_REVIEW] * 2


def test_a_batch_has_a_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transitions, "BATCH_MAX", 2)
    c = chain()
    with pytest.raises(ValidationFailed) as caught:
        application_transition_batch(
            actor=c.school_reviewer,
            action=Action.SCHOOL_APPROVE,
            items=[BatchItem(application_id=n, version=1) for n in range(3)],
        )
    assert caught.value.code == "batch_too_large"


def test_an_error_while_writing_rolls_the_chunk_back(monkeypatch: pytest.MonkeyPatch) -> None:
    c = chain()
    apps = many(c, 3, Status.SCHOOL_REVIEW)

    def broken(**kwargs: Any) -> int:
        raise RuntimeError("notification store down")

    monkeypatch.setattr(transitions, "notify_many", broken)
    with pytest.raises(RuntimeError):
        application_transition_batch(actor=c.school_reviewer, action=Action.SCHOOL_APPROVE, items=items(apps))
    assert statuses(apps) == [Status.SCHOOL_REVIEW] * 3
    assert not ApplicationStep.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.APPLICATION_SCHOOL_APPROVED).exists()
