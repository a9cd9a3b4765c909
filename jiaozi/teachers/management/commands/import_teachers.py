"""``python manage.py import_teachers FILE`` — load the teacher template (§12).

FILE is an .xlsx workbook, a folder of CSV files named after the sheets (学校.csv …),
a .zip of such CSV files, or one such CSV file. The file loads whole or not at all:
on success the command prints the counts per sheet; otherwise it prints the error
report (sheet, row, column, value, reason; personal values masked), writes nothing
and exits with status 1. ``--errors report.xlsx`` (or .csv) also saves the report.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiaozi.teachers.importing.errors import report_csv, report_xlsx
from jiaozi.teachers.importing.loader import COUNT_KEYS, ImportResult
from jiaozi.teachers.services import teacher_import

LABELS = {"created": "新增", "updated": "更新", "unchanged": "未变"}


class Command(BaseCommand):
    help = "导入教师数据模板（.xlsx 工作簿或以工作表命名的 CSV 文件夹），整体导入或整体不导入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".xlsx 工作簿、CSV 文件夹、CSV 压缩包或单个 CSV 文件")
        parser.add_argument("--errors", metavar="REPORT", help="把错误报告另存为 .xlsx 或 .csv 文件")
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        started = time.perf_counter()
        last = [started]

        def progress(sheet: str, rows: int) -> None:
            now = time.perf_counter()
            if not options["quiet_progress"] and now - last[0] >= 5:
                self.stderr.write(f"  {sheet}：已处理 {rows:,} 行")
                last[0] = now

        result = teacher_import(actor=None, file=path, progress=progress)
        seconds = time.perf_counter() - started
        if options["errors"] and result.errors:
            target = Path(options["errors"])
            data = (
                report_xlsx(result.errors) if target.suffix.lower() == ".xlsx" else report_csv(result.errors)
            )
            target.write_bytes(data)
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"导入成功（{seconds:.1f} 秒）："))
            for key in COUNT_KEYS:
                counts = result.counts.get(key)
                if not counts or not (
                    counts["rows"] or counts["created"] or counts["updated"] or counts["unchanged"]
                ):
                    continue
                parts = "，".join(f"{LABELS[k]} {counts[k]:,}" for k in LABELS)
                self.stdout.write(f"  {key}：{parts}")
            self._warnings(result)
            return
        self.stderr.write(self.style.ERROR(f"校验未通过，未导入任何数据。共 {result.error_total:,} 处错误："))
        for e in result.errors:
            where = "，".join(
                part
                for part in (
                    e.sheet and f"工作表“{e.sheet}”",
                    e.row and f"第{e.row}行",
                    e.column and f"列“{e.column}”",
                )
                if part
            )
            value = f"（值：{e.value}）" if e.value else ""
            self.stderr.write(f"  {where or '文件'}：{e.reason}{value}")
        if result.truncated:
            self.stderr.write(f"  ……仅列出前 {len(result.errors):,} 处错误。")
        raise CommandError("导入未完成。", returncode=1)

    def _warnings(self, result: ImportResult) -> None:
        if not result.warnings:
            return
        self.stdout.write(self.style.WARNING(f"以下 {len(result.warnings):,} 行已导入，请核实："))
        for w in result.warnings:
            self.stdout.write(
                f"  工作表“{w.sheet}”，第{w.row}行，列“{w.column}”：{w.reason}（值：{w.value}）"
            )
