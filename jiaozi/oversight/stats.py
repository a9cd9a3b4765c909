"""Statistics over a jurisdiction (统计, PRODUCT §9, §10; docs/decisions/0243).

The figures live in a summary table (``StatisticsCell``): for every institution, the
counts of its whole subtree by dimension and key. ``statistics_refresh`` rebuilds one
campaign's (or certification batch's) cells in one transaction — one ``GROUP BY`` per
dimension over the applications, grouped by the owning institution (the school for a
registration, the certifying authority for a certification), then added up each
owner's chain of ancestors. Pages and the API read only the summary: one
institution's rows and its children's, whatever the number of applications.

Viewers and drill-down are the data audit's (``dataaudit.can_view`` / ``node_for``)."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Conclusion, QualificationType
from jiaozi.certification import workflow as cert_workflow
from jiaozi.certification.models import CertificationApplication, CertificationBatch
from jiaozi.core import clock
from jiaozi.core.errors import NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.roles import Role
from jiaozi.directory.models import RegistrationPlan
from jiaozi.orgs.models import Division, Institution, Level
from jiaozi.registration.labels import DUE_LABELS
from jiaozi.registration.models import Application, Campaign
from jiaozi.registration.workflow import TERMINAL, Status

from . import dataaudit
from .models import StatisticsCell, StatisticsRun

Scope = StatisticsCell.Scope
REFRESH_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_REVIEWER})
INSERT_BATCH = 5000
CertStatus = cert_workflow.Status
# Certification statuses in which the 30-working-day clock runs or has stopped.
CERT_OPEN = (CertStatus.CONFIRMATION, CertStatus.CONFIRM_REFUSED, CertStatus.DECISION)
CERT_DECIDED = (CertStatus.CERTIFIED, CertStatus.REFUSED)


@dataclass(frozen=True)
class Dimension:
    scope: str
    name: str
    title: Any


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(Scope.REGISTRATION, "status", gettext_lazy("按办理环节")),
    Dimension(Scope.REGISTRATION, "conclusion", gettext_lazy("按注册结论")),
    Dimension(Scope.REGISTRATION, "county", gettext_lazy("按区县")),
    Dimension(Scope.REGISTRATION, "school_type", gettext_lazy("按学校类型")),
    Dimension(Scope.REGISTRATION, "qualification", gettext_lazy("按资格种类")),
    Dimension(Scope.REGISTRATION, "due", gettext_lazy("按注册类型")),
    Dimension(Scope.REGISTRATION, "deadline", gettext_lazy("办理期限")),
    Dimension(Scope.REGISTRATION, "plan", gettext_lazy("注册计划完成情况")),
    Dimension(Scope.CERTIFICATION, "cert_status", gettext_lazy("按办理环节")),
    Dimension(Scope.CERTIFICATION, "cert_type", gettext_lazy("按资格种类")),
    Dimension(Scope.CERTIFICATION, "cert_authority", gettext_lazy("按认定机构")),
    Dimension(Scope.CERTIFICATION, "cert_decision", gettext_lazy("认定办理时限（30个工作日）")),
)
DIMENSION_OF = {d.name: d for d in DIMENSIONS}

DEADLINE_LABELS = {
    "overdue": gettext_lazy("超过办理期限未办结"),
    "open": gettext_lazy("在办理期限内"),
    "closed": gettext_lazy("已办结"),
}
PLAN_LABELS = {
    "planned": gettext_lazy("计划注册人数"),
    "applied": gettext_lazy("已提交申请"),
    "completed": gettext_lazy("已完成注册"),
}
DECISION_LABELS = {
    "on_time": gettext_lazy("按期作出结论"),
    "late": gettext_lazy("超期作出结论"),
    "pending": gettext_lazy("办理中，未超期"),
    "overdue": gettext_lazy("办理中，已超期"),
}
NONE_LABEL = gettext_lazy("未填写")


# --- Refresh -------------------------------------------------------------------------------


def _ancestors(owner_paths: dict[int, str]) -> dict[int, list[int]]:
    """Owner institution → itself and every institution above it (by the codes in its
    path), in one query."""
    codes = {code for path in owner_paths.values() for code in path.strip("/").split("/") if code}
    by_code = dict(Institution.objects.filter(code__in=codes).values_list("code", "pk"))
    return {
        owner: [by_code[code] for code in path.strip("/").split("/") if code in by_code]
        for owner, path in owner_paths.items()
    }


class _Cells:
    """node → (dimension, key) → count, added up each owner's chain of ancestors."""

    def __init__(self) -> None:
        self.owner_counts: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))

    def add_rows(self, dimension: str, rows: Iterable[dict[str, Any]], owner: str, key: str) -> None:
        for row in rows:
            if row[owner] is None:
                continue
            value = row[key]
            self.owner_counts[row[owner]][(dimension, "" if value is None else str(value))] += row["n"]

    def rolled(self) -> Iterator[tuple[int, str, str, int]]:
        paths = dict(Institution.objects.filter(pk__in=list(self.owner_counts)).values_list("pk", "path"))
        chains = _ancestors(paths)
        totals: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        for owner, counts in self.owner_counts.items():
            for node in chains.get(owner, [owner]):
                per_node = totals[node]
                for dim_key, n in counts.items():
                    per_node[dim_key] += n
        for node, counts in totals.items():
            for (dimension, key), n in counts.items():
                if n:
                    yield node, dimension, key, n


