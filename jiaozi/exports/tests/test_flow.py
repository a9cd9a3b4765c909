"""Controlled exports (§9): purpose, masking, the second person's approval above the
threshold, download only after it, audit rows, jurisdiction, and the file itself."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.exports import ExportNeedsApproval
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.roles import Role
from jiaozi.exports import services as svc
from jiaozi.exports.models import ExportRequest
from jiaozi.oversight.models import OversightSetting
from jiaozi.registration.tests.factories_applications import Chain, another_applicant, application, chain
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture
def c() -> Chain:
    c = chain("county")
    application(c, status=Status.SCHOOL_REVIEW, phone=PHONE)
    return c


def ask(c: Chain, user: Any = None, **kw: Any) -> ExportRequest:
    values: dict[str, Any] = {
        "actor": user or c.registration_reviewer,
        "dataset": "registration_applications",
        "campaign_id": c.campaign.pk,
        "purpose": "核对本区注册名单",
    } | kw
    return svc.export_request_create(**values)


def sheet_rows(chunks: Any) -> tuple[list[tuple[Any, ...]], Any]:
    workbook = load_workbook(io.BytesIO(b"".join(chunks)))
    sheet = workbook.worksheets[0]
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()], workbook


def kinds() -> list[int]:
    return list(AuditEvent.objects.order_by("pk").values_list("kind", flat=True))


def test_masked_by_default_with_a_watermark_and_every_download_audited(c: Chain, settings: Any) -> None:
    settings.EXPORT_APPROVAL_THRESHOLD = 100
    made = ask(c)
    assert not made.unmasked
    assert made.state == ExportRequest.State.APPROVED
    assert not made.needs_approval
    assert made.row_count == 1
    export = svc.export_download(actor=c.registration_reviewer, pk=made.pk)
    rows, workbook = sheet_rows(export.chunks)
    watermark = rows[0][0]
    assert c.registration_reviewer.username in watermark
    assert "核对本区注册名单" in watermark
    assert "导出时间" in watermark
    assert rows[1][:4] == ("证书编号", "姓名", "身份证号", "联系电话")
    [data] = rows[2:]
    resident_id = c.teacher.resident_id
    assert data[0] == c.certificate.number
    assert data[1] == c.teacher.name
    assert data[2] == resident_id[:6] + "********" + resident_id[-4:]
    assert data[3] == "138****5678"
    assert data[7] == "待学校审查"
    assert workbook.properties.description == watermark
    assert c.registration_reviewer.username in workbook.properties.creator
    assert kinds() == [AuditKind.EXPORT_REQUESTED, AuditKind.EXPORT_DOWNLOADED]
    svc.export_download(actor=c.registration_reviewer, pk=made.pk)
    assert kinds().count(AuditKind.EXPORT_DOWNLOADED) == 2
    made.refresh_from_db()
    assert made.downloads == 2
    downloaded = AuditEvent.objects.filter(kind=AuditKind.EXPORT_DOWNLOADED).first()
    assert downloaded is not None
    assert downloaded.details["unmasked"] is False
    assert downloaded.details["rows"] == 1


def test_unmasked_on_request_gives_full_numbers(c: Chain, settings: Any) -> None:
    made = ask(c, unmasked=True)
    rows, _wb = sheet_rows(svc.export_download(actor=c.registration_reviewer, pk=made.pk).chunks)
    assert rows[2][2] == c.teacher.resident_id
    assert rows[2][3] == PHONE
    requested = AuditEvent.objects.get(kind=AuditKind.EXPORT_REQUESTED)
    assert requested.details["unmasked"] is True
    # Personal data never in the audit details of the export.
    assert c.teacher.resident_id not in str(requested.details)


@pytest.mark.parametrize("purpose", ["", "  ", "看看"])
def test_a_purpose_is_required(c: Chain, purpose: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        ask(c, purpose=purpose)
    assert caught.value.code == "purpose_required"
    assert not ExportRequest.objects.exists()
    assert not AuditEvent.objects.exists()


def test_roles_without_the_duty_cannot_export(c: Chain) -> None:
    admin = make_staff(username="exp_admin", role=Role.INSTITUTION_ADMIN, institution=c.authority)
    with pytest.raises(PermissionDenied):
        ask(c, user=admin)
    assert not ExportRequest.objects.exists()


def test_a_campaign_of_another_province_is_refused(c: Chain) -> None:
    with pytest.raises(ValidationFailed) as caught:
        ask(c, campaign_id=999_999)
    assert caught.value.code == "invalid_campaign"


def test_above_the_threshold_a_second_person_at_the_same_or_higher_level_decides(c: Chain) -> None:
    OversightSetting.objects.create(
        province_code="340000", required_materials=[], export_approval_threshold=0
    )
    made = ask(c)
    assert made.needs_approval
    assert made.state == ExportRequest.State.PENDING
    assert made.threshold == 0
    # Nothing leaves before the approval.
    with pytest.raises(Conflict) as caught:
        svc.export_download(actor=c.registration_reviewer, pk=made.pk)
    assert caught.value.code == "export_not_approved"
    # Not the requester.
    with pytest.raises(PermissionDenied) as denied:
        svc.export_request_decide(
            actor=c.registration_reviewer, pk=made.pk, version=1, approve=True, reason="同意"
        )
    assert denied.value.code == "not_an_approver"
    # Not a lower institution: the school's reviewer does not even see it.
    with pytest.raises(NotFound):
        svc.export_request_decide(actor=c.school_reviewer, pk=made.pk, version=1, approve=True, reason="同意")
    # Not a sibling institution.
    elsewhere = make_staff(username="exp_wuhu", role=Role.CITY_RECHECKER, institution=_wuhu())
    with pytest.raises(NotFound):
        svc.export_request_decide(actor=elsewhere, pk=made.pk, version=1, approve=True, reason="同意")
    # A reason is required.
    with pytest.raises(ValidationFailed):
        svc.export_request_decide(actor=c.province_reviewer, pk=made.pk, version=1, approve=True, reason=" ")
    made.refresh_from_db()
    assert made.state == ExportRequest.State.PENDING
    # The city above approves.
    assert c.city_rechecker is not None
    approved = svc.export_request_decide(
        actor=c.city_rechecker, pk=made.pk, version=1, approve=True, reason="用于核对，同意"
    )
    assert approved.state == ExportRequest.State.APPROVED
    assert approved.decided_by == c.city_rechecker
    assert approved.version == 2
    # A second decision on the same version loses.
    with pytest.raises(Conflict):
        svc.export_request_decide(
            actor=c.province_reviewer, pk=made.pk, version=1, approve=False, reason="不同意"
        )
    # Only the requester downloads.
    with pytest.raises(PermissionDenied):
        svc.export_download(actor=c.city_rechecker, pk=made.pk)
    rows, _wb = sheet_rows(svc.export_download(actor=c.registration_reviewer, pk=made.pk).chunks)
    assert len(rows) == 3
    assert kinds() == [AuditKind.EXPORT_REQUESTED, AuditKind.EXPORT_APPROVED, AuditKind.EXPORT_DOWNLOADED]
    event = AuditEvent.objects.get(kind=AuditKind.EXPORT_APPROVED)
    assert event.actor_id == c.city_rechecker.pk
    assert event.details["reason"] == "用于核对，同意"


def test_a_colleague_at_the_same_institution_may_approve_and_a_rejection_blocks_the_download(
    c: Chain,
) -> None:
    OversightSetting.objects.create(
        province_code="340000", required_materials=[], export_approval_threshold=0
    )
    colleague = make_staff(username="exp_colleague", role=Role.REGISTRATION_REVIEWER, institution=c.authority)
    made = ask(c)
    rejected = svc.export_request_decide(
        actor=colleague, pk=made.pk, version=1, approve=False, reason="用途不明确"
    )
    assert rejected.state == ExportRequest.State.REJECTED
    with pytest.raises(Conflict) as caught:
        svc.export_download(actor=c.registration_reviewer, pk=made.pk)
    assert caught.value.code == "export_rejected"
    assert AuditKind.EXPORT_REJECTED in kinds()
    assert AuditKind.EXPORT_DOWNLOADED not in kinds()


def test_rows_grown_past_the_approval_are_refused(c: Chain) -> None:
    OversightSetting.objects.create(
        province_code="340000", required_materials=[], export_approval_threshold=0
    )
    made = ask(c)
    assert c.city_rechecker is not None
    svc.export_request_decide(actor=c.city_rechecker, pk=made.pk, version=1, approve=True, reason="同意")
    applicant, cert = another_applicant(c)
    application(c, status=Status.SCHOOL_REVIEW, applicant=applicant, certificate_=cert)
    with pytest.raises(ExportNeedsApproval):
        svc.export_download(actor=c.registration_reviewer, pk=made.pk)
    assert AuditKind.EXPORT_DOWNLOADED not in kinds()


def test_jurisdiction_rows_and_requests_of_others_stay_out(c: Chain) -> None:
    other = chain("county")
    application(other, status=Status.SCHOOL_REVIEW)
    mine = ask(c, user=c.school_reviewer)
    assert mine.row_count == 1
    rows, _wb = sheet_rows(svc.export_download(actor=c.school_reviewer, pk=mine.pk).chunks)
    assert [r[0] for r in rows[2:]] == [c.certificate.number]
    with pytest.raises(NotFound):
        svc.export_download(actor=other.school_reviewer, pk=mine.pk)


def test_status_filter_narrows_the_rows(c: Chain) -> None:
    assert ask(c, status=Status.SCHOOL_REVIEW).row_count == 1
    assert ask(c, status=Status.COMPLETED).row_count == 0
    with pytest.raises(ValidationFailed):
        ask(c, status="nonsense")


def test_formula_looking_cells_stay_text(c: Chain) -> None:
    c.teacher.name = '=HYPERLINK("http://x")'
    c.teacher.save(update_fields=["name"])
    made = ask(c, purpose="=cmd|calc 核对名单")
    export = svc.export_download(actor=c.registration_reviewer, pk=made.pk)
    workbook = load_workbook(io.BytesIO(b"".join(export.chunks)))
    sheet = workbook.worksheets[0]
    assert sheet["B3"].value == '\'=HYPERLINK("http://x")'
    assert sheet["B3"].data_type == "s"
    assert str(sheet["A1"].value).startswith("导出人")


def _wuhu() -> Any:
    from jiaozi.orgs.tests.factories import WUHU, bureau

    return bureau(WUHU)


# --- pages ---------------------------------------------------------------------------------


def staff(user: Any) -> Client:
    return sign_in(Client(), user)


def test_the_pages_ask_approve_and_download(c: Chain) -> None:
    OversightSetting.objects.create(
        province_code="340000", required_materials=[], export_approval_threshold=0
    )
    client = staff(c.registration_reviewer)
    url = reverse("exports:request_list")
    page = client.get(url)
    assert page.status_code == 200
    assert "申请导出" in page.content.decode()
    bad = client.post(url, {"dataset": "registration_applications", "campaign": c.campaign.pk, "purpose": ""})
    assert bad.status_code == 200
    assert not ExportRequest.objects.exists()
    made = client.post(
        url,
        {"dataset": "registration_applications", "campaign": c.campaign.pk, "purpose": "核对本区注册名单"},
    )
    assert made.status_code == 302
    request = ExportRequest.objects.get()
    assert not request.unmasked
    assert request.state == ExportRequest.State.PENDING
    # Pending: the button is not offered, and a direct post gives no file.
    listing = client.get(url).content.decode()
    assert 'data-testid="download"' not in listing
    early = client.post(reverse("exports:download", args=[request.pk]))
    assert "Content-Disposition" not in early
    assert early.status_code == 302
    # The requester's own queue does not hold it.
    assert "核对本区注册名单" not in client.get(reverse("exports:approval_queue")).content.decode()
    assert c.city_rechecker is not None
    city = staff(c.city_rechecker)
    queue = city.get(reverse("exports:approval_queue")).content.decode()
    assert "核对本区注册名单" in queue
    decided = city.post(
        reverse("exports:approval_queue"),
        {"request": request.pk, "version": request.version, "decision": "approve", "reason": "同意"},
    )
    assert decided.status_code == 302
    request.refresh_from_db()
    assert request.state == ExportRequest.State.APPROVED
    listing = client.get(url).content.decode()
    assert 'data-testid="download"' in listing
    # The download answers with a file and the page stays: the form is marked so that
    # jiaozi.js gives its button back (a second download works without reloading).
    download_url = reverse("exports:download", args=[request.pk])
    assert f'<form method="post" action="{download_url}" data-jz-download>' in listing
    file = client.post(reverse("exports:download", args=[request.pk]))
    assert file.status_code == 200
    assert file["Content-Disposition"].startswith("attachment;")
    rows, _wb = sheet_rows(file.streaming_content)  # type: ignore[attr-defined]
    assert len(rows) == 3
    # No personal data in the URL: only the request's number.
    assert str(request.pk) in reverse("exports:download", args=[request.pk])


# --- API -----------------------------------------------------------------------------------

API = "/api/v1/exports"


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(API + path, body, content_type="application/json")


def test_the_api_asks_decides_and_downloads(c: Chain) -> None:
    OversightSetting.objects.create(
        province_code="340000", required_materials=[], export_approval_threshold=0
    )
    me = staff(c.registration_reviewer)
    missing = post(me, "", {"campaign_id": c.campaign.pk, "purpose": "看"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "purpose_required"
    created = post(me, "", {"campaign_id": c.campaign.pk, "purpose": "核对本区注册名单"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "pending"
    assert body["unmasked"] is False
    pk = body["id"]
    early = me.get(f"{API}/{pk}/file")
    assert early.status_code == 409
    assert early.json()["code"] == "export_not_approved"
    own = post(me, f"/{pk}/approve", {"version": 1, "reason": "同意"})
    assert own.status_code == 403
    assert own.json()["code"] == "not_an_approver"
    assert c.city_rechecker is not None
    city = staff(c.city_rechecker)
    assert [r["id"] for r in city.get(f"{API}/approvals").json()] == [pk]
    approved = post(city, f"/{pk}/approve", {"version": 1, "reason": "同意"})
    assert approved.status_code == 200
    stale = post(city, f"/{pk}/reject", {"version": 1, "reason": "不同意"})
    assert stale.status_code == 409
    assert me.get(f"{API}/{pk}").json()["state"] == "approved"
    file = me.get(f"{API}/{pk}/file")
    assert file.status_code == 200
    rows, _wb = sheet_rows(file.streaming_content)  # type: ignore[attr-defined]
    assert len(rows) == 3
    stranger = staff(
        make_staff(username="exp_stranger", role=Role.REGISTRATION_REVIEWER, institution=_wuhu())
    )
    assert stranger.get(f"{API}/{pk}").status_code == 404


def test_the_queue_holds_requests_from_below_only_and_never_ones_own(c: Chain) -> None:
    from jiaozi.exports import selectors

    OversightSetting.objects.create(
        province_code="340000", required_materials=[], export_approval_threshold=0
    )
    made = ask(c)
    county_admin = make_staff(username="exp_ly_admin", role=Role.INSTITUTION_ADMIN, institution=c.authority)
    assert list(selectors.approval_queue(user=county_admin)) == [made]
    assert list(selectors.approval_queue(user=c.province_reviewer)) == [made]
    assert list(selectors.approval_queue(user=c.registration_reviewer)) == []
    assert list(selectors.approval_queue(user=c.school_reviewer)) == []
    decided = svc.export_request_decide(
        actor=county_admin, pk=made.pk, version=1, approve=True, reason="同意"
    )
    assert decided.state == ExportRequest.State.APPROVED
    assert list(selectors.approval_queue(user=c.province_reviewer)) == []


def test_due_teachers_who_have_not_applied(c: Chain) -> None:
    _applicant, missed_cert = another_applicant(c)
    made = ask(c, dataset="due_not_applied")
    assert made.row_count == 1
    rows, _wb = sheet_rows(svc.export_download(actor=c.registration_reviewer, pk=made.pk).chunks)
    assert rows[1][:3] == ("证书编号", "姓名", "身份证号")
    [data] = rows[2:]
    assert data[0] == missed_cert.number
    assert data[2] == mask_resident_id_of(missed_cert.teacher.resident_id)
    # The teacher who applied (the chain's) is not listed; a status filter does not apply.
    with pytest.raises(ValidationFailed):
        ask(c, dataset="due_not_applied", status=Status.SCHOOL_REVIEW)


def mask_resident_id_of(value: str) -> str:
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
