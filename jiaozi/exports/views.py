"""Staff pages of controlled exports: ask, my requests, the approval queue, download.
Views parse input, call one selector or service, render."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.audit.exports import ExportNeedsApproval
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.registration.models import Campaign

from . import selectors
from . import services as svc
from .forms import DecideForm, RequestForm

NAV = "exports:request_list"
QUEUE = "exports:approval_queue"


def _campaigns(request: HttpRequest) -> list[tuple[int, str]]:
    code = province_code_of(staff_user(request).institution)
    return [(c.pk, c.name) for c in Campaign.objects.filter(province_code=code).order_by("-year")]


@staff_required(*selectors.REQUESTER_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def request_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = RequestForm(
        request.POST or None, campaigns=_campaigns(request), may_unmask=selectors.can_unmask(user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with form_errors(form, ValidationFailed, Conflict, PermissionDenied):
            made = svc.export_request_create(
                actor=user,
                dataset=data["dataset"],
                campaign_id=data["campaign"],
                status=data.get("status") or "",
                purpose=data["purpose"],
                unmasked=bool(data.get("unmasked")),
            )
            if made.needs_approval:
                messages.info(
                    request,
                    _("本次导出共%(rows)d条，超过%(threshold)d条，须经另一名工作人员审批后方可下载。")
                    % {"rows": made.row_count, "threshold": made.threshold},
                )
            else:
                messages.success(
                    request, _("导出申请已创建，共%(rows)d条，可以下载。") % {"rows": made.row_count}
                )
            return redirect(NAV)
    return render(
        request,
        "exports/request_list.html",
        {
            "form": form,
            "requests": selectors.requests_of(user=user)[:200],
            "nav_active": NAV,
            "breadcrumbs": [(_("数据导出"), None)],
        },
    )


@staff_required(*selectors.APPROVER_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def approval_queue(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if request.method == "POST":
        form = DecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写审批意见。"))
            return redirect(QUEUE)
        try:
            decided = svc.export_request_decide(
                actor=user,
                pk=request.POST.get("request"),
                version=form.cleaned_data["version"],
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except (ValidationFailed, Conflict) as exc:
            messages.error(request, exc.message)
            return redirect(QUEUE)
        messages.success(
            request,
            _("已批准导出申请。") if decided.state == decided.State.APPROVED else _("已驳回导出申请。"),
        )
        return redirect(QUEUE)
    return render(
        request,
        "exports/approval_queue.html",
        {
            "pending": list(selectors.approval_queue(user=user)[:200]),
            "nav_active": QUEUE,
            "breadcrumbs": [(_("导出审批"), None)],
        },
    )


@never_cache
@staff_required(*selectors.REQUESTER_ROLES)
@domain_errors
@require_http_methods(["POST"])
def download(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        export = svc.export_download(actor=staff_user(request), pk=pk)
    except (Conflict, ExportNeedsApproval) as exc:
        messages.error(request, exc.message)
        return redirect(reverse(NAV))
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    # staff_required is typed for HttpResponse; a streaming response serves the same role.
    return cast(HttpResponse, response)
