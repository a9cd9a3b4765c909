"""Campaign pages of the staff workspace: read by everyone in registration, set by the
province admin. Views parse input, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.orgs.models import Institution

from .. import rules
from ..models import Campaign, Material, WindowExtension
from ..permissions import CAMPAIGN_MANAGE_ROLES, CAMPAIGN_VIEW_ROLES, can_manage_campaigns
from . import extensions, selectors, services
from .forms import MATERIAL_GROUPS, CampaignForm, ExtensionForm, ExtensionRevokeForm
from .windows import window_states

# --- Campaigns -----------------------------------------------------------------------


@staff_required(*CAMPAIGN_VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = list(selectors.campaign_list_visible_to(user=staff_user(request)))
    rows = [
        {"campaign": c, "windows": {w["action"]: w for w in window_states(campaign=c)}} for c in campaigns
    ]
    province_code = province_code_of(staff_user(request).institution)  # type: ignore[union-attr]
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


def _province_path(campaign: Campaign) -> str:
    province = Institution.objects.filter(
        kind=Institution.Kind.BUREAU, level="province", division__code=campaign.province_code
    ).first()
    return province.path if province else "-"


def extension_rows(campaign: Campaign) -> list[WindowExtension]:
    return list(WindowExtension.objects.filter(campaign=campaign).select_related("institution"))


def required_material_groups(campaign: Campaign) -> list[dict[str, Any]]:
    """Per registration type, the labels of the materials submission requires."""
    return [
        {
            "label": label,
            "kinds": [
                str(Material.Kind(k).label)
                for k in rules.missing_materials(campaign.required_materials or {}, due, ())
                if k in Material.Kind.values
            ],
        }
        for due, label in MATERIAL_GROUPS
    ]


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
            "required_materials": required_material_groups(campaign),
            "extensions": extension_rows(campaign),
            "extension_form": ExtensionForm(province_path=_province_path(campaign)),
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


@staff_required(*CAMPAIGN_MANAGE_ROLES)
@domain_errors
@require_http_methods(["POST"])
def extension_grant(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant a window extension from the campaign page (§5 deadlines cascade)."""
    campaign = selectors.campaign_get_visible_to(user=staff_user(request), pk=pk)
    form = ExtensionForm(request.POST, province_path=_province_path(campaign))
    if form.is_valid():
        try:
            extensions.extension_grant(
                actor=staff_user(request),
                campaign_id=campaign.pk,
                institution_id=form.cleaned_data["institution"].pk,
                window=form.cleaned_data["window"],
                closes_at=form.cleaned_data["closes_at"],
                reason=form.cleaned_data["reason"],
            )
        except (ValidationFailed, Conflict) as exc:
            details = "；".join(m for msgs in (exc.field_errors or {}).values() for m in msgs)
            messages.error(request, f"{exc}{details}")
        else:
            messages.success(request, _("已延长办理时间。"))
    else:
        messages.error(request, _("延长办理时间的设置有误：请选择机构和环节，填写延长至的时间和理由。"))
    return redirect("registration:campaign_detail", pk=campaign.pk)


@staff_required(*CAMPAIGN_MANAGE_ROLES)
@domain_errors
@require_http_methods(["POST"])
def extension_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    form = ExtensionRevokeForm(request.POST)
    extension = WindowExtension.objects.filter(pk=pk).only("campaign_id").first()
    if extension is None:
        raise Http404
    if form.is_valid():
        extensions.extension_revoke(
            actor=staff_user(request), extension_id=pk, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("已撤销该延长。"))
    else:
        messages.error(request, _("请填写撤销理由。"))
    return redirect("registration:campaign_detail", pk=extension.campaign_id)
