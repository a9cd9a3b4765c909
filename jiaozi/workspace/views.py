from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.core.ui.nav import quick_links

from .dashboard import tasks_for


# The dashboard names the user and their institution: never kept by a shared browser cache.
@never_cache
@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "workspace/home.html",
        {"nav_active": "workspace:home", "tasks": tasks_for(user), "quick_links": quick_links(user)},
    )
