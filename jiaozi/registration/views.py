"""Registration pages of the staff workspace: campaigns (read by everyone in
registration, set by the province admin) and the pre-check screen with its export.
Views parse input, call one selector or service, render."""

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
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.workspace.tables import Column, paginate

from . import selectors, services
from .forms import CampaignForm, PrecheckExportForm, PrecheckFilterForm
from .labels import DUE_LABELS
from .models import Campaign
from .permissions import CAMPAIGN_MANAGE_ROLES, CAMPAIGN_VIEW_ROLES, PRECHECK_ROLES, can_manage_campaigns
from .windows import window_states

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


# --- Campaigns -----------------------------------------------------------------------


@staff_required(*CAMPAIGN_VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = list(selectors.campaign_list_visible_to(user=staff_user(request)))
    rows = [
        {"campaign": c, "windows": {w["action"]: w for w in window_states(campaign=c)}} for c in campaigns
    ]
    province_code = selectors.province_code_of(request.user.institution)  # type: ignore[union-attr]
    return render(
        request,
        "registration/campaign_list.html",
        {
            "rows": rows,
            "can_manage": can_manage_campaigns(actor=staff_user(request), province_code=province_code),
            "nav_active": "registration:campaign_list",
            "breadcrumbs": [(_("定期注册工作"), None)],
        },
    )


@staff_required(*CAMPAIGN_VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get_visible_to(user=staff_user(request), pk=pk)
    return render(
        request,
        "registration/campaign_detail.html",
        {
            "campaign": campaign,
            "windows": window_states(campaign=campaign),
            "can_manage": can_manage_campaigns(
                actor=staff_user(request), province_code=campaign.province_code
            ),
            "nav_active": "registration:campaign_list",
            "breadcrumbs": [
                (_("定期注册工作"), reverse("registration:campaign_list")),
                (campaign.name, None),
            ],
        },
    )


def _campaign_form_page(request: HttpRequest, form: CampaignForm, campaign: Campaign | None) -> HttpResponse:
    crumbs: list[tuple[str, str | None]] = [(_("定期注册工作"), reverse("registration:campaign_list"))]
    if campaign is not None:
        crumbs.append((campaign.name, reverse("registration:campaign_detail", args=[campaign.pk])))
    crumbs.append((_("修改设置") if campaign else _("新建注册工作"), None))
    return render(
        request,
        "registration/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "nav_active": "registration:campaign_list",
            "breadcrumbs": crumbs,
        },
    )


@staff_required(*CAMPAIGN_MANAGE_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            campaign = services.campaign_create(
                actor=staff_user(request), year=form.cleaned_data["year"], **form.service_values()
            )
            messages.success(request, _("注册工作已创建。"))
            return redirect("registration:campaign_detail", pk=campaign.pk)
    return _campaign_form_page(request, form, None)


@staff_required(*CAMPAIGN_MANAGE_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get_visible_to(user=staff_user(request), pk=pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version") or campaign.version
        with form_errors(form, ValidationFailed, Conflict):
            services.campaign_update(
                actor=staff_user(request), campaign_id=campaign.pk, version=version, **form.service_values()
            )
            messages.success(request, _("注册工作的设置已保存。"))
            return redirect("registration:campaign_detail", pk=campaign.pk)
    return _campaign_form_page(request, form, campaign)


# --- Pre-check ---------------------------------------------------------------------


@never_cache
@staff_required(*PRECHECK_ROLES)
@domain_errors
@require_http_methods(["GET"])
def precheck(request: HttpRequest) -> HttpResponse:
    campaign = selectors.campaign_active_for(user=staff_user(request))
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
                    user=staff_user(request), ctx=selectors.campaign_context(campaign), filters=filters
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
        }
    return render(request, "registration/precheck.html", context)


@never_cache
@staff_required(*PRECHECK_ROLES)
@domain_errors
@require_http_methods(["POST"])
def precheck_export(request: HttpRequest) -> HttpResponse:
    campaign = selectors.campaign_active_for(user=staff_user(request))
    form = PrecheckExportForm(request.POST)
    if campaign is None:
        messages.error(request, _("当前没有进行中的定期注册工作。"))
        return redirect("registration:precheck")
    if not form.is_valid():
        messages.error(request, _("请说明导出用途（至少4个字）后再导出。"))
        kept = QueryDict(mutable=True)
        for key in FILTER_KEYS:
            if request.POST.get(key):
                kept[key] = request.POST[key]
        return redirect(f"{reverse('registration:precheck')}?{kept.urlencode()}")
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
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    # staff_required is typed for HttpResponse; a streaming response serves the same role.
    return cast(HttpResponse, response)
