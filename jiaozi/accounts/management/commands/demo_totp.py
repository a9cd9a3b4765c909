"""Print the current TOTP code of a demo persona (DEMO_MODE only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiaozi.accounts.models import User
from jiaozi.accounts.services import demo_totp_code
from jiaozi.core.errors import NotFound


class Command(BaseCommand):
    help = "显示演示账号当前的动态口令（仅 DEMO_MODE）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_totp 仅在演示环境（DEMO_MODE=1）可用。")
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("没有这个用户名。")
        try:
            self.stdout.write(demo_totp_code(user=user))
        except NotFound as exc:
            raise CommandError(exc.message) from None
