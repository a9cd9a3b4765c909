"""Staff pages of certificate services, under the staff prefix at certificates/: the
registry list of the user's jurisdiction (search by number and name in the URL, by
resident ID through a posted form only) and each certificate with its history."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.accounts.roles import Role
from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.core.masking import mask_resident_id
from jiaozi.core.ratelimit import RateLimited, ratelimit
from jiaozi.core.ui.tables import Column, ordering_from, paginate

from . import deadlines, selectors, services
from .downloads import material_response, paper_response
from .forms import ActForm, CertificateFilterForm, RequestFilterForm, ResidentIdSearchForm, SettingForm
from .permissions import CHECK_OPEN_ROLES, DECIDE_ROLES, VIEW_ROLES
from .transitions import REQUESTS

LIST_COLUMNS = [
    Column(gettext_lazy("证书编号"), "number", sortable=True),
    Column(gettext_lazy("持证人")),
    Column(gettext_lazy("资格种类")),
    Column(gettext_lazy("证书状态")),
    Column(gettext_lazy("注册情况")),
    Column(gettext_lazy("学校")),
]
LIST_SORTS = {"number": ("number", "pk")}
LIST_PER_PAGE = 50
# 按身份证号查询 per user and hour: enough for a clerk, too few for harvesting.
ID_SEARCH_LIMIT = 120
ID_SEARCH_WINDOW = 3600


def _list_page(
    request: HttpRequest,
    *,
    form: CertificateFilterForm,
    id_form: ResidentIdSearchForm,
    filters: dict[str, str],
    searched_id: str = "",
) -> HttpResponse:
    user = staff_user(request)
    queryset = selectors.certificate_search(selectors.certificate_list_visible_to(user=user), **filters)
    sort, order_by = ordering_from(request, allowed=LIST_SORTS, default="number")
    page_obj = paginate(
        request, selectors.certificate_list_for_page(queryset).order_by(*order_by), per_page=LIST_PER_PAGE
    )
    page_obj.object_list = [
        selectors.CertificateView(row, selectors.validity_of(row)) for row in page_obj.object_list
    ]
    return render(
        request,
        "certservices/certificate_list.html",
        {
            "filter_form": form,
            "id_form": id_form,
            "searched_id": mask_resident_id(searched_id) if searched_id else "",
            "page_obj": page_obj,
            "columns": LIST_COLUMNS,
            "sort": sort,
            "nav_active": "certservices:certificate_list",
            "breadcrumbs": [(_("证书信息"), None)],
        },
    )


@never_cache
@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def certificate_list(request: HttpRequest) -> HttpResponse:
    if len("".join(ch for ch in request.GET.get("name", "") if ch.isdigit())) >= 6:
        # A resident ID (or a long part of one) never travels in a URL: away from it.
        messages.warning(request, _("身份证号不能放在网址中查询，请使用“按身份证号查询”。"))
        return redirect("certservices:certificate_list")
    form = CertificateFilterForm(request.GET or None)
    return _list_page(request, form=form, id_form=ResidentIdSearchForm(), filters=form.filters())


@never_cache
@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def certificate_id_search(request: HttpRequest) -> HttpResponse:
    """按身份证号查询: the full ID comes in a POST body and the page answers directly;
    rate-limited per user. A GET goes back to the list."""
    if request.method == "GET":
        return redirect("certservices:certificate_list")
    id_form = ResidentIdSearchForm(request.POST)
    if not id_form.is_valid():
        return _list_page(request, form=CertificateFilterForm(), id_form=id_form, filters={})
    try:
        ratelimit(f"certificate-id-search:{request.user.pk}", limit=ID_SEARCH_LIMIT, window=ID_SEARCH_WINDOW)
    except RateLimited as exc:
        messages.error(request, exc.message)
        return redirect("certservices:certificate_list")
    resident_id = id_form.cleaned_data["resident_id"]
    return _list_page(
        request,
        form=CertificateFilterForm(),
        id_form=ResidentIdSearchForm(),
        filters={"resident_id": resident_id},
        searched_id=resident_id,
    )


@never_cache
@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = selectors.certificate_get_visible_to(user=staff_user(request), pk=pk)
    dossier = selectors.certificate_dossier(certificate=certificate)
    return render(
        request,
        "certservices/certificate_detail.html",
        {
            "dossier": dossier,
            "certificate": certificate,
            "can_open_check": staff_user(request).role in CHECK_OPEN_ROLES,
            "nav_active": "certservices:certificate_list",
            "breadcrumbs": [
                (_("证书信息"), reverse("certservices:certificate_list")),
                (certificate.number, None),
            ],
        },
    )


# --- The authority's queue ---------------------------------------------------------------

QUEUE_COLUMNS = [
    Column(gettext_lazy("申请类型")),
    Column(gettext_lazy("证书编号")),
    Column(gettext_lazy("持证人")),
    Column(gettext_lazy("发证机关")),
    Column(gettext_lazy("提交时间")),
    Column(gettext_lazy("办理期限")),
    Column(gettext_lazy("状态")),
]


@never_cache
@staff_required(*DECIDE_ROLES)
@domain_errors
@require_http_methods(["GET"])
def request_queue(request: HttpRequest) -> HttpResponse:
    form = RequestFilterForm(request.GET or None)
    filters = form.filters()
    user = staff_user(request)
    page_obj = paginate(request, selectors.request_queue(user=user, **filters), per_page=LIST_PER_PAGE)
    return render(
        request,
        "certservices/request_queue.html",
        {
            "filter_form": form,
            "page_obj": page_obj,
            "columns": QUEUE_COLUMNS,
            "counts": selectors.request_counts(user=user),
            "today": clock.today(),
            "nav_active": "certservices:request_queue",
            "breadcrumbs": [(_("证书业务办理"), None)],
        },
    )


def _staff_detail(request: HttpRequest, pk: int, *, act_form: ActForm | None = None) -> HttpResponse:
    user = staff_user(request)
    row = selectors.request_get_visible_to(user=user, pk=pk)
    rules = deadlines.rules_for(row.authority)
    return render(
        request,
        "certservices/request_detail.html",
        {
            "row": row,
            "urgency": deadlines.urgency(row.due_on, rules) if row.status == "submitted" else "",
            "steps": selectors.request_steps(request=row),
            "materials": selectors.request_materials(request=row),
            "actions": REQUESTS.actions_for(user=user, instance=row),
            "act_form": act_form or ActForm(),
            "nav_active": "certservices:request_queue",
            "breadcrumbs": [
                (_("证书业务办理"), reverse("certservices:request_queue")),
                (row.certificate.number, None),
            ],
        },
    )


@never_cache
@staff_required(*DECIDE_ROLES)
@domain_errors
@require_http_methods(["GET"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_detail(request, pk)


@never_cache
@staff_required(*DECIDE_ROLES)
@domain_errors
@require_http_methods(["POST"])
def request_act(request: HttpRequest, pk: int) -> HttpResponse:
    form = ActForm(request.POST)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            services.request_transition(
                actor=staff_user(request),
                request_id=pk,
                action=form.cleaned_data["action"],
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                old_returned=form.cleaned_data["old_returned"],
            )
            messages.success(request, _("已办理。"))
            return redirect("certservices:request_detail", pk=pk)
    return _staff_detail(request, pk, act_form=form)


@never_cache
@staff_required(*DECIDE_ROLES)
@domain_errors
@require_http_methods(["GET"])
def request_paper(request: HttpRequest, pk: int) -> HttpResponse:
    # staff_required types its views as HttpResponse; a FileResponse streams.
    return cast(
        HttpResponse, paper_response(selectors.request_get_visible_to(user=staff_user(request), pk=pk))
    )


@never_cache
@staff_required(*DECIDE_ROLES)
@domain_errors
@require_http_methods(["GET"])
def material_download(request: HttpRequest, pk: int) -> HttpResponse:
    return cast(
        HttpResponse, material_response(services.material_for_download(user=staff_user(request), pk=pk))
    )


# --- The province's setting -------------------------------------------------------------


@never_cache
@staff_required(Role.PROVINCE_ADMIN)
@domain_errors
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    current = selectors.service_setting_for(user=user)
    form = SettingForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            services.service_setting_update(
                actor=user,
                processing_days=form.cleaned_data["processing_days"],
                reminder_days=form.cleaned_data["reminder_days"],
                version=form.cleaned_data.get("version"),
            )
            messages.success(request, _("设置已保存。新提交的申请按新的办理时限计算。"))
            return redirect("certservices:settings")
    return render(
        request,
        "certservices/settings.html",
        {"form": form, "nav_active": "certservices:settings", "breadcrumbs": [(_("证书业务设置"), None)]},
    )
