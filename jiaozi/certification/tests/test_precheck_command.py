"""``certification_precheck`` on §6's contract: CSV (UTF-8, GB18030) or xlsx in, the four
columns out; a bad file refused whole, naming row and column, nothing written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from jiaozi.certification.precheck import HEADERS
from jiaozi.core import idcard

pytestmark = pytest.mark.django_db

WOMAN_1995 = idcard.make("34010319950310002")
MAN_1960 = idcard.make("34010319600310001")

GOOD = {
    "申请编号": "A001",
    "身份证号": WOMAN_1995,
    "资格种类": "小学",
    "任教学科": "数学",
    "学历": "大专",
    "学前教育专业": "否",
    "专业技术职务或职业资格": "",
    "普通话等级": "二级乙等",
    "考试合格证明种类": "小学",
    "考试合格证明日期": "2023-06-01",
    "体检结论": "",
    "个人承诺": "是",
    "本年度已有申请": "否",
    "资格处分": "",
    "处分日期": "",
    "认定机构所在地代码": "340103",
}


def rows_with(*changes: dict[str, str]) -> list[dict[str, str]]:
    return [GOOD | change for change in changes]


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADERS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(path: Path, out: Path, date: str = "2024-09-20") -> list[dict[str, str]]:
    call_command("certification_precheck", str(path), "--date", date, "--out", str(out))
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["application_ref", "eligible", "authority_level", "reasons"]
        return list(reader)


def test_the_four_columns_with_every_reason(tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv",
        rows_with(
            {},
            {
                "申请编号": "A002",
                "学历": "中专",
                "普通话等级": "三级甲等",
                "考试合格证明种类": "",
                "考试合格证明日期": "",
            },
            {
                "申请编号": "A003",
                "资格种类": "高级中学",
                "学历": "本科",
                "考试合格证明种类": "中等职业学校",
                "认定机构所在地代码": "340100",
            },
            {"申请编号": "A004", "身份证号": MAN_1960, "资格处分": "撤销", "处分日期": "2020-01-01"},
            {
                "申请编号": "A005",
                "资格种类": "高等学校",
                "学历": "硕士",
                "考试合格证明种类": "",
                "考试合格证明日期": "",
                "认定机构所在地代码": "340000",
            },
        ),
    )
    out = run(src, tmp_path / "out.csv")
    assert out == [
        {"application_ref": "A001", "eligible": "yes", "authority_level": "county", "reasons": ""},
        {
            "application_ref": "A002",
            "eligible": "no",
            "authority_level": "county",
            "reasons": "education_insufficient;mandarin_insufficient;ntce_missing",
        },
        {"application_ref": "A003", "eligible": "yes", "authority_level": "city", "reasons": ""},
        {
            "application_ref": "A004",
            "eligible": "no",
            "authority_level": "county",
            "reasons": "over_retirement_age;revoked_within_5_years",
        },
        {"application_ref": "A005", "eligible": "yes", "authority_level": "province", "reasons": ""},
    ]


def test_a_province_direct_county_certifies_senior_school_at_city_level(tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv",
        rows_with(
            {
                "资格种类": "高级中学",
                "学历": "本科",
                "考试合格证明种类": "高级中学",
                "认定机构所在地代码": "340826",
            }
        ),
    )
    assert run(src, tmp_path / "out.csv")[0]["authority_level"] == "city"


def test_gb18030_csv(tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv", rows_with({"任教学科": "语文", "普通话等级": "二级甲等"}), encoding="gb18030"
    )
    assert run(src, tmp_path / "out.csv")[0]["eligible"] == "yes"


def test_xlsx_with_real_dates(tmp_path: Path) -> None:
    import datetime as dt

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADERS))
    row: list[object] = [GOOD[h] for h in HEADERS]
    row[HEADERS.index("考试合格证明日期")] = dt.datetime(2021, 9, 20)
    sheet.append(row)
    path = tmp_path / "in.xlsx"
    book.save(path)
    # The NTCE issued 2021-09-20 counts through 2024-09-19.
    assert run(path, tmp_path / "a.csv", "2024-09-19")[0]["reasons"] == ""
    assert run(path, tmp_path / "b.csv", "2024-09-20")[0]["reasons"] == "ntce_expired"


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"身份证号": "340103199503100020"}, "身份证号"),
        ({"资格种类": "大学"}, "资格种类"),
        ({"学历": "研究生"}, "学历"),
        ({"普通话等级": "二级"}, "普通话等级"),
        ({"考试合格证明日期": "2023-13-01"}, "考试合格证明日期"),
        ({"个人承诺": "Y"}, "个人承诺"),
        ({"资格处分": "撤销", "处分日期": ""}, "处分日期"),
        ({"认定机构所在地代码": "999999"}, "认定机构所在地代码"),
        ({"资格种类": "高级中学", "学历": "本科", "认定机构所在地代码": "340103"}, "认定机构所在地代码"),
    ],
)
def test_a_bad_cell_refuses_the_file_naming_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, str], column: str
) -> None:
    src = write_csv(tmp_path / "in.csv", rows_with({}, {}, change))
    out = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="refused"):
        call_command("certification_precheck", str(src), "--date", "2024-09-20", "--out", str(out))
    assert f"row 4, column {column}:" in capsys.readouterr().err
    assert not out.exists()
    assert not list(tmp_path.glob(".precheck-*"))


def test_missing_headers_and_other_formats_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "in.csv"
    bad.write_text("申请编号,身份证号\nA1,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command(
            "certification_precheck", str(bad), "--date", "2024-09-20", "--out", str(tmp_path / "o.csv")
        )
    txt = tmp_path / "in.txt"
    txt.write_text("x", encoding="utf-8")
    with pytest.raises(CommandError, match=r"\.csv or \.xlsx"):
        call_command(
            "certification_precheck", str(txt), "--date", "2024-09-20", "--out", str(tmp_path / "o.csv")
        )
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command(
            "certification_precheck", str(bad), "--date", "20240920", "--out", str(tmp_path / "o.csv")
        )


def test_a_zip_bomb_posing_as_xlsx_is_refused(tmp_path: Path, settings: object) -> None:
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<" + b" " * (40 * 1024 * 1024))
    with pytest.raises(CommandError):
        call_command(
            "certification_precheck", str(path), "--date", "2024-09-20", "--out", str(tmp_path / "o.csv")
        )
