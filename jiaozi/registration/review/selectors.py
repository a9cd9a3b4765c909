"""Reviewer queues (§5, §10): which applications wait for the signed-in reviewer, which
their institution has handled, and everything in their jurisdiction — with the
filters, search and sorting of the queue page, and the read of one application for
its detail page.

The level comes from the user's role (``LEVELS``): a school reviewer holds
``SCHOOL_REVIEW`` applications of their school, a registration reviewer the
``REGISTRATION_REVIEW`` / ``CONCLUDED`` / ``NOTICE_PAUSED`` ones of their authority, a
city rechecker ``CITY_RECHECK`` of their bureau, a province reviewer
``PROVINCE_REVIEW``. "待办" matches the application's own chain foreign key (fixed at
submission, indexed with the status) instead of the jurisdiction path: it is what the
workflow checks when the reviewer acts, and an index lookup rather than a join over
the institution tree (docs/decisions/0100-review-queue-scopes.md). "已办" and "全部"
start from ``application_list_visible_to`` (the path of the user's institution).

A queue page costs a fixed number of queries whatever its size: the count, the page
itself (with teacher, certificate and school joined in), the tab counts, the filter
choices. Nothing is loaded per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import F, Func, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaozi.accounts.actor import is_active_staff
from jiaozi.certificates.stages import type_fits_stage
from jiaozi.core import clock, idcard
from jiaozi.core.fields import field_lookup
from jiaozi.core.masking import mask_phone, mask_resident_id
from jiaozi.orgs.jurisdiction import scope_q
from jiaozi.orgs.models import Institution
from jiaozi.teachers.models import (
    AnnualAppraisal,
    EthicsAppraisal,
    Teacher,
    TeachingBreak,
    TrainingRecord,
)

from .. import rules
from ..applications.selectors import application_get_visible_to, application_list_visible_to
from ..labels import DUE_LABELS, SUGGESTION_LABELS, reason_labels
from ..models import Application, ApplicationStep, Material
from ..workflow import ACTIONS_OF_LEVEL, REVIEW_LEVELS, TRANSITIONS, Action, Actor, Status, statuses_held_by

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiaozi.accounts.models import User

# --- Levels -------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One review level: the workflow actor it plays, the application foreign key that
    names the holding institution, the statuses it holds, and the actions offered as
    batch actions (in this order)."""

    role: str
    actor: str
    holder_field: str
    statuses: tuple[str, ...]
    batch_actions: tuple[str, ...]
    # Actions that mark an application as handled by this level ("已办").
    actions: tuple[str, ...]

    @property
    def can_conclude(self) -> bool:
        return self.actor == Actor.REGISTRATION

    @property
    def batch_statuses(self) -> frozenset[str]:
        """The statuses from which one of the level's batch actions can be taken (a
        registration reviewer's CONCLUDED rows wait for the notice, not for a batch)."""
        return frozenset(
            t.source for t in TRANSITIONS if t.actor == self.actor and t.action in self.batch_actions
        )


# Derived from the workflow: which role acts at which level (``REVIEW_LEVELS``), the
# statuses that level holds (``HOLDER``) and the actions it takes (the table).
LEVELS: dict[str, Level] = {
    r.role: Level(
        role=r.role,
        actor=r.level,
        holder_field=r.holder_field,
        statuses=statuses_held_by(r.level),
        batch_actions=r.batch_actions,
        actions=tuple(action for action in Action.values if action in ACTIONS_OF_LEVEL[r.level]),
    )
    for r in REVIEW_LEVELS
}

QUEUE_ROLES: frozenset[str] = frozenset(LEVELS)


def level_for(user: User | AnonymousUser | None) -> Level | None:
    """The review level of an active staff user with an institution, else None."""
    if not is_active_staff(user):
        return None
    return LEVELS.get(user.role)


# --- Filters ----------------------------------------------------------------------


class Tab(models.TextChoices):
    TODO = "todo", _("待办")
    DONE = "done", _("已办")
    ALL = "all", _("全部")


