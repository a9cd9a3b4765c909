"""Public notice services (公示): publish, objections, resolution, notice end and the
periodic job that runs it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, WindowClosed
from jiaozi.core.ratelimit import RateLimited
from jiaozi.notifications.models import Notification
from jiaozi.registration import notices
from jiaozi.registration.models import Application, ApplicationStep, Notice, Objection
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    applicant_for,
    application,
    chain,
    drive,
    due_teacher,
)
from jiaozi.registration.workflow import Action, Status
from jiaozi.teachers.models import Teacher

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _open_campaign_and_empty_cache() -> Iterator[None]:
    cache.clear()
    with clock.travel(OPEN):
        yield
    cache.clear()


def concluded(c: Chain, *, name: str | None = None, conclusion: str = "qualified") -> Application:
    """One more CONCLUDED application at the chain's school (a teacher of its own)."""
    owner, cert = due_teacher(c.school, **({"name": name} if name else {}))
    return application(
        c, status=Status.CONCLUDED, applicant=applicant_for(owner), certificate_=cert, conclusion=conclusion
    )


def published(c: Chain, count: int = 1, **kw: Any) -> tuple[Notice, list[Application]]:
    apps = [concluded(c) for _ in range(count)]
    notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[a.pk for a in apps], **kw)
    return notice, [Application.objects.get(pk=a.pk) for a in apps]


def objection(notice: Notice, app: Application, **kw: Any) -> Objection:
    values: dict[str, Any] = {
        "notice_id": notice.pk,
        "application_id": app.pk,
        "anonymous": False,
        "name": "李四",
        "contact": "13800138000",
        "content": "该教师近五年有一年未参加年度考核，与公示结论不符。",
        "ip": "203.0.113.7",
    } | kw
    return notices.objection_submit(**values)


def steps(app: Application, action: str) -> int:
    return ApplicationStep.objects.filter(application=app, action=action).count()


# --- Publish -----------------------------------------------------------------------------


def test_publish_lists_masked_rows_keeps_the_hash_and_moves_every_application() -> None:
    c = chain()
    first = concluded(c, name="张三丰")
    second = concluded(c, name="欧阳娜娜", conclusion="deferred")

    notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[second.pk, first.pk])

    ids = {a.pk: Teacher.objects.get(pk=a.teacher_id).resident_id for a in (first, second)}
    assert [(e["no"], e["application_id"]) for e in notice.entries] == [(1, first.pk), (2, second.pk)]
    assert notice.entries[0] | {"resident_id": ""} == {
        "no": 1,
        "application_id": first.pk,
        "name": "张**",
        "resident_id": "",
        "school": c.school.name,
        "conclusion": "qualified",
        "conclusion_label": "注册合格",
    }
    assert notice.entries[1]["name"] == "欧***"
    assert notice.entries[1]["conclusion_label"] == "暂缓注册"
    for entry in notice.entries:
        rid = ids[entry["application_id"]]
        assert entry["resident_id"] == rid[:6] + "********" + rid[-4:]
    stored = json.dumps(Notice.objects.get(pk=notice.pk).entries, ensure_ascii=False)
    assert not any(rid in stored for rid in ids.values())
    assert "张三丰" not in stored
    assert "欧阳娜娜" not in stored

    # Seven days (the campaign's notice_days) from the second of publication.
    assert abs(notice.starts_at - OPEN) < dt.timedelta(seconds=5)
    assert notice.starts_at.microsecond == 0
    assert notice.ends_at - notice.starts_at == dt.timedelta(days=7)
    assert notice.title == f"{c.authority.name}2024年中小学教师资格定期注册结论公示（第1批）"

    for app in (first, second):
        app.refresh_from_db()
        assert app.status == Status.NOTICE
        assert app.notice_id == notice.pk
        assert steps(app, Action.PUBLISH_NOTICE) == 1
        assert AuditEvent.objects.filter(
            kind=AuditKind.APPLICATION_NOTICE_PUBLISHED, object_id=str(app.pk)
        ).exists()
    event = AuditEvent.objects.get(kind=AuditKind.NOTICE_PUBLISHED, object_id=str(notice.pk))
    assert event.actor_id == c.registration_reviewer.pk
    assert event.details["sha256"] == notice.list_sha256
    assert event.details["entries"] == 2


