"""The applicant's certification pages (/me/certification/): parse, call one service or
selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiaozi.certificates.models import QualificationType
from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed

from .access import applicant_required, applicant_user
from .forms import ActForm, ApplicationForm
from .labels import reason_label
from .models import CertificationApplication
from .photos import photo_check, photo_response
from .selectors import application_get_visible_to, application_steps, applications_of, batch_current
from .services import application_photo_set, application_start, application_update, certificate_pdf_for_holder
from .transitions import actions_for, certification_transition
from .windows import window_check, window_is_open
from .workflow import Action

APPLICANT_ACTIONS = frozenset({Action.SUBMIT, Action.WITHDRAW, Action.RESUBMIT})


@applicant_required
@domain_errors
def home(request: HttpRequest) -> HttpResponse:
    user = applicant_user(request)
    now = clock.now()
    batch = batch_current(at=now)
    context = {
        "batch": batch,
        "apply_open": batch is not None and window_is_open(batch, "apply", now),
        "applications": applications_of(user=user),
        "nav": "certification",
    }
    return render(request, "certification/home.html", context)


@applicant_required
@domain_errors
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = applicant_user(request)
    application = application_get_visible_to(user=user, pk=pk)
    context = {
        "a": application,
        "steps": application_steps(application=application),
        "actions": actions_for(user=user, application=application),
        "check_reasons": [reason_label(code) for code in application.check_reasons],
        "nav": "certification",
    }
    return render(request, "certification/detail.html", context)


def _type_of(request: HttpRequest) -> str:
    value = request.GET.get("type", "") or request.POST.get("qualification_type", "")
    return value if value in QualificationType.values else ""


@applicant_required
@domain_errors
def apply(request: HttpRequest) -> HttpResponse:
    """Pick the type, then fill the application; refused outside the online window."""
    user = applicant_user(request)
    now = clock.now()
    batch = batch_current(at=now)
    window_check(batch, "apply", now)
    assert batch is not None
    qualification_type = _type_of(request)
    if not qualification_type:
        return render(
            request, "certification/apply_type.html", {"batch": batch, "types": QualificationType.choices}
        )
    form = ApplicationForm(request.POST or None, request.FILES or None, qualification_type=qualification_type)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            photo = form.cleaned_data.get("photo")
            if photo is None:
                raise ValidationFailed.on_field("photo", _("请上传本人照片。"), code="photo_required")
            photo_check(photo)
            application = application_start(user=user, batch=batch, data=form.data_object())
            application_photo_set(user=user, pk=application.pk, version=application.version, photo=photo)
            messages.success(request, _("认定申请已保存，请核对后提交。"))
            return redirect("certification_applicant:detail", application.pk)
    context = {
        "batch": batch,
        "form": form,
        "type_label": QualificationType(qualification_type).label,
        "qualification_type": qualification_type,
        "nav": "certification",
    }
    return render(request, "certification/apply.html", context)


def _initial(application: CertificationApplication) -> dict[str, object]:
    names: tuple[str, ...] = ("subject", "education", "preschool_major", "title", "mandarin")
    names += ("mandarin_certificate_no", "ntce_type", "ntce_number", "ntce_date", "commitment", "phone")
    initial: dict[str, object] = {name: getattr(application, name) for name in names}
    initial["authority"] = application.authority_id
    initial["confirmation_point"] = application.confirmation_point_id
    return initial


@applicant_required
@domain_errors
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft, or fix an application whose confirmation was refused."""
    user = applicant_user(request)
    application = application_get_visible_to(user=user, pk=pk)
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        initial=_initial(application),
        qualification_type=application.qualification_type,
    )
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            version = int(request.POST.get("version", "0") or 0)
            updated = application_update(user=user, pk=pk, version=version, data=form.data_object())
            photo = form.cleaned_data.get("photo")
            if photo is not None:
                application_photo_set(user=user, pk=pk, version=updated.version, photo=photo)
            messages.success(request, _("认定申请已修改。"))
            return redirect("certification_applicant:detail", pk)
    context = {
        "a": application,
        "form": form,
        "type_label": application.get_qualification_type_display(),
        "qualification_type": application.qualification_type,
        "nav": "certification",
    }
    return render(request, "certification/apply.html", context)


@applicant_required
@domain_errors
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit, withdraw or resubmit (the applicant's transitions)."""
    user = applicant_user(request)
    application_get_visible_to(user=user, pk=pk)
    form = ActForm(request.POST)
    if not form.is_valid() or form.cleaned_data["action"] not in APPLICANT_ACTIONS:
        raise ValidationFailed(_("请求无效，请刷新后重试。"), code="invalid_request")
    try:
        certification_transition(
            actor=user,
            application_id=pk,
            action=form.cleaned_data["action"],
            version=form.cleaned_data["version"],
        )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已办理：%(action)s。") % {"action": Action(form.cleaned_data["action"]).label}
        )
    return redirect("certification_applicant:detail", pk)


@applicant_required
@domain_errors
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant's own photo (never a public URL)."""
    application = application_get_visible_to(user=applicant_user(request), pk=pk)
    return photo_response(application)


@applicant_required
@domain_errors
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """The holder downloads the certificate (PDF)."""
    name, pdf = certificate_pdf_for_holder(user=applicant_user(request), pk=pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