# Statuses a reviewer never sees: a draft is the applicant's own until submitted.
HIDDEN_STATUSES: tuple[str, ...] = (Status.DRAFT,)

# ``?sort=`` keys → fields; the primary key breaks ties so pages never overlap.
SORTS: dict[str, tuple[str, ...]] = {
    "deadline": ("step_deadline", "pk"),
    "submitted": ("submitted_at", "pk"),
    "name": ("teacher__name", "pk"),
    "number": ("certificate__number",),
    "school": ("school__code", "pk"),
    "status": ("status", "pk"),
    "suggestion": ("suggestion", "pk"),
    "conclusion": ("conclusion", "pk"),
    "updated": ("updated_at", "pk"),
}
DEFAULT_SORT: dict[str, str] = {Tab.TODO: "deadline", Tab.DONE: "-updated", Tab.ALL: "-updated"}
PAGE_SIZES: tuple[int, ...] = (20, 50, 100)


class SearchKind(models.TextChoices):
    NAME = "name", _("姓名")
    RESIDENT_ID = "resident_id", _("身份证号")
    CERTIFICATE = "certificate", _("证书编号")


def search_kind(q: str) -> str:
    """How a search term is read: 18 characters of digits (last may be X) → a full
    resident ID (found through the blind index; a part of an ID cannot be searched);
    digits only → a certificate number (17 digits exact, fewer a prefix); anything
    else → a part of a name."""
    value = q.strip().upper()
    if len(value) == 18 and value[:17].isascii() and value[:17].isdigit() and value[17] in "0123456789X":
        return SearchKind.RESIDENT_ID
    if value.isascii() and value.isdigit():
        return SearchKind.CERTIFICATE
    return SearchKind.NAME


@dataclass(frozen=True)
class QueueFilters:
    tab: str = Tab.TODO
    authority: int | None = None
    school: int | None = None
    status: str = ""
    due: str = ""
    suggestion: str = ""
    overdue: bool = False
    q: str = ""
    # Only applications whose 注册结论 departs from the system's suggestion (the
    # rechecking levels look at these first; issue 9, item 5).
    mismatch: bool = False


def _search_q(q: str, *, user: User | None = None) -> Q:
    value = q.strip()
    kind = search_kind(value)
    if kind == SearchKind.RESIDENT_ID:
        value = idcard.normalise(value)
        if not idcard.is_valid(value):
            # An invalid number is nobody's: match nothing rather than a near miss.
            return Q(pk__in=[])
        return Q(**{f"teacher__{k}": v for k, v in field_lookup(Teacher, "resident_id", value).items()})
    if kind == SearchKind.CERTIFICATE:
        return Q(certificate__number=value) if len(value) == 17 else Q(certificate__number__startswith=value)
    # A name is looked up among the teachers of the user's jurisdiction first (a scan of
    # the covering (school, name) index of those schools), then their applications by
    # teacher: several times faster than joining every application in scope to its
    # teacher to test the name (docs/decisions/0106). A teacher who moved out of the
    # jurisdiction after applying is still found by resident ID or certificate number.
    teachers = Teacher.objects.filter(name__contains=value)
    if user is not None:
        teachers = teachers.filter(scope_q(user, path_field="school__path"))
    return Q(teacher_id__in=teachers.values("pk"))


def _todo_q(user: User, level: Level) -> Q:
    return Q(**{f"{level.holder_field}_id": user.institution_id, "status__in": level.statuses})


def _done_q(user: User, level: Level) -> Q:
    assert user.institution_id is not None  # level_for() answered
    handled = ApplicationStep.objects.filter(institution_id=user.institution_id, action__in=level.actions)
    return Q(pk__in=handled.values("application_id"))


def _visible(user: User) -> QuerySet[Application]:
    return application_list_visible_to(user=user).exclude(status__in=HIDDEN_STATUSES)


def queue_base(*, user: User, tab: str = Tab.TODO) -> QuerySet[Application]:
    """The applications of one tab, unfiltered and unordered."""
    level = level_for(user)
    if level is None:
        return Application.objects.none()
    if tab == Tab.TODO:
        return Application.objects.filter(_todo_q(user, level))
    if tab == Tab.DONE:
        return _visible(user).filter(_done_q(user, level))
    return _visible(user)


