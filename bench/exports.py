"""Benchmark: a controlled export of registration applications to xlsx (PRODUCT.md §10:
1,000,000 rows, streamed, peak memory ≤ 300 MB).

Fills a scratch PostgreSQL database with one county's applications: ``--base N``
(default 20,000) teachers with a certificate and an application each, through the same
generator as the queue benchmark (encrypted resident IDs, real joins), then multiplies
the applications in SQL (``INSERT … SELECT … generate_series``) up to ``--rows N``
(default 1,000,000). The copies share teachers and certificates, so the scratch
database's unique indexes on (campaign, teacher) and (campaign, certificate) are dropped
first; every exported row still joins its teacher, certificate, school and authority and
decrypts a resident ID and a phone, which is the per-row work of the export.

A county reviewer asks for the export (the row count is taken then: timed), a province
reviewer approves it (the count is above the threshold), and a **fresh child process**
downloads it through ``exports.services.export_download`` — the code the page and the API
stream from — writing the chunks to a file. The child reports its wall time and its peak
resident memory (``ru_maxrss``), before and after the export, so Django's own footprint
is visible apart from the export's.

``python bench/run.py exports --postgres URL --no-sqlite [--rows N] [--base N]``"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TITLE = "Controlled export to xlsx (exports)"
BACKENDS = ("postgresql",)
DEFAULT_ROWS = 1_000_000
DEFAULT_BASE = 20_000
TARGET_MB = 300.0
COUNTY = "340103"  # 庐阳区
PROVINCE = "340000"
PHONE = "13812345678"

CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, os.getcwd())
import django
django.setup()
from jiaozi.accounts.models import User
from jiaozi.exports import services
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
user = User.objects.get(username="bench_export_requester")
started = time.perf_counter()
export = services.export_download(actor=user, pk=int(sys.argv[1]))
first = None
size = 0
with open(sys.argv[2], "wb") as out:
    for chunk in export.chunks:
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
        out.write(chunk)
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "first_byte": first, "bytes": size,
                  "maxrss_before_kb": before, "maxrss_kb": after}))
"""