def test_the_hash_is_the_sha256_of_the_downloadable_document_recomputed_independently() -> None:
    c = chain()
    notice, _apps = published(c, 3)
    notice.refresh_from_db()

    document = {
        "title": notice.title,
        "starts_at": notice.starts_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "ends_at": notice.ends_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "entries": notice.entries,
    }
    expected = hashlib.sha256(
        json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()

    assert notice.list_sha256 == expected
    assert hashlib.sha256(notices.notice_document_bytes(notice=notice)).hexdigest() == expected
    assert notices.notice_list_sha256(notice=notice) == expected


def test_an_altered_stored_list_no_longer_matches_its_hash() -> None:
    c = chain()
    notice, _apps = published(c, 2)
    entries = notice.entries
    entries[0]["conclusion_label"] = "注册不合格"
    Notice.objects.filter(pk=notice.pk).update(entries=entries)
    notice.refresh_from_db()

    assert notices.notice_list_sha256(notice=notice) != notice.list_sha256


def test_the_period_is_the_campaigns_and_a_reviewer_cannot_change_it() -> None:
    c = chain()
    notice, _apps = published(c, 1, days=7)
    assert notice.ends_at - notice.starts_at == dt.timedelta(days=7)

    for days in (1, 6, 8, 31):
        app = concluded(c)
        with pytest.raises(ValidationFailed) as refused:
            notices.notice_publish(actor=c.registration_reviewer, application_ids=[app.pk], days=days)
        assert refused.value.code == "notice_days_fixed"
        assert "7个自然日" in str(refused.value)
        assert Application.objects.get(pk=app.pk).status == Status.CONCLUDED


def test_the_batch_number_counts_the_authoritys_notices() -> None:
    c = chain()
    published(c, 1)
    notice, _apps = published(c, 1)
    assert notice.title.endswith("（第2批）")


def test_publish_is_all_or_nothing_when_one_application_is_in_another_stage() -> None:
    c = chain()
    ready = concluded(c)
    owner, cert = due_teacher(c.school)
    reviewing = application(
        c, status=Status.REGISTRATION_REVIEW, applicant=applicant_for(owner), certificate_=cert
    )

    with pytest.raises(Conflict) as refused:
        notices.notice_publish(actor=c.registration_reviewer, application_ids=[ready.pk, reviewing.pk])

    assert refused.value.code == "wrong_stage"
    assert not Notice.objects.exists()
    assert Application.objects.get(pk=ready.pk).status == Status.CONCLUDED
    assert not AuditEvent.objects.filter(kind=AuditKind.NOTICE_PUBLISHED).exists()


def test_publish_rolls_back_when_the_workflow_refuses_an_item() -> None:
    c = chain()
    ready = concluded(c)
    own = concluded(c)
    # The reviewer is the teacher of the second application (same phone): conflict of interest.
    reviewer = c.registration_reviewer
    teacher = Teacher.objects.get(pk=own.teacher_id)
    teacher.phone = reviewer.phone
    teacher.save()

    with pytest.raises(PermissionDenied) as refused:
        notices.notice_publish(actor=reviewer, application_ids=[ready.pk, own.pk])

    assert refused.value.code == "conflict_of_interest"
    assert str(own.pk) in refused.value.message
    assert not Notice.objects.exists()
    assert Application.objects.filter(status=Status.NOTICE).count() == 0
    assert not ApplicationStep.objects.filter(action=Action.PUBLISH_NOTICE).exists()


def test_publish_of_another_authoritys_application_is_not_found() -> None:
    ours, theirs = chain(), chain("susong")
    app = concluded(theirs)

    with pytest.raises(NotFound):
        notices.notice_publish(actor=ours.registration_reviewer, application_ids=[app.pk])

    assert Application.objects.get(pk=app.pk).status == Status.CONCLUDED


def test_only_registration_reviewers_publish() -> None:
    c = chain()
    app = concluded(c)

    with pytest.raises(PermissionDenied):
        notices.notice_publish(actor=c.school_reviewer, application_ids=[app.pk])
    with pytest.raises(ValidationFailed):
        notices.notice_publish(actor=c.registration_reviewer, application_ids=[])


# --- Objections --------------------------------------------------------------------------


def test_an_objection_freezes_the_application_and_keeps_the_contact_encrypted() -> None:
    c = chain()
    notice, (app, other) = published(c, 2)

    filed = objection(notice, app, anonymous=True, name="不会保存")

    app.refresh_from_db()
    assert app.status == Status.NOTICE_PAUSED
    assert Application.objects.get(pk=other.pk).status == Status.NOTICE
    assert steps(app, Action.OBJECT) == 1
    assert filed.state == Objection.State.OPEN
    assert filed.name == ""
    assert Objection.objects.get(pk=filed.pk).contact == "13800138000"
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact FROM registration_objection WHERE id = %s", [filed.pk])
        (raw,) = cursor.fetchone()
    assert "13800138000" not in str(raw)
    event = AuditEvent.objects.get(kind=AuditKind.OBJECTION_SUBMITTED, object_id=str(filed.pk))
    assert event.actor_id is None
    assert event.institution_id == c.authority.pk
    assert "13800138000" not in json.dumps(event.details)
    assert Notification.objects.filter(
        recipient=c.registration_reviewer, kind="registration.objection_received"
    ).exists()


def test_a_second_objection_joins_the_paused_application_without_a_second_transition() -> None:
    c = chain()
    notice, (app,) = published(c)
    objection(notice, app)

    objection(notice, app, contact="reporter@example.com", ip="203.0.113.8")

    app.refresh_from_db()
    assert app.status == Status.NOTICE_PAUSED
    assert Objection.objects.filter(application=app).count() == 2
    assert steps(app, Action.OBJECT) == 1


def test_an_objection_after_the_end_of_the_period_is_refused_and_changes_nothing() -> None:
    c = chain()
    notice, (app,) = published(c)

    with clock.travel(notice.ends_at + dt.timedelta(seconds=1)), pytest.raises(WindowClosed) as refused:
        objection(notice, app)

    assert refused.value.code == "notice_ended"
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE
    assert not Objection.objects.exists()


def test_an_objection_to_a_row_of_another_notice_is_not_found() -> None:
    c = chain()
    notice, _apps = published(c)
    _other_notice, (elsewhere,) = published(c)

    with pytest.raises(NotFound):
        objection(notice, elsewhere)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"anonymous": False, "name": "  "}, "name"),
        ({"contact": "12345"}, "contact"),
        ({"contact": "not-an-email@"}, "contact"),
        ({"content": "不对"}, "content"),
    ],
)
def test_objection_input_is_checked(changes: dict[str, Any], field: str) -> None:
    c = chain()
    notice, (app,) = published(c)

    with pytest.raises(ValidationFailed) as refused:
        objection(notice, app, **changes)

    assert field in refused.value.field_errors
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE


