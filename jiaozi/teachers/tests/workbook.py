"""Build import files in the §12 format in tests (any app may use this).

    book = TemplateBook()
    book.school("3401030099", county="340103")
    rid = book.teacher(school="3401030099")["身份证号"]
    book.annual(rid, 2023, "优秀")
    path = book.write_xlsx(tmp_path / "teachers.xlsx")

Row numbers in errors are Excel's: ``book.row(sheet, index)`` gives the row of the
``index``-th data row (0-based) of a sheet, i.e. ``index + 2``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from jiaozi.core import idcard
from jiaozi.teachers.importing.columns import (
    ANNUAL,
    BREAKS,
    ETHICS,
    SCHOOLS,
    SHEET_ORDER,
    SHEETS,
    TEACHERS,
    TRAINING,
)

_QUALIFICATION_DIGIT = {
    "幼儿园": "1",
    "小学": "2",
    "初级中学": "3",
    "高级中学": "4",
    "中等职业学校": "5",
    "中职实习指导": "6",
    "高等学校": "7",
}


def resident_id(
    n: int, *, sex: str = "男", area: str = "340103", birth: dt.date = dt.date(1988, 5, 17)
) -> str:
    """A valid resident ID; ``n`` (0…499) makes it unique, ``sex`` sets the 17th digit."""
    seq = (n % 500) * 2 + (1 if sex == "男" else 0)
    return idcard.make(f"{area}{birth:%Y%m%d}{seq:03d}")


def certificate_number(
    serial: int,
    *,
    year: int = 2012,
    province: str = "34",
    authority: str = "001",
    qualification: str = "初级中学",
    sex: str = "男",
) -> str:
    return f"{year:04d}{province}{authority}{_QUALIFICATION_DIGIT[qualification]}{'1' if sex == '男' else '2'}{serial:06d}"


@dataclass
class TemplateBook:
    sheets: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in SHEET_ORDER}
    )
    _serial: int = 0

    @staticmethod
    def row(sheet: str, index: int) -> int:
        return index + 2

    def add(self, sheet: str, **values: Any) -> dict[str, Any]:
        unknown = set(values) - set(SHEETS[sheet].headers)
        if unknown:
            raise KeyError(f"not a column of {sheet}: {sorted(unknown)}")
        row = {header: values.get(header) for header in SHEETS[sheet].headers}
        self.sheets[sheet].append(row)
        return row

    def school(
        self,
        code: str = "3401030901",
        *,
        name: str | None = None,
        county: str = "340103",
        ownership: str = "公办",
        stage: str = "初中",
        reviewer: str = "",
    ) -> dict[str, Any]:
        return self.add(
            SCHOOLS,
            学校代码=code,
            学校名称=name or f"测试学校{code}",
            所在区县代码=county,
            办学性质=ownership,
            学段=stage,
            审核机构代码=reviewer,
        )

    def teacher(
        self,
        rid: str | None = None,
        *,
        name: str = "张三",
        sex: str = "男",
        phone: str = "13800000000",
        school: str = "3401030901",
        post: str = "专任教师",
        employment: str = "公办在编",
        certificate: str | None = "auto",
        qualification: str = "初级中学",
        subject: str = "语文",
        status: str = "有效",
        probation: Any = "2013-08-31",
        conclusion: str = "合格",
        valid_from: Any = "2019-12-01",
        valid_to: Any = "2024-11-30",
        health: str = "",
    ) -> dict[str, Any]:
        self._serial += 1
        if rid is None:
            rid = resident_id(self._serial, sex=sex)
        if certificate == "auto":
            certificate = certificate_number(self._serial, qualification=qualification, sex=sex)
        return self.add(
            TEACHERS,
            身份证号=rid,
            姓名=name,
            性别=sex,
            手机号=phone,
            学校代码=school,
            岗位类别=post,
            用工类型=employment,
            证书编号=certificate,
            资格种类=qualification if certificate else None,
            任教学科=subject if certificate else None,
            证书状态=status if certificate else None,
            试用期满考核合格日期=probation,
            上次注册结论=conclusion if certificate else None,
            注册有效期起=valid_from if certificate else None,
            注册有效期止=valid_to if certificate else None,
            身心健康=health,
        )

    def annual(self, rid: str, year: Any, grade: str = "合格") -> dict[str, Any]:
        return self.add(ANNUAL, 身份证号=rid, 年度=year, 等次=grade)

    def ethics(self, rid: str, year: Any, result: str = "合格") -> dict[str, Any]:
        return self.add(ETHICS, 身份证号=rid, 年度=year, 结果=result)

    def training(self, rid: str, date: Any, hours: Any = 24, programme: str = "国培计划") -> dict[str, Any]:
        return self.add(TRAINING, 身份证号=rid, 日期=date, 学时=hours, 项目名称=programme)

    def teaching_break(
        self, rid: str, start: Any, end: Any, reason: str = "产假", approved: str = "是"
    ) -> dict[str, Any]:
        return self.add(BREAKS, 身份证号=rid, 开始日期=start, 结束日期=end, 原因=reason, 是否批准=approved)

    def full_teacher(self, n_years: int = 5, **kwargs: Any) -> str:
        """A teacher with five appraisals, five ethics results and training; its ID."""
        rid: str = self.teacher(**kwargs)["身份证号"]
        for year in range(2019, 2019 + n_years):
            self.annual(rid, year)
            self.ethics(rid, year)
            self.training(rid, f"{year}-07-15", 80, f"暑期研修{year}")
        return rid

    # --- output -------------------------------------------------------------------
    def _sheet_rows(self, sheet: str, headers: list[str] | None) -> list[list[Any]]:
        columns = headers or list(SHEETS[sheet].headers)
        return [columns] + [[row.get(h) for h in columns] for row in self.sheets[sheet]]

    def workbook(
        self, *, include_empty: bool = False, headers: dict[str, list[str]] | None = None
    ) -> Workbook:
        wb = Workbook()
        wb.remove(wb.active)  # type: ignore[arg-type]
        for sheet in SHEET_ORDER:
            if not self.sheets[sheet] and not include_empty:
                continue
            ws = wb.create_sheet(sheet)
            for values in self._sheet_rows(sheet, (headers or {}).get(sheet)):
                ws.append(values)
        return wb

    def xlsx(self, **kwargs: Any) -> bytes:
        buffer = io.BytesIO()
        self.workbook(**kwargs).save(buffer)
        return buffer.getvalue()

    def write_xlsx(self, path: Path, **kwargs: Any) -> Path:
        path.write_bytes(self.xlsx(**kwargs))
        return path

    def write_csv(self, folder: Path, *, encoding: str = "utf-8") -> Path:
        """One CSV per non-empty sheet; ``encoding`` "utf-8-sig" adds the BOM Excel writes,
        "gb18030" is what Excel on a Chinese Windows saves."""
        import csv

        folder.mkdir(parents=True, exist_ok=True)
        for sheet in SHEET_ORDER:
            if not self.sheets[sheet]:
                continue
            with (folder / f"{sheet}.csv").open("w", encoding=encoding, newline="") as handle:
                writer = csv.writer(handle)
                for values in self._sheet_rows(sheet, None):
                    writer.writerow(["" if v is None else v for v in values])
        return folder


def as_excel_saves(xlsx: bytes, *, prefix: str = "") -> bytes:
    """Rewrite an openpyxl workbook (inline strings) the way Excel saves one: strings
    in a shared table (``xl/sharedStrings.xml``), cells pointing at it. With ``prefix``
    (e.g. "x") the worksheet elements carry a namespace prefix, as some .NET writers do."""
    import re
    import zipfile
    from xml.sax.saxutils import escape

    source = zipfile.ZipFile(io.BytesIO(xlsx))
    strings: dict[str, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        attrs, text = match.group(1), match.group(2).decode()
        from html import unescape

        value = unescape(text)
        index = strings.setdefault(value, len(strings))
        return b"<c" + attrs + b' t="s"><v>' + str(index).encode() + b"</v></c>"

    out = io.BytesIO()
    target = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
    inline = re.compile(rb'<c([^>]*?) t="inlineStr"><is><t[^>]*>([^<]*)</t></is></c>')
    for info in source.infolist():
        data = source.read(info)
        if info.filename.startswith("xl/worksheets/sheet"):
            data = inline.sub(shared, data)
            if prefix:
                p = prefix.encode()
                data = re.sub(rb"<(/?)(worksheet|sheetData|row|c|v|is|t)\b", rb"<\1" + p + rb":\2", data)
                data = data.replace(
                    b"<" + p + b":worksheet xmlns=", b"<" + p + b":worksheet xmlns:" + p + b"="
                )
        elif info.filename == "[Content_Types].xml":
            data = data.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
        elif info.filename == "xl/_rels/workbook.xml.rels":
            data = data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
            )
        target.writestr(info, data)
    table = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    target.writestr(
        "xl/sharedStrings.xml",
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + table
        + "</sst>",
    )
    target.close()
    return out.getvalue()