def _grouped(qs: QuerySet[Any], owner: str, key: str) -> Iterable[dict[str, Any]]:
    return qs.order_by().values(owner, key).annotate(n=Count("pk"))


def _registration_cells(campaign: Campaign, now: dt.datetime) -> tuple[_Cells, int]:
    cells = _Cells()
    every = Application.objects.filter(campaign=campaign)
    active = every.exclude(status=Status.WITHDRAWN)
    owner = "school_id"
    cells.add_rows("status", _grouped(every, owner, "status"), owner, "status")
    cells.add_rows(
        "conclusion", _grouped(active.exclude(conclusion=""), owner, "conclusion"), owner, "conclusion"
    )
    cells.add_rows("county", _grouped(active, owner, "school__division_id"), owner, "school__division_id")
    cells.add_rows("school_type", _grouped(active, owner, "school__stage"), owner, "school__stage")
    qualification = "certificate__qualification_type"
    cells.add_rows("qualification", _grouped(active, owner, qualification), owner, qualification)
    cells.add_rows("due", _grouped(active, owner, "due"), owner, "due")
    deadline = active.exclude(status=Status.DRAFT).annotate(
        state=Case(
            When(status__in=sorted(TERMINAL), then=Value("closed")),
            When(step_deadline__lt=now, then=Value("overdue")),
            default=Value("open"),
            output_field=CharField(),
        )
    )
    cells.add_rows("deadline", _grouped(deadline, owner, "state"), owner, "state")
    progress = active.exclude(status=Status.DRAFT).annotate(
        stage=Case(
            When(status=Status.COMPLETED, then=Value("completed")),
            default=Value("applied"),
            output_field=CharField(),
        )
    )
    rows = list(_grouped(progress, owner, "stage"))
    cells.add_rows("plan", rows, owner, "stage")
    # Completed applications were applied for too.
    cells.add_rows(
        "plan", [r | {"stage": "applied"} for r in rows if r["stage"] == "completed"], owner, "stage"
    )
    plans = RegistrationPlan.objects.filter(campaign=campaign).values("institution_id", "total")
    cells.add_rows(
        "plan", [{"o": p["institution_id"], "k": "planned", "n": p["total"]} for p in plans], "o", "k"
    )
    return cells, every.count()