def apply_filters(
    queryset: QuerySet[Application], filters: QueueFilters, *, user: User | None = None
) -> QuerySet[Application]:
    if filters.authority:
        queryset = queryset.filter(registration_authority_id=filters.authority)
    if filters.school:
        queryset = queryset.filter(school_id=filters.school)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.due:
        queryset = queryset.filter(due=filters.due)
    if filters.suggestion:
        queryset = queryset.filter(suggestion=filters.suggestion)
    if filters.overdue:
        queryset = queryset.filter(step_deadline__lt=clock.now())
    if filters.mismatch:
        queryset = queryset.exclude(conclusion="").exclude(suggestion="").exclude(conclusion=F("suggestion"))
    if filters.q.strip():
        queryset = queryset.filter(_search_q(filters.q, user=user))
    return queryset


# Only what a queue row shows: the facts snapshot and the conclusion texts stay behind.
ROW_FIELDS: tuple[str, ...] = (
    "pk",
    "version",
    "status",
    "due",
    "suggestion",
    "suggestion_reasons",
    "conclusion",
    "submitted_at",
    "step_deadline",
    "updated_at",
    "school_id",
    "registration_authority_id",
    "city_bureau_id",
    "province_bureau_id",
    "teacher__name",
    "teacher__resident_id",
    "certificate__number",
    "certificate__qualification_type",
    "school__name",
    "school__code",
)


class QueueList:
    """The applications of a queue, paged in two steps: the page's ids from a narrow
    query on the application table alone (filtered, ordered, sliced — on the queue
    indexes this reads no table rows), then those rows with their teacher, certificate
    and school joined. One SQL statement per page (the ids are a subquery) plus the count,
    whatever the page size; without the first step the database joins every application
    in scope before sorting (docs/decisions/0106).

    Behaves like a sliceable sequence for ``django.core.paginator.Paginator``."""

    def __init__(self, narrow: QuerySet[Application], order_by: Sequence[str]) -> None:
        self.queryset = narrow.order_by(*order_by)
        self.order_by = list(order_by)

    def count(self) -> int:
        return self.queryset.order_by().count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Application]:
        if not isinstance(index, slice):
            raise TypeError("QueueList supports slices only")
        ids = self.queryset.values("pk")[index]
        return list(
            Application.objects.filter(pk__in=ids)
            .select_related("teacher", "certificate", "school")
            .only(*ROW_FIELDS)
            .order_by(*self.order_by)
        )

    def __iter__(self) -> Iterator[Application]:
        return iter(self[0 : self.count()])


def application_queue(*, user: User, filters: QueueFilters, order_by: Sequence[str] = ()) -> QueueList:
    """The filtered, ordered applications of ``filters.tab`` for ``user``."""
    queryset = apply_filters(queue_base(user=user, tab=filters.tab), filters, user=user)
    return QueueList(queryset, list(order_by) or default_order(filters.tab))


def default_order(tab: str) -> list[str]:
    key = DEFAULT_SORT[tab]
    fields = SORTS[key.lstrip("-")]
    return [f"-{f}" for f in fields] if key.startswith("-") else list(fields)


@dataclass(frozen=True)
class QueueCounts:
    todo: int
    overdue: int


