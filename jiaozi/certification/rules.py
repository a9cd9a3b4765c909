"""The certification requirements of §6 as pure functions over plain data.

``requirements_unmet(facts, on=…)`` answers every unmet requirement's reason code, in
the order §6 lists them; the online application (on submission), the confirmation
user's screen and ``manage.py certification_precheck`` all call it. ``authority_level``
is the routing of §6 (county 1–3, city 4–6, a 省直管县 1–6, province 7).

Anniversaries follow the Civil Code's rule for periods counted in years (民法典第二百零二条):
the anniversary is the same month and day; a 29 February falls on 28 February in a year
without one (docs/decisions/0204)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from .choices import EDUCATION_RANK, MANDARIN_RANK, TITLES_FOR_PRACTICE, Education, Health, Mandarin, Sanction

# Reason codes, in §6's order.
EDUCATION_INSUFFICIENT = "education_insufficient"
TITLE_INSUFFICIENT = "title_insufficient"
MANDARIN_INSUFFICIENT = "mandarin_insufficient"
NTCE_MISSING = "ntce_missing"
NTCE_TYPE_MISMATCH = "ntce_type_mismatch"
NTCE_EXPIRED = "ntce_expired"
HEALTH_FAILED = "health_failed"
COMMITMENT_MISSING = "commitment_missing"
OVER_RETIREMENT_AGE = "over_retirement_age"
ALREADY_APPLIED_THIS_YEAR = "already_applied_this_year"
QUALIFICATION_LOST = "qualification_lost"
REVOKED_WITHIN_5_YEARS = "revoked_within_5_years"
EXAM_BAN_ACTIVE = "exam_ban_active"

REASON_CODES: tuple[str, ...] = (
    EDUCATION_INSUFFICIENT,
    TITLE_INSUFFICIENT,
    MANDARIN_INSUFFICIENT,
    NTCE_MISSING,
    NTCE_TYPE_MISMATCH,
    NTCE_EXPIRED,
    HEALTH_FAILED,
    COMMITMENT_MISSING,
    OVER_RETIREMENT_AGE,
    ALREADY_APPLIED_THIS_YEAR,
    QUALIFICATION_LOST,
    REVOKED_WITHIN_5_YEARS,
    EXAM_BAN_ACTIVE,
)

TYPES = ("1", "2", "3", "4", "5", "6", "7")
# The least education per type; type 1 also takes 中专 in 学前教育 (幼师).
MIN_EDUCATION: Mapping[str, str] = {
    "1": Education.JUNIOR_COLLEGE,
    "2": Education.JUNIOR_COLLEGE,
    "3": Education.BACHELOR,
    "4": Education.BACHELOR,
    "5": Education.BACHELOR,
    "6": Education.JUNIOR_COLLEGE,
    "7": Education.BACHELOR,
}
# 高级中学 and 中等职业学校 accept each other's exam certificate.
NTCE_ACCEPTS: Mapping[str, frozenset[str]] = {
    "1": frozenset({"1"}),
    "2": frozenset({"2"}),
    "3": frozenset({"3"}),
    "4": frozenset({"4", "5"}),
    "5": frozenset({"4", "5"}),
    "6": frozenset({"6"}),
}
NTCE_YEARS = 3
REVOCATION_YEARS = 5
# Default statutory retirement ages by sex digit (§6: a province setting).
RETIREMENT_AGE: Mapping[str, int] = {"1": 60, "2": 55}


def anniversary(day: dt.date, years: int) -> dt.date:
    """``day`` plus ``years`` years; 29 February → 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def ntce_valid_until(issued: dt.date) -> dt.date:
    """The last day an exam certificate counts: the day before its third anniversary."""
    return anniversary(issued, NTCE_YEARS) - dt.timedelta(days=1)


def retirement_date(birth: dt.date, sex: str, ages: Mapping[str, int] = RETIREMENT_AGE) -> dt.date:
    """The birthday on which the retirement age is reached: refused from that day on."""
    return anniversary(birth, ages[sex])