def _certification_cells(batch: CertificationBatch, today: dt.date) -> tuple[_Cells, int]:
    cells = _Cells()
    every = CertificationApplication.objects.filter(batch=batch)
    owner = "authority_id"
    cells.add_rows("cert_status", _grouped(every, owner, "status"), owner, "status")
    active = every.exclude(status__in=(CertStatus.DRAFT, CertStatus.WITHDRAWN))
    cells.add_rows("cert_type", _grouped(active, owner, "qualification_type"), owner, "qualification_type")
    cells.add_rows("cert_authority", _grouped(active, owner, "authority_id"), owner, "authority_id")
    timed = (
        every.filter(Q(status__in=CERT_OPEN) | Q(status__in=CERT_DECIDED))
        .exclude(decision_deadline__isnull=True)
        .annotate(
            decided_on=TruncDate("decided_at"),
        )
        .annotate(
            state=Case(
                When(status__in=CERT_DECIDED, decided_on__lte=F("decision_deadline"), then=Value("on_time")),
                When(status__in=CERT_DECIDED, then=Value("late")),
                When(decision_deadline__lt=today, then=Value("overdue")),
                default=Value("pending"),
                output_field=CharField(),
            )
        )
    )
    cells.add_rows("cert_decision", _grouped(timed, owner, "state"), owner, "state")
    return cells, every.count()


def _rewrite(scope: str, source_id: int, cells: _Cells, applications: int, started: float) -> StatisticsRun:
    now = clock.now()
    with transaction.atomic():
        # The run row first, locked: two refreshes of one source take turns.
        run, _created = StatisticsRun.objects.select_for_update().get_or_create(
            scope=scope, source_id=source_id, defaults={"computed_at": now}
        )
        StatisticsCell.objects.filter(scope=scope, source_id=source_id).delete()
        batch: list[StatisticsCell] = []
        written = 0
        for node, dimension, key, n in cells.rolled():
            batch.append(
                StatisticsCell(
                    scope=scope, source_id=source_id, node_id=node, dimension=dimension, key=key, count=n
                )
            )
            if len(batch) >= INSERT_BATCH:
                StatisticsCell.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        StatisticsCell.objects.bulk_create(batch)
        written += len(batch)
        run.computed_at = now
        run.applications = applications
        run.cells = written
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["computed_at", "applications", "cells", "seconds"])
    return run


def registration_refresh(campaign: Campaign) -> StatisticsRun:
    """Recompute one campaign's cells (delete and insert in one transaction)."""
    started = time.perf_counter()
    cells, applications = _registration_cells(campaign, clock.now())
    return _rewrite(Scope.REGISTRATION, campaign.pk, cells, applications, started)


def certification_refresh(batch: CertificationBatch) -> StatisticsRun:
    started = time.perf_counter()
    cells, applications = _certification_cells(batch, clock.today())
    return _rewrite(Scope.CERTIFICATION, batch.pk, cells, applications, started)


# Deadline states move with the clock alone: a summary older than this is recomputed
# even when no application changed.
STALE_AFTER = dt.timedelta(hours=1)


def _due(scope: str, source_id: int, changed: QuerySet[Any], now: dt.datetime) -> bool:
    """Whether the periodic job should recompute a source: rows changed since the last
    run, or the run is stale; never computed and nothing to count is not due."""
    run = StatisticsRun.objects.filter(scope=scope, source_id=source_id).first()
    if run is None:
        return changed.exists()
    return run.computed_at < now - STALE_AFTER or changed.filter(updated_at__gt=run.computed_at).exists()


