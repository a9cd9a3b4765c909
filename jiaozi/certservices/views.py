"""Staff pages of certificate services, under the staff prefix at certificates/: the
registry list of the user's jurisdiction (search by number and name in the URL, by
resident ID through a posted form only) and each certificate with its history."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.core.boundary import domain_errors
from jiaozi.core.masking import mask_resident_id
from jiaozi.core.ratelimit import RateLimited, ratelimit
from jiaozi.core.ui.tables import Column, ordering_from, paginate

from . import selectors
from .forms import CertificateFilterForm, ResidentIdSearchForm
from .permissions import VIEW_ROLES

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
            "nav_active": "certservices:certificate_list",
            "breadcrumbs": [
                (_("证书信息"), reverse("certservices:certificate_list")),
                (certificate.number, None),
            ],
        },
    )
