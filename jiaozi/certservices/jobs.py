"""The daily reminder of certificate requests near or past their deadline (§7): each
certifying officer of the authority gets one inbox message a day listing how many of its
requests are due soon or overdue. Idempotent: a request reminded today is not counted
again (``reminded_on`` is set by compare-and-set in the same statement)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from jiaozi.core import clock
from jiaozi.notifications.services import notify_many

from . import deadlines
from .models import ServiceRequest
from .services import authority_officers
from .workflow import RequestStatus


def request_reminders_send() -> int:
    """Remind the authorities of open requests in their reminder period or overdue.
    Returns how many requests were counted in a reminder."""
    today = clock.today()
    candidates = (
        ServiceRequest.objects.filter(status=RequestStatus.SUBMITTED)
        .exclude(reminded_on=today)
        .select_related("authority")
        .only("pk", "due_on", "authority", "reminded_on")
    )
    by_authority: dict[int, list[ServiceRequest]] = defaultdict(list)
    rules_cache: dict[str, deadlines.Rules] = {}
    for row in candidates.iterator(chunk_size=2000):
        province = row.authority.division_id[:2]
        rules = rules_cache.get(province)
        if rules is None:
            rules = rules_cache[province] = deadlines.rules_for(row.authority)
        if deadlines.urgency(row.due_on, rules, today=today) != deadlines.Urgency.ON_TIME:
            by_authority[row.authority_id].append(row)
    counted = 0

    for authority_id, rows in by_authority.items():
        with transaction.atomic():
            moved = (
                ServiceRequest.objects.filter(pk__in=[row.pk for row in rows], status=RequestStatus.SUBMITTED)
                .exclude(reminded_on=today)
                .update(reminded_on=today)
            )
            if not moved:
                continue
            overdue = sum(1 for row in rows if row.due_on < today)
            notify_many(
                users=authority_officers(authority_id),
                kind="certsvc.reminder",
                title=_("证书业务办理提醒"),
                body=_(
                    "有 %(count)s 件证书更正、补发、换发申请临近或超过办理期限，其中已超期 %(overdue)s 件。"
                )
                % {"count": moved, "overdue": overdue},
                channels=["inbox"],
            )
            counted += moved
    return counted
