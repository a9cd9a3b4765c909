"""Applications that cannot finish inside their level's window (§5 "deadlines
cascade"), for every level's dashboard.

An application is at risk when, on the windows as extended for its chain:

- the level holding it can no longer act (its window has closed) — ``stranded``;
- it awaits a conclusion or the publication of one, and a notice published now would
  end when the next level's window has closed — ``notice_would_end_late``;
- its notice (running or paused by an objection) ends when the next level's window has
  closed — ``notice_ends_late``.

The candidates are found in SQL on the campaign's own dates (an extension only moves a
close later, so they are a superset); the few candidates are then checked against the
live extensions of their chain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jiaozi.core import clock

from ..campaigns.windows import effective_close, live_extensions
from ..models import Application, Campaign, WindowAction
from ..workflow import HOLDER, WINDOW_OF, ActingLevel, Status

# Held statuses whose holder acts in a step window (the notice runs on its own dates).
_HELD: dict[str, str] = {
    status: WINDOW_OF[level]
    for status, level in HOLDER.items()
    if level not in (ActingLevel.PUBLIC, ActingLevel.SYSTEM)
}
_BEFORE_NOTICE = (Status.REGISTRATION_REVIEW, Status.CONCLUDED)
_IN_NOTICE = (Status.NOTICE, Status.NOTICE_PAUSED)
LIMIT = 500
_ROW = (
    *("pk", "status", "school_id", "registration_authority_id", "city_bureau_id", "province_bureau_id"),
    "notice__ends_at",
)

REASONS = {
    "stranded": _("本环节办理时间已截止"),
    "notice_would_end_late": _("现在发布公示，公示期满时下一级办理时间已截止"),
    "notice_ends_late": _("公示期满时下一级办理时间已截止"),
}


@dataclass(frozen=True)
class AtRisk:
    application_id: int
    status: str
    reason: str
    window: str
    closes_at: dt.datetime
    notice_ends_at: dt.datetime | None

    @property
    def reason_label(self) -> str:
        return str(REASONS[self.reason])

    @property
    def window_label(self) -> str:
        return str(WindowAction(self.window).label)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


def _next_window(has_city: bool) -> str:
    return WindowAction.RECHECK if has_city else WindowAction.FINAL_REVIEW


def _candidates_q(campaign: Campaign, now: dt.datetime) -> Q:
    q = Q()
    for status, window in _HELD.items():
        if status in (Status.DRAFT, Status.RETURNED):
            continue  # the applicant's own drafts are not a reviewer's deadline
        if campaign.window(window)[1] <= now:
            q |= Q(status=status)
    publish_ends = now + dt.timedelta(days=campaign.notice_days)
    for has_city in (True, False):
        closes = campaign.window(_next_window(has_city))[1]
        chain = Q(city_bureau__isnull=not has_city)
        if publish_ends >= closes:
            q |= chain & Q(status__in=_BEFORE_NOTICE)
        q |= chain & Q(status__in=_IN_NOTICE, notice__ends_at__gte=closes)
    return q


def applications_at_risk(
    queryset: QuerySet[Application], *, campaign: Campaign, now: dt.datetime | None = None, limit: int = LIMIT
) -> list[AtRisk]:
    """The applications of ``queryset`` (a jurisdiction) in ``campaign`` that cannot
    finish inside their level's window, oldest submission first, at most ``limit``."""
    now = now or clock.now()
    q = _candidates_q(campaign, now)
    if not q:
        return []
    rows = (
        queryset.filter(q, campaign=campaign)
        .order_by("submitted_at", "pk")
        .values_list(
            "pk",
            "status",
            "school_id",
            "registration_authority_id",
            "city_bureau_id",
            "province_bureau_id",
            "notice__ends_at",
        )
    )
    extensions = live_extensions(campaign.pk)
    out: list[AtRisk] = []
    for pk, status, school, authority, city, province, notice_ends in rows.iterator(chunk_size=2000):
        chain: tuple[int | None, ...] = (school, authority, city, province)
        has_city = city is not None
        found = _judge(campaign, now, status, chain, notice_ends, has_city, extensions)
        if found is not None:
            reason, window, closes = found
            out.append(AtRisk(pk, status, reason, window, closes, notice_ends))
            if len(out) >= limit:
                break
    return out


def _judge(
    campaign: Campaign,
    now: dt.datetime,
    status: str,
    chain: tuple[int | None, ...],
    notice_ends: dt.datetime | None,
    has_city: bool,
    extensions: dict[tuple[str, int], dt.datetime],
) -> tuple[str, str, dt.datetime] | None:
    own = _HELD.get(status)
    if own is not None and status not in (Status.DRAFT, Status.RETURNED):
        closes = effective_close(campaign, own, chain, extensions)
        if closes <= now:
            return "stranded", own, closes
    nxt = _next_window(has_city)
    next_closes = effective_close(campaign, nxt, chain, extensions)
    if status in _BEFORE_NOTICE and now + dt.timedelta(days=campaign.notice_days) >= next_closes:
        return "notice_would_end_late", nxt, next_closes
    if status in _IN_NOTICE and notice_ends is not None and notice_ends >= next_closes:
        return "notice_ends_late", nxt, next_closes
    return None
