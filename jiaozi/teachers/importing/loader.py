"""The import of the teacher template (§12): validate every cell, load whole or not at all.

One pass over the sheets in dependency order (学校 → 教师 → 年度考核, 师德考核, 培训学时,
中止任教), streaming: rows are validated as they are read and written in batches inside
one transaction. Errors are collected, never raised; once the first error is seen no
more batches are written (the transaction will be rolled back anyway) but validation
goes on, so the report lists every bad row. Per batch the database is asked set-based
questions (which of these IDs, codes, numbers exist already?), so a 100,000-teacher
file costs a few hundred queries, not millions.

Keys for re-import (never duplicate): schools by code, teachers by resident ID (blind
index), certificates by number, appraisals by (teacher, year), training by (teacher,
date, programme), breaks by (teacher, start). A row whose values equal the stored ones
counts as unchanged and is not written.

Jurisdiction: with a ``scope_path`` (the importing user's institution path) every
school created, updated or referred to, and every existing teacher touched, must lie
inside it; rows that reach outside are row errors. ``scope_path=None`` is the operator
at the command line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.certificates.models import Certificate, Conclusion
from jiaozi.certificates.stages import type_fits_stage
from jiaozi.core import clock, crypto, idcard
from jiaozi.orgs.models import Division, Institution, Level
from jiaozi.teachers import bulk

from ..models import (
    EmploymentType,
    Health,
    Teacher,
    TeachingBreak,
    TrainingRecord,
)
from ..signals import records_changed_on_commit
from . import orgs_bridge, values
from .columns import (
    ANNUAL,
    APPROVED,
    BREAKS,
    CERTIFICATE_STATUS,
    CONCLUSION,
    EMPLOYMENT_TYPE,
    ETHICS,
    ETHICS_RESULT,
    GRADE,
    H_APPROVED,
    H_CERT_NUMBER,
    H_CERT_STATUS,
    H_CONCLUSION,
    H_COUNTY,
    H_DATE,
    H_EMPLOYMENT,
    H_END,
    H_GRADE,
    H_HEALTH,
    H_HOURS,
    H_ID,
    H_NAME,
    H_OWNERSHIP,
    H_PHONE,
    H_POST,
    H_PROBATION,
    H_PROGRAMME,
    H_QUALIFICATION,
    H_REASON,
    H_RESULT,
    H_REVIEWER,
    H_SCHOOL_CODE,
    H_SCHOOL_NAME,
    H_SEX,
    H_STAGE,
    H_START,
    H_SUBJECT,
    H_VALID_FROM,
    H_VALID_TO,
    H_YEAR,
    HEALTH,
    INSTRUCTIONS,
    OWNERSHIP,
    POST_TYPE,
    QUALIFICATION_TYPE,
    SCHOOLS,
    SEX,
    SHEET_ORDER,
    SHEETS,
    STAGE,
    TEACHERS,
    TRAINING,
)
from .errors import ErrorLog, RowError
from .sources import Source
from .values import REQUIRED, CellError

CERTIFICATES = "证书"
COUNT_KEYS: tuple[str, ...] = (SCHOOLS, TEACHERS, CERTIFICATES, ANNUAL, ETHICS, TRAINING, BREAKS)

# Markers in the resident ID → teacher id map.
PENDING = 0  # in this file, not (yet) written: known, so its other rows are not errors
MISSING = -1  # neither in the file nor, within the jurisdiction, in the database

NOT_FOUND_TEACHER = gettext_lazy("该身份证号既不在本文件的“教师”工作表中，也不是您管辖范围内已登记的教师")
TEACHER_OUT_OF_SCOPE = gettext_lazy(
    "该教师已登记在您管辖范围以外的学校，不能通过导入修改，请联系其所在学校或上级教育行政部门"
)

if TYPE_CHECKING:
    from jiaozi.accounts.models import User
SCHOOL_NOT_FOUND = gettext_lazy("学校代码既不在本文件的“学校”工作表中，也不是系统中已登记的学校")
SCHOOL_OUT_OF_SCOPE = gettext_lazy("该学校不在您的管辖范围内")


class Bad:
    """A cell that failed parsing, cached like a good value."""

    __slots__ = ("reason",)

    def __init__(self, reason: str | Promise) -> None:
        self.reason = str(reason)


class Memo(dict[Any, Any]):
    """``memo[value]`` is ``parse(value)``, computed once per distinct cell value;
    failures are cached as ``Bad``. A dict subclass, so a hit costs one C-level lookup."""

    __slots__ = ("parse",)

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, value: Any) -> Any:
        try:
            result = self.parse(value)
        except CellError as exc:
            result = Bad(exc.reason)
        self[value] = result
        return result


def _plain(parse: Callable[[Any], Any], value: Any) -> Any:
    try:
        return parse(value)
    except CellError as exc:
        return Bad(exc.reason)


@dataclass
class Counts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


@dataclass
class ImportResult:
    ok: bool
    counts: dict[str, dict[str, int]]
    errors: list[RowError]
    error_total: int
    truncated: bool
    reader: str = ""
    # Loaded, but worth a second look (the certificate type against the school's stage).
    warnings: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts,
            "errors": [e.as_dict() for e in self.errors],
            "error_total": self.error_total,
            "truncated": self.truncated,
            "reader": self.reader,
            "warnings": [w.as_dict() for w in self.warnings],
        }


class _Rollback(Exception):
    pass


def _blank(cells: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


@dataclass
class _Layout:
    """Where the template's columns sit in a sheet as the user laid it out."""

    rows: Iterator[tuple[int, list[Any]]]
    pick: Callable[[Sequence[Any]], tuple[Any, ...]]
    width: int
    in_order: bool = False

    def __iter__(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, cells in the template's column order), blank rows left out."""
        pick, width = self.pick, self.width
        pad = [None] * width
        for number, cells in self.rows:
            if len(cells) < width:
                cells = [*cells, *pad[len(cells) :]]
            picked = pick(cells)
            if (picked[0] is None or picked[0] == "") and _blank(picked):
                continue
            yield number, picked


@dataclass(slots=True)
class _School:
    row: int
    code: str
    name: str
    county: str
    ownership: str
    stage: str
    reviewer: str
    raw_county: object
    raw_reviewer: object


@dataclass(slots=True)
class _Cert:
    number: str
    qualification_type: str
    subject: str
    status: str
    last_conclusion: str
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(slots=True)
class _Teacher:
    row: int
    rid: str
    name: str
    sex: str
    phone: str
    school_code: str
    post_type: str
    employment_type: str
    health: str
    probation: dt.date | None
    cert: _Cert | None


@dataclass(frozen=True)
class _ChildSpec:
    sheet: str
    table: bulk.FactTable
    duplicate: str | Promise

    @property
    def model(self) -> type[Any]:
        return self.table.model

    @property
    def key_fields(self) -> tuple[str, ...]:
        return self.table.key

    @property
    def value_fields(self) -> tuple[str, ...]:
        return self.table.values


_CHILDREN = {
    ANNUAL: _ChildSpec(ANNUAL, bulk.ANNUAL_APPRAISALS, gettext_lazy("同一身份证号和年度")),
    ETHICS: _ChildSpec(ETHICS, bulk.ETHICS_APPRAISALS, gettext_lazy("同一身份证号和年度")),
    TRAINING: _ChildSpec(TRAINING, bulk.TRAINING_RECORDS, gettext_lazy("同一身份证号、日期和项目名称")),
    BREAKS: _ChildSpec(BREAKS, bulk.TEACHING_BREAKS, gettext_lazy("同一身份证号和开始日期")),
}


@dataclass
class Importer:
    actor: User | None = None
    scope_path: str | None = None
    error_limit: int = 10_000
    batch_size: int = 5_000
    progress: Callable[[str, int], None] | None = None
    today: dt.date = field(default_factory=clock.today)

    def __post_init__(self) -> None:
        self.errors = ErrorLog(self.error_limit)
        self.warnings = ErrorLog(self.error_limit)
        # school code → (办学性质, 学段), of the file's 学校 rows or the database.
        self.school_facts: dict[str, tuple[str, str]] = {}
        self.counts = {key: Counts() for key in COUNT_KEYS}
        # school code → (id, path); (PENDING, "") for schools of this file not written.
        self.schools: dict[str, tuple[int, str]] = {}
        self.school_rows: set[str] = set()
        self.schools_unreadable = False
        self.teacher_ids: dict[str, int] = {}
        # Raw ID cell → normalised ID or Bad, shared by every sheet: an ID is checked once.
        self.rid_memo = Memo(values.resident_id)
        self._adapter_cache: dict[str, list[tuple[int, bulk.Adapter]]] = {}
        self.teachers_unreadable = False
        self.preexisting: set[int] = set()
        self.now = clock.now()
        rid_field = Teacher._meta.get_field("resident_id_bidx")
        phone_field = Teacher._meta.get_field("phone_bidx")
        self._rid_context: str = rid_field.context  # type: ignore[attr-defined]
        self._phone_context: str = phone_field.context  # type: ignore[attr-defined]

    # --- entry point --------------------------------------------------------------
    def run(
        self, source: Source, *, on_success: Callable[[ImportResult], None] | None = None
    ) -> ImportResult:
        names = source.sheet_names
        for name in names:
            if name not in SHEETS and name != INSTRUCTIONS:
                self.errors.add(
                    name,
                    None,
                    "",
                    "",
                    _("无法识别的工作表名称，应为：%(sheets)s") % {"sheets": "、".join(SHEET_ORDER)},
                )
        if not any(name in SHEETS for name in names):
            self.errors.add(
                "",
                None,
                "",
                "",
                _("文件中没有可导入的工作表（%(sheets)s）") % {"sheets": "、".join(SHEET_ORDER)},
            )
        handlers: dict[str, Callable[[_Layout], None]] = {
            SCHOOLS: self._schools,
            TEACHERS: self._teachers,
            ANNUAL: lambda rows: self._children(_CHILDREN[ANNUAL], rows, self._parse_annual),
            ETHICS: lambda rows: self._children(_CHILDREN[ETHICS], rows, self._parse_ethics),
            TRAINING: lambda rows: self._children(_CHILDREN[TRAINING], rows, self._parse_training),
            BREAKS: lambda rows: self._children(_CHILDREN[BREAKS], rows, self._parse_break),
        }
        result: ImportResult | None = None
        try:
            with transaction.atomic(), bulk.large_transaction():
                for name in SHEET_ORDER:
                    if name not in names or self.errors.full:
                        continue
                    rows = self._sheet_rows(source, name)
                    if rows is None:
                        continue
                    handlers[name](rows)
                    self._report(name, self.counts[name].rows)
                if not self.errors and not any(c.rows for c in self.counts.values()):
                    self._error(
                        "", None, "", "", _("文件中没有可导入的数据行（第1行为表头，数据从第2行开始）")
                    )
                result = self._result(source)
                if not result.ok:
                    raise _Rollback
                if on_success is not None:
                    on_success(result)
                # Applications under review of teachers already in the database recompute
                # their suggestion once this commits (registration listens).
                records_changed_on_commit(self.preexisting)
        except _Rollback:
            pass
        assert result is not None
        return result

    def _result(self, source: Source) -> ImportResult:
        ok = not self.errors
        counts = {key: c.as_dict() for key, c in self.counts.items()}
        if not ok:
            # Rolled back: only what was read is true.
            counts = {key: {**c, "created": 0, "updated": 0, "unchanged": 0} for key, c in counts.items()}
        return ImportResult(
            ok=ok,
            counts=counts,
            errors=list(self.errors.items),
            error_total=self.errors.total,
            truncated=self.errors.truncated,
            reader=source.label,
            warnings=list(self.warnings.items),
        )

    def _report(self, sheet: str, rows: int) -> None:
        if self.progress is not None:
            self.progress(sheet, rows)

    def _in_scope(self, path: str) -> bool:
        return self.scope_path is None or path.startswith(self.scope_path)

    @property
    def writing(self) -> bool:
        return not self.errors

    def _error(self, sheet: str, row: int | None, column: str, value: object, reason: str | Promise) -> None:
        self.errors.add(sheet, row, column, value, reason)

    # --- headers ------------------------------------------------------------------
    def _unreadable(self, name: str) -> None:
        """The sheet's header is broken (already reported): rows of later sheets that
        refer to it are not reported again as unknown codes or IDs."""
        if name == SCHOOLS:
            self.schools_unreadable = True
        elif name == TEACHERS:
            self.teachers_unreadable = True

    def _sheet_rows(self, source: Source, name: str) -> _Layout | None:
        """The rows of ``name`` after its header, or None when the sheet is empty or its
        header is unusable (the header errors are recorded)."""
        sheet = SHEETS[name]
        rows = iter(source.rows(name))
        first = next(rows, None)
        if first is None:
            return None
        row_no, header_cells = first
        if row_no != 1:
            self._error(name, row_no, "", "", _("第1行应为表头（列名），表头前不能有空行"))
            self._unreadable(name)
            return None
        positions: dict[str, int] = {}
        broken = False
        for index, cell in enumerate(header_cells):
            header = values.text(cell)
            if not header:
                continue
            if header in positions:
                self._error(name, 1, header, header, _("列名重复"))
                broken = True
            positions.setdefault(header, index)
        for header in sheet.headers:
            if header not in positions:
                self._error(
                    name, 1, header, "", _("缺少列“%(header)s”（列名须与模板完全一致）") % {"header": header}
                )
                broken = True
        if broken:
            self._unreadable(name)
            return None
        indexes = [positions[h] for h in sheet.headers]
        return _Layout(rows, itemgetter(*indexes), max(indexes) + 1, indexes == list(range(len(indexes))))

    # --- 学校 ------------------------------------------------------------------------
    def _schools(self, rows: _Layout) -> None:
        counts = self.counts[SCHOOLS]
        parsed: list[_School] = []
        seen: dict[str, int] = {}
        for row_no, cells in rows:
            counts.rows += 1
            raw_code, raw_name, raw_county, raw_ownership, raw_stage, raw_reviewer = cells
            ok = True
            code = _plain(values.code, raw_code)
            name = _plain(lambda v: values.text(v, max_length=128), raw_name)
            county = _plain(values.code, raw_county)
            ownership = _plain(lambda v: values.choice(v, OWNERSHIP, required=True), raw_ownership)
            stage = _plain(lambda v: values.choice(v, STAGE, required=True), raw_stage)
            reviewer = _plain(lambda v: values.code(v, required=False), raw_reviewer)
            if isinstance(name, str) and not name:
                name = Bad(REQUIRED)
            for header, raw, value in (
                (H_SCHOOL_CODE, raw_code, code),
                (H_SCHOOL_NAME, raw_name, name),
                (H_COUNTY, raw_county, county),
                (H_OWNERSHIP, raw_ownership, ownership),
                (H_STAGE, raw_stage, stage),
                (H_REVIEWER, raw_reviewer, reviewer),
            ):
                if isinstance(value, Bad):
                    self._error(SCHOOLS, row_no, header, raw, value.reason)
                    ok = False
            if isinstance(code, str):
                self.school_rows.add(code)
                if code in seen:
                    self._error(
                        SCHOOLS,
                        row_no,
                        H_SCHOOL_CODE,
                        raw_code,
                        _("与第%(row)s行重复（同一学校代码）") % {"row": seen[code]},
                    )
                    ok = False
                else:
                    seen[code] = row_no
            if ok:
                parsed.append(
                    _School(row_no, code, name, county, ownership, stage, reviewer, raw_county, raw_reviewer)
                )
        if parsed:
            self._resolve_and_write_schools(parsed)

    def _resolve_and_write_schools(self, parsed: list[_School]) -> None:
        counts = self.counts[SCHOOLS]
        divisions: dict[str, tuple[str, str | None]] = {
            code: (level, parent)
            for code, level, parent in Division.objects.values_list("code", "level", "parent_id")
        }
        wanted = {s.code for s in parsed} | {s.reviewer or s.county for s in parsed}
        institutions = {
            inst.code: inst for inst in Institution.objects.filter(code__in=wanted).select_related("parent")
        }
        creates: list[tuple[_School, Institution]] = []
        updates: list[tuple[_School, Institution, Institution]] = []
        for s in parsed:
            # The file's values are what the school will be once the file is loaded.
            self.school_facts[s.code] = (s.ownership, s.stage)
            division = divisions.get(s.county)
            if division is None or division[0] != Level.COUNTY:
                self._error(
                    SCHOOLS, s.row, H_COUNTY, s.raw_county, _("不是有效的区县级行政区划代码（GB/T 2260）")
                )
                continue
            existing = institutions.get(s.code)
            if existing is not None:
                if existing.kind != Institution.Kind.SCHOOL:
                    self._error(SCHOOLS, s.row, H_SCHOOL_CODE, s.code, _("该代码已被其他机构（非学校）使用"))
                    continue
                if not self._in_scope(existing.path):
                    self._error(SCHOOLS, s.row, H_SCHOOL_CODE, s.code, SCHOOL_OUT_OF_SCOPE)
                    continue
            reviewer = self._school_reviewer(s, existing, institutions, divisions)
            if reviewer is None:
                continue
            if existing is not None and not orgs_bridge.school_changes(
                existing,
                parent=reviewer,
                name=s.name,
                division_id=s.county,
                ownership=s.ownership,
                stage=s.stage,
            ):
                counts.unchanged += 1
                self.schools[s.code] = (existing.pk, existing.path)
                continue
            if not self._in_scope(reviewer.path):
                self._error(
                    SCHOOLS,
                    s.row,
                    H_REVIEWER,
                    reviewer.code,
                    _("审核机构不在您的管辖范围内，不能在其下新增或调整学校"),
                )
                continue
            if not orgs_bridge.may_change_schools(actor=self.actor, reviewer=reviewer):
                self._error(
                    SCHOOLS,
                    s.row,
                    H_SCHOOL_CODE,
                    s.code,
                    _("只有机构管理员可以通过导入新增学校或修改学校信息"),
                )
                continue
            if existing is None:
                creates.append((s, reviewer))
            else:
                updates.append((s, existing, reviewer))
        if not self.writing:
            for s in parsed:
                self.schools.setdefault(s.code, (PENDING, ""))
            return
        division_objects = orgs_bridge.divisions_with_ancestors({s.county for s, _r in creates})
        for s, reviewer in creates:
            school = orgs_bridge.school_create(
                actor=self.actor,
                parent=reviewer,
                code=s.code,
                name=s.name,
                division=division_objects[s.county],
                ownership=s.ownership,
                stage=s.stage,
            )
            self.schools[s.code] = (school.pk, school.path)
            counts.created += 1
        for s, school, reviewer in updates:
            _school_update(actor=self.actor, school=school, row=s, reviewer=reviewer)
            self.schools[s.code] = (school.pk, school.path)
            counts.updated += 1

    def _school_reviewer(
        self,
        s: _School,
        existing: Institution | None,
        institutions: dict[str, Institution],
        divisions: dict[str, tuple[str, str | None]],
    ) -> Institution | None:
        """The institution that reviews the school: the code given, else (for a new
        school) the county's bureau, else (for a known school) the one it has."""
        if not s.reviewer:
            if existing is not None and existing.parent is not None:
                return existing.parent
            reviewer = institutions.get(s.county)
            if reviewer is None or reviewer.kind != Institution.Kind.BUREAU:
                self._error(
                    SCHOOLS,
                    s.row,
                    H_REVIEWER,
                    "",
                    _("未找到区县%(county)s的教育行政部门，请填写审核机构代码") % {"county": s.county},
                )
                return None
            return reviewer
        reviewer = institutions.get(s.reviewer)
        if reviewer is None or not reviewer.is_active:
            self._error(SCHOOLS, s.row, H_REVIEWER, s.raw_reviewer, _("审核机构代码不存在"))
            return None
        if reviewer.kind not in (Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT):
            self._error(SCHOOLS, s.row, H_REVIEWER, s.raw_reviewer, _("审核机构应为教育行政部门或主管部门"))
            return None
        if reviewer.division_id not in _ancestors(s.county, divisions):
            self._error(
                SCHOOLS,
                s.row,
                H_REVIEWER,
                s.raw_reviewer,
                _("审核机构应为学校所在区县或其上级行政区划的教育行政部门或主管部门"),
            )
            return None
        return reviewer

    def _resolve_schools(self, codes: set[str]) -> None:
        unknown = [c for c in codes if c not in self.schools]
        if not unknown:
            return
        found = dict.fromkeys(unknown, (MISSING, ""))
        for pk, code, path, ownership, stage in Institution.objects.filter(
            code__in=unknown, kind=Institution.Kind.SCHOOL
        ).values_list("pk", "code", "path", "ownership", "stage"):
            found[code] = (pk, path)
            self.school_facts[code] = (ownership, stage)
        for code, value in found.items():
            if value[0] == MISSING and (code in self.school_rows or self.schools_unreadable):
                # Its row in 学校 had errors already (or the sheet could not be read):
                # one report of the problem is enough.
                value = (PENDING, "")
            self.schools[code] = value

    # --- 教师 ------------------------------------------------------------------------
    def _teachers(self, rows: _Layout) -> None:
        counts = self.counts[TEACHERS]
        seen_ids: dict[str, int] = {}
        seen_numbers: dict[str, int] = {}
        sex_m = Memo(lambda v: values.choice(v, SEX, required=True))
        school_m = Memo(values.code)
        post_m = Memo(lambda v: values.choice(v, POST_TYPE, required=True))
        employment_m = Memo(lambda v: values.choice(v, EMPLOYMENT_TYPE, required=True))
        qualification_m = Memo(lambda v: values.choice(v, QUALIFICATION_TYPE, required=False))
        subject_m = Memo(lambda v: values.text(v, max_length=64))
        status_m = Memo(lambda v: values.choice(v, CERTIFICATE_STATUS, required=False))
        probation_m = Memo(lambda v: values.date(v, not_after=self.today))
        conclusion_m = Memo(lambda v: values.choice(v, CONCLUSION, required=False))
        date_m = Memo(values.date)
        health_m = Memo(lambda v: values.choice(v, HEALTH, required=False))
        batch: list[_Teacher] = []
        for row_no, cells in rows:
            counts.rows += 1
            (
                raw_id,
                raw_name,
                raw_sex,
                raw_phone,
                raw_school,
                raw_post,
                raw_employment,
                raw_number,
                raw_qualification,
                raw_subject,
                raw_status,
                raw_probation,
                raw_conclusion,
                raw_from,
                raw_to,
                raw_health,
            ) = cells
            rid = self.rid_memo[raw_id]
            name = _plain(lambda v: values.text(v, max_length=64), raw_name)
            if name == "":
                name = Bad(REQUIRED)
            checked = (
                (H_ID, raw_id, rid),
                (H_NAME, raw_name, name),
                (H_SEX, raw_sex, sex := sex_m[raw_sex]),
                (H_PHONE, raw_phone, phone := _plain(values.phone, raw_phone)),
                (H_SCHOOL_CODE, raw_school, school := school_m[raw_school]),
                (H_POST, raw_post, post := post_m[raw_post]),
                (H_EMPLOYMENT, raw_employment, employment := employment_m[raw_employment]),
                (H_CERT_NUMBER, raw_number, number := _plain(values.code_text, raw_number)),
                (H_QUALIFICATION, raw_qualification, qualification := qualification_m[raw_qualification]),
                (H_SUBJECT, raw_subject, subject := subject_m[raw_subject]),
                (H_CERT_STATUS, raw_status, status := status_m[raw_status]),
                (H_PROBATION, raw_probation, probation := probation_m[raw_probation]),
                (H_CONCLUSION, raw_conclusion, conclusion := conclusion_m[raw_conclusion]),
                (H_VALID_FROM, raw_from, valid_from := date_m[raw_from]),
                (H_VALID_TO, raw_to, valid_to := date_m[raw_to]),
                (H_HEALTH, raw_health, health := health_m[raw_health]),
            )
            ok = True
            for header, raw, value in checked:
                if type(value) is Bad:
                    self._error(TEACHERS, row_no, header, raw, value.reason)
                    ok = False
            if isinstance(rid, str):
                if rid in seen_ids:
                    self._error(
                        TEACHERS,
                        row_no,
                        H_ID,
                        raw_id,
                        _("与第%(row)s行重复（同一身份证号）") % {"row": seen_ids[rid]},
                    )
                    ok = False
                else:
                    seen_ids[rid] = row_no
                    # Known from here on, so rows in later sheets do not also fail.
                    self.teacher_ids.setdefault(rid, PENDING)
                if isinstance(sex, str) and sex and idcard.sex_of(rid) != sex:
                    self._error(TEACHERS, row_no, H_SEX, raw_sex, _("性别与身份证号不符"))
                    ok = False
            cert: _Cert | None = None
            if isinstance(number, str) and number:
                self.counts[CERTIFICATES].rows += 1
                if number in seen_numbers:
                    self._error(
                        TEACHERS,
                        row_no,
                        H_CERT_NUMBER,
                        raw_number,
                        _("与第%(row)s行重复（同一证书编号）") % {"row": seen_numbers[number]},
                    )
                    ok = False
                else:
                    seen_numbers[number] = row_no
                ok = (
                    self._check_certificate(
                        row_no,
                        number,
                        raw_number,
                        sex,
                        qualification,
                        raw_qualification,
                        status,
                        raw_status,
                    )
                    and ok
                )
                if conclusion == Conclusion.QUALIFIED and (valid_from is None or valid_to is None):
                    for header, value in ((H_VALID_FROM, valid_from), (H_VALID_TO, valid_to)):
                        if value is None:
                            self._error(
                                TEACHERS, row_no, header, "", _("上次注册结论为注册合格时必须填写注册有效期")
                            )
                    ok = False
                elif (valid_from is None) != (valid_to is None) and not (
                    isinstance(valid_from, Bad) or isinstance(valid_to, Bad)
                ):
                    header = H_VALID_FROM if valid_from is None else H_VALID_TO
                    self._error(TEACHERS, row_no, header, "", _("注册有效期起、止应同时填写"))
                    ok = False
                elif conclusion == "" and valid_from is not None and not isinstance(valid_from, Bad):
                    self._error(
                        TEACHERS,
                        row_no,
                        H_CONCLUSION,
                        "",
                        _("填写了注册有效期，但上次注册结论为空（表示从未注册）"),
                    )
                    ok = False
                if (
                    isinstance(valid_from, dt.date)
                    and isinstance(valid_to, dt.date)
                    and valid_from > valid_to
                ):
                    self._error(TEACHERS, row_no, H_VALID_TO, raw_to, _("注册有效期止不能早于注册有效期起"))
                    ok = False
                if ok:
                    cert = _Cert(
                        number,
                        str(qualification),
                        str(subject),
                        str(status),
                        str(conclusion),
                        valid_from,
                        valid_to,
                    )
            elif isinstance(number, str):
                for header, raw in (
                    (H_QUALIFICATION, raw_qualification),
                    (H_SUBJECT, raw_subject),
                    (H_CERT_STATUS, raw_status),
                    (H_CONCLUSION, raw_conclusion),
                    (H_VALID_FROM, raw_from),
                    (H_VALID_TO, raw_to),
                ):
                    if values.text(raw):
                        self._error(TEACHERS, row_no, header, raw, _("未填写证书编号时，证书相关信息应留空"))
                        ok = False
            if not ok:
                continue
            batch.append(
                _Teacher(
                    row_no,
                    rid,
                    name,
                    str(sex),
                    phone,
                    school,
                    str(post),
                    str(employment),
                    str(health or Health.FIT),
                    probation,
                    cert,
                )
            )
            if len(batch) >= self.batch_size:
                self._flush_teachers(batch)
                self._report(TEACHERS, counts.rows)
                batch = []
        if batch:
            self._flush_teachers(batch)

    def _check_certificate(
        self,
        row_no: int,
        number: str,
        raw_number: object,
        sex: object,
        qualification: object,
        raw_qualification: object,
        status: object,
        raw_status: object,
    ) -> bool:
        ok = True
        problem = values.certificate_number_errors(number, today=self.today)
        if problem:
            self._error(TEACHERS, row_no, H_CERT_NUMBER, raw_number, problem)
            ok = False
        if qualification == "":
            self._error(
                TEACHERS, row_no, H_QUALIFICATION, raw_qualification, _("填写证书编号时必须填写资格种类")
            )
            ok = False
        if status == "":
            self._error(TEACHERS, row_no, H_CERT_STATUS, raw_status, _("填写证书编号时必须填写证书状态"))
            ok = False
        if problem:
            return False
        if isinstance(qualification, str) and qualification and number[9] != qualification:
            label = next(k for k, v in QUALIFICATION_TYPE.items() if v == qualification)
            self._error(
                TEACHERS,
                row_no,
                H_CERT_NUMBER,
                raw_number,
                _("证书编号第10位（资格种类）应为%(digit)s（%(label)s），与资格种类不符")
                % {"digit": qualification, "label": label},
            )
            ok = False
        if isinstance(sex, str) and sex:
            digit = "1" if sex == SEX["男"] else "2"
            if number[10] != digit:
                self._error(
                    TEACHERS,
                    row_no,
                    H_CERT_NUMBER,
                    raw_number,
                    _("证书编号第11位（性别）应为%(digit)s（%(sex)s），与性别不符")
                    % {"digit": digit, "sex": _("男") if digit == "1" else _("女")},
                )
                ok = False
        return ok

    def _check_against_school(self, t: _Teacher) -> bool:
        """The row against its school (§12, docs/decisions/0254): 公办在编 only at a public
        school (a row error); the certificate type against the school's stage (a warning:
        the row is loaded, the reviewer sees it on the application)."""
        ownership, stage = self.school_facts.get(t.school_code, ("", ""))
        if (
            t.employment_type == EmploymentType.PUBLIC_ESTABLISHED
            and ownership == Institution.Ownership.PRIVATE
        ):
            self._error(
                TEACHERS,
                t.row,
                H_EMPLOYMENT,
                _label(EMPLOYMENT_TYPE, t.employment_type),
                _("学校“%(code)s”为民办学校，用工类型不能为“公办在编”，请填写“民办聘用”或“其他”")
                % {"code": t.school_code},
            )
            return False
        if t.cert is not None and not type_fits_stage(t.cert.qualification_type, stage):
            self.warnings.add(
                TEACHERS,
                t.row,
                H_QUALIFICATION,
                _label(QUALIFICATION_TYPE, t.cert.qualification_type),
                _("资格种类与学校“%(code)s”的学段（%(stage)s）不符，已导入，请核实；审核时将向审核人员提示")
                % {"code": t.school_code, "stage": Institution.Stage(stage).label},
            )
        return True

    def _flush_teachers(self, batch: list[_Teacher]) -> None:
        counts, cert_counts = self.counts[TEACHERS], self.counts[CERTIFICATES]
        self._resolve_schools({t.school_code for t in batch})
        blind = {t.rid: crypto.blind_index(t.rid, context=self._rid_context) for t in batch}
        existing = {
            row[1]: row
            for row in Teacher.objects.select_for_update(of=("self",))
            .filter(resident_id_bidx__in=list(blind.values()))
            .values_list(
                "pk",
                "resident_id_bidx",
                "name",
                "sex",
                "phone_bidx",
                "school_id",
                "school__path",
                "post_type",
                "employment_type",
                "health",
                "probation_passed_on",
                "version",
            )
        }
        numbers = [t.cert.number for t in batch if t.cert]
        certificates = {
            row[1]: row
            for row in Certificate.objects.select_for_update()
            .filter(number__in=numbers)
            .values_list(
                "pk",
                "number",
                "teacher_id",
                "qualification_type",
                "subject",
                "status",
                "last_conclusion",
                "valid_from",
                "valid_to",
                "version",
            )
        }
        plans: list[tuple[_Teacher, int, tuple[Any, ...] | None]] = []
        for t in batch:
            ok = True
            school_id, school_path = self.schools[t.school_code]
            if school_id == PENDING:
                # Its 学校 row failed (reported there); nothing is written anyway.
                ok = False
            elif school_id == MISSING:
                self._error(TEACHERS, t.row, H_SCHOOL_CODE, t.school_code, SCHOOL_NOT_FOUND)
                ok = False
            elif not self._in_scope(school_path):
                self._error(TEACHERS, t.row, H_SCHOOL_CODE, t.school_code, SCHOOL_OUT_OF_SCOPE)
                ok = False
            current = existing.get(blind[t.rid])
            if current is not None and not self._in_scope(current[6]):
                self._error(TEACHERS, t.row, H_ID, t.rid, TEACHER_OUT_OF_SCOPE)
                ok = False
            if ok:
                ok = self._check_against_school(t)
            if t.cert is not None:
                stored = certificates.get(t.cert.number)
                if stored is not None and (current is None or stored[2] != current[0]):
                    self._error(
                        TEACHERS, t.row, H_CERT_NUMBER, t.cert.number, _("该证书编号已登记在其他教师名下")
                    )
                    ok = False
            if ok:
                plans.append((t, school_id, current))
        if not self.writing:
            return
        phone_prep = Teacher._meta.get_field("phone")
        rid_prep = Teacher._meta.get_field("resident_id")
        now = connection.ops.adapt_datetimefield_value(self.now)
        adapt_date = bulk.adapter_for(Teacher, "probation_passed_on")
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for t, school_id, current in plans:
            phone_bidx = crypto.blind_index(t.phone, context=self._phone_context) if t.phone else ""
            facts = (
                t.name,
                t.sex,
                phone_bidx,
                school_id,
                t.post_type,
                t.employment_type,
                t.health,
                t.probation,
            )
            if current is None:
                inserts.append(
                    (
                        rid_prep.get_db_prep_save(t.rid, connection),
                        blind[t.rid],
                        t.name,
                        t.sex,
                        phone_prep.get_db_prep_save(t.phone, connection),
                        phone_bidx,
                        school_id,
                        t.post_type,
                        t.employment_type,
                        t.health,
                        adapt_date(t.probation),
                        1,
                        now,
                        now,
                    )
                )
                counts.created += 1
                continue
            pk = current[0]
            self.teacher_ids[t.rid] = pk
            self.preexisting.add(pk)
            if facts == (current[2], current[3], current[4], current[5], *current[7:11]):
                counts.unchanged += 1
                continue
            updates.append(
                (
                    t.name,
                    t.sex,
                    phone_prep.get_db_prep_save(t.phone, connection),
                    phone_bidx,
                    school_id,
                    t.post_type,
                    t.employment_type,
                    t.health,
                    adapt_date(t.probation),
                    current[11] + 1,
                    now,
                    pk,
                )
            )
            counts.updated += 1
        created = bulk.insert_keyed(
            Teacher,
            bulk.TEACHERS.columns,
            inserts,
            key="resident_id_bidx",
        )
        by_blind = {b: rid for rid, b in blind.items()}
        for pk, b in created:
            self.teacher_ids[by_blind[b]] = pk
        bulk.update(
            Teacher,
            bulk.TEACHERS.without("resident_id", "resident_id_bidx", "created_at"),
            updates,
        )
        cert_inserts: list[tuple[Any, ...]] = []
        cert_updates: list[tuple[Any, ...]] = []
        adapt_cert_date = bulk.adapter_for(Certificate, "valid_from")
        for t, _school_id, _current in plans:
            c = t.cert
            if c is None:
                continue
            cert_facts = (
                c.qualification_type,
                c.subject,
                c.status,
                c.last_conclusion,
                c.valid_from,
                c.valid_to,
            )
            stored = certificates.get(c.number)
            if stored is None:
                cert_inserts.append(
                    (
                        c.number,
                        self.teacher_ids[t.rid],
                        *cert_facts[:4],
                        adapt_cert_date(c.valid_from),
                        adapt_cert_date(c.valid_to),
                        None,  # registered_on: set when a registration completes
                        1,
                        now,
                        now,
                    )
                )
                cert_counts.created += 1
            elif cert_facts == stored[3:9]:
                cert_counts.unchanged += 1
            else:
                cert_updates.append(
                    (
                        *cert_facts[:4],
                        adapt_cert_date(c.valid_from),
                        adapt_cert_date(c.valid_to),
                        stored[9] + 1,
                        now,
                        stored[0],
                    )
                )
                cert_counts.updated += 1
        bulk.CERTIFICATES.insert(cert_inserts)
        bulk.update(
            Certificate,
            bulk.CERTIFICATES.without("number", "teacher", "registered_on", "created_at"),
            cert_updates,
        )

    # --- 年度考核, 师德考核, 培训学时, 中止任教 --------------------------------------------
    def _parse_annual(self) -> Callable[[int, Sequence[Any]], tuple[Any, ...] | None]:
        return self._parse_yearly(ANNUAL, GRADE, H_GRADE)

    def _parse_ethics(self) -> Callable[[int, Sequence[Any]], tuple[Any, ...] | None]:
        return self._parse_yearly(ETHICS, ETHICS_RESULT, H_RESULT)

    def _parse_yearly(
        self, sheet: str, choices: Any, header: str
    ) -> Callable[[int, Sequence[Any]], tuple[Any, ...] | None]:
        """Rows of (身份证号, 年度, one enumerated result): annual and ethics appraisals."""
        year_m = Memo(lambda v: values.year(v, today=self.today))
        value_m = Memo(lambda v: values.choice(v, choices, required=True))

        def parse(row_no: int, cells: Sequence[Any]) -> tuple[Any, ...] | None:
            year, value = year_m[cells[1]], value_m[cells[2]]
            if type(year) is Bad or type(value) is Bad:
                self._cell_errors(sheet, row_no, ((H_YEAR, cells[1], year), (header, cells[2], value)))
                return None
            return (year, value)

        return parse

    def _parse_training(
        self,
    ) -> Callable[[int, Sequence[Any]], tuple[Any, ...] | None]:
        # Dates and hours come out adapted for the database: inserted as they are.
        adapt_date = bulk.adapter_for(TrainingRecord, "date")
        adapt_hours = bulk.adapter_for(TrainingRecord, "hours")
        date_m = Memo(lambda v: adapt_date(values.date(v, required=True, not_after=self.today)))
        hours_m = Memo(lambda v: adapt_hours(values.hours(v)))

        def programme(v: Any) -> str:
            text = values.text(v, max_length=128)
            if not text:
                raise CellError(REQUIRED)
            return text

        programme_m = Memo(programme)

        def parse(row_no: int, cells: Sequence[Any]) -> tuple[Any, ...] | None:
            day, amount, name = date_m[cells[1]], hours_m[cells[2]], programme_m[cells[3]]
            if type(day) is Bad or type(amount) is Bad or type(name) is Bad:
                self._cell_errors(
                    TRAINING,
                    row_no,
                    ((H_DATE, cells[1], day), (H_HOURS, cells[2], amount), (H_PROGRAMME, cells[3], name)),
                )
                return None
            return (day, name, amount)

        return parse

    def _parse_break(
        self,
    ) -> Callable[[int, Sequence[Any]], tuple[Any, ...] | None]:
        adapt_date = bulk.adapter_for(TeachingBreak, "start")

        def date_pair(v: Any) -> tuple[dt.date, Any]:
            day = values.date(v, required=True)
            assert day is not None
            return day, adapt_date(day)

        # (date, adapted date): the first to compare, the second to write.
        date_m = Memo(date_pair)
        reason_m = Memo(lambda v: values.text(v, max_length=128))
        approved_m = Memo(lambda v: values.choice(v, APPROVED, required=True))

        def parse(row_no: int, cells: Sequence[Any]) -> tuple[Any, ...] | None:
            start, end, reason, approved = (
                date_m[cells[1]],
                date_m[cells[2]],
                reason_m[cells[3]],
                approved_m[cells[4]],
            )
            checked = (
                (H_START, cells[1], start),
                (H_END, cells[2], end),
                (H_REASON, cells[3], reason),
                (H_APPROVED, cells[4], approved),
            )
            if any(type(v) is Bad for _h, _r, v in checked):
                self._cell_errors(BREAKS, row_no, checked)
                return None
            if end[0] < start[0]:
                self._error(BREAKS, row_no, H_END, cells[2], _("结束日期不能早于开始日期"))
                return None
            return (start[1], end[1], reason, approved)

        return parse

    def _cell_errors(self, sheet: str, row_no: int, checked: Sequence[tuple[str, Any, Any]]) -> None:
        for header, raw, value in checked:
            if type(value) is Bad:
                self._error(sheet, row_no, header, raw, value.reason)

    def _children(
        self,
        spec: _ChildSpec,
        layout: _Layout,
        make_parser: Callable[[], Callable[[int, Sequence[Any]], tuple[Any, ...] | None]],
    ) -> None:
        """One of the per-teacher sheets. The hot loop of the import (millions of rows):
        cell parsing is memoised, everything else is a dict lookup or a tuple, and the
        column layout is applied inline rather than through another generator."""
        parse = make_parser()
        pick, width, in_order = layout.pick, layout.width, layout.in_order
        pad = [None] * width
        rid_memo = self.rid_memo
        nk = len(spec.key_fields)
        seen: dict[tuple[Any, ...], int] = {}
        batch: list[tuple[int, str, tuple[Any, ...]]] = []
        batch_size = self.batch_size
        count = 0
        for row_no, row in layout.rows:
            if len(row) < width:
                row = [*row, *pad[len(row) :]]
            # In the template's own column order (the usual case) the row is used as is.
            cells = row if in_order else pick(row)
            raw_id = cells[0]
            if (raw_id is None or raw_id == "") and _blank(cells):
                continue
            count += 1
            rid = rid_memo[raw_id]
            if type(rid) is Bad:
                self._error(spec.sheet, row_no, H_ID, raw_id, rid.reason)
                parse(row_no, cells)
                continue
            parsed = parse(row_no, cells)
            if parsed is None:
                continue
            full_key = (rid, parsed[0]) if nk == 1 else (rid, *parsed[:nk])
            first = seen.setdefault(full_key, row_no)
            if first != row_no:
                self._error(
                    spec.sheet,
                    row_no,
                    H_ID,
                    raw_id,
                    _("与第%(row)s行重复（%(key)s）") % {"row": first, "key": spec.duplicate},
                )
                continue
            batch.append((row_no, rid, parsed))
            if len(batch) >= batch_size:
                self.counts[spec.sheet].rows = count
                self._flush_children(spec, batch)
                self._report(spec.sheet, count)
                batch = []
        self.counts[spec.sheet].rows = count
        if batch:
            self._flush_children(spec, batch)

    def _resolve_teachers(self, rids: set[str]) -> None:
        """Teachers referred to by later sheets but not in this file's 教师 sheet: look
        them up by blind index, within the jurisdiction. Out-of-scope and missing
        answer the same, so the report does not reveal who exists elsewhere."""
        unknown = [rid for rid in rids if rid not in self.teacher_ids]
        if not unknown:
            return
        blind = {crypto.blind_index(rid, context=self._rid_context): rid for rid in unknown}
        for rid in unknown:
            self.teacher_ids[rid] = PENDING if self.teachers_unreadable else MISSING
        # Locked like the teachers of the 教师 sheet: edits of their records by hand
        # (compare-and-set on the teacher) wait for the import, and vice versa.
        for pk, b, path in (
            Teacher.objects.select_for_update(of=("self",))
            .filter(resident_id_bidx__in=list(blind))
            .values_list("pk", "resident_id_bidx", "school__path")
        ):
            if self._in_scope(path):
                self.teacher_ids[blind[b]] = pk
                self.preexisting.add(pk)

    def _adapters(self, spec: _ChildSpec) -> list[tuple[int, bulk.Adapter]]:
        """Per sheet, made once: the fields that need adapting (dates, decimals), by
        position in a stored row (teacher id first, then the fields)."""
        found = self._adapter_cache.get(spec.sheet)
        if found is None:
            fields = (*spec.key_fields, *spec.value_fields)
            found = self._adapter_cache[spec.sheet] = [
                (i + 1, adapter)
                for i, name in enumerate(fields)
                if (adapter := bulk.adapter_for(spec.model, name)) is not bulk.identity
            ]
        return found

    def _flush_children(self, spec: _ChildSpec, batch: list[tuple[int, str, tuple[Any, ...]]]) -> None:
        counts = self.counts[spec.sheet]
        ids = self.teacher_ids
        self._resolve_teachers({rid for _row, rid, _v in batch if rid not in ids})
        ready: list[tuple[int, tuple[Any, ...]]] = []
        for row_no, rid, parsed in batch:
            pk = ids[rid]
            if pk > 0:
                ready.append((pk, parsed))
            elif pk == MISSING:
                self._error(spec.sheet, row_no, H_ID, rid, NOT_FOUND_TEACHER)
        if not self.writing:
            return
        model = spec.model
        nk = len(spec.key_fields)
        # Parsed values are already adapted for the database (see the parsers), so the
        # stored rows are adapted the same way before comparing.
        adapters = self._adapters(spec)
        stored: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}
        old = {pk for pk, _v in ready if pk in self.preexisting}
        if old:
            for row in model.objects.filter(teacher_id__in=old).values_list(
                "teacher_id", *spec.key_fields, "pk", *spec.value_fields
            ):
                data = [row[0], *row[1 : nk + 1], *row[nk + 2 :]]
                for i, adapter in adapters:
                    data[i] = adapter(data[i])
                stored[tuple(data[: nk + 1])] = (row[nk + 1], tuple(data[nk + 1 :]))
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for pk, parsed in ready:
            found = stored.get((pk, *parsed[:nk])) if stored else None
            if found is None:
                inserts.append((pk, *parsed))
            elif found[1] == parsed[nk:]:
                counts.unchanged += 1
            else:
                updates.append((*parsed[nk:], found[0]))
        counts.created += len(inserts)
        counts.updated += len(updates)
        spec.table.insert(inserts)
        bulk.update(model, spec.value_fields, updates)


def _label(choices: dict[str, Any], value: str) -> str:
    """The template's label of a stored value (the first, where several map to it)."""
    return next((k for k, v in choices.items() if v == value), value)


def _ancestors(county: str, divisions: dict[str, tuple[str, str | None]]) -> set[str]:
    result = set()
    code: str | None = county
    while code is not None and code not in result:
        result.add(code)
        code = divisions.get(code, ("", None))[1]
    return result


def _school_update(*, actor: User | None, school: Institution, row: _School, reviewer: Institution) -> bool:
    return orgs_bridge.school_update(
        actor=actor,
        school=school,
        parent=reviewer,
        name=row.name,
        division_id=row.county,
        ownership=row.ownership,
        stage=row.stage,
    )
