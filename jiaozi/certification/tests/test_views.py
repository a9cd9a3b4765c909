"""The pages: apply in the window (type, authority routed by §6, a point of it, photo
checked), submit; the confirmation user's compare-and-decide screen; the officer's
physical exam, decision, batch decision and overdue list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.testing import sign_in
from jiaozi.certification.choices import Health
from jiaozi.certification.models import CertificationApplication
from jiaozi.certification.workflow import Status
from jiaozi.core import clock
from jiaozi.orgs.tests.factories import LUYANG, bureau

from .factories import (
    AFTER_CONFIRM,
    BEFORE_APPLY,
    IN_APPLY,
    IN_CONFIRM,
    applicant,
    certifier,
    confirmer,
    draft,
    drive,
    photo_upload,
    point,
)

pytestmark = pytest.mark.django_db


def form(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "qualification_type": "2",
        "subject": "语文",
        "authority": bureau(LUYANG).pk,
        "confirmation_point": point().pk,
        "education": "bachelor",
        "mandarin": "2a",
        "ntce_type": "2",
        "ntce_number": "NTCE2023000001",
        "ntce_date": "2023-06-01",
        "commitment": "on",
        "photo": photo_upload(),
    }
    values.update(changes)
    return values


def test_apply_save_and_submit_in_the_window(client: Client, media_root: Path) -> None:
    user = applicant()
    point()
    client.force_login(user)
    with clock.travel(IN_APPLY):
        page = client.get(reverse("certification_applicant:apply"), {"type": "2"})
        assert page.status_code == 200
        assert "庐阳区确认点" in page.content.decode()
        response = client.post(reverse("certification_applicant:apply") + "?type=2", form())
        assert response.status_code == 302, response.content.decode()[:2000]
        app = CertificationApplication.objects.get(applicant=user)
        assert app.photo
        assert app.status == Status.DRAFT
        client.post(
            reverse("certification_applicant:act", args=[app.pk]),
            {"action": "submit", "version": app.version},
        )
    app.refresh_from_db()
    assert app.status == Status.CONFIRMATION
    assert app.check_reasons == []


def test_apply_is_refused_outside_the_window(client: Client) -> None:
    client.force_login(applicant())
    with clock.travel(BEFORE_APPLY):
        response = client.get(reverse("certification_applicant:apply"), {"type": "2"})
    assert response.status_code == 409
    assert "网上申报时间为2024年9月14日至2024年9月25日17时" in response.content.decode()


def test_the_authority_is_routed_by_type_and_a_bad_photo_is_refused(client: Client, media_root: Path) -> None:
    client.force_login(applicant())
    with clock.travel(IN_APPLY):
        # A senior-school qualification is certified by a city, not by 庐阳区.
        page = client.post(
            reverse("certification_applicant:apply") + "?type=4",
            form(qualification_type="4", ntce_type="4"),
        )
        assert page.status_code == 200
        assert "请选择" in page.content.decode()
        small = client.post(
            reverse("certification_applicant:apply") + "?type=2", form(photo=photo_upload((200, 280)))
        )
        assert "照片尺寸须在295×413至1000×1400像素之间" in small.content.decode()
    assert not CertificationApplication.objects.exists()


def test_one_application_per_person_per_year(client: Client, media_root: Path) -> None:
    user = applicant()
    draft(user)
    client.force_login(user)
    with clock.travel(IN_APPLY):
        page = client.post(reverse("certification_applicant:apply") + "?type=2", form())
    assert "每人每个自然年度只能申请一次" in page.content.decode()
    assert CertificationApplication.objects.filter(applicant=user).count() == 1


def test_the_confirmation_user_compares_and_refuses_with_a_coded_reason(client: Client) -> None:
    app = drive(draft(), to=Status.CONFIRMATION)
    sign_in(client, confirmer(app.confirmation_point))
    url = reverse("certification:confirm_detail", args=[app.pk])
    with clock.travel(IN_CONFIRM):
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert "网上信息符合认定条件" in body
        assert 'data-checked-in="no"' in body
        client.post(url, {"version": app.version, "decision": "refuse", "reason_code": "materials_missing"})
    app.refresh_from_db()
    assert (app.status, app.confirm_reason_code) == (Status.CONFIRM_REFUSED, "materials_missing")


def test_the_officer_records_the_exam_and_certifies(client: Client) -> None:
    app = drive(draft(), to=Status.DECISION)
    sign_in(client, certifier(app.authority))
    with clock.travel(AFTER_CONFIRM):
        assert client.get(reverse("certification:queue")).status_code == 200
        client.post(reverse("certification:health", args=[app.pk]), {"version": app.version, "health": "fit"})
        app.refresh_from_db()
        assert app.health == Health.FIT
        client.post(
            reverse("certification:decide", args=[app.pk]),
            {"version": app.version, "conclusion": "certified"},
        )
    app.refresh_from_db()
    assert app.status == Status.CERTIFIED
    assert len(app.certificate_number) == 17


def test_batch_decision_and_the_overdue_list(client: Client) -> None:
    apps = [drive(draft(), to=Status.DECISION) for _ in range(2)]
    CertificationApplication.objects.filter(pk__in=[a.pk for a in apps]).update(health=Health.FIT)
    sign_in(client, certifier())
    items = [f"{a.pk}:{CertificationApplication.objects.get(pk=a.pk).version}" for a in apps]
    late = drive(draft(), to=Status.DECISION)
    with clock.travel(dt.datetime(2024, 12, 2, 10, tzinfo=AFTER_CONFIRM.tzinfo)):
        overdue = client.get(reverse("certification:overdue")).content.decode()
        assert late.reference in overdue
        client.post(reverse("certification:batch_decide"), {"conclusion": "certified", "item": items})
    assert set(
        CertificationApplication.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)
    ) == {Status.CERTIFIED}
