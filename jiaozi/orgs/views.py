"""Institution pages of the staff workspace. Views parse input, call one selector or
service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jiaozi.core.access import staff_required
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.core.roles import Role
from jiaozi.core.ui.tables import Column, ordering_from, paginate

from . import selectors, services
from .forms import InstitutionFilterForm, PublicInfoForm
from .models import Institution
from .permissions import PUBLIC_INFO_OVERVIEW_ROLES, can_edit_public_info, can_view_public_info_overview
from .routing import review_chain

LIST_SORTS = {"code": "code", "name": "name", "kind": ("kind", "code"), "level": ("level", "code")}
LIST_COLUMNS = [
    Column(gettext_lazy("机构代码"), "code", sortable=True),
    Column(gettext_lazy("机构名称"), "name", sortable=True),
    Column(gettext_lazy("机构类型"), "kind", sortable=True),
    Column(gettext_lazy("层级"), "level", sortable=True),
    Column(gettext_lazy("行政区划")),
    Column(gettext_lazy("上级机构")),
    Column(gettext_lazy("公开信息")),
]
MISSING_COLUMNS = [
    Column(gettext_lazy("机构代码"), "code", sortable=True),
    Column(gettext_lazy("机构名称"), "name", sortable=True),
    Column(gettext_lazy("层级"), "level", sortable=True),
    Column(gettext_lazy("上级机构")),
    Column(gettext_lazy("尚未填写")),
]


@staff_required()
@domain_errors
@require_http_methods(["GET"])
def institution_list(request: HttpRequest) -> HttpResponse:
    form = InstitutionFilterForm(request.GET or None, user=request.user)
    queryset = selectors.institution_search(
        selectors.institution_list_visible_to(user=request.user), **form.filters()
    )
    sort, order_by = ordering_from(request, allowed=LIST_SORTS, default="code")
    return render(
        request,
        "orgs/institution_list.html",
        {
            "filter_form": form,
            "page_obj": paginate(request, queryset.order_by(*order_by)),
            "columns": LIST_COLUMNS,
            "sort": sort,
            "can_view_overview": can_view_public_info_overview(actor=request.user),
            "nav_active": "orgs:institution_list",
            "breadcrumbs": [(_("机构管理"), None)],
        },
    )


@staff_required()
@domain_errors
@require_http_methods(["GET"])
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = selectors.institution_get_visible_to(user=request.user, pk=pk)
    chain: list[Institution] = []
    if institution.kind == Institution.Kind.SCHOOL:
        try:
            chain = review_chain(institution)
        except ValidationFailed:
            chain = []
    children = selectors.institution_list_visible_to(user=request.user).filter(parent=institution)
    return render(
        request,
        "orgs/institution_detail.html",
        {
            "institution": institution,
            "review_chain": chain,
            "children": children.order_by("kind", "code")[:100],
            "children_count": children.count(),
            "has_public_info": selectors.institution_has_public_info(institution),
            "can_edit_public_info": can_edit_public_info(actor=request.user, institution=institution),
            "nav_active": "orgs:institution_list",
            "breadcrumbs": [(_("机构管理"), reverse("orgs:institution_list")), (institution.name, None)],
        },
    )


@staff_required(Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN)
@domain_errors
@require_http_methods(["GET", "POST"])
def public_info(request: HttpRequest) -> HttpResponse:
    """The signed-in admin's own institution's public info (注册机构联系方式)."""
    institution = request.user.institution  # type: ignore[union-attr]
    assert institution is not None  # staff always belong to an institution
    if request.method == "POST":
        form = PublicInfoForm(request.POST)
        if form.is_valid():
            with form_errors(form, ValidationFailed, Conflict):
                services.institution_update_public_info(
                    actor=request.user, pk=institution.pk, **form.cleaned_data
                )
                messages.success(request, _("公开信息已保存。"))
                return redirect("orgs:public_info")
    else:
        form = PublicInfoForm(
            initial={
                "address": institution.address,
                "phone": institution.phone,
                "office_hours": institution.office_hours,
                "version": institution.version,
            }
        )
    return render(
        request,
        "orgs/public_info.html",
        {
            "form": form,
            "institution": institution,
            "nav_active": "orgs:public_info",
            "breadcrumbs": [(_("机构公开信息"), None)],
        },
    )


@staff_required(*PUBLIC_INFO_OVERVIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def public_info_missing(request: HttpRequest) -> HttpResponse:
    """Registration institutions in scope that have not filled their public info."""
    sort, order_by = ordering_from(request, allowed=LIST_SORTS, default="code")
    registration = selectors.registration_institution_list_visible_to(user=request.user)
    missing = selectors.registration_institution_list_missing_public_info(user=request.user)
    total = registration.count()
    page_obj = paginate(request, missing.order_by(*order_by))
    return render(
        request,
        "orgs/public_info_missing.html",
        {
            "page_obj": page_obj,
            "columns": MISSING_COLUMNS,
            "sort": sort,
            "total": total,
            "filled": total - page_obj.paginator.count,
            "nav_active": "orgs:public_info",
            "breadcrumbs": [
                (_("机构公开信息"), reverse("orgs:public_info")),
                (_("未填写公开信息的注册机构"), None),
            ],
        },
    )