@pytest.mark.parametrize("contact", ["13800138000", "0551-12345678", "055112345678", "A.B@Example.com"])
def test_phones_and_email_addresses_are_accepted_as_contact(contact: str) -> None:
    assert notices.normalise_contact(f" {contact} ") == contact.replace(" ", "").lower()


def test_mask_contact_hides_the_middle_of_a_phone_and_the_local_part_of_an_address() -> None:
    assert notices.mask_contact("13800138000") == "138****8000"
    assert notices.mask_contact("zhang@example.com") == "z***@example.com"


@override_settings(OBJECTION_IP_RATE_LIMIT=(2, 3600))
def test_objections_are_rate_limited_per_address() -> None:
    c = chain()
    notice, apps = published(c, 3)
    objection(notice, apps[0])
    objection(notice, apps[1])

    with pytest.raises(RateLimited):
        objection(notice, apps[2])

    assert Application.objects.get(pk=apps[2].pk).status == Status.NOTICE
    objection(notice, apps[2], ip="198.51.100.1")  # another address is not affected


@override_settings(OBJECTION_APPLICATION_RATE_LIMIT=(2, 86400))
def test_objections_are_rate_limited_per_application_across_addresses() -> None:
    c = chain()
    notice, (app, other) = published(c, 2)
    objection(notice, app, ip="198.51.100.1")
    objection(notice, app, ip="198.51.100.2")

    with pytest.raises(RateLimited):
        objection(notice, app, ip="198.51.100.3")

    assert Objection.objects.filter(application=app).count() == 2
    objection(notice, other, ip="198.51.100.3")


