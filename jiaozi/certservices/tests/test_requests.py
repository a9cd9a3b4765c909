"""Correction, reissue and replacement requests (issue 11 item 2): the submission's
rules, every transition of the table, the registry's change with the number kept, the
new paper with its remark, deadlines and reminders."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import Certificate, CertificateEvent, CertificateStatus, VerificationToken
from jiaozi.core import clock, workdays
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.notifications.models import Notification
from jiaozi.orgs.models import Institution

from .. import deadlines, services
from ..jobs import request_reminders_send
from ..models import RequestStep, ServiceRequest, ServiceSetting
from ..selectors import request_counts
from ..workflow import REQUEST_TABLE, RequestAction, RequestKind, RequestStatus
from .factories import holder_with_certificate, png_upload, request_of

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _media(media_root: Path) -> None:
    return None


@pytest.fixture
def holder(luyang: Institution) -> tuple[User, Certificate]:
    return holder_with_certificate(luyang)


# --- submission -------------------------------------------------------------------------


def test_reissue_request_goes_to_the_issuing_authority_with_a_deadline(
    luyang: Institution, ly_certifier: User
) -> None:
    user, certificate = holder_with_certificate(luyang)
    with clock.travel(NOW):
        row = request_of(user, certificate)
    assert row.status == RequestStatus.SUBMITTED
    assert row.authority == luyang
    assert row.due_on == workdays.add_working_days(dt.date(2026, 12, 1), 20)
    assert row.materials.count() == 1
    assert (
        AuditEvent.objects.filter(kind=AuditKind.CERTSVC_REQUEST_SUBMITTED, object_id=str(row.pk)).count()
        == 1
    )
    assert Notification.objects.filter(recipient=ly_certifier, kind="certsvc.submitted").count() == 1


def test_the_deadline_follows_the_province_setting(
    luyang: Institution, province: Institution, prov_admin: User
) -> None:
    services.service_setting_update(actor=prov_admin, processing_days=10, reminder_days=3)
    user, certificate = holder_with_certificate(luyang)
    with clock.travel(NOW):
        row = request_of(user, certificate)
    assert row.due_on == workdays.add_working_days(dt.date(2026, 12, 1), 10)
    assert AuditEvent.objects.filter(kind=AuditKind.CERTSVC_SETTINGS_UPDATED).count() == 1


def test_only_the_province_admin_sets_the_deadline(ly_certifier: User, prov_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.service_setting_update(actor=ly_certifier, processing_days=10, reminder_days=3)
    with pytest.raises(ValidationFailed) as error:
        services.service_setting_update(actor=prov_admin, processing_days=0, reminder_days=3)
    assert "processing_days" in error.value.field_errors
    with pytest.raises(ValidationFailed):
        services.service_setting_update(actor=prov_admin, processing_days=5, reminder_days=5)
    assert not ServiceSetting.objects.exists()


def test_reissue_needs_the_loss_notice(holder: tuple[User, Certificate]) -> None:
    user, certificate = holder
    with pytest.raises(ValidationFailed) as error:
        request_of(user, certificate, loss_notice_medium="")
    assert error.value.code == "loss_notice_required"
    with pytest.raises(ValidationFailed) as error:
        request_of(user, certificate, files=[])
    assert error.value.code == "material_required"
    with pytest.raises(ValidationFailed):
        request_of(user, certificate, loss_notice_date=clock.today() + dt.timedelta(days=1))
    assert not ServiceRequest.objects.exists()


def test_correction_needs_a_change_and_evidence(holder: tuple[User, Certificate]) -> None:
    user, certificate = holder
    with pytest.raises(ValidationFailed) as error:
        request_of(user, certificate, RequestKind.CORRECTION, corrections={"subject": "数学"})  # unchanged
    assert error.value.code == "nothing_to_correct"
    with pytest.raises(ValidationFailed) as error:
        request_of(user, certificate, RequestKind.CORRECTION, files=[("loss_notice", png_upload())])
    assert error.value.code == "material_required"


def test_a_renamed_file_is_refused(holder: tuple[User, Certificate]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    user, certificate = holder
    fake = SimpleUploadedFile("notice.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(ValidationFailed) as error:
        request_of(user, certificate, files=[("loss_notice", fake)])
    assert error.value.code == "file_refused"
    assert not ServiceRequest.objects.exists()


def test_one_open_request_per_kind(holder: tuple[User, Certificate]) -> None:
    user, certificate = holder
    request_of(user, certificate)
    with pytest.raises(Conflict) as error:
        request_of(user, certificate)
    assert error.value.code == "duplicate_request"
    request_of(user, certificate, RequestKind.REPLACEMENT)  # another kind is fine


def test_only_the_holder_may_ask(luyang: Institution, ly_certifier: User) -> None:
    _user, certificate = holder_with_certificate(luyang)
    other, _theirs = holder_with_certificate(luyang)
    with pytest.raises(NotFound):
        request_of(other, certificate)
    with pytest.raises(PermissionDenied):
        request_of(ly_certifier, certificate)


def test_revoked_certificate_cannot_be_reissued(luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang, status=CertificateStatus.REVOKED)
    with pytest.raises(Conflict):
        request_of(user, certificate)


def test_certificate_from_outside_the_province_is_refused(luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    type(certificate).objects.filter(pk=certificate.pk).update(number="2015" + "32" + certificate.number[6:])
    with pytest.raises(Conflict) as error:
        request_of(user, certificate)
    assert error.value.code == "authority_outside_province"


# --- the table ----------------------------------------------------------------------------


def test_the_table_has_every_action_from_the_expected_states() -> None:
    assert REQUEST_TABLE.get(RequestStatus.SUBMITTED, RequestAction.APPROVE) is not None
    assert REQUEST_TABLE.get(RequestStatus.RETURNED, RequestAction.APPROVE) is None
    assert REQUEST_TABLE.get(RequestStatus.APPROVED, RequestAction.WITHDRAW) is None
    assert REQUEST_TABLE.transition_for(RequestStatus.SUBMITTED, RequestAction.REJECT).needs_reason


LEGAL = [
    (RequestStatus.SUBMITTED, RequestAction.WITHDRAW, "holder", RequestStatus.WITHDRAWN),
    (RequestStatus.RETURNED, RequestAction.WITHDRAW, "holder", RequestStatus.WITHDRAWN),
    (RequestStatus.RETURNED, RequestAction.SUBMIT, "holder", RequestStatus.SUBMITTED),
    (RequestStatus.SUBMITTED, RequestAction.RETURN, "officer", RequestStatus.RETURNED),
    (RequestStatus.SUBMITTED, RequestAction.REJECT, "officer", RequestStatus.REJECTED),
    (RequestStatus.SUBMITTED, RequestAction.APPROVE, "officer", RequestStatus.APPROVED),
]


@pytest.mark.parametrize(("source", "action", "who", "target"), LEGAL)
def test_every_legal_transition_moves_once_with_a_step_and_an_audit_row(
    luyang: Institution, ly_certifier: User, source: str, action: str, who: str, target: str
) -> None:
    user, certificate = holder_with_certificate(luyang)
    row = request_of(user, certificate)
    ServiceRequest.objects.filter(pk=row.pk).update(status=source)
    actor = user if who == "holder" else ly_certifier
    audits = AuditEvent.objects.count()
    moved = services.request_transition(
        actor=actor, request_id=row.pk, action=action, version=row.version, reason="材料不清晰，请补正。"
    )
    assert moved.status == target
    assert moved.version == row.version + 1
    assert RequestStep.objects.filter(request=row, action=action).count() == 1
    # One audit row of the transition (an approval adds the registry's and the paper's).
    kinds = list(AuditEvent.objects.order_by("pk").values_list("kind", flat=True)[audits:])
    assert kinds[0] in {k.value for k in AuditKind if k.name.startswith("CERTSVC_REQUEST")}


ILLEGAL = [
    (status, action)
    for status in RequestStatus.values
    for action in RequestAction.values
    if REQUEST_TABLE.get(status, action) is None
]


@pytest.mark.parametrize(("source", "action"), ILLEGAL)
def test_every_illegal_pair_is_wrong_stage_and_changes_nothing(
    luyang: Institution, ly_certifier: User, source: str, action: str
) -> None:
    user, certificate = holder_with_certificate(luyang)
    row = request_of(user, certificate)
    ServiceRequest.objects.filter(pk=row.pk).update(status=source)
    actor = user if action in (RequestAction.SUBMIT, RequestAction.WITHDRAW) else ly_certifier
    with pytest.raises((Conflict, PermissionDenied)):
        services.request_transition(
            actor=actor, request_id=row.pk, action=action, version=row.version, reason="x"
        )
    assert ServiceRequest.objects.get(pk=row.pk).status == source


def test_officers_of_other_authorities_cannot_decide(
    luyang: Institution, yh_certifier: User, hf_certifier: User
) -> None:
    user, certificate = holder_with_certificate(luyang)
    row = request_of(user, certificate)
    with pytest.raises(NotFound):  # out of jurisdiction: as if missing
        services.request_transition(actor=yh_certifier, request_id=row.pk, action="approve", version=1)
    with pytest.raises(PermissionDenied):  # the city sees it but does not decide it
        services.request_transition(actor=hf_certifier, request_id=row.pk, action="approve", version=1)


def test_return_and_reject_need_a_reason(holder: tuple[User, Certificate], ly_certifier: User) -> None:
    user, certificate = holder
    row = request_of(user, certificate)
    for action in ("return", "reject"):
        with pytest.raises(ValidationFailed) as error:
            services.request_transition(
                actor=ly_certifier, request_id=row.pk, action=action, version=1, reason=" "
            )
        assert error.value.code == "reason_required"


def test_stale_version_is_refused(holder: tuple[User, Certificate], ly_certifier: User) -> None:
    user, certificate = holder
    row = request_of(user, certificate)
    with pytest.raises(Conflict) as error:
        services.request_transition(actor=ly_certifier, request_id=row.pk, action="approve", version=7)
    assert error.value.code == "stale_version"


def test_resubmission_starts_the_deadline_again(holder: tuple[User, Certificate], ly_certifier: User) -> None:
    user, certificate = holder
    with clock.travel(NOW):
        row = request_of(user, certificate)
        row = services.request_transition(
            actor=ly_certifier, request_id=row.pk, action="return", version=1, reason="声明版面不清晰。"
        )
    later = NOW + dt.timedelta(days=14)
    with clock.travel(later):
        services.request_material_add(
            applicant=user, request_id=row.pk, kind="loss_notice", file=png_upload()
        )
        row = services.request_transition(actor=user, request_id=row.pk, action="submit", version=row.version)
    assert row.status == RequestStatus.SUBMITTED
    assert row.due_on == workdays.add_working_days(later.date(), 20)


# --- approval: the registry, the number, the paper ------------------------------------------


def _pdf_text(data: bytes) -> str:
    """pdftotext (poppler-utils) of the document, whitespace removed."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.sub(r"\s+", "", out)


