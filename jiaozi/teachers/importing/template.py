"""The blank import template (教师数据导入模板), generated from the same column table
the importer reads: headers exactly as §12, drop-down lists for every enumeration, ID,
phone and code columns formatted as text (so Excel keeps all 18 digits), and a
"填写说明" sheet describing each column with an example row."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .columns import INSTRUCTIONS, SHEET_ORDER, SHEETS, Column

ROWS_WITH_LISTS = 200_000
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True)

GENERAL_NOTES = (
    "本模板用于批量导入学校、教师及其教师资格证书、年度考核、师德考核、培训学时和中止任教记录。",
    "各工作表名称和第1行列名不得修改；不需要的工作表可以保留为空或删除。",
    "日期一律填写为 YYYY-MM-DD（如 2024-09-01），也可使用 Excel 日期格式。",
    "身份证号、手机号、证书编号和各类代码请按文本填写（模板中这些列已设为文本格式），以免末尾数字丢失。",
    "带下拉列表的列只能填写列表中的取值。",
    "文件整体导入：任何一行有错误，整个文件都不会导入，系统会列出所有错误（工作表、行号、列名、原因）。",
    "再次导入同一教师会更新原有记录，不会重复：教师按身份证号、证书按编号、考核按身份证号+年度、"
    "培训按身份证号+日期+项目名称、中止任教按身份证号+开始日期识别。文件中没有的已有记录不会被删除。",
)


def _describe(column: Column) -> str:
    parts = []
    if column.choices:
        parts.append("取值：" + "、".join(column.choices))
    if column.hint:
        parts.append(column.hint)
    return "；".join(parts)


def build_template() -> bytes:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name in SHEET_ORDER:
        sheet = SHEETS[name]
        ws = wb.create_sheet(name)
        ws.append(list(sheet.headers))
        ws.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            cell = ws.cell(row=1, column=index)
            cell.font = REQUIRED_FONT if column.required else HEADER_FONT
            cell.fill = HEADER_FILL
            description = _describe(column)
            if description or column.required:
                cell.comment = Comment(("必填。" if column.required else "") + description, "教资")
            ws.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
            if column.text:
                ws.column_dimensions[letter].number_format = "@"
            if column.choices:
                listing = DataValidation(
                    type="list",
                    formula1='"' + ",".join(column.choices) + '"',
                    allow_blank=not column.required,
                    showErrorMessage=True,
                    errorTitle="取值无效",
                    error="请从下拉列表中选择：" + "、".join(column.choices),
                )
                listing.add(f"{letter}2:{letter}{ROWS_WITH_LISTS}")
                ws.add_data_validation(listing)
    _instructions(wb.create_sheet(INSTRUCTIONS))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _instructions(ws: object) -> None:
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(ws, Worksheet)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 24
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append(["教师数据导入模板 填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    for note in GENERAL_NOTES:
        ws.append([note])
    for name in SHEET_ORDER:
        sheet = SHEETS[name]
        ws.append([])
        ws.append([f"工作表“{name}”", sheet.purpose, f"每行以“{sheet.key}”识别"])
        ws.cell(row=ws.max_row, column=1).font = HEADER_FONT
        ws.append(["列名", "是否必填", "取值或格式", "示例"])
        for cell in ws[ws.max_row]:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
        for column in sheet.columns:
            example = column.example or (next(iter(column.choices)) if column.choices else "")
            ws.append([column.header, "必填" if column.required else "", _describe(column), example])
            for cell in ws[ws.max_row]:
                cell.alignment = wrap
