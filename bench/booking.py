"""Benchmark: booking 1,000 confirmation places from 50 concurrent clients with zero
over-booking (issue 10 item 10).

Sets up one 庐阳区 confirmation point with 20 slots of 50 places (1,000 places) and 1,250
applicant records (more than the places, so the last slots are fought over). 50 client
threads each take their share of the records and book each one through
``confirmation.services.booking_create`` — the compare-and-set on the slot's counter, the
booking row and its audit row in one transaction — choosing a random slot that still has
room and trying another when the slot fills meanwhile, until no slot has room. Then it
checks: every slot's counter equals its live bookings and never exceeds its capacity,
exactly 1,000 bookings exist, one audit row each.

Run through ``bench/run.py``: ``python bench/run.py booking`` (``--clients``, ``--places``
and ``--capacity`` change the sizes).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from typing import Any

TITLE = "Confirmation booking under concurrency (confirmation.services.booking_create)"
DEFAULT_CLIENTS = 50
DEFAULT_PLACES = 1_000
DEFAULT_CAPACITY = 50
# Two days before the booked day, well before its change deadline.
AT = dt.datetime(2024, 10, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DAY = dt.date(2024, 10, 10)


def _setup(places: int, capacity: int, records: int) -> tuple[Any, list[int], list[Any], Any]:
    from django.contrib.auth.hashers import make_password

    from jiaozi.accounts.models import User
    from jiaozi.confirmation.models import ConfirmationPoint, OpeningDay, TimeSlot
    from jiaozi.confirmation.testing import MemoryReferences
    from jiaozi.orgs.models import Institution

    luyang = Institution.objects.get(kind="bureau", code="340103")
    institution, _ = Institution.objects.get_or_create(
        code="340103QR99",
        defaults={
            "name": "基准测试确认点",
            "kind": "confirmation_point",
            "level": luyang.level,
            "division_id": luyang.division_id,
            "parent": luyang,
        },
    )
    point = ConfirmationPoint.objects.create(institution=institution, authority=luyang)
    day = OpeningDay.objects.create(point=point, date=DAY)
    n_slots = places // capacity
    start = dt.datetime.combine(DAY, dt.time(8))
    TimeSlot.objects.bulk_create(
        [
            TimeSlot(
                day=day,
                point=point,
                date=DAY,
                starts_at=(start + dt.timedelta(minutes=20 * i)).time(),
                ends_at=(start + dt.timedelta(minutes=20 * (i + 1))).time(),
                capacity=capacity,
            )
            for i in range(n_slots)
        ]
    )
    slot_ids = list(TimeSlot.objects.filter(day=day).values_list("pk", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(username=f"bench_book_{i:05d}", kind="applicant", real_name=f"申请人{i}", password=unusable)
            for i in range(records)
        ],
        batch_size=2000,
    )
    users = list(User.objects.filter(username__startswith="bench_book_").order_by("pk"))
    source = MemoryReferences.install("bench")
    refs = [source.add(applicant=u, authority=luyang) for u in users]
    return point, slot_ids, list(zip(users, refs, strict=True)), source


def run(ctx: Any) -> dict[str, Any]:
    from django.db import OperationalError, connections
    from django.db.models import Count

    from jiaozi.audit.models import AuditEvent, AuditKind
    from jiaozi.confirmation import services
    from jiaozi.confirmation.models import Booking, TimeSlot
    from jiaozi.core import clock
    from jiaozi.core.errors import Conflict

    clients = int(ctx.options.get("clients") or DEFAULT_CLIENTS)
    places = int(ctx.options.get("places") or DEFAULT_PLACES)
    capacity = int(ctx.options.get("capacity") or DEFAULT_CAPACITY)
    records = places + places // 4
    with clock.travel(AT):
        point, slot_ids, work, source = _setup(places, capacity, records)
        shares = [work[i::clients] for i in range(clients)]
        full: set[int] = set()
        full_lock = threading.Lock()
        outcome = {"booked": 0, "slot_full": 0, "retried_locked": 0, "gave_up": 0}
        count_lock = threading.Lock()
        latencies: list[float] = []
        barrier = threading.Barrier(clients)
        errors: list[str] = []

        def bump(key: str, n: int = 1) -> None:
            with count_lock:
                outcome[key] += n

        def client(n: int) -> None:
            rng = random.Random(n)  # choosing slots, not security
            try:
                barrier.wait()
                for user, ref in shares[n]:
                    while True:
                        with full_lock:
                            open_slots = [s for s in slot_ids if s not in full]
                        if not open_slots:
                            bump("gave_up")
                            break
                        slot = rng.choice(open_slots)
                        began = time.perf_counter()
                        try:
                            services.booking_create(
                                actor=user, kind=ref.kind, reference_id=ref.id, slot_id=slot
                            )
                        except Conflict as exc:
                            if exc.code != "slot_full":
                                raise
                            bump("slot_full")
                            with full_lock:
                                full.add(slot)
                            continue
                        except OperationalError as exc:  # SQLite: "database is locked" after the busy timeout
                            if "locked" not in str(exc):
                                raise
                            bump("retried_locked")
                            continue
                        with count_lock:
                            latencies.append(time.perf_counter() - began)
                        bump("booked")
                        break
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                connections.close_all()

        cpu0 = time.process_time()
        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        source.uninstall()

        slots = list(TimeSlot.objects.filter(pk__in=slot_ids).values_list("pk", "capacity", "booked"))
        live = {
            row["slot_id"]: row["n"]
            for row in Booking.objects.filter(slot_id__in=slot_ids, status__in=Booking.LIVE)
            .values("slot_id")
            .annotate(n=Count("pk"))
        }
        over = sum(max(booked - cap, 0) for _pk, cap, booked in slots)
        mismatched = sum(1 for pk, _cap, booked in slots if live.get(pk, 0) != booked)
        total = Booking.objects.filter(point=point, status=Booking.Status.BOOKED).count()
        audits = AuditEvent.objects.filter(kind=AuditKind.BOOKING_CREATED).count()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else float("nan")
    rate = total / elapsed if elapsed else 0.0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "title": TITLE,
        "metrics": [
            {
                "what": f"places booked of {places} ({len(slots)} slots × {capacity}), {clients} clients",
                "value": f"{total:,}",
                "target": f"= {places:,}",
                "ok": total == places,
            },
            {
                "what": "over-booked places (counter > capacity)",
                "value": str(over),
                "target": "0",
                "ok": over == 0,
            },
            {
                "what": "slots whose counter ≠ live bookings",
                "value": str(mismatched),
                "target": "0",
                "ok": mismatched == 0,
            },
            {"what": "audit rows", "value": f"{audits:,}", "target": f"= {total:,}", "ok": audits == total},
            {"what": "booking rate", "value": f"{rate:,.0f} bookings/s ({elapsed:.2f} s)"},
            {"what": "booking latency p95", "value": f"{p95:.1f} ms"},
        ],
        "notes": [
            *(f"client error: {e}" for e in errors[:3]),
            f"{records:,} records for {places:,} places; refused as full meanwhile {outcome['slot_full']:,} times, "
            f"locked and retried {outcome['retried_locked']:,}, records left without a place {outcome['gave_up']:,}",
            f"process CPU {cpu:.1f} s; load average at the end {load:.2f} on {os.cpu_count()} cores (the machine is shared)",
        ],
    }
