"""Two imports of the same teacher at once: one teacher, one certificate, and neither
import half-done. On SQLite the writers queue (one write transaction at a time); on
PostgreSQL the unique blind index decides and the loser is refused whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jiaozi.certificates.models import Certificate
from jiaozi.teachers.importing.columns import TRAINING
from jiaozi.teachers.importing.loader import ImportResult
from jiaozi.teachers.models import Teacher, TrainingRecord
from jiaozi.teachers.services import teacher_import
from jiaozi.teachers.tests.workbook import TemplateBook
from jiaozi.testing.race import failures, race, require_postgresql


def _race(tmp_path: Path) -> list[ImportResult]:
    book = TemplateBook()
    book.school()
    rid = book.teacher()["身份证号"]
    for day in range(1, 29):
        book.training(rid, f"2023-02-{day:02d}", 2, "校本研修")
    paths = [book.write_xlsx(tmp_path / f"{n}.xlsx") for n in range(2)]
    outcomes = race(lambda n: teacher_import(actor=None, file=paths[n]), threads=2, retry=False, timeout=60)
    failed = failures(outcomes)
    assert not failed, failed
    results = [r for r in outcomes if isinstance(r, ImportResult)]
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
    require_postgresql()
    _race(tmp_path)
