"""Staff pages of authenticity checks (证书真伪核验): the list of the checks a user's
institution asked for or must answer, opening one from a certificate, answering it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.core.scoping import get_visible_or_404
from jiaozi.core.ui.tables import paginate

from . import selectors
from .authenticity import (
    CHECKS,
    authenticity_check_open,
    authenticity_check_transition,
    check_urgency,
    checks_visible_to,
)
from .forms import CheckActForm, CheckOpenForm
from .permissions import CHECK_ANSWER_ROLES, CHECK_OPEN_ROLES

ROLES = CHECK_OPEN_ROLES | CHECK_ANSWER_ROLES


@never_cache
@staff_required(*ROLES)
@domain_errors
@require_http_methods(["GET"])
def check_list(request: HttpRequest) -> HttpResponse:
    queryset = (
        checks_visible_to(staff_user(request))
        .select_related("certificate", "authority", "requesting_institution")
        .order_by("status", "due_on", "pk")
    )
    return render(
        request,
        "certservices/check_list.html",
        {
            "page_obj": paginate(request, queryset, per_page=50),
            "nav_active": "certservices:check_list",
            "breadcrumbs": [(_("证书真伪核验"), None)],
        },
    )


@never_cache
@staff_required(*CHECK_OPEN_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def check_open(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    certificate = selectors.certificate_get_visible_to(user=user, pk=pk)
    form = CheckOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            check = authenticity_check_open(actor=user, certificate_id=certificate.pk, **form.cleaned_data)
            messages.success(request, _("已发起真伪核验。核验完成前，该证书的定期注册申请暂停办理。"))
            return redirect("certservices:check_detail", pk=check.pk)
    return render(
        request,
        "certservices/check_open.html",
        {
            "certificate": certificate,
            "form": form,
            "nav_active": "certservices:check_list",
            "breadcrumbs": [
                (_("证书真伪核验"), reverse("certservices:check_list")),
                (certificate.number, None),
            ],
        },
    )


def _detail(request: HttpRequest, pk: int, *, form: CheckActForm | None = None) -> HttpResponse:
    user = staff_user(request)
    check = get_visible_or_404(
        checks_visible_to(user).select_related(
            "certificate", "authority", "requesting_institution", "requester"
        ),
        pk=pk,
    )
    return render(
        request,
        "certservices/check_detail.html",
        {
            "check": check,
            "urgency": check_urgency(check),
            "actions": CHECKS.actions_for(user=user, instance=check),
            "form": form or CheckActForm(),
            "nav_active": "certservices:check_list",
            "breadcrumbs": [
                (_("证书真伪核验"), reverse("certservices:check_list")),
                (check.certificate.number, None),
            ],
        },
    )


@never_cache
@staff_required(*ROLES)
@domain_errors
@require_http_methods(["GET"])
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@never_cache
@staff_required(*ROLES)
@domain_errors
@require_http_methods(["POST"])
def check_act(request: HttpRequest, pk: int) -> HttpResponse:
    form = CheckActForm(request.POST)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            authenticity_check_transition(
                actor=staff_user(request),
                check_id=pk,
                action=form.cleaned_data["action"],
                version=form.cleaned_data["version"],
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                reference=form.cleaned_data["reference"],
            )
            messages.success(request, _("已办理。"))
            return redirect("certservices:check_detail", pk=pk)
    return _detail(request, pk, form=form)
