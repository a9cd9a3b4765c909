"""Statistics: the summary table's figures match planted applications, roll up the tree,
stay within the viewer's jurisdiction, refresh idempotently, and download as xlsx."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import NotFound, PermissionDenied
from jiaozi.core.roles import Role
from jiaozi.directory.models import RegistrationPlan
from jiaozi.orgs.models import Institution
from jiaozi.oversight import stats
from jiaozi.oversight.models import StatisticsCell, StatisticsRun
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


@pytest.fixture
def planted() -> dict[str, Any]:
    """庐阳区: one school with five applications (two completed, one overdue in school
    review, one draft, one withdrawn) and a plan of 10; 宿松县: one school with one."""
    from jiaozi.certification.reference import ensure_anhui

    ensure_anhui()
    with clock.travel(OPEN):
        c = chain("county")
        other = chain("susong")

        def another(chain_: Chain, **fields: Any) -> Any:
            owner, cert = due_teacher(chain_.school)
            return application(chain_, applicant=applicant_for(owner), certificate_=cert, **fields)

        application(c, status=Status.COMPLETED)
        another(c, status=Status.COMPLETED, due="first", conclusion="deferred")
        another(c, status=Status.SCHOOL_REVIEW, step_deadline=OPEN - dt.timedelta(days=1))
        another(c, status=Status.DRAFT)
        another(c, status=Status.WITHDRAWN)
        application(other, status=Status.REGISTRATION_REVIEW, step_deadline=OPEN + dt.timedelta(days=5))
        RegistrationPlan.objects.create(
            institution=c.authority,
            campaign=c.campaign,
            expected={"primary": 10},
            total=10,
            submitted_at=clock.now(),
            submitted_by=c.registration_reviewer,
        )
        stats.statistics_refresh_all()
    return {"chain": c, "other": other}


def _figures(user: Any, node: Institution | None = None, scope: str = "registration") -> stats.Figures:
    node = node or stats.node_for(user=user)
    campaign = stats.campaign_for(user=user)
    source = campaign.pk if campaign else None
    if scope == "certification":
        batch = stats.batch_for(user=user)
        source = batch.pk if batch else None
    return stats.statistics_figures(user=user, scope=scope, source_id=source, node=node)


def _counts(figures: stats.Figures, dimension: str) -> dict[str, int]:
    table = figures.table(dimension)
    assert table is not None
    return {row.key: row.count for row in table.rows}


def test_the_county_figures_match_the_planted_applications(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    figures = _figures(c.registration_reviewer)
    assert _counts(figures, "status") == {
        Status.DRAFT: 1,
        Status.SCHOOL_REVIEW: 1,
        Status.COMPLETED: 2,
        Status.WITHDRAWN: 1,
    }
    assert _counts(figures, "conclusion") == {"qualified": 1, "deferred": 1}
    assert _counts(figures, "due") == {"periodic": 3, "first": 1}
    assert _counts(figures, "county") == {"340103": 4}
    assert _counts(figures, "deadline") == {"overdue": 1, "closed": 2}
    assert _counts(figures, "plan") == {"planned": 10, "applied": 3, "completed": 2}
    assert sum(_counts(figures, "qualification").values()) == 4
    assert figures.computed_at is not None
    # Labels are the workflow's.
    status = figures.table("status")
    assert status is not None
    assert next(row.label for row in status.rows) == "草稿"


def test_the_province_sees_both_counties_and_drills_down(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    figures = _figures(c.province_reviewer)
    assert _counts(figures, "county") == {"340103": 4, "340826": 1}
    assert _counts(figures, "status")[Status.REGISTRATION_REVIEW] == 1
    county_table = figures.table("county")
    assert county_table is not None
    assert {row.label for row in county_table.rows} == {"庐阳区", "宿松县"}
    names = {child.institution.name: child.figures for child in figures.children}
    hefei = next(v for k, v in names.items() if k.startswith("合肥"))
    assert hefei == {"planned": 10, "applied": 3, "completed": 2, "overdue": 1}
    # One level down: the school, whose own figures are its applications.
    school = _figures(c.province_reviewer, node=c.school)
    assert _counts(school, "deadline") == {"overdue": 1, "closed": 2}


def test_a_county_sees_only_its_own(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    other: Chain = planted["other"]
    figures = _figures(other.registration_reviewer)
    assert _counts(figures, "status") == {Status.REGISTRATION_REVIEW: 1}
    with pytest.raises(NotFound):
        stats.node_for(user=other.registration_reviewer, institution_id=c.school.pk)
    with pytest.raises(NotFound):
        stats.node_for(user=c.registration_reviewer, institution_id=c.province.pk)


def test_roles(planted: dict[str, Any], make_staff: Any) -> None:
    c: Chain = planted["chain"]
    with pytest.raises(PermissionDenied):
        _figures(c.applicant)
    security = make_staff(role=Role.SECURITY_ADMIN, institution=c.province)
    with pytest.raises(PermissionDenied):
        _figures(security)
    # Only a province user refreshes.
    with pytest.raises(PermissionDenied):
        stats.statistics_refresh(actor=c.registration_reviewer)
    assert not stats.can_refresh(c.registration_reviewer)
    assert stats.can_refresh(c.province_reviewer)


def test_refresh_is_idempotent_and_follows_changes(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    before = sorted(
        StatisticsCell.objects.values_list("scope", "source_id", "node_id", "dimension", "key", "count")
    )
    with clock.travel(OPEN):
        runs = stats.statistics_refresh(actor=c.province_reviewer)
    after = sorted(
        StatisticsCell.objects.values_list("scope", "source_id", "node_id", "dimension", "key", "count")
    )
    assert before == after
    assert StatisticsRun.objects.count() == len(runs) == 2
    assert AuditEvent.objects.filter(kind=AuditKind.STATISTICS_REFRESHED).count() == 1
    # The page reads the summary: a new application shows after the next refresh only.
    with clock.travel(OPEN):
        owner, cert = due_teacher(c.school)
        application(c, applicant=applicant_for(owner), certificate_=cert, status=Status.SCHOOL_REVIEW)
    assert _counts(_figures(c.registration_reviewer), "status")[Status.SCHOOL_REVIEW] == 1
    with clock.travel(OPEN):
        call_command("statistics_refresh", stdout=io.StringIO())
    assert _counts(_figures(c.registration_reviewer), "status")[Status.SCHOOL_REVIEW] == 2


def test_certification_figures_and_decision_times(planted: dict[str, Any]) -> None:
    from jiaozi.certification.tests.factories import draft
    from jiaozi.certification.workflow import Status as CertStatus

    c: Chain = planted["chain"]
    deadline = dt.date(2024, 11, 29)
    on_time = dt.datetime(2024, 11, 1, 10, tzinfo=dt.UTC)
    late = dt.datetime(2024, 12, 20, 10, tzinfo=dt.UTC)
    draft(status=CertStatus.CERTIFIED, decision_deadline=deadline, decided_at=on_time)
    draft(status=CertStatus.REFUSED, decision_deadline=deadline, decided_at=late, qualification_type="3")
    draft(status=CertStatus.DECISION, decision_deadline=deadline)
    draft(status=CertStatus.DECISION, decision_deadline=dt.date(2099, 1, 1))
    draft()  # a draft: counted by stage only
    with clock.travel(dt.datetime(2024, 12, 2, 10, tzinfo=dt.UTC)):
        stats.statistics_refresh_all()
    figures = _figures(c.province_reviewer, scope="certification")
    assert _counts(figures, "cert_decision") == {"on_time": 1, "late": 1, "pending": 1, "overdue": 1}
    assert _counts(figures, "cert_status") == {"draft": 1, "decision": 2, "certified": 1, "refused": 1}
    assert _counts(figures, "cert_type") == {"2": 3, "3": 1}
    authority = figures.table("cert_authority")
    assert authority is not None
    assert [(row.label, row.count) for row in authority.rows] == [("庐阳区教育体育局", 4)] or [
        row.count for row in authority.rows
    ] == [4]
    # 宿松县 sees none of 庐阳区's certifications.
    other: Chain = planted["other"]
    assert _counts(_figures(other.registration_reviewer, scope="certification"), "cert_status") == {}


def test_the_page_shows_tables_and_charts_and_refreshes(planted: dict[str, Any], signed_in: Any) -> None:
    c: Chain = planted["chain"]
    with clock.travel(OPEN):
        client = signed_in(c.province_reviewer)
        page = client.get(reverse("oversight:statistics"))
        assert page.status_code == 200
        body = page.content.decode()
        assert 'data-testid="statistics-status"' in body
        assert 'data-testid="chart-status"' in body
        assert 'aria-hidden="true"' in body
        assert "统计时间" in body
        assert "刷新" in body
        refreshed = client.post(f"{reverse('oversight:statistics')}?campaign={c.campaign.pk}")
        assert refreshed.status_code == 302
        assert AuditEvent.objects.filter(kind=AuditKind.STATISTICS_REFRESHED).count() == 1
        # A county reviewer has no 刷新 and cannot post one.
        county = signed_in(c.registration_reviewer)
        county_page = county.get(reverse("oversight:statistics")).content.decode()
        assert "宿松县" not in county_page
        county.post(reverse("oversight:statistics"))
        assert AuditEvent.objects.filter(kind=AuditKind.STATISTICS_REFRESHED).count() == 1


def test_a_table_downloads_as_xlsx_and_is_audited(planted: dict[str, Any], signed_in: Any) -> None:
    c: Chain = planted["chain"]
    with clock.travel(OPEN):
        client = signed_in(c.registration_reviewer)
        response = client.get(reverse("oversight:statistics_download"), {"dimension": "status"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        rows = list(workbook.active.iter_rows(values_only=True))
        assert rows[1] == ("按办理环节", "数量")
        assert ("已完成（已备案）", 2) in rows
        assert rows[-1] == ("合计", 5)
        # No names in the file: counts only.
        assert c.teacher.name not in str(rows)
        assert AuditEvent.objects.filter(kind=AuditKind.STATISTICS_DOWNLOADED).count() == 1
        bad = client.get(reverse("oversight:statistics_download"), {"dimension": "nope"})
        assert bad.status_code == 302
        assert AuditEvent.objects.filter(kind=AuditKind.STATISTICS_DOWNLOADED).count() == 1


def test_api(planted: dict[str, Any], signed_in: Any) -> None:
    c: Chain = planted["chain"]
    with clock.travel(OPEN):
        api = signed_in(c.registration_reviewer)
        data = api.get("/api/v1/oversight/statistics").json()
        assert data["institution_id"] == c.authority.pk
        status = next(t for t in data["tables"] if t["dimension"] == "status")
        assert status["total"] == 5
        other = api.get("/api/v1/oversight/statistics", {"institution_id": planted["other"].school.pk})
        assert other.status_code == 404
        assert other.json()["code"]
        refused = api.post("/api/v1/oversight/statistics/refresh", {}, content_type="application/json")
        assert refused.status_code == 403
        province = signed_in(c.province_reviewer)
        done = province.post("/api/v1/oversight/statistics/refresh", {}, content_type="application/json")
        assert done.status_code == 200
        assert done.json()["refreshed"] == 2


def test_the_periodic_job_refreshes_only_what_changed(planted: dict[str, Any]) -> None:
    c: Chain = planted["chain"]
    with clock.travel(OPEN + dt.timedelta(minutes=5)):
        assert stats.statistics_refresh_due() == 0  # the fixture just computed both
        Application.objects.filter(campaign=c.campaign, status=Status.DRAFT).update(
            status=Status.SCHOOL_REVIEW, updated_at=clock.now()
        )
        assert stats.statistics_refresh_due() == 1
        assert _counts(_figures(c.registration_reviewer), "status")[Status.SCHOOL_REVIEW] == 2
        assert stats.statistics_refresh_due() == 0
    # A summary an hour old is recomputed: deadlines pass with the clock alone.
    with clock.travel(OPEN + dt.timedelta(hours=2)):
        assert stats.statistics_refresh_due() == 2
