"""Staff pages about applicant accounts: the school reclaims a teacher's resident ID
from an account somebody else signed up with (docs/decisions/0170)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from jiaozi.accounts.decorators import forbidden, staff_required, staff_user
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed

from . import services
from .forms import IdentityReclaimForm

NAV = "applicants_staff:identity_reclaim"


@never_cache
@sensitive_post_parameters("resident_id")
@staff_required(*services.RECLAIM_ROLES)
@domain_errors
def identity_reclaim(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not services.can_reclaim_identity(actor=user):
        return forbidden(request, reason="identity_reclaim")
    form = IdentityReclaimForm(request.POST or None)
    done = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with form_errors(form, ValidationFailed, Conflict):
                done = services.identity_reclaim(
                    actor=user,
                    resident_id=data["resident_id"],
                    identity_checked=data["identity_checked"],
                    reason=data["reason"],
                )
                form = IdentityReclaimForm()
        except PermissionDenied as exc:
            form.add_error(None, exc.message)
            status = 403
    return render(
        request,
        "applicants/staff_identity_reclaim.html",
        {"form": form, "done": done, "nav_active": NAV},
        status=status,
    )
