"""``statistics_refresh [--province 340000] [--all]``: recompute the statistics summary
of every active campaign and certification batch (``--all``: every one, active or not),
as the periodic job does (docs/decisions/0243)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiaozi.oversight.stats import statistics_refresh_all


class Command(BaseCommand):
    help = "Recompute the statistics summary (oversight:statistics) of the active campaigns and batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--province", default="", help="GB/T 2260 province code, e.g. 340000")
        parser.add_argument("--all", action="store_true", help="also campaigns and batches no longer active")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        done = statistics_refresh_all(
            province_code=options["province"] or None, active_only=not options["all"]
        )
        self.stdout.write(f"refreshed {done} campaign(s)/batch(es) in {time.perf_counter() - started:.1f} s")
