"""The §6 requirements: each rule at its boundary (the NTCE's third anniversary, the
retirement birthday, the fifth anniversary of a revocation, the bar's last day), the
routing, and properties over generated applicants."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaozi.certification import rules
from jiaozi.certification.choices import Education, Health, Mandarin, Sanction, Title

BASE = rules.Facts(
    qualification_type="2",
    subject="数学",
    education=Education.JUNIOR_COLLEGE,
    birth_date=dt.date(1995, 3, 10),
    sex="2",
    mandarin=Mandarin.L2B,
    ntce_type="2",
    ntce_date=dt.date(2023, 6, 1),
    commitment=True,
)
ON = dt.date(2024, 9, 20)


def unmet(on: dt.date = ON, **changes: Any) -> list[str]:
    return rules.requirements_unmet(dataclasses.replace(BASE, **changes), on=on)


def test_an_eligible_applicant_has_no_reasons() -> None:
    assert unmet() == []


@pytest.mark.parametrize(
    ("qtype", "education", "preschool", "ok"),
    [
        ("1", Education.SECONDARY, True, True),
        ("1", Education.SECONDARY, False, False),
        ("1", Education.JUNIOR_COLLEGE, False, True),
        ("2", Education.SECONDARY, True, False),
        ("2", Education.JUNIOR_COLLEGE, False, True),
        ("3", Education.JUNIOR_COLLEGE, False, False),
        ("3", Education.BACHELOR, False, True),
        ("4", Education.BACHELOR, False, True),
        ("5", Education.JUNIOR_COLLEGE, False, False),
        ("6", Education.JUNIOR_COLLEGE, False, True),
        ("7", Education.JUNIOR_COLLEGE, False, False),
        ("7", Education.DOCTOR, False, True),
    ],
)
def test_education_by_type(qtype: str, education: str, preschool: bool, ok: bool) -> None:
    reasons = unmet(
        qualification_type=qtype,
        education=education,
        preschool_major=preschool,
        ntce_type=qtype,
        title=Title.ENGINEER,
    )
    assert (rules.EDUCATION_INSUFFICIENT not in reasons) is ok


@pytest.mark.parametrize(
    ("title", "ok"),
    [
        ("", False),
        (Title.WORKER_JUNIOR, False),
        (Title.WORKER_INTERMEDIATE, True),
        (Title.TECHNICIAN_SENIOR, True),
        (Title.ENGINEER_ASSISTANT, True),
    ],
)
def test_practice_instructors_need_an_intermediate_worker_rank_or_an_engineer_title(
    title: str, ok: bool
) -> None:
    reasons = unmet(qualification_type="6", ntce_type="6", title=title)
    assert (rules.TITLE_INSUFFICIENT not in reasons) is ok
    assert rules.TITLE_INSUFFICIENT not in unmet(title="")  # only type 6 asks


def test_mandarin_is_two_b_and_two_a_for_chinese_teachers() -> None:
    assert unmet(mandarin=Mandarin.L2B) == []
    assert unmet(mandarin=Mandarin.L3A) == [rules.MANDARIN_INSUFFICIENT]
    assert unmet(subject="语文", mandarin=Mandarin.L2B) == [rules.MANDARIN_INSUFFICIENT]
    assert unmet(subject="语文", mandarin=Mandarin.L2A) == []
    assert unmet(subject="语文", mandarin=Mandarin.L1A) == []


def test_the_exam_certificate_is_valid_until_the_day_before_its_third_anniversary() -> None:
    issued = dt.date(2021, 9, 20)
    assert unmet(on=dt.date(2024, 9, 19), ntce_date=issued) == []
    assert unmet(on=dt.date(2024, 9, 20), ntce_date=issued) == [rules.NTCE_EXPIRED]
    # Issued on 29 February: the anniversary in a common year is 28 February.
    leap = dt.date(2020, 2, 29)
    assert unmet(on=dt.date(2023, 2, 27), ntce_date=leap) == []
    assert unmet(on=dt.date(2023, 2, 28), ntce_date=leap) == [rules.NTCE_EXPIRED]


def test_exam_certificate_missing_mismatched_and_the_senior_vocational_exchange() -> None:
    assert unmet(ntce_type="", ntce_date=None) == [rules.NTCE_MISSING]
    assert unmet(ntce_type="3") == [rules.NTCE_TYPE_MISMATCH]
    assert unmet(qualification_type="4", education=Education.BACHELOR, ntce_type="5") == []
    assert unmet(qualification_type="5", education=Education.BACHELOR, ntce_type="4") == []
    assert unmet(qualification_type="7", education=Education.BACHELOR, ntce_type="", ntce_date=None) == []
    both = unmet(on=dt.date(2027, 1, 1), ntce_type="3")
    assert both == [rules.NTCE_TYPE_MISMATCH, rules.NTCE_EXPIRED]


def test_physical_exam_and_commitment() -> None:
    assert unmet(health="") == []
    assert unmet(health=Health.FIT) == []
    assert unmet(health=Health.UNFIT) == [rules.HEALTH_FAILED]
    assert unmet(commitment=False) == [rules.COMMITMENT_MISSING]


def test_refused_from_the_birthday_on_which_the_retirement_age_is_reached() -> None:
    woman = {"birth_date": dt.date(1969, 9, 20), "sex": "2"}
    assert unmet(on=dt.date(2024, 9, 19), **woman) == []
    assert unmet(on=dt.date(2024, 9, 20), **woman) == [rules.OVER_RETIREMENT_AGE]
    man = {"birth_date": dt.date(1964, 9, 20), "sex": "1"}
    assert unmet(on=dt.date(2024, 9, 19), **man) == []
    assert unmet(on=dt.date(2024, 9, 20), **man) == [rules.OVER_RETIREMENT_AGE]
    # A province setting may raise the ages.
    assert unmet(on=dt.date(2024, 9, 20), retirement_ages={"1": 63, "2": 58}, **man) == []


def test_once_a_year() -> None:
    assert unmet(already_applied=True) == [rules.ALREADY_APPLIED_THIS_YEAR]


def test_bars_lost_for_ever_revoked_five_years_exam_ban_through_its_last_day() -> None:
    assert unmet(sanction=Sanction.LOST, sanction_date=dt.date(1990, 1, 1)) == [rules.QUALIFICATION_LOST]
    revoked = {"sanction": Sanction.REVOKED, "sanction_date": dt.date(2019, 9, 20)}
    assert unmet(on=dt.date(2024, 9, 19), **revoked) == [rules.REVOKED_WITHIN_5_YEARS]
    assert unmet(on=dt.date(2024, 9, 20), **revoked) == []
    ban = {"sanction": Sanction.EXAM_BAN, "sanction_date": dt.date(2024, 9, 20)}
    assert unmet(on=dt.date(2024, 9, 20), **ban) == [rules.EXAM_BAN_ACTIVE]
    assert unmet(on=dt.date(2024, 9, 21), **ban) == []


@pytest.mark.parametrize(
    ("qtype", "level", "direct", "ok"),
    [
        ("1", "county", False, True),
        ("3", "city", False, False),
        ("4", "city", False, True),
        ("4", "county", False, False),
        ("4", "county", True, True),
        ("6", "county", True, True),
        ("7", "county", True, False),
        ("7", "province", False, True),
        ("2", "province", False, False),
    ],
)
def test_routing(qtype: str, level: str, direct: bool, ok: bool) -> None:
    assert rules.authority_may_certify(qtype, division_level=level, province_direct=direct) is ok


# --- Properties -----------------------------------------------------------------------

dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2030, 12, 31))
facts = st.builds(
    rules.Facts,
    qualification_type=st.sampled_from(rules.TYPES),
    subject=st.sampled_from(["语文", "数学", "英语", "小学语文"]),
    education=st.sampled_from(Education.values),
    birth_date=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2006, 12, 31)),
    sex=st.sampled_from(["1", "2"]),
    mandarin=st.sampled_from(Mandarin.values),
    preschool_major=st.booleans(),
    title=st.sampled_from(["", *Title.values]),
    ntce_type=st.sampled_from(["", *rules.TYPES[:6]]),
    ntce_date=st.one_of(st.none(), dates),
    health=st.sampled_from(["", *Health.values]),
    commitment=st.booleans(),
    already_applied=st.booleans(),
    sanction=st.sampled_from(["", *Sanction.values]),
    sanction_date=st.one_of(st.none(), dates),
)


@settings(deadline=None, max_examples=300)
@given(facts, dates)
def test_reasons_are_known_codes_in_spec_order_without_repeats(f: rules.Facts, on: dt.date) -> None:
    reasons = rules.requirements_unmet(f, on=on)
    assert all(r in rules.REASON_CODES for r in reasons)
    assert reasons == sorted(set(reasons), key=rules.REASON_CODES.index)


@settings(deadline=None, max_examples=300)
@given(facts, dates)
def test_better_facts_never_add_a_reason(f: rules.Facts, on: dt.date) -> None:
    before = set(rules.requirements_unmet(f, on=on))
    better = dataclasses.replace(f, mandarin=Mandarin.L1A, education=Education.DOCTOR, commitment=True)
    after = set(rules.requirements_unmet(better, on=on))
    assert after <= before
    assert not {rules.MANDARIN_INSUFFICIENT, rules.EDUCATION_INSUFFICIENT, rules.COMMITMENT_MISSING} & after


@settings(deadline=None, max_examples=300)
@given(facts, dates, st.integers(min_value=1, max_value=400))
def test_time_only_adds_expiry_and_age_and_only_lifts_bars(f: rules.Facts, on: dt.date, days: int) -> None:
    early = set(rules.requirements_unmet(f, on=on))
    late = set(rules.requirements_unmet(f, on=on + dt.timedelta(days=days)))
    timed_out = {rules.NTCE_EXPIRED, rules.OVER_RETIREMENT_AGE}
    lifted = {rules.REVOKED_WITHIN_5_YEARS, rules.EXAM_BAN_ACTIVE}
    assert late - early <= timed_out
    assert early - late <= lifted


def test_the_workflow_doc_holds_the_current_drawing() -> None:
    """Regenerate with: python manage.py shell -c "from jiaozi.certification.workflow
    import mermaid; print(mermaid())" and paste it into the ```mermaid block."""
    from pathlib import Path

    from jiaozi.certification.workflow import mermaid

    doc = (Path(__file__).resolve().parents[3] / "docs" / "certification.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid()}```" in doc
