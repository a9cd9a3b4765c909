"""Reading the audit log (the audit admin's viewer). Every read starts from the
reader's jurisdiction; pages are keyset-paginated on ``(at, id)`` so that a page costs
the same few queries on ten rows or ten million — no COUNT over the whole log.
See docs/decisions/0005-audit-viewer.md.

The log keeps plain institution ids (no foreign key), and ``audit`` sits below ``orgs``:
the viewer reaches the institution tree through the app registry
(``apps.get_model("orgs", "Institution")``), not by importing orgs
(docs/decisions/0145-import-layers.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from jiaozi.core.accounts import Account
from jiaozi.core.errors import PermissionDenied
from jiaozi.core.scoping import get_visible_or_404

from .models import AuditEvent
from .permissions import can_read_audit_log

if TYPE_CHECKING:
    from jiaozi.orgs.models import Institution


def _institutions() -> type[Institution]:
    return apps.get_model("orgs", "Institution")  # type: ignore[no-any-return]


PER_PAGE = 50
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class EventQuery:
    """The viewer's filters, already parsed."""

    kind: int | None = None
    outcome: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    institution_code: str = ""
    include_subordinates: bool = False
    actor_username: str = ""

    def as_details(self) -> dict[str, Any]:
        """For the access record: no username in clear (an applicant's may be a phone
        number), only whether one was given."""
        details = {k: v for k, v in asdict(self).items() if v not in (None, "", False)}
        if "actor_username" in details:
            details["actor_username"] = True
        return details


_TONES: dict[str, str] = {
    AuditEvent.Outcome.SUCCESS.value: "success",
    AuditEvent.Outcome.FAILURE.value: "danger",
    AuditEvent.Outcome.DENIED.value: "warning",
}


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    institution: Institution | None
    object_label: str = ""

    @property
    def outcome_tone(self) -> str:
        return _TONES.get(self.event.outcome, "neutral")


@dataclass
class EventPage:
    events: list[AuditEvent]
    rows: list[EventRow] = field(default_factory=list)
    newer: str | None = None
    older: str | None = None

    @property
    def is_first(self) -> bool:
        return self.newer is None


def _scoped(user: Account | None) -> QuerySet[AuditEvent]:
    if not can_read_audit_log(user):
        raise PermissionDenied(_("只有审计管理员可以查阅审计日志。"))
    institution = user.institution
    events = AuditEvent.objects.all()
    if institution.parent_id is None:
        # The province: the whole log, including applicant and public chains.
        return events
    below = _institutions().objects.filter(path__startswith=institution.path).values("id")
    return events.filter(institution_id__in=below)


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def audit_event_list_visible_to(*, user: Account | None, query: EventQuery) -> QuerySet[AuditEvent]:
    events = _scoped(user)
    if query.kind is not None:
        events = events.filter(kind=query.kind)
    if query.outcome:
        events = events.filter(outcome=query.outcome)
    if query.date_from:
        events = events.filter(at__gte=_local_midnight(query.date_from))
    if query.date_to:
        events = events.filter(at__lt=_local_midnight(query.date_to + dt.timedelta(days=1)))
    if query.institution_code:
        institution = _institutions().objects.filter(code=query.institution_code).only("id", "path").first()
        if institution is None:
            return events.none()
        if query.include_subordinates:
            below = _institutions().objects.filter(path__startswith=institution.path).values("id")
            events = events.filter(institution_id__in=below)
        else:
            events = events.filter(institution_id=institution.pk)
    if query.actor_username:
        from django.contrib.auth import get_user_model

        actors = get_user_model().objects.filter(username=query.actor_username).values("id")
        events = events.filter(actor_id__in=actors)
    return events


def cursor_for(event: AuditEvent) -> str:
    micros = (event.at - _EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}.{event.pk}"


def _parse_cursor(cursor: str) -> tuple[dt.datetime, int] | None:
    micros, _, pk = cursor.partition(".")
    try:
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


