"""Campaign services (create, update: permission, validation, compare-and-set, audit) and
the audited pre-check export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.idcard import make
from jiaozi.orgs.tests.factories import LUYANG, PROVINCE, YAOHAI, bureau, school
from jiaozi.registration.campaigns import services
from jiaozi.registration.models import Campaign
from jiaozi.registration.precheck import services as precheck_services
from jiaozi.registration.precheck.selectors import PrecheckFilters
from jiaozi.registration.tests.factories import anhui_2024, at, certificate, clean_periodic, teacher

pytestmark = pytest.mark.django_db
ZHANG_ID = make("34010419900101123")
MakeStaff = Callable[..., User]


def values(year: int, **changes: Any) -> dict[str, Any]:
    base = {
        "name": f"安徽省{year}年中小学教师资格定期注册",
        "registration_date": dt.date(year, 12, 31),
        "system_opens_at": at(year, 9, 1),
        "system_closes_at": at(year, 12, 27, 17),
        "apply_opens_at": at(year, 9, 10),
        "apply_closes_at": at(year, 12, 15, 17),
        "school_review_opens_at": at(year, 9, 10),
        "school_review_closes_at": at(year, 12, 15, 17),
        "review_opens_at": at(year, 9, 10),
        "review_closes_at": at(year, 12, 18, 17),
        "recheck_opens_at": at(year, 9, 10),
        "recheck_closes_at": at(year, 12, 20, 17),
        "final_review_opens_at": at(year, 9, 10),
        "final_review_closes_at": at(year, 12, 27, 17),
    }
    return base | changes


@pytest.fixture
def admin(make_staff: MakeStaff) -> User:
    return make_staff(bureau(PROVINCE), Role.PROVINCE_ADMIN, real_name="省管理员")


def test_province_admin_creates_a_campaign_with_an_audit_row(admin: User) -> None:
    campaign = services.campaign_create(actor=admin, year=2025, **values(2025))
    assert (campaign.province_code, campaign.year, campaign.is_active) == ("340000", 2025, False)
    assert (campaign.training_hours_required, campaign.notice_days) == (Decimal(360), 7)
    event = AuditEvent.objects.get(kind=AuditKind.CAMPAIGN_CREATED)
    assert (event.actor_id, event.object_id) == (admin.pk, str(campaign.pk))
    assert event.details["apply_closes_at"] == "2025-12-15T17:00:00+08:00"
    assert event.details["registration_date"] == "2025-12-31"


@pytest.mark.parametrize(
    ("role", "institution"),
    [
        (Role.INSTITUTION_ADMIN, PROVINCE),
        (Role.PROVINCE_REVIEWER, PROVINCE),
        (Role.INSTITUTION_ADMIN, LUYANG),
    ],
)
def test_others_may_not_create_campaigns(make_staff: MakeStaff, role: str, institution: str) -> None:
    with pytest.raises(PermissionDenied):
        services.campaign_create(actor=make_staff(bureau(institution), role), year=2025, **values(2025))
    assert not Campaign.objects.filter(year=2025).exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.CAMPAIGN_CREATED).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"apply_opens_at": at(2025, 8, 1)}, "apply_opens_at"),
        ({"final_review_closes_at": at(2025, 12, 31)}, "final_review_closes_at"),
        ({"recheck_closes_at": at(2025, 12, 16)}, "recheck_closes_at"),
        ({"system_opens_at": at(2024, 12, 1)}, "system_opens_at"),
        ({"registration_date": dt.date(2023, 12, 31)}, "registration_date"),
        ({"registration_date": dt.date(2025, 8, 1)}, "registration_date"),
        ({"training_hours_required": Decimal(0)}, "training_hours_required"),
        ({"notice_days": 0}, "notice_days"),
    ],
)
def test_create_validates(admin: User, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.campaign_create(actor=admin, year=2025, **values(2025, **changes))
    assert field in caught.value.field_errors
    assert not Campaign.objects.filter(year=2025).exists()


def test_one_campaign_per_province_and_year(admin: User) -> None:
    with pytest.raises(Conflict):
        services.campaign_create(actor=admin, year=2024, **values(2024))


def test_only_one_active_campaign_per_province(admin: User) -> None:
    with pytest.raises(Conflict, match="已有启用的注册工作"):
        services.campaign_create(actor=admin, year=2025, **values(2025, is_active=True))
    campaign = services.campaign_create(actor=admin, year=2025, **values(2025))
    with pytest.raises(Conflict):
        services.campaign_update(
            actor=admin, campaign_id=campaign.pk, version=campaign.version, is_active=True
        )
    old = anhui_2024()
    services.campaign_update(actor=admin, campaign_id=old.pk, version=old.version, is_active=False)
    updated = services.campaign_update(
        actor=admin, campaign_id=campaign.pk, version=campaign.version, is_active=True
    )
    assert updated.is_active


def test_update_is_compare_and_set_and_audited(admin: User) -> None:
    campaign = anhui_2024()
    updated = services.campaign_update(
        actor=admin,
        campaign_id=campaign.pk,
        version=campaign.version,
        apply_closes_at=at(2024, 12, 14, 17),
        training_hours_required=Decimal(300),
    )
    assert updated.version == campaign.version + 1
    assert updated.apply_closes_at == at(2024, 12, 14, 17)
    event = AuditEvent.objects.get(kind=AuditKind.CAMPAIGN_UPDATED)
    assert event.details["changes"] == {
        "apply_closes_at": ["2024-12-15T17:00:00+08:00", "2024-12-14T17:00:00+08:00"],
        "training_hours_required": ["360.0", "300"],
    }
    with pytest.raises(Conflict, match="已被他人修改"):
        services.campaign_update(
            actor=admin, campaign_id=campaign.pk, version=campaign.version, notice_days=10
        )
    assert AuditEvent.objects.filter(kind=AuditKind.CAMPAIGN_UPDATED).count() == 1


def test_update_validates_against_the_stored_windows(admin: User) -> None:
    campaign = anhui_2024()
    with pytest.raises(ValidationFailed) as caught:
        services.campaign_update(
            actor=admin, campaign_id=campaign.pk, version=campaign.version, apply_opens_at=at(2024, 9, 1)
        )
    assert "apply_opens_at" in caught.value.field_errors


def test_update_by_others(make_staff: MakeStaff) -> None:
    campaign = anhui_2024()
    with pytest.raises(PermissionDenied):
        services.campaign_update(
            actor=make_staff(bureau(PROVINCE), Role.PROVINCE_REVIEWER),
            campaign_id=campaign.pk,
            version=campaign.version,
            notice_days=5,
        )
    other = Campaign.objects.create(**values(2024, name="外省"), province_code="320000", year=2024)
    with pytest.raises(NotFound):
        services.campaign_update(
            actor=make_staff(bureau(PROVINCE), Role.PROVINCE_ADMIN),
            campaign_id=other.pk,
            version=other.version,
            notice_days=5,
        )


# --- Export ------------------------------------------------------------------------------


@pytest.fixture
def due_teachers() -> None:
    ly = school("3401030001", name="庐阳一中")
    yh = school("3401020001", county=YAOHAI, name="瑶海一中")
    for sch, name in ((ly, "张三"), (ly, "=HYPERLINK"), (yh, "李四")):
        extra = {"resident_id": ZHANG_ID} if name == "张三" else {}
        person = teacher(school=sch, name=name, **extra)
        clean_periodic(person)
        certificate(person)


def test_export_is_audited_masked_and_watermarked(make_staff: MakeStaff, due_teachers: None) -> None:
    user = make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER, real_name="王审核", username="wang")
    export = precheck_services.precheck_export(
        actor=user, campaign=anhui_2024(), filters=PrecheckFilters(), purpose="报送注册计划", fmt="csv"
    )
    text = b"".join(export.chunks).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0].startswith("导出人：王审核（wang）  导出时间：")
    assert "用途：报送注册计划" in rows[0][0]
    assert rows[1] == list(precheck_services.EXPORT_HEADER)
    body = rows[2:]
    assert {row[1] for row in body} == {"张三", "'=HYPERLINK"}  # 瑶海区 is out of scope
    zhang = next(row for row in body if row[1] == "张三")
    assert zhang[2] == ZHANG_ID[:6] + "********" + ZHANG_ID[-4:]
    assert ZHANG_ID not in text
    assert zhang[4:6] == ["定期注册", "注册合格"]
    event = AuditEvent.objects.get(kind=AuditKind.EXPORT)
    assert event.details["purpose"] == "报送注册计划"
    assert event.details["what"] == "registration_precheck"


def test_export_xlsx(make_staff: MakeStaff, due_teachers: None) -> None:
    user = make_staff(bureau(PROVINCE), Role.PROVINCE_REVIEWER)
    export = precheck_services.precheck_export(
        actor=user,
        campaign=anhui_2024(),
        filters=PrecheckFilters(q="李"),
        purpose="核对名单数据",
        fmt="xlsx",
    )
    workbook = load_workbook(io.BytesIO(b"".join(export.chunks)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert str(rows[0][0]).startswith("导出人：")
    assert [row[1] for row in rows[2:]] == ["李四"]
    assert AuditEvent.objects.get(kind=AuditKind.EXPORT).details["filters"]["q"] == "李*"


def test_export_xlsx_has_no_live_formula(make_staff: MakeStaff, due_teachers: None) -> None:
    """Names from the teacher records (one is "=HYPERLINK") go out as text cells with
    the apostrophe, in the .xlsx as in the CSV; no cell is a formula."""
    user = make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER)
    export = precheck_services.precheck_export(
        actor=user, campaign=anhui_2024(), filters=PrecheckFilters(), purpose="核对名单数据", fmt="xlsx"
    )
    sheet = load_workbook(io.BytesIO(b"".join(export.chunks))).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type == "s" for cell in cells)
    assert not any(str(cell.value).startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert "'=HYPERLINK" in {cell.value for cell in cells}


def test_export_needs_a_purpose_and_a_role(make_staff: MakeStaff, due_teachers: None) -> None:
    reviewer = make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER)
    with pytest.raises(ValidationFailed):
        precheck_services.precheck_export(
            actor=reviewer, campaign=anhui_2024(), filters=PrecheckFilters(), purpose="  导出 "
        )
    with pytest.raises(PermissionDenied):
        precheck_services.precheck_export(
            actor=make_staff(bureau(PROVINCE), Role.AUDIT_ADMIN),
            campaign=anhui_2024(),
            filters=PrecheckFilters(),
            purpose="核对名单数据",
        )
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()


def test_export_queries_do_not_grow_with_the_rows(
    make_staff: MakeStaff, django_assert_max_num_queries: Any
) -> None:
    sch = school("3401030001")
    user = make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER)

    def export_rows() -> int:
        export = precheck_services.precheck_export(
            actor=user, campaign=anhui_2024(), filters=PrecheckFilters(), purpose="核对名单数据"
        )
        return b"".join(export.chunks).decode("utf-8").count("\n") - 2

    for _ in range(3):
        person = teacher(school=sch)
        clean_periodic(person)
        certificate(person)
    # The campaign, the audit row (its chain head is created on first use), the
    # certificates, the rules (6), the display rows and the resident IDs.
    with django_assert_max_num_queries(20) as captured:
        assert export_rows() == 3
    for _ in range(30):
        person = teacher(school=sch)
        clean_periodic(person)
        certificate(person)
    with django_assert_max_num_queries(len(captured)):
        assert export_rows() == 33
