"""Authenticity checks (issue 11 item 3): opened by a registration reviewer, answered by
the issuing authority (or recorded by the requester for one outside the province); a
forged certificate is flagged, audited, and holds its registration."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import CertificateEvent, CertificateStatus
from jiaozi.certificates.selectors import State, verification_lookup
from jiaozi.certificates.services import certificate_event_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.orgs.models import Institution
from jiaozi.registration.tests.factories_applications import OPEN, application, chain
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import Action, Status

from ..authenticity import (
    authenticity_check_open,
    authenticity_check_transition,
    authenticity_held_certificates,
)
from ..models import AuthenticityCheck
from ..workflow import CheckOutcome, CheckStatus
from .factories import certificate_of

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


def _open(reviewer: User, certificate_pk: int, **kw: str) -> AuthenticityCheck:
    values = {"holder_name": "张三", "reason": "证书无本系统颁发记录，原件印章模糊。"} | kw
    return authenticity_check_open(actor=reviewer, certificate_id=certificate_pk, **values)


def test_reviewer_opens_authority_answers_authentic(
    luyang: Institution, ly_school: Institution, ly_reviewer: User, ly_certifier: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    check = _open(ly_reviewer, certificate.pk)
    assert check.authority == luyang
    assert check.status == CheckStatus.OPEN
    assert certificate.pk in authenticity_held_certificates()
    with pytest.raises(PermissionDenied):  # the requester does not answer for an authority of ours
        authenticity_check_transition(
            actor=ly_reviewer,
            check_id=check.pk,
            action="answer",
            version=1,
            outcome="authentic",
            reference="X",
        )
    done = authenticity_check_transition(
        actor=ly_certifier,
        check_id=check.pk,
        action="answer",
        version=1,
        outcome="authentic",
        reference="档2015-7",
    )
    assert (done.status, done.outcome) == (CheckStatus.ANSWERED, CheckOutcome.AUTHENTIC)
    assert certificate.pk not in authenticity_held_certificates()
    assert AuditEvent.objects.filter(kind=AuditKind.AUTHENTICITY_CHECK_ANSWERED).count() == 1
    assert not AuditEvent.objects.filter(kind=AuditKind.AUTHENTICITY_CHECK_FORGED).exists()


def test_forged_is_flagged_audited_and_holds(
    luyang: Institution, ly_school: Institution, ly_reviewer: User, ly_certifier: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    check = _open(ly_reviewer, certificate.pk)
    with pytest.raises(ValidationFailed) as error:  # forged needs the explanation
        authenticity_check_transition(
            actor=ly_certifier,
            check_id=check.pk,
            action="answer",
            version=1,
            outcome="forged",
            reference="档",
        )
    assert error.value.code == "reason_required"
    authenticity_check_transition(
        actor=ly_certifier,
        check_id=check.pk,
        action="answer",
        version=1,
        outcome="forged",
        reference="皖教资核〔2026〕3号",
        note="档案中无此编号，印章与本机关印章不符。",
    )
    assert (
        AuditEvent.objects.filter(kind=AuditKind.AUTHENTICITY_CHECK_FORGED, object_id=str(check.pk)).count()
        == 1
    )
    assert certificate.pk in authenticity_held_certificates()
    # The flag reaches the registry and the public: the certificate is revoked, its
    # history names the check, and both public channels answer "not valid".
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    event = CertificateEvent.objects.get(certificate=certificate, kind=CertificateEvent.Kind.REVOKED)
    assert (event.source_type, event.source_id) == ("certservices.authenticitycheck", check.pk)
    assert AuditEvent.objects.filter(
        kind=AuditKind.CERTIFICATE_REVOKED, object_id=str(certificate.pk)
    ).exists()
    found = verification_lookup(certificate_number=certificate.number, name=certificate.teacher.name)
    assert found is not None
    assert found.state == State.CERTIFICATE_INVALID


def test_forged_answer_for_a_revoked_certificate_writes_no_second_revocation(
    luyang: Institution, ly_school: Institution, ly_reviewer: User, ly_certifier: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    check = _open(ly_reviewer, certificate.pk)
    type(certificate).objects.filter(pk=certificate.pk).update(status=CertificateStatus.LOST)
    done = authenticity_check_transition(
        actor=ly_certifier,
        check_id=check.pk,
        action="answer",
        version=1,
        outcome="forged",
        reference="皖教资核〔2026〕4号",
        note="印章不符。",
    )
    assert done.outcome == CheckOutcome.FORGED
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.LOST
    assert not CertificateEvent.objects.filter(
        certificate=certificate, kind=CertificateEvent.Kind.REVOKED
    ).exists()


def test_outside_the_province_the_requester_records_the_answer(
    luyang: Institution, ly_school: Institution, ly_reviewer: User, ly_certifier: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    type(certificate).objects.filter(pk=certificate.pk).update(number="2010" + "32" + certificate.number[6:])
    with pytest.raises(ValidationFailed) as error:
        _open(ly_reviewer, certificate.pk)
    assert "outside_authority" in error.value.field_errors
    check = _open(ly_reviewer, certificate.pk, outside_authority="江苏省南京市教育局")
    assert check.authority is None
    assert check.outside_authority == "江苏省南京市教育局"
    with pytest.raises((PermissionDenied, NotFound)):
        authenticity_check_transition(
            actor=ly_certifier,
            check_id=check.pk,
            action="answer",
            version=1,
            outcome="authentic",
            reference="X",
        )
    done = authenticity_check_transition(
        actor=ly_reviewer,
        check_id=check.pk,
        action="answer",
        version=1,
        outcome="not_found",
        reference="宁教函〔2026〕12号",
        note="对方答复档案中查无此证。",
    )
    assert done.outcome == CheckOutcome.NOT_FOUND


def test_only_reviewers_open_and_only_once(
    luyang: Institution, ly_school: Institution, ly_reviewer: User, ly_certifier: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    with pytest.raises(PermissionDenied):
        _open(ly_certifier, certificate.pk)
    _open(ly_reviewer, certificate.pk)
    with pytest.raises(Conflict) as error:
        _open(ly_reviewer, certificate.pk)
    assert error.value.code == "duplicate_check"


def test_a_certificate_issued_here_needs_no_check(
    luyang: Institution, ly_school: Institution, ly_reviewer: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    certificate_event_record(
        certificate=certificate, kind=CertificateEvent.Kind.ISSUED, actor=None, institution=luyang
    )
    with pytest.raises(Conflict) as error:
        _open(ly_reviewer, certificate.pk)
    assert error.value.code == "issued_in_system"


def test_out_of_jurisdiction_certificate_is_not_found(
    yaohai: Institution, yh_school: Institution, ly_reviewer: User
) -> None:
    certificate = certificate_of(yaohai, teacher__school=yh_school)
    with pytest.raises(NotFound):
        _open(ly_reviewer, certificate.pk)


def test_withdrawal_needs_a_reason_and_releases_the_hold(
    luyang: Institution, ly_school: Institution, ly_reviewer: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    check = _open(ly_reviewer, certificate.pk)
    with pytest.raises(ValidationFailed):
        authenticity_check_transition(actor=ly_reviewer, check_id=check.pk, action="withdraw", version=1)
    authenticity_check_transition(
        actor=ly_reviewer, check_id=check.pk, action="withdraw", version=1, note="已取得原发证机关证明。"
    )
    assert certificate.pk not in authenticity_held_certificates()


def test_the_registration_waits_while_a_check_is_open_and_when_forged() -> None:
    with clock.travel(OPEN):
        c = chain()
        app = application(c, status=Status.REGISTRATION_REVIEW)
        from jiaozi.accounts.roles import Role
        from jiaozi.accounts.tests.factories import make_staff

        certifier = make_staff(role=Role.CERTIFYING_OFFICER, institution=c.authority)
        type(c.certificate).objects.filter(pk=c.certificate.pk).update(
            number=f"2010{c.authority.division_id[:2]}{c.authority.authority_code}2100{app.pk:04d}"
        )
        check = _open(c.registration_reviewer, c.certificate.pk)
        with pytest.raises(Conflict) as error:
            application_transition(
                actor=c.registration_reviewer,
                application_id=app.pk,
                action=Action.CONCLUDE,
                version=app.version,
                conclusion="qualified",
            )
        assert error.value.code == "authenticity_check_pending"
        authenticity_check_transition(
            actor=certifier,
            check_id=check.pk,
            action="answer",
            version=1,
            outcome="forged",
            reference="档",
            note="伪造。",
        )
        with pytest.raises(Conflict):
            application_transition(
                actor=c.registration_reviewer,
                application_id=app.pk,
                action=Action.CONCLUDE,
                version=app.version,
                conclusion="qualified",
            )


def test_the_registration_goes_on_once_authentic() -> None:
    with clock.travel(OPEN):
        c = chain()
        app = application(c, status=Status.REGISTRATION_REVIEW)
        from jiaozi.accounts.roles import Role
        from jiaozi.accounts.tests.factories import make_staff

        certifier = make_staff(role=Role.CERTIFYING_OFFICER, institution=c.authority)
        type(c.certificate).objects.filter(pk=c.certificate.pk).update(
            number=f"2010{c.authority.division_id[:2]}{c.authority.authority_code}2100{app.pk:04d}"
        )
        check = _open(c.registration_reviewer, c.certificate.pk)
        authenticity_check_transition(
            actor=certifier,
            check_id=check.pk,
            action="answer",
            version=1,
            outcome="authentic",
            reference="档",
        )
        moved = application_transition(
            actor=c.registration_reviewer,
            application_id=app.pk,
            action=Action.CONCLUDE,
            version=app.version,
            conclusion="qualified",
        )
    assert moved.status != Status.REGISTRATION_REVIEW


def test_pages_open_and_answer(
    signed_in: SignIn, luyang: Institution, ly_school: Institution, ly_reviewer: User, ly_certifier: User
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    client = signed_in(ly_reviewer)
    detail = client.get(reverse("certservices:certificate_detail", args=[certificate.pk])).content.decode()
    assert reverse("certservices:check_open", args=[certificate.pk]) in detail
    response = client.post(
        reverse("certservices:check_open", args=[certificate.pk]),
        {"holder_name": "张三", "reason": "印章模糊"},
    )
    assert response.status_code == 302
    from jiaozi.accounts.testing import sign_in

    officer = sign_in(Client(), ly_certifier)
    listing = officer.get(reverse("certservices:check_list")).content.decode()
    assert certificate.number in listing
    check_url = response["Location"]
    page = officer.get(check_url).content.decode()
    assert 'data-action="answer"' in page
    pk = int(check_url.rstrip("/").rsplit("/", 1)[-1])
    response = officer.post(
        reverse("certservices:check_act", args=[pk]),
        {"action": "answer", "version": 1, "outcome": "forged", "reference": "档1", "note": "伪造"},
    )
    assert response.status_code == 302
    assert 'data-flag="forged"' in officer.get(check_url).content.decode()
