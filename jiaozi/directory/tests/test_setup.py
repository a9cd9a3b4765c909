"""Institution set-up: the registration plan, the province's view of who has not
finished, reminders, and the public directory generated from the published info."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.directory import selectors, services
from jiaozi.directory.models import RegistrationPlan, SetupReminder
from jiaozi.notifications.models import Notification
from jiaozi.orgs.models import Institution
from jiaozi.orgs.services import institution_update_public_info
from jiaozi.orgs.tests.factories import LUYANG, YAOHAI, confirmation_point, school
from jiaozi.registration.tests.factories_applications import active_campaign

pytestmark = pytest.mark.django_db

PLAN = {"kindergarten": 120, "primary": 860, "junior": 540, "senior": 310, "vocational": 45, "special": 6}


@pytest.fixture(autouse=True)
def _world(db: None) -> Any:
    campaign = active_campaign()
    # Both counties review schools, so both are registration institutions.
    school("3401030001", LUYANG, name="合肥市第一中学")
    school("3401020001", YAOHAI, name="合肥市瑶海实验学校")
    return campaign


def fill_public_info(admin: Any) -> None:
    institution = admin.institution
    institution_update_public_info(
        actor=admin,
        pk=institution.pk,
        address=f"{institution.name}政务服务中心3楼",
        phone="0551-65661234",
        office_hours="工作日 8:30-12:00，14:30-17:30",
        version=institution.version,
    )
    admin.institution.refresh_from_db()


# --- Plan ---------------------------------------------------------------------------


def test_plan_is_saved_with_its_total_and_audited(ly_admin: Any) -> None:
    plan = services.registration_plan_save(actor=ly_admin, expected=PLAN, notes="按2019年注册人数估算")
    assert plan.total == sum(PLAN.values())
    assert plan.campaign == active_campaign()
    assert AuditEvent.objects.filter(kind=AuditKind.REGISTRATION_PLAN_SAVED).count() == 1


def test_plan_change_is_compare_and_set(ly_admin: Any) -> None:
    plan = services.registration_plan_save(actor=ly_admin, expected=PLAN)
    services.registration_plan_save(actor=ly_admin, expected={**PLAN, "primary": 900}, version=plan.version)
    with pytest.raises(Conflict) as caught:
        services.registration_plan_save(actor=ly_admin, expected={**PLAN, "primary": 1}, version=plan.version)
    assert caught.value.code == "stale_version"
    with pytest.raises(Conflict):
        services.registration_plan_save(actor=ly_admin, expected=PLAN)  # a second "first" plan
    assert RegistrationPlan.objects.get().expected["primary"] == 900


@pytest.mark.parametrize(
    "expected",
    [{"primary": -1}, {"primary": "many"}, {"primary": 100_001}, {"university": 3}, {"primary": True}],
)
def test_plan_refuses_bad_numbers_and_writes_nothing(ly_admin: Any, expected: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.registration_plan_save(actor=ly_admin, expected=expected)
    assert caught.value.field_errors
    assert not RegistrationPlan.objects.exists()


def test_only_an_institutions_admin_keeps_its_plan(ly_reviewer: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.registration_plan_save(actor=ly_reviewer, expected=PLAN)


# --- Overview and reminders -----------------------------------------------------------


def test_province_sees_who_has_not_finished(prov_admin: Any, ly_admin: Any, yh_admin: Any) -> None:
    fill_public_info(ly_admin)
    services.registration_plan_save(actor=ly_admin, expected=PLAN)
    fill_public_info(yh_admin)  # 瑶海 has no plan yet
    campaign = active_campaign()
    unfinished = selectors.setup_list(user=prov_admin, campaign=campaign, status="unfinished")
    finished = selectors.setup_list(user=prov_admin, campaign=campaign, status="finished")
    assert ly_admin.institution in finished
    assert yh_admin.institution in unfinished
    row = unfinished.get(pk=yh_admin.institution.pk)
    assert selectors.missing_of(row) == ["plan"]
    summary = selectors.setup_summary(selectors.setup_list(user=prov_admin, campaign=campaign))
    assert summary["finished"] == 1
    assert summary["expected"] == sum(PLAN.values())


def test_a_county_admin_oversees_nothing_beyond_itself(ly_admin: Any, yh_admin: Any) -> None:
    rows = selectors.setup_list(user=ly_admin, campaign=active_campaign())
    assert yh_admin.institution not in rows


def test_reminders_reach_the_unfinished_institutions_admins_once_a_day(
    prov_admin: Any, ly_admin: Any, yh_admin: Any
) -> None:
    fill_public_info(ly_admin)
    services.registration_plan_save(actor=ly_admin, expected=PLAN)
    result = services.setup_remind(actor=prov_admin)
    assert yh_admin.institution.pk in result.sent
    assert ly_admin.institution.pk not in result.sent  # finished
    message = Notification.objects.get(recipient=yh_admin)
    assert "注册计划" in message.body
    assert "公开信息" in message.body
    assert message.link == reverse("directory:setup")
    assert not Notification.objects.filter(recipient=ly_admin).exists()
    reminder = SetupReminder.objects.get(institution=yh_admin.institution)
    assert reminder.missing == ["public_info", "plan"]
    assert AuditEvent.objects.filter(
        kind=AuditKind.SETUP_REMINDER_SENT, object_id=str(yh_admin.institution.pk)
    ).exists()

    again = services.setup_remind(actor=prov_admin, institution_ids=[yh_admin.institution.pk])
    assert again.recently_reminded == [yh_admin.institution.pk]
    assert Notification.objects.filter(recipient=yh_admin).count() == 1


def test_reminders_only_within_jurisdiction(hf_admin: Any, ly_admin: Any, yh_admin: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.setup_remind(
            actor=ly_admin.__class__.objects.get(pk=ly_admin.pk) if False else _reviewer(ly_admin)
        )
    result = services.setup_remind(actor=hf_admin)
    assert set(result.sent) >= {ly_admin.institution.pk, yh_admin.institution.pk}
    assert hf_admin.institution.pk not in result.sent


def _reviewer(admin: Any) -> Any:
    from jiaozi.accounts.tests.factories import make_staff

    return make_staff(role="registration_reviewer", institution=admin.institution)


# --- Pages ----------------------------------------------------------------------------


def test_plan_page_round_trip(ly_admin: Any, signed_in: Any) -> None:
    staff = signed_in(ly_admin)
    assert staff.get(reverse("directory:plan")).status_code == 200
    response = staff.post(reverse("directory:plan"), {**PLAN, "notes": "", "version": 0})
    assert response.status_code == 302
    setup = staff.get(reverse("directory:setup")).content.decode()
    assert "已提交" in setup
    assert str(sum(PLAN.values())) in setup


def test_overview_page_and_remind(prov_admin: Any, yh_admin: Any, signed_in: Any) -> None:
    staff = signed_in(prov_admin)
    page = staff.get(reverse("directory:overview"), {"status": "unfinished"})
    assert page.status_code == 200
    assert yh_admin.institution.name in page.content.decode()
    response = staff.post(reverse("directory:remind"), {"institution_ids": [yh_admin.institution.pk]})
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=yh_admin).count() == 1


# --- Public directory -----------------------------------------------------------------


def test_directory_lists_every_institution_that_filled_its_info(
    client: Any, ly_admin: Any, yh_admin: Any
) -> None:
    fill_public_info(ly_admin)
    point = confirmation_point("340103QR01", LUYANG, name="庐阳区教师资格现场确认点")
    Institution.objects.filter(pk=point.pk).update(address="庐阳区阜南路1号")
    response = client.get(reverse("directory_public:list"), {"county": LUYANG})
    body = response.content.decode()
    assert ly_admin.institution.address in body
    assert "0551-65661234" in body
    assert "庐阳区教师资格现场确认点" in body
    assert yh_admin.institution.name not in body  # another county
    by_city = client.get(reverse("directory_public:list"), {"city": "340100"}).content.decode()
    assert ly_admin.institution.name in by_city
    assert yh_admin.institution.name in by_city


def test_directory_leaves_out_schools_and_points_as_entries(client: Any) -> None:
    names = [i.name for i in selectors.public_directory(county=LUYANG)]
    assert "合肥市第一中学" not in names
    assert all(not n.endswith("确认点") for n in names)


def test_api_plan_and_setup(ly_admin: Any, prov_admin: Any, signed_in: Any, client: Any) -> None:
    api = signed_in(ly_admin)
    saved = api.put("/api/v1/directory/plan", {"expected": {"primary": 10}}, content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["total"] == 10
    stale = api.put(
        "/api/v1/directory/plan", {"expected": {"primary": 11}, "version": 9}, content_type="application/json"
    )
    assert stale.status_code == 409
    api.logout()
    api = signed_in(prov_admin)
    rows = api.get("/api/v1/directory/setup", {"status": "unfinished"}).json()["items"]
    by_id = {row["institution_id"]: row for row in rows}
    assert by_id[ly_admin.institution.pk]["missing"] == ["public_info"]