def statistics_refresh_due() -> int:
    """The periodic job: refresh each active campaign and batch whose summary is out of
    date (see ``_due``). Returns how many were refreshed."""
    now = clock.now()
    done = 0
    for campaign in Campaign.objects.filter(is_active=True).order_by("pk"):
        plans = RegistrationPlan.objects.filter(campaign=campaign)
        run = StatisticsRun.objects.filter(scope=Scope.REGISTRATION, source_id=campaign.pk).first()
        plan_changed = plans.filter(submitted_at__gt=run.computed_at).exists() if run else plans.exists()
        apps = Application.objects.filter(campaign=campaign)
        if plan_changed or _due(Scope.REGISTRATION, campaign.pk, apps, now):
            registration_refresh(campaign)
            done += 1
    for batch in CertificationBatch.objects.filter(is_active=True).order_by("pk"):
        certs = CertificationApplication.objects.filter(batch=batch)
        if _due(Scope.CERTIFICATION, batch.pk, certs, now):
            certification_refresh(batch)
            done += 1
    return done


def statistics_refresh_all(*, province_code: str | None = None, active_only: bool = True) -> int:
    """Refresh every (active) campaign and certification batch, of one province or all,
    whether out of date or not. Returns how many sources were refreshed (the command)."""
    campaigns = Campaign.objects.all()
    batches = CertificationBatch.objects.all()
    if active_only:
        campaigns = campaigns.filter(is_active=True)
        batches = batches.filter(is_active=True)
    if province_code:
        campaigns = campaigns.filter(province_code=province_code)
        batches = batches.filter(province_code=province_code)
    done = 0
    for campaign in campaigns.order_by("pk"):
        registration_refresh(campaign)
        done += 1
    for batch in batches.order_by("pk"):
        certification_refresh(batch)
        done += 1
    return done


def can_refresh(user: User | None) -> bool:
    if not dataaudit.can_view(user):
        return False
    assert user is not None
    institution = user.institution
    return (
        actor_of(user).role in REFRESH_ROLES
        and institution is not None
        and institution.level == Level.PROVINCE
    )


def statistics_refresh(*, actor: User, campaign_id: Any = None, batch_id: Any = None) -> list[StatisticsRun]:
    """A province user's 刷新: recompute the chosen campaign and batch now, audited."""
    if not can_refresh(actor):
        raise PermissionDenied(_("只有省级用户可以刷新统计。"))
    campaign = campaign_for(user=actor, campaign_id=campaign_id)
    batch = batch_for(user=actor, batch_id=batch_id)
    runs = []
    if campaign is not None:
        runs.append(registration_refresh(campaign))
    if batch is not None:
        runs.append(certification_refresh(batch))
    audit_record(
        kind=AuditKind.STATISTICS_REFRESHED,
        actor=actor,
        obj=actor.institution,
        details={
            "campaign": campaign.pk if campaign else None,
            "batch": batch.pk if batch else None,
            "cells": sum(run.cells for run in runs),
        },
    )
    return runs


# --- Reads ---------------------------------------------------------------------------------


def _viewer(user: User | None) -> Institution:
    if not dataaudit.can_view(user):
        raise PermissionDenied(_("您的角色不能查看统计。"))
    assert user is not None
    assert user.institution is not None
    return user.institution


def campaigns_for(*, user: User) -> QuerySet[Campaign]:
    _viewer(user)
    return dataaudit.campaigns_for(user=user)


def campaign_for(*, user: User, campaign_id: Any = None) -> Campaign | None:
    campaigns = campaigns_for(user=user)
    if campaign_id:
        campaign = campaigns.filter(pk=campaign_id).first()
        if campaign is None:
            raise NotFound(_("定期注册工作不存在。"))
        return campaign
    return campaigns.first()


def batches_for(*, user: User) -> QuerySet[CertificationBatch]:
    institution = _viewer(user)
    return CertificationBatch.objects.filter(
        province_code=str(institution.division_id)[:2] + "0000"
    ).order_by("-is_active", "-year", "-pk")


def batch_for(*, user: User, batch_id: Any = None) -> CertificationBatch | None:
    batches = batches_for(user=user)
    if batch_id:
        batch = batches.filter(pk=batch_id).first()
        if batch is None:
            raise NotFound(_("认定批次不存在。"))
        return batch
    return batches.first()


