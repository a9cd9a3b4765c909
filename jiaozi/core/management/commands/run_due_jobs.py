"""Run the periodic jobs (jiaozi.core.jobs) once: cron calls this every few minutes
where Celery beat is not used. Each job runs on its own; the command exits non-zero
when any of them failed, after running the rest."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiaozi.core import jobs


class Command(BaseCommand):
    help = "运行全部定期任务（公示期满处理、通知重投、停用长期未登录账号、清理幂等记录）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--job", action="append", dest="names", metavar="NAME", help="只运行指定的任务（可重复）"
        )
        parser.add_argument("--list", action="store_true", help="列出已登记的任务，不运行")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in jobs.registered_jobs():
                self.stdout.write(f"{job.name}\t{job.every}\t{job.description}")
            return
        try:
            results = jobs.jobs_run(names=options["names"])
        except jobs.UnknownJob as exc:
            raise CommandError(f"未登记的任务：{exc.args[0]}") from None
        failed = [r for r in results if not r.ok]
        for r in results:
            if r.ok:
                count = "" if r.count is None else f"，处理 {r.count} 项"
                self.stdout.write(f"{r.name}：完成{count}（{r.seconds:.2f} 秒）")
            else:
                self.stderr.write(f"{r.name}：失败（{r.error}），详见日志")
        if failed:
            raise CommandError(f"{len(failed)} 项任务失败：{', '.join(r.name for r in failed)}")
