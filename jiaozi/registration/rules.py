"""Periodic registration rules (PRODUCT.md §4): who is due in a campaign and the
suggested conclusion with its reasons.

Pure functions over plain data — no database, no clock, no Django — so the same code
serves the pre-check command, the staff screen and the reviewers, and is tested by
table and by property. The rules, their sources and every reading of an ambiguous
line are written out in docs/rules.md; the comments below point at the choices.

Vocabulary: the string values are those of ``jiaozi.teachers.models`` (``PostType``,
``EmploymentType``, ``Health``, ``AppraisalGrade``, ``EthicsResult``) and
``jiaozi.certificates.models`` (``CertificateStatus``, ``Conclusion``); a test keeps
them in step.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

DEFAULT_TRAINING_HOURS = Decimal(360)
# "within 60 days": R + 60 days for the end of validity, R − 60 days for probation.
DUE_WINDOW_DAYS = 60
CYCLE_YEARS = 5
# "longer than 180 days" (办法: 中止教育教学和教育管理工作一学期以上).
BREAK_DAYS_LIMIT = 180


class Due(StrEnum):
    FIRST = "first"
    PERIODIC = "periodic"
    AFTER_DEFERRAL = "after_deferral"
    NOT_YET_DUE = "not_yet_due"
    BARRED = "barred"
    OUT_OF_SCOPE = "out_of_scope"


# Who may apply in the campaign (the others get no suggestion).
DUE_TO_APPLY: frozenset[str] = frozenset({Due.FIRST, Due.PERIODIC, Due.AFTER_DEFERRAL})


class Suggestion(StrEnum):
    QUALIFIED = "qualified"
    DEFERRED = "deferred"
    UNQUALIFIED = "unqualified"


# Better first; "never worsens" in the tests is measured on this order.
SUGGESTION_RANK: dict[str, int] = {
    Suggestion.QUALIFIED: 2,
    Suggestion.DEFERRED: 1,
    Suggestion.UNQUALIFIED: 0,
}


class Reason(StrEnum):
    # Due lines.
    NEVER_REGISTERED = "never_registered"
    LATE_FIRST_REGISTRATION = "late_first_registration"
    VALIDITY_ENDING = "validity_ending"
    PREVIOUSLY_DEFERRED = "previously_deferred"
    VALIDITY_CURRENT = "validity_current"
    PROBATION_NOT_PASSED = "probation_not_passed"
    PROBATION_DATE_MISSING = "probation_date_missing"
    PREVIOUSLY_UNQUALIFIED = "previously_unqualified"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_LOST = "certificate_lost"
    NO_CERTIFICATE = "no_certificate"
    POST_OUT_OF_SCOPE = "post_out_of_scope"
    EMPLOYMENT_OUT_OF_SCOPE = "employment_out_of_scope"
    # Suggestion lines.
    ETHICS_FAILED = "ethics_failed"
    APPRAISAL_FAILED_CONSECUTIVE = "appraisal_failed_consecutive"
    TRAINING_HOURS_SHORT = "training_hours_short"
    UNAPPROVED_BREAK = "unapproved_break"
    APPRAISAL_FAILED = "appraisal_failed"
    APPRAISAL_BASIC = "appraisal_basic"
    APPRAISAL_MISSING = "appraisal_missing"
    HEALTH_UNFIT = "health_unfit"


# Values of the teacher facts (the teachers app's choices).
POST_OTHER = "other"
EMPLOYMENT_OTHER = "other"
HEALTH_UNFIT = "unfit"
STATUS_VALID = "valid"
STATUS_REVOKED = "revoked"
STATUS_LOST = "lost"
CONCLUSION_NEVER = ""
CONCLUSION_QUALIFIED = "qualified"
CONCLUSION_DEFERRED = "deferred"
CONCLUSION_UNQUALIFIED = "unqualified"
GRADE_EXCELLENT = "excellent"
GRADE_QUALIFIED = "qualified"
GRADE_BASIC = "basic"
GRADE_FAILED = "failed"
ETHICS_PASSED = "passed"
ETHICS_FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TeacherFacts:
    """What the rules read about one teacher and one of their certificates.

    ``certificate_status`` is ``None`` when the teacher holds no certificate;
    ``last_conclusion`` is ``""`` when the certificate was never registered.
    ``appraisals`` maps year → grade, ``ethics`` year → result; ``training`` holds
    (date, hours) and ``breaks`` (start, end, approved), both dates inclusive."""

    post_type: str
    employment_type: str
    health: str = "fit"
    probation_passed_on: dt.date | None = None
    certificate_status: str | None = STATUS_VALID
    last_conclusion: str = CONCLUSION_NEVER
    valid_to: dt.date | None = None
    appraisals: Mapping[int, str] = field(default_factory=dict)
    ethics: Mapping[int, str] = field(default_factory=dict)
    training: Sequence[tuple[dt.date, Decimal]] = ()
    breaks: Sequence[tuple[dt.date, dt.date, bool]] = ()


# --- Materials (§4 "Materials") ------------------------------------------------------

# The Material kinds (registration.models.Material.Kind values).
MATERIAL_APPLICATION_FORM = "application_form"
MATERIAL_CERTIFICATE = "certificate"
MATERIAL_CONTRACT = "contract"
MATERIAL_ETHICS_STATEMENT = "ethics_statement"
MATERIAL_APPRAISALS = "appraisals"
MATERIAL_TRAINING = "training"
MATERIAL_PROBATION_PROOF = "probation_proof"
# The application form is not among them: the system draws it from the application and
# files it stamped at completion, so the applicant has nothing to upload for it (§4's
# paper form is this record).
REQUIRABLE_MATERIALS: tuple[str, ...] = (
    MATERIAL_CERTIFICATE,
    MATERIAL_CONTRACT,
    MATERIAL_ETHICS_STATEMENT,
    MATERIAL_APPRAISALS,
    MATERIAL_TRAINING,
    MATERIAL_PROBATION_PROOF,
)
_FIVE = REQUIRABLE_MATERIALS[:5]
# §4: certificate, contract, the school's ethics statement, five annual appraisals,
# training proof; a first registration adds the probation-pass proof. The province
# changes this per campaign (Campaign.required_materials).
DEFAULT_REQUIRED_MATERIALS: dict[str, tuple[str, ...]] = {
    "first": (*_FIVE, MATERIAL_PROBATION_PROOF),
    "periodic": _FIVE,
    "after_deferral": _FIVE,
}


def missing_materials(
    required: Mapping[str, Sequence[str]], due: str, uploaded: Sequence[str] | frozenset[str]
) -> tuple[str, ...]:
    """The kinds ``required`` names for registration type ``due`` that are not among
    ``uploaded``, in the order of ``REQUIRABLE_MATERIALS`` (unknown kinds last). A type
    the setting does not name falls back to §4's default list."""
    wanted = required.get(due)
    if wanted is None:
        wanted = DEFAULT_REQUIRED_MATERIALS.get(due, ())
    have = set(uploaded)
    order = {kind: n for n, kind in enumerate(REQUIRABLE_MATERIALS)}
    missing = {kind for kind in wanted if kind not in have}
    return tuple(sorted(missing, key=lambda kind: (order.get(kind, len(order)), kind)))


