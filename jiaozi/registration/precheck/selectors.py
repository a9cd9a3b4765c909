"""Reads for the registration pre-check (注册预审): the whole database for the command,
and the staff screen starting from the user's jurisdiction (§9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from jiaozi.certificates.models import Certificate, CertificateStatus, Conclusion
from jiaozi.core.masking import mask_resident_id
from jiaozi.orgs.jurisdiction import scope_q
from jiaozi.orgs.models import Institution
from jiaozi.teachers.models import EmploymentType, PostType, Teacher

from .. import rules
from ..campaigns.selectors import campaign_context
from ..labels import DUE_LABELS, SUGGESTION_LABELS, reason_labels
from ..models import Campaign
from ..rules import CycleContext, Due, Precheck
from .facts import CHUNK_SIZE, PrecheckRow, evaluate_teachers, iter_precheck, teacher_rows

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

# --- Pre-check: the whole database (the command) -------------------------------------


def precheck_context(
    *, registration_date: dt.date, training_hours_required: Decimal | None = None
) -> CycleContext:
    """The rule context for R. Without an explicit threshold, the setting of the
    campaign whose registration date is R (the active one first) applies, else 360."""
    if training_hours_required is None:
        campaign = (
            Campaign.objects.filter(registration_date=registration_date)
            .order_by("-is_active", "-year")
            .first()
        )
        training_hours_required = (
            campaign.training_hours_required if campaign is not None else rules.DEFAULT_TRAINING_HOURS
        )
    return rules.cycle_context(registration_date, Decimal(training_hours_required))


def precheck_stream(
    *, ctx: CycleContext, teachers: QuerySet[Teacher] | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[PrecheckRow]:
    """Every teacher's pre-check rows (all teachers unless ``teachers`` narrows them)."""
    return iter_precheck(ctx, teachers=teachers, chunk_size=chunk_size)


# --- Pre-check: the staff screen ------------------------------------------------------


def due_q(ctx: CycleContext, due: str = "") -> Q:
    """Certificates due to apply (first, periodic, after_deferral) as a filter, so the
    screen pages in SQL. It restates ``rules.due_of`` for those three lines; a test runs
    both over the same records and requires the same answer."""
    in_scope = (
        Q(status=CertificateStatus.VALID)
        & ~Q(teacher__post_type=PostType.OTHER)
        & ~Q(teacher__employment_type=EmploymentType.OTHER)
    )
    lines = {
        Due.FIRST: Q(last_conclusion="")
        & (
            Q(teacher__probation_passed_on__isnull=True)
            | Q(teacher__probation_passed_on__lte=ctx.registration_date)
        ),
        Due.PERIODIC: Q(last_conclusion=Conclusion.QUALIFIED)
        & (Q(valid_to__isnull=True) | Q(valid_to__lte=ctx.validity_due_by)),
        Due.AFTER_DEFERRAL: Q(last_conclusion=Conclusion.DEFERRED),
    }
    if due:
        return in_scope & lines[Due(due)]
    return in_scope & (lines[Due.FIRST] | lines[Due.PERIODIC] | lines[Due.AFTER_DEFERRAL])


@dataclass(frozen=True)
class PrecheckFilters:
    school: int | None = None
    due: str = ""
    suggestion: str = ""
    reason: str = ""
    q: str = ""

    @property
    def needs_rules(self) -> bool:
        """Suggestion and reason are computed by the rules, not stored: filtering on
        them evaluates the whole (SQL-narrowed) scope before paging."""
        return bool(self.suggestion or self.reason)

    def matches(self, result: Precheck) -> bool:
        if self.suggestion and result.suggestion != self.suggestion:
            return False
        return not (self.reason and self.reason not in result.reasons)


@dataclass
class PrecheckItem:
    certificate_id: int
    certificate_number: str
    teacher_id: int
    teacher_name: str
    school_name: str
    qualification_type: str
    valid_to: dt.date | None
    result: Precheck
    resident_id_masked: str = ""

    @property
    def due(self) -> str:
        return self.result.due

    @property
    def suggestion(self) -> str:
        return self.result.suggestion

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.result.reasons

    @property
    def due_label(self) -> str:
        return str(DUE_LABELS.get(self.due, self.due))

    @property
    def suggestion_label(self) -> str:
        return str(SUGGESTION_LABELS.get(self.suggestion, self.suggestion))

    @property
    def reason_labels(self) -> list[str]:
        return reason_labels(self.reasons)


def precheck_certificates_visible_to(
    *, user: User, ctx: CycleContext, filters: PrecheckFilters
) -> QuerySet[Certificate]:
    """Certificates due in the campaign within the user's jurisdiction, narrowed by the
    filters SQL can apply (school, due type, name or number), in display order."""
    queryset = Certificate.objects.filter(scope_q(user, path_field="teacher__school__path")).filter(
        due_q(ctx, filters.due)
    )
    if filters.school:
        queryset = queryset.filter(teacher__school_id=filters.school)
    q = filters.q.strip()
    if q:
        queryset = queryset.filter(Q(number__startswith=q) if q.isdigit() else Q(teacher__name__contains=q))
    return queryset.order_by("teacher__school__path", "teacher__name", "teacher_id", "number")


def precheck_count_by_due(*, user: User, ctx: CycleContext, filters: PrecheckFilters) -> dict[str, int]:
    """How many certificates are due, per due type, under the SQL filters (one query)."""
    base = precheck_certificates_visible_to(
        user=user, ctx=ctx, filters=PrecheckFilters(school=filters.school, q=filters.q)
    ).order_by()
    counts = base.aggregate(
        **{
            str(due): Count("pk", filter=due_q(ctx, due))
            for due in (Due.FIRST, Due.PERIODIC, Due.AFTER_DEFERRAL)
        }
    )
    return {key: int(value or 0) for key, value in counts.items()}


