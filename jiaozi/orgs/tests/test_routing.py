"""Routing by management authority: review_chain for every kind of school (§2)."""

from __future__ import annotations

import pytest

from jiaozi.core.errors import ValidationFailed
from jiaozi.orgs.models import Institution
from jiaozi.orgs.routing import registration_authority_of, review_chain, review_chains
from jiaozi.orgs.tests.factories import bureau, department, school

pytestmark = pytest.mark.django_db


def codes(chain: list[Institution]) -> list[str]:
    return [i.code for i in chain]


def test_county_school_goes_county_city_province() -> None:
    s = school("3401030001", county="340103")
    assert codes(review_chain(s)) == ["3401030001", "340103", "340100", "340000"]


def test_city_direct_school_goes_department_city_province() -> None:
    dept = department("340100ZG01", division="340100", name="合肥市教育局直属学校管理处")
    s = school("3401000001", county="340103", reviewer=dept)
    assert s.level == "city"
    assert codes(review_chain(s)) == ["3401000001", "340100ZG01", "340100", "340000"]


def test_school_reviewed_by_the_city_bureau_itself_skips_the_recheck_by_itself() -> None:
    s = school("3401000002", county="340104", reviewer=bureau("340100"))
    assert codes(review_chain(s)) == ["3401000002", "340100", "340000"]


def test_province_direct_school_goes_department_province() -> None:
    dept = department("340000ZG01", division="340000", name="安徽省教育厅直属学校管理处")
    s = school("3400000001", county="340202", reviewer=dept)
    assert codes(review_chain(s)) == ["3400000001", "340000ZG01", "340000"]


def test_susong_school_skips_anqing() -> None:
    s = school("3408260001", county="340826")
    assert codes(review_chain(s)) == ["3408260001", "340826", "340000"]


def test_ordinary_anqing_county_school_goes_through_anqing() -> None:
    s = school("3408270001", county="340827")
    assert codes(review_chain(s)) == ["3408270001", "340827", "340800", "340000"]


def test_department_in_a_province_direct_county_reports_to_the_province() -> None:
    dept = department("341882ZG01", division="341882", name="广德市人力资源和社会保障局")
    s = school("3418820001", county="341882", reviewer=dept)
    assert codes(review_chain(s)) == ["3418820001", "341882ZG01", "340000"]


def test_school_of_a_county_non_education_department_skips_the_county_bureau() -> None:
    dept = department("340181ZG01", division="340181", name="巢湖市人力资源和社会保障局")
    s = school("3401810001", county="340181", reviewer=dept)
    assert s.level == "county"
    assert codes(review_chain(s)) == ["3401810001", "340181ZG01", "340100", "340000"]


def test_registration_authority_is_the_second_link() -> None:
    dept = department("340100ZG01", division="340100")
    s = school("3401000001", county="340103", reviewer=dept)
    assert registration_authority_of(s) == review_chain(s)[1] == dept


def test_chain_for_many_schools_matches_one_by_one(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    dept = department("340100ZG01", division="340100")
    made = [
        school("3401030001"),
        school("3408260001", county="340826"),
        school("3401000001", reviewer=dept),
    ]
    loaded = list(Institution.objects.filter(pk__in=[s.pk for s in made]).select_related("parent"))
    with django_assert_max_num_queries(1):
        chains = review_chains(loaded)
    for s in made:
        assert codes(chains[s.pk]) == codes(review_chain(s))


def test_a_school_without_a_reviewer_has_no_chain() -> None:
    s = school("3401030001")
    # A confirmation point cannot review; simulate bad data written around the service.
    cp = Institution.objects.create(
        code="340103QR01",
        name="确认点",
        kind="confirmation_point",
        level="county",
        division_id="340103",
        parent=bureau("340103"),
    )
    Institution.objects.filter(pk=s.pk).update(parent=cp)
    s.refresh_from_db()
    with pytest.raises(ValidationFailed):
        review_chain(s)


def test_review_chain_refuses_non_schools() -> None:
    with pytest.raises(ValueError, match="not a school"):
        review_chain(bureau("340103"))
