"""``manage.py import_teachers FILE``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from jiaozi.teachers.models import Teacher
from jiaozi.teachers.tests.workbook import TemplateBook

pytestmark = pytest.mark.django_db


def test_prints_the_counts(tmp_path: Path) -> None:
    book = TemplateBook()
    book.school()
    book.full_teacher()
    out, err = io.StringIO(), io.StringIO()
    call_command("import_teachers", str(book.write_xlsx(tmp_path / "t.xlsx")), stdout=out, stderr=err)
    text = out.getvalue()
    assert "导入成功" in text
    assert "教师：新增 1，更新 0，未变 0" in text
    assert "年度考核：新增 5，更新 0，未变 0" in text
    assert Teacher.objects.count() == 1


def test_a_folder_of_csv_files(tmp_path: Path) -> None:
    book = TemplateBook()
    book.school()
    book.full_teacher()
    out = io.StringIO()
    call_command("import_teachers", str(book.write_csv(tmp_path / "csv", encoding="gb18030")), stdout=out)
    assert "培训学时：新增 5" in out.getvalue()


def test_errors_exit_non_zero_and_write_nothing(tmp_path: Path) -> None:
    book = TemplateBook()
    book.school()
    rid = book.full_teacher()
    book.training(rid, "2023-13-01", 8, "研修")
    err = io.StringIO()
    report = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_teachers", str(book.write_xlsx(tmp_path / "t.xlsx")), "--errors", str(report), stderr=err
        )
    assert raised.value.returncode == 1
    assert "工作表“培训学时”，第7行，列“日期”：日期不存在（值：2023-13-01）" in err.getvalue()
    assert rid not in err.getvalue()
    assert not Teacher.objects.exists()
    rows = list(load_workbook(report).active.iter_rows(values_only=True))
    assert rows[1] == ("培训学时", 7, "日期", "2023-13-01", "日期不存在")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("import_teachers", str(tmp_path / "none.xlsx"))
