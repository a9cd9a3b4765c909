from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .dashboard import tasks_for
from .nav import quick_links


# TODO(accounts): switch to jiaozi.accounts.decorators.staff_required() when it lands.
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "kind", None) != "staff":
        raise Http404
    return render(
        request,
        "workspace/home.html",
        {"nav_active": "workspace:home", "tasks": tasks_for(user), "quick_links": quick_links(user)},
    )
