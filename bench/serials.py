"""200 concurrent approvals at one certifying authority on PostgreSQL (issue 10 target:
200 distinct, consecutive serials, ≥ 50 approvals/s). Four forked worker processes (as
several app servers would be) of five threads each — twenty connections in all, since
PostgreSQL's max_connections is shared on this machine — approve at once; every approval is the real ``DECIDE`` transition: the row
lock on the authority's serial counter, the certificate number, the registry's
certificate with its ``issued`` event and token, the step, the audit row and the
applicant's notification, in one transaction."""

from __future__ import annotations

import datetime as dt
import os
import queue
import threading
import time
from typing import Any
from zoneinfo import ZoneInfo

TITLE = "Certificate serials: 200 concurrent approvals at one authority"
BACKENDS = ("postgresql",)
DEFAULT_APPROVALS = 200
WORKERS = 20
PROCESSES = 4
TARGET_RATE = 50.0
SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2024, 10, 22, 10, tzinfo=SHANGHAI)


def _prepare(n: int) -> tuple[list[tuple[int, int]], Any, list[Any]]:
    from jiaozi.accounts.models import User
    from jiaozi.certification.models import CertificationApplication, CertificationBatch
    from jiaozi.certification.reference import ensure_anhui
    from jiaozi.certification.workflow import Status
    from jiaozi.core import idcard
    from jiaozi.orgs.models import Institution

    ensure_anhui()
    batch = CertificationBatch.objects.get(province_code="340000", year=2024)
    authority = Institution.objects.get(kind="bureau", code="340103")
    point, _ = Institution.objects.get_or_create(
        code="340103QR99",
        defaults={
            "name": "基准测试确认点",
            "kind": "confirmation_point",
            "level": authority.level,
            "division_id": authority.division_id,
            "parent": authority,
        },
    )
    officers = [
        User.objects.create_user(
            username=f"bench_certifier{i}",
            password=None,
            kind="staff",
            role="certifying_officer",
            institution=authority,
            real_name="基准",
        )
        for i in range(WORKERS)
    ]
    rows = []
    for i in range(n):
        rid = idcard.make(f"340103{1990 + i % 10}0101{i:03d}"[:17])
        user = User.objects.create_user(
            username=f"bench_rd{i}", password=None, kind="applicant", real_name=f"基准{i}", resident_id=rid
        )
        rows.append(
            CertificationApplication(
                batch=batch,
                applicant=user,
                year=2024,
                status=Status.DECISION,
                qualification_type="2",
                subject="数学",
                authority=authority,
                confirmation_point=point,
                name=f"基准{i}",
                resident_id=rid,
                sex="1" if idcard.sex_of(rid) == "male" else "2",
                birth_date=idcard.birth_date_of(rid),
                education="bachelor",
                mandarin="2a",
                ntce_type="2",
                ntce_date=dt.date(2023, 6, 1),
                commitment=True,
                health="fit",
                photo="bench.jpg",
                submitted_at=AT - dt.timedelta(days=30),
            )
        )
    created = CertificationApplication.objects.bulk_create(rows)
    return [(a.pk, a.version) for a in created], authority, officers


def _approve_in_process(
    chunk: list[tuple[int, int]], officers: list[int], results: Any, start_at: float, threads: int
) -> None:
    """A forked worker process (an app server): ``threads`` threads, each its own
    connection, approve ``chunk``; every result goes back through ``results``."""
    from django.db import connections

    from jiaozi.accounts.models import User
    from jiaozi.certification.transitions import certification_transition
    from jiaozi.certification.workflow import Action, Conclusion

    connections.close_all()  # never share the parent's connection
    work: queue.Queue[tuple[int, int]] = queue.Queue()
    for item in chunk:
        work.put(item)

    def worker(k: int) -> None:
        officer = User.objects.get(pk=officers[k])
        while time.time() < start_at:  # every process starts together
            time.sleep(0.001)
        try:
            while True:
                try:
                    pk, version = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    app = certification_transition(
                        actor=officer, application_id=pk, action=Action.DECIDE, version=version,
                        conclusion=Conclusion.CERTIFIED,
                    )  # fmt: skip
                    results.put(("ok", app.certificate_number, time.process_time()))
                except Exception as exc:
                    results.put(("error", f"{pk}: {exc!r}", 0.0))
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results.put(("cpu", "", time.process_time()))


