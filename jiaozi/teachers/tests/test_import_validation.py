"""Every validation rule of the import names the exact sheet, row, column and reason.

Each case starts from a valid file (one school, one teacher with a certificate, one row
in every other sheet), breaks one thing, and expects exactly the listed errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jiaozi.orgs.tests.factories import school
from jiaozi.teachers.importing import loader, values
from jiaozi.teachers.importing.columns import ANNUAL, BREAKS, ETHICS, SCHOOLS, TEACHERS, TRAINING
from jiaozi.teachers.services import teacher_import
from jiaozi.teachers.tests.factories import make_certificate
from jiaozi.teachers.tests.workbook import TemplateBook, certificate_number, resident_id

pytestmark = pytest.mark.django_db

REQUIRED = str(values.REQUIRED)
NUMERIC_PRECISION = str(values.NUMERIC_PRECISION)
NOT_FOUND_TEACHER = str(loader.NOT_FOUND_TEACHER)
SCHOOL_NOT_FOUND = str(loader.SCHOOL_NOT_FOUND)
RID = resident_id(7)  # male
FEMALE_RID = resident_id(8, sex="女")
OTHER_RID = resident_id(9)
CERT = certificate_number(7)


def base() -> TemplateBook:
    book = TemplateBook()
    book.school("3401030901")
    book.teacher(RID, certificate=CERT)
    book.annual(RID, 2023)
    book.ethics(RID, 2023)
    book.training(RID, "2023-07-15", 24, "国培计划")
    book.teaching_break(RID, "2022-03-01", "2022-08-31")
    return book


def edit(
    sheet: str, index: int = 0, keep: tuple[str, ...] = (), **values: Any
) -> Callable[[TemplateBook], None]:
    """Change cells of one row. ``keep`` names the only sheets left in the file, for
    changes that would rightly break references from the other sheets."""

    def apply(book: TemplateBook) -> None:
        book.sheets[sheet][index].update(values)
        if keep:
            for name, rows in book.sheets.items():
                if name not in keep:
                    rows.clear()

    return apply


SCHOOL_ONLY = (SCHOOLS,)
NO_CHILDREN = (SCHOOLS, TEACHERS)


def add(method: str, *args: Any, **kwargs: Any) -> Callable[[TemplateBook], None]:
    def apply(book: TemplateBook) -> None:
        getattr(book, method)(*args, **kwargs)

    return apply


CHOICE = "取值应为以下之一："
CASES: list[tuple[str, Callable[[TemplateBook], None], list[tuple[str, int | None, str, str]]]] = [
    # 学校
    ("school code blank", edit(SCHOOLS, keep=SCHOOL_ONLY, 学校代码=""), [(SCHOOLS, 2, "学校代码", REQUIRED)]),
    (
        "school code chars",
        edit(SCHOOLS, keep=SCHOOL_ONLY, 学校代码="34-01"),
        [(SCHOOLS, 2, "学校代码", "代码应为2～32位数字或字母")],
    ),
    ("school name blank", edit(SCHOOLS, 学校名称=" "), [(SCHOOLS, 2, "学校名称", REQUIRED)]),
    (
        "county is a city",
        edit(SCHOOLS, 所在区县代码="340100"),
        [(SCHOOLS, 2, "所在区县代码", "不是有效的区县级行政区划代码（GB/T 2260）")],
    ),
    (
        "county unknown",
        edit(SCHOOLS, 所在区县代码="349999"),
        [(SCHOOLS, 2, "所在区县代码", "不是有效的区县级行政区划代码（GB/T 2260）")],
    ),
    ("ownership", edit(SCHOOLS, 办学性质="公立"), [(SCHOOLS, 2, "办学性质", CHOICE + "公办、民办")]),
    (
        "stage",
        edit(SCHOOLS, 学段="大学"),
        [(SCHOOLS, 2, "学段", CHOICE + "幼儿园、小学、初中、高中、完全中学、九年一贯制、中职、特殊教育")],
    ),
    (
        "reviewer unknown",
        edit(SCHOOLS, 审核机构代码="349998"),
        [(SCHOOLS, 2, "审核机构代码", "审核机构代码不存在")],
    ),
    (
        "reviewer of another county",
        edit(SCHOOLS, 审核机构代码="340102"),
        [(SCHOOLS, 2, "审核机构代码", "审核机构应为学校所在区县或其上级行政区划的教育行政部门或主管部门")],
    ),
    (
        "code of a bureau",
        edit(SCHOOLS, keep=SCHOOL_ONLY, 学校代码="340104"),
        [(SCHOOLS, 2, "学校代码", "该代码已被其他机构（非学校）使用")],
    ),
    (
        "duplicate school",
        add("school", "3401030901"),
        [(SCHOOLS, 3, "学校代码", "与第2行重复（同一学校代码）")],
    ),
    # 教师
    (
        "id checksum",
        edit(TEACHERS, keep=NO_CHILDREN, 身份证号=RID[:-1] + ("0" if RID[-1] != "0" else "1")),
        [(TEACHERS, 2, "身份证号", "身份证号校验位错误")],
    ),
    (
        "id length",
        edit(TEACHERS, keep=NO_CHILDREN, 身份证号=RID[:-1]),
        [(TEACHERS, 2, "身份证号", "身份证号应为18位，前17位为数字，末位为数字或X")],
    ),
    (
        "id birth date",
        edit(TEACHERS, keep=NO_CHILDREN, 身份证号="340103" + "19881332" + "0015"),
        [(TEACHERS, 2, "身份证号", "身份证号中的出生日期无效")],
    ),
    (
        "id as a number",
        edit(TEACHERS, keep=NO_CHILDREN, 身份证号=float(RID[:-1] + "0")),
        [(TEACHERS, 2, "身份证号", NUMERIC_PRECISION)],
    ),
    ("id blank", edit(TEACHERS, keep=NO_CHILDREN, 身份证号=None), [(TEACHERS, 2, "身份证号", REQUIRED)]),
    ("name blank", edit(TEACHERS, 姓名=""), [(TEACHERS, 2, "姓名", REQUIRED)]),
    ("name too long", edit(TEACHERS, 姓名="张" * 65), [(TEACHERS, 2, "姓名", "长度不能超过64个字符")]),
    ("sex label", edit(TEACHERS, 性别="M"), [(TEACHERS, 2, "性别", CHOICE + "男、女")]),
    (
        "sex against id",
        edit(TEACHERS, keep=NO_CHILDREN, 身份证号=FEMALE_RID),
        [(TEACHERS, 2, "性别", "性别与身份证号不符")],
    ),
    (
        "phone",
        edit(TEACHERS, 手机号="0551-1234567"),
        [(TEACHERS, 2, "手机号", "手机号应为以1开头的11位数字")],
    ),
    (
        "school unknown",
        edit(TEACHERS, 学校代码="3401039999"),
        [(TEACHERS, 2, "学校代码", SCHOOL_NOT_FOUND)],
    ),
    (
        "post",
        edit(TEACHERS, 岗位类别="教师"),
        [
            (
                TEACHERS,
                2,
                "岗位类别",
                CHOICE + "专任教师、双肩挑、实验教学、心理健康教育、少先队工作、教育信息化运维、其他",
            )
        ],
    ),
    (
        "employment",
        edit(TEACHERS, 用工类型="合同"),
        [(TEACHERS, 2, "用工类型", CHOICE + "公办在编、公办聘用同等待遇、民办聘用、其他")],
    ),
    (
        "certificate length",
        edit(TEACHERS, 证书编号=CERT[:-1]),
        [(TEACHERS, 2, "证书编号", "证书编号应为17位数字")],
    ),
    (
        "certificate year",
        edit(TEACHERS, 证书编号="2999" + CERT[4:]),
        [(TEACHERS, 2, "证书编号", "证书编号前4位（年份）应在1990至")],
    ),
    (
        "certificate province",
        edit(TEACHERS, 证书编号=CERT[:4] + "99" + CERT[6:]),
        [(TEACHERS, 2, "证书编号", "证书编号第5～6位不是有效的省级行政区划代码")],
    ),
    (
        "certificate serial",
        edit(TEACHERS, 证书编号=CERT[:11] + "000000"),
        [(TEACHERS, 2, "证书编号", "证书编号末6位（流水号）不能为000000")],
    ),
    (
        "certificate type",
        edit(TEACHERS, 资格种类="小学"),
        [(TEACHERS, 2, "证书编号", "证书编号第10位（资格种类）应为2（小学），与资格种类不符")],
    ),
    (
        "certificate sex",
        edit(TEACHERS, 证书编号=CERT[:10] + "2" + CERT[11:]),
        [(TEACHERS, 2, "证书编号", "证书编号第11位（性别）应为1（男），与性别不符")],
    ),
    (
        "certificate as a number",
        edit(TEACHERS, 证书编号=float(CERT)),
        [(TEACHERS, 2, "证书编号", NUMERIC_PRECISION)],
    ),
    (
        "qualification missing",
        edit(TEACHERS, 资格种类=None),
        [(TEACHERS, 2, "资格种类", "填写证书编号时必须填写资格种类")],
    ),
    (
        "qualification label",
        edit(TEACHERS, 资格种类="初中"),
        [
            (
                TEACHERS,
                2,
                "资格种类",
                CHOICE + "幼儿园、小学、初级中学、高级中学、中等职业学校、中职实习指导、高等学校",
            )
        ],
    ),
    (
        "status missing",
        edit(TEACHERS, 证书状态=""),
        [(TEACHERS, 2, "证书状态", "填写证书编号时必须填写证书状态")],
    ),
    (
        "status label",
        edit(TEACHERS, 证书状态="正常"),
        [(TEACHERS, 2, "证书状态", CHOICE + "有效、撤销、丧失")],
    ),
    (
        "conclusion label",
        edit(TEACHERS, 上次注册结论="注册暂缓"),
        [(TEACHERS, 2, "上次注册结论", CHOICE + "注册合格、暂缓注册、注册不合格、合格、不合格")],
    ),
    (
        "date format",
        edit(TEACHERS, 注册有效期起="2019/12/01"),
        [(TEACHERS, 2, "注册有效期起", "日期格式应为YYYY-MM-DD")],
    ),
    ("date exists", edit(TEACHERS, 注册有效期止="2024-02-30"), [(TEACHERS, 2, "注册有效期止", "日期不存在")]),
    (
        "validity order",
        edit(TEACHERS, 注册有效期起="2024-12-01", 注册有效期止="2024-11-30"),
        [(TEACHERS, 2, "注册有效期止", "注册有效期止不能早于注册有效期起")],
    ),
    (
        "qualified needs validity",
        edit(TEACHERS, 注册有效期起=None, 注册有效期止=None),
        [
            (TEACHERS, 2, "注册有效期起", "上次注册结论为注册合格时必须填写注册有效期"),
            (TEACHERS, 2, "注册有效期止", "上次注册结论为注册合格时必须填写注册有效期"),
        ],
    ),
    (
        "validity halves",
        edit(TEACHERS, 上次注册结论="暂缓注册", 注册有效期止=None),
        [(TEACHERS, 2, "注册有效期止", "注册有效期起、止应同时填写")],
    ),
    (
        "never registered with validity",
        edit(TEACHERS, 上次注册结论=""),
        [(TEACHERS, 2, "上次注册结论", "填写了注册有效期，但上次注册结论为空（表示从未注册）")],
    ),
    (
        "probation in the future",
        edit(TEACHERS, 试用期满考核合格日期="2999-01-01"),
        [(TEACHERS, 2, "试用期满考核合格日期", "日期不能晚于今天")],
    ),
    ("health", edit(TEACHERS, 身心健康="良好"), [(TEACHERS, 2, "身心健康", CHOICE + "健康、不适合")]),
    (
        "certificate fields without number",
        edit(TEACHERS, 证书编号=None),
        [
            (TEACHERS, 2, h, "未填写证书编号时，证书相关信息应留空")
            for h in ("资格种类", "任教学科", "证书状态", "上次注册结论", "注册有效期起", "注册有效期止")
        ],
    ),
    (
        "duplicate teacher",
        add("teacher", RID, certificate=None),
        [(TEACHERS, 3, "身份证号", "与第2行重复（同一身份证号）")],
    ),
    (
        "duplicate certificate",
        add("teacher", OTHER_RID, certificate=CERT),
        [(TEACHERS, 3, "证书编号", "与第2行重复（同一证书编号）")],
    ),
    # 年度考核, 师德考核
    ("year short", edit(ANNUAL, 年度="23"), [(ANNUAL, 2, "年度", "年度应为四位年份，如2023")]),
    ("year range", edit(ANNUAL, 年度=1985), [(ANNUAL, 2, "年度", "年度应在1990至")]),
    ("year future", edit(ETHICS, 年度=2999), [(ETHICS, 2, "年度", "年度应在1990至")]),
    ("grade", edit(ANNUAL, 等次="良好"), [(ANNUAL, 2, "等次", CHOICE + "优秀、合格、基本合格、不合格")]),
    ("ethics result", edit(ETHICS, 结果="优秀"), [(ETHICS, 2, "结果", CHOICE + "合格、不合格")]),
    (
        "duplicate appraisal",
        add("annual", RID, 2023, "优秀"),
        [(ANNUAL, 3, "身份证号", "与第2行重复（同一身份证号和年度）")],
    ),
    (
        "duplicate ethics",
        add("ethics", RID, "2023"),
        [(ETHICS, 3, "身份证号", "与第2行重复（同一身份证号和年度）")],
    ),
    (
        "appraisal of nobody",
        add("annual", OTHER_RID, 2023),
        [(ANNUAL, 3, "身份证号", NOT_FOUND_TEACHER)],
    ),
    (
        "appraisal id checksum",
        edit(ANNUAL, 身份证号=RID[:-1] + ("0" if RID[-1] != "0" else "1")),
        [(ANNUAL, 2, "身份证号", "身份证号校验位错误")],
    ),
    # 培训学时
    ("hours zero", edit(TRAINING, 学时=0), [(TRAINING, 2, "学时", "学时应大于0")]),
    ("hours text", edit(TRAINING, 学时="两小时"), [(TRAINING, 2, "学时", "学时应为数字")]),
    ("hours precision", edit(TRAINING, 学时=12.25), [(TRAINING, 2, "学时", "学时最多保留一位小数")]),
    ("hours too many", edit(TRAINING, 学时=1000), [(TRAINING, 2, "学时", "单条培训学时不能超过999.9")]),
    ("training date future", edit(TRAINING, 日期="2999-07-15"), [(TRAINING, 2, "日期", "日期不能晚于今天")]),
    ("programme blank", edit(TRAINING, 项目名称=""), [(TRAINING, 2, "项目名称", REQUIRED)]),
    (
        "duplicate training",
        add("training", RID, "2023-07-15", 8, "国培计划"),
        [(TRAINING, 3, "身份证号", "与第2行重复（同一身份证号、日期和项目名称）")],
    ),
    # 中止任教
    (
        "break order",
        edit(BREAKS, 结束日期="2022-02-28"),
        [(BREAKS, 2, "结束日期", "结束日期不能早于开始日期")],
    ),
    ("break start blank", edit(BREAKS, 开始日期=None), [(BREAKS, 2, "开始日期", REQUIRED)]),
    ("approved label", edit(BREAKS, 是否批准="Y"), [(BREAKS, 2, "是否批准", CHOICE + "是、否")]),
    ("approved blank", edit(BREAKS, 是否批准=None), [(BREAKS, 2, "是否批准", REQUIRED)]),
    (
        "duplicate break",
        add("teaching_break", RID, "2022-03-01", "2022-04-01"),
        [(BREAKS, 3, "身份证号", "与第2行重复（同一身份证号和开始日期）")],
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(
    tmp_path: Path,
    mutate: Callable[[TemplateBook], None],
    expected: list[tuple[str, int | None, str, str]],
) -> None:
    book = base()
    mutate(book)
    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))
    assert not result.ok
    got = [(e.sheet, e.row, e.column, e.reason) for e in result.errors]
    assert len(got) == len(expected), got
    for (sheet, row, column, reason), error in zip(expected, got, strict=True):
        assert (sheet, row, column) == error[:3], got
        assert error[3].startswith(reason), got


def test_the_base_file_is_valid(tmp_path: Path) -> None:
    assert teacher_import(actor=None, file=base().write_xlsx(tmp_path / "t.xlsx")).ok


def test_missing_column_and_unknown_sheet(tmp_path: Path) -> None:
    book = base()
    wb = book.workbook()
    wb[ANNUAL].delete_cols(3)  # 等次
    wb.create_sheet("教师名单")
    path = tmp_path / "t.xlsx"
    wb.save(path)
    result = teacher_import(actor=None, file=path)
    assert [(e.sheet, e.row, e.column, e.reason) for e in result.errors] == [
        (
            "教师名单",
            None,
            "",
            "无法识别的工作表名称，应为：学校、教师、年度考核、师德考核、培训学时、中止任教",
        ),
        (ANNUAL, 1, "等次", "缺少列“等次”（列名须与模板完全一致）"),
    ]


def test_duplicate_header(tmp_path: Path) -> None:
    book = base()
    result = teacher_import(
        actor=None,
        file=book.write_xlsx(tmp_path / "t.xlsx", headers={ETHICS: ["身份证号", "年度", "结果", "年度"]}),
    )
    assert [(e.sheet, e.row, e.column, e.reason) for e in result.errors] == [(ETHICS, 1, "年度", "列名重复")]


def test_certificate_of_another_teacher_in_the_database(tmp_path: Path) -> None:
    make_certificate(number=CERT)  # someone else's
    result = teacher_import(actor=None, file=base().write_xlsx(tmp_path / "t.xlsx"))
    assert [(e.sheet, e.row, e.column, e.reason) for e in result.errors] == [
        (TEACHERS, 2, "证书编号", "该证书编号已登记在其他教师名下")
    ]


def test_appraisals_of_a_teacher_already_in_the_database(tmp_path: Path) -> None:
    """Referential check: an ID not in the file is fine when the teacher is on record."""
    existing = make_certificate(teacher__school=school("3401030901")).teacher
    book = TemplateBook()
    book.annual(existing.resident_id, 2022, "优秀")
    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))
    assert result.ok, result.errors
    assert existing.annual_appraisals.get().year == 2022


def test_rows_of_a_teacher_whose_row_failed_are_not_reported_twice(tmp_path: Path) -> None:
    book = base()
    book.sheets[TEACHERS][0]["岗位类别"] = "教师"
    result = teacher_import(actor=None, file=book.write_xlsx(tmp_path / "t.xlsx"))
    assert [(e.sheet, e.column) for e in result.errors] == [(TEACHERS, "岗位类别")]


def test_the_error_report_stops_growing_at_its_limit(tmp_path: Path, settings: Any) -> None:
    from jiaozi.teachers.importing.loader import Importer
    from jiaozi.teachers.importing.sources import open_source

    book = base()
    for year in range(1991, 2016):
        book.annual(RID, year, "良好")
    importer = Importer(error_limit=10)
    result = importer.run(open_source(book.write_xlsx(tmp_path / "t.xlsx")))
    assert (len(result.errors), result.error_total, result.truncated) == (10, 25, True)


def test_an_empty_sheet_hides_no_reference_errors(tmp_path: Path) -> None:
    """A 学校 or 教师 sheet without even a header is empty, not unreadable: codes and IDs
    that refer to nothing are still reported."""
    book = base()
    book.sheets[SCHOOLS].clear()
    wb = book.workbook()
    wb.create_sheet(SCHOOLS, 0)  # blank sheet, no header
    path = tmp_path / "t.xlsx"
    wb.save(path)
    result = teacher_import(actor=None, file=path)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [(TEACHERS, 2, "学校代码")]

    only_children = TemplateBook()
    only_children.annual(RID, 2023)
    wb = only_children.workbook()
    wb.create_sheet(TEACHERS, 0)
    wb.save(path)
    result = teacher_import(actor=None, file=path)
    assert [(e.sheet, e.row, e.reason) for e in result.errors] == [(ANNUAL, 2, NOT_FOUND_TEACHER)]


def test_a_broken_teacher_header_is_reported_once(tmp_path: Path) -> None:
    book = base()
    result = teacher_import(
        actor=None,
        file=book.write_xlsx(
            tmp_path / "t.xlsx", headers={TEACHERS: ["身份证号码", *list(book.sheets[TEACHERS][0])[1:]]}
        ),
    )
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [(TEACHERS, 1, "身份证号")]