def queue_counts(*, user: User) -> QueueCounts:
    """How many applications wait for the user, and how many of them are past their
    step deadline. One statement with two scalar subqueries: the first counts the
    holder/status range of the queue index, the second only its overdue part (a range on
    the deadline) — a single ``COUNT … FILTER`` would read every entry to test it."""
    level = level_for(user)
    if level is None:
        return QueueCounts(0, 0)

    def counted(queryset: QuerySet[Application]) -> Subquery:
        # COUNT as a plain function, not an aggregate: a scalar subquery without GROUP BY,
        # which both databases answer from the queue index alone.
        return Subquery(
            queryset.order_by()
            .annotate(n=Func(template="COUNT(*)", output_field=models.IntegerField()))
            .values("n")[:1],
            output_field=models.IntegerField(),
        )

    todo = Application.objects.filter(_todo_q(user, level))
    assert user.institution_id is not None  # level_for() answered
    row = (
        Institution.objects.filter(pk=user.institution_id)
        .annotate(
            todo=counted(todo),
            overdue=counted(todo.filter(step_deadline__lt=clock.now())),
        )
        .values("todo", "overdue")
        .first()
    )
    if row is None:
        return QueueCounts(0, 0)
    return QueueCounts(todo=row["todo"] or 0, overdue=row["overdue"] or 0)


def is_held_by(application: Application, *, user: User) -> bool:
    """The application waits for the user's level at the user's institution."""
    level = level_for(user)
    return (
        level is not None
        and application.status in level.statuses
        and getattr(application, f"{level.holder_field}_id") == user.institution_id
    )


# Badge colours of the statuses (the theme's tones): waiting at a review level reads
# "info", waiting on the applicant or paused "warning", filed "success".
STATUS_TONES: dict[str, str] = {
    Status.DRAFT: "neutral",
    Status.SCHOOL_REVIEW: "info",
    Status.REGISTRATION_REVIEW: "info",
    Status.CONCLUDED: "info",
    Status.NOTICE: "warning",
    Status.NOTICE_PAUSED: "danger",
    Status.CITY_RECHECK: "info",
    Status.PROVINCE_REVIEW: "info",
    Status.COMPLETED: "success",
    Status.RETURNED: "warning",
    Status.WITHDRAWN: "neutral",
}
SUGGESTION_TONES: dict[str, str] = {"qualified": "success", "deferred": "warning", "unqualified": "danger"}


@dataclass
class QueueRow:
    """One queue row with every text already resolved: a page of 100 rows renders from
    plain attributes, without a translation lookup, a URL reversal or a template
    include per cell (the queue's time budget, §10)."""

    application: Application
    pk: int
    version: int
    name: str
    url: str
    resident_id_masked: str
    certificate_number: str
    school_name: str
    due_label: str
    suggestion: str
    suggestion_label: str
    suggestion_tone: str
    reason_labels: list[str]
    status: str
    status_label: str
    status_tone: str
    conclusion: str
    conclusion_label: str
    conclusion_tone: str
    submitted: str
    deadline: str
    overdue: bool
    held: bool
    selectable: bool

    @property
    def departs(self) -> bool:
        """The conclusion departs from the system's suggestion."""
        return bool(self.conclusion and self.suggestion and self.conclusion != self.suggestion)

    @property
    def item(self) -> str:
        """The batch form's value: id and the version the reviewer saw."""
        return f"{self.pk}:{self.version}"


