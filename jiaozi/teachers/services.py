"""Writes to teacher records: the import of the §12 template (from the command line or
as a background job, ``import_job_run``) and the school's own edits. Queuing a job from
an upload is ``uploads.import_job_create``, above the Celery task that runs it.

Every edit is compare-and-set on the teacher's ``version`` (adding an appraisal or a
training record bumps it too, so two people editing one teacher never silently
overwrite each other) and writes its audit row in the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import actor_of
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock, idcard
from jiaozi.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from jiaozi.core.fields import field_lookup

from .importing import values
from .importing.errors import RowError
from .importing.limits import InflatedTooLarge
from .importing.loader import Importer, ImportResult
from .importing.sources import UnreadableFile, open_source
from .importing.xlsx import Unsupported
from .models import (
    AnnualAppraisal,
    AppraisalGrade,
    EmploymentType,
    EthicsAppraisal,
    EthicsResult,
    Health,
    ImportJob,
    PostType,
    Sex,
    Teacher,
    TeachingBreak,
    TrainingRecord,
)
from .permissions import can_edit_teacher, can_edit_teachers, can_import_teachers, can_view_teachers
from .selectors import progress_key, teacher_get_visible_to
from .signals import records_changed_on_commit

__all__ = ["progress_key"]

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

logger = logging.getLogger(__name__)

ERROR_LIMIT = getattr(settings, "TEACHER_IMPORT_MAX_ERRORS", 10_000)
PROGRESS_SECONDS = 24 * 3600


# --- Import -------------------------------------------------------------------------


def _file_error(message: str) -> ImportResult:
    return ImportResult(
        ok=False, counts={}, errors=[RowError("", None, "", "", message)], error_total=1, truncated=False
    )


def teacher_import(
    *,
    actor: User | None,
    file: str | Path | IO[bytes],
    name: str = "",
    progress: Callable[[str, int], None] | None = None,
    job: ImportJob | None = None,
) -> ImportResult:
    """Load one template file (a workbook, a folder or .zip of CSVs, one CSV) whole or
    not at all. ``actor`` None is the operator at the command line (no jurisdiction
    limit); a staff user imports within their institution's jurisdiction.

    A loaded file leaves one ``TEACHER_IMPORTED`` audit row with the counts; a refused
    one leaves a failure row after the rollback (nothing else)."""
    if actor is not None and not can_import_teachers(user=actor):
        raise PermissionDenied(_("您无权导入教师数据。"))
    scope = None if actor is None else actor_of(actor).institution_path

    def audit(result: ImportResult, outcome: str) -> None:
        # Loaded: what changed per sheet; refused: what was read.
        keys = ("created", "updated", "unchanged") if result.ok else ("rows",)
        totals = {
            sheet: {k: c[k] for k in keys if c.get(k)}
            for sheet, c in result.counts.items()
            if any(c.get(k) for k in keys)
        }
        audit_record(
            kind=AuditKind.TEACHER_IMPORTED,
            actor=actor,
            object_type="teachers.importjob" if job else "",
            object_id=job.pk if job else "",
            outcome=outcome,
            details={"counts": totals, "errors": result.error_total, "reader": result.reader},
        )

    def attempt(fast: bool) -> ImportResult:
        try:
            source = open_source(file, name=name, fast=fast)
        except (UnreadableFile, InflatedTooLarge) as exc:
            return _file_error(str(exc))
        try:
            importer = Importer(actor=actor, scope_path=scope, error_limit=ERROR_LIMIT, progress=progress)
            return importer.run(source, on_success=lambda r: audit(r, AuditEvent.Outcome.SUCCESS))
        except InflatedTooLarge as exc:
            # Counted while reading (a header understated a size): rolled back whole.
            return _file_error(str(exc))
        except IntegrityError:
            # Another import (or an edit) wrote the same teacher or certificate meanwhile;
            # ours was rolled back whole.
            return _file_error(
                _("导入期间有其他操作写入了相同的教师或证书，本次未导入任何数据，请重新导入。")
            )
        except DomainError as exc:
            # A rule of another app refused a write the checks here let through (e.g. a
            # school created meanwhile by someone else: orgs answers Conflict).
            return _file_error(_("%(reason)s 本次未导入任何数据，请重新导入。") % {"reason": exc.message})
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return _file_error(_("系统正忙（另一项导入正在进行），本次未导入任何数据，请稍后重新导入。"))
        finally:
            source.close()

    try:
        result = attempt(fast=True)
    except Unsupported:
        # The streaming reader met markup it does not vouch for; openpyxl reads anything
        # Excel writes. The first attempt was rolled back.
        logger.info("teacher import: falling back to openpyxl")
        result = attempt(fast=False)
    if not result.ok:
        try:
            with transaction.atomic():
                audit(result, AuditEvent.Outcome.FAILURE)
        except OperationalError:
            # The database is busy with another writer (SQLite): the refusal goes to the
            # log instead; nothing was written either way.
            logger.warning(
                "teacher import refused (%s errors); audit row not written: database busy", result.error_total
            )
    return result


@contextlib.contextmanager
def _local_file(job: ImportJob) -> Iterator[Path]:
    """A path to the upload: the stored file itself on a file system, else a temporary
    copy (object storage)."""
    try:
        local: Path | None = Path(job.file.path)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    suffix = Path(job.original_name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp, job.file.open("rb") as stored:
        shutil.copyfileobj(stored, tmp)
        tmp.flush()
        yield Path(tmp.name)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job once. Taking it is compare-and-set from pending, so a task
    delivered twice does the work once. Returns None when another run took it."""
    job = ImportJob.objects.select_related("created_by__institution").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.PENDING:
        return None
    if not ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING, version=job.version).update(
        status=ImportJob.Status.RUNNING, started_at=clock.now(), version=F("version") + 1
    ):
        return None
    job.version += 1
    key = progress_key(job.pk)

    def progress(sheet: str, rows: int) -> None:
        cache.set(key, {"sheet": sheet, "rows": rows}, PROGRESS_SECONDS)

    status, message = ImportJob.Status.FAILED, ""
    result: ImportResult | None = None
    try:
        actor = job.created_by
        if actor is None or not can_import_teachers(user=actor):
            message = _("导入人已无导入权限，未导入。")
        else:
            with _local_file(job) as path:
                result = teacher_import(
                    actor=actor, file=path, name=job.original_name, progress=progress, job=job
                )
            status = ImportJob.Status.SUCCEEDED if result.ok else ImportJob.Status.REJECTED
    except Exception:
        # The message for users says nothing of the cause: it may quote data.
        logger.exception("teacher import job %s failed", job.pk)
        message = _("导入过程中出现系统错误，未导入任何数据，请联系系统管理员。")
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        message=message,
        counts=result.counts if result else {},
        errors=[e.as_dict() for e in result.errors] if result else [],
        error_total=result.error_total if result else 0,
        errors_truncated=result.truncated if result else False,
        warnings=[w.as_dict() for w in result.warnings] if result else [],
        finished_at=clock.now(),
        version=F("version") + 1,
    )
    # The upload holds personal data in clear: it goes as soon as it has been read.
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
    cache.delete(key)
    job.refresh_from_db()
    return job


