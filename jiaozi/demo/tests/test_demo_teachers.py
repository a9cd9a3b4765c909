"""The demo teacher generator: deterministic, valid identifiers, and each case is what
the §4 rules say it is (checked against jiaozi.registration.rules, no database)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from jiaozi.core import idcard
from jiaozi.demo.teachers import (
    CASES,
    REGISTRATION_DATE,
    SHOWCASE,
    SchoolInfo,
    TeacherGenerator,
    TeacherPlan,
    plan_facts,
)
from jiaozi.registration.rules import TeacherFacts, precheck

SCHOOLS = [
    SchoolInfo("3401030001", "complete_secondary", "public", "340103", "019", "002"),
    SchoolInfo("3401020001", "complete_secondary", "public", "340102", "018", "002"),
    SchoolInfo("3401030004", "kindergarten", "public", "340103", "019", "002"),
    SchoolInfo("3401030005", "nine_year", "private", "340103", "019", "002"),
    SchoolInfo("3402810006", "vocational", "public", "340281", "040", "003"),
    SchoolInfo("3408260001", "complete_secondary", "public", "340826", "067", "067"),
]
REGIONS = ["340102", "340103", "340281", "340826", "341882"]


def generate(count: int, seed: int = 2024) -> list[TeacherPlan]:
    return list(TeacherGenerator(SCHOOLS, region_codes=REGIONS, seed=seed).plans(count))


@pytest.fixture(scope="module")
def plans() -> list[TeacherPlan]:
    return generate(3000)


def test_same_seed_same_teachers() -> None:
    assert generate(300) == generate(300)


def test_other_seed_other_teachers() -> None:
    assert [p.resident_id for p in generate(50, seed=1)] != [p.resident_id for p in generate(50, seed=2)]


def test_a_small_run_is_the_start_of_a_large_one(plans: list[TeacherPlan]) -> None:
    assert generate(60) == plans[:60]


def test_showcase_comes_first_and_starts_with_the_persona(plans: list[TeacherPlan]) -> None:
    present = [item for item in SHOWCASE if item[0] in {s.code for s in SCHOOLS}]
    assert [(p.school, p.case) for p in plans[: len(present)]] == present
    assert (plans[0].school, plans[0].case) == ("3401030001", "periodic_qualified")


def test_every_case_is_what_the_rules_say(plans: list[TeacherPlan]) -> None:
    seen: Counter[str] = Counter()
    for plan in plans:
        result = precheck(TeacherFacts(**plan_facts(plan)), registration_date=REGISTRATION_DATE)
        expected = CASES[plan.case]
        assert (result.due, result.suggestion) == (expected.due, expected.suggestion), (plan.case, result)
        seen[plan.case] += 1
    assert set(seen) == set(CASES)


def test_resident_ids_are_valid_unique_and_match_the_sex(plans: list[TeacherPlan]) -> None:
    ids = [p.resident_id for p in plans]
    assert len(set(ids)) == len(ids)
    for plan in plans:
        assert idcard.is_valid(plan.resident_id), plan.resident_id
        assert idcard.sex_of(plan.resident_id) == plan.sex


def test_certificate_numbers_follow_the_format(plans: list[TeacherPlan]) -> None:
    numbers = [p.certificate.number for p in plans if p.certificate]
    assert len(set(numbers)) == len(numbers)
    for plan in plans:
        c = plan.certificate
        if c is None:
            continue
        match = re.fullmatch(r"(\d{4})34(\d{3})([1-7])([12])(\d{6})", c.number)
        assert match, c.number
        assert match.group(3) == c.qualification_type
        assert match.group(4) == ("1" if plan.sex == "male" else "2")
        school = next(s for s in SCHOOLS if s.code == plan.school)
        authority = school.county_authority if c.qualification_type in "123" else school.city_authority
        assert match.group(2) == authority


def test_serials_are_gap_free_per_authority_and_year(plans: list[TeacherPlan]) -> None:
    serials: dict[tuple[str, str], list[int]] = {}
    for plan in plans:
        if plan.certificate:
            n = plan.certificate.number
            serials.setdefault((n[:4], n[6:9]), []).append(int(n[11:]))
    for values in serials.values():
        assert values == list(range(1, len(values) + 1))


def test_the_mix_is_realistic(plans: list[TeacherPlan]) -> None:
    dues = Counter(CASES[p.case].due for p in plans[len(SHOWCASE) :])
    share = {due: n / sum(dues.values()) for due, n in dues.items()}
    # About a fifth to a quarter due each year (§10), most not yet due.
    assert 0.18 < share["periodic"] + share["first"] + share["after_deferral"] < 0.32
    assert share["not_yet_due"] > 0.55
    assert 0.003 < share["barred"] < 0.02


def test_phones_look_like_mobiles(plans: list[TeacherPlan]) -> None:
    assert all(re.fullmatch(r"1[3-9]\d{9}", p.phone) for p in plans)