class _Labels:
    """Translated labels, looked up once per value and request."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], str] = {}

    def get(self, kind: str, value: str, table: Any) -> str:
        key = (kind, value)
        if key not in self._cache:
            label = table.get(value, "") if isinstance(table, dict) else table(value).label
            self._cache[key] = str(label) if label else ""
        return self._cache[key]


def _local(value: dt.datetime | None, fmt: str) -> str:
    return timezone.localtime(value).strftime(fmt) if value is not None else ""


def queue_rows(applications: Iterable[Application], *, user: User, next_query: str = "") -> list[QueueRow]:
    """Decorate a page of applications for display; no queries. ``next_query`` (e.g.
    ``?next=…``) is appended to each row's detail link."""
    from jiaozi.certificates.models import Conclusion

    now = clock.now()
    level = level_for(user)
    batchable = level.batch_statuses if level is not None else frozenset()
    labels = _Labels()
    reason_cache: dict[str, str] = {}
    # One reversal for the page: the detail URL differs only by the id.
    sentinel = 987654321
    url_pattern = reverse("registration:application_detail", args=[sentinel]).replace(str(sentinel), "{pk}")
    rows = []
    for app in applications:
        held = is_held_by(app, user=user)
        reasons = []
        for code in app.suggestion_reasons or []:
            if code not in reason_cache:
                reason_cache[code] = reason_labels([code])[0]
            reasons.append(reason_cache[code])
        rows.append(
            QueueRow(
                application=app,
                pk=app.pk,
                version=app.version,
                name=app.teacher.name,
                url=url_pattern.format(pk=app.pk) + next_query,
                resident_id_masked=mask_resident_id(app.teacher.resident_id),
                certificate_number=app.certificate.number,
                school_name=app.school.name,
                due_label=labels.get("due", app.due, DUE_LABELS) or app.due,
                suggestion=app.suggestion,
                suggestion_label=labels.get("suggestion", app.suggestion, SUGGESTION_LABELS),
                suggestion_tone=SUGGESTION_TONES.get(app.suggestion, "neutral"),
                reason_labels=reasons,
                status=app.status,
                status_label=labels.get("status", app.status, Status),
                status_tone=STATUS_TONES.get(app.status, "neutral"),
                conclusion=app.conclusion,
                conclusion_label=labels.get("conclusion", app.conclusion, Conclusion)
                if app.conclusion
                else "",
                conclusion_tone=SUGGESTION_TONES.get(app.conclusion, "neutral"),
                submitted=_local(app.submitted_at, "%Y-%m-%d"),
                deadline=_local(app.step_deadline, "%Y-%m-%d"),
                overdue=held and app.step_deadline is not None and app.step_deadline < now,
                held=held,
                selectable=held and app.status in batchable,
            )
        )
    return rows


def authority_choices(*, user: User) -> QuerySet[Institution]:
    """Reviewing institutions (bureaus and departments) below the user's own, for the
    city and province queues' 注册机构 filter."""
    institution = getattr(user, "institution", None)
    if institution is None:
        return Institution.objects.none()
    return (
        Institution.objects.filter(
            scope_q(user, path_field="path"),
            kind__in=(Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT),
        )
        .exclude(pk=institution.pk)
        .order_by("path")
        .only("pk", "name", "code")
    )


def school_choices(*, user: User, authority: int | None = None) -> QuerySet[Institution]:
    """Schools in the user's jurisdiction (those reviewed by ``authority`` when given)."""
    queryset = Institution.objects.filter(scope_q(user, path_field="path"), kind=Institution.Kind.SCHOOL)
    if authority:
        queryset = queryset.filter(parent_id=authority)
    return queryset.order_by("path").only("pk", "name", "code")


# --- One application ----------------------------------------------------------------


@dataclass
class TeacherRecords:
    """The teacher's records that the rules read for this cycle."""

    cycle_first_day: dt.date
    cycle_last_day: dt.date
    appraisal_years: tuple[int, ...]
    annual: list[AnnualAppraisal]
    ethics: list[EthicsAppraisal]
    training: list[TrainingRecord]
    training_hours: Decimal
    training_hours_required: Decimal
    breaks: list[TeachingBreak]

    @property
    def training_short(self) -> bool:
        return self.training_hours < self.training_hours_required


def teacher_records(*, application: Application) -> TeacherRecords:
    """Appraisals of the cycle's appraisal years, training records and breaks inside the
    cycle (four queries)."""
    campaign = application.campaign
    ctx = rules.cycle_context(campaign.registration_date, Decimal(campaign.training_hours_required))
    teacher_id = application.teacher_id
    training = list(
        TrainingRecord.objects.filter(
            teacher_id=teacher_id, date__gt=ctx.cycle_after, date__lte=ctx.registration_date
        ).order_by("date", "pk")
    )
    return TeacherRecords(
        cycle_first_day=ctx.first_day,
        cycle_last_day=ctx.registration_date,
        appraisal_years=ctx.appraisal_years,
        annual=list(
            AnnualAppraisal.objects.filter(teacher_id=teacher_id, year__in=ctx.appraisal_years).order_by(
                "year"
            )
        ),
        ethics=list(
            EthicsAppraisal.objects.filter(teacher_id=teacher_id, year__in=ctx.appraisal_years).order_by(
                "year"
            )
        ),
        training=training,
        training_hours=sum((t.hours for t in training), Decimal(0)),
        training_hours_required=ctx.training_hours_required,
        breaks=list(
            TeachingBreak.objects.filter(
                teacher_id=teacher_id, end__gt=ctx.cycle_after, start__lte=ctx.registration_date
            ).order_by("start")
        ),
    )