def test_reissue_keeps_the_number_and_prints_the_remark(
    holder: tuple[User, Certificate], ly_certifier: User
) -> None:
    user, certificate = holder
    number = certificate.number
    with clock.travel(NOW):
        row = request_of(user, certificate)
        row = services.request_transition(actor=ly_certifier, request_id=row.pk, action="approve", version=1)
    certificate.refresh_from_db()
    assert certificate.number == number
    event = CertificateEvent.objects.get(certificate=certificate, kind=CertificateEvent.Kind.REISSUED)
    assert event.source_type == "certservices.servicerequest"
    assert event.source_id == row.pk
    assert "补发" in event.changes["remark"][1]
    assert (
        AuditEvent.objects.filter(kind=AuditKind.CERTIFICATE_REISSUED, object_id=str(certificate.pk)).count()
        == 1
    )
    text = _pdf_text(row.paper.read())
    assert number in text
    assert "备" in text
    assert "补发" in text
    assert "2026年12月1日" in text
    assert row.paper_token is not None
    assert not row.paper_token.revoked


def test_a_second_reissue_revokes_the_first_papers_qr(
    holder: tuple[User, Certificate], ly_certifier: User
) -> None:
    user, certificate = holder
    first = request_of(user, certificate)
    first = services.request_transition(actor=ly_certifier, request_id=first.pk, action="approve", version=1)
    second = request_of(user, certificate)
    second = services.request_transition(
        actor=ly_certifier, request_id=second.pk, action="approve", version=1
    )
    assert first.paper_token is not None
    assert second.paper_token is not None
    assert VerificationToken.objects.get(pk=first.paper_token.pk).revoked
    assert not VerificationToken.objects.get(pk=second.paper_token.pk).revoked
    text = _pdf_text(second.paper.read())
    assert text.count("补发") >= 2  # both reissues on the remarks page


