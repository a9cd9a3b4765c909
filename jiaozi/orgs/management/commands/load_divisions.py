"""Load a province's divisions and education bureaus (the same loader as the data
migration that loads Anhui)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jiaozi.orgs.divisions import DivisionDataError, load_province, province_config
from jiaozi.orgs.models import Division, Institution


class Command(BaseCommand):
    help = "Load a province's administrative divisions and one education bureau per division (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--province", help="key of jiaozi/orgs/data/provinces/<key>.json, e.g. anhui")
        group.add_argument("--config", help="path to a province configuration file (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = province_config(options["province"], path=options["config"])
            with transaction.atomic():
                result = load_province(division_model=Division, institution_model=Institution, config=config)
        except DivisionDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{config.name}（{config.code}）: {result}"))
