"""Reads for the notice pages (公示, §5, §8): the public list and one notice, the
published list and its proof, the reviewer's notices and objections. Nothing here
writes; ``services`` holds the writes. See docs/decisions/0110-0113 and 0133."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import is_active_staff
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.certificates.models import Conclusion
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound
from jiaozi.core.masking import mask_name, mask_resident_id
from jiaozi.orgs.models import Division, Level

from ..models import Application, Notice, Objection
from ..workflow import Status

NOTICE_ROLES: frozenset[str] = frozenset({Role.REGISTRATION_REVIEWER})
# Closed notices stay on the public site this long after their end, then only staff
# see them (the list is personal data, masked or not: keep it public no longer than
# the purpose needs).
NOTICE_PUBLIC_DAYS_AFTER_END = 30

# --- Permissions --------------------------------------------------------------------


def can_manage_notices(*, actor: User | AnonymousUser | None) -> bool:
    """A registration reviewer, active staff of an institution: publishes its own
    authority's notices and resolves their objections."""
    return is_active_staff(actor) and actor.role in NOTICE_ROLES


# --- The published list and its proof ---------------------------------------------


def notice_entry(*, no: int, application: Application) -> dict[str, Any]:
    """One published row: masked name and resident ID, school, conclusion. The
    application id (not personal) lets an objection name the row."""
    teacher = application.teacher
    with translation.override(settings.LANGUAGE_CODE):
        label = str(Conclusion(application.conclusion).label)
    return {
        "no": no,
        "application_id": application.pk,
        "name": mask_name(teacher.name),
        "resident_id": mask_resident_id(teacher.resident_id),
        "school": application.school.name,
        "conclusion": application.conclusion,
        "conclusion_label": label,
    }


def _local_iso(value: dt.datetime) -> str:
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat(timespec="seconds")


def notice_canonical_bytes(
    *, title: str, starts_at: dt.datetime, ends_at: dt.datetime, entries: Sequence[dict[str, Any]]
) -> bytes:
    """The published document in one canonical encoding: UTF-8 JSON with sorted keys, no
    spaces, times in the site's zone to the second. Its SHA-256 is the proof kept with
    the notice; anyone can download these bytes and recompute it."""
    document = {
        "title": title,
        "starts_at": _local_iso(starts_at),
        "ends_at": _local_iso(ends_at),
        "entries": list(entries),
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def notice_document_bytes(*, notice: Notice) -> bytes:
    return notice_canonical_bytes(
        title=notice.title, starts_at=notice.starts_at, ends_at=notice.ends_at, entries=notice.entries
    )


def notice_list_sha256(*, notice: Notice) -> str:
    """Recomputed from what is stored; equals ``notice.list_sha256`` unless the stored
    list was altered after publication."""
    return hashlib.sha256(notice_document_bytes(notice=notice)).hexdigest()


def notice_is_open(notice: Notice, *, now: dt.datetime | None = None) -> bool:
    """Objections are taken from the start to the end of the period, ``[starts_at,
    ends_at)``; the job that closes the notice may run a little later, so the time
    decides, not ``state``."""
    now = now or clock.now()
    return notice.state == Notice.State.OPEN and notice.starts_at <= now < notice.ends_at


# --- Selectors: public ---------------------------------------------------------------


def _public_notices(now: dt.datetime) -> QuerySet[Notice]:
    return Notice.objects.filter(
        starts_at__lte=now, ends_at__gte=now - dt.timedelta(days=NOTICE_PUBLIC_DAYS_AFTER_END)
    )


def notice_list_public(
    *, city: str = "", county: str = "", now: dt.datetime | None = None
) -> QuerySet[Notice]:
    """Notices open now and those ended in the last NOTICE_PUBLIC_DAYS_AFTER_END days,
    newest first, optionally of the authorities in one city or county."""
    qs = _public_notices(now or clock.now()).select_related("authority", "authority__division__parent")
    if county:
        qs = qs.filter(authority__division__code=county)
    elif city:
        qs = qs.filter(Q(authority__division__code=city) | Q(authority__division__parent__code=city))
    return qs.order_by("-starts_at", "-pk")


def notice_get_public(*, pk: Any, now: dt.datetime | None = None) -> Notice:
    try:
        return _public_notices(now or clock.now()).select_related("authority").get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("公示不存在或已过公开期限。")) from None