def test_correction_changes_subject_and_name_with_one_event(
    holder: tuple[User, Certificate], ly_certifier: User
) -> None:
    user, certificate = holder
    row = request_of(
        user, certificate, RequestKind.CORRECTION, corrections={"subject": "语文", "name": "张三丰"}
    )
    services.request_transition(actor=ly_certifier, request_id=row.pk, action="approve", version=1)
    certificate.refresh_from_db()
    certificate.teacher.refresh_from_db()
    assert certificate.subject == "语文"
    assert certificate.teacher.name == "张三丰"
    event = CertificateEvent.objects.get(certificate=certificate, kind=CertificateEvent.Kind.CORRECTED)
    assert event.changes["subject"] == ["数学", "语文"]
    assert event.changes["holder_name"][1] == "张三丰"


def test_replacement_needs_the_old_certificate_back(
    holder: tuple[User, Certificate], ly_certifier: User
) -> None:
    user, certificate = holder
    row = request_of(user, certificate, RequestKind.REPLACEMENT)
    with pytest.raises(ValidationFailed) as error:
        services.request_transition(actor=ly_certifier, request_id=row.pk, action="approve", version=1)
    assert error.value.code == "old_not_returned"
    row = services.request_transition(
        actor=ly_certifier, request_id=row.pk, action="approve", version=1, old_returned=True
    )
    assert row.old_returned_at is not None
    assert CertificateEvent.objects.filter(
        certificate=certificate, kind=CertificateEvent.Kind.REPLACED
    ).exists()