class Precheck(NamedTuple):
    due: str
    suggestion: str  # "" when not due
    reasons: tuple[str, ...]  # the due codes, then the suggestion's

    @property
    def reasons_text(self) -> str:
        return ";".join(self.reasons)


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole calendar years; 29 February becomes 28 February in a
    common year. The one rule for every "R ± 5 years" in the system (cycle start,
    validity end), so a validity and the next cycle meet without a gap — see
    docs/rules.md."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return day.replace(year=year)


@dataclass(frozen=True, slots=True)
class CycleContext:
    """Everything derived from the registration date R, computed once per campaign."""

    registration_date: dt.date
    # The cycle is (R − 5 years, R]: dates strictly after ``cycle_after`` up to R.
    cycle_after: dt.date
    first_day: dt.date
    validity_due_by: dt.date  # R + 60 days, inclusive
    late_first_before: dt.date  # probation passed before R − 60 days → late
    appraisal_years: tuple[int, ...]
    training_hours_required: Decimal


@lru_cache(maxsize=64)
def cycle_context(
    registration_date: dt.date, training_hours_required: Decimal = DEFAULT_TRAINING_HOURS
) -> CycleContext:
    r = registration_date
    after = add_years(r, -CYCLE_YEARS)
    return CycleContext(
        registration_date=r,
        cycle_after=after,
        first_day=after + dt.timedelta(days=1),
        validity_due_by=r + dt.timedelta(days=DUE_WINDOW_DAYS),
        late_first_before=r - dt.timedelta(days=DUE_WINDOW_DAYS),
        appraisal_years=tuple(range(r.year - CYCLE_YEARS, r.year)),
        training_hours_required=Decimal(training_hours_required),
    )


