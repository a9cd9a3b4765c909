"""The import of the §12 template: loading, re-import, all-or-nothing, sources."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import Certificate, CertificateStatus, Conclusion
from jiaozi.core.fields import field_lookup
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import LUYANG, bureau
from jiaozi.teachers.importing.columns import ANNUAL, BREAKS, ETHICS, SCHOOLS, TEACHERS, TRAINING
from jiaozi.teachers.models import (
    AnnualAppraisal,
    AppraisalGrade,
    EthicsAppraisal,
    Health,
    PostType,
    Teacher,
    TeachingBreak,
    TrainingRecord,
)
from jiaozi.teachers.services import teacher_import
from jiaozi.teachers.tests.workbook import TemplateBook, as_excel_saves

pytestmark = pytest.mark.django_db


def full_book(teachers: int = 3) -> tuple[TemplateBook, list[str]]:
    book = TemplateBook()
    book.school("3401030901", county=LUYANG, stage="初中")
    ids = [book.full_teacher(name=f"教师{i}") for i in range(teachers)]
    book.teaching_break(ids[0], "2021-03-01", "2021-08-31", "产假", "是")
    return book, ids


def test_workbook_imports_into_freshly_migrated_database(tmp_path: Path) -> None:
    # Nothing but the migrations' data: the 庐阳区 bureau exists, the school does not.
    assert not Institution.objects.filter(code="3401030901").exists()
    book, ids = full_book()

    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))

    assert result.ok, result.errors
    assert result.counts[SCHOOLS]["created"] == 1
    assert result.counts[TEACHERS]["created"] == 3
    assert result.counts["证书"]["created"] == 3
    assert result.counts[ANNUAL]["created"] == 15
    assert result.counts[ETHICS]["created"] == 15
    assert result.counts[TRAINING]["created"] == 15
    assert result.counts[BREAKS]["created"] == 1
    school = Institution.objects.get(code="3401030901")
    county = bureau(LUYANG)
    assert (school.kind, school.parent_id, school.path, school.level) == (
        "school",
        county.pk,
        f"{county.path}3401030901/",
        county.level,
    )
    teacher = Teacher.objects.get(**field_lookup(Teacher, "resident_id", ids[0]))
    assert (teacher.resident_id, teacher.name, teacher.school_id) == (ids[0], "教师0", school.pk)
    assert teacher.phone == "13800000000"
    certificate = teacher.certificates.get()
    assert (certificate.qualification_type, certificate.status, certificate.last_conclusion) == (
        "3",
        CertificateStatus.VALID,
        Conclusion.QUALIFIED,
    )
    assert (certificate.valid_from, certificate.valid_to) == (dt.date(2019, 12, 1), dt.date(2024, 11, 30))
    assert sorted(teacher.annual_appraisals.values_list("year", flat=True)) == [2019, 2020, 2021, 2022, 2023]
    assert teacher.training_records.get(date=dt.date(2019, 7, 15)).hours == Decimal("80.0")
    assert teacher.teaching_breaks.get().approved is True
    audit = AuditEvent.objects.get(kind=AuditKind.TEACHER_IMPORTED)
    assert audit.outcome == "success"
    assert audit.details["counts"][TEACHERS] == {"created": 3}
    # The school went through the orgs service, audited like one created by hand.
    assert AuditEvent.objects.filter(kind=AuditKind.INSTITUTION_CREATED, object_id=str(school.pk)).exists()


def test_resident_id_is_stored_encrypted(tmp_path: Path) -> None:
    from django.db import connection

    book, ids = full_book(1)
    assert teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx")).ok
    with connection.cursor() as cursor:
        cursor.execute("SELECT resident_id, phone FROM teachers_teacher")
        stored_id, stored_phone = cursor.fetchone()
    assert ids[0] not in stored_id
    assert "13800000000" not in stored_phone
    assert Teacher.objects.get().resident_id == ids[0]


def test_reimport_updates_and_never_duplicates(tmp_path: Path) -> None:
    book, ids = full_book()
    path = book.write_xlsx(tmp_path / "t.xlsx")
    assert teacher_import(actor=None, file=path).ok
    before = Teacher.objects.get(**field_lookup(Teacher, "resident_id", ids[1]))

    # Same file again: everything unchanged, nothing written.
    again = teacher_import(actor=None, file=path)
    assert again.ok
    assert again.counts[TEACHERS] == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3}
    assert again.counts[TRAINING]["unchanged"] == 15

    # Changed facts in every sheet, plus one new row.
    teacher_row = book.sheets[TEACHERS][1]
    teacher_row.update(手机号="13900000001", 岗位类别="双肩挑", 证书状态="撤销", 身心健康="不适合")
    book.sheets[ANNUAL][5]["等次"] = "优秀"  # ids[1], 2019
    book.sheets[ETHICS][5]["结果"] = "不合格"
    book.sheets[TRAINING][5]["学时"] = 12.5
    book.sheets[BREAKS][0]["结束日期"] = "2021-09-30"
    book.annual(ids[1], 2024)
    changed = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t2.xlsx"))

    assert changed.ok, changed.errors
    assert changed.counts[TEACHERS] == {"rows": 3, "created": 0, "updated": 1, "unchanged": 2}
    assert changed.counts["证书"] == {"rows": 3, "created": 0, "updated": 1, "unchanged": 2}
    assert changed.counts[ANNUAL] == {"rows": 16, "created": 1, "updated": 1, "unchanged": 14}
    assert changed.counts[ETHICS]["updated"] == 1
    assert changed.counts[TRAINING]["updated"] == 1
    assert changed.counts[BREAKS]["updated"] == 1
    assert Teacher.objects.count() == 3
    assert Certificate.objects.count() == 3
    assert AnnualAppraisal.objects.count() == 16
    assert EthicsAppraisal.objects.count() == 15
    assert TrainingRecord.objects.count() == 15
    assert TeachingBreak.objects.count() == 1
    after = Teacher.objects.get(pk=before.pk)
    assert (after.phone, after.post_type, after.health) == ("13900000001", PostType.DUAL, Health.UNFIT)
    assert after.version == before.version + 1
    assert after.certificates.get().status == CertificateStatus.REVOKED
    assert after.annual_appraisals.get(year=2019).grade == AppraisalGrade.EXCELLENT
    assert after.training_records.get(date=dt.date(2019, 7, 15)).hours == Decimal("12.5")
    assert Teacher.objects.filter(**field_lookup(Teacher, "phone", "13900000001")).get() == after


def test_one_bad_row_leaves_nothing(tmp_path: Path) -> None:
    book, ids = full_book(5)
    book.training(ids[4], "2023-02-30", 8, "校本研修")  # no such date: the very last row
    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))

    assert not result.ok
    assert [(e.sheet, e.row, e.column, e.reason) for e in result.errors] == [
        (TRAINING, 27, "日期", "日期不存在")
    ]
    assert not Institution.objects.filter(code="3401030901").exists()
    for model in (Teacher, Certificate, AnnualAppraisal, EthicsAppraisal, TrainingRecord, TeachingBreak):
        assert not model.objects.exists(), model
    # The refusal itself is on record (with the error count, no data).
    audit = AuditEvent.objects.get(kind=AuditKind.TEACHER_IMPORTED)
    assert (audit.outcome, audit.details["errors"]) == ("failure", 1)


def test_errors_are_all_collected_not_only_the_first(tmp_path: Path) -> None:
    book, _ids = full_book(2)
    book.sheets[TEACHERS][0]["性别"] = "M"
    book.sheets[ANNUAL][3]["等次"] = "良好"
    book.sheets[BREAKS][0]["是否批准"] = "Y"
    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        (TEACHERS, 2, "性别"),
        (ANNUAL, 5, "等次"),
        (BREAKS, 2, "是否批准"),
    ]


def test_personal_values_are_masked_in_the_report(tmp_path: Path) -> None:
    book = TemplateBook()
    book.school()
    rid = book.teacher()["身份证号"]
    bad_id = rid[:-1] + ("0" if rid[-1] != "0" else "1")
    book.annual(bad_id, 2023)
    book.teacher(phone="1380000", name="欧阳娜娜")
    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))
    values = {e.column: e.value for e in result.errors}
    assert values["身份证号"] == bad_id[:6] + "********" + bad_id[-4:]
    assert values["手机号"] == "138****"
    assert all(rid not in e.value and bad_id not in e.value for e in result.errors)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_folder_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    book, _ids = full_book(2)
    folder = book.write_csv(tmp_path / "csv", encoding=encoding)
    result = teacher_import(actor=None, file=folder)
    assert result.ok, result.errors
    assert result.reader == "csv"
    assert result.counts[TEACHERS]["created"] == 2
    assert sorted(Teacher.objects.values_list("name", flat=True)) == ["教师0", "教师1"]
    assert TrainingRecord.objects.count() == 10


def test_csv_errors_use_the_rows_a_spreadsheet_shows(tmp_path: Path) -> None:
    book, _ids = full_book(2)
    book.sheets[ANNUAL][6]["年度"] = "二〇二一"
    result = teacher_import(actor=None, file=book.write_csv(tmp_path / "csv", encoding="gb18030"))
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [(ANNUAL, 8, "年度")]


def test_zip_of_csv_files_with_gbk_names(tmp_path: Path) -> None:
    book, _ids = full_book(1)
    folder = book.write_csv(tmp_path / "csv")
    archive = tmp_path / "upload.zip"

    class GbkName(zipfile.ZipInfo):
        # What a Chinese Windows zip tool writes: GBK bytes, no UTF-8 flag.
        def _encodeFilenameFlags(self) -> tuple[bytes, int]:
            return self.filename.encode("cp437"), self.flag_bits

    with zipfile.ZipFile(archive, "w") as z:
        for csv_file in folder.iterdir():
            z.writestr(GbkName(csv_file.name.encode("gbk").decode("cp437")), csv_file.read_bytes())
    result = teacher_import(actor=None, file=archive)
    assert result.ok, result.errors
    assert result.counts[TEACHERS]["created"] == 1


def test_single_csv_named_after_a_sheet(tmp_path: Path) -> None:
    book, ids = full_book(1)
    assert teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx")).ok
    extra = TemplateBook()
    extra.training(ids[0], "2024-03-01", 6, "新增培训")
    (tmp_path / "csv").mkdir()
    path = extra.write_csv(tmp_path / "csv") / "培训学时.csv"
    result = teacher_import(actor=None, file=io.BytesIO(path.read_bytes()), name="培训学时.csv")
    assert result.ok, result.errors
    assert result.counts[TRAINING]["created"] == 1


@pytest.mark.parametrize("prefix", ["", "x"])
def test_workbook_saved_by_excel_shared_strings(tmp_path: Path, prefix: str) -> None:
    book, _ids = full_book(2)
    path = tmp_path / "excel.xlsx"
    path.write_bytes(as_excel_saves(book.xlsx(), prefix=prefix))
    result = teacher_import(actor=None, file=path)
    assert result.ok, result.errors
    assert result.reader == "xlsx"
    assert result.counts[ANNUAL]["created"] == 10


def test_excel_date_cells_are_dates(tmp_path: Path) -> None:
    book, _ids = full_book(1)
    book.sheets[TRAINING][0]["日期"] = dt.datetime(2019, 7, 15)
    book.sheets[TEACHERS][0]["试用期满考核合格日期"] = dt.date(2013, 8, 31)
    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))
    assert result.ok, result.errors
    assert Teacher.objects.get().probation_passed_on == dt.date(2013, 8, 31)


def test_unusual_markup_falls_back_to_openpyxl(tmp_path: Path) -> None:
    book, _ids = full_book(1)
    data = book.xlsx()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                # Cells without a reference are legal and rare; the fast reader refuses them.
                content = content.replace(b'<c r="A1" ', b"<c ")
            target.writestr(info, content)
    path = tmp_path / "odd.xlsx"
    path.write_bytes(out.getvalue())
    result = teacher_import(actor=None, file=path)
    assert result.ok, result.errors
    assert result.reader == "openpyxl"
    assert result.counts[TEACHERS]["created"] == 1


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"this is not a zip")
    result = teacher_import(actor=None, file=path)
    assert not result.ok
    assert result.errors[0].reason.startswith("文件无法读取")


def test_an_empty_template_is_refused(tmp_path: Path) -> None:
    result = teacher_import(
        actor=None, file=TemplateBook().write_xlsx(tmp_path / "t.xlsx", include_empty=True)
    )
    assert [e.reason for e in result.errors] == ["文件中没有可导入的数据行（第1行为表头，数据从第2行开始）"]


def test_columns_may_come_in_any_order_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    book, _ids = full_book(1)
    headers = {ANNUAL: ["备注", "等次", "年度", "身份证号"]}
    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx", headers=headers))
    assert result.ok, result.errors
    assert AnnualAppraisal.objects.count() == 5


def test_blank_rows_between_data_are_skipped(tmp_path: Path) -> None:
    book, _ids = full_book(1)
    wb = book.workbook()
    ws = wb[ANNUAL]
    ws.insert_rows(3, amount=2)
    path = tmp_path / "t.xlsx"
    wb.save(path)
    ws_rows = teacher_import(actor=None, file=path)
    assert ws_rows.ok
    # A later error still names the row Excel shows.
    wb[ANNUAL].cell(row=8, column=3, value="良")
    wb.save(path)
    result = teacher_import(actor=None, file=path)
    assert [(e.sheet, e.row) for e in result.errors] == [(ANNUAL, 8)]


def test_the_blank_template_reads_back_with_its_instructions_sheet(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from jiaozi.teachers.importing.template import build_template

    path = tmp_path / "template.xlsx"
    path.write_bytes(build_template())
    result = teacher_import(actor=None, file=path)
    assert result.reader == "xlsx"
    assert [e.reason for e in result.errors] == ["文件中没有可导入的数据行（第1行为表头，数据从第2行开始）"]
    # Filled in (the way a user would), the same workbook loads.
    wb = load_workbook(path)
    book, _ids = full_book(1)
    for sheet, rows in book.sheets.items():
        for row in rows:
            wb[sheet].append(list(row.values()))
    wb.save(path)
    result = teacher_import(actor=None, file=path)
    assert result.ok, result.errors
    assert result.counts[ANNUAL]["created"] == 5