# --- The school's own edits ------------------------------------------------------------


def _bump(*, teacher: Teacher, version: int) -> None:
    """Compare-and-set the teacher's version; exactly one row or a conflict."""
    now = clock.now()
    if (
        Teacher.objects.filter(pk=teacher.pk, version=version).update(
            version=F("version") + 1, updated_at=now
        )
        != 1
    ):
        raise Conflict(_("该教师信息已被他人修改，请刷新后重试。"), code="stale_version")
    teacher.version = version + 1


def _field(name: str, parse: Callable[[], Any], fields: dict[str, str]) -> Any:
    try:
        return parse()
    except values.CellError as exc:
        fields[name] = exc.reason
        return None


def _check_choice(name: str, value: str, choices: Any, fields: dict[str, str]) -> None:
    if value not in choices.values:
        fields[name] = _("请选择有效的选项")


def _teacher_facts(
    *,
    name: str,
    sex: str,
    phone: str,
    post_type: str,
    employment_type: str,
    health: str,
    probation_passed_on: dt.date | None,
    fields: dict[str, str],
) -> dict[str, Any]:
    clean_name = _field("name", lambda: values.text(name, max_length=64), fields)
    if clean_name == "":
        fields["name"] = str(values.REQUIRED)
    clean_phone = _field("phone", lambda: values.phone(phone), fields)
    probation = _field(
        "probation_passed_on", lambda: values.date(probation_passed_on, not_after=clock.today()), fields
    )
    _check_choice("sex", sex, Sex, fields)
    _check_choice("post_type", post_type, PostType, fields)
    _check_choice("employment_type", employment_type, EmploymentType, fields)
    _check_choice("health", health, Health, fields)
    return {
        "name": clean_name,
        "sex": sex,
        "phone": clean_phone,
        "post_type": post_type,
        "employment_type": employment_type,
        "health": health,
        "probation_passed_on": probation,
    }


