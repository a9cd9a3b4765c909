"""``registration_precheck --date YYYY-MM-DD [--out FILE.csv]`` (PRODUCT.md §12).

One row per teacher certificate — a teacher holding none gets one row with an empty
number — with the header ``certificate_number,due,suggestion,reasons``; reasons are
the §4 codes joined by ``;``, the due codes first. Rows come in teacher order (the
order of the import), then by certificate number. Without ``--out`` the CSV goes to
standard output and nothing else does."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiaozi.registration.precheck.selectors import precheck_context, precheck_stream

HEADER = ("certificate_number", "due", "suggestion", "reasons")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: str) -> dt.date:
    try:
        # Python's fromisoformat also takes "20241231" and "2024-W01-1": insist on the form.
        if not _DATE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Pre-check every teacher certificate for periodic registration on a registration "
        "date: due, suggested conclusion and reasons (CSV)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", required=True, help="the registration date R (定期注册日期), YYYY-MM-DD"
        )
        parser.add_argument("--out", help="write the CSV to this file instead of standard output")
        parser.add_argument(
            "--training-hours",
            help=(
                "training hours required in the cycle; default: the setting of the campaign whose "
                "registration date is --date, else 360"
            ),
        )
        parser.add_argument("--chunk-size", type=int, default=5000, help="teachers per batch of queries")

    def handle(self, *args: Any, **options: Any) -> None:
        registration_date = _date(options["date"])
        hours: Decimal | None = None
        if options["training_hours"] is not None:
            try:
                hours = Decimal(options["training_hours"])
            except InvalidOperation:
                raise CommandError("--training-hours must be a number.") from None
            if not hours.is_finite() or hours <= 0:
                raise CommandError("--training-hours must be a positive number.")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        ctx = precheck_context(registration_date=registration_date, training_hours_required=hours)

        started = time.perf_counter()
        out_path = options["out"]
        if out_path:
            try:
                handle = open(out_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(f"Cannot write {out_path}: {exc.strerror}.") from None
            with handle:
                rows, teachers = self._write(handle, ctx, options["chunk_size"])
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"{rows} rows for {teachers} teachers written to {out_path} in {elapsed:.1f} s "
                f"(R = {registration_date.isoformat()}, training hours {ctx.training_hours_required})."
            )
        else:
            rows, teachers = self._write(self.stdout, ctx, options["chunk_size"])
            if options["verbosity"] >= 2:
                elapsed = time.perf_counter() - started
                sys.stderr.write(f"{rows} rows for {teachers} teachers in {elapsed:.1f} s.\n")

    def _write(self, target: Any, ctx: Any, chunk_size: int) -> tuple[int, int]:
        """Write the CSV to ``target`` a chunk at a time; returns (rows, teachers)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HEADER)
        rows = teachers = 0
        last_teacher = None
        for row in precheck_stream(ctx=ctx, chunk_size=chunk_size):
            result = row.result
            writer.writerow((row.certificate_number, result.due, result.suggestion, ";".join(result.reasons)))
            rows += 1
            if row.teacher_id != last_teacher:
                teachers += 1
                last_teacher = row.teacher_id
            if rows % chunk_size == 0:
                target.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
        # Never an empty write: Django's stdout wrapper would turn it into a blank line.
        if tail := buffer.getvalue():
            target.write(tail)
        return rows, teachers
