"""Selectors start from the user's jurisdiction (§9)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.core.errors import NotFound
from jiaozi.orgs import selectors
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import bureau, confirmation_point, department, school

pytestmark = pytest.mark.django_db

MakeStaff = Callable[..., User]


@pytest.fixture
def tree() -> dict[str, Institution]:
    dept = department("340100ZG01", division="340100")
    return {
        "ly_school": school("3401030001", county="340103"),
        "yh_school": school("3401020001", county="340102"),
        "city_direct": school("3401000001", county="340103", reviewer=dept),
        "susong_school": school("3408260001", county="340826"),
        "wh_school": school("3402020001", county="340202"),
        "ly_point": confirmation_point("340103QR01", division="340103"),
        "dept": dept,
    }


def visible_codes(user: User) -> set[str]:
    return set(selectors.institution_list_visible_to(user=user).values_list("code", flat=True))


def test_province_sees_everything(make_staff: MakeStaff, tree: dict[str, Institution]) -> None:
    user = make_staff(bureau("340000"), Role.PROVINCE_ADMIN)
    assert visible_codes(user) == set(Institution.objects.values_list("code", flat=True))


def test_city_sees_its_region_and_city_direct_schools(
    make_staff: MakeStaff, tree: dict[str, Institution]
) -> None:
    seen = visible_codes(make_staff(bureau("340100")))
    assert {"340100", "340103", "340102", "3401030001", "3401020001", "3401000001", "340100ZG01"} <= seen
    assert not seen & {"340000", "340200", "3402020001", "3408260001"}


def test_county_sees_itself_and_its_schools_only(make_staff: MakeStaff, tree: dict[str, Institution]) -> None:
    seen = visible_codes(make_staff(bureau("340103")))
    assert seen == {"340103", "3401030001", "340103QR01"}


def test_school_sees_only_itself(make_staff: MakeStaff, tree: dict[str, Institution]) -> None:
    user = make_staff(tree["ly_school"], Role.SCHOOL_REVIEWER)
    assert visible_codes(user) == {"3401030001"}


def test_anqing_does_not_see_susong(make_staff: MakeStaff, tree: dict[str, Institution]) -> None:
    user = make_staff(bureau("340800"))
    seen = visible_codes(user)
    assert "340827" in seen
    assert "340826" not in seen
    assert "3408260001" not in seen
    with pytest.raises(NotFound):
        selectors.institution_get_visible_to(user=user, pk=bureau("340826").pk)


def test_applicants_and_disabled_staff_see_nothing(make_staff: MakeStaff) -> None:
    disabled = make_staff(bureau("340000"), Role.PROVINCE_ADMIN, is_active=False)
    applicant = User.objects.create_user(username="app1", password="x", real_name="申请人")
    assert visible_codes(disabled) == set()
    assert visible_codes(applicant) == set()


def test_get_visible_answers_not_found_for_out_of_scope_and_missing(
    make_staff: MakeStaff, tree: dict[str, Institution]
) -> None:
    user = make_staff(bureau("340103"))
    assert selectors.institution_get_visible_to(user=user, pk=tree["ly_school"].pk) == tree["ly_school"]
    for pk in (tree["yh_school"].pk, 10**9, "abc"):
        with pytest.raises(NotFound):
            selectors.institution_get_visible_to(user=user, pk=pk)


def test_school_get_by_code(make_staff: MakeStaff, tree: dict[str, Institution]) -> None:
    assert selectors.school_get_by_code(" 3401030001 ") == tree["ly_school"]
    with pytest.raises(NotFound):
        selectors.school_get_by_code("340103")  # a bureau, not a school
    user = make_staff(bureau("340103"))
    assert selectors.school_get_by_code("3401030001", user=user) == tree["ly_school"]
    with pytest.raises(NotFound):
        selectors.school_get_by_code("3401020001", user=user)


def test_bureau_for_division() -> None:
    assert selectors.bureau_for_division("340826").name == "宿松县教育局"
    with pytest.raises(NotFound):
        selectors.bureau_for_division("999999")


def test_search_filters(make_staff: MakeStaff, tree: dict[str, Institution]) -> None:
    qs = selectors.institution_list_visible_to(user=make_staff(bureau("340000"), Role.PROVINCE_ADMIN))
    codes = lambda **kw: set(selectors.institution_search(qs, **kw).values_list("code", flat=True))  # noqa: E731
    assert codes(kind="school", division="340100") == {"3401030001", "3401020001", "3401000001"}
    assert codes(kind="school", level="city") == {"3401000001"}
    assert codes(kind="bureau", division="340800") == set(
        Institution.objects.filter(kind="bureau", code__startswith="3408").values_list("code", flat=True)
    )
    assert codes(q="宿松") == {"340826"}
    assert codes(q="3401030") == {"3401030001"}


def test_registration_institutions_missing_public_info(
    make_staff: MakeStaff, tree: dict[str, Institution]
) -> None:
    province = make_staff(bureau("340000"), Role.PROVINCE_ADMIN)
    missing = set(
        selectors.registration_institution_list_missing_public_info(user=province).values_list(
            "code", flat=True
        )
    )
    # Only institutions that review schools count; the city bureau reviews none here.
    assert missing == {"340103", "340102", "340100ZG01", "340826", "340202"}
    Institution.objects.filter(code="340103").update(
        address="庐阳区某路1号", phone="0551-1234567", office_hours="工作日"
    )
    Institution.objects.filter(code="340102").update(address="瑶海区某路1号")  # incomplete still counts
    missing = set(
        selectors.registration_institution_list_missing_public_info(user=province).values_list(
            "code", flat=True
        )
    )
    assert missing == {"340102", "340100ZG01", "340826", "340202"}
    city = make_staff(bureau("340100"))
    assert set(
        selectors.registration_institution_list_missing_public_info(user=city).values_list("code", flat=True)
    ) == {"340102", "340100ZG01"}
