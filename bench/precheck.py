"""Benchmark: the registration pre-check (PRODUCT.md §10: 1,000,000 teachers in ≤ 2 min,
i.e. ≥ 8,300 teachers/s).

Fills a scratch database with teachers (the demo's ``seed_demo`` when it
exists, else the bulk generator below — deterministic, with realistic proportions for
a registration date of 2024-12-31), then times ``manage.py registration_precheck``
writing its CSV to a file, end to end.

Run through ``bench/run.py`` (``make bench``): ``python bench/run.py precheck``;
``--teachers N`` changes the size (default 100,000); ``--generator bench`` uses the
generator below even when ``seed_demo`` exists (it is much faster for a million)."""

from __future__ import annotations

import datetime as dt
import os
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
    from django.db import transaction
    from django.utils import timezone

    from jiaozi.certificates import models as cm
    from jiaozi.core.idcard import make
    from jiaozi.teachers import bulk
    from jiaozi.teachers import models as m

    # The shared bulk writer (COPY on PostgreSQL, one executemany on SQLite): the ORM's
    # per-object work dominated the fill time, and these tables hold nothing that needs
    # a model's save logic. Each row is a tuple in its table's column order.
    tables = {
        "certificates": bulk.CERTIFICATES,
        "annual appraisals": bulk.ANNUAL_APPRAISALS,
        "ethics appraisals": bulk.ETHICS_APPRAISALS,
        "training records": bulk.TRAINING_RECORDS,
        "breaks": bulk.TEACHING_BREAKS,
    }

    rng = random.Random(seed)
    now = timezone.now()
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
        # The ORM for teachers: their resident ID and phone are encrypted on the way in.
        m.Teacher.objects.bulk_create(batch_teachers, batch_size=BATCH)
        # SQLite ≥ 3.35 and PostgreSQL return the new primary keys.
        created = [teacher.pk for teacher in batch_teachers]
        counts["teachers"] += len(created)

        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in tables}
        for teacher_id in created:
            for _c in range(_weighted(rng, ((0, 20), (1, 970), (2, 10)))):
                conclusion = _weighted(
                    rng,
                    (
                        (cm.Conclusion.QUALIFIED.value, 800),
                        ("", 100),
                        (cm.Conclusion.DEFERRED.value, 80),
                        (cm.Conclusion.UNQUALIFIED.value, 20),
                    ),
                )
                valid_from = valid_to = None
                if conclusion == cm.Conclusion.QUALIFIED:
                    # Validity ends spread over 2024-06 … 2029-12: about a fifth due.
                    valid_to = dt.date(2024, 6, 1) + dt.timedelta(days=rng.randrange(365 * 5 + 200))
                    valid_from = valid_to - dt.timedelta(days=5 * 365)
                status = _weighted(rng, (("valid", 995), ("revoked", 3), ("lost", 2)))
                rows["certificates"].append(
                    (
                        # year(4) province(2) authority(3) type(1) sex(1) serial(6)
                        f"{2010 + next_cert // 1_000_000}34001{rng.randrange(1, 7)}"
                        f"{1 + next_cert % 2}{next_cert % 1_000_000:06d}",
                        teacher_id,
                        str(rng.randrange(1, 7)),
                        "语文",
                        status,
                        conclusion,
                        valid_from,
                        valid_to,
                        None,
                        1,
                        now,
                        now,
                    )
                )
                next_cert += 1
            for year in range(2018, 2025):
                if rng.random() < 0.003:
                    continue  # a missing appraisal
                grade = _weighted(
                    rng, (("qualified", 850), ("excellent", 120), ("basic", 20), ("failed", 10))
                )
                rows["annual appraisals"].append((teacher_id, year, grade))
            for year in range(2019, 2025):
                rows["ethics appraisals"].append(
                    (teacher_id, year, "failed" if rng.random() < 0.002 else "passed")
                )
            for _t in range(rng.randrange(6, 12)):
                day = dt.date(2019, 6, 1) + dt.timedelta(days=rng.randrange(365 * 5 + 200))
                rows["training records"].append(
                    (teacher_id, day, "国培计划", Decimal(rng.randrange(100, 800)) / 10)
                )
            if rng.random() < 0.03:
                start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(365 * 6))
                end = start + dt.timedelta(days=rng.randrange(30, 400))
                rows["breaks"].append(
                    (teacher_id, start, end, "进修" if rng.random() < 0.5 else "", rng.random() < 0.5)
                )
        with transaction.atomic():
            for name, table in tables.items():
                table.insert(rows[name])
                counts[name] += len(rows[name])
    return dict(counts)


def populate(teachers: int, generator: str = "") -> tuple[str, dict[str, int], float]:
    """Fill the scratch database; returns (how, row counts, seconds). ``generator`` is
    "seed_demo", "bench" or "" (seed_demo when it exists)."""
    from django.core.management import call_command, get_commands

    from jiaozi.certificates import models as cm
    from jiaozi.teachers import models as m

    started = time.perf_counter()
    if generator != "bench" and "seed_demo" in get_commands():
        call_command("seed_demo", teachers=teachers, verbosity=0)
        how = "seed_demo"
        counts = {
            "teachers": m.Teacher.objects.count(),
            "certificates": cm.Certificate.objects.count(),
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
    how, counts, fill_seconds = populate(teachers, ctx.options.get("generator", ""))
    out = Path(tempfile.mkdtemp(prefix="jiaozi-precheck-")) / "precheck.csv"

    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    call_command("registration_precheck", date=REGISTRATION_DATE.isoformat(), out=str(out), verbosity=0)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    load_after = os.getloadavg()[0]

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
            {
                "what": "pre-check time",
                "value": f"{seconds:.1f} s wall, {cpu_seconds:.1f} s CPU in the command's process",
            },
            {
                "what": "throughput",
                "value": f"{rate:,.0f} teachers/s",
                "target": f"≥ {TARGET_PER_SECOND:,} teachers/s",
                "ok": rate >= TARGET_PER_SECOND,
            },
            {
                "what": "1,000,000 teachers"
                + (" (measured)" if teacher_count == 1_000_000 else " (extrapolated)"),
                "value": f"{1_000_000 / rate:.0f} s" if rate else "n/a",
                "target": "≤ 120 s",
                "ok": bool(rate) and 1_000_000 / rate <= 120,
            },
        ],
        "notes": [
            f"load average {load_before:.1f} before, {load_after:.1f} after (the machine is shared: "
            "other work on the same cores slows the wall-clock figure)",
            f"{teacher_count / cpu_seconds:,.0f} teachers per CPU-second of the command's process"
            + (" (PostgreSQL's own CPU time not included)" if ctx.backend == "postgresql" else ""),
            "due mix: " + ", ".join(f"{due} {count:,}" for due, count in sorted(dues.items())),
            "rows of " + ", ".join(f"{name} {count:,}" for name, count in counts.items()),
        ],
    }
