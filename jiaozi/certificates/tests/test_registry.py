"""The registry's registration record and its history (§5 Completion): one narrow
compare-and-set on the certificate, one history event and one audit row per recorded
registration, nothing at all when it is refused; the history reads back in order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import Certificate, CertificateEvent, CertificateStatus, Conclusion
from jiaozi.certificates.selectors import certificate_history
from jiaozi.certificates.services import certificate_event_record, certificate_registration_record
from jiaozi.certificates.tests.factories import make_certificate
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import LUYANG, PROVINCE, bureau

pytestmark = pytest.mark.django_db

R = dt.date(2029, 9, 1)
QUALIFIED_VALIDITY = (R, dt.date(2034, 8, 31))


@pytest.fixture
def authority() -> Institution:
    return bureau(LUYANG)


def record(certificate: Certificate, authority: Institution, **kw: Any) -> Any:
    """A 注册合格 on R by a province reviewer; ``kw`` overrides. The teacher stands in
    for the source record: the registry accepts any model (it stores label and key)."""
    values: dict[str, Any] = {
        "certificate": certificate,
        "application": certificate.teacher,
        "conclusion": Conclusion.QUALIFIED,
        "registration_date": R,
        "valid_from": QUALIFIED_VALIDITY[0],
        "valid_to": QUALIFIED_VALIDITY[1],
        "actor": make_staff(role=Role.PROVINCE_REVIEWER, institution=bureau(PROVINCE)),
        "institution": authority,
    }
    values.update(kw)
    with transaction.atomic():
        return certificate_registration_record(**values)


def unchanged(certificate: Certificate) -> None:
    stored = Certificate.objects.get(pk=certificate.pk)
    assert (stored.last_conclusion, stored.registered_on, stored.valid_from, stored.valid_to) == (
        Conclusion.QUALIFIED,
        dt.date(2024, 9, 1),
        dt.date(2024, 9, 1),
        dt.date(2029, 8, 31),
    )
    assert stored.version == 1
    assert not CertificateEvent.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.CERTIFICATE_REGISTRATION_RECORDED).exists()


# --- Allowed --------------------------------------------------------------------------------


def test_a_qualified_registration_writes_the_record_one_event_and_one_audit_row(
    authority: Institution,
) -> None:
    certificate = make_certificate()
    result = record(certificate, authority, audit_details={"campaign_id": 7})

    stored = Certificate.objects.get(pk=certificate.pk)
    assert (stored.last_conclusion, stored.registered_on) == (Conclusion.QUALIFIED, R)
    assert (stored.valid_from, stored.valid_to) == QUALIFIED_VALIDITY
    assert stored.version == 2
    # The caller's instance follows the row, so a second change compares the new version.
    assert (certificate.version, certificate.valid_to) == (2, QUALIFIED_VALIDITY[1])

    event = CertificateEvent.objects.get()
    assert event == result.event
    assert event.kind == CertificateEvent.Kind.REGISTERED
    assert event.certificate_id == certificate.pk
    assert event.institution_id == authority.pk
    assert event.actor is not None
    assert event.actor.role == Role.PROVINCE_REVIEWER
    assert (event.source_type, event.source_id) == ("teachers.teacher", certificate.teacher_id)
    assert event.changes == {
        "registered_on": ["2024-09-01", "2029-09-01"],
        "valid_from": ["2024-09-01", "2029-09-01"],
        "valid_to": ["2029-08-31", "2034-08-31"],
    }
    assert result.previous["valid_to"] == dt.date(2029, 8, 31)

    audit = AuditEvent.objects.get(kind=AuditKind.CERTIFICATE_REGISTRATION_RECORDED)
    assert audit.object_type == "certificates.certificate"
    assert audit.object_id == str(certificate.pk)
    assert audit.details["application_id"] == certificate.teacher_id
    assert audit.details["campaign_id"] == 7
    assert audit.details["event_id"] == event.pk
    assert audit.details["valid_to"] == "2034-08-31"
    assert audit.details["previous"]["registered_on"] == "2024-09-01"


@pytest.mark.parametrize("conclusion", [Conclusion.DEFERRED, Conclusion.UNQUALIFIED])
def test_a_negative_conclusion_keeps_the_last_validity(authority: Institution, conclusion: str) -> None:
    certificate = make_certificate()
    record(certificate, authority, conclusion=conclusion, valid_from=None, valid_to=None)
    stored = Certificate.objects.get(pk=certificate.pk)
    assert (stored.last_conclusion, stored.registered_on) == (conclusion, R)
    assert (stored.valid_from, stored.valid_to) == (dt.date(2024, 9, 1), dt.date(2029, 8, 31))
    assert CertificateEvent.objects.get().changes == {
        "last_conclusion": ["qualified", conclusion],
        "registered_on": ["2024-09-01", "2029-09-01"],
    }


def test_it_opens_its_own_transaction_when_called_outside_one(authority: Institution) -> None:
    certificate = make_certificate()
    certificate_registration_record(
        certificate=certificate,
        application=certificate.teacher,
        conclusion=Conclusion.QUALIFIED,
        registration_date=R,
        valid_from=QUALIFIED_VALIDITY[0],
        valid_to=QUALIFIED_VALIDITY[1],
        actor=None,  # the scheduler
        institution=authority,
    )
    assert CertificateEvent.objects.get().actor is None
    assert Certificate.objects.get(pk=certificate.pk).version == 2


def test_the_same_registration_date_may_be_recorded_again(authority: Institution) -> None:
    # An upheld objection files again for the same campaign: not "newer", so allowed.
    certificate = make_certificate(registered_on=R)
    record(certificate, authority, conclusion=Conclusion.DEFERRED, valid_from=None, valid_to=None)
    assert Certificate.objects.get(pk=certificate.pk).last_conclusion == Conclusion.DEFERRED


# --- Refused: nothing written ------------------------------------------------------------------


@pytest.mark.parametrize("status", [CertificateStatus.REVOKED, CertificateStatus.LOST])
def test_a_revoked_or_lost_certificate_refuses_the_record(authority: Institution, status: str) -> None:
    certificate = make_certificate(status=status)
    with pytest.raises(Conflict) as error:
        record(certificate, authority)
    assert error.value.code == "certificate_not_valid"
    stored = Certificate.objects.get(pk=certificate.pk)
    assert (stored.registered_on, stored.version) == (dt.date(2024, 9, 1), 1)
    assert not CertificateEvent.objects.exists()


def test_a_later_registration_is_never_overwritten(authority: Institution) -> None:
    certificate = make_certificate(registered_on=dt.date(2034, 9, 1))
    with pytest.raises(Conflict) as error:
        record(certificate, authority)
    assert error.value.code == "newer_registration"
    assert not CertificateEvent.objects.exists()


def test_a_stale_certificate_loses_the_compare_and_set(authority: Institution) -> None:
    stale = make_certificate()
    # Someone else changes the certificate after ``stale`` was read.
    Certificate.objects.filter(pk=stale.pk).update(version=2, subject="物理")
    with pytest.raises(Conflict) as error:
        record(stale, authority)
    assert error.value.code == "stale_version"
    stored = Certificate.objects.get(pk=stale.pk)
    assert (stored.version, stored.subject, stored.registered_on) == (2, "物理", dt.date(2024, 9, 1))
    assert stale.version == 1  # the caller's copy is not advanced either
    assert not CertificateEvent.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.CERTIFICATE_REGISTRATION_RECORDED).exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"conclusion": "excellent"}, "invalid_conclusion"),
        ({"conclusion": ""}, "invalid_conclusion"),
        ({"valid_to": None}, "validity_required"),
        ({"valid_from": None}, "validity_required"),
        ({"conclusion": Conclusion.DEFERRED}, "validity_not_allowed"),
    ],
)
def test_an_inconsistent_record_is_refused(
    authority: Institution, changes: dict[str, Any], code: str
) -> None:
    certificate = make_certificate()
    with pytest.raises(ValidationFailed) as error:
        record(certificate, authority, **changes)
    assert error.value.code == code
    unchanged(certificate)


# --- History ----------------------------------------------------------------------------------


def test_history_is_oldest_first_with_who_acted_in_one_query(
    authority: Institution, django_assert_num_queries: Any
) -> None:
    certificate = make_certificate()
    other = make_certificate()
    with clock.travel(dt.datetime(2029, 9, 2, 10, tzinfo=dt.UTC)):
        record(certificate, authority)
    with clock.travel(dt.datetime(2029, 10, 1, 10, tzinfo=dt.UTC)):
        certificate_event_record(
            certificate=certificate,
            kind=CertificateEvent.Kind.CORRECTED,
            actor=None,
            institution=authority,
            changes={"subject": ["数学", "物理"]},
        )
    record(other, authority)

    with django_assert_num_queries(1):
        history = certificate_history(certificate=certificate)
        kinds = [
            (e.kind, e.institution.name if e.institution else "", e.actor_id is not None) for e in history
        ]
    assert kinds == [
        (CertificateEvent.Kind.REGISTERED, authority.name, True),
        (CertificateEvent.Kind.CORRECTED, authority.name, False),
    ]
    assert history[1].changes == {"subject": ["数学", "物理"]}
    assert history[1].source_type == ""
    assert history[0].at < history[1].at


def test_a_certificate_without_changes_has_no_history() -> None:
    assert certificate_history(certificate=make_certificate()) == []


def test_a_certificate_with_history_cannot_be_deleted(authority: Institution) -> None:
    from django.db.models import ProtectedError

    certificate = make_certificate()
    record(certificate, authority)
    with pytest.raises(ProtectedError):
        Certificate.objects.filter(pk=certificate.pk).delete()
