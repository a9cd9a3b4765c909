"""The holder's pages at /me/certificates/: their certificates with registration status
and validity, and each one's history."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed

from . import deadlines, selectors, services
from .access import holder_required, holder_user
from .downloads import material_response, paper_response
from .forms import ActForm, MaterialForm, RequestForm
from .transitions import REQUESTS
from .workflow import RequestKind


@holder_required
@domain_errors
@require_http_methods(["GET"])
def my_certificates(request: HttpRequest) -> HttpResponse:
    user = holder_user(request)
    return render(
        request,
        "certservices/my_certificates.html",
        {
            "linked": selectors.holder_teacher(user=user) is not None,
            "certificates": selectors.holder_certificates(user=user),
            "nav": "certificates",
        },
    )


@holder_required
@domain_errors
@require_http_methods(["GET"])
def my_certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = selectors.holder_certificate_get(user=holder_user(request), pk=pk)
    return render(
        request,
        "certservices/my_certificate_detail.html",
        {
            "certificate": certificate,
            "dossier": selectors.certificate_dossier(certificate=certificate),
            "nav": "certificates",
        },
    )


# --- Requests ------------------------------------------------------------------------------


def _kind_or_404(kind: str) -> str:
    if kind not in RequestKind.values:
        raise Http404
    return kind


@holder_required
@domain_errors
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    user = holder_user(request)
    certificate = selectors.holder_certificate_get(user=user, pk=pk)
    kind = _kind_or_404(kind)
    form = RequestForm(request.POST or None, request.FILES or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        files = [
            (name, request.FILES[name])
            for name in ("evidence", "loss_notice", "damaged")
            if name in request.FILES
        ]
        with form_errors(form, ValidationFailed, Conflict):
            created = services.request_submit(
                applicant=user,
                certificate_id=certificate.pk,
                kind=kind,
                reason=data.get("reason", ""),
                corrections={"name": data.get("name", ""), "subject": data.get("subject", "")},
                loss_notice_medium=data.get("loss_notice_medium", ""),
                loss_notice_date=data.get("loss_notice_date"),
                files=files,
            )
            messages.success(
                request,
                _("申请已提交，发证机关将在 %(due)s 前办理。") % {"due": created.due_on.isoformat()},
            )
            return redirect("certservices_applicant:request_detail", pk=created.pk)
    rules = deadlines.rules_for(certificate.teacher.school)
    return render(
        request,
        "certservices/request_new.html",
        {
            "certificate": certificate,
            "kind": kind,
            "kind_label": RequestKind(kind).label,
            "form": form,
            "processing_days": rules.processing_days,
            "nav": "certificates",
        },
    )


@holder_required
@domain_errors
@require_http_methods(["GET"])
def my_requests(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "certservices/my_requests.html",
        {"requests": selectors.holder_requests(user=holder_user(request)), "nav": "certificates"},
    )


def _holder_detail(request: HttpRequest, pk: int, *, act_form: ActForm | None = None) -> HttpResponse:
    user = holder_user(request)
    row = selectors.holder_request_get(user=user, pk=pk)
    return render(
        request,
        "certservices/my_request_detail.html",
        {
            "row": row,
            "steps": selectors.request_steps(request=row),
            "materials": selectors.request_materials(request=row),
            "actions": REQUESTS.actions_for(user=user, instance=row),
            "act_form": act_form or ActForm(),
            "material_form": MaterialForm(),
            "nav": "certificates",
        },
    )


@holder_required
@domain_errors
@require_http_methods(["GET"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _holder_detail(request, pk)


@holder_required
@domain_errors
@require_http_methods(["POST"])
def request_act(request: HttpRequest, pk: int) -> HttpResponse:
    form = ActForm(request.POST)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            services.request_transition(
                actor=holder_user(request),
                request_id=pk,
                action=form.cleaned_data["action"],
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("操作已完成。"))
            return redirect("certservices_applicant:request_detail", pk=pk)
    return _holder_detail(request, pk, act_form=form)


@holder_required
@domain_errors
@require_http_methods(["POST"])
def request_material_add(request: HttpRequest, pk: int) -> HttpResponse:
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.request_material_add(
                applicant=holder_user(request),
                request_id=pk,
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
            )
            messages.success(request, _("材料已上传。"))
        except (ValidationFailed, Conflict) as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请选择材料类型和文件。"))
    return redirect("certservices_applicant:request_detail", pk=pk)


@holder_required
@domain_errors
@require_http_methods(["GET"])
def request_paper(request: HttpRequest, pk: int) -> HttpResponseBase:
    row = selectors.holder_request_get(user=holder_user(request), pk=pk)
    return paper_response(row)


@holder_required
@domain_errors
@require_http_methods(["GET"])
def material_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    return material_response(services.material_for_download(user=holder_user(request), pk=pk))
