"""Benchmark: a batch decision of 10,000 applications with their audit rows (PRODUCT.md
§10: ≤ 10 s).

Fills the scratch database with N applications of one 庐阳区 school waiting for the
registration authority (and N more waiting for the 合肥市 recheck), then times, end to
end through ``transitions.application_transition_batch``:

1. the 庐阳区 registration reviewer concluding all N (注册合格, the suggestion) — the
   compare-and-set writes, N steps and N audit rows;
2. the 合肥市 rechecker approving the other N — the same plus N inbox notifications.

Run through ``bench/run.py`` (``make bench``): ``python bench/run.py batch_decision``;
``--applications N`` changes the size (default 10,000, the §10 figure).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

TITLE = "Batch decision (registration.transitions.application_transition_batch)"
TARGET_SECONDS = 10.0
DEFAULT_APPLICATIONS = 10_000
# Inside every window of the Anhui 2024 campaign the data migration creates.
AT = dt.datetime(2024, 10, 15, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _resident_id(serial: int) -> str:
    """A distinct valid 庐阳区 resident ID per serial: a birth day and a sequence number."""
    from jiaozi.core.idcard import make

    born = dt.date(1970, 1, 1) + dt.timedelta(days=serial // 1000)
    return make(f"340103{born:%Y%m%d}{serial % 1000:03d}")


def _fill(
    n: int, *, status: str, school: Any, chain: list[Any], campaign: Any, tag: str, offset: int
) -> list[Any]:
    """``n`` applications in ``status``: applicant accounts, teachers and certificates
    inserted in bulk (the workflow, not the loading, is under test)."""
    from django.contrib.auth.hashers import make_password

    from jiaozi.accounts.models import User
    from jiaozi.certificates.models import Certificate
    from jiaozi.core import clock
    from jiaozi.registration.models import Application
    from jiaozi.teachers.models import Teacher

    now = clock.now()
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=f"bench_{tag}_{i:06d}", kind="applicant", real_name=f"申请人{i}", password=unusable)
            for i in range(n)
        ],
        batch_size=2000,
    )
    teachers = Teacher.objects.bulk_create(
        [
            Teacher(
                resident_id=_resident_id(offset + i),
                name=f"教师{i}",
                sex="male",
                school=school,
                post_type="full_time",
                employment_type="public_established",
                probation_passed_on=dt.date(2015, 8, 31),
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    certificates = Certificate.objects.bulk_create(
        [
            Certificate(
                number=f"2015340{offset + i:010d}",
                teacher=teacher,
                qualification_type="3",
                subject="语文",
                last_conclusion="qualified",
                valid_from=dt.date(2019, 12, 31),
                valid_to=dt.date(2024, 12, 30),
            )
            for i, teacher in enumerate(teachers)
        ],
        batch_size=2000,
    )
    school_, authority, city, province = chain
    return Application.objects.bulk_create(
        [
            Application(
                campaign=campaign,
                applicant=user,
                teacher=teacher,
                certificate=certificate,
                school=school_,
                registration_authority=authority,
                city_bureau=city,
                province_bureau=province,
                status=status,
                due="periodic",
                suggestion="qualified",
                conclusion="qualified" if status == "city_recheck" else "",
                submitted_at=now,
            )
            for user, teacher, certificate in zip(users, teachers, certificates, strict=True)
        ],
        batch_size=2000,
    )


def _timed(action: str, actor: Any, applications: list[Any], **fields: Any) -> tuple[float, float, Any]:
    from jiaozi.registration.transitions import BatchItem, application_transition_batch

    items = [BatchItem(application_id=a.pk, version=a.version, **fields) for a in applications]
    cpu, wall = time.process_time(), time.perf_counter()
    result = application_transition_batch(actor=actor, action=action, items=items)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run(ctx: Any) -> dict[str, Any]:
    from django.conf import settings
    from django.urls import get_resolver

    from jiaozi.accounts.models import User
    from jiaozi.audit.models import AuditEvent, AuditKind
    from jiaozi.core import clock
    from jiaozi.notifications.models import Notification
    from jiaozi.orgs.models import Institution
    from jiaozi.orgs.routing import review_chain
    from jiaozi.registration.models import ApplicationStep, Campaign
    from jiaozi.registration.workflow import Action, Status

    n = int(ctx.options.get("applications") or DEFAULT_APPLICATIONS)
    # The local settings may move the clock for the demo; land exactly on AT.
    extra = dt.timedelta(days=getattr(settings, "JIAOZI_CLOCK_OFFSET_DAYS", 0))
    with clock.travel(AT - extra):
        campaign = Campaign.objects.get(province_code="340000", year=2024, is_active=True)
        luyang = Institution.objects.get(kind="bureau", code="340103")
        school, _ = Institution.objects.get_or_create(
            code="3401039901",
            defaults={
                "name": "基准测试学校",
                "kind": "school",
                "level": luyang.level,
                "division_id": luyang.division_id,
                "parent": luyang,
                "ownership": "public",
                "stage": "junior",
            },
        )
        chain = review_chain(school)
        assert len(chain) == 4, "a 庐阳区 school is rechecked by 合肥市"

        def staff(username: str, role: str, institution: Institution) -> User:
            return User.objects.create_user(
                username=username,
                password=None,
                kind="staff",
                role=role,
                institution=institution,
                real_name="基准",
            )

        reviewer = staff("bench_reviewer", "registration_reviewer", chain[1])
        rechecker = staff("bench_rechecker", "city_rechecker", chain[2])
        fill_started = time.perf_counter()
        to_conclude = _fill(
            n,
            status=Status.REGISTRATION_REVIEW,
            school=school,
            chain=chain,
            campaign=campaign,
            tag="conclude",
            offset=0,
        )
        to_recheck = _fill(
            n,
            status=Status.CITY_RECHECK,
            school=school,
            chain=chain,
            campaign=campaign,
            tag="recheck",
            offset=n,
        )
        fill_seconds = time.perf_counter() - fill_started
        # A running server has its URL configuration loaded (notifications link to pages).
        get_resolver().url_patterns  # noqa: B018

        conclude_wall, conclude_cpu, concluded = _timed(
            Action.CONCLUDE, reviewer, to_conclude, conclusion="qualified"
        )
        recheck_wall, recheck_cpu, rechecked = _timed(Action.CITY_APPROVE, rechecker, to_recheck)

    for result in (concluded, rechecked):
        if result.failed:
            raise RuntimeError(f"{len(result.failed)} items failed, first: {result.failed[0]}")
    audit_rows = AuditEvent.objects.filter(
        kind__in=[AuditKind.APPLICATION_CONCLUDED, AuditKind.APPLICATION_CITY_APPROVED]
    ).count()
    steps = ApplicationStep.objects.count()
    notifications = Notification.objects.filter(kind="registration.city_approved").count()
    assert audit_rows == steps == 2 * n, (audit_rows, steps)
    assert notifications == n
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    target = f"≤ {TARGET_SECONDS:.0f} s for 10,000"
    scale = 10_000 / n
    return {
        "title": TITLE,
        "metrics": [
            {
                "what": f"conclude {n:,} (steps + audit rows)",
                "value": f"{conclude_wall:.2f} s (CPU {conclude_cpu:.2f} s)",
                "target": target,
                "ok": conclude_wall * scale <= TARGET_SECONDS,
            },
            {
                "what": f"city approve {n:,} (steps + audit rows + inbox notifications)",
                "value": f"{recheck_wall:.2f} s (CPU {recheck_cpu:.2f} s)",
                "target": target,
                "ok": recheck_wall * scale <= TARGET_SECONDS,
            },
        ],
        "notes": [
            f"{n:,} applications per batch, one registration authority / one city bureau (one audit chain each)",
            f"setup (bulk insert of {2 * n:,} applicants, teachers, certificates, applications) {fill_seconds:.0f} s",
            f"load average at the end {load:.2f} on {os.cpu_count()} cores (the machine is shared)",
        ],
    }