def test_approval_rolls_back_when_the_certificate_was_revoked_meanwhile(
    holder: tuple[User, Certificate], ly_certifier: User
) -> None:
    user, certificate = holder
    row = request_of(user, certificate)
    type(certificate).objects.filter(pk=certificate.pk).update(status=CertificateStatus.REVOKED)
    with pytest.raises(Conflict):
        services.request_transition(actor=ly_certifier, request_id=row.pk, action="approve", version=1)
    row.refresh_from_db()
    assert row.status == RequestStatus.SUBMITTED
    assert not CertificateEvent.objects.filter(certificate=certificate).exists()


# --- deadlines, reminders, counts -------------------------------------------------------------


def test_reminder_from_counts_working_days_back() -> None:
    rules = deadlines.Rules(processing_days=20, reminder_days=5)
    due = dt.date(2026, 12, 29)  # Tuesday
    assert deadlines.reminder_from(due, rules) == dt.date(2026, 12, 22)
    assert deadlines.urgency(due, rules, today=dt.date(2026, 12, 21)) == deadlines.Urgency.ON_TIME
    assert deadlines.urgency(due, rules, today=dt.date(2026, 12, 22)) == deadlines.Urgency.DUE_SOON
    assert deadlines.urgency(due, rules, today=due) == deadlines.Urgency.DUE_SOON
    assert deadlines.urgency(due, rules, today=due + dt.timedelta(days=1)) == deadlines.Urgency.OVERDUE


def test_reminders_go_once_a_day_to_the_authority(
    holder: tuple[User, Certificate], ly_certifier: User
) -> None:
    user, certificate = holder
    with clock.travel(NOW):
        row = request_of(user, certificate)
        assert request_reminders_send() == 0  # not yet due
    near = dt.datetime.combine(row.due_on - dt.timedelta(days=1), dt.time(2), tzinfo=dt.UTC)
    with clock.travel(near):
        assert request_reminders_send() == 1
        assert request_reminders_send() == 0  # idempotent within the day
    assert Notification.objects.filter(recipient=ly_certifier, kind="certsvc.reminder").count() == 1
    late = dt.datetime.combine(row.due_on + dt.timedelta(days=3), dt.time(2), tzinfo=dt.UTC)
    with clock.travel(late):
        assert request_reminders_send() == 1
        counts = request_counts(user=ly_certifier)
    assert (counts.open, counts.overdue) == (1, 1)


def test_decided_requests_are_never_reminded_nor_overdue(
    holder: tuple[User, Certificate], ly_certifier: User
) -> None:
    user, certificate = holder
    row = request_of(user, certificate)
    services.request_transition(actor=ly_certifier, request_id=row.pk, action="approve", version=1)
    late = dt.datetime.combine(row.due_on + dt.timedelta(days=30), dt.time(2), tzinfo=dt.UTC)
    with clock.travel(late):
        assert request_reminders_send() == 0
        assert request_counts(user=ly_certifier).overdue == 0