@transaction.atomic
def teacher_create(
    *,
    actor: User,
    resident_id: str,
    name: str,
    sex: str,
    phone: str = "",
    post_type: str,
    employment_type: str,
    health: str = Health.FIT,
    probation_passed_on: dt.date | None = None,
) -> Teacher:
    """A new teacher at the actor's own school."""
    if not can_edit_teachers(user=actor):
        raise PermissionDenied(_("只有学校工作人员可以新增本校教师。"))
    fields: dict[str, str] = {}
    rid = _field("resident_id", lambda: values.resident_id(resident_id), fields)
    facts = _teacher_facts(
        name=name,
        sex=sex,
        phone=phone,
        post_type=post_type,
        employment_type=employment_type,
        health=health,
        probation_passed_on=probation_passed_on,
        fields=fields,
    )
    if rid and "sex" not in fields and idcard.sex_of(rid) != sex:
        fields["sex"] = _("性别与身份证号不符")
    if rid and Teacher.objects.filter(**field_lookup(Teacher, "resident_id", rid)).exists():
        fields["resident_id"] = _("该身份证号的教师已登记，如需调入本校请联系上级教育行政部门")
    if fields:
        raise ValidationFailed(_("教师信息填写有误。"), code="invalid_teacher", field_errors=fields)
    teacher = Teacher(resident_id=rid, school=actor.institution, **facts)
    try:
        with transaction.atomic():
            teacher.save(force_insert=True)
    except IntegrityError:
        # Two people entering the same teacher at once: the blind index is unique.
        raise Conflict(_("该身份证号的教师已登记。"), code="duplicate_teacher") from None
    audit_record(
        kind=AuditKind.TEACHER_CREATED,
        actor=actor,
        obj=teacher,
        details={"school": actor.institution.code if actor.institution else ""},
    )
    return teacher


def _editable(*, actor: User, pk: int) -> Teacher:
    teacher = teacher_get_visible_to(user=actor, pk=pk)
    if not can_edit_teacher(user=actor, teacher=teacher):
        raise PermissionDenied(_("只有教师所在学校的工作人员可以修改其信息。"))
    return teacher