# --- Resolution --------------------------------------------------------------------------


def test_a_dismissed_objection_puts_the_application_back_on_notice_and_closes_its_siblings() -> None:
    c = chain()
    notice, (app,) = published(c)
    first = objection(notice, app)
    second = objection(notice, app, ip="203.0.113.9")
    app.refresh_from_db()

    resolved = notices.objection_resolve(
        actor=c.registration_reviewer,
        objection_id=first.pk,
        upheld=False,
        resolution="经核查，年度考核结果齐全，异议不成立。",
        version=app.version,
    )

    app.refresh_from_db()
    assert app.status == Status.NOTICE
    assert app.notice_id == notice.pk
    assert resolved.state == Objection.State.DISMISSED
    assert resolved.resolved_by == c.registration_reviewer
    assert Objection.objects.get(pk=second.pk).state == Objection.State.DISMISSED
    assert steps(app, Action.DISMISS_OBJECTION) == 1
    event = AuditEvent.objects.get(kind=AuditKind.OBJECTION_RESOLVED, object_id=str(first.pk))
    assert event.details == {
        "application": app.pk,
        "notice": notice.pk,
        "upheld": False,
        "conclusion": "",
        "also_closed": 1,
    }


def test_an_upheld_objection_revises_the_conclusion_and_the_application_is_noticed_again() -> None:
    c = chain()
    notice, (app,) = published(c)
    filed = objection(notice, app)
    app.refresh_from_db()

    notices.objection_resolve(
        actor=c.registration_reviewer,
        objection_id=filed.pk,
        upheld=True,
        resolution="经核查，2021年度考核不合格，改为暂缓注册。",
        conclusion="deferred",
        version=app.version,
    )

    app.refresh_from_db()
    assert app.status == Status.CONCLUDED
    assert app.conclusion == "deferred"
    assert Objection.objects.get(pk=filed.pk).state == Objection.State.UPHELD

    again = notices.notice_publish(actor=c.registration_reviewer, application_ids=[app.pk])
    app.refresh_from_db()
    assert app.status == Status.NOTICE
    assert app.notice_id == again.pk
    assert again.entries[0]["conclusion_label"] == "暂缓注册"
    # The first notice's published list is never rewritten.
    assert Notice.objects.get(pk=notice.pk).entries[0]["conclusion"] == "qualified"
    with pytest.raises(Conflict) as refused:
        objection(notice, app)
    assert refused.value.code == "not_in_notice"


