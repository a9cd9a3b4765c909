#!/usr/bin/env python
"""Benchmarks against the targets of PRODUCT.md §10 — the ``make bench`` entry point.

Every ``bench/<name>.py`` (not starting with ``_``) that defines ``run(ctx)`` is a
benchmark. Each runs in its own process on its own scratch database — a fresh SQLite
file, and a freshly created PostgreSQL database when ``--postgres URL`` or
``BENCH_DATABASE_URL`` names a server — migrated first, dropped afterwards. The demo
database is never touched. Results go to ``bench/results.md`` together with a
description of the machine; sections of benchmarks not run this time are kept.

    python bench/run.py                      # every benchmark on SQLite (+ PostgreSQL if set)
    python bench/run.py precheck --teachers 200000
    python bench/run.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Writing a benchmark (see bench/README.md): ``run(ctx)`` gets ``ctx.backend``
("sqlite" / "postgresql"), ``ctx.database_url``, ``ctx.options`` (the ``--name value``
options given to run.py, as strings) and ``ctx.workdir``; it returns
``{"title": str, "metrics": [{"what", "value", "target"?, "ok"?}], "notes": [str]}``.
A module may set ``BACKENDS = ("postgresql",)`` to run on fewer backends.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import importlib
import importlib.util
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.md"
SETTINGS = "config.settings.local"
BACKENDS = ("sqlite", "postgresql")


@dataclass
class BenchContext:
    backend: str
    database_url: str
    options: dict[str, str] = field(default_factory=dict)
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


def discover() -> dict[str, Path]:
    """name → file of every benchmark module in bench/."""
    found = {}
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.name.startswith("_") or path.stem == "run":
            continue
        if re.search(r"^def run\(", path.read_text(encoding="utf-8"), re.MULTILINE):
            found[path.stem] = path
    return found


# --- Machine ------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _postgres_version(server_url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return f"PostgreSQL {row[0]}" if row else "PostgreSQL"
    except Exception as exc:  # the report says why it is missing
        return f"unavailable ({exc.__class__.__name__})"


def machine(server_url: str | None) -> list[tuple[str, str]]:
    import django

    rows = [
        ("CPU", _cpu_model()),
        ("cores", str(os.cpu_count())),
        ("RAM", _ram()),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("SQLite", sqlite3.sqlite_version),
    ]
    if server_url:
        rows.append(("PostgreSQL", _postgres_version(server_url)))
    return rows


# --- Scratch databases ----------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _pg_admin(server_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(statement)


def scratch_database(backend: str, name: str, server_url: str | None, workdir: Path) -> tuple[str, Any]:
    """(database URL, cleanup function) of a new, empty database."""
    if backend == "sqlite":
        path = workdir / f"{name}.sqlite3"
        return f"sqlite:///{path}", lambda: None
    assert server_url
    db = f"jiaozi_bench_{name}_{os.getpid()}"
    _pg_admin(server_url, f'DROP DATABASE IF EXISTS "{db}"')
    _pg_admin(server_url, f'CREATE DATABASE "{db}"')
    return _with_database(server_url, db), lambda: _pg_admin(
        server_url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'
    )


# --- One benchmark in a child process -------------------------------------------------


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child(name: str, database_url: str, backend: str, options: dict[str, str], result_file: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["DJANGO_DEBUG"] = "0"  # no query log: it would cost time and memory
    # The project root only: bench/ on the path would let a module named like the
    # standard library's (queue.py, statistics.py) shadow it — and Python puts the
    # script's own directory there first. Benchmarks are loaded by file below.
    bench_dir = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != bench_dir]
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_seconds = time.perf_counter() - started
    module = _load(name, BENCH_DIR / f"{name}.py")
    ctx = BenchContext(
        backend=backend, database_url=database_url, options=options, workdir=result_file.parent
    )
    result = module.run(ctx)
    result.setdefault("notes", []).append(f"scratch database migrated in {migrate_seconds:.0f} s")
    result_file.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def run_one(
    name: str, backend: str, server_url: str | None, options: dict[str, str], keep: bool
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"jiaozi-bench-{name}-"))
    result_file = workdir / "result.json"
    url, cleanup = scratch_database(backend, name, server_url, workdir)
    args = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        name,
        "--database-url",
        url,
        "--backend",
        backend,
    ]
    args += ["--result-file", str(result_file), "--options", json.dumps(options)]
    started = time.perf_counter()
    try:
        completed = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
        sys.stderr.write(completed.stderr[-4000:] if completed.returncode else "")
        if completed.returncode or not result_file.exists():
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-12:]
            return {"title": name, "error": "\n".join(tail) or f"exit status {completed.returncode}"}
        result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
        result["wall_seconds"] = time.perf_counter() - started
        return result
    finally:
        if not keep:
            cleanup()
            shutil.rmtree(workdir, ignore_errors=True)


# --- The report -------------------------------------------------------------------------

_SECTION = re.compile(r"<!-- bench:(?P<name>[\w-]+) -->\n.*?<!-- /bench:(?P=name) -->\n", re.DOTALL)


def _redacted(argv: list[str]) -> str:
    """The command line as run, without a password that a database URL may carry."""
    return " ".join(
        ["python bench/run.py", *(re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", a) for a in argv)]
    )


def render_section(
    name: str, title: str, by_backend: dict[str, dict[str, Any]], when: str, command: str
) -> str:
    lines = [f"<!-- bench:{name} -->", f"## {title}", "", f"Run {when}: `{command}`", ""]
    for backend, result in by_backend.items():
        lines.append(f"### {backend}")
        lines.append("")
        if "error" in result:
            lines += ["Failed:", "", "```", result["error"], "```", ""]
            continue
        lines += ["| what | measured | target | |", "| --- | --- | --- | --- |"]
        for metric in result.get("metrics", []):
            verdict = "" if "ok" not in metric else ("✅" if metric["ok"] else "❌")
            lines.append(f"| {metric['what']} | {metric['value']} | {metric.get('target', '')} | {verdict} |")
        lines.append("")
        lines += [f"- {note}" for note in result.get("notes", [])]
        lines.append("")
    lines.append(f"<!-- /bench:{name} -->")
    return "\n".join(lines) + "\n"


def write_results(
    sections: dict[str, str], machine_rows: list[tuple[str, str]], when: str, path: Path = RESULTS
) -> None:
    # Several people run benchmarks on one checkout: lock, re-read, merge, write.
    with (Path(tempfile.gettempdir()) / "jiaozi-bench-results.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _write_results(sections, machine_rows, when, path)


def _write_results(
    sections: dict[str, str], machine_rows: list[tuple[str, str]], when: str, path: Path
) -> None:
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = {m["name"]: m.group(0) for m in _SECTION.finditer(previous)}
    kept.update(sections)
    if not any(key == "PostgreSQL" for key, _value in machine_rows):
        # A SQLite-only run keeps the server version an earlier run recorded.
        found = re.search(r"^\| PostgreSQL \| (.+) \|$", previous, re.MULTILINE)
        if found:
            machine_rows = [*machine_rows, ("PostgreSQL", found.group(1))]
    head = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/run.py`); targets from PRODUCT.md §10. Each benchmark ran on",
        "a scratch database of its own. Numbers are what this machine measured, nothing else.",
        "",
        f"## Machine (last run {when})",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in machine_rows],
        "",
    ]
    path.write_text("\n".join(head) + "\n" + "\n".join(kept[name] for name in sorted(kept)), encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=os.environ.get("BENCH_DATABASE_URL", ""),
        default=None,
        help="PostgreSQL server URL (default: BENCH_DATABASE_URL); a scratch database is created on it",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite runs")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--results", default=str(RESULTS), help="the results file (default bench/results.md)")
    parser.add_argument(
        "--tag",
        default="",
        help="keep this run's results in their own section (e.g. --tag 1m for a large run)",
    )
    # Child mode (internal).
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args(argv)

    if args.child:
        child(args.child, args.database_url, args.backend, json.loads(args.options), Path(args.result_file))
        return 0

    # Anything else of the form --name value is handed to the benchmarks.
    options: dict[str, str] = {}
    it = iter(extra)
    for token in it:
        if not token.startswith("--"):
            parser.error(f"unexpected argument {token!r}")
        key, _, value = token[2:].partition("=")
        options[key.replace("-", "_")] = value or next(it, "")

    available = discover()
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [name for name in args.names if name not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {sorted(available)}")
    names = args.names or list(available)

    server_url = args.postgres if args.postgres is not None else os.environ.get("BENCH_DATABASE_URL") or None
    if args.postgres == "":
        parser.error("--postgres needs a URL (or set BENCH_DATABASE_URL)")
    backends = [
        b for b in BACKENDS if (b == "sqlite" and not args.no_sqlite) or (b == "postgresql" and server_url)
    ]

    sys.path.insert(0, str(ROOT))
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    sections: dict[str, str] = {}
    failed = False
    for name in names:
        try:
            module = _load(name, available[name])
            title, supported = getattr(module, "TITLE", name), getattr(module, "BACKENDS", BACKENDS)
        except Exception:  # a module that needs Django at import: learn its title in the child
            title, supported = name, BACKENDS
        wanted = [b for b in backends if b in supported]
        by_backend: dict[str, dict[str, Any]] = {}
        for backend in wanted:
            print(f"== {name} on {backend} …", flush=True)
            result = run_one(name, backend, server_url, options, args.keep)
            by_backend[backend] = result
            if "error" in result:
                failed = True
                print(f"   failed: {result['error'].splitlines()[-1] if result['error'] else ''}", flush=True)
            for metric in result.get("metrics", []):
                verdict = "" if "ok" not in metric else (" ok" if metric["ok"] else " MISSED")
                target = f" (target {metric['target']})" if metric.get("target") else ""
                print(f"   {metric['what']}: {metric['value']}{target}{verdict}", flush=True)
        key = f"{name}-{args.tag}" if args.tag else name
        shown = f"{title} — {args.tag}" if args.tag else title
        sections[key] = render_section(
            key, shown, by_backend, when, command=" ".join(["python bench/run.py", *argv])
        )
    results = Path(args.results).resolve()
    write_results(sections, machine(server_url), when, results)
    print(f"Results written to {results}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
