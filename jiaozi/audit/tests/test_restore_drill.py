"""The restore drill (SECURITY check 27; ``deploy/restore_drill.sh``, docs/operations.md):
a ``pg_dump`` of this test's PostgreSQL database restores into a scratch database where
the migrations match and ``audit_verify`` passes; a dump whose chain was tampered with
fails the drill, and so does a damaged dump. The script runs as an operator runs it,
with production settings and this process's keys.

PostgreSQL only (the drill is ``pg_dump`` / ``pg_restore``); on PostgreSQL in CI a
missing ``pg_dump`` is a failure, not a skip."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from jiaozi.testing.services import ROOT, database_url, production_env

from .conftest import tamper
from .factories import record_many

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = ROOT / "deploy" / "restore_drill.sh"


def _require_pg_tools() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the restore drill restores PostgreSQL dumps")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")):
        if os.environ.get("CI"):
            pytest.fail("pg_dump, pg_restore and psql are needed for the restore drill")
        pytest.skip("pg_dump, pg_restore or psql missing")


def _drill(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = production_env(media_root=tmp_path, outbox=tmp_path, broker_db=13, cache_db=13)
    env["PY"] = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else "python"
    return subprocess.run(  # noqa: S603 — the project's own script, fixed arguments
        ["bash", str(SCRIPT), *args],  # noqa: S607
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def _leftover_scratch_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'jiaozi_restore_drill_%%'")
        return [row[0] for row in cursor.fetchall()]


def test_a_dump_restores_and_its_audit_log_verifies(tmp_path: Path) -> None:
    _require_pg_tools()
    before = set(_leftover_scratch_databases())
    record_many(4, institution_id=1)
    record_many(3, institution_id=2)
    result = _drill(tmp_path, "--dump-now")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "audit rows: 7" in result.stdout
    assert "Restore drill PASSED" in result.stdout
    assert "Audit log intact: 2 chains, 7 rows verified." in result.stdout
    # The scratch database is dropped afterwards.
    assert set(_leftover_scratch_databases()) == before
    assert database_url() not in result.stdout  # no connection string in the drill's output


def test_a_tampered_chain_fails_the_drill(tmp_path: Path) -> None:
    _require_pg_tools()
    rows = record_many(3, institution_id=1)
    tamper("UPDATE audit_auditevent SET outcome = 'failure' WHERE id = %s", [rows[1].pk])
    result = _drill(tmp_path, "--dump-now")
    assert result.returncode != 0
    assert "Restore drill PASSED" not in result.stdout
    assert "row edited" in result.stdout + result.stderr


def test_a_damaged_dump_fails_the_drill(tmp_path: Path) -> None:
    _require_pg_tools()
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(b"PGDMP" + os.urandom(2048))
    result = _drill(tmp_path, str(damaged))
    assert result.returncode != 0
    assert "Restore drill PASSED" not in result.stdout