@transaction.atomic
def teacher_update(
    *,
    actor: User,
    pk: int,
    version: int,
    name: str,
    sex: str,
    phone: str,
    post_type: str,
    employment_type: str,
    health: str,
    probation_passed_on: dt.date | None,
) -> Teacher:
    """Change a teacher's facts. The resident ID is the teacher's identity and is not
    edited (a wrong one is a new teacher plus a correction request)."""
    teacher = _editable(actor=actor, pk=pk)
    fields: dict[str, str] = {}
    facts = _teacher_facts(
        name=name,
        sex=sex,
        phone=phone,
        post_type=post_type,
        employment_type=employment_type,
        health=health,
        probation_passed_on=probation_passed_on,
        fields=fields,
    )
    if "sex" not in fields and idcard.sex_of(teacher.resident_id) != sex:
        fields["sex"] = _("性别与身份证号不符")
    if fields:
        raise ValidationFailed(_("教师信息填写有误。"), code="invalid_teacher", field_errors=fields)
    changed = sorted(k for k, v in facts.items() if getattr(teacher, k) != v)
    _bump(teacher=teacher, version=version)
    for key, value in facts.items():
        setattr(teacher, key, value)
    # The version was advanced by the compare-and-set; save the facts alone.
    teacher.save(update_fields=[*facts, "phone_bidx", "updated_at"])
    audit_record(
        kind=AuditKind.TEACHER_UPDATED,
        actor=actor,
        obj=teacher,
        details={"section": "facts", "fields": changed},
    )
    records_changed_on_commit([teacher.pk])
    return teacher


def annual_appraisal_set(
    *, actor: User, teacher_id: int, version: int, year: int, grade: str
) -> AnnualAppraisal:
    """Record (or correct) the annual appraisal of one year."""
    return _yearly_set(
        actor=actor,
        teacher_id=teacher_id,
        version=version,
        year=year,
        value=grade,
        model=AnnualAppraisal,
        field="grade",
        choices=AppraisalGrade,
        section="annual_appraisal",
        message=_("年度考核填写有误。"),
        code="invalid_appraisal",
    )


def ethics_appraisal_set(
    *, actor: User, teacher_id: int, version: int, year: int, result: str
) -> EthicsAppraisal:
    """Record (or correct) the ethics appraisal of one year."""
    return _yearly_set(
        actor=actor,
        teacher_id=teacher_id,
        version=version,
        year=year,
        value=result,
        model=EthicsAppraisal,
        field="result",
        choices=EthicsResult,
        section="ethics_appraisal",
        message=_("师德考核填写有误。"),
        code="invalid_ethics",
    )


@transaction.atomic
def _yearly_set(
    *,
    actor: User,
    teacher_id: int,
    version: int,
    year: int,
    value: str,
    model: Any,
    field: str,
    choices: Any,
    section: str,
    message: str,
    code: str,
) -> Any:
    """One appraisal per (teacher, year): created or corrected, the teacher's version
    advanced by compare-and-set and the change audited."""
    teacher = _editable(actor=actor, pk=teacher_id)
    fields: dict[str, str] = {}
    clean_year = _field("year", lambda: values.year(year, today=clock.today()), fields)
    _check_choice(field, value, choices, fields)
    if fields:
        raise ValidationFailed(message, code=code, field_errors=fields)
    _bump(teacher=teacher, version=version)
    record, created = model.objects.update_or_create(
        teacher=teacher, year=clean_year, defaults={field: value}
    )
    audit_record(
        kind=AuditKind.TEACHER_UPDATED,
        actor=actor,
        obj=teacher,
        details={"section": section, "year": clean_year, field: value, "created": created},
    )
    records_changed_on_commit([teacher.pk])
    return record


