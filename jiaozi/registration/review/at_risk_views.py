"""The list of applications that cannot finish inside their level's window (§5
"deadlines cascade"), for every reviewing level, within its jurisdiction."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.core.boundary import domain_errors

from ..applications.deadlines import applications_at_risk
from ..applications.selectors import application_list_visible_to
from ..campaigns.selectors import campaign_active_for
from ..permissions import AT_RISK_ROLES


@never_cache
@staff_required(*AT_RISK_ROLES)
@domain_errors
@require_http_methods(["GET"])
def at_risk(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    campaign = campaign_active_for(user=user)
    rows = applications_at_risk(application_list_visible_to(user=user), campaign=campaign) if campaign else []
    return render(
        request,
        "registration/at_risk.html",
        {
            "campaign": campaign,
            "rows": rows,
            "nav_active": "registration:at_risk",
            "breadcrumbs": [(_("办理时限预警"), None)],
        },
    )
