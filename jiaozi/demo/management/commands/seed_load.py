"""``manage.py seed_load`` — a deadline day's data for ``make load`` on a scratch
database (jiaozi/demo/load.py; refuses any other database)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiaozi.demo.load import NotAScratchDatabase, seed_deadline_day


class Command(BaseCommand):
    help = "Seed a deadline day for the load test (scratch databases only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--teachers", type=int, default=3000)
        parser.add_argument("--drafts", type=int, default=1500, help="applications left to submit")
        parser.add_argument("--reviewers", type=int, default=20)
        parser.add_argument("--signed-in", type=int, default=0, help="sessions started for the first drafts")
        parser.add_argument("--out", default="var/cluster/load-accounts.json")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            counts = seed_deadline_day(
                teachers=options["teachers"],
                drafts=options["drafts"],
                reviewers=options["reviewers"],
                signed_in=options["signed_in"],
                out=Path(options["out"]),
            )
        except NotAScratchDatabase as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"seed_load: {counts} in {time.monotonic() - started:.1f} s → {options['out']}")