def test_upholding_needs_a_changed_conclusion_and_a_resolution() -> None:
    c = chain()
    notice, (app,) = published(c)
    filed = objection(notice, app)
    app.refresh_from_db()

    for kwargs, code in [
        ({"conclusion": "qualified", "resolution": "维持"}, "conclusion_unchanged"),
        ({"conclusion": "", "resolution": "维持"}, "conclusion_required"),
        ({"conclusion": "deferred", "resolution": "  "}, "reason_required"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            notices.objection_resolve(
                actor=c.registration_reviewer,
                objection_id=filed.pk,
                upheld=True,
                version=app.version,
                **kwargs,
            )
        assert refused.value.code == code
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE_PAUSED
    assert Objection.objects.get(pk=filed.pk).state == Objection.State.OPEN


def test_resolving_twice_or_from_a_stale_page_is_a_conflict() -> None:
    c = chain()
    notice, (app,) = published(c)
    filed = objection(notice, app)
    app.refresh_from_db()

    with pytest.raises(Conflict) as stale:
        notices.objection_resolve(
            actor=c.registration_reviewer,
            objection_id=filed.pk,
            upheld=False,
            resolution="不成立",
            version=app.version - 1,
        )
    assert stale.value.code == "stale_version"
    assert Objection.objects.get(pk=filed.pk).state == Objection.State.OPEN

    notices.objection_resolve(
        actor=c.registration_reviewer,
        objection_id=filed.pk,
        upheld=False,
        resolution="不成立",
        version=app.version,
    )
    with pytest.raises(Conflict) as twice:
        notices.objection_resolve(
            actor=c.registration_reviewer,
            objection_id=filed.pk,
            upheld=False,
            resolution="不成立",
            version=app.version + 1,
        )
    assert twice.value.code == "already_resolved"


def test_another_authoritys_reviewer_cannot_see_or_resolve_the_objection() -> None:
    c, other = chain(), chain("susong")
    notice, (app,) = published(c)
    filed = objection(notice, app)
    app.refresh_from_db()

    with pytest.raises(NotFound):
        notices.objection_resolve(
            actor=other.registration_reviewer,
            objection_id=filed.pk,
            upheld=False,
            resolution="不成立",
            version=app.version,
        )
    assert not notices.objection_list_visible_to(user=other.registration_reviewer).exists()
    assert list(notices.objection_list_visible_to(user=c.registration_reviewer)) == [filed]


def test_revealing_the_contact_is_audited_as_an_unmasked_view() -> None:
    c = chain()
    notice, (app,) = published(c)
    filed = objection(notice, app)

    assert notices.objection_contact_reveal(actor=c.registration_reviewer, objection=filed) == "13800138000"
    event = AuditEvent.objects.get(kind=AuditKind.UNMASKED_VIEW, object_id=str(filed.pk))
    assert event.actor_id == c.registration_reviewer.pk
    assert "13800138000" not in json.dumps(event.details)


# --- Notice end ----------------------------------------------------------------------------


def run_jobs() -> str:
    out = StringIO()
    call_command("run_due_jobs", "--job", "registration.notice_close_expired", stdout=out)
    return out.getvalue()


def test_at_the_end_unobjected_applications_move_on_and_objected_ones_wait() -> None:
    c = chain()
    notice, (quiet, objected) = published(c, 2)
    objection(notice, objected)

    with clock.travel(notice.ends_at - dt.timedelta(minutes=1)):
        assert notices.notice_close_expired() == 0
    assert Application.objects.get(pk=quiet.pk).status == Status.NOTICE

    with clock.travel(notice.ends_at + dt.timedelta(minutes=1)):
        output = run_jobs()

    assert "registration.notice_close_expired：完成，处理 1 项" in output
    assert Application.objects.get(pk=quiet.pk).status == Status.CITY_RECHECK
    assert Application.objects.get(pk=objected.pk).status == Status.NOTICE_PAUSED
    notice.refresh_from_db()
    assert notice.state == Notice.State.CLOSED
    assert notice.closed_at is not None
    step = ApplicationStep.objects.get(application=quiet, action=Action.NOTICE_END)
    assert step.actor_id is None
    closed = AuditEvent.objects.get(kind=AuditKind.NOTICE_CLOSED, object_id=str(notice.pk))
    assert closed.details == {"paused": 1}
    assert (
        AuditEvent.objects.filter(kind=AuditKind.APPLICATION_NOTICE_ENDED, object_id=str(quiet.pk)).count()
        == 1
    )


def test_running_the_job_twice_changes_nothing_the_second_time() -> None:
    c = chain()
    notice, apps = published(c, 3)
    after = notice.ends_at + dt.timedelta(minutes=1)
    with clock.travel(after):
        run_jobs()
    snapshot = (
        list(Application.objects.order_by("pk").values_list("pk", "status", "version")),
        ApplicationStep.objects.count(),
        AuditEvent.objects.count(),
        Notice.objects.get(pk=notice.pk).closed_at,
    )

    with clock.travel(after + dt.timedelta(minutes=15)):
        output = run_jobs()

    assert "处理 0 项" in output
    assert snapshot == (
        list(Application.objects.order_by("pk").values_list("pk", "status", "version")),
        ApplicationStep.objects.count(),
        AuditEvent.objects.count(),
        Notice.objects.get(pk=notice.pk).closed_at,
    )
    assert {a.status for a in Application.objects.filter(pk__in=[a.pk for a in apps])} == {
        Status.CITY_RECHECK
    }


def test_an_objection_dismissed_after_the_end_moves_on_at_the_next_run() -> None:
    c = chain()
    notice, (app,) = published(c)
    filed = objection(notice, app)
    after = notice.ends_at + dt.timedelta(hours=1)
    with clock.travel(after):
        run_jobs()
        assert Application.objects.get(pk=app.pk).status == Status.NOTICE_PAUSED
        notices.objection_resolve(
            actor=c.registration_reviewer,
            objection_id=filed.pk,
            upheld=False,
            resolution="异议不成立。",
            version=Application.objects.get(pk=app.pk).version,
        )
        assert Application.objects.get(pk=app.pk).status == Status.NOTICE

        run_jobs()

    assert Application.objects.get(pk=app.pk).status == Status.CITY_RECHECK


def test_a_susong_application_goes_straight_to_the_province() -> None:
    c = chain("susong")
    assert c.city is None
    notice, (app,) = published(c)

    with clock.travel(notice.ends_at + dt.timedelta(minutes=1)):
        moved = notices.notice_close_expired()

    assert moved == 1
    assert Application.objects.get(pk=app.pk).status == Status.PROVINCE_REVIEW


def test_an_application_driven_through_the_services_ends_its_notice_too() -> None:
    c = chain()
    app = drive(c, to=Status.CONCLUDED)
    notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[app.pk])

    with clock.travel(notice.ends_at):
        notices.notice_close_expired()

    assert Application.objects.get(pk=app.pk).status == Status.CITY_RECHECK


# --- Public selectors ----------------------------------------------------------------------


def test_the_public_sees_open_and_recently_ended_notices_by_region() -> None:
    luyang, susong = chain(), chain("susong")
    ours, _apps = published(luyang)
    theirs, _apps = published(susong)

    assert set(notices.notice_list_public()) == {ours, theirs}
    assert list(notices.notice_list_public(city="340100")) == [ours]
    assert list(notices.notice_list_public(county="340826")) == [theirs]
    # A 省直管县 is listed under the city it lies in: that is where the public looks.
    assert list(notices.notice_list_public(city="340800")) == [theirs]
    assert list(notices.notice_list_public(city="340200")) == []

    later = ours.ends_at + dt.timedelta(days=notices.NOTICE_PUBLIC_DAYS_AFTER_END, minutes=1)
    assert ours not in notices.notice_list_public(now=later)
    with pytest.raises(NotFound):
        notices.notice_get_public(pk=ours.pk, now=later)


def test_the_reviewer_sees_open_objections_before_resolved_ones() -> None:
    c = chain()
    notice, (first, second) = published(c, 2)
    older = objection(notice, first)
    with clock.travel(OPEN + dt.timedelta(hours=1)):
        newer = objection(notice, second)
        notices.objection_resolve(
            actor=c.registration_reviewer,
            objection_id=newer.pk,
            upheld=False,
            resolution="不成立。",
            version=Application.objects.get(pk=second.pk).version,
        )

    assert list(notices.objection_list_visible_to(user=c.registration_reviewer)) == [older, newer]
    assert list(notices.objection_list_visible_to(user=c.registration_reviewer, state="dismissed")) == [newer]
