"""Benchmark: the registration pre-check (PRODUCT.md §10: 1,000,000 teachers in ≤ 2 min,
i.e. ≥ 8,300 teachers/s).

Fills a scratch database with teachers (the orgs engineer's ``seed_demo`` when it
exists, else the bulk generator below — deterministic, with realistic proportions for
a registration date of 2024-12-31), then times ``manage.py registration_precheck``
writing its CSV to a file, end to end.

Run through ``bench/run.py`` (``make bench``): ``python bench/run.py precheck``;
``--teachers N`` changes the size (default 100,000)."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

TITLE = "Registration pre-check (registration_precheck)"
TARGET_PER_SECOND = 8_300  # 1,000,000 teachers in ≤ 120 s
DEFAULT_TEACHERS = 100_000
REGISTRATION_DATE = dt.date(2024, 12, 31)
BATCH = 5_000


def _weighted(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    total = sum(weight for _value, weight in table)
    pick = rng.randrange(total)
    for value, weight in table:
        if pick < weight:
            return value
        pick -= weight
    raise AssertionError("unreachable")


def _schools(count: int) -> list[Any]:
    """``count`` schools under the county bureaus that ``migrate`` created (合肥市 first)."""
    from jiaozi.orgs.models import Institution

    bureaus = list(
        Institution.objects.filter(kind=Institution.Kind.BUREAU, level="county").order_by("code")[:20]
    )
    if not bureaus:
        raise RuntimeError("No county bureaus: run migrate first (orgs loads the Anhui divisions).")
    schools = []
    for index in range(count):
        bureau = bureaus[index % len(bureaus)]
        code = f"{bureau.code}{9000 + index:04d}"
        school, _created = Institution.objects.get_or_create(
            code=code,
            defaults={
                "name": f"基准测试学校{index + 1:03d}",
                "kind": Institution.Kind.SCHOOL,
                "level": "county",
                "division_id": bureau.division_id,
                "parent": bureau,
                "ownership": "public" if index % 5 else "private",
                "stage": ("primary", "junior", "senior", "kindergarten")[index % 4],
            },
        )
        schools.append(school)
    return schools


def generate(teachers: int, *, seed: int = 20241231) -> dict[str, int]:
    """Insert ``teachers`` teachers with certificates, appraisals, ethics, training and
    breaks; returns the row counts."""
    from jiaozi.core.idcard import make
    from jiaozi.teachers import models as m

    rng = random.Random(seed)
    schools = _schools(max(1, teachers // 500))
    counts: Counter[str] = Counter()
    next_cert = 1
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"

    for offset in range(0, teachers, BATCH):
        size = min(BATCH, teachers - offset)
        batch_teachers = []
        for i in range(size):
            n = offset + i
            # Unique and valid: birth date and serial both derive from n.
            birth = dt.date(1970, 1, 1) + dt.timedelta(days=(n // 1000) * 3)
            batch_teachers.append(
                m.Teacher(
                    resident_id=make(f"340103{birth:%Y%m%d}{n % 1000:03d}"),
                    name=rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if n % 2 else ""),
                    sex=m.Sex.MALE if n % 2 else m.Sex.FEMALE,
                    phone=f"13{rng.randrange(10**9):09d}",
                    school=schools[n % len(schools)],
                    post_type=_weighted(
                        rng,
                        (
                            (m.PostType.FULL_TIME, 900),
                            (m.PostType.DUAL, 30),
                            (m.PostType.LAB, 20),
                            (m.PostType.MENTAL_HEALTH, 10),
                            (m.PostType.YOUNG_PIONEERS, 10),
                            (m.PostType.EDU_IT, 10),
                            (m.PostType.OTHER, 20),
                        ),
                    ),
                    employment_type=_weighted(
                        rng,
                        (
                            (m.EmploymentType.PUBLIC_ESTABLISHED, 800),
                            (m.EmploymentType.PUBLIC_EQUAL_PAY, 50),
                            (m.EmploymentType.PRIVATE_HIRED, 120),
                            (m.EmploymentType.OTHER, 30),
                        ),
                    ),
                    health=m.Health.UNFIT if rng.random() < 0.005 else m.Health.FIT,
                    probation_passed_on=dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(365 * 16)),
                )
            )
        m.Teacher.objects.bulk_create(batch_teachers, batch_size=BATCH)
        # SQLite ≥ 3.35 and PostgreSQL return the new primary keys.
        created = [teacher.pk for teacher in batch_teachers]
        counts["teachers"] += len(created)

        certificates, appraisals, ethics, training, breaks = [], [], [], [], []
        for teacher_id in created:
            holding = _weighted(rng, ((0, 20), (1, 970), (2, 10)))
            for _c in range(holding):
                conclusion = _weighted(
                    rng,
                    (
                        (m.Conclusion.QUALIFIED, 800),
                        ("", 100),
                        (m.Conclusion.DEFERRED, 80),
                        (m.Conclusion.UNQUALIFIED, 20),
                    ),
                )
                valid_to = None
                valid_from = None
                if conclusion == m.Conclusion.QUALIFIED:
                    # Validity ends spread over 2024-06 … 2029-12: about a fifth due.
                    valid_to = dt.date(2024, 6, 1) + dt.timedelta(days=rng.randrange(365 * 5 + 200))
                    valid_from = valid_to - dt.timedelta(days=5 * 365)
                certificates.append(
                    m.Certificate(
                        # year(4) province(2) authority(3) type(1) sex(1) serial(6)
                        number=f"{2010 + next_cert // 1_000_000}34001{rng.randrange(1, 7)}"
                        f"{1 + next_cert % 2}{next_cert % 1_000_000:06d}",
                        teacher_id=teacher_id,
                        qualification_type=str(rng.randrange(1, 7)),
                        subject="语文",
                        status=_weighted(
                            rng,
                            (
                                (m.CertificateStatus.VALID, 995),
                                (m.CertificateStatus.REVOKED, 3),
                                (m.CertificateStatus.LOST, 2),
                            ),
                        ),
                        last_conclusion=conclusion,
                        valid_from=valid_from,
                        valid_to=valid_to,
                    )
                )
                next_cert += 1
            for year in range(2018, 2025):
                if rng.random() < 0.003:
                    continue  # missing
                appraisals.append(
                    m.AnnualAppraisal(
                        teacher_id=teacher_id,
                        year=year,
                        grade=_weighted(
                            rng,
                            (
                                (m.AppraisalGrade.QUALIFIED, 850),
                                (m.AppraisalGrade.EXCELLENT, 120),
                                (m.AppraisalGrade.BASIC, 20),
                                (m.AppraisalGrade.FAILED, 10),
                            ),
                        ),
                    )
                )
            for year in range(2019, 2025):
                ethics.append(
                    m.EthicsAppraisal(
                        teacher_id=teacher_id,
                        year=year,
                        result=m.EthicsResult.FAILED if rng.random() < 0.002 else m.EthicsResult.PASSED,
                    )
                )
            for _t in range(rng.randrange(6, 12)):
                training.append(
                    m.TrainingRecord(
                        teacher_id=teacher_id,
                        date=dt.date(2019, 6, 1) + dt.timedelta(days=rng.randrange(365 * 5 + 200)),
                        hours=Decimal(rng.randrange(100, 800)) / 10,
                        programme="国培计划",
                    )
                )
            if rng.random() < 0.03:
                start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(365 * 6))
                breaks.append(
                    m.TeachingBreak(
                        teacher_id=teacher_id,
                        start=start,
                        end=start + dt.timedelta(days=rng.randrange(30, 400)),
                        reason="进修" if rng.random() < 0.5 else "",
                        approved=rng.random() < 0.5,
                    )
                )
        for name, model, objs in (
            ("certificates", m.Certificate, certificates),
            ("annual appraisals", m.AnnualAppraisal, appraisals),
            ("ethics appraisals", m.EthicsAppraisal, ethics),
            ("training records", m.TrainingRecord, training),
            ("breaks", m.TeachingBreak, breaks),
        ):
            model.objects.bulk_create(objs, batch_size=BATCH)
            counts[name] += len(objs)
    return dict(counts)


def populate(teachers: int) -> tuple[str, dict[str, int], float]:
    """Fill the scratch database; returns (how, row counts, seconds)."""
    from django.core.management import call_command, get_commands

    from jiaozi.teachers import models as m

    started = time.perf_counter()
    if "seed_demo" in get_commands():
        call_command("seed_demo", teachers=teachers, verbosity=0)
        how = "seed_demo"
        counts = {
            "teachers": m.Teacher.objects.count(),
            "certificates": m.Certificate.objects.count(),
            "annual appraisals": m.AnnualAppraisal.objects.count(),
            "ethics appraisals": m.EthicsAppraisal.objects.count(),
            "training records": m.TrainingRecord.objects.count(),
            "breaks": m.TeachingBreak.objects.count(),
        }
    else:
        how = "bench generator"
        counts = generate(teachers)
    return how, counts, time.perf_counter() - started


def run(ctx: Any) -> dict[str, Any]:
    """Called by bench/run.py inside a configured Django process on a scratch database."""
    from django.core.management import call_command

    teachers = int(ctx.options.get("teachers") or DEFAULT_TEACHERS)
    how, counts, fill_seconds = populate(teachers)
    out = Path(tempfile.mkdtemp(prefix="jiaozi-precheck-")) / "precheck.csv"

    started = time.perf_counter()
    call_command("registration_precheck", date=REGISTRATION_DATE.isoformat(), out=str(out), verbosity=0)
    seconds = time.perf_counter() - started

    rows = 0
    dues: Counter[str] = Counter()
    with out.open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            rows += 1
            dues[line.split(",", 2)[1]] += 1
    teacher_count = counts.get("teachers", teachers)
    rate = teacher_count / seconds if seconds else 0.0
    return {
        "title": TITLE,
        "metrics": [
            {"what": "data", "value": f"{teacher_count:,} teachers ({how}, {fill_seconds:.0f} s to load)"},
            {"what": "rows written", "value": f"{rows:,}"},
            {"what": "pre-check time", "value": f"{seconds:.1f} s"},
            {
                "what": "throughput",
                "value": f"{rate:,.0f} teachers/s",
                "target": f"≥ {TARGET_PER_SECOND:,} teachers/s",
                "ok": rate >= TARGET_PER_SECOND,
            },
            {
                "what": "1,000,000 teachers (extrapolated)",
                "value": f"{1_000_000 / rate:.0f} s" if rate else "n/a",
                "target": "≤ 120 s",
                "ok": bool(rate) and 1_000_000 / rate <= 120,
            },
        ],
        "notes": [
            "due mix: " + ", ".join(f"{due} {count:,}" for due, count in sorted(dues.items())),
            "rows of " + ", ".join(f"{name} {count:,}" for name, count in counts.items()),
        ],
    }
