"""The §6 requirement check of a list (``manage.py certification_precheck``): a CSV
(UTF-8 or GB18030) or .xlsx file, one applicant per row under the Chinese headers of §6,
checked by the same pure function as the online application.

A bad cell (an invalid resident ID, a value outside the vocabulary, a malformed date, a
division that cannot certify the type) makes the file bad: every bad cell is reported
with its row (as the spreadsheet numbers it) and column, and no result is given.
Reading goes through the teacher import's sources, with their decompression caps
(docs/decisions/0163)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jiaozi.certificates.models import QualificationType
from jiaozi.core import idcard
from jiaozi.teachers.importing import limits
from jiaozi.teachers.importing.sources import UnreadableFile, open_source

from . import rules
from .choices import Education, Health, Mandarin, Sanction, Title

REF = "申请编号"
RESIDENT_ID = "身份证号"
TYPE = "资格种类"
SUBJECT = "任教学科"
EDUCATION = "学历"
PRESCHOOL = "学前教育专业"
TITLE = "专业技术职务或职业资格"
MANDARIN = "普通话等级"
NTCE_TYPE = "考试合格证明种类"
NTCE_DATE = "考试合格证明日期"
HEALTH = "体检结论"
COMMITMENT = "个人承诺"
APPLIED = "本年度已有申请"
SANCTION = "资格处分"
SANCTION_DATE = "处分日期"
DIVISION = "认定机构所在地代码"

HEADERS: tuple[str, ...] = (
    REF,
    RESIDENT_ID,
    TYPE,
    SUBJECT,
    EDUCATION,
    PRESCHOOL,
    TITLE,
    MANDARIN,
    NTCE_TYPE,
    NTCE_DATE,
    HEALTH,
    COMMITMENT,
    APPLIED,
    SANCTION,
    SANCTION_DATE,
    DIVISION,
)
OUT_HEADER = ("application_ref", "eligible", "authority_level", "reasons")
MAX_ERRORS = 200


def _by_label(choices: Any) -> dict[str, str]:
    return {str(label): value for value, label in choices.choices}


TYPES = _by_label(QualificationType)
EDUCATIONS = _by_label(Education)
TITLES = _by_label(Title)
MANDARINS = _by_label(Mandarin)
HEALTHS = {"": "", **_by_label(Health)}
SANCTIONS = {"": "", **_by_label(Sanction)}
YES_NO = {"是": True, "否": False, "": False}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_DIVISION = re.compile(r"^\d{6}$")


class BadFile(Exception):
    """The file cannot be read at all (not CSV/xlsx, headers missing, too large)."""


@dataclass(frozen=True, slots=True)
class BadCell:
    row: int
    column: str
    value: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.problem} ({self.value!r})"


@dataclass(frozen=True, slots=True)
class Result:
    ref: str
    eligible: bool
    authority_level: str
    reasons: tuple[str, ...]

    def cells(self) -> tuple[str, str, str, str]:
        return (self.ref, "yes" if self.eligible else "no", self.authority_level, ";".join(self.reasons))


@dataclass
class Outcome:
    results: list[Result] = field(default_factory=list)
    errors: list[BadCell] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE.match(_text(value))
    if not match:
        raise ValueError
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


class _Row:
    """One row's cells by header, collecting its bad cells."""

    def __init__(self, number: int, cells: Mapping[str, object], errors: list[BadCell]) -> None:
        self.number, self.cells, self.errors = number, cells, errors

    def bad(self, column: str, problem: str) -> None:
        self.errors.append(BadCell(self.number, column, _text(self.cells.get(column)), problem))

    def text(self, column: str) -> str:
        return _text(self.cells.get(column))

    def pick(self, column: str, vocabulary: Mapping[str, Any], problem: str = "unknown value") -> Any:
        value = self.text(column)
        if value not in vocabulary:
            self.bad(column, problem)
            return None
        return vocabulary[value]

    def date(self, column: str, *, required: bool) -> dt.date | None:
        raw = self.cells.get(column)
        if raw is None or _text(raw) == "":
            if required:
                self.bad(column, "date required")
            return None
        try:
            return _date(raw)
        except ValueError:
            self.bad(column, "not a date (YYYY-MM-DD)")
            return None