def audit_event_page_visible_to(
    *,
    user: Account | None,
    query: EventQuery,
    cursor: str = "",
    newer: bool = False,
    per_page: int | None = None,
) -> EventPage:
    """One page, newest first. ``cursor`` is the position of the row next to the page
    (from ``EventPage.older``/``newer``); ``newer`` pages towards the present."""
    per_page = per_page or PER_PAGE
    events = audit_event_list_visible_to(user=user, query=query)
    position = _parse_cursor(cursor) if cursor else None
    if position is not None and newer:
        at, pk = position
        batch = list(events.filter(Q(at__gt=at) | Q(at=at, id__gt=pk)).order_by("at", "id")[: per_page + 1])
        if batch:
            more_newer = len(batch) > per_page
            rows = list(reversed(batch[:per_page]))
            page = EventPage(events=rows, older=cursor_for(rows[-1]))
            page.newer = cursor_for(rows[0]) if more_newer else None
            return _with_institutions(page)
        position = None  # nothing newer: the first page
    if position is not None:
        at, pk = position
        events = events.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
    batch = list(events.order_by("-at", "-id")[: per_page + 1])
    rows = batch[:per_page]
    page = EventPage(events=rows)
    if rows and len(batch) > per_page:
        page.older = cursor_for(rows[-1])
    if rows and position is not None:
        page.newer = cursor_for(rows[0])
    return _with_institutions(page)


def institution_choices(user: Account | None) -> list[tuple[str, str]]:
    """The institutions the reader may filter by, as (code, name) indented by depth:
    every institution in their jurisdiction but the schools (a school is reached with
    含下级机构 from its authority, or from its row). Ordered as the tree."""
    institution = getattr(user, "institution", None)
    if institution is None:
        return []
    rows = (
        _institutions()
        .objects.filter(path__startswith=institution.path)
        .exclude(kind="school")
        .order_by("path")
        .values_list("code", "name", "path")
    )
    base = institution.path.count("/")
    return [(code, "\u3000" * max(path.count("/") - base, 0) + name) for code, name, path in rows]


def object_label(object_type: str, object_id: str, *, names: dict[tuple[str, str], str] | None = None) -> str:
    """What an audit row's object is, in the reader's words: "定期注册申请 17",
    "账号 ly_reviewer", "机构 庐阳区教育局" — never "registration.application 17"."""
    if not object_type:
        return ""
    found = (names or {}).get((object_type, str(object_id)))
    if found:
        return found
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return f"{object_type} {object_id}".strip()
    noun = str(model._meta.verbose_name)
    return f"{noun} {object_id}".strip() if object_id else noun


def object_names(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """Names of the accounts and institutions the events are about (one query each):
    an account by its username, an institution by its name."""
    names: dict[tuple[str, str], str] = {}
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_type in ("accounts.user", "orgs.institution") and str(event.object_id).isdigit():
            wanted.setdefault(event.object_type, set()).add(int(event.object_id))
    if "accounts.user" in wanted:
        user_model = apps.get_model("accounts", "User")
        for pk, username in user_model.objects.filter(pk__in=wanted["accounts.user"]).values_list(
            "pk", "username"
        ):
            names[("accounts.user", str(pk))] = _("账号 %(username)s") % {"username": username}
    if "orgs.institution" in wanted:
        for pk, name in (
            _institutions().objects.filter(pk__in=wanted["orgs.institution"]).values_list("pk", "name")
        ):
            names[("orgs.institution", str(pk))] = _("机构 %(name)s") % {"name": name}
    return names


def _with_institutions(page: EventPage) -> EventPage:
    """Names for the page's institutions in one query (the log keeps plain ids)."""
    ids = {event.institution_id for event in page.events if event.institution_id is not None}
    institutions = (
        {i.pk: i for i in _institutions().objects.filter(pk__in=ids).only("id", "code", "name")}
        if ids
        else {}
    )
    names = object_names(page.events)
    page.rows = [
        EventRow(
            event,
            institutions.get(event.institution_id) if event.institution_id is not None else None,
            object_label(event.object_type, event.object_id, names=names),
        )
        for event in page.events
    ]
    return page


def audit_event_get_visible_to(*, user: Account | None, pk: int) -> AuditEvent:
    """One row, or NotFound for missing and out-of-scope alike."""
    return get_visible_or_404(_scoped(user), pk=pk)


def institution_for_event(event: AuditEvent) -> Institution | None:
    if event.institution_id is None:
        return None
    return _institutions().objects.filter(pk=event.institution_id).only("id", "code", "name").first()
