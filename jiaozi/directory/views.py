"""Institution set-up pages (staff) and the public directory of registration
institutions (portal). Views parse input, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiaozi.accounts.decorators import staff_user
from jiaozi.core.access import staff_required
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.ui.tables import Column, paginate
from jiaozi.orgs.selectors import institution_has_public_info

from . import selectors, services
from .forms import DirectorySearchForm, PlanForm, SetupFilterForm
from .models import SchoolType
from .permissions import ADMIN_ROLES, can_keep_plan, can_oversee

OVERVIEW_COLUMNS = [
    Column(""),
    Column(gettext_lazy("机构")),
    Column(gettext_lazy("公开信息")),
    Column(gettext_lazy("注册计划")),
    Column(gettext_lazy("确认点")),
    Column(gettext_lazy("上次催办")),
]


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_GET
def setup(request: HttpRequest) -> HttpResponse:
    """The signed-in admin's own institution: what is done before the campaign opens."""
    user = staff_user(request)
    institution = user.institution
    assert institution is not None
    campaign = selectors.campaign_for(institution)
    plan = selectors.plan_for(institution=institution, campaign=campaign)
    return render(
        request,
        "directory/setup.html",
        {
            "institution": institution,
            "campaign": campaign,
            "plan": plan,
            "has_public_info": institution_has_public_info(institution),
            "points": selectors.confirmation_points_of(institution),
            "can_keep_plan": can_keep_plan(actor=user),
            "can_oversee": can_oversee(actor=user),
            "nav_active": "directory:setup",
            "breadcrumbs": [(_("注册准备"), None)],
        },
    )


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not can_keep_plan(actor=user):
        raise PermissionDenied(_("只有注册机构的管理员可以填报本机构的注册计划。"))
    campaign = selectors.campaign_for(user.institution)
    if campaign is None:
        raise NotFound(_("目前没有进行中的定期注册工作，暂不需要填报注册计划。"), code="no_active_campaign")
    current = selectors.plan_for(institution=user.institution, campaign=campaign)  # type: ignore[arg-type]
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            with form_errors(form, ValidationFailed, Conflict):
                services.registration_plan_save(
                    actor=user,
                    expected=form.expected(),
                    notes=form.cleaned_data["notes"],
                    version=form.cleaned_data["version"],
                )
                messages.success(request, _("注册计划已提交。"))
                return redirect("directory:setup")
    else:
        initial: dict[str, object] = {"version": current.version if current else 0}
        if current:
            initial.update({key: current.expected.get(key, 0) for key in SchoolType.values})
            initial["notes"] = current.notes
        form = PlanForm(initial=initial)
    return render(
        request,
        "directory/plan.html",
        {
            "form": form,
            "campaign": campaign,
            "plan": current,
            "nav_active": "directory:setup",
            "breadcrumbs": [(_("注册准备"), reverse("directory:setup")), (_("注册计划"), None)],
        },
    )


def _overview_context(request: HttpRequest) -> dict[str, object]:
    user = staff_user(request)
    campaign = selectors.campaign_for(user.institution)
    if campaign is None:
        raise NotFound(_("目前没有进行中的定期注册工作。"), code="no_active_campaign")
    form = SetupFilterForm(request.GET or None)
    filters = form.filters()
    everything = selectors.setup_list(user=user, campaign=campaign)
    rows = selectors.setup_list(
        user=user, campaign=campaign, status=filters.get("status", ""), q=filters.get("q", "")
    )
    page_obj = paginate(request, rows)
    for row in page_obj:
        row.missing = selectors.missing_of(row)
    return {
        "campaign": campaign,
        "filter_form": form,
        "page_obj": page_obj,
        "summary": selectors.setup_summary(everything),
        "columns": OVERVIEW_COLUMNS,
        "own_id": user.institution_id,
        "nav_active": "directory:overview",
        "breadcrumbs": [(_("注册准备情况"), None)],
    }


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The registration institutions in scope and what each still has to do."""
    if not can_oversee(actor=staff_user(request)):
        raise PermissionDenied(_("只有省级管理员和上级教育行政部门的管理员可以查看注册准备情况。"))
    return render(request, "directory/overview.html", _overview_context(request))


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_POST
def remind(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    ids = request.POST.getlist("institution_ids")
    everyone = request.POST.get("everyone") == "1"
    result = services.setup_remind(actor=user, institution_ids=None if everyone else ids)
    if result.sent:
        messages.success(
            request,
            ngettext("已向 %(n)d 个机构发送催办提醒。", "已向 %(n)d 个机构发送催办提醒。", len(result.sent))
            % {"n": len(result.sent)},
        )
    if result.recently_reminded:
        messages.info(
            request,
            _("%(n)d 个机构在24小时内已催办过，本次未重复发送。") % {"n": len(result.recently_reminded)},
        )
    if result.without_admin:
        messages.warning(
            request,
            _("%(n)d 个机构没有在职的机构管理员，无法发送提醒，请先为其备案管理员。")
            % {"n": len(result.without_admin)},
        )
    if not (result.sent or result.recently_reminded or result.without_admin):
        messages.info(request, _("所选机构均已完成准备，无需催办。"))
    return redirect(reverse("directory:overview") + "?status=unfinished")


# --- Public ------------------------------------------------------------------------


@domain_errors
@require_GET
def public_directory(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET or None)
    filters = form.filters()
    page_obj = paginate(
        request,
        selectors.public_directory(
            city=filters.get("city", ""), county=filters.get("county", ""), keyword=filters.get("keyword", "")
        ),
        per_page=20,
    )
    return render(
        request,
        "directory/public_list.html",
        {"portal_active": "directory", "form": form, "page_obj": page_obj, "filtered": bool(filters)},
    )
