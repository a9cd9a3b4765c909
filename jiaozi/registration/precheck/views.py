"""The pre-check screen of the staff workspace (注册预审) with its export. Views parse
input, call one selector or service, render."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.audit.exports import ExportNeedsApproval, export_approval_threshold
from jiaozi.core.boundary import domain_errors
from jiaozi.core.errors import ValidationFailed
from jiaozi.core.ui.tables import Column, paginate

from ..campaigns.selectors import campaign_active_for, campaign_context
from ..labels import DUE_LABELS
from ..permissions import PRECHECK_ROLES
from . import selectors, services
from .forms import PrecheckExportForm, PrecheckFilterForm

PRECHECK_COLUMNS = [
    Column(gettext_lazy("证书编号")),
    Column(gettext_lazy("姓名")),
    Column(gettext_lazy("学校")),
    Column(gettext_lazy("注册类型")),
    Column(gettext_lazy("有效期至")),
    Column(gettext_lazy("建议结论")),
    Column(gettext_lazy("原因")),
]
PRECHECK_PER_PAGE = 50
FILTER_KEYS = ("school", "due", "suggestion", "reason", "q")


@never_cache
@staff_required(*PRECHECK_ROLES)
@domain_errors
@require_http_methods(["GET"])
def precheck(request: HttpRequest) -> HttpResponse:
    campaign = campaign_active_for(user=staff_user(request))
    form = PrecheckFilterForm(request.GET or None, user=staff_user(request))
    context: dict[str, Any] = {
        "campaign": campaign,
        "filter_form": form,
        "columns": PRECHECK_COLUMNS,
        "nav_active": "registration:precheck",
        "breadcrumbs": [(_("注册预审"), None)],
    }
    if campaign is not None:
        filters = form.filters()
        rows = selectors.precheck_list_visible_to(
            user=staff_user(request), campaign=campaign, filters=filters
        )
        context |= {
            "page_obj": paginate(request, rows, per_page=PRECHECK_PER_PAGE),
            "counts": [
                {"due": due, "label": DUE_LABELS[due], "count": count}
                for due, count in selectors.precheck_count_by_due(
                    user=staff_user(request), ctx=campaign_context(campaign), filters=filters
                ).items()
            ],
            "export_form": PrecheckExportForm(
                initial={
                    "school": filters.school,
                    "due": filters.due,
                    "suggestion": filters.suggestion,
                    "reason": filters.reason,
                    "q": filters.q,
                }
            ),
            "export_threshold": export_approval_threshold(),
        }
    return render(request, "registration/precheck.html", context)


def _back_to_screen(request: HttpRequest) -> HttpResponse:
    kept = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        if request.POST.get(key):
            kept[key] = request.POST[key]
    return redirect(f"{reverse('registration:precheck')}?{kept.urlencode()}")


@never_cache
@staff_required(*PRECHECK_ROLES)
@domain_errors
@require_http_methods(["POST"])
def precheck_export(request: HttpRequest) -> HttpResponse:
    campaign = campaign_active_for(user=staff_user(request))
    form = PrecheckExportForm(request.POST)
    if campaign is None:
        messages.error(request, _("当前没有进行中的定期注册工作。"))
        return redirect("registration:precheck")
    if not form.is_valid():
        messages.error(request, _("请说明导出用途（至少4个字）后再导出。"))
        return _back_to_screen(request)
    try:
        export = services.precheck_export(
            actor=staff_user(request),
            campaign=campaign,
            filters=form.filters(user=staff_user(request)),
            purpose=form.cleaned_data["purpose"],
            fmt=form.cleaned_data["fmt"],
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("registration:precheck")
    except ExportNeedsApproval as exc:
        # Back to the same filters, so that the reviewer can narrow them.
        messages.error(request, exc.message)
        return _back_to_screen(request)
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    # staff_required is typed for HttpResponse; a streaming response serves the same role.
    return cast(HttpResponse, response)
