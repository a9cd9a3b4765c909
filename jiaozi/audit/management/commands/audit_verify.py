"""``manage.py audit_verify [--chain KEY]`` — check the audit log's hash chains.

Exit status 0 and a summary when every chain is intact; otherwise 1, naming the first
broken row (chain, seq, id, what is wrong) and the first problem of every other broken
chain. A missing or disabled append-only trigger is reported as a failure too."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from jiaozi.audit import guard
from jiaozi.audit.verify import CHUNK, verify


class Command(BaseCommand):
    help = "Verify the hash chains of the audit log (exit 1 on the first broken row)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", help="Verify only this chain (e.g. inst:12 or pub:03).")
        parser.add_argument("--chunk-size", type=int, default=CHUNK, help="Rows fetched per round trip.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify(chain=options["chain"], chunk_size=options["chunk_size"])
        missing = guard.missing_triggers(connection)
        if result.ok and not missing:
            self.stdout.write(
                self.style.SUCCESS(f"Audit log intact: {result.chains} chains, {result.rows} rows verified.")
            )
            return
        for name in missing:
            self.stderr.write(f"append-only trigger {name} is missing or disabled")
        for problem in result.problems:
            self.stderr.write(f"BROKEN {problem}")
        if result.problems:
            raise CommandError(
                f"Audit log broken: first broken row {result.problems[0]} "
                f"({len(result.problems)} broken of {result.chains} chains, {result.rows} rows read)."
            )
        raise CommandError(
            f"Audit log rows verify, but the append-only guard is incomplete: {', '.join(missing)}."
        )