@transaction.atomic
def training_record_add(
    *, actor: User, teacher_id: int, version: int, date: dt.date, hours: Decimal, programme: str
) -> TrainingRecord:
    """Add training hours. One record per (date, programme), as in the import."""
    teacher = _editable(actor=actor, pk=teacher_id)
    fields: dict[str, str] = {}
    day = _field("date", lambda: values.date(date, required=True, not_after=clock.today()), fields)
    amount = _field("hours", lambda: values.hours(hours), fields)
    name = _field("programme", lambda: values.text(programme, max_length=128), fields)
    if name == "":
        fields["programme"] = str(values.REQUIRED)
    if not fields and TrainingRecord.objects.filter(teacher=teacher, date=day, programme=name).exists():
        fields["programme"] = _("该日期的同名培训已登记")
    if fields:
        raise ValidationFailed(_("培训学时填写有误。"), code="invalid_training", field_errors=fields)
    # The compare-and-set on the teacher serialises writers of this teacher's records,
    # which keeps (date, programme) unique without a table-wide constraint.
    _bump(teacher=teacher, version=version)
    record = TrainingRecord.objects.create(teacher=teacher, date=day, hours=amount, programme=name)
    audit_record(
        kind=AuditKind.TEACHER_UPDATED,
        actor=actor,
        obj=teacher,
        details={"section": "training", "date": day.isoformat(), "hours": str(amount)},
    )
    records_changed_on_commit([teacher.pk])
    return record


@transaction.atomic
def teaching_break_add(
    *, actor: User, teacher_id: int, version: int, start: dt.date, end: dt.date, reason: str, approved: bool
) -> TeachingBreak:
    """Add a break from teaching (中止任教). One per start date, as in the import."""
    teacher = _editable(actor=actor, pk=teacher_id)
    fields: dict[str, str] = {}
    first = _field("start", lambda: values.date(start, required=True), fields)
    last = _field("end", lambda: values.date(end, required=True), fields)
    why = _field("reason", lambda: values.text(reason, max_length=128), fields)
    if first and last and last < first:
        fields["end"] = _("结束日期不能早于开始日期")
    if not fields and TeachingBreak.objects.filter(teacher=teacher, start=first).exists():
        fields["start"] = _("该开始日期的中止任教记录已登记")
    if fields:
        raise ValidationFailed(_("中止任教填写有误。"), code="invalid_break", field_errors=fields)
    _bump(teacher=teacher, version=version)
    record = TeachingBreak.objects.create(
        teacher=teacher, start=first, end=last, reason=why, approved=approved
    )
    audit_record(
        kind=AuditKind.TEACHER_UPDATED,
        actor=actor,
        obj=teacher,
        details={
            "section": "break",
            "start": first.isoformat(),
            "end": last.isoformat(),
            "approved": approved,
        },
    )
    records_changed_on_commit([teacher.pk])
    return record


@transaction.atomic
def teacher_reveal_resident_id(*, actor: User, pk: int) -> str:
    """The full resident ID of one teacher in scope; every reveal is audited (§9)."""
    if not can_view_teachers(user=actor):
        raise PermissionDenied(_("您无权查看教师信息。"))
    teacher = teacher_get_visible_to(user=actor, pk=pk)
    audit_record(kind=AuditKind.UNMASKED_VIEW, actor=actor, obj=teacher, details={"field": "resident_id"})
    return teacher.resident_id


# --- Certificate services: a name corrected by the issuing authority (§7 更正) ------------


def teacher_name_correct(*, teacher: Teacher, name: str, actor: User | None, source: str) -> str:
    """Correct the holder's name after the certificate's issuing authority approved a
    correction (更正) with evidence. Called by certservices inside the approval's
    transaction; compares and sets on the teacher's version. Returns the old name."""
    name = "".join(name.split())
    if not name or len(name) > 64:
        raise ValidationFailed(_("请填写正确的姓名。"), code="invalid_name")
    previous = teacher.name
    with transaction.atomic(savepoint=False):
        _bump(teacher=teacher, version=teacher.version)
        Teacher.objects.filter(pk=teacher.pk).update(name=name)
        teacher.name = name
        audit_record(
            kind=AuditKind.TEACHER_UPDATED,
            actor=actor,
            obj=teacher,
            details={"section": "certificate_correction", "fields": ["name"], "source": source},
        )
    return previous
