"""What can be exported: each data set's columns, its row count and its rows, scoped to
the requester's institution (§9). Rows are read in batches from a database cursor so a
million of them never sit in memory at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaozi.certificates.models import Certificate
from jiaozi.core.masking import mask_phone, mask_resident_id
from jiaozi.orgs.models import Institution
from jiaozi.registration.campaigns.selectors import campaign_context
from jiaozi.registration.labels import DUE_LABELS
from jiaozi.registration.models import Application, Campaign
from jiaozi.registration.precheck.selectors import due_q
from jiaozi.registration.workflow import Status

from .models import ExportRequest

BATCH = 2000
STATUS_CHOICES = tuple((s.value, s.label) for s in Status if s != Status.DRAFT)


@dataclass(frozen=True)
class Selection:
    """One data set with its filters, inside one institution's jurisdiction."""

    dataset: str
    institution: Institution
    campaign: Campaign | None
    status: str = ""

    @classmethod
    def of(cls, request: ExportRequest) -> Selection:
        return cls(
            dataset=request.dataset,
            institution=request.institution,
            campaign=request.campaign,
            status=str((request.filters or {}).get("status", "")),
        )


MISSED = ExportRequest.Dataset.DUE_NOT_APPLIED
# The data sets that take a status filter.
WITH_STATUS = frozenset({ExportRequest.Dataset.REGISTRATION_APPLICATIONS})


def header(dataset: str = ExportRequest.Dataset.REGISTRATION_APPLICATIONS) -> tuple[str, ...]:
    if dataset == MISSED:
        return (
            _("证书编号"),
            _("姓名"),
            _("身份证号"),
            _("联系电话"),
            _("学校"),
            _("资格种类"),
            _("注册有效期止"),
        )
    return (
        _("证书编号"),
        _("姓名"),
        _("身份证号"),
        _("联系电话"),
        _("学校"),
        _("注册机构"),
        _("注册类型"),
        _("状态"),
        _("注册结论"),
        _("提交时间"),
        _("完成时间"),
    )


def _applications(selection: Selection) -> QuerySet[Application]:
    queryset = Application.objects.filter(
        Q(school__path__startswith=selection.institution.path), campaign=selection.campaign
    ).exclude(status=Status.DRAFT)
    if selection.status:
        queryset = queryset.filter(status=selection.status)
    return queryset


def _missed(selection: Selection) -> QuerySet[Certificate]:
    """Certificates due in the campaign whose teacher has no active application in it
    (漏报): the same rule as the data audit's "missed" line and the pre-check screen."""
    assert selection.campaign is not None
    applied = Application.objects.filter(campaign=selection.campaign, teacher=OuterRef("teacher")).exclude(
        status=Status.WITHDRAWN
    )
    return (
        Certificate.objects.filter(
            teacher__school__path__startswith=selection.institution.path, teacher__school__is_active=True
        )
        .filter(due_q(campaign_context(selection.campaign)))
        .exclude(Exists(applied))
    )


def row_count(selection: Selection) -> int:
    if selection.dataset == MISSED:
        return _missed(selection).count()
    return _applications(selection).count()


_FIELDS = (
    "certificate__number",
    "teacher__name",
    "teacher__resident_id",
    "phone",
    "school__name",
    "registration_authority__name",
    "due",
    "status",
    "conclusion",
    "submitted_at",
    "completed_at",
)


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _missed_rows(selection: Selection, *, unmasked: bool) -> Iterator[tuple[str, ...]]:
    types = {k: str(v) for k, v in Certificate._meta.get_field("qualification_type").choices or ()}
    fields = (
        "number",
        "teacher__name",
        "teacher__resident_id",
        "teacher__phone",
        "teacher__school__name",
        "qualification_type",
        "valid_to",
    )
    cursor = _missed(selection).order_by("pk").values_list(*fields).iterator(chunk_size=BATCH)
    for number, name, resident_id, phone, school, kind, valid_to in cursor:
        yield (
            number,
            name,
            (resident_id or "") if unmasked else mask_resident_id(resident_id),
            (phone or "") if unmasked else mask_phone(phone),
            school,
            types.get(kind, kind),
            valid_to.isoformat() if valid_to else "",
        )


def rows(selection: Selection, *, unmasked: bool) -> Iterator[tuple[str, ...]]:
    """The rows in a stable order (by id); resident IDs and phones masked unless
    ``unmasked``. Labels are looked up once, not per row."""
    if selection.dataset == MISSED:
        yield from _missed_rows(selection, unmasked=unmasked)
        return
    statuses = {s.value: str(s.label) for s in Status}
    conclusions = {k: str(v) for k, v in Application._meta.get_field("conclusion").choices or ()}
    dues = {k: str(v) for k, v in DUE_LABELS.items()}
    cursor = _applications(selection).order_by("pk").values_list(*_FIELDS).iterator(chunk_size=BATCH)
    for number, name, resident_id, phone, school, authority, due, status, conclusion, sub, done in cursor:
        yield (
            number,
            name,
            (resident_id or "") if unmasked else mask_resident_id(resident_id),
            (phone or "") if unmasked else mask_phone(phone),
            school,
            authority,
            dues.get(due, due),
            statuses.get(status, status),
            conclusions.get(conclusion, conclusion),
            _when(sub),
            _when(done),
        )
