"""Institution pages: one allowed and one forbidden case per page, and the jurisdiction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import bureau, department, school

pytestmark = pytest.mark.django_db

MakeStaff = Callable[..., User]
SignedIn = Callable[[User], Client]


@pytest.fixture
def schools() -> dict[str, Institution]:
    return {
        "ly": school("3401030001", name="合肥市庐阳区第一中学"),
        "yh": school("3401020001", county="340102", name="合肥市瑶海区第一中学"),
    }


# --- list ---------------------------------------------------------------------


def test_list_shows_the_jurisdiction_only(
    make_staff: MakeStaff, signed_in: SignedIn, schools: dict[str, Institution]
) -> None:
    client = signed_in(make_staff(bureau("340103")))
    response = client.get(reverse("orgs:institution_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "合肥市庐阳区第一中学" in body
    assert "合肥市瑶海区第一中学" not in body
    assert [i.code for i in response.context["page_obj"]] == ["340103", "3401030001"]


def test_list_filters_and_searches(
    make_staff: MakeStaff, signed_in: SignedIn, schools: dict[str, Institution]
) -> None:
    client = signed_in(make_staff(bureau("340000"), Role.PROVINCE_ADMIN))
    url = reverse("orgs:institution_list")
    page = client.get(url, {"kind": "school", "division": "340100"}).context["page_obj"]
    assert {i.code for i in page} == {"3401030001", "3401020001"}
    page = client.get(url, {"q": "瑶海", "kind": "bureau"}).context["page_obj"]
    assert [i.code for i in page] == ["340102"]
    page = client.get(url, {"level": "city", "sort": "-code"}).context["page_obj"]
    assert page[0].code == "341800"
    assert page.paginator.count == 16


def test_list_paginates_with_a_bounded_number_of_queries(
    make_staff: MakeStaff, signed_in: SignedIn, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(make_staff(bureau("340000"), Role.PROVINCE_ADMIN))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orgs:institution_list"), {"page": "3"})
    assert response.context["page_obj"].number == 3
    assert len(response.context["page_obj"]) == 20


def test_list_an_invalid_filter_value_is_ignored(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau("340103")))
    response = client.get(reverse("orgs:institution_list"), {"division": "340200"})  # not offered to 庐阳区
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 1


def test_list_needs_a_signed_in_staff_user(client: Client) -> None:
    response = client.get(reverse("orgs:institution_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- detail -------------------------------------------------------------------


def test_detail_shows_an_institution_in_scope_with_its_review_chain(
    make_staff: MakeStaff, signed_in: SignedIn, schools: dict[str, Institution]
) -> None:
    client = signed_in(make_staff(bureau("340103")))
    response = client.get(reverse("orgs:institution_detail", args=[schools["ly"].pk]))
    assert response.status_code == 200
    assert [i.code for i in response.context["review_chain"]] == ["3401030001", "340103", "340100", "340000"]
    assert "合肥市教育局" in response.content.decode()


def test_detail_of_a_city_direct_school(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    dept = department("340100ZG01")
    s = school("3401000001", reviewer=dept)
    client = signed_in(make_staff(bureau("340100")))
    response = client.get(reverse("orgs:institution_detail", args=[s.pk]))
    assert [i.code for i in response.context["review_chain"]] == [
        "3401000001",
        "340100ZG01",
        "340100",
        "340000",
    ]


def test_detail_of_another_county_is_not_found(
    make_staff: MakeStaff, signed_in: SignedIn, schools: dict[str, Institution]
) -> None:
    client = signed_in(make_staff(bureau("340103")))
    for pk in (schools["yh"].pk, bureau("340102").pk, 10**9):
        assert client.get(reverse("orgs:institution_detail", args=[pk])).status_code == 404


def test_anqing_cannot_open_susong(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau("340800")))
    assert client.get(reverse("orgs:institution_detail", args=[bureau("340826").pk])).status_code == 404
    assert client.get(reverse("orgs:institution_detail", args=[bureau("340827").pk])).status_code == 200


# --- public info ----------------------------------------------------------------

VALID = {
    "address": "合肥市庐阳区濉溪路1号",
    "phone": "0551-65661234",
    "office_hours": "工作日 8:30-12:00，14:30-17:30",
    "version": "1",
}


def test_admin_fills_public_info(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau("340103")))
    url = reverse("orgs:public_info")
    assert client.get(url).status_code == 200
    response = client.post(url, VALID)
    assert response.status_code == 302
    ly = bureau("340103")
    assert (ly.address, ly.phone, ly.version) == (VALID["address"], VALID["phone"], 2)


def test_public_info_stale_form_is_refused(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau("340103")))
    url = reverse("orgs:public_info")
    client.post(url, VALID)
    response = client.post(url, {**VALID, "address": "另一个地址"})  # still version 1
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    assert bureau("340103").address == VALID["address"]


def test_public_info_invalid_phone_shows_the_field_error(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau("340103")))
    response = client.post(reverse("orgs:public_info"), {**VALID, "phone": "请打电话"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert bureau("340103").version == 1


def test_reviewer_cannot_open_public_info(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau("340103"), Role.REGISTRATION_REVIEWER))
    assert client.get(reverse("orgs:public_info")).status_code == 403
    assert client.post(reverse("orgs:public_info"), VALID).status_code == 403
    assert bureau("340103").version == 1


# --- who has not filled -----------------------------------------------------------


def test_province_sees_who_has_not_filled(
    make_staff: MakeStaff, signed_in: SignedIn, schools: dict[str, Institution]
) -> None:
    Institution.objects.filter(code="340103").update(
        address="地址", phone="0551-1234567", office_hours="工作日"
    )
    client = signed_in(make_staff(bureau("340000"), Role.PROVINCE_ADMIN))
    response = client.get(reverse("orgs:public_info_missing"))
    assert response.status_code == 200
    assert [i.code for i in response.context["page_obj"]] == ["340102"]
    assert (response.context["total"], response.context["filled"]) == (2, 1)


def test_reviewer_cannot_see_who_has_not_filled(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau("340000"), Role.PROVINCE_REVIEWER))
    assert client.get(reverse("orgs:public_info_missing")).status_code == 403


def test_list_speaks_english_when_asked(make_staff: MakeStaff, signed_in: SignedIn) -> None:
    client = signed_in(make_staff(bureau("340103")))
    body = client.get(reverse("orgs:institution_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Institution code" in body
    assert "Education bureau" in body
