"""Imports by staff stay inside their jurisdiction (§9): rows reaching outside are row
errors, and the file then loads nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.core.errors import PermissionDenied
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import LUYANG, YAOHAI, bureau, confirmation_point
from jiaozi.teachers.importing import loader
from jiaozi.teachers.importing.columns import ANNUAL, SCHOOLS, TEACHERS
from jiaozi.teachers.models import Teacher
from jiaozi.teachers.services import teacher_import
from jiaozi.teachers.tests.conftest import SCHOOL_A, SCHOOL_A2, SCHOOL_B
from jiaozi.teachers.tests.factories import make_teacher
from jiaozi.teachers.tests.workbook import TemplateBook

pytestmark = pytest.mark.django_db


def run(user: User | None, book: TemplateBook, tmp_path: Path) -> loader.ImportResult:
    return teacher_import(actor=user, file=book.write_xlsx(tmp_path / "t.xlsx"))


def errors(result: loader.ImportResult) -> list[tuple[str, int | None, str, str]]:
    return [(e.sheet, e.row, e.column, e.reason) for e in result.errors]


def test_school_user_imports_its_own_teachers(
    tmp_path: Path, school_a: Institution, school_a_staff: User
) -> None:
    book = TemplateBook()
    book.full_teacher(school=SCHOOL_A)
    result = run(school_a_staff, book, tmp_path)
    assert result.ok, result.errors
    assert Teacher.objects.get().school == school_a


def test_school_user_importing_another_schools_teacher_gets_a_row_error(
    tmp_path: Path, school_a: Institution, school_a2: Institution, school_a_staff: User
) -> None:
    book = TemplateBook()
    book.teacher(school=SCHOOL_A)
    book.teacher(school=SCHOOL_A2)
    result = run(school_a_staff, book, tmp_path)
    assert errors(result) == [(TEACHERS, 3, "学校代码", str(loader.SCHOOL_OUT_OF_SCOPE))]
    assert not Teacher.objects.exists()


def test_county_imports_its_schools_but_not_the_twin_county(
    tmp_path: Path,
    school_a: Institution,
    school_a2: Institution,
    school_b: Institution,
    county_a_reviewer: User,
) -> None:
    book = TemplateBook()
    book.teacher(school=SCHOOL_A)
    book.teacher(school=SCHOOL_A2)
    assert run(county_a_reviewer, book, tmp_path).ok
    book.teacher(school=SCHOOL_B)
    result = run(county_a_reviewer, book, tmp_path)
    assert errors(result) == [(TEACHERS, 4, "学校代码", str(loader.SCHOOL_OUT_OF_SCOPE))]


def test_a_teacher_registered_elsewhere_cannot_be_taken_over(
    tmp_path: Path, school_a: Institution, school_b: Institution, county_a_reviewer: User
) -> None:
    elsewhere = make_teacher(school=school_b)
    book = TemplateBook()
    book.teacher(elsewhere.resident_id, school=SCHOOL_A, certificate=None)
    result = run(county_a_reviewer, book, tmp_path)
    assert errors(result) == [(TEACHERS, 2, "身份证号", str(loader.TEACHER_OUT_OF_SCOPE))]
    elsewhere.refresh_from_db()
    assert elsewhere.school == school_b


def test_records_of_an_out_of_scope_teacher_look_like_an_unknown_one(
    tmp_path: Path, school_a: Institution, school_b: Institution, county_a_reviewer: User
) -> None:
    elsewhere = make_teacher(school=school_b)
    book = TemplateBook()
    book.annual(elsewhere.resident_id, 2023)
    result = run(county_a_reviewer, book, tmp_path)
    assert errors(result) == [(ANNUAL, 2, "身份证号", str(loader.NOT_FOUND_TEACHER))]
    assert not elsewhere.annual_appraisals.exists()


def test_a_teacher_moves_between_schools_of_one_county(
    tmp_path: Path, school_a: Institution, school_a2: Institution, county_a_reviewer: User
) -> None:
    teacher = make_teacher(school=school_a)
    book = TemplateBook()
    book.teacher(teacher.resident_id, school=SCHOOL_A2, certificate=None, name=teacher.name)
    result = run(county_a_reviewer, book, tmp_path)
    assert result.ok, result.errors
    teacher.refresh_from_db()
    assert teacher.school == school_a2


def test_only_institution_admins_create_schools(
    tmp_path: Path, county_a_reviewer: User, county_a_admin: User
) -> None:
    book = TemplateBook()
    book.school("3401030977")
    result = run(county_a_reviewer, book, tmp_path)
    assert errors(result) == [(SCHOOLS, 2, "学校代码", "只有机构管理员可以通过导入新增学校或修改学校信息")]
    assert run(county_a_admin, book, tmp_path).ok
    school = Institution.objects.get(code="3401030977")
    assert school.parent == bureau(LUYANG)


def test_no_school_in_the_twin_county(tmp_path: Path, county_a_admin: User) -> None:
    book = TemplateBook()
    book.school("3401020977", county=YAOHAI)
    result = run(county_a_admin, book, tmp_path)
    assert errors(result) == [
        (SCHOOLS, 2, "审核机构代码", "审核机构不在您的管辖范围内，不能在其下新增或调整学校")
    ]


def test_a_school_may_list_itself_unchanged_but_not_change_itself(
    tmp_path: Path, school_a: Institution, school_a_staff: User
) -> None:
    book = TemplateBook()
    book.school(SCHOOL_A, name=school_a.name, stage="初中", ownership="公办")
    book.teacher(school=SCHOOL_A)
    result = run(school_a_staff, book, tmp_path)
    assert result.ok, result.errors
    assert result.counts[SCHOOLS]["unchanged"] == 1
    book.sheets[SCHOOLS][0]["学校名称"] = "改名学校"
    result = run(school_a_staff, book, tmp_path)
    assert errors(result) == [
        (SCHOOLS, 2, "审核机构代码", "审核机构不在您的管辖范围内，不能在其下新增或调整学校")
    ]


def test_county_admin_renames_and_moves_a_school(
    tmp_path: Path, school_a: Institution, county_a_admin: User
) -> None:
    from jiaozi.orgs.tests.factories import department

    dept = department("340100ZG77", division="340100")
    city_admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=bureau("340100"))
    book = TemplateBook()
    book.school(SCHOOL_A, name="合肥市新名中学", reviewer=dept.code)
    result = run(city_admin, book, tmp_path)
    assert result.ok, result.errors
    school_a.refresh_from_db()
    assert (school_a.name, school_a.parent, school_a.path) == (
        "合肥市新名中学",
        dept,
        f"{dept.path}{SCHOOL_A}/",
    )
    # The county no longer reviews it, so the county admin can no longer touch it.
    book.sheets[SCHOOLS][0]["学校名称"] = "又改名"
    assert errors(run(county_a_admin, book, tmp_path)) == [
        (SCHOOLS, 2, "学校代码", str(loader.SCHOOL_OUT_OF_SCOPE))
    ]


@pytest.mark.parametrize("role", [Role.CONFIRMATION_USER, Role.SECURITY_ADMIN, Role.CITY_RECHECKER])
def test_roles_without_import(tmp_path: Path, role: str) -> None:
    institution: Institution = {
        Role.CONFIRMATION_USER: lambda: confirmation_point("34010399Q1"),
        Role.SECURITY_ADMIN: lambda: bureau("340000"),
        Role.CITY_RECHECKER: lambda: bureau("340100"),
    }[Role(role)]()
    user = make_staff(role=role, institution=institution)
    book = TemplateBook()
    book.teacher()
    with pytest.raises(PermissionDenied):
        run(user, book, tmp_path)
