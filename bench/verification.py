"""Benchmark: public certificate verification among 2,000,000 certificates (PRODUCT.md
§10: p95 ≤ 20 ms on PostgreSQL; issue 11 item 9; docs/decisions/0229).

Fills a scratch PostgreSQL database with ``--certificates N`` (default 2,000,000)
certificates, each with its teacher (a name drawn from common surnames and given names;
the resident ID a real ciphertext of one placeholder, a unique blind index per row) and
one QR token of a stamped registration form, written with ``INSERT … SELECT
generate_series`` — the benchmark measures the verification, not the load — then
``VACUUM ANALYZE`` and a ``CHECKPOINT`` (so that the checkpoint the load's WAL calls for
does not land in the measurement).

Then, as a public visitor (no sign-in) through Django's test client — the whole view:
middleware, the rate limit's cache, the selector, the lookup's audit row, the template —
``--requests`` (default 2,000) requests of each page over random certificates, after 20
warm-ups:

- the lookup form (POST number + full name): 80 % right names, 10 % wrong names, 10 %
  numbers that do not exist (the same "未查询到" path);
- the QR token page (GET ``/verify/<token>/``).

p50 / p95 / p99, the SQL queries per request and the time spent in SQL are reported, with
the query plans of the selector's reads (EXPLAIN ANALYZE) in the notes. The rate limits
are lifted for the run (the benchmark is one client asking thousands of times; the limit
itself is tested in the unit tests).

PostgreSQL only: the §10 target is PostgreSQL's, and SQLite (the development database)
would spend minutes generating 2,000,000 rows of each table to say nothing about it.

``python bench/run.py verification --postgres URL --no-sqlite [--certificates N] [--requests N]``."""

from __future__ import annotations

import hashlib
import os
import random
import time
from typing import Any

TITLE = "Public certificate verification (certificates:verify_lookup, verify_token)"
BACKENDS = ("postgresql",)
DEFAULT_CERTIFICATES = 2_000_000
DEFAULT_REQUESTS = 2_000
TARGET_P95_MS = 20.0
WARMUP = 20
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"  # 20
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华红"  # 25
PLACEHOLDER_ID = "340103198001010011"


def name_of(g: int) -> str:
    """The holder's name of row ``g`` (the SQL below computes the same)."""
    return SURNAMES[g % 20] + GIVEN[(g // 20) % 25] + GIVEN[(g // 500) % 25]


def number_of(g: int) -> str:
    """17 digits (§6): year, province 34, authority code 101, type, sex, serial."""
    return f"{2010 + g // 1_000_000}34101{1 + g % 7}{1 + g % 2}{g % 1_000_000:06d}"


def token_of(g: int) -> str:
    return hashlib.md5(f"bench{g}".encode()).hexdigest() + hashlib.md5(str(g).encode()).hexdigest()[:11]  # noqa: S324


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def generate(certificates: int) -> float:
    from django.db import connection, transaction

    from jiaozi.core import crypto
    from jiaozi.orgs.models import Institution
    from jiaozi.teachers.models import Teacher

    started = time.perf_counter()
    bureau = Institution.objects.get(kind=Institution.Kind.BUREAU, code="340103")
    school, _created = Institution.objects.get_or_create(
        code="3401039001",
        defaults={
            "name": "庐阳区基准学校",
            "kind": Institution.Kind.SCHOOL,
            "level": "county",
            "division_id": bureau.division_id,
            "parent": bureau,
            "ownership": "public",
            "stage": "primary",
        },
    )
    field = Teacher._meta.get_field("resident_id")
    ciphertext = crypto.encrypt(PLACEHOLDER_ID, context=field.context)  # type: ignore[attr-defined]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO teachers_teacher (created_at, updated_at, resident_id, name, sex, phone,
                school_id, post_type, employment_type, health, probation_passed_on, version,
                resident_id_bidx, phone_bidx)
            SELECT now(), now(), %s,
                substr(%s, 1 + g %% 20, 1) || substr(%s, 1 + (g / 20) %% 25, 1)
                    || substr(%s, 1 + (g / 500) %% 25, 1),
                CASE WHEN g %% 2 = 0 THEN 'male' ELSE 'female' END, '', %s, 'full_time',
                'public_established', '', DATE '2010-01-01', 1, 'bench' || g, ''
            FROM generate_series(0, %s - 1) AS g
            """,
            [ciphertext, SURNAMES, GIVEN, GIVEN, school.pk, certificates],
        )
        cursor.execute(
            """
            CREATE TEMP TABLE bench_rows ON COMMIT DROP AS
            SELECT substr(resident_id_bidx, 6)::bigint AS g, id AS teacher_id
            FROM teachers_teacher WHERE resident_id_bidx LIKE 'bench%%'
            """,
            [],
        )
        cursor.execute(
            """
            INSERT INTO teachers_certificate (created_at, updated_at, number, teacher_id,
                qualification_type, subject, status, last_conclusion, valid_from, valid_to,
                registered_on, version)
            SELECT now(), now(),
                (2010 + g / 1000000)::text || '34101' || (1 + g %% 7)::text || (1 + g %% 2)::text
                    || lpad((g %% 1000000)::text, 6, '0'),
                teacher_id, (1 + g %% 7)::text, '语文', 'valid',
                CASE WHEN g %% 10 = 0 THEN 'deferred' ELSE 'qualified' END,
                DATE '2024-09-01', DATE '2029-08-31', DATE '2024-09-01', 1
            FROM bench_rows
            """,
            [],
        )
        cursor.execute(
            """
            INSERT INTO certificates_verificationtoken (token, document, certificate_id, certificate_number,
                holder_name_masked, qualification_type, conclusion, valid_from, valid_to,
                registered_on, institution_id, institution_name, issued_at, revoked, revoked_at,
                revoked_reason)
            SELECT md5('bench' || r.g) || substr(md5(r.g::text), 1, 11), 'form', c.id, c.number,
                substr(t.name, 1, 1) || repeat('*', char_length(t.name) - 1), c.qualification_type,
                c.last_conclusion, c.valid_from, c.valid_to, c.registered_on, %s, %s,
                now() - interval '30 days', false, NULL, ''
            FROM bench_rows r
            JOIN teachers_certificate c ON c.teacher_id = r.teacher_id
            JOIN teachers_teacher t ON t.id = r.teacher_id
            """,
            [bureau.pk, bureau.name],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # The load wrote gigabytes of WAL: without a checkpoint now, the one PostgreSQL
        # starts on its own lands in the measurement, and every lookup's commit (its
        # audit row) waits behind those writes — a cost of the load, not of verification.
        cursor.execute("CHECKPOINT")
    return time.perf_counter() - started


def _plans(number: str, token: str) -> list[str]:
    """EXPLAIN ANALYZE of the selector's reads, one line each."""
    from django.db import connection

    from jiaozi.certificates.models import Certificate, VerificationToken

    certificate_id = Certificate.objects.only("pk").get(number=number).pk
    reads = [
        ("lookup: certificate + holder", Certificate.objects.select_related("teacher").filter(number=number)),
        (
            "QR: token + certificate",
            VerificationToken.objects.select_related("certificate").filter(token=token),
        ),
        (
            "lookup: latest token's institution",
            VerificationToken.objects.filter(
                certificate_id=certificate_id, document=VerificationToken.Document.FORM, revoked=False
            )
            .order_by("-issued_at")
            .values_list("institution_name", flat=True),
        ),
    ]
    lines = []
    with connection.cursor() as cursor:
        for label, queryset in reads:
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
            plan = " / ".join(row[0].strip() for row in cursor.fetchall() if "Planning" not in row[0])
            lines.append(f"plan, {label}: `{plan}`")
    return lines


def _measure(ask: Any, items: list[Any], warmup: int) -> tuple[list[float], list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for item in items[:warmup]:
        ask(item)
    wall, sql = [], []
    queries = 0
    for item in items[warmup:]:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            ask(item)
            wall.append((time.perf_counter() - started) * 1000)
        queries = max(queries, len(captured.captured_queries))
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    return wall, sql, queries


def run(ctx: Any) -> dict[str, Any]:
    from django.core.cache import cache
    from django.test import Client, override_settings
    from django.urls import reverse

    certificates = int(ctx.options.get("certificates") or DEFAULT_CERTIFICATES)
    requests = int(ctx.options.get("requests") or DEFAULT_REQUESTS)
    fill = generate(certificates)

    rng = random.Random(20241202)
    client = Client()
    lookup_url = reverse("certificates:verify_lookup")
    lookups: list[tuple[str, str, str]] = []
    for _ in range(requests + WARMUP):
        g = rng.randrange(certificates)
        pick = rng.random()
        if pick < 0.8:
            lookups.append(("found", number_of(g), name_of(g)))
        elif pick < 0.9:
            lookups.append(
                ("wrong name", number_of(g), name_of(g + 1) if name_of(g + 1) != name_of(g) else "某某")
            )
        else:
            lookups.append(("no such number", f"2009{number_of(g)[4:]}", name_of(g)))
    tokens = [token_of(rng.randrange(certificates)) for _ in range(requests + WARMUP)]
    outcomes: dict[str, int] = {}

    def ask_lookup(item: tuple[str, str, str]) -> None:
        kind, number, name = item
        response = client.post(lookup_url, {"certificate_number": number, "name": name})
        assert response.status_code == 200, response.status_code
        found = b'data-state="current"' in response.content
        assert found == (kind == "found"), (kind, number)
        outcomes[kind] = outcomes.get(kind, 0) + 1

    def ask_token(token: str) -> None:
        response = client.get(reverse("certificates:verify_token", args=[token]))
        assert response.status_code == 200, response.status_code
        assert b"data-state=" in response.content

    unlimited = (10**9, 60)
    load_before = os.getloadavg()[0]
    with override_settings(
        VERIFY_LOOKUP_RATE_LIMIT=unlimited,
        VERIFY_LOOKUP_NUMBER_RATE_LIMIT=unlimited,
        VERIFY_TOKEN_RATE_LIMIT=unlimited,
    ):
        cache.clear()
        cpu = time.process_time()
        # In turns of 100, so that both pages meet the same moments of a shared machine.
        lookup_wall, lookup_sql, token_wall, token_sql = [], [], [], []
        lookup_queries = token_queries = 0
        for start in range(0, requests + WARMUP, 100):
            chunk = slice(start, start + 100)
            warm = WARMUP if start == 0 else 0
            wall, sql, queries = _measure(ask_lookup, lookups[chunk], warm)
            lookup_wall += wall
            lookup_sql += sql
            lookup_queries = max(lookup_queries, queries)
            wall, sql, queries = _measure(ask_token, tokens[chunk], warm)
            token_wall += wall
            token_sql += sql
            token_queries = max(token_queries, queries)
        cpu = time.process_time() - cpu
    load_after = os.getloadavg()[0]

    metrics = []
    for label, wall, sql, queries in (
        ("lookup by number + name (POST)", lookup_wall, lookup_sql, lookup_queries),
        ("QR token page (GET)", token_wall, token_sql, token_queries),
    ):
        p95 = _percentile(wall, 0.95)
        metrics.append(
            {
                "what": f"{label}: p50 / p95 / p99, SQL p95, queries",
                "value": (
                    f"{_percentile(wall, 0.5):.1f} / {p95:.1f} / {_percentile(wall, 0.99):.1f} ms, "
                    f"SQL {_percentile(sql, 0.95):.1f} ms, {queries} queries"
                ),
                "target": f"p95 ≤ {TARGET_P95_MS:.0f} ms",
                "ok": p95 <= TARGET_P95_MS,
            }
        )
    sample = rng.randrange(certificates)
    notes = [
        f"{certificates:,} certificates, teachers and QR tokens generated in {fill:.0f} s "
        "(INSERT … SELECT generate_series, then VACUUM ANALYZE and a CHECKPOINT).",
        f"{requests:,} timed requests of each page (after {WARMUP} warm-ups; the pages in turns of 100) "
        "through Django's test "
        "client as a visitor who is not signed in: the whole view, with the lookup's audit row "
        "and the template; the rate limits lifted for the run.",
        "lookups: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())) + " (warm-ups included).",
        f"CPU time of the benchmark process over both runs: {cpu:.1f} s; load average "
        f"{load_before:.2f} before, {load_after:.2f} after (2 cores, shared).",
        *_plans(number_of(sample), token_of(sample)),
    ]
    return {"title": TITLE, "metrics": metrics, "notes": notes}
