"""Disable staff accounts unused for STAFF_INACTIVE_DISABLE_DAYS (SECURITY 5). Run it
daily (cron or Celery beat); each disabled account is audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from jiaozi.accounts.services import staff_disable_inactive


class Command(BaseCommand):
    help = "停用长期未登录的工作人员账号。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="未登录天数（默认 STAFF_INACTIVE_DISABLE_DAYS）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.STAFF_INACTIVE_DISABLE_DAYS
        disabled = staff_disable_inactive(days=days)
        self.stdout.write(f"已停用 {len(disabled)} 个超过 {days} 天未登录的工作人员账号。")
