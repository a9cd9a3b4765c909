"""Two imports of the same teacher at once: one teacher, one certificate, and neither
import half-done. On SQLite the writers queue (one write transaction at a time); on
PostgreSQL the unique blind index decides and the loser is refused whole."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from jiaozi.certificates.models import Certificate
from jiaozi.teachers.importing.columns import TRAINING
from jiaozi.teachers.importing.loader import ImportResult
from jiaozi.teachers.models import Teacher, TrainingRecord
from jiaozi.teachers.services import teacher_import
from jiaozi.teachers.tests.workbook import TemplateBook


def _race(tmp_path: Path) -> list[ImportResult]:
    book = TemplateBook()
    book.school()
    rid = book.teacher()["身份证号"]
    for day in range(1, 29):
        book.training(rid, f"2023-02-{day:02d}", 2, "校本研修")
    paths = [book.write_xlsx(tmp_path / f"{n}.xlsx") for n in range(2)]
    results: list[ImportResult] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(path: Path) -> None:
        try:
            barrier.wait()
            results.append(teacher_import(actor=None, file=path))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    assert len(results) == 2
    assert Teacher.objects.count() == 1
    assert Certificate.objects.count() == 1
    assert TrainingRecord.objects.count() == 28
    assert any(r.ok for r in results)
    for r in results:
        if not r.ok:
            assert len(r.errors) == 1
            assert r.errors[0].sheet == ""
        else:
            assert r.counts[TRAINING]["created"] + r.counts[TRAINING]["unchanged"] == 28
    return results


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_teacher(tmp_path: Path) -> None:
    _race(tmp_path)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_teacher_on_postgresql(tmp_path: Path, settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    _race(tmp_path)
