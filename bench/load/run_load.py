"""``make load``: the deadline-day load test against ``make cluster`` on 127.0.0.1
(issue 13 items 4–5; docs/decisions/0276). Not part of ``make test``, ``make bench`` or CI.

1. ``seed_load`` on the cluster's scratch database (a deadline day: drafts to submit, a
   county queue, reviewers with TOTP devices);
2. three bounded, headless locust phases with the same servers (bench/load/locustfile.py):
   the **floor** (a bare view doing one INSERT), the **submit flow** alone, and the
   **deadline-day mix** (applicants signing in, checking status and submitting;
   reviewers paging the queue and deciding singly and in batches; the public verifying
   and reading notices);
3. ``load_check``: every submitted application exists once, no transition lost or
   doubled, every decision has its audit row, ``audit_verify`` passes;
4. the figures, with PRODUCT.md §10's thresholds as pass/fail and the load average, into
   ``bench/results.md`` (section "Load"). Exit status 1 when a threshold or an
   invariant fails.

Environment: ``LOAD_MIX_USERS`` (60), ``LOAD_MIX_SECONDS`` (30), ``LOAD_FLOOR_USERS`` (16),
``LOAD_PHASE_SECONDS`` (10, floor and submit phases), ``LOAD_TEACHERS`` (3000),
``LOAD_DRAFTS`` (2000), ``LOAD_BASE`` (http://127.0.0.1:8100).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "cluster"
LOCUST = ROOT / "var" / "load-venv" / "bin" / "locust"
RESULTS = ROOT / "bench" / "results.md"
BASE = os.environ.get("LOAD_BASE", "http://127.0.0.1:8100")
TARGET_RPS, TARGET_P95_MS, TARGET_RATIO = 300.0, 200.0, 0.5


def _env() -> dict[str, str]:
    values = dict(os.environ)
    for line in (VAR / "jiaozi.env").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    values["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    return values


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    print(done.stdout.strip())
    if done.returncode:
        print(done.stderr.strip(), file=sys.stderr)
    return done.stdout if done.returncode == 0 else ""


def _phase(name: str, classes: list[str], users: int, seconds: int, env: dict[str, str]) -> dict[str, Any]:
    prefix = VAR / f"load-{name}"
    print(f"== {name}: {', '.join(classes)}, {users} users, {seconds} s")
    subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(ROOT / "bench" / "load" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            BASE,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
            *classes,
        ],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    rows = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = row
    load = os.getloadavg()
    return {"rows": rows, "load": load, "users": users, "seconds": seconds}


def _num(row: dict[str, str], key: str) -> float:
    try:
        return float(row.get(key) or 0)
    except ValueError:
        return 0.0


def _fresh_database(env: dict[str, str]) -> None:
    """Drop and create the cluster's database (its name must be a scratch one), and empty
    its Redis cache: every run starts from the same deadline day. The app servers'
    kept connections die with it and are replaced at their next request
    (CONN_HEALTH_CHECKS)."""
    import socket
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    url = env["DATABASE_URL"]
    name = urlsplit(url).path.lstrip("/")
    if not name.startswith(("jiaozi_cluster", "jiaozi_load")):
        raise SystemExit(f"refusing to reset {name!r}: not a scratch database")
    parts = urlsplit(url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    cache = urlsplit(env["REDIS_CACHE_URL"])
    with socket.create_connection((cache.hostname or "127.0.0.1", cache.port or 6379), timeout=5) as sock:
        sock.sendall(f"SELECT {cache.path.lstrip('/') or 0}\r\nFLUSHDB\r\n".encode())
        sock.recv(64)


def _healthy() -> bool:
    try:
        with urllib.request.urlopen(f"{BASE}/healthz", timeout=10) as response:  # noqa: S310 (127.0.0.1)
            return response.status == 200
    except OSError:
        return False


def main() -> int:
    if not _healthy():
        print(f"{BASE}/healthz does not answer: run `make cluster` first", file=sys.stderr)
        return 2
    env = _env()
    env["LOAD_STAFF_PREFIX"] = env["STAFF_URL_PREFIX"]
    env["LOAD_ACCOUNTS"] = str(VAR / "load-accounts.json")
    submitted = VAR / "load-submitted.jsonl"
    submitted.unlink(missing_ok=True)
    env["LOAD_SUBMITTED_OUT"] = str(submitted)
    started = dt.datetime.now(dt.UTC)
    print("== a fresh scratch database (the cluster's), migrated")
    _fresh_database(env)
    if not _manage(env, "migrate", "--no-input"):
        return 1
    print("== seed_load")
    if not _manage(
        env,
        "seed_load",
        "--teachers", os.environ.get("LOAD_TEACHERS", "3000"),
        "--drafts", os.environ.get("LOAD_DRAFTS", "2000"),
        "--reviewers", "20",
        "--signed-in", "600",
        "--out", env["LOAD_ACCOUNTS"],
    ):  # fmt: skip
        return 1
    short = int(os.environ.get("LOAD_PHASE_SECONDS", "10"))
    floor = _phase("floor", ["Floor"], int(os.environ.get("LOAD_FLOOR_USERS", "16")), short, env)
    submit = _phase("submit", ["Submitter"], int(os.environ.get("LOAD_FLOOR_USERS", "16")), short, env)
    mix_users = int(os.environ.get("LOAD_MIX_USERS", "60"))
    mix = _phase(
        "mix",
        ["Applicant", "Reviewer", "Public"],
        mix_users,
        int(os.environ.get("LOAD_MIX_SECONDS", "30")),
        env,
    )
    time.sleep(2)  # the last responses' on-commit work
    print("== load_check")
    check_out = _manage(env, "load_check", "--accounts", env["LOAD_ACCOUNTS"], "--submitted", str(submitted))
    invariants_ok = "nothing lost, nothing doubled" in check_out

    floor_row = floor["rows"].get("floor: one insert", {})
    floor_rps = _num(floor_row, "Requests/s")
    submit_row = submit["rows"].get("applicant submit", {})
    submit_rps = _num(submit_row, "Requests/s")
    agg = mix["rows"].get("Aggregated", {})
    mix_rps, mix_p95 = _num(agg, "Requests/s"), _num(agg, "95%")
    mix_failures = int(_num(agg, "Failure Count"))
    ratio_submit = submit_rps / floor_rps if floor_rps else 0.0
    ratio_mix = mix_rps / floor_rps if floor_rps else 0.0
    verdicts = {
        "mix throughput": mix_rps >= TARGET_RPS,
        "mix p95": 0 < mix_p95 <= TARGET_P95_MS,
        "mix errors": mix_failures == 0,
        "submit vs floor": ratio_submit >= TARGET_RATIO,
        "nothing lost": invariants_ok,
    }
    _write(started, floor, submit, mix, floor_rps, submit_rps, ratio_submit, ratio_mix, verdicts, check_out)
    for what, ok in verdicts.items():
        print(f"   {'PASS' if ok else 'FAIL'}  {what}")
    return 0 if all(verdicts.values()) else 1


def _table(phase: dict[str, Any]) -> list[str]:
    lines = [
        "| request | count | failures | req/s | p50 ms | p95 ms |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in phase["rows"].items():
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {_num(row, 'Requests/s'):.1f} "
            f"| {row.get('50%', '')} | {row.get('95%', '')} |"
        )
    return lines


def _write(
    started: dt.datetime, floor: dict[str, Any], submit: dict[str, Any], mix: dict[str, Any],
    floor_rps: float, submit_rps: float, ratio_submit: float, ratio_mix: float,
    verdicts: dict[str, bool], check_out: str,
) -> None:  # fmt: skip
    def mark(ok: bool) -> str:
        return "✅" if ok else "❌"

    def load(phase: dict[str, Any]) -> str:
        return " / ".join(f"{x:.2f}" for x in phase["load"])

    agg = mix["rows"].get("Aggregated", {})
    lines = [
        "<!-- bench:load -->",
        "## Load: the deadline day against `make cluster` (`make load`)",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC: two app servers (gunicorn gthread, deploy/gunicorn.conf.py) "
        "behind nginx, Celery worker and beat, PostgreSQL and Redis, all on this 2-core machine "
        "with the locust clients. **The machine is shared**: the load average at the end of each "
        "phase is given; a figure measured under someone else's load is not a quiet machine's.",
        "",
        "| §10 row | measured | target | |",
        "| --- | --- | --- | --- |",
        f"| deadline-day mix, throughput | {_num(agg, 'Requests/s'):.1f} req/s ({ratio_mix:.2f} × floor) "
        f"| ≥ 300 req/s | {mark(verdicts['mix throughput'])} |",
        f"| deadline-day mix, p95 | {agg.get('95%', '?')} ms | ≤ 200 ms | {mark(verdicts['mix p95'])} |",
        f"| deadline-day mix, errors | {agg.get('Failure Count', '?')} | 0 | {mark(verdicts['mix errors'])} |",
        f"| submit flow vs floor | {submit_rps:.1f} / {floor_rps:.1f} req/s = {ratio_submit:.2f} "
        f"| ≥ 0.5 | {mark(verdicts['submit vs floor'])} |",
        f"| nothing lost (load_check, audit_verify) | {'clean' if verdicts['nothing lost'] else 'FAILED'} "
        f"| clean | {mark(verdicts['nothing lost'])} |",
        "",
        f"### Floor: one INSERT ({floor['users']} users, {floor['seconds']} s; load average {load(floor)})",
        "",
        *_table(floor),
        "",
        f"### Submit flow alone ({submit['users']} users, applicants already signed in, {submit['seconds']} s; "
        f"load average {load(submit)})",
        "",
        *_table(submit),
        "",
        f"### Deadline-day mix ({mix['users']} users, {mix['seconds']} s; load average {load(mix)})",
        "",
        *_table(mix),
        "",
        "Invariants: " + " ".join(line for line in check_out.splitlines() if line.strip()),
        "<!-- /bench:load -->",
    ]
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = "\n".join(lines) + "\n"
    # A bench:NAME section, so bench/run.py keeps it when it rewrites the file.
    if "<!-- bench:load -->" in text:
        head, _, rest = text.partition("<!-- bench:load -->")
        _, _, tail = rest.partition("<!-- /bench:load -->\n")
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
    print(f"== written to {RESULTS.relative_to(ROOT)} (section Load)")


if __name__ == "__main__":
    sys.exit(main())