def notice_entry_get(*, notice: Notice, no: Any) -> dict[str, Any]:
    """The entry numbered ``no`` (1-based, as published)."""
    try:
        index = int(no) - 1
    except (TypeError, ValueError):
        raise NotFound(_("公示名单中没有这一项。")) from None
    if not 0 <= index < len(notice.entries):
        raise NotFound(_("公示名单中没有这一项。"))
    return dict(notice.entries[index])


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    counties: tuple[tuple[str, str], ...]


def notice_regions() -> list[Region]:
    """Cities with their counties, for the public filter (two queries)."""
    cities = list(Division.objects.filter(level=Level.CITY).order_by("code").values_list("code", "name"))
    by_city: dict[str, list[tuple[str, str]]] = {code: [] for code, _name in cities}
    for code, name, parent in (
        Division.objects.filter(level=Level.COUNTY).order_by("code").values_list("code", "name", "parent_id")
    ):
        if parent in by_city:
            by_city[parent].append((code, name))
    return [Region(code, name, tuple(by_city[code])) for code, name in cities]


# --- Selectors: the reviewer's pages ------------------------------------------------


def notice_list_visible_to(*, user: User) -> QuerySet[Notice]:
    """The notices of the user's own authority (registration reviewers)."""
    if not can_manage_notices(actor=user):
        return Notice.objects.none()
    return (
        Notice.objects.filter(authority_id=user.institution_id)
        .annotate(open_objections=Count("objections", filter=Q(objections__state=Objection.State.OPEN)))
        .select_related("published_by")
        .order_by("-starts_at", "-pk")
    )


def notice_get_visible_to(*, user: User, pk: Any) -> Notice:
    try:
        return notice_list_visible_to(user=user).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("记录不存在或不在您的管辖范围内。")) from None


def applications_publishable_by(*, user: User) -> QuerySet[Application]:
    """CONCLUDED applications of the user's authority, waiting to be noticed."""
    if not can_manage_notices(actor=user):
        return Application.objects.none()
    return (
        Application.objects.filter(status=Status.CONCLUDED, registration_authority_id=user.institution_id)
        .select_related("teacher", "school", "campaign")
        .order_by("school__code", "pk")
    )


def publication_refusals(
    applications: Sequence[Application], *, ends_at: dt.datetime, now: dt.datetime
) -> list[tuple[Application, str]]:
    """The applications a notice ending at ``ends_at`` would strand (§5, deadlines
    cascade), with the refusal publication would give, so the preview says it before
    the reviewer confirms. The same check as the publication's, extensions included."""
    from ..transition_checks import WindowCache, check_notice_fits, row_of

    ctx = WindowCache(now)
    refused = []
    for application in applications:
        try:
            check_notice_fits(row_of(application), ends_at, ctx)
        except Conflict as exc:
            refused.append((application, exc.message))
    return refused


def objection_list_visible_to(*, user: User, state: str = "") -> QuerySet[Objection]:
    """Objections to the user's authority's notices, open ones first."""
    if not can_manage_notices(actor=user):
        return Objection.objects.none()
    qs = Objection.objects.filter(application__registration_authority_id=user.institution_id).select_related(
        "notice", "application", "application__teacher", "application__school"
    )
    if state:
        qs = qs.filter(state=state)
    waiting = Case(When(state=Objection.State.OPEN, then=Value(0)), default=Value(1))
    return qs.order_by(waiting, "-submitted_at", "-pk")


def objection_get_visible_to(*, user: User, pk: Any) -> Objection:
    """One objection of the user's authority; 404 for missing and out of scope alike."""
    try:
        return objection_list_visible_to(user=user).get(pk=pk)
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("记录不存在或不在您的管辖范围内。")) from None


def objection_entry(*, objection: Objection) -> dict[str, Any] | None:
    """The published row the objection is about."""
    for entry in objection.notice.entries:
        if entry.get("application_id") == objection.application_id:
            return dict(entry)
    return None
