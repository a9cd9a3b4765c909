"""The data audit: one planted omission of each kind is listed under its institution,
counted up the tree, linked to where it is fixed, and leaves the report once fixed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import NotFound, PermissionDenied
from jiaozi.notifications.models import Notification
from jiaozi.oversight import dataaudit
from jiaozi.oversight.models import OversightSetting
from jiaozi.registration.models import Application
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    applicant_for,
    application,
    chain,
    due_teacher,
)
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db


def _report(c: Chain, user: Any = None, node: Any = None) -> dataaudit.Report:
    user = user or c.province_reviewer
    return dataaudit.data_audit_report(
        user=user, campaign=c.campaign, node=node or dataaudit.node_for(user=user)
    )


@pytest.fixture
def planted() -> dict[str, Any]:
    """A 庐阳区 chain whose applicant has not applied (漏报), and one row of every
    other kind in its school."""
    with clock.travel(OPEN):
        c = chain("county")
        OversightSetting.objects.create(province_code="340000", required_materials=["certificate"])
        rows: dict[str, Any] = {"chain": c}

        def another(**fields: Any) -> Any:
            owner, cert = due_teacher(c.school, **fields.pop("teacher", {}))
            return application(c, applicant=applicant_for(owner), certificate_=cert, **fields)

        rows["stuck"] = another(status=Status.SCHOOL_REVIEW, step_deadline=OPEN - dt.timedelta(days=1))
        rows["override"] = another(
            status=Status.CONCLUDED, suggestion="qualified", conclusion="deferred", conclusion_reason="x"
        )
        rows["materials"] = rows["stuck"]  # submitted without the certificate scan
        # The same person entered twice under two resident IDs, applying with each.
        same = {"name": "重复甲", "phone": "13900001111"}
        rows["duplicate"] = [
            another(teacher=same, status=Status.DRAFT),
            another(teacher=same, status=Status.DRAFT),
        ]
        # A certificate whose authenticity check is still open.
        from jiaozi.certservices.tests.factories import matrix_check

        rows["unverified"] = another(status=Status.REGISTRATION_REVIEW)
        rows["check"] = matrix_check(rows["unverified"].certificate, c.registration_reviewer, c.authority)
        c.school.stage = "kindergarten"
        c.school.save()
    return rows


def test_every_kind_is_listed_counted_and_linked(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    report = _report(c)
    # The chain's applicant has not applied: 漏报.
    assert report.totals["missed"] >= 1
    for kind in ("stuck", "override", "materials", "duplicate", "type_mismatch", "unverified", "no_plan"):
        assert report.totals[kind] >= 1, kind
    # The province sees the city of 合肥 carry them.
    hefei = next(r for r in report.children if r.institution.code.startswith("3401"))
    assert hefei.counts["stuck"] == report.totals["stuck"]
    # Drill down to the school: its lines, each with where it is fixed.
    lines = dataaudit.data_audit_lines(
        user=c.province_reviewer, campaign=c.campaign, node=c.school, kind="missed"
    )
    assert any(c.certificate.number in line.text for line in lines)
    assert all(line.link.startswith(reverse("registration:precheck")) for line in lines)
    stuck = dataaudit.data_audit_lines(
        user=c.province_reviewer, campaign=c.campaign, node=c.school, kind="stuck"
    )
    assert [line.link for line in stuck] == [
        reverse("registration:application_detail", args=[planted["stuck"].pk])
    ]
    # Names are masked in every line.
    assert all(c.teacher.name not in line.text for line in lines)


def test_lines_clear_as_they_are_fixed(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    before = _report(c, node=c.school).totals
    with clock.travel(OPEN):
        application(c, status=Status.DRAFT)  # the teacher applies
    assert _report(c, node=c.school).totals["missed"] == before["missed"] - 1
    Application.objects.filter(pk=planted["stuck"].pk).update(step_deadline=OPEN + dt.timedelta(days=30))
    Application.objects.filter(pk=planted["override"].pk).update(override_reason="经核实考核结果有误")
    Application.objects.filter(pk=planted["duplicate"][1].pk).update(status=Status.WITHDRAWN)
    type(planted["check"]).objects.filter(pk=planted["check"].pk).update(
        status="answered", outcome="authentic"
    )
    after = _report(c, node=c.school).totals
    assert after["unverified"] == before["unverified"] - 1
    # The withdrawn duplicate's teacher record is due and has no application until
    # the two records are merged: it is listed as missed.
    assert after["missed"] == before["missed"]
    assert after["override"] == before["override"] - 1
    assert after["duplicate"] == before["duplicate"] - 2
    with clock.travel(OPEN):
        assert _report(c, node=c.school).totals["stuck"] == 0


def test_jurisdiction_and_roles(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    with clock.travel(OPEN):
        other = chain("susong")
    # 宿松县's reviewer sees nothing of 庐阳区 and cannot open it.
    with pytest.raises(NotFound):
        dataaudit.node_for(user=other.registration_reviewer, institution_id=c.school.pk)
    assert _report(other, user=other.registration_reviewer).totals["stuck"] == 0
    with pytest.raises(PermissionDenied):
        _report(c, user=c.applicant)


def test_reminders_go_to_institutions_with_open_lines(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    told = dataaudit.data_audit_remind(actor=c.province_reviewer, campaign_id=c.campaign.pk)
    assert told >= 1
    assert Notification.objects.filter(recipient=c.school_reviewer, kind="oversight.data_audit").exists()
    assert AuditEvent.objects.filter(kind=AuditKind.DATA_AUDIT_REMINDED).count() == 1
    with pytest.raises(PermissionDenied):
        dataaudit.data_audit_remind(actor=c.school_reviewer, campaign_id=c.campaign.pk)


def test_the_page_drills_down_and_reminds(planted: dict[str, Any], signed_in: Any) -> None:
    c: Chain = planted["chain"]
    client = signed_in(c.province_reviewer)
    with clock.travel(OPEN):
        page = client.get(reverse("oversight:data_audit"))
        assert page.status_code == 200
        body = page.content.decode()
        assert "应注册未申请（漏报）" in body
        assert "合肥市" in body
        school_page = client.get(reverse("oversight:data_audit"), {"at": c.school.pk, "kind": "missed"})
        assert c.certificate.number in school_page.content.decode()
        reminded = client.post(reverse("oversight:data_audit"))
        assert reminded.status_code == 302
    assert Notification.objects.filter(kind="oversight.data_audit").exists()


def test_an_institution_without_a_plan_is_listed_until_it_files_one(planted: dict[str, Any]) -> None:
    from jiaozi.directory.models import RegistrationPlan

    c: Chain = planted["chain"]
    lines = dataaudit.data_audit_lines(
        user=c.province_reviewer, campaign=c.campaign, node=c.authority, kind="no_plan"
    )
    assert [line.owner_id for line in lines] == [c.authority.pk]
    assert lines[0].link == reverse("directory:plan")
    with clock.travel(OPEN):
        RegistrationPlan.objects.create(
            institution=c.authority,
            campaign=c.campaign,
            expected={},
            total=0,
            submitted_at=clock.now(),
            submitted_by=c.province_reviewer,
        )
    assert not dataaudit.data_audit_lines(
        user=c.province_reviewer, campaign=c.campaign, node=c.authority, kind="no_plan"
    )
