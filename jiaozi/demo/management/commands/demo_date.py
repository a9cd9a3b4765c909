"""Move the demo's date ("today" for every page, rule and window) while it runs, and
run the jobs that came due (a notice whose days are over closes). DEMO_MODE only;
audited as a change of the demo's date, so no record looks as if it was made at a time
it was not (docs/decisions/0261)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock, jobs


class Command(BaseCommand):
    help = "调整演示环境的“今天”（仅 DEMO_MODE），如 demo_date 2024-12-20；不带参数显示当前演示日期。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("date", nargs="?", help="新的演示日期 YYYY-MM-DD；reset 回到 JIAOZI_DEMO_DATE")
        parser.add_argument("--no-jobs", action="store_true", help="不运行到期的定期任务")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_date 仅在演示环境（DEMO_MODE=1）可用。")
        path_setting = getattr(settings, "JIAOZI_CLOCK_DATE_FILE", "")
        if not path_setting:
            raise CommandError("未设置 JIAOZI_CLOCK_DATE_FILE，演示日期不能在运行中调整。")
        path = Path(path_setting)
        before = clock.today()
        if not options["date"]:
            self.stdout.write(f"当前演示日期：{before.isoformat()}")
            return
        if options["date"] == "reset":
            path.unlink(missing_ok=True)
        else:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("日期格式应为 YYYY-MM-DD，例如 2024-12-20。") from None
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(day.isoformat() + "\n", encoding="utf-8")
        after = clock.today()
        with transaction.atomic():
            audit_record(
                kind=AuditKind.DEMO_DATE_MOVED,
                object_type="demo",
                object_id="date",
                details={"from": before.isoformat(), "to": after.isoformat()},
            )
        self.stdout.write(f"演示日期：{before.isoformat()} → {after.isoformat()}")
        if not options["no_jobs"]:
            for result in jobs.jobs_run():
                if result.ok and result.count:
                    self.stdout.write(f"  {result.name}：处理 {result.count} 项")
                elif not result.ok:
                    self.stderr.write(f"  {result.name}：失败（{result.error}）")
