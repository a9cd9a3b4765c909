"""Home and the teacher link: nothing of the teacher record before the certificate
number is confirmed; then the certificates, whether and why they are due, the windows,
the applications and the inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.tests.factories import make_applicant
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import ValidationFailed
from jiaozi.core.idcard import make
from jiaozi.notifications.services import notify
from jiaozi.registration.tests.factories import certificate, training
from jiaozi.registration.tests.factories_applications import (
    Chain,
    another_applicant,
    application,
    due_teacher,
)
from jiaozi.registration.workflow import Status

from ..models import TeacherLink
from ..services import teacher_link

pytestmark = pytest.mark.django_db

HOME = "/me/"
LINK = "/me/link/"


def test_the_url_names_are_the_contract_ones() -> None:
    assert reverse("applicants:home") == HOME


def test_anonymous_visitors_are_sent_to_the_applicant_sign_in(client: Client) -> None:
    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('applicants:login')}?next=%2Fme%2F"


def test_without_a_teacher_record_the_home_page_says_so(client: Client, as_applicant: Any) -> None:
    as_applicant(make_applicant(resident_id=make("11010119900101001"), real_name="王五"))

    response = client.get(HOME)

    assert response.status_code == 200
    assert 'data-state="no-teacher"' in response.text
    assert "联系学校" in response.text


def test_before_the_link_nothing_of_the_record_is_shown(client: Client, c: Chain, as_applicant: Any) -> None:
    as_applicant(c.applicant)

    response = client.get(HOME)

    assert 'data-state="not-linked"' in response.text
    assert c.certificate.number not in response.text
    assert c.school.name not in response.text
    assert reverse("applicants:link") in response.text


def test_linked_home_shows_certificates_due_suggestion_windows_and_the_start_button(
    applicant_client: Client, c: Chain
) -> None:
    response = applicant_client.get(HOME)

    assert response.status_code == 200
    text = response.text
    assert c.certificate.number in text
    assert c.school.name in text
    assert 'data-due="periodic"' in text
    assert "定期注册" in text
    assert "注册合格" in text  # the suggestion
    assert "注册有效期已届满或将于60天内届满" in text  # the due reason, in Chinese
    assert 'data-window="apply"' in text
    assert "进行中" in text
    assert f"{reverse('applicants:application_start')}?certificate={c.certificate.pk}" in text
    assert "no-store" in response["Cache-Control"]
    # The page never links into the staff entrance, and carries no ID or phone.
    assert settings.STAFF_URL_PREFIX not in text
    assert str(c.applicant.resident_id) not in text
    assert str(c.applicant.phone) not in text


def test_a_deferred_suggestion_shows_its_reasons(client: Client, c: Chain, as_applicant: Any) -> None:
    owner, cert = due_teacher(c.school)
    training(owner, [(dt.date(2022, 1, 1), -300)])  # 60 hours left in the cycle
    applicant = make_applicant(resident_id=owner.resident_id, real_name=owner.name)
    TeacherLink.objects.create(
        user=applicant, teacher=owner, certificate=cert, linked_at=c.campaign.apply_opens_at
    )
    as_applicant(applicant)

    response = client.get(HOME)

    assert "暂缓注册" in response.text
    assert "注册周期内培训学时不足" in response.text


def test_a_certificate_not_yet_due_has_no_start_button(client: Client, c: Chain, as_applicant: Any) -> None:
    owner, _cert = due_teacher(c.school)
    current = certificate(owner, last_conclusion="qualified", valid_to=dt.date(2027, 6, 30))
    owner.certificates.exclude(pk=current.pk).delete()
    applicant = make_applicant(resident_id=owner.resident_id, real_name=owner.name)
    TeacherLink.objects.create(
        user=applicant, teacher=owner, certificate=current, linked_at=c.campaign.apply_opens_at
    )
    as_applicant(applicant)

    response = client.get(HOME)

    assert 'data-due="not_yet_due"' in response.text
    assert "注册有效期尚未届满" in response.text
    assert "?certificate=" not in response.text


def test_an_active_application_replaces_the_start_button(applicant_client: Client, c: Chain) -> None:
    app = application(c, status=Status.SCHOOL_REVIEW)

    response = applicant_client.get(HOME)

    assert reverse("applicants:application_detail", args=[app.pk]) in response.text
    assert "待学校审查" in response.text
    assert f"certificate={c.certificate.pk}" not in response.text


def test_the_unread_count_and_recent_messages_show(applicant_client: Client, c: Chain) -> None:
    notify(
        user=c.applicant, kind="registration.test", title="申请已退回", body="请补充材料", channels=["inbox"]
    )

    response = applicant_client.get(HOME)

    assert 'data-unread="1"' in response.text
    assert "申请已退回" in response.text
    assert reverse("applicants:inbox") in response.text


def test_other_applicants_applications_are_not_listed(applicant_client: Client, c: Chain) -> None:
    other, cert = another_applicant(c)
    theirs = application(c, applicant=other, certificate_=cert)

    response = applicant_client.get(HOME)

    assert f'data-application="{theirs.pk}"' not in response.text
    assert cert.number not in response.text


# --- The link ---------------------------------------------------------------------------------------


def test_the_right_certificate_number_links_the_record(client: Client, c: Chain, as_applicant: Any) -> None:
    as_applicant(c.applicant)

    response = client.post(LINK, {"number": f" {c.certificate.number} "})

    assert response.status_code == 302
    link = TeacherLink.objects.get(user=c.applicant)
    assert link.teacher == c.teacher
    assert link.certificate == c.certificate
    event = AuditEvent.objects.get(kind=AuditKind.APPLICANT_LINKED, outcome="success")
    assert event.actor_id == c.applicant.pk
    assert client.get(HOME).text.count(c.certificate.number) >= 1


def test_another_teachers_certificate_number_is_a_mismatch_that_reveals_nothing(
    client: Client, c: Chain, as_applicant: Any
) -> None:
    _other, theirs = another_applicant(c)
    as_applicant(c.applicant)

    response = client.post(LINK, {"number": theirs.number})

    assert response.status_code == 200
    assert "证书编号与您的身份信息不匹配" in response.text
    assert theirs.teacher.name not in response.text
    assert not TeacherLink.objects.exists()
    failure = AuditEvent.objects.get(kind=AuditKind.APPLICANT_LINKED, outcome="failure")
    assert failure.details == {"reason": "number_mismatch"}


def test_an_unknown_number_and_no_teacher_record_answer_the_same(
    client: Client, c: Chain, as_applicant: Any
) -> None:
    as_applicant(c.applicant)
    unknown = client.post(LINK, {"number": "20153400131999999"})
    stranger = make_applicant(resident_id=make("11010119900101001"))
    with pytest.raises(ValidationFailed) as no_teacher:
        teacher_link(user=stranger, certificate_number=c.certificate.number)

    assert unknown.status_code == 200
    assert no_teacher.value.message in unknown.text
    assert no_teacher.value.code == "link_mismatch"
    assert not TeacherLink.objects.exists()


@pytest.mark.parametrize("number", ["2015340013", "abcdefghijklmnopq", "２０１５３４００１３１０００００１"])
def test_a_malformed_number_is_refused(client: Client, c: Chain, as_applicant: Any, number: str) -> None:
    as_applicant(c.applicant)

    response = client.post(LINK, {"number": number})

    assert response.status_code == 200
    assert "17位数字" in response.text


def test_link_attempts_are_rate_limited(client: Client, c: Chain, as_applicant: Any) -> None:
    as_applicant(c.applicant)
    for _n in range(10):
        client.post(LINK, {"number": "20153400131999999"})

    response = client.post(LINK, {"number": c.certificate.number})

    assert response.status_code == 429
    assert not TeacherLink.objects.exists()


def test_a_linked_applicant_is_sent_home_from_the_link_page(applicant_client: Client) -> None:
    assert applicant_client.get(LINK)["Location"] == HOME
