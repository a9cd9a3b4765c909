"""The registration API: campaigns and the pre-check list; one allowed and one
forbidden case per operation."""

from __future__ import annotations

import datetime as dt

import pytest

from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.api.testing import staff_user, token_client
from jiaozi.orgs.tests.factories import LUYANG, PROVINCE, YAOHAI, bureau, school
from jiaozi.registration.models import Campaign
from jiaozi.registration.tests.factories import anhui_2024, certificate, clean_periodic, teacher

pytestmark = pytest.mark.django_db
BASE = "/api/v1/registration"


def new_campaign(year: int = 2025) -> dict[str, object]:
    def t(month: int, day: int, hour: int = 0) -> str:
        return f"{year}-{month:02d}-{day:02d}T{hour:02d}:00:00+08:00"

    return {
        "year": year,
        "name": f"安徽省{year}年定期注册",
        "registration_date": f"{year}-12-31",
        "system_opens_at": t(9, 1),
        "system_closes_at": t(12, 27, 17),
        **{
            f"{step}_opens_at": t(9, 10)
            for step in ("apply", "school_review", "review", "recheck", "final_review")
        },
        **{f"{step}_closes_at": t(12, 15, 17) for step in ("apply", "school_review", "review", "recheck")},
        "final_review_closes_at": t(12, 27, 17),
    }


def test_campaign_list_and_detail() -> None:
    api = token_client(staff_user(school("3401030001"), Role.SCHOOL_REVIEWER))
    response = api.get(f"{BASE}/campaigns")
    assert response.status_code == 200
    assert [c["year"] for c in response.json()] == [2024]
    detail = api.get(f"{BASE}/campaigns/{anhui_2024().pk}").json()
    apply = next(w for w in detail["windows"] if w["action"] == "apply")
    assert apply["text"] == "2024年9月13日至12月15日17时"
    assert apply["closes_at"].startswith("2024-12-15T09:00:00")


def test_campaigns_refused_outside_registration_roles() -> None:
    api = token_client(staff_user(bureau(PROVINCE), Role.AUDIT_ADMIN))
    assert api.get(f"{BASE}/campaigns").status_code == 403
    assert api.get(f"{BASE}/campaigns/{anhui_2024().pk}").status_code == 403


def test_campaign_create_is_idempotent_and_audited() -> None:
    api = token_client(staff_user(bureau(PROVINCE), Role.PROVINCE_ADMIN))
    first = api.post_json(f"{BASE}/campaigns", new_campaign(), idempotency_key="c-2025")
    assert first.status_code == 201, first.json()
    again = api.post_json(f"{BASE}/campaigns", new_campaign(), idempotency_key="c-2025")
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Campaign.objects.filter(year=2025).count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.CAMPAIGN_CREATED).count() == 1


def test_campaign_create_refused_for_others_and_invalid_windows() -> None:
    reviewer = token_client(staff_user(bureau(PROVINCE), Role.PROVINCE_REVIEWER))
    assert reviewer.post_json(f"{BASE}/campaigns", new_campaign()).status_code == 403
    admin = token_client(staff_user(bureau(PROVINCE), Role.PROVINCE_ADMIN))
    bad = new_campaign() | {"apply_opens_at": "2025-08-01T00:00:00+08:00"}
    response = admin.post_json(f"{BASE}/campaigns", bad)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert not Campaign.objects.filter(year=2025).exists()


def test_campaign_update_with_version() -> None:
    admin = token_client(staff_user(bureau(PROVINCE), Role.PROVINCE_ADMIN))
    campaign = anhui_2024()
    url = f"{BASE}/campaigns/{campaign.pk}"
    response = admin.patch_json(url, {"version": 1, "apply_closes_at": "2024-12-14T17:00:00+08:00"})
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    stale = admin.patch_json(url, {"version": 1, "notice_days": 10})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"


def test_campaign_update_refused_for_others() -> None:
    api = token_client(staff_user(bureau(LUYANG), Role.INSTITUTION_ADMIN))
    response = api.patch_json(f"{BASE}/campaigns/{anhui_2024().pk}", {"version": 1, "notice_days": 10})
    assert response.status_code == 403
    assert anhui_2024().notice_days == 7


def test_precheck_list_in_the_jurisdiction() -> None:
    for sch in (school("3401030001"), school("3401020001", county=YAOHAI)):
        person = teacher(school=sch, name=f"教师{sch.code}")
        clean_periodic(person, hours=100)
        certificate(person, valid_to=dt.date(2025, 1, 31))
    api = token_client(staff_user(bureau(LUYANG), Role.REGISTRATION_REVIEWER))
    body = api.get(f"{BASE}/precheck", {"suggestion": "deferred"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["teacher_name"] == "教师3401030001"
    assert (item["due"], item["suggestion"]) == ("periodic", "deferred")
    assert item["reasons"] == ["validity_ending", "training_hours_short"]
    assert item["reason_labels"][1] == "注册周期内培训学时不足"
    assert api.get(f"{BASE}/precheck", {"due": "not_yet_due"}).status_code == 400


def test_precheck_list_refused_for_others() -> None:
    api = token_client(staff_user(bureau(PROVINCE), Role.SECURITY_ADMIN))
    assert api.get(f"{BASE}/precheck").status_code == 403