def run(ctx: Any) -> dict[str, Any]:
    import multiprocessing

    from django.conf import settings
    from django.db import connections
    from django.urls import get_resolver

    from jiaozi.certification.models import CertificationApplication, SerialCounter
    from jiaozi.core import clock

    n = int(ctx.options.get("approvals") or DEFAULT_APPROVALS)
    processes = int(ctx.options.get("processes") or PROCESSES)
    per_process = max(1, WORKERS // processes)
    extra = dt.timedelta(days=getattr(settings, "JIAOZI_CLOCK_OFFSET_DAYS", 0))
    get_resolver().url_patterns  # noqa: B018  (notifications link to pages)
    numbers: list[str] = []
    errors: list[str] = []
    with clock.travel(AT - extra):
        items, authority, officers = _prepare(n)
        connections.close_all()
        fork = multiprocessing.get_context("fork")
        results = fork.Queue()
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        start_at = time.time() + 3.0
        officer_ids = [o.pk for o in officers]
        children = [
            fork.Process(
                target=_approve_in_process,
                args=(
                    items[p::processes],
                    officer_ids[p * per_process : (p + 1) * per_process],
                    results,
                    start_at,
                    per_process,
                ),
            )
            for p in range(processes)
        ]
        for child in children:
            child.start()
        cpu = 0.0
        finished = 0
        while finished < processes:
            kind, value, seconds = results.get(timeout=600)
            if kind == "ok":
                numbers.append(value)
            elif kind == "error":
                errors.append(value)
            else:
                finished += 1
                cpu += seconds
        wall = time.time() - start_at
        for child in children:
            child.join()

    # Read the outcome on a fresh connection (a new snapshot of what the workers committed).
    connections.close_all()
    serials = sorted(int(number[-6:]) for number in numbers)
    consecutive = serials == list(range(1, n + 1))
    distinct = len(set(numbers)) == len(numbers)
    year = int(numbers[0][:4]) if numbers else 2024
    row = SerialCounter.objects.filter(authority=authority, year=year).first()
    counter = row.last if row else 0
    stored = CertificationApplication.objects.filter(certificate_number__in=numbers).count()
    rate = len(numbers) / wall if wall else float("inf")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "title": TITLE,
        "metrics": [
            {
                "what": f"{n} approvals, {processes} processes × {per_process} threads = {processes * per_process} connections",
                "value": f"{len(numbers)} numbered, {len(errors)} failed, serials {serials[0] if serials else 0}…"
                f"{serials[-1] if serials else 0} ({year}), counter {counter}, stored {stored}",
                "target": f"{n} distinct, consecutive serials",
                "ok": consecutive and distinct and counter == n and stored == n and not errors,
            },
            {
                "what": "approval rate",
                "value": f"{rate:.1f} approvals/s ({wall:.2f} s; CPU of the workers {cpu:.2f} s, "
                f"{len(numbers) / cpu if cpu else 0:.0f} approvals per CPU-second)",
                "target": f"≥ {TARGET_RATE:.0f} approvals/s",
                "ok": rate >= TARGET_RATE,
            },
        ],
        "notes": [
            "each approval, one transaction: the application's compare-and-set, the step, the notification, "
            "the holder's teacher record, then the serial (the counter's row lock), the certificate, its issued "
            "event and token, the number on the application, and the decision's audit rows at once (the "
            "authority's audit chain lock) — both locks last, just before commit (docs/decisions/0212)",
            "CPU is the worker processes' own; PostgreSQL's server processes share the same 2 cores and are "
            "not counted",
            *([f"first error: {errors[0]}"] if errors else []),
            f"load average {load_before:.2f} before, {load:.2f} at the end on {os.cpu_count()} cores "
            "(the machine is shared)",
        ],
    }