@dataclass(frozen=True, slots=True)
class Facts:
    """What the requirements read of one applicant (values of ``choices``; dates)."""

    qualification_type: str
    subject: str
    education: str
    birth_date: dt.date
    sex: str
    mandarin: str
    preschool_major: bool = False
    title: str = ""
    ntce_type: str = ""
    ntce_date: dt.date | None = None
    health: str = ""
    commitment: bool = False
    already_applied: bool = False
    sanction: str = ""
    sanction_date: dt.date | None = None
    retirement_ages: Mapping[str, int] = field(default_factory=lambda: RETIREMENT_AGE)


def _education_ok(f: Facts) -> bool:
    rank = EDUCATION_RANK[f.education]
    if rank >= EDUCATION_RANK[MIN_EDUCATION[f.qualification_type]]:
        return True
    return f.qualification_type == "1" and f.education == Education.SECONDARY and f.preschool_major


def mandarin_required(subject: str) -> str:
    """二级甲等 for 语文 teachers, 二级乙等 otherwise."""
    return Mandarin.L2A if "语文" in subject else Mandarin.L2B


def _ntce(f: Facts, on: dt.date) -> list[str]:
    if f.qualification_type == "7":
        return []
    if not f.ntce_type or f.ntce_date is None:
        return [NTCE_MISSING]
    reasons = []
    if f.ntce_type not in NTCE_ACCEPTS[f.qualification_type]:
        reasons.append(NTCE_TYPE_MISMATCH)
    if on > ntce_valid_until(f.ntce_date):
        reasons.append(NTCE_EXPIRED)
    return reasons


def _bar(f: Facts, on: dt.date) -> list[str]:
    if f.sanction == Sanction.LOST:
        return [QUALIFICATION_LOST]
    if f.sanction == Sanction.REVOKED and f.sanction_date is not None:
        return [REVOKED_WITHIN_5_YEARS] if on < anniversary(f.sanction_date, REVOCATION_YEARS) else []
    if f.sanction == Sanction.EXAM_BAN and f.sanction_date is not None:
        return [EXAM_BAN_ACTIVE] if on <= f.sanction_date else []
    return []


def requirements_unmet(facts: Facts, *, on: dt.date) -> list[str]:
    """Every unmet requirement's reason code on ``on``, in §6's order; empty when
    eligible. A pending physical exam (blank) is not a failure."""
    f = facts
    if f.qualification_type not in TYPES:
        raise ValueError(f"unknown qualification type {f.qualification_type!r}")
    reasons: list[str] = []
    if not _education_ok(f):
        reasons.append(EDUCATION_INSUFFICIENT)
    if f.qualification_type == "6" and f.title not in TITLES_FOR_PRACTICE:
        reasons.append(TITLE_INSUFFICIENT)
    if MANDARIN_RANK[f.mandarin] < MANDARIN_RANK[mandarin_required(f.subject)]:
        reasons.append(MANDARIN_INSUFFICIENT)
    reasons.extend(_ntce(f, on))
    if f.health == Health.UNFIT:
        reasons.append(HEALTH_FAILED)
    if not f.commitment:
        reasons.append(COMMITMENT_MISSING)
    if on >= retirement_date(f.birth_date, f.sex, f.retirement_ages):
        reasons.append(OVER_RETIREMENT_AGE)
    if f.already_applied:
        reasons.append(ALREADY_APPLIED_THIS_YEAR)
    reasons.extend(_bar(f, on))
    return reasons


# --- Routing (§6) -------------------------------------------------------------------

COUNTY, CITY, PROVINCE = "county", "city", "province"


def authority_level(qualification_type: str) -> str:
    """The level that certifies a type: county 1–3, city 4–6, province 7."""
    if qualification_type not in TYPES:
        raise ValueError(f"unknown qualification type {qualification_type!r}")
    if qualification_type == "7":
        return PROVINCE
    return COUNTY if qualification_type in ("1", "2", "3") else CITY


def authority_may_certify(qualification_type: str, *, division_level: str, province_direct: bool) -> bool:
    """Whether a bureau of a division at ``division_level`` certifies the type: a
    province-direct county (省直管县) does 1–6 itself."""
    level = authority_level(qualification_type)
    if division_level == COUNTY and province_direct:
        return level in (COUNTY, CITY)
    return division_level == level
