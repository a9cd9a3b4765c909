"""Certificate numbers (§6): the 17 digits, serials gap-free per authority per year in
approval order, unique under concurrent approvals (PostgreSQL), and a rolled-back
approval gives its serial back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.verify import verify
from jiaozi.certification.choices import Health
from jiaozi.certification.models import AuthorityCode, CertificationApplication, SerialCounter
from jiaozi.certification.serials import NUMBER, certificate_number, serial_next
from jiaozi.certification.transitions import (
    BatchItem,
    certification_transition,
    certification_transition_batch,
)
from jiaozi.certification.workflow import Action, Conclusion, Status
from jiaozi.core import clock
from jiaozi.orgs.tests.factories import LUYANG, bureau
from jiaozi.testing.race import race, require_postgresql

from .factories import AFTER_CONFIRM, applicant, certifier, draft, drive

pytestmark = pytest.mark.django_db


def test_the_number_is_year_province_authority_type_sex_serial() -> None:
    number = certificate_number(
        year=2024, province_code="340000", authority_code="007", qualification_type="2", sex="2", serial=42
    )
    assert number == "20243400722000042"
    assert NUMBER.match(number)
    with pytest.raises(ValueError):
        certificate_number(
            year=2024, province_code="340000", authority_code="07", qualification_type="2", sex="2", serial=1
        )


def test_an_approval_numbers_the_certificate_with_the_authoritys_code_and_the_holders_sex() -> None:
    app = drive(draft(applicant(sex="1", birth=dt.date(1995, 1, 2))), to=Status.CERTIFIED)
    code = AuthorityCode.objects.get(authority=bureau(LUYANG)).code
    assert app.certificate_number == f"2024{34}{code}21000001"
    assert app.serial == 1


def test_an_approval_audits_decision_holder_and_certificate_together_on_the_authoritys_chain() -> None:
    """The decision's audit rows are written at once, after the serial (docs/decisions/0212):
    consecutive on the authority's chain, which still verifies."""
    app = drive(draft(), to=Status.CERTIFIED)
    authority = bureau(LUYANG)
    rows = list(
        AuditEvent.objects.filter(chain_key=f"inst:{authority.pk}")
        .order_by("-seq")[:3]
        .values_list("kind", "seq", "object_type")
    )
    assert [r[0] for r in reversed(rows)] == [
        AuditKind.CERTIFICATION_DECIDED,
        AuditKind.TEACHER_CREATED,
        AuditKind.CERTIFICATION_CERTIFICATE_ISSUED,
    ]
    assert [r[1] for r in rows] == [rows[0][1], rows[0][1] - 1, rows[0][1] - 2]
    decided = AuditEvent.objects.get(kind=AuditKind.CERTIFICATION_DECIDED, object_id=str(app.pk))
    assert decided.details["to"] == Status.CERTIFIED
    assert verify(chain=f"inst:{authority.pk}").ok


def test_serials_run_on_in_approval_order_and_per_authority_and_year() -> None:
    apps = [drive(draft(), to=Status.CERTIFIED) for _ in range(3)]
    assert [a.serial for a in apps] == [1, 2, 3]
    assert [a.certificate_number[-6:] for a in apps] == ["000001", "000002", "000003"]
    with transaction.atomic():
        assert serial_next(authority_id=bureau(LUYANG).pk, year=2025) == 1
        assert serial_next(authority_id=bureau("340100").pk, year=2024) == 1


def test_a_rolled_back_approval_leaves_no_gap() -> None:
    authority = bureau(LUYANG)

    def approval_that_fails() -> None:
        with transaction.atomic():
            serial_next(authority_id=authority.pk, year=2024)
            raise RuntimeError("the approval failed after taking a serial")

    with pytest.raises(RuntimeError):
        approval_that_fails()
    with transaction.atomic():
        assert serial_next(authority_id=authority.pk, year=2024) == 1


def test_a_batch_of_decisions_numbers_each_certificate_once() -> None:
    apps = [drive(draft(), to=Status.DECISION) for _ in range(4)]
    CertificationApplication.objects.filter(pk__in=[a.pk for a in apps]).update(health=Health.FIT)
    officer = certifier()
    items = [
        BatchItem(
            a.pk, CertificationApplication.objects.get(pk=a.pk).version, conclusion=Conclusion.CERTIFIED
        )
        for a in apps
    ]
    with clock.travel(AFTER_CONFIRM):
        result = certification_transition_batch(actor=officer, action=Action.DECIDE, items=items)
    assert sorted(result.succeeded) == sorted(a.pk for a in apps)
    rows = CertificationApplication.objects.filter(pk__in=result.succeeded).values_list("serial", flat=True)
    serials = sorted(s or 0 for s in rows)
    assert serials == [1, 2, 3, 4]


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_give_distinct_consecutive_serials() -> None:
    """Twelve officers approve twelve applications at once (PostgreSQL row locks)."""
    require_postgresql()
    apps = [drive(draft(), to=Status.DECISION) for _ in range(12)]
    CertificationApplication.objects.filter(pk__in=[a.pk for a in apps]).update(health=Health.FIT)
    officers = [certifier() for _ in apps]
    versions = dict(
        CertificationApplication.objects.filter(pk__in=[a.pk for a in apps]).values_list("pk", "version")
    )

    def approve(n: int) -> str:
        with clock.travel(AFTER_CONFIRM):
            app = certification_transition(
                actor=officers[n], application_id=apps[n].pk, action=Action.DECIDE,
                version=versions[apps[n].pk], conclusion=Conclusion.CERTIFIED,
            )  # fmt: skip
        return app.certificate_number

    results = race(approve, threads=len(apps), timeout=60)
    numbers = [r for r in results if isinstance(r, str)]
    assert len(numbers) == len(apps), results
    serials = sorted(int(n[-6:]) for n in numbers)
    assert serials == list(range(1, len(apps) + 1))
    assert SerialCounter.objects.get(authority=bureau(LUYANG), year=2024).last == len(apps)