def validity_for(registration_date: dt.date) -> tuple[dt.date, dt.date]:
    """A 注册合格 conclusion is valid from R to R + 5 years − 1 day."""
    return registration_date, add_years(registration_date, CYCLE_YEARS) - dt.timedelta(days=1)


# --- Due ----------------------------------------------------------------------


def due_of(facts: TeacherFacts, ctx: CycleContext) -> tuple[str, tuple[str, ...]]:
    """The due line that matches first, with every reason of that line (§4): barred,
    then out_of_scope, then first / periodic / after_deferral / not_yet_due."""
    status = facts.certificate_status
    conclusion = facts.last_conclusion

    barred: list[str] = []
    if status is not None:
        if conclusion == CONCLUSION_UNQUALIFIED:
            barred.append(Reason.PREVIOUSLY_UNQUALIFIED)
        if status == STATUS_REVOKED:
            barred.append(Reason.CERTIFICATE_REVOKED)
        elif status == STATUS_LOST:
            barred.append(Reason.CERTIFICATE_LOST)
    if barred:
        return Due.BARRED, tuple(barred)

    out: list[str] = []
    if status is None:
        out.append(Reason.NO_CERTIFICATE)
    if facts.post_type == POST_OTHER:
        out.append(Reason.POST_OUT_OF_SCOPE)
    if facts.employment_type == EMPLOYMENT_OTHER:
        out.append(Reason.EMPLOYMENT_OUT_OF_SCOPE)
    if out:
        return Due.OUT_OF_SCOPE, tuple(out)

    r = ctx.registration_date
    if conclusion == CONCLUSION_DEFERRED:
        return Due.AFTER_DEFERRAL, (Reason.PREVIOUSLY_DEFERRED,)
    if conclusion == CONCLUSION_QUALIFIED:
        # A 合格 record without an end date cannot show a current validity, so it is
        # due (docs/rules.md, "missing validity").
        if facts.valid_to is None or facts.valid_to <= ctx.validity_due_by:
            return Due.PERIODIC, (Reason.VALIDITY_ENDING,)
        return Due.NOT_YET_DUE, (Reason.VALIDITY_CURRENT,)
    # Never registered.
    passed = facts.probation_passed_on
    if passed is None:
        # Listed so the reviewer verifies the date, never silently dropped (§4).
        return Due.FIRST, (Reason.NEVER_REGISTERED, Reason.PROBATION_DATE_MISSING)
    if passed > r:
        return Due.NOT_YET_DUE, (Reason.PROBATION_NOT_PASSED,)
    if passed < ctx.late_first_before:
        return Due.FIRST, (Reason.NEVER_REGISTERED, Reason.LATE_FIRST_REGISTRATION)
    return Due.FIRST, (Reason.NEVER_REGISTERED,)


# --- Suggestion -------------------------------------------------------------------


def training_hours_in_cycle(facts: TeacherFacts, ctx: CycleContext) -> Decimal:
    after, r = ctx.cycle_after, ctx.registration_date
    return sum((hours for day, hours in facts.training if after < day <= r), Decimal(0))


