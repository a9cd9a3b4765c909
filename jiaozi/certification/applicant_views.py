"""The applicant's certification pages (/me/certification/): parse, call one service or
selector, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors

from .access import applicant_required, applicant_user
from .labels import reason_label
from .selectors import application_get_visible_to, application_steps, applications_of, batch_current
from .transitions import actions_for
from .windows import window_is_open


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
