"""Registration pages: one allowed and one forbidden case per page, the jurisdiction of
the pre-check screen, its filters, paging and export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.orgs.tests.factories import HEFEI, LUYANG, PROVINCE, YAOHAI, bureau, school
from jiaozi.registration.models import Campaign
from jiaozi.registration.tests.factories import anhui_2024, certificate, clean_periodic, teacher, training

pytestmark = pytest.mark.django_db
MakeStaff = Callable[..., User]
SignedIn = Callable[[User], Client]


def form_data(campaign: Campaign, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": campaign.name,
        "year": campaign.year,
        "registration_date": campaign.registration_date.isoformat(),
        "training_hours_required": str(campaign.training_hours_required),
        "notice_days": campaign.notice_days,
        "is_active": "on" if campaign.is_active else "",
        "version": campaign.version,
    }
    for action in ("system", "apply", "school_review", "review", "recheck", "final_review"):
        for edge in ("opens", "closes"):
            value = getattr(campaign, f"{action}_{edge}_at").astimezone(dt.timezone(dt.timedelta(hours=8)))
            data[f"{action}_{edge}_at"] = value.strftime("%Y-%m-%dT%H:%M")
    return data | changes


# --- Campaign pages ----------------------------------------------------------------------


def test_campaign_list_and_detail_for_registration_staff(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(school("3401030001"), Role.SCHOOL_REVIEWER))
    response = client.get(reverse("registration:campaign_list"))
    assert response.status_code == 200
    assert "安徽省2024年中小学教师资格定期注册" in response.content.decode()
    assert "新建注册工作" not in response.content.decode()
    response = client.get(reverse("registration:campaign_detail", args=[anhui_2024().pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "2024年9月13日至12月15日17时" in body
    assert "修改设置" not in body


def test_campaign_pages_refuse_roles_outside_registration(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau(PROVINCE), Role.AUDIT_ADMIN))
    assert client.get(reverse("registration:campaign_list")).status_code == 403
    assert client.get(reverse("registration:campaign_detail", args=[anhui_2024().pk])).status_code == 403


def test_campaign_of_another_province_is_not_found(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    other = Campaign.objects.create(
        **{f: getattr(anhui_2024(), f) for f in form_data(anhui_2024()) if f not in {"version", "year"}}
        | {"province_code": "320000", "year": 2024, "is_active": False}
    )
    client = signed_in(make_staff(bureau(PROVINCE), Role.PROVINCE_ADMIN))
    assert client.get(reverse("registration:campaign_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("registration:campaign_edit", args=[other.pk])).status_code == 404


def test_anonymous_goes_to_sign_in(client: Client) -> None:
    response = client.get(reverse("registration:campaign_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_province_admin_edits_the_windows(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau(PROVINCE), Role.PROVINCE_ADMIN))
    campaign = anhui_2024()
    url = reverse("registration:campaign_edit", args=[campaign.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(campaign, apply_closes_at="2024-12-14T17:00"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.apply_closes_at.isoformat() == "2024-12-14T09:00:00+00:00"
    assert campaign.version == 2
    assert AuditEvent.objects.filter(kind=AuditKind.CAMPAIGN_UPDATED).count() == 1


def test_edit_form_shows_window_errors(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau(PROVINCE), Role.PROVINCE_ADMIN))
    campaign = anhui_2024()
    response = client.post(
        reverse("registration:campaign_edit", args=[campaign.pk]),
        form_data(campaign, apply_opens_at="2024-09-01T00:00"),
    )
    assert response.status_code == 200
    assert "本人申请不能早于系统开放时间" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.version == 1


def test_stale_edit_is_refused(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau(PROVINCE), Role.PROVINCE_ADMIN))
    campaign = anhui_2024()
    Campaign.objects.filter(pk=campaign.pk).update(version=5)
    response = client.post(reverse("registration:campaign_edit", args=[campaign.pk]), form_data(campaign))
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()


def test_province_admin_creates_a_campaign(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau(PROVINCE), Role.PROVINCE_ADMIN))
    url = reverse("registration:campaign_create")
    assert client.get(url).status_code == 200
    data = form_data(anhui_2024(), name="安徽省2025年定期注册", year=2025, is_active="", version="")
    data = {
        key: value.replace("2024-", "2025-") if isinstance(value, str) else value
        for key, value in data.items()
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Campaign.objects.get(province_code="340000", year=2025)
    assert response["Location"] == reverse("registration:campaign_detail", args=[created.pk])
    assert AuditEvent.objects.filter(kind=AuditKind.CAMPAIGN_CREATED, object_id=str(created.pk)).exists()


def test_other_staff_may_not_create_or_edit(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau(PROVINCE), Role.PROVINCE_REVIEWER))
    assert client.get(reverse("registration:campaign_create")).status_code == 403
    campaign = anhui_2024()
    response = client.post(
        reverse("registration:campaign_edit", args=[campaign.pk]), form_data(campaign, notice_days=3)
    )
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.notice_days == 7


# --- Pre-check screen ----------------------------------------------------------------------


@pytest.fixture
def population() -> dict[str, Any]:
    ly = school("3401030001", name="庐阳一中")
    ly2 = school("3401030002", name="庐阳二中")
    yh = school("3401020001", county=YAOHAI, name="瑶海一中")
    made: dict[str, Any] = {"ly": ly, "ly2": ly2, "yh": yh}
    for index in range(30):
        person = teacher(school=ly if index % 3 else ly2, name=f"庐阳教师{index:02d}")
        clean_periodic(person, hours=200 if index % 5 == 0 else 360)
        certificate(person)
    newcomer = teacher(school=ly, name="新人甲", probation_passed_on=dt.date(2024, 12, 1))
    certificate(newcomer, last_conclusion="", valid_to=None)
    later = teacher(school=ly, name="未到期乙")
    certificate(later, valid_to=dt.date(2027, 1, 1))
    other = teacher(school=yh, name="瑶海教师")
    clean_periodic(other)
    training(other, [(dt.date(2023, 1, 1), 10)])
    certificate(other)
    return made


def test_precheck_lists_the_jurisdiction_only(
    make_staff: MakeStaff, signed_in: SignedIn, population: dict[str, Any]
) -> None:
    client = signed_in(make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER))
    response = client.get(reverse("registration:precheck"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    page = response.context["page_obj"]
    assert page.paginator.count == 31  # 30 periodic + 1 first; not the not-yet-due one, not 瑶海
    names = {item.teacher_name for item in page}
    assert "瑶海教师" not in names
    assert "未到期乙" not in names
    body = response.content.decode()
    assert "注册周期内培训学时不足" in body
    assert {c["due"]: c["count"] for c in response.context["counts"]} == {
        "first": 1,
        "periodic": 30,
        "after_deferral": 0,
    }


def test_precheck_for_a_school_reviewer_is_its_school(
    make_staff: MakeStaff, signed_in: SignedIn, population: dict[str, Any]
) -> None:
    client = signed_in(make_staff(population["ly2"], Role.SCHOOL_REVIEWER))
    page = client.get(reverse("registration:precheck")).context["page_obj"]
    assert page.paginator.count == 10
    assert {item.school_name for item in page} == {"庐阳二中"}


def test_precheck_filters(make_staff: MakeStaff, signed_in: SignedIn, population: dict[str, Any]) -> None:
    client = signed_in(make_staff(bureau(HEFEI), Role.CITY_RECHECKER))
    url = reverse("registration:precheck")
    assert client.get(url).context["page_obj"].paginator.count == 32
    assert client.get(url, {"suggestion": "deferred"}).context["page_obj"].paginator.count == 6
    assert client.get(url, {"reason": "training_hours_short"}).context["page_obj"].paginator.count == 6
    assert client.get(url, {"due": "first"}).context["page_obj"].paginator.count == 1
    assert client.get(url, {"school": population["ly2"].pk}).context["page_obj"].paginator.count == 10
    assert client.get(url, {"q": "新人"}).context["page_obj"].paginator.count == 1
    combined = client.get(url, {"school": population["ly"].pk, "suggestion": "deferred"}).context["page_obj"]
    assert combined.paginator.count == 4
    assert all(item.suggestion == "deferred" for item in combined)
    # A school out of scope or a made-up value is ignored, never an error page.
    county = signed_in(make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER))
    response = county.get(url, {"school": population["yh"].pk, "due": "nonsense"})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 31


def test_precheck_page_queries_do_not_grow_with_the_page(
    make_staff: MakeStaff, signed_in: SignedIn, population: dict[str, Any], django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER))
    with django_assert_max_num_queries(25) as captured:
        client.get(reverse("registration:precheck"))
    first = len(captured)
    # Session, user, device and institution (6 with the session save), the campaign, the
    # count, the page, the six rule queries, the due counts and the school choices.
    assert first <= 18, "\n".join(q["sql"][:120] for q in captured.captured_queries)
    for index in range(40):
        person = teacher(school=population["ly"], name=f"新增{index}")
        clean_periodic(person)
        certificate(person)
    with django_assert_max_num_queries(first):
        response = client.get(reverse("registration:precheck"))
    assert len(response.context["page_obj"]) == 50


def test_precheck_refuses_other_roles(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau(PROVINCE), Role.SECURITY_ADMIN))
    assert client.get(reverse("registration:precheck")).status_code == 403


def test_precheck_without_an_active_campaign(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    Campaign.objects.update(is_active=False)
    client = signed_in(make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER))
    response = client.get(reverse("registration:precheck"))
    assert response.status_code == 200
    assert "当前没有进行中的定期注册工作" in response.content.decode()


def test_export_downloads_an_audited_file(
    make_staff: MakeStaff, signed_in: SignedIn, population: dict[str, Any]
) -> None:
    client = signed_in(make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER, real_name="赵审核"))
    response = client.post(
        reverse("registration:precheck_export"),
        {"purpose": "核对本县注册名单", "fmt": "csv", "suggestion": "deferred"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="registration-precheck-')
    text = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("导出人：赵审核")
    assert len(lines) == 2 + 6
    assert "瑶海教师" not in text
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT).count() == 1


def test_export_without_a_purpose_is_refused(
    make_staff: MakeStaff, signed_in: SignedIn, population: dict[str, Any]
) -> None:
    client = signed_in(make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER))
    response = client.post(
        reverse("registration:precheck_export"), {"purpose": "", "fmt": "csv", "due": "first"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:precheck") + "?due=first"
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()
    assert client.get(reverse("registration:precheck_export")).status_code == 405


def test_export_refuses_other_roles(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau(PROVINCE), Role.AUDIT_ADMIN))
    response = client.post(reverse("registration:precheck_export"), {"purpose": "核对名单数据", "fmt": "csv"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()
