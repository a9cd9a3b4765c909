"""A complete, realistic RegistrationFormData: for tests, the benchmark (bench/pdf.py)
and anyone who wants to look at the form without running a registration."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from jiaozi.registration.completion.form import (
    BreakPeriod,
    PreviousRegistration,
    RegistrationFormData,
    ReviewOpinion,
    YearGrade,
)

d = dt.date

SAMPLE = RegistrationFormData(
    form_number="ZC-2024-340103-000123",
    applicant_name="欧阳明远",
    sex="male",
    resident_id="34010419900101123X",
    birth_date=d(1990, 1, 1),
    school="合肥市第一中学",
    post="full_time",
    certificate_number="20123401041000123",
    qualification_type="4",
    subject="数学",
    registration_type="periodic",
    annual_appraisals=tuple(
        YearGrade(year, grade)
        for year, grade in zip(
            range(2019, 2024), ["qualified", "excellent", "qualified", "qualified", "excellent"], strict=True
        )
    ),
    ethics_appraisals=tuple(YearGrade(year, "passed") for year in range(2019, 2024)),
    training_hours=Decimal("372.5"),
    breaks=(BreakPeriod(d(2021, 3, 1), d(2021, 8, 31), "产假", approved=True),),
    school_opinion=ReviewOpinion(
        "该同志师德表现良好，近五年年度考核均为合格以上，培训学时达标，同意申请定期注册。",
        "合肥市第一中学",
        d(2024, 9, 5),
    ),
    county_opinion=ReviewOpinion("经审核，符合定期注册条件。", "合肥市庐阳区教育体育局", d(2024, 9, 12)),
    city_opinion=ReviewOpinion("同意。", "合肥市教育局", d(2024, 9, 25)),
    province_opinion=ReviewOpinion("同意，予以注册。", "安徽省教育厅", d(2024, 10, 8)),
    conclusion="qualified",
    valid_from=d(2024, 9, 1),
    valid_to=d(2029, 8, 31),
    seal_institution="合肥市庐阳区教育体育局",
    registered_on=d(2024, 9, 1),
    verification_url="https://jiaozi.example.gov.cn/verify/q8Zt1mXw3vK9pLr2sB7nYc4dHf6gJk0aTu5eWi_Ro-M/",
    generated_on=d(2024, 10, 8),
    registration_label="县级审核意见",
    appraisal_years=(2019, 2020, 2021, 2022, 2023),
    training_hours_required=Decimal(360),
    teaching_stage="高中",
    post_title="高二年级数学教师",
    phone="13800000000",
    address="安徽省合肥市庐阳区示例路1号",
    work_history="2019年09月至今 合肥市第一中学 高中数学教师",
    health="fit",
    ethics_statement="学校师德表现证明：已提交；注册周期内师德考核均为合格",
    previous_registration=PreviousRegistration(
        d(2019, 12, 31), "qualified", d(2019, 12, 31), d(2024, 12, 30)
    ),
    other_certificates=("20113401041000045（初级中学 数学）",),
)


def form_data(**changes: Any) -> RegistrationFormData:
    return replace(SAMPLE, **changes)