def _check_row(row: _Row, on: dt.date, divisions: Mapping[str, tuple[str, bool]]) -> Result | None:
    before = len(row.errors)
    ref = row.text(REF)
    if not ref:
        row.bad(REF, "application number required")
    resident_id = row.text(RESIDENT_ID).upper()
    if idcard.error_message(resident_id):
        row.bad(RESIDENT_ID, "invalid resident ID (GB 11643)")
    qtype = row.pick(TYPE, TYPES)
    subject = row.text(SUBJECT)
    if not subject:
        row.bad(SUBJECT, "subject required")
    education = row.pick(EDUCATION, EDUCATIONS)
    preschool = row.pick(PRESCHOOL, YES_NO, "yes/no (是/否) expected")
    title = row.pick(TITLE, {"": "", **TITLES})
    mandarin = row.pick(MANDARIN, MANDARINS)
    ntce_type = row.pick(NTCE_TYPE, {"": "", **TYPES})
    ntce_date = row.date(NTCE_DATE, required=bool(ntce_type))
    health = row.pick(HEALTH, HEALTHS)
    commitment = row.pick(COMMITMENT, YES_NO, "yes/no (是/否) expected")
    applied = row.pick(APPLIED, YES_NO, "yes/no (是/否) expected")
    sanction = row.pick(SANCTION, SANCTIONS)
    sanction_date = row.date(SANCTION_DATE, required=sanction in (Sanction.REVOKED, Sanction.EXAM_BAN))
    division = row.text(DIVISION)
    where = divisions.get(division) if _DIVISION.match(division) else None
    if where is None:
        row.bad(DIVISION, "unknown division code (GB/T 2260)")
    elif qtype is not None and not rules.authority_may_certify(
        qtype, division_level=where[0], province_direct=where[1]
    ):
        row.bad(DIVISION, "an authority of this division does not certify this type")
    if len(row.errors) > before:
        return None
    facts = rules.Facts(
        qualification_type=qtype,
        subject=subject,
        education=education,
        birth_date=idcard.birth_date_of(resident_id),
        sex="1" if idcard.sex_of(resident_id) == "male" else "2",
        mandarin=mandarin,
        preschool_major=preschool,
        title=title,
        ntce_type=ntce_type,
        ntce_date=ntce_date,
        health=health,
        commitment=commitment,
        already_applied=applied,
        sanction=sanction,
        sanction_date=sanction_date,
    )
    reasons = tuple(rules.requirements_unmet(facts, on=on))
    return Result(ref, not reasons, rules.authority_level(qtype), reasons)


def _rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    try:
        source = open_source(path)
    except (UnreadableFile, limits.InflatedTooLarge) as exc:
        raise BadFile(str(exc)) from None
    try:
        names = source.sheet_names
        if not names:
            raise BadFile("the workbook has no sheet")
        yield from source.rows(names[0])
    except limits.InflatedTooLarge as exc:
        raise BadFile(str(exc)) from None
    finally:
        source.close()


def precheck(path: Path, *, on: dt.date, divisions: Mapping[str, tuple[str, bool]]) -> Outcome:
    """Check every row of ``path`` on ``on``. ``divisions``: GB/T 2260 code → (level,
    province-direct). The outcome holds the results only when no cell was bad."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise BadFile(f"{path.name}: a .csv or .xlsx file is expected")
    outcome = Outcome()
    rows = _rows(path)
    header = next(rows, None)
    if header is None:
        raise BadFile("the file is empty")
    names = [_text(v) for v in header[1]]
    missing = [h for h in HEADERS if h not in names]
    if missing:
        raise BadFile(f"row {header[0]}: missing column(s) {', '.join(missing)}")
    index = {h: names.index(h) for h in HEADERS}
    for number, values in rows:
        outcome.rows += 1
        cells = {h: (values[i] if i < len(values) else None) for h, i in index.items()}
        result = _check_row(_Row(number, cells, outcome.errors), on, divisions)
        if result is not None and not outcome.errors:
            outcome.results.append(result)
        if len(outcome.errors) >= MAX_ERRORS:
            break
    if outcome.errors:
        outcome.results.clear()
    return outcome


def divisions_map() -> dict[str, tuple[str, bool]]:
    from jiaozi.orgs.models import Division

    return {
        code: (level, direct)
        for code, level, direct in Division.objects.values_list("code", "level", "is_province_direct")
    }
