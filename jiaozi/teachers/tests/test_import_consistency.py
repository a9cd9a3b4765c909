"""Import consistency (issue 8, item 6; docs/decisions/0254): a row against its school.

- 公办在编 at a 民办 school is a row error naming the row and the 用工类型 column; every
  other employment type at a 民办 school, and 公办在编 at a 公办 one, load.
- The certificate type against the school's stage (``certificates.stages.STAGE_TYPES``)
  is a warning on the row: the file still loads.
- 上次注册结论 takes the official terms 注册合格 / 暂缓注册 / 注册不合格 as well as the
  template's short 合格 / 不合格."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from jiaozi.certificates.models import Certificate, Conclusion
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import school
from jiaozi.teachers.importing.columns import TEACHERS
from jiaozi.teachers.importing.template import build_template
from jiaozi.teachers.services import teacher_import
from jiaozi.teachers.tests.workbook import TemplateBook, resident_id

pytestmark = pytest.mark.django_db

CODE = "3401030901"
PRIVATE_REFUSED = "学校“3401030901”为民办学校，用工类型不能为“公办在编”"


def run(tmp_path: Path, book: TemplateBook) -> Any:
    return teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))


def one_teacher(*, ownership: str = "公办", stage: str = "初中", **teacher: Any) -> TemplateBook:
    book = TemplateBook()
    book.school(CODE, ownership=ownership, stage=stage)
    book.teacher(resident_id(7), school=CODE, **teacher)
    return book


# --- 用工类型 against 办学性质 -------------------------------------------------------------


def test_public_established_at_a_private_school_is_a_row_error(tmp_path: Path) -> None:
    result = run(tmp_path, one_teacher(ownership="民办", employment="公办在编"))
    assert not result.ok
    assert [(e.sheet, e.row, e.column, e.value) for e in result.errors] == [
        (TEACHERS, 2, "用工类型", "公办在编")
    ]
    assert result.errors[0].reason.startswith(PRIVATE_REFUSED)
    assert not Certificate.objects.exists()  # nothing loaded


def test_the_error_names_the_row_among_good_ones(tmp_path: Path) -> None:
    book = TemplateBook()
    book.school(CODE, ownership="民办")
    book.teacher(resident_id(1), school=CODE, employment="民办聘用")
    book.teacher(resident_id(2), school=CODE, employment="其他")
    book.teacher(resident_id(3), school=CODE, employment="公办在编")
    result = run(tmp_path, book)
    assert [(e.row, e.column) for e in result.errors] == [(4, "用工类型")]


@pytest.mark.parametrize("employment", ["公办聘用同等待遇", "民办聘用", "其他"])
def test_other_employment_types_load_at_a_private_school(tmp_path: Path, employment: str) -> None:
    result = run(tmp_path, one_teacher(ownership="民办", employment=employment))
    assert result.ok, result.errors


def test_public_established_at_a_public_school_loads(tmp_path: Path) -> None:
    assert run(tmp_path, one_teacher(ownership="公办", employment="公办在编")).ok


def test_a_private_school_already_on_record_is_checked_too(tmp_path: Path) -> None:
    school(CODE, ownership=Institution.Ownership.PRIVATE)
    book = TemplateBook()  # no 学校 sheet: the school comes from the database
    book.teacher(resident_id(7), school=CODE, employment="公办在编")
    result = run(tmp_path, book)
    assert [(e.row, e.column) for e in result.errors] == [(2, "用工类型")]


def test_the_file_s_ownership_wins_over_the_stored_one(tmp_path: Path) -> None:
    """A school turned 民办 in the same file is judged as the file leaves it."""
    school(CODE, ownership=Institution.Ownership.PUBLIC)
    result = run(tmp_path, one_teacher(ownership="民办", employment="公办在编"))
    assert [(e.row, e.column) for e in result.errors] == [(2, "用工类型")]


# --- 资格种类 against 学段 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "qualification"),
    [
        ("初中", "小学"),  # a lower certificate does not cover a higher stage
        ("幼儿园", "小学"),  # only a 幼儿园 certificate teaches in a kindergarten
        ("高中", "初级中学"),
        ("小学", "幼儿园"),
        ("中职", "初级中学"),
    ],
)
def test_a_certificate_that_does_not_fit_the_stage_is_a_warning(
    tmp_path: Path, stage: str, qualification: str
) -> None:
    result = run(tmp_path, one_teacher(stage=stage, qualification=qualification))
    assert result.ok, result.errors
    assert [(w.sheet, w.row, w.column, w.value) for w in result.warnings] == [
        (TEACHERS, 2, "资格种类", qualification)
    ]
    assert f"学段（{stage}）不符" in result.warnings[0].reason
    assert Certificate.objects.count() == 1  # loaded all the same


@pytest.mark.parametrize(
    ("stage", "qualification"),
    [
        ("小学", "小学"),
        ("小学", "初级中学"),  # a higher general certificate covers the lower stages
        ("九年一贯制", "高级中学"),
        ("中职", "中职实习指导"),
        ("中职", "高级中学"),
        ("幼儿园", "幼儿园"),
        ("特殊教育", "幼儿园"),  # special education: any certificate
    ],
)
def test_a_certificate_that_fits_the_stage_gives_no_warning(
    tmp_path: Path, stage: str, qualification: str
) -> None:
    result = run(tmp_path, one_teacher(stage=stage, qualification=qualification))
    assert result.ok, result.errors
    assert result.warnings == []


def test_a_teacher_without_a_certificate_gives_no_warning(tmp_path: Path) -> None:
    result = run(tmp_path, one_teacher(stage="幼儿园", certificate=None))
    assert result.ok, result.errors
    assert result.warnings == []


def test_the_stage_of_a_school_on_record_is_used(tmp_path: Path) -> None:
    school(CODE, stage=Institution.Stage.KINDERGARTEN)
    book = TemplateBook()
    book.teacher(resident_id(7), school=CODE, qualification="初级中学")
    result = run(tmp_path, book)
    assert result.ok, result.errors
    assert [(w.row, w.column) for w in result.warnings] == [(2, "资格种类")]


def test_the_command_lists_the_warnings(tmp_path: Path) -> None:
    path = one_teacher(stage="幼儿园", qualification="小学").write_xlsx(tmp_path / "t.xlsx")
    out = StringIO()
    call_command("import_teachers", str(path), stdout=out, stderr=StringIO())
    assert "工作表“教师”，第2行，列“资格种类”" in out.getvalue()


# --- 上次注册结论 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "stored"),
    [
        ("注册合格", Conclusion.QUALIFIED),
        ("合格", Conclusion.QUALIFIED),
        ("暂缓注册", Conclusion.DEFERRED),
        ("注册不合格", Conclusion.UNQUALIFIED),
        ("不合格", Conclusion.UNQUALIFIED),
    ],
)
def test_official_and_short_conclusion_terms_are_accepted(tmp_path: Path, label: str, stored: str) -> None:
    result = run(tmp_path, one_teacher(conclusion=label))
    assert result.ok, result.errors
    assert Certificate.objects.get().last_conclusion == stored


@pytest.mark.parametrize("label", ["注册暂缓", "合格 注册", "Qualified"])
def test_other_conclusion_terms_are_refused_listing_the_official_ones_first(
    tmp_path: Path, label: str
) -> None:
    result = run(tmp_path, one_teacher(conclusion=label))
    assert [(e.row, e.column) for e in result.errors] == [(2, "上次注册结论")]
    assert result.errors[0].reason == "取值应为以下之一：注册合格、暂缓注册、注册不合格、合格、不合格"


def test_the_blank_template_offers_the_official_terms(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "blank.xlsx"
    path.write_bytes(build_template())
    ws = load_workbook(path)[TEACHERS]
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"注册合格,暂缓注册,注册不合格,合格,不合格"' in lists
