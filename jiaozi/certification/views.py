"""Certification's staff pages: the confirmation user's queue and compare-and-decide
screen (at the chosen 确认点), the certifying officer's queue, detail (physical exam,
decision), batch decisions and the overdue list. Views parse, call one service or
selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.confirmation.selectors import booking_for_reference
from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.core.masking import mask_resident_id
from jiaozi.core.roles import Role

from .forms import BatchDecideForm, ConfirmForm, DecideForm, HealthForm
from .hooks import KIND
from .labels import reason_label
from .photos import photo_response
from .rules import requirements_unmet
from .selectors import application_get_visible_to, application_steps, overdue, queue
from .services import health_record
from .transitions import BatchItem, certification_transition, certification_transition_batch, facts_of
from .workflow import Action, Status

CONFIRMER = Role.CONFIRMATION_USER
OFFICER = Role.CERTIFYING_OFFICER


def _checked(application_id: int) -> dict[str, object]:
    booking = booking_for_reference(KIND, application_id)
    return {
        "booking": booking,
        "checked_in": booking is not None and booking.status == "checked_in",
    }


# --- Confirmation users ---------------------------------------------------------------


@staff_required(CONFIRMER)
@domain_errors
def confirm_queue(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    rows = list(queue(user=user, statuses=(Status.CONFIRMATION, Status.CONFIRM_REFUSED))[:500])
    return render(request, "certification/staff/confirm_queue.html", {"rows": rows})


@staff_required(CONFIRMER)
@domain_errors
def confirm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Compare the online data with the papers, then decide 待认定审批 or 确认未通过."""
    user = staff_user(request)
    application = application_get_visible_to(user=user, pk=pk)
    form = ConfirmForm(request.POST or None, initial={"version": application.version})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with form_errors(form, ValidationFailed, Conflict):
            action = Action.CONFIRM if d["decision"] == "confirm" else Action.REFUSE_CONFIRMATION
            certification_transition(
                actor=user, application_id=pk, action=action, version=d["version"],
                reason_code=d["reason_code"], reason=d["reason"],
            )  # fmt: skip
            messages.success(request, _("已办理：%(action)s。") % {"action": Action(action).label})
            return redirect("certification:confirm_queue")
    reasons = requirements_unmet(facts_of(application), on=clock.today())
    context = {
        "a": application,
        "form": form,
        "reasons": [reason_label(r) for r in reasons],
        "steps": application_steps(application=application),
        "masked_id": mask_resident_id(application.resident_id),
        "actionable": application.status in (Status.CONFIRMATION, Status.CONFIRM_REFUSED),
        **_checked(application.pk),
    }
    return render(request, "certification/staff/confirm_detail.html", context)


# --- Certifying officers ----------------------------------------------------------------


@staff_required(OFFICER)
@domain_errors
def officer_queue(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    rows = list(queue(user=user, statuses=(Status.DECISION,))[:500])
    context = {"rows": rows, "batch_form": BatchDecideForm(), "today": clock.today()}
    return render(request, "certification/staff/queue.html", context)


@staff_required(OFFICER)
@domain_errors
def officer_overdue(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    rows = list(overdue(user=user, today=clock.today())[:500])
    return render(request, "certification/staff/overdue.html", {"rows": rows, "today": clock.today()})


@staff_required(OFFICER)
@domain_errors
def officer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    application = application_get_visible_to(user=user, pk=pk)
    context = {
        "a": application,
        "health_form": HealthForm(initial={"version": application.version, "health": application.health}),
        "decide_form": DecideForm(initial={"version": application.version}),
        "steps": application_steps(application=application),
        "reasons": [reason_label(r) for r in requirements_unmet(facts_of(application), on=clock.today())],
        "today": clock.today(),
        "masked_id": mask_resident_id(application.resident_id),
        **_checked(application.pk),
    }
    return render(request, "certification/staff/detail.html", context)


@staff_required(OFFICER)
@domain_errors
@require_POST
def officer_health(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    application_get_visible_to(user=user, pk=pk)
    form = HealthForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("请选择体检结论。"), code="health_required")
    d = form.cleaned_data
    try:
        health_record(actor=user, pk=pk, version=d["version"], health=d["health"], hospital=d["hospital"])
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("体检结论已登记。"))
    return redirect("certification:detail", pk)


@staff_required(OFFICER)
@domain_errors
@require_POST
def officer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    application_get_visible_to(user=user, pk=pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("请选择认定结论。"), code="conclusion_required")
    d = form.cleaned_data
    try:
        application = certification_transition(
            actor=user, application_id=pk, action=Action.DECIDE, version=d["version"],
            conclusion=d["conclusion"], reason_code=d["reason_code"], reason=d["reason"],
        )  # fmt: skip
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("certification:detail", pk)
    if application.status == Status.CERTIFIED:
        text = _("认定通过，证书编号 %(number)s。") % {"number": application.certificate_number}
    else:
        text = _("已作出认定未通过的结论。")
    messages.success(request, text)
    return redirect("certification:queue")


@staff_required(OFFICER)
@domain_errors
@require_POST
def officer_batch(request: HttpRequest) -> HttpResponse:
    """One conclusion for the selected applications; each succeeds or fails on its own."""
    user = staff_user(request)
    form = BatchDecideForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("请选择认定结论。"), code="conclusion_required")
    items: list[BatchItem] = []
    for raw in request.POST.getlist("item"):
        pk, _sep, version = raw.partition(":")
        if not (pk.isdigit() and version.isdigit()):
            raise ValidationFailed(_("请求无效，请刷新后重试。"), code="invalid_request")
        items.append(
            BatchItem(
                int(pk),
                int(version),
                reason_code=form.cleaned_data["reason_code"],
                conclusion=form.cleaned_data["conclusion"],
            )
        )
    if not items:
        messages.error(request, _("请至少选择一条申请。"))
        return redirect("certification:queue")
    result = certification_transition_batch(actor=user, action=Action.DECIDE, items=items)
    messages.success(request, _("成功 %(ok)d 条。") % {"ok": len(result.succeeded)})
    for failed_pk, _code, message in result.failed[:20]:
        messages.error(request, f"#{failed_pk}: {message}")
    return redirect("certification:queue")


@staff_required(CONFIRMER, OFFICER)
@domain_errors
def staff_photo(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    if user.role not in (CONFIRMER, OFFICER):
        raise PermissionDenied(_("无权查看。"))
    return photo_response(application_get_visible_to(user=user, pk=pk))
