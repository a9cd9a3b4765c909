"""Factories for the registration tests: campaigns, and teachers with their facts
written straight into the teachers app's tables (the import is not under test here).

    c = campaign()                                    # Anhui-like, its own year, inactive
    t = teacher(school=school("3401030001"))          # a full-time, established teacher
    certificate(t, last_conclusion="qualified", valid_to=date(2025, 1, 1))
    appraisals(t, {2019: "qualified", ...}); training(t, [(date(2022, 1, 1), 360)])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from itertools import count
from typing import Any, cast
from zoneinfo import ZoneInfo

import factory
from factory.django import DjangoModelFactory

from jiaozi.certificates.models import Certificate
from jiaozi.core.idcard import make
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import school as make_school
from jiaozi.registration.models import Campaign
from jiaozi.teachers.models import AnnualAppraisal, EthicsAppraisal, Teacher, TeachingBreak, TrainingRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")
_serial = count(1)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """An aware Asia/Shanghai datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


class CampaignFactory(DjangoModelFactory):
    """A campaign shaped like Anhui 2024, in a year of its own (the data migration
    already holds 340000/2024)."""

    class Meta:
        model = Campaign

    name = factory.LazyAttribute(lambda o: f"测试{o.year}年定期注册")
    province_code = "340000"
    year = factory.Sequence(lambda n: 2030 + n)
    registration_date = factory.LazyAttribute(lambda o: dt.date(o.year, 12, 31))
    system_opens_at = factory.LazyAttribute(lambda o: at(o.year, 9, 11))
    system_closes_at = factory.LazyAttribute(lambda o: at(o.year, 12, 27, 17))
    apply_opens_at = factory.LazyAttribute(lambda o: at(o.year, 9, 13))
    apply_closes_at = factory.LazyAttribute(lambda o: at(o.year, 12, 15, 17))
    school_review_opens_at = factory.LazyAttribute(lambda o: at(o.year, 9, 13))
    school_review_closes_at = factory.LazyAttribute(lambda o: at(o.year, 12, 15, 17))
    review_opens_at = factory.LazyAttribute(lambda o: at(o.year, 9, 13))
    review_closes_at = factory.LazyAttribute(lambda o: at(o.year, 12, 15, 17))
    recheck_opens_at = factory.LazyAttribute(lambda o: at(o.year, 9, 13))
    recheck_closes_at = factory.LazyAttribute(lambda o: at(o.year, 12, 15, 17))
    final_review_opens_at = factory.LazyAttribute(lambda o: at(o.year, 9, 13))
    final_review_closes_at = factory.LazyAttribute(lambda o: at(o.year, 12, 27, 17))
    training_hours_required = Decimal(360)
    notice_days = 7
    is_active = False


def campaign(**fields: Any) -> Campaign:
    return cast(Campaign, CampaignFactory(**fields))


def anhui_2024() -> Campaign:
    """The reference campaign the data migration seeds."""
    return Campaign.objects.get(province_code="340000", year=2024)


def default_school() -> Institution:
    return make_school("3401030001", name="合肥市庐阳区第一中学")


def teacher(*, school: Institution | None = None, **fields: Any) -> Teacher:
    n = next(_serial)
    values: dict[str, Any] = {
        "resident_id": make(f"340103198{n % 10}0101{n % 1000:03d}"[:14] + f"{n % 1000:03d}"),
        "name": f"教师{n}",
        "sex": "male" if n % 2 else "female",
        "school": school or default_school(),
        "post_type": "full_time",
        "employment_type": "public_established",
        "health": "fit",
        "probation_passed_on": dt.date(2015, 8, 31),
    } | fields
    return cast(Teacher, Teacher.objects.create(**values))


def certificate(owner: Teacher, **fields: Any) -> Certificate:
    n = next(_serial)
    values: dict[str, Any] = {
        "number": f"2015340013{1 + n % 2}{n:06d}"[:17],
        "teacher": owner,
        "qualification_type": "3",
        "subject": "语文",
        "status": "valid",
        "last_conclusion": "qualified",
        "valid_from": dt.date(2020, 1, 1),
        "valid_to": dt.date(2024, 12, 31),
    } | fields
    return cast(Certificate, Certificate.objects.create(**values))


def appraisals(owner: Teacher, grades: Mapping[int, str]) -> None:
    AnnualAppraisal.objects.bulk_create(
        AnnualAppraisal(teacher=owner, year=year, grade=grade) for year, grade in grades.items()
    )


def ethics(owner: Teacher, results: Mapping[int, str]) -> None:
    EthicsAppraisal.objects.bulk_create(
        EthicsAppraisal(teacher=owner, year=year, result=result) for year, result in results.items()
    )


def training(owner: Teacher, records: Iterable[tuple[dt.date, Decimal | int | str]]) -> None:
    TrainingRecord.objects.bulk_create(
        TrainingRecord(teacher=owner, date=day, hours=Decimal(str(hours)), programme="培训")
        for day, hours in records
    )


def breaks(owner: Teacher, records: Iterable[tuple[dt.date, dt.date, bool]]) -> None:
    TeachingBreak.objects.bulk_create(
        TeachingBreak(teacher=owner, start=start, end=end, approved=approved)
        for start, end, approved in records
    )


def clean_periodic(owner: Teacher, *, first_year: int = 2019, hours: int = 360) -> None:
    """Five good appraisal years from ``first_year``, passed ethics and enough training."""
    appraisals(owner, dict.fromkeys(range(first_year, first_year + 5), "qualified"))
    ethics(owner, dict.fromkeys(range(first_year, first_year + 5), "passed"))
    training(owner, [(dt.date(first_year + 2, 6, 1), hours)])