def _results_for_teachers(teacher_ids: Sequence[int], ctx: CycleContext) -> dict[int, Precheck]:
    """certificate id → result for every certificate of these teachers (≤ 6 queries)."""
    return {
        row.certificate_id: row.result
        for row in evaluate_teachers(teacher_rows(sorted(teacher_ids)), ctx)
        if row.certificate_id is not None
    }


_DISPLAY_FIELDS = (
    "pk",
    "number",
    "teacher_id",
    "teacher__name",
    "teacher__school__name",
    "qualification_type",
    "valid_to",
)


def _items(rows: Sequence[tuple[Any, ...]], results: dict[int, Precheck]) -> list[PrecheckItem]:
    return [
        PrecheckItem(
            certificate_id=pk,
            certificate_number=number,
            teacher_id=teacher_id,
            teacher_name=name,
            school_name=school,
            qualification_type=qualification,
            valid_to=valid_to,
            result=results[pk],
        )
        for pk, number, teacher_id, name, school, qualification, valid_to in rows
    ]


class PrecheckList:
    """A lazily evaluated list for ``Paginator``: only the requested page is loaded and
    judged (a fixed number of queries whatever the page size), unless a suggestion or
    reason filter forces the whole narrowed scope to be judged first."""

    def __init__(self, queryset: QuerySet[Certificate], ctx: CycleContext, filters: PrecheckFilters) -> None:
        self._queryset = queryset
        self._ctx = ctx
        self._filters = filters
        self._ids: list[int] | None = None
        self._results: dict[int, Precheck] = {}
        self._len: int | None = None
        if filters.needs_rules:
            self._judge_all()

    def _judge_all(self) -> None:
        pairs = list(self._queryset.values_list("pk", "teacher_id"))
        teacher_ids = list(dict.fromkeys(teacher_id for _pk, teacher_id in pairs))
        for start in range(0, len(teacher_ids), CHUNK_SIZE):
            self._results.update(_results_for_teachers(teacher_ids[start : start + CHUNK_SIZE], self._ctx))
        self._ids = [pk for pk, _t in pairs if self._filters.matches(self._results[pk])]

    def __len__(self) -> int:
        if self._len is None:
            self._len = len(self._ids) if self._ids is not None else self._queryset.count()
        return self._len

    def __getitem__(self, index: slice) -> list[PrecheckItem]:
        if not isinstance(index, slice):
            raise TypeError("PrecheckList supports slices only.")
        if self._ids is not None:
            ids = self._ids[index]
            by_pk = {row[0]: row for row in self._queryset.filter(pk__in=ids).values_list(*_DISPLAY_FIELDS)}
            return _items([by_pk[pk] for pk in ids], self._results)
        rows = list(self._queryset.values_list(*_DISPLAY_FIELDS)[index])
        results = _results_for_teachers(list(dict.fromkeys(row[2] for row in rows)), self._ctx)
        return _items(rows, results)


def precheck_list_visible_to(*, user: User, campaign: Campaign, filters: PrecheckFilters) -> PrecheckList:
    """The pre-check screen's rows: certificates due in ``campaign`` in the user's
    jurisdiction with their suggestion and reasons, filtered."""
    ctx = campaign_context(campaign)
    return PrecheckList(precheck_certificates_visible_to(user=user, ctx=ctx, filters=filters), ctx, filters)


def precheck_export_count(*, user: User, campaign: Campaign, filters: PrecheckFilters) -> int:
    """The rows an export of the filtered screen writes at most: the certificates of the
    SQL-narrowed scope (the suggestion and reason filters can only remove rows), counted
    without judging them."""
    ctx = campaign_context(campaign)
    return precheck_certificates_visible_to(user=user, ctx=ctx, filters=filters).count()


def precheck_export_items(
    *, user: User, campaign: Campaign, filters: PrecheckFilters, batch_size: int = 2000
) -> Iterator[PrecheckItem]:
    """Every row of the filtered screen, with the resident ID masked, a batch at a time
    (for exports: flat memory whatever the size)."""
    ctx = campaign_context(campaign)
    queryset = precheck_certificates_visible_to(user=user, ctx=ctx, filters=filters)
    pairs = list(queryset.values_list("pk", "teacher_id"))
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start : start + batch_size]
        teacher_ids = list(dict.fromkeys(teacher_id for _pk, teacher_id in batch))
        results = _results_for_teachers(teacher_ids, ctx)
        ids = [pk for pk, _t in batch if filters.matches(results[pk])]
        if not ids:
            continue
        by_pk = {row[0]: row for row in queryset.filter(pk__in=ids).values_list(*_DISPLAY_FIELDS)}
        resident_ids = dict(Teacher.objects.filter(pk__in=teacher_ids).values_list("pk", "resident_id"))
        for item in _items([by_pk[pk] for pk in ids], results):
            item.resident_id_masked = mask_resident_id(resident_ids.get(item.teacher_id))
            yield item


def precheck_school_choices(*, user: User) -> QuerySet[Institution]:
    """Schools in the user's jurisdiction, for the school filter."""
    return (
        Institution.objects.filter(scope_q(user, path_field="path"), kind=Institution.Kind.SCHOOL)
        .order_by("path")
        .only("pk", "name", "code")
    )