def node_for(*, user: User, institution_id: Any = None) -> Institution:
    _viewer(user)
    return dataaudit.node_for(user=user, institution_id=institution_id)


@dataclass
class Row:
    key: str
    label: str
    count: int


@dataclass
class Table:
    dimension: str
    title: str
    rows: list[Row]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def largest(self) -> int:
        return max((row.count for row in self.rows), default=0)


@dataclass
class Child:
    institution: Institution
    figures: dict[str, int] = field(default_factory=dict)


@dataclass
class Figures:
    scope: str
    source_id: int | None
    node: Institution
    computed_at: dt.datetime | None
    tables: list[Table]
    children: list[Child]

    def table(self, dimension: str) -> Table | None:
        return next((t for t in self.tables if t.dimension == dimension), None)


def _labeller(dimension: str, keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    fixed: dict[str, Any] = {}
    if dimension == "status":
        fixed = dict(Status.choices)
    elif dimension == "cert_status":
        fixed = dict(CertStatus.choices)
    elif dimension == "conclusion":
        fixed = dict(Conclusion.choices)
    elif dimension in ("qualification", "cert_type"):
        fixed = dict(QualificationType.choices)
    elif dimension == "school_type":
        fixed = dict(Institution.Stage.choices)
    elif dimension == "due":
        fixed = dict(DUE_LABELS)
    elif dimension == "deadline":
        fixed = dict(DEADLINE_LABELS)
    elif dimension == "plan":
        fixed = dict(PLAN_LABELS)
    elif dimension == "cert_decision":
        fixed = dict(DECISION_LABELS)
    elif dimension == "county":
        fixed = dict(Division.objects.filter(code__in=keys).values_list("code", "name"))
    elif dimension == "cert_authority":
        ids = [int(k) for k in keys if k.isdigit()]
        fixed = {
            str(pk): name for pk, name in Institution.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    return {key: str(fixed.get(key, NONE_LABEL if key == "" else key)) for key in keys}


# The order of keys whose order means something (the workflow's, the plan's).
def _key_order(dimension: str) -> list[str]:
    orders: dict[str, list[str]] = {
        "status": list(Status.values),
        "cert_status": list(CertStatus.values),
        "conclusion": list(Conclusion.values),
        "deadline": list(DEADLINE_LABELS),
        "plan": list(PLAN_LABELS),
        "cert_decision": list(DECISION_LABELS),
        "due": [str(k) for k in DUE_LABELS],
        "qualification": list(QualificationType.values),
        "cert_type": list(QualificationType.values),
        "school_type": [*Institution.Stage.values, ""],
    }
    return orders.get(dimension, [])


# Figures shown for each child institution in the drill-down table.
CHILD_FIGURES: dict[str, tuple[tuple[str, str, Any], ...]] = {
    Scope.REGISTRATION: (
        ("planned", "plan", gettext_lazy("计划")),
        ("applied", "plan", gettext_lazy("已提交")),
        ("completed", "plan", gettext_lazy("已完成")),
        ("overdue", "deadline", gettext_lazy("超期")),
    ),
    Scope.CERTIFICATION: (
        ("on_time", "cert_decision", gettext_lazy("按期结论")),
        ("late", "cert_decision", gettext_lazy("超期结论")),
        ("pending", "cert_decision", gettext_lazy("办理中")),
        ("overdue", "cert_decision", gettext_lazy("已超期")),
    ),
}


def statistics_figures(*, user: User, scope: str, source_id: int | None, node: Institution) -> Figures:
    """The tables of ``scope`` for ``node`` and the summary of each institution directly
    below it, read from the summary table only (two queries and the labels)."""
    _viewer(user)
    if scope not in Scope.values:
        raise ValidationFailed.on_field("scope", _("统计类别无效。"), code="invalid_scope")
    dimensions = [d for d in DIMENSIONS if d.scope == scope]
    if source_id is None:
        return Figures(scope, None, node, None, [Table(d.name, str(d.title), []) for d in dimensions], [])
    run = StatisticsRun.objects.filter(scope=scope, source_id=source_id).first()
    cells: dict[str, dict[str, int]] = defaultdict(dict)
    for dimension, key, n in StatisticsCell.objects.filter(
        scope=scope, source_id=source_id, node=node
    ).values_list("dimension", "key", "count"):
        cells[dimension][key] = n
    tables = []
    for d in dimensions:
        counts = cells.get(d.name, {})
        if d.name == "plan":  # every line, zero or not
            counts = dict.fromkeys(PLAN_LABELS, 0) | counts
        labels = _labeller(d.name, counts)
        order = _key_order(d.name)
        if order:
            keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
        else:
            keys = sorted(counts, key=lambda k: (-counts[k], labels[k]))
        tables.append(Table(d.name, str(d.title), [Row(k, labels[k], counts.get(k, 0)) for k in keys]))
    children = list(
        Institution.objects.filter(parent=node, is_active=True)
        .exclude(kind=Institution.Kind.CONFIRMATION_POINT)
        .order_by("code")
    )
    wanted = CHILD_FIGURES[scope]
    figures: dict[int, dict[str, int]] = {
        child.pk: dict.fromkeys((w[0] for w in wanted), 0) for child in children
    }
    pairs = {(w[1], w[0]) for w in wanted}
    if children:
        rows = StatisticsCell.objects.filter(
            scope=scope,
            source_id=source_id,
            node_id__in=list(figures),
            dimension__in=sorted({w[1] for w in wanted}),
        ).values_list("node_id", "dimension", "key", "count")
        for node_id, dimension, key, n in rows:
            if (dimension, key) in pairs:
                figures[node_id][key] = n
    with_data = [Child(child, figures[child.pk]) for child in children if any(figures[child.pk].values())]
    return Figures(
        scope=scope,
        source_id=source_id,
        node=node,
        computed_at=run.computed_at if run else None,
        tables=tables,
        children=with_data,
    )


def child_columns(scope: str) -> list[tuple[str, str]]:
    return [(w[0], str(w[2])) for w in CHILD_FIGURES[scope]]


def download_record(
    *, actor: User, scope: str, source_id: int | None, node: Institution, dimension: str
) -> None:
    """Audit one table's download (counts only; no personal data in the file)."""
    audit_record(
        kind=AuditKind.STATISTICS_DOWNLOADED,
        actor=actor,
        obj=node,
        details={"scope": scope, "source": source_id, "dimension": dimension},
    )


def table_xlsx(*, figures: Figures, dimension: str, stamp: str) -> Iterator[bytes]:
    """One table as an .xlsx file (openpyxl write-only, spooled to a temporary file and
    streamed): a line naming who downloaded it and when, the header, the rows. The
    drill-down table is ``dimension="children"``."""
    import tempfile

    from openpyxl import Workbook

    from jiaozi.core.spreadsheet import xlsx_row

    if dimension == "children":
        columns = child_columns(figures.scope)
        header = [_("单位"), *(label for _key, label in columns)]
        rows: list[list[Any]] = [
            [child.institution.name, *(child.figures.get(key, 0) for key, _label in columns)]
            for child in figures.children
        ]
        title = _("下级单位")
    else:
        table = figures.table(dimension)
        if table is None:
            raise ValidationFailed.on_field("dimension", _("统计表无效。"), code="invalid_dimension")
        header = [table.title, _("数量")]
        rows = [[row.label, row.count] for row in table.rows]
        rows.append([_("合计"), table.total])
        title = table.title
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(xlsx_row(sheet, (f"{figures.node.name} · {stamp}",)))
    sheet.append(xlsx_row(sheet, header))
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk
