"""Benchmark: what one request of the deadline day costs (issue 13 item 6) — its SQL
queries and its time, in process, through the whole stack (middleware, session, OTP,
views, templates) with Django's test client, on the scratch database.

One school's chain (庐阳区), ``--runs`` applicants (default 60) each with a draft, then:
the applicant's home ``/me/`` and the API's application read (the status checks), the
applicant's submit (HTML form), the school reviewer's approval of each submitted
application from its detail page, the county reviewer's queue page. Each figure is the
p50 / p95 of ``--runs`` requests, after a warm-up; the queries are counted on one more
request of each kind (counting forces a debug cursor, so it is kept out of the timed
ones). Not a load test: one request at a time, no network (``make load`` is that).

``python bench/run.py request_cost --postgres postgres://postgres@127.0.0.1:5432/postgres --no-sqlite``
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

TITLE = "One request's cost: queries and in-process time (issue 13 item 6)"
DEFAULT_RUNS = 60


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(calls: list[Callable[[], Any]]) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        response = call()
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 302), response.status_code
    return out


def _profile_notes(profiler: cProfile.Profile, top: int = 10) -> list[str]:
    """The submit's profile (``--profile 1``): the functions where the time is spent
    (own time), and the project's own functions by cumulative time."""
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename.split("site-packages/")[-1].split("/work/")[-1]
        rows.append((own, cumulative, calls, f"{short}:{line} {function}"))
    total = max((row[1] for row in rows), default=0.0)
    notes = [f"Profile of the submits (cProfile, {total:.2f} s in all). Own time:"]
    for own, cumulative, calls, name in sorted(rows, reverse=True)[:top]:
        notes.append(f"  {own:.3f} s own ({cumulative:.3f} s cumulative), {calls} calls — {name}")
    notes.append("The project's functions by cumulative time:")
    ours = sorted(((c, o, n, name) for o, c, n, name in rows if "/jiaozi/" in name), reverse=True)
    for cumulative, own, calls, name in ours[:top]:
        notes.append(f"  {cumulative:.3f} s cumulative ({own:.3f} s own), {calls} calls — {name}")
    return notes


def _count(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries.captured_queries)


def run(ctx: Any) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from jiaozi.accounts.testing import sign_in
    from jiaozi.core import clock
    from jiaozi.registration.applications.services import application_start
    from jiaozi.registration.tests.factories_applications import OPEN, another_applicant, chain, link
    from jiaozi.registration.workflow import Action

    settings.JIAOZI_CLOCK_OFFSET_DAYS = 0  # the demo's date move would add to the travel below
    runs = int(ctx.options.get("runs") or DEFAULT_RUNS)
    profile_notes: list[str] = []
    results: dict[str, tuple[list[float], int]] = {}
    with clock.travel(OPEN):
        c = chain()
        people = []
        for _ in range(runs + 1):
            applicant, cert = another_applicant(c)
            applicant = link(applicant, cert.teacher)
            draft = application_start(applicant=applicant, certificate_id=cert.pk)
            client = Client()
            client.force_login(applicant)
            client.get(reverse("applicants:home"))  # warm: the first request after sign-in
            people.append((client, draft))
        first_client, first_draft = people[0]
        api_url = f"/api/v1/registration/applications/{first_draft.pk}"

        def home() -> Any:
            return first_client.get(reverse("applicants:home"))

        def api_read() -> Any:
            return first_client.get(api_url)

        for call in (home, api_read):
            call()
        results["applicant home `/me/` (GET)"] = (_timed([home] * runs), _count(home))
        results["API application read (GET)"] = (_timed([api_read] * runs), _count(api_read))

        def submit(client: Any, draft: Any) -> Callable[[], Any]:
            url = reverse("applicants:application_act", args=[draft.pk])
            return lambda: client.post(url, {"action": Action.SUBMIT, "version": draft.version})

        submit_queries = _count(submit(*people[0]))
        calls = [submit(client, draft) for client, draft in people[1:]]
        profiler = cProfile.Profile() if ctx.options.get("profile") else None
        if profiler is not None:
            profiler.enable()
        results["applicant submit (POST, HTML form)"] = (_timed(calls), submit_queries)
        if profiler is not None:
            profiler.disable()
            profile_notes = _profile_notes(profiler)

        reviewer = sign_in(Client(), c.school_reviewer)
        reviewer.get(reverse("registration:queue"))

        def approve(draft: Any) -> Callable[[], Any]:
            url = reverse("registration:application_act", args=[draft.pk])
            return lambda: reviewer.post(url, {"action": Action.SCHOOL_APPROVE, "version": draft.version + 1})

        approve_queries = _count(approve(people[0][1]))
        results["school reviewer's approval (POST)"] = (
            _timed([approve(draft) for _client, draft in people[1:]]),
            approve_queries,
        )

        county = sign_in(Client(), c.registration_reviewer)

        def queue() -> Any:
            return county.get(reverse("registration:queue"))

        queue()
        results[f"county queue page (GET, {runs + 1} rows)"] = (_timed([queue] * runs), _count(queue))

    load = os.getloadavg()
    metrics = []
    for what, (times, queries) in results.items():
        metrics.append(
            {
                "what": what,
                "value": f"p50 {statistics.median(times):.1f} ms · p95 {_p(times, 0.95):.1f} ms · {queries} queries",
            }
        )
    return {
        "title": TITLE,
        "metrics": metrics,
        "notes": [
            f"{runs} requests of each kind, one at a time, in process (no network, no server); "
            f"load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} on "
            f"{os.cpu_count()} cores shared with other work — the times are as measured, not a "
            "quiet machine's.",
            "Queries counted on one more request of each kind (the session's first request "
            "after sign-in excluded).",
            *profile_notes,
        ],
    }
