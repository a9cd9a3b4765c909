"""The read-only audit log viewer (audit admin only; there is no write path)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from jiaozi.core.access import staff_required
from jiaozi.core.boundary import domain_errors
from jiaozi.core.roles import Role
from jiaozi.core.ui.tables import Column

from . import selectors, services
from .forms import EventFilterForm

COLUMNS = [
    Column(_("时间")),
    Column(_("事件")),
    Column(_("结果")),
    Column(_("操作人")),
    Column(_("机构")),
    Column(_("对象")),
    Column(_("IP")),
]


@require_GET
@staff_required(Role.AUDIT_ADMIN)
@domain_errors
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET, institutions=selectors.institution_choices(request.user))
    page = None
    if form.is_valid():
        query = form.query()
        page = selectors.audit_event_page_visible_to(
            user=request.user,
            query=query,
            cursor=request.GET.get("cursor", ""),
            newer=request.GET.get("dir") == "newer",
        )
        services.audit_log_viewed_event(actor=request.user, filters=query.as_details())
    return render(
        request,
        "audit/event_list.html",
        {
            "filter_form": form,
            "page": page,
            "columns": COLUMNS,
            "nav_active": "audit:event_list",
        },
    )


@require_GET
@staff_required(Role.AUDIT_ADMIN)
@domain_errors
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.audit_event_get_visible_to(user=request.user, pk=pk)
    services.audit_log_viewed_event(actor=request.user, event=event)
    return render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "institution": selectors.institution_for_event(event),
            "object_label": selectors.object_label(
                event.object_type, event.object_id, names=selectors.object_names([event])
            ),
            "hash_ok": services.compute_hash(event) == event.hash,
            "nav_active": "audit:event_list",
        },
    )
