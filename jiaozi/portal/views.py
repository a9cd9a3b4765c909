"""Public pages (§8): no sign-in, nothing personal, and never a link to the staff
entrance. Also robots.txt, the health check and the error pages."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jiaozi.accounts.actor import is_staff_account
from jiaozi.announcements import views as announcement_views
from jiaozi.core import clock
from jiaozi.core.health import health
from jiaozi.directory import views as directory_views
from jiaozi.registration.notices.views import public_list

from . import selectors

logger = logging.getLogger(__name__)

# URL names of the public pages robots.txt allows; a name that does not resolve (a page
# not built yet) is left out.
PUBLIC_URL_NAMES = (
    "portal:announcements",
    "portal:directory",
    "portal:notices",
    "notices:list",
    "certificates:verify",
)


def _maybe_reverse(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    return render(
        request,
        "portal/home.html",
        {
            "portal_active": "home",
            "campaign": selectors.portal_campaign(now=now),
            "columns": selectors.latest_announcements(now=now),
            "batches": selectors.certification_batches(today=clock.today()),
        },
    )


@require_GET
def announcements(request: HttpRequest) -> HttpResponse:
    # /announcements/ is served by the announcements app's public pages (mounted before
    # the portal); this name stays for the site header's links.
    return announcement_views.public_list(request)


@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    # /notices/ is served by the registration app's public notice pages (mounted before
    # the portal); this name stays for the site header's links.
    return public_list(request)


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    # /directory/ is served by the directory app's public page (mounted before the
    # portal); this name stays for the site header's links.
    return directory_views.public_directory(request)


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Allow the public pages, disallow everything else. Listing only what is allowed
    keeps the staff prefix out of this file (the notice forbids disclosing it)."""
    lines = ["User-agent: *", "Allow: /$"]
    for name in PUBLIC_URL_NAMES:
        url = _maybe_reverse(name)
        if url and f"Allow: {url}" not in lines:
            lines.append(f"Allow: {url}")
    lines.append("Disallow: /")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and monitoring: 200 when the database, the shared cache,
    the broker and the file storage answer, 503 otherwise, with one word per check
    (jiaozi.core.health; no detail leaves the server)."""
    result = health()
    body = {"status": "ok" if result.ok else "error", **result.checks}
    return JsonResponse(body, status=200 if result.ok else 503)


# --- Error pages (config/urls.py handler404/403/500) -------------------------------


def _error_layout(request: HttpRequest) -> str:
    """Signed-in staff keep their workspace around the error; everyone else gets the
    public layout (without the staff navigation)."""
    user = getattr(request, "user", None)
    if is_staff_account(user):
        return "workspace/base.html"
    return "base.html"


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", {"layout": _error_layout(request)}, status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"layout": _error_layout(request)}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the failure may be the database or a context processor.
    context: dict[str, Any] = {}
    return HttpResponse(loader.get_template("500.html").render(context), status=500)