def merged_breaks(
    breaks: Sequence[tuple[dt.date, dt.date, bool]],
) -> list[tuple[dt.date, dt.date]]:
    """The unapproved break records merged into stops (§4): records that overlap or
    touch — one starts no later than the day after another ends — are one break.
    Approved records never count and never join an unapproved one. Sorted by start."""
    spans = sorted((start, end) for start, end, approved in breaks if not approved and end >= start)
    out: list[tuple[dt.date, dt.date]] = []
    for start, end in spans:
        if out and start <= out[-1][1] + dt.timedelta(days=1):
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def longest_break_in_cycle(facts: TeacherFacts, ctx: CycleContext) -> int:
    """Days inside the cycle of the longest merged unapproved break (0 when none)."""
    return max((break_days_in_cycle(s, e, ctx) for s, e in merged_breaks(facts.breaks)), default=0)


def judged_by_line_one_only(facts: TeacherFacts, due: str) -> bool:
    """A first registration, and an after-deferral one whose certificate was never
    注册合格 (no validity recorded), cannot yet have five appraisals and 360 hours: §4
    judges it by line 1 over the cycle's appraisal years, and by line 2 only for
    health."""
    if due == Due.FIRST:
        return True
    return due == Due.AFTER_DEFERRAL and facts.valid_to is None


def break_days_in_cycle(start: dt.date, end: dt.date, ctx: CycleContext) -> int:
    """Days of the break [start, end] inside the cycle (both ends counted)."""
    first = max(start, ctx.first_day)
    last = min(end, ctx.registration_date)
    return (last - first).days + 1 if last >= first else 0


def suggest(facts: TeacherFacts, due: str, ctx: CycleContext) -> tuple[str, tuple[str, ...]]:
    """The suggested conclusion of a due certificate and the reasons of its line."""
    if due not in DUE_TO_APPLY:
        return "", ()

    years = ctx.appraisal_years
    grades = [facts.appraisals.get(year) for year in years]

    unqualified: list[str] = []
    if any(facts.ethics.get(year) == ETHICS_FAILED for year in years):
        unqualified.append(Reason.ETHICS_FAILED)
    if any(a == GRADE_FAILED and b == GRADE_FAILED for a, b in itertools.pairwise(grades)):
        unqualified.append(Reason.APPRAISAL_FAILED_CONSECUTIVE)
    if unqualified:
        return Suggestion.UNQUALIFIED, tuple(unqualified)

    if judged_by_line_one_only(facts, due):
        if facts.health == HEALTH_UNFIT:
            return Suggestion.DEFERRED, (Reason.HEALTH_UNFIT,)
        return Suggestion.QUALIFIED, ()

    deferred: list[str] = []
    if training_hours_in_cycle(facts, ctx) < ctx.training_hours_required:
        deferred.append(Reason.TRAINING_HOURS_SHORT)
    # Touching or overlapping records are one stop (docs/rules.md, "breaks").
    if longest_break_in_cycle(facts, ctx) > BREAK_DAYS_LIMIT:
        deferred.append(Reason.UNAPPROVED_BREAK)
    if GRADE_FAILED in grades:
        deferred.append(Reason.APPRAISAL_FAILED)
    if GRADE_BASIC in grades:
        deferred.append(Reason.APPRAISAL_BASIC)
    if None in grades:
        deferred.append(Reason.APPRAISAL_MISSING)
    if facts.health == HEALTH_UNFIT:
        deferred.append(Reason.HEALTH_UNFIT)
    if deferred:
        return Suggestion.DEFERRED, tuple(deferred)
    return Suggestion.QUALIFIED, ()


def evaluate(facts: TeacherFacts, ctx: CycleContext) -> Precheck:
    due, due_reasons = due_of(facts, ctx)
    suggestion, suggestion_reasons = suggest(facts, due, ctx)
    return Precheck(due, suggestion, due_reasons + suggestion_reasons)


def precheck(
    facts: TeacherFacts,
    *,
    registration_date: dt.date,
    training_hours_required: Decimal | int = DEFAULT_TRAINING_HOURS,
) -> Precheck:
    """(due, suggestion, reasons) of one certificate for a campaign with registration
    date ``registration_date``."""
    return evaluate(facts, cycle_context(registration_date, Decimal(training_hours_required)))
