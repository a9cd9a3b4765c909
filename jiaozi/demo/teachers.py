"""Demo teachers for the 2024 periodic registration campaign (registration date
2024-12-31): a deterministic generator of plain records, and a bulk writer.

``TeacherGenerator`` draws everything from one ``random.Random(seed)``; teacher *i* only
depends on the seed and the teachers before it, so the first 50 teachers of a
100,000-teacher run are the 50 of a 50-teacher run. Each teacher belongs to one *case*
— a line of the §4 rules (due for periodic registration and qualified, short of
training hours, previously deferred, barred, out of scope, …) — drawn with realistic
weights; the first teachers of a few named schools walk through every case, so even a
small demo shows them all. ``CASES`` records what the rules should say about each case
(the tests check it against ``jiaozi.registration.rules``).

``write_teachers`` inserts with ``bulk_create`` in batches (the encrypted fields'
blind indexes are filled by ``pre_save`` during the insert).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection

from jiaozi.certificates.models import CertificateStatus, Conclusion
from jiaozi.core import clock, idcard
from jiaozi.teachers import bulk
from jiaozi.teachers.models import (
    AppraisalGrade,
    EmploymentType,
    EthicsResult,
    Health,
    PostType,
    Sex,
    Teacher,
    TrainingRecord,
)

SEED = 2024
REGISTRATION_DATE = dt.date(2024, 12, 31)
APPRAISAL_YEARS = tuple(range(2019, 2024))  # the five calendar years before R's year
PROVINCE_CODE = "34"

T = TypeVar("T")


@dataclass(frozen=True)
class CaseSpec:
    weight: float  # percent of the random teachers
    due: str  # what the §4 rules should say for registration date 2024-12-31
    suggestion: str  # "" when not due


# fmt: off
CASES: dict[str, CaseSpec] = {
    "not_yet_due":                 CaseSpec(60.0, "not_yet_due", ""),
    "periodic_qualified":          CaseSpec(13.0, "periodic", "qualified"),
    "periodic_training_short":     CaseSpec(2.0, "periodic", "deferred"),
    "periodic_appraisal_basic":    CaseSpec(0.8, "periodic", "deferred"),
    "periodic_appraisal_missing":  CaseSpec(0.6, "periodic", "deferred"),
    "periodic_appraisal_failed":   CaseSpec(0.3, "periodic", "deferred"),
    "periodic_break":              CaseSpec(0.4, "periodic", "deferred"),
    "periodic_health_unfit":       CaseSpec(0.1, "periodic", "deferred"),
    "periodic_ethics_failed":      CaseSpec(0.1, "periodic", "unqualified"),
    "periodic_failed_consecutive": CaseSpec(0.1, "periodic", "unqualified"),
    "after_deferral_qualified":    CaseSpec(1.2, "after_deferral", "qualified"),
    "after_deferral_short":        CaseSpec(0.4, "after_deferral", "deferred"),
    "first_on_time":               CaseSpec(3.0, "first", "qualified"),
    "first_late":                  CaseSpec(1.0, "first", "qualified"),
    "first_health_unfit":          CaseSpec(0.1, "first", "deferred"),
    "probation_not_passed":        CaseSpec(2.0, "not_yet_due", ""),
    "barred_unqualified":          CaseSpec(0.4, "barred", ""),
    "barred_revoked":              CaseSpec(0.2, "barred", ""),
    "barred_lost":                 CaseSpec(0.2, "barred", ""),
    "out_post":                    CaseSpec(2.5, "out_of_scope", ""),
    "out_employment":              CaseSpec(1.5, "out_of_scope", ""),
    "no_certificate":              CaseSpec(2.0, "out_of_scope", ""),
}
# fmt: on

# The first teachers of these schools walk through the cases, in this order. The very
# first is the applicant persona ``teacher_demo``: due for periodic registration, clean.
SHOWCASE: tuple[tuple[str, str], ...] = (
    ("3401030001", "periodic_qualified"),
    *(("3401030001", case) for case in CASES if case not in ("periodic_qualified", "not_yet_due")),
    ("3401030001", "not_yet_due"),
    ("3401020001", "periodic_qualified"),
    ("3401020001", "periodic_training_short"),
    ("3401020001", "first_on_time"),
    ("3401020001", "after_deferral_qualified"),
    ("3401000001", "periodic_qualified"),
    ("3401000001", "periodic_appraisal_basic"),
    ("3400000001", "periodic_qualified"),
    ("3401810101", "periodic_qualified"),
    ("3408260001", "periodic_qualified"),
    ("3408260001", "periodic_training_short"),
)

# Teachers per school, relative, by stage.
STAGE_WEIGHT = {
    "kindergarten": 25,
    "primary": 70,
    "junior": 60,
    "senior": 110,
    "complete_secondary": 120,
    "nine_year": 70,
    "vocational": 60,
    "special": 15,
}
# Qualification types held for a stage (资格种类 digit, weight).
STAGE_TYPES: dict[str, tuple[tuple[str, int], ...]] = {
    "kindergarten": (("1", 100),),
    "primary": (("2", 95), ("3", 5)),
    "junior": (("3", 90), ("4", 10)),
    "senior": (("4", 100),),
    "complete_secondary": (("3", 40), ("4", 60)),
    "nine_year": (("2", 55), ("3", 45)),
    "vocational": (("5", 65), ("6", 20), ("4", 15)),
    "special": (("2", 60), ("3", 40)),
}
SUBJECTS = {
    "1": ("幼儿园",),
    "2": ("语文", "数学", "英语", "科学", "道德与法治", "音乐", "体育", "美术", "信息技术"),
    "3": (
        "语文",
        "数学",
        "英语",
        "物理",
        "化学",
        "生物",
        "历史",
        "地理",
        "道德与法治",
        "音乐",
        "体育与健康",
        "美术",
    ),
    "4": (
        "语文",
        "数学",
        "英语",
        "物理",
        "化学",
        "生物",
        "历史",
        "地理",
        "思想政治",
        "信息技术",
        "心理健康教育",
    ),
    "5": ("计算机应用", "机械加工技术", "会计事务", "电子技术应用", "护理", "汽车运用与维修"),
    "6": ("数控技术应用", "汽车运用与维修", "电气运行与控制", "烹饪"),
}
POSTS = (
    (PostType.FULL_TIME, 88.0),
    (PostType.DUAL, 5.0),
    (PostType.LAB, 2.5),
    (PostType.MENTAL_HEALTH, 1.5),
    (PostType.YOUNG_PIONEERS, 1.5),
    (PostType.EDU_IT, 1.5),
)
PROGRAMMES = (
    "国培计划项目",
    "安徽省中小学教师省级培训",
    "校本研修",
    "中小学教师继续教育网络研修",
    "班主任能力提升培训",
    "信息技术应用能力提升工程2.0",
    "师德师风专题培训",
    "学科骨干教师研修",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN_FEMALE = "秀英华芳敏静丽娟艳霞玲桂兰萍红梅琳雪倩婷颖慧琴云凤洁晶燕丹蕾雯欣怡佳悦瑶璐涵思楠月"
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆文博志峰林龙东建国晨阳宁海诚"


@dataclass(frozen=True)
class SchoolInfo:
    """What the generator needs of a school (plain data, no model)."""

    code: str
    stage: str
    ownership: str
    county: str  # the county-level division where the school is
    county_authority: str  # certifying-authority code for types 1–3
    city_authority: str  # for types 4–6 (the county's own when it is a 省直管县)


@dataclass
class CertificatePlan:
    number: str
    qualification_type: str
    subject: str
    status: str
    last_conclusion: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    registered_on: dt.date | None


@dataclass
class TeacherPlan:
    case: str
    school: str
    name: str
    sex: str
    resident_id: str
    phone: str
    post_type: str
    employment_type: str
    health: str
    probation_passed_on: dt.date | None
    certificate: CertificatePlan | None
    appraisals: dict[int, str] = field(default_factory=dict)
    ethics: dict[int, str] = field(default_factory=dict)
    training: list[tuple[dt.date, Decimal, str]] = field(default_factory=list)
    breaks: list[tuple[dt.date, dt.date, str, bool]] = field(default_factory=list)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def validity_from(registered_on: dt.date) -> dt.date:
    """A 合格 registration is valid five years less a day."""
    return _add_years(registered_on, 5) - dt.timedelta(days=1)


class TeacherGenerator:
    def __init__(
        self, schools: Sequence[SchoolInfo], *, region_codes: Sequence[str], seed: int = SEED
    ) -> None:
        if not schools:
            raise ValueError("No schools to place teachers in.")
        self.rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not a secret
        self.schools = {s.code: s for s in schools}
        ordered = sorted(self.schools.values(), key=lambda s: s.code)
        self._school_list = ordered
        self._school_weights = _cumulative(
            [STAGE_WEIGHT[s.stage] * (0.6 if s.ownership == "private" else 1.0) for s in ordered]
        )
        self._case_names = list(CASES)
        self._case_weights = _cumulative([CASES[c].weight for c in self._case_names])
        self._post_names = [p for p, _ in POSTS]
        self._post_weights = _cumulative([w for _, w in POSTS])
        self._regions = list(region_codes)
        self._used_ids: set[str] = set()
        self._serials: dict[tuple[int, str], int] = {}
        self._showcase = [item for item in SHOWCASE if item[0] in self.schools]

    def plans(self, count: int) -> Iterator[TeacherPlan]:
        rng = self.rng
        for i in range(count):
            if i < len(self._showcase):
                code, case = self._showcase[i]
                school = self.schools[code]
            else:
                school = rng.choices(self._school_list, cum_weights=self._school_weights)[0]
                case = rng.choices(self._case_names, cum_weights=self._case_weights)[0]
            yield self._teacher(school, case)

    def plans_for(self, placed: Iterable[tuple[str, str]]) -> Iterator[TeacherPlan]:
        """One teacher per (school code, case), drawn after ``plans`` from the same
        generator (so every resident ID and certificate number stays unique)."""
        for code, case in placed:
            yield self._teacher(self.schools[code], case)

    # --- one teacher -------------------------------------------------------------

    def _teacher(self, school: SchoolInfo, case: str) -> TeacherPlan:
        rng = self.rng
        female = rng.random() < (0.97 if school.stage == "kindergarten" else 0.72)
        sex = Sex.FEMALE if female else Sex.MALE
        first = case.startswith("first_") or case == "probation_not_passed"

        # Timeline: birth, hire, probation, certification.
        if first:
            birth_year = rng.randint(1995, 2001)
            if case == "probation_not_passed":
                hired = dt.date(2024, 8, 26) + dt.timedelta(days=rng.randint(0, 20))
                # The probation ends after R (a teacher with no date at all is listed as
                # `first` / `probation_date_missing` for the reviewer to verify, §4).
                probation: dt.date | None = _add_years(hired, 1)
            elif case == "first_late":
                probation = dt.date(2022, 9, 1) + dt.timedelta(days=rng.randint(0, 770))  # ≤ 2024-10-11
                hired = _add_years(probation, -1)
            else:  # on time: probation passed within 60 days before R
                probation = dt.date(2024, 11, 1) + dt.timedelta(days=rng.randint(0, 49))
                hired = _add_years(probation, -1)
            cert_year = rng.randint(max(birth_year + 21, 2019), max(hired.year, birth_year + 21))
        else:
            birth_year = rng.randint(1966, 1994)
            hire_year = min(birth_year + rng.randint(21, 25), 2017)
            hired = dt.date(hire_year, 8, 31)
            probation = dt.date(hire_year + 1, 8, 31)
            cert_year = rng.randint(max(birth_year + 20, hire_year - 3), hire_year)

        resident_id = self._resident_id(school, birth_year, female)
        certificate = None if case == "no_certificate" else self._certificate(school, case, cert_year, female)

        post = rng.choices(self._post_names, cum_weights=self._post_weights)[0]
        if case == "out_post":
            post = PostType.OTHER
        if case == "out_employment":
            employment = EmploymentType.OTHER
        elif school.ownership == "private":
            employment = EmploymentType.PRIVATE_HIRED
        else:
            employment = (
                EmploymentType.PUBLIC_EQUAL_PAY if rng.random() < 0.12 else EmploymentType.PUBLIC_ESTABLISHED
            )

        plan = TeacherPlan(
            case=case,
            school=school.code,
            name=self._name(female),
            sex=sex,
            resident_id=resident_id,
            phone=f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
            post_type=post,
            employment_type=employment,
            health=Health.UNFIT if case.endswith("health_unfit") else Health.FIT,
            probation_passed_on=probation,
            certificate=certificate,
        )
        self._appraisals(plan, case, hired)
        self._training(plan, case, first, hired)
        self._breaks(plan, case, female, first)
        return plan

    def _name(self, female: bool) -> str:
        rng = self.rng
        pool = GIVEN_FEMALE if female else GIVEN_MALE
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.75 else "")
        return rng.choice(SURNAMES) + given

    def _resident_id(self, school: SchoolInfo, birth_year: int, female: bool) -> str:
        rng = self.rng
        region = school.county if rng.random() < 0.75 else rng.choice(self._regions)
        born = dt.date(birth_year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        # The 17th digit is odd for men, even for women (GB 11643).
        sequence = rng.randrange(500) * 2 + (0 if female else 1)
        while True:
            first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
            if first17 not in self._used_ids:
                self._used_ids.add(first17)
                return idcard.make(first17)
            sequence = (sequence + 2) % 1000

    def _certificate(self, school: SchoolInfo, case: str, cert_year: int, female: bool) -> CertificatePlan:
        rng = self.rng
        types = STAGE_TYPES[school.stage]
        qtype = rng.choices([t for t, _ in types], weights=[w for _, w in types])[0]
        authority = school.county_authority if qtype in "123" else school.city_authority
        serial = self._serials.get((cert_year, authority), 0) + 1
        self._serials[(cert_year, authority)] = serial
        number = f"{cert_year}{PROVINCE_CODE}{authority}{qtype}{1 if not female else 2}{serial:06d}"

        status: str = CertificateStatus.VALID
        conclusion: str = Conclusion.QUALIFIED
        registered_on: dt.date | None = dt.date(2019, 12, 31)
        if case.startswith("periodic_") or case in ("barred_revoked", "barred_lost"):
            if case == "periodic_qualified" and rng.random() < 0.1:
                # First registered off-cycle in early 2020: validity ends within 60 days after R.
                registered_on = dt.date(2020, 1, 15) + dt.timedelta(days=rng.randint(0, 40))
            status = {"barred_revoked": CertificateStatus.REVOKED, "barred_lost": CertificateStatus.LOST}.get(
                case, CertificateStatus.VALID
            )
        elif case in ("not_yet_due", "out_post", "out_employment"):
            registered_on = dt.date(rng.randint(2020, 2023), 12, 31)
        elif case.startswith("after_deferral"):
            conclusion = Conclusion.DEFERRED
            registered_on = dt.date(rng.randint(2019, 2023), 12, 31)
        elif case == "barred_unqualified":
            conclusion = Conclusion.UNQUALIFIED
        else:  # never registered
            conclusion = ""
            registered_on = None

        valid_from = valid_to = None
        if conclusion == Conclusion.QUALIFIED and registered_on is not None:
            valid_from, valid_to = registered_on, validity_from(registered_on)
        elif conclusion == Conclusion.DEFERRED and registered_on is not None:
            # Deferred at a periodic renewal: the certificate keeps the validity of its
            # earlier 注册合格, so the full cycle applies (a never-合格 deferral would be
            # judged like a first registration, §4).
            valid_from = _add_years(registered_on, -5)
            valid_to = validity_from(valid_from)
        return CertificatePlan(
            number=number,
            qualification_type=qtype,
            subject=rng.choice(SUBJECTS.get(qtype, ("语文",))),
            status=status,
            last_conclusion=conclusion,
            valid_from=valid_from,
            valid_to=valid_to,
            registered_on=registered_on,
        )

    def _appraisals(self, plan: TeacherPlan, case: str, hired: dt.date) -> None:
        rng = self.rng
        years = [y for y in APPRAISAL_YEARS if y > hired.year]
        for year in years:
            plan.appraisals[year] = (
                AppraisalGrade.EXCELLENT if rng.random() < 0.2 else AppraisalGrade.QUALIFIED
            )
            plan.ethics[year] = EthicsResult.PASSED
        if not years:
            return
        if (case == "not_yet_due" and rng.random() < 0.02) or case == "periodic_appraisal_basic":
            plan.appraisals[rng.choice(years)] = AppraisalGrade.BASIC
        elif case == "periodic_appraisal_missing":
            del plan.appraisals[rng.choice(years)]
        elif case == "periodic_appraisal_failed":
            plan.appraisals[rng.choice(years[::2])] = AppraisalGrade.FAILED  # never two in a row
        elif case == "periodic_failed_consecutive":
            start = rng.randrange(len(years) - 1)
            plan.appraisals[years[start]] = plan.appraisals[years[start + 1]] = AppraisalGrade.FAILED
        elif case == "periodic_ethics_failed":
            plan.ethics[rng.choice(years)] = EthicsResult.FAILED

    def _training(self, plan: TeacherPlan, case: str, first: bool, hired: dt.date) -> None:
        rng = self.rng
        if first:
            start = hired
            total_tenths = rng.randint(400, 1200)
            pieces = 1 if case == "probation_not_passed" else rng.randint(1, 2)
            programmes: Sequence[str] = ("新教师入职培训",)
        else:
            start = dt.date(2020, 1, 1)
            if case in ("periodic_training_short", "after_deferral_short"):
                total_tenths = rng.randint(1200, 3400)
            elif case.startswith(("periodic_", "after_deferral_")):
                total_tenths = rng.randint(3800, 5200)
            else:
                total_tenths = rng.randint(2400, 5200)
            pieces = rng.randint(3, 5)
            programmes = PROGRAMMES
        end = dt.date(2024, 8, 31) if case != "probation_not_passed" else dt.date(2024, 9, 30)
        span = max((end - start).days, 1)
        cuts = sorted(rng.sample(range(1, total_tenths), pieces - 1)) if pieces > 1 else []
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, total_tenths], strict=True)]
        for tenths in parts:
            day = start + dt.timedelta(days=rng.randint(0, span))
            plan.training.append((day, Decimal(tenths) / 10, rng.choice(programmes)))

    def _breaks(self, plan: TeacherPlan, case: str, female: bool, first: bool) -> None:
        rng = self.rng
        if case == "periodic_break":
            start = dt.date(2021, 3, 1) + dt.timedelta(days=rng.randint(0, 480))
            plan.breaks.append(
                (start, start + dt.timedelta(days=rng.randint(200, 300)), "未经批准离岗", False)
            )
            return
        if first:
            return
        roll = rng.random()
        if female and roll < 0.04:
            start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 1400))
            plan.breaks.append((start, start + dt.timedelta(days=157), "产假", True))
        elif roll < 0.05:
            start = dt.date(2020, 9, 1) + dt.timedelta(days=rng.randint(0, 800))
            plan.breaks.append((start, start + dt.timedelta(days=rng.randint(180, 330)), "脱产进修", True))
        elif roll < 0.055:
            start = dt.date(2020, 3, 1) + dt.timedelta(days=rng.randint(0, 1200))
            plan.breaks.append((start, start + dt.timedelta(days=rng.randint(20, 90)), "事假", False))


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_teachers(
    plans: Iterable[TeacherPlan], *, school_ids: dict[str, int], batch_size: int = 5000
) -> int:
    """Insert the plans in batches; returns the number of teachers. Call inside a
    transaction (one for the whole load keeps SQLite fast and the load all-or-nothing).

    Teachers go through ``bulk_create``: their encrypted resident ID and phone get
    their ciphertext and blind index from the fields' ``get_prep_value`` / ``pre_save``,
    exactly as on a normal save. Certificates and the fact rows (appraisals, ethics,
    training, breaks), plain columns only, go through the shared bulk writer
    (``jiaozi.teachers.bulk``, one column list per table). See docs/decisions/0022-seed-demo.md."""
    ops = connection.ops
    date = ops.adapt_datefield_value
    hours_field = TrainingRecord._meta.get_field("hours")
    max_digits, places = hours_field.max_digits, hours_field.decimal_places  # type: ignore[union-attr]
    now = ops.adapt_datetimefield_value(clock.now())
    written = 0
    for batch in batched(plans, batch_size):
        teachers = [
            Teacher(
                resident_id=p.resident_id,
                name=p.name,
                sex=p.sex,
                phone=p.phone,
                school_id=school_ids[p.school],
                post_type=p.post_type,
                employment_type=p.employment_type,
                health=p.health,
                probation_passed_on=p.probation_passed_on,
            )
            for p in batch
        ]
        # PostgreSQL and SQLite ≥ 3.35 return the new primary keys.
        Teacher.objects.bulk_create(teachers, batch_size=batch_size)
        certificates: list[tuple[Any, ...]] = []
        appraisals: list[tuple[Any, ...]] = []
        ethics: list[tuple[Any, ...]] = []
        training: list[tuple[Any, ...]] = []
        breaks: list[tuple[Any, ...]] = []
        for teacher, p in zip(teachers, batch, strict=True):
            tid = teacher.pk
            c = p.certificate
            if c is not None:
                certificates.append(
                    (
                        c.number,
                        tid,
                        c.qualification_type,
                        c.subject,
                        c.status,
                        c.last_conclusion,
                        date(c.valid_from),
                        date(c.valid_to),
                        date(c.registered_on),
                        1,
                        now,
                        now,
                    )
                )
            appraisals.extend((tid, y, str(g)) for y, g in p.appraisals.items())
            ethics.extend((tid, y, str(r)) for y, r in p.ethics.items())
            training.extend(
                (tid, date(d), name, ops.adapt_decimalfield_value(h, max_digits, places))
                for d, h, name in p.training
            )
            breaks.extend((tid, date(s), date(e), why, ok) for s, e, why, ok in p.breaks)
        bulk.CERTIFICATES.insert(certificates)
        bulk.ANNUAL_APPRAISALS.insert(appraisals)
        bulk.ETHICS_APPRAISALS.insert(ethics)
        bulk.TRAINING_RECORDS.insert(training)
        bulk.TEACHING_BREAKS.insert(breaks)
        written += len(teachers)
    return written


def plan_facts(plan: TeacherPlan) -> dict[str, Any]:
    """The plan in the shape of ``jiaozi.registration.rules.TeacherFacts`` keyword
    arguments (for tests and benchmarks, without a database)."""
    c = plan.certificate
    return {
        "post_type": plan.post_type,
        "employment_type": plan.employment_type,
        "health": plan.health,
        "probation_passed_on": plan.probation_passed_on,
        "certificate_status": c.status if c else None,
        "last_conclusion": c.last_conclusion if c else "",
        "valid_to": c.valid_to if c else None,
        "appraisals": dict(plan.appraisals),
        "ethics": dict(plan.ethics),
        "training": [(d, h) for d, h, _ in plan.training],
        "breaks": [(s, e, ok) for s, e, _, ok in plan.breaks],
    }


__all__ = [
    "CASES",
    "REGISTRATION_DATE",
    "SEED",
    "SHOWCASE",
    "SchoolInfo",
    "TeacherGenerator",
    "TeacherPlan",
    "plan_facts",
    "write_teachers",
]
