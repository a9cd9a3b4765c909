"""``certification_precheck FILE --date YYYY-MM-DD --out OUT.csv`` (PRODUCT §6).

FILE is CSV (UTF-8 or GB18030) or .xlsx, one applicant per row under the Chinese
headers of §6. OUT gets ``application_ref,eligible,authority_level,reasons`` (reasons
``;``-separated, empty when eligible). A bad file is refused whole: every bad cell is
named by row and column on standard error, the command fails and OUT is not written
(nor left half-written: it is written to a temporary file and moved into place)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiaozi.certification.precheck import OUT_HEADER, BadFile, divisions_map, precheck
from jiaozi.core.spreadsheet import safe_row

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: str) -> dt.date:
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Check a list of certification applicants against the §6 requirements on a date (CSV out)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (UTF-8 or GB18030) or .xlsx with the §6 headers")
        parser.add_argument(
            "--date", required=True, help="the date the requirements are checked on, YYYY-MM-DD"
        )
        parser.add_argument("--out", required=True, help="the CSV to write")

    def handle(self, *args: Any, **options: Any) -> None:
        on = _date(options["date"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        out = Path(options["out"])
        started = time.perf_counter()
        try:
            outcome = precheck(path, on=on, divisions=divisions_map())
        except BadFile as exc:
            raise CommandError(f"{path.name}: {exc}. Nothing was written.") from None
        if not outcome.ok:
            for error in outcome.errors:
                self.stderr.write(str(error))
            more = " (the first ones)" if len(outcome.errors) >= 200 else ""
            raise CommandError(
                f"{path.name}: {len(outcome.errors)} bad cell(s){more}; the file is refused and nothing was written."
            )
        directory = out.parent if str(out.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=".precheck-", suffix=".csv", dir=directory)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(OUT_HEADER)
                writer.writerows(safe_row(r.cells()) for r in outcome.results)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        eligible = sum(1 for r in outcome.results if r.eligible)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{len(outcome.results)} rows checked on {on.isoformat()}: {eligible} eligible, "
            f"{len(outcome.results) - eligible} not; written to {out} in {elapsed:.1f} s."
        )