def _queue_module() -> Any:
    path = Path(__file__).resolve().parent / "review_queue.py"
    spec = importlib.util.spec_from_file_location("bench_review_queue_for_exports", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _staff(username: str, role: str, code: str) -> Any:
    from jiaozi.accounts.models import User
    from jiaozi.core import clock
    from jiaozi.orgs.models import Institution

    user, _created = User.objects.get_or_create(
        username=username,
        defaults={
            "kind": User.Kind.STAFF,
            "real_name": "基准导出" if "requester" in username else "基准审批",
            "role": role,
            "institution": Institution.objects.get(kind=Institution.Kind.BUREAU, code=code),
            "password_changed_at": clock.now(),
        },
    )
    return user


def multiply(target: int) -> int:
    """Copies of the generated applications until there are ``target``; returns the count."""
    from django.db import connection

    from jiaozi.core import crypto
    from jiaozi.registration.models import Application

    table = Application._meta.db_table
    assert table == "registration_application"
    phone_field = Application._meta.get_field("phone")
    ciphertext = crypto.encrypt(PHONE, context=getattr(phone_field, "context", ""))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE 'CREATE UNIQUE INDEX%%'"
            " AND indexname NOT LIKE '%%_pkey'",
            [table],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'", [table]
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        cursor.execute('UPDATE "registration_application" SET phone = %s', [ciphertext])
        cursor.execute('SELECT count(*) FROM "registration_application"')
        base = cursor.fetchone()[0]
        copies = max(0, -(-target // base) - 1)
        columns = [f.column for f in Application._meta.concrete_fields if f.column != "id"]
        listed = ", ".join(f'"{c}"' for c in columns)
        if copies:
            cursor.execute(
                f'INSERT INTO "registration_application" ({listed}) SELECT {listed}'  # noqa: S608 (column names from the model)
                ' FROM "registration_application" a CROSS JOIN generate_series(1, %s) AS g',
                [copies],
            )
        cursor.execute('SELECT count(*) FROM "registration_application"')
        total = cursor.fetchone()[0]
        if total > target:
            cursor.execute(
                'DELETE FROM "registration_application" WHERE id IN'
                ' (SELECT id FROM "registration_application" ORDER BY id DESC LIMIT %s)',
                [total - target],
            )
        cursor.execute('SELECT count(*) FROM "registration_application"')
        return int(cursor.fetchone()[0])


def run(ctx: Any) -> dict[str, Any]:
    from django.db import connection

    from jiaozi.exports import services
    from jiaozi.registration.models import Campaign

    rows = int(ctx.options.get("rows") or DEFAULT_ROWS)
    base = min(rows, int(ctx.options.get("base") or DEFAULT_BASE))
    started = time.perf_counter()
    _queue_module().generate(base, COUNTY, seed=20241205, first_serial=0)
    total = multiply(rows)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    fill_seconds = time.perf_counter() - started

    requester = _staff("bench_export_requester", "registration_reviewer", COUNTY)
    approver = _staff("bench_export_approver", "province_reviewer", PROVINCE)
    campaign = Campaign.objects.get(province_code=PROVINCE, year=2024)
    asked = time.perf_counter()
    request = services.export_request_create(
        actor=requester,
        dataset="registration_applications",
        campaign_id=campaign.pk,
        purpose="基准测试：全县申请导出",
    )
    ask_seconds = time.perf_counter() - asked
    if request.needs_approval:
        services.export_request_decide(
            actor=approver, pk=request.pk, version=request.version, approve=True, reason="基准测试"
        )

    out = Path(ctx.workdir) / "export.xlsx"
    env = dict(os.environ)
    load_before = os.getloadavg()[0]
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(request.pk), str(out)],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    load_after = os.getloadavg()[0]
    if completed.returncode:
        raise RuntimeError(completed.stderr[-3000:])
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    peak_mb = measured["maxrss_kb"] / 1024
    baseline_mb = measured["maxrss_before_kb"] / 1024

    from openpyxl import load_workbook

    check_rows = None
    if request.row_count <= 50_000:
        workbook = load_workbook(out, read_only=True)
        check_rows = sum(1 for _row in workbook.worksheets[0].iter_rows()) - 2
    return {
        "title": TITLE,
        "metrics": [
            {
                "what": f"rows exported ({request.row_count:,}; table holds {total:,})",
                "value": f"{request.row_count:,}",
            },
            {
                "what": "peak resident memory of the downloading process",
                "value": f"{peak_mb:.0f} MB",
                "target": f"≤ {TARGET_MB:.0f} MB",
                "ok": peak_mb <= TARGET_MB,
            },
            {"what": "of which Django set up, before the export", "value": f"{baseline_mb:.0f} MB"},
            {"what": "download wall time (all rows, file complete)", "value": f"{measured['seconds']:.1f} s"},
            {"what": "first byte after", "value": f"{measured['first_byte']:.1f} s"},
            {"what": "rows per second", "value": f"{request.row_count / measured['seconds']:,.0f}"},
            {"what": "file size", "value": f"{measured['bytes'] / 1024 / 1024:.1f} MB"},
            {"what": "request (row count taken)", "value": f"{ask_seconds * 1000:.0f} ms"},
        ],
        "notes": [
            f"seeded in {fill_seconds:.0f} s: {base:,} generated applications (teachers, certificates,"
            f" encrypted IDs) multiplied in SQL to {total:,}; unique indexes on the scratch table dropped",
            "masked export (the default): each row decrypts a resident ID and a phone and masks them",
            f"load average {load_before:.1f} before, {load_after:.1f} after the download (2 cores shared)",
            *([f"re-read rows in the file: {check_rows:,}"] if check_rows is not None else []),
        ],
    }