def application_get_for_review(*, user: User, pk: Any) -> Application:
    """One application in the user's jurisdiction with its chain, teacher, certificate,
    campaign and notice joined in (one query); ``NotFound`` for out-of-scope and missing
    alike."""
    return application_get_visible_to(user=user, pk=pk)


def application_materials(*, application: Application) -> list[Material]:
    return list(application.materials.order_by("kind", "uploaded_at", "pk"))


@dataclass(frozen=True)
class Explanation:
    """The rules' verdict on the application, in Chinese."""

    due: str
    due_label: str
    suggestion: str
    suggestion_label: str
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PendingReviewRequest:
    """申请复核 waiting for this level's decision: what the applicant wrote and sent."""

    at: dt.datetime
    reasons: str
    evidence: list[Material]


REVIEW_PENDING = frozenset({Status.REVIEW_AT_CITY, Status.REVIEW_AT_PROVINCE})


def pending_review_request(
    application: Application, steps: Sequence[ApplicationStep], materials: Sequence[Material]
) -> PendingReviewRequest | None:
    """The latest REQUEST_REVIEW step and the review evidence, while the level above
    has still to decide (the steps and materials the detail page has already read)."""
    if application.status not in REVIEW_PENDING:
        return None
    step = next((s for s in reversed(steps) if s.action == Action.REQUEST_REVIEW), None)
    if step is None:
        return None
    evidence = [m for m in materials if m.kind == Material.Kind.REVIEW_EVIDENCE]
    return PendingReviewRequest(at=step.at, reasons=step.opinion, evidence=evidence)


def type_stage_warning(application: Application) -> str:
    """ "" or a note for the reviewer that the certificate's type does not fit the
    school's stage (the teacher import's warning, docs/decisions/0254)."""
    certificate, school = application.certificate, application.school
    if type_fits_stage(certificate.qualification_type, school.stage):
        return ""
    return str(
        _("资格种类“%(type)s”与任教学校学段“%(stage)s”不符，请核实证书与任教岗位。")
        % {"type": certificate.get_qualification_type_display(), "stage": school.get_stage_display()}
    )


def explanation(application: Application) -> Explanation:
    return Explanation(
        due=application.due,
        due_label=str(DUE_LABELS.get(application.due, application.due)),
        suggestion=application.suggestion,
        suggestion_label=str(SUGGESTION_LABELS.get(application.suggestion, "")),
        reasons=reason_labels(list(application.suggestion_reasons or [])),
    )


@dataclass(frozen=True)
class Revealed:
    resident_id: str
    phone: str


def masked_personal(application: Application) -> Revealed:
    return Revealed(
        resident_id=mask_resident_id(application.teacher.resident_id),
        phone=mask_phone(application.phone or ""),
    )


def applications_for_batch(*, user: User, ids: Sequence[int]) -> list[Application]:
    """The applications named in a batch that wait for the user (one query), in the
    order given. Others are left out: the confirmation page says how many."""
    level = level_for(user)
    if level is None or not ids:
        return []
    found = {
        a.pk: a
        for a in Application.objects.filter(
            _todo_q(user, level), status__in=level.batch_statuses, pk__in=list(ids)
        )
        .select_related("teacher", "certificate", "school")
        .only(*ROW_FIELDS)
    }
    return [found[i] for i in ids if i in found]


def applications_by_ids(*, user: User, ids: Sequence[int]) -> dict[int, Application]:
    """Applications in the user's jurisdiction by id (for a batch's result page)."""
    if not ids:
        return {}
    return {
        a.pk: a
        for a in _visible(user)
        .filter(pk__in=list(ids))
        .select_related("teacher", "certificate", "school")
        .only(*ROW_FIELDS)
    }
