"""Share links (decision 0226): the holder's pages to create, list and revoke them, and
the public page a link opens, which answers as the number + name lookup does, or with
the not-found page when the link is unknown, expired or revoked."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors
from jiaozi.core.errors import Conflict, NotFound, ValidationFailed
from jiaozi.core.middleware import client_ip
from jiaozi.core.ratelimit import RateLimited, ratelimit

from . import sharing
from .access import holder_required, holder_user
from .forms import ShareLinkForm, ShareRevokeForm


@holder_required
@domain_errors
@require_http_methods(["GET", "POST"])
def share_create(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form. POST: a new link, shown once on the answer page (never stored, so
    the page is not redirected to and not cached)."""
    user = holder_user(request)
    form = ShareLinkForm(request.POST or None)
    links = sharing.share_links_of(holder=user, certificate_id=pk)
    if request.method == "POST" and form.is_valid():
        try:
            created = sharing.share_link_create(
                holder=user, certificate_id=pk, days=form.cleaned_data["days"]
            )
        except (ValidationFailed, Conflict) as error:
            form.add_error(None, error.message)
        else:
            return render(
                request,
                "certservices/share_created.html",
                {"created": created, "certificate_id": pk, "nav": "certificates"},
            )
    return render(
        request,
        "certservices/share_links.html",
        {"form": form, "links": links, "certificate_id": pk, "now": clock.now(), "nav": "certificates"},
    )


@holder_required
@domain_errors
@require_http_methods(["POST"])
def share_revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    form = ShareRevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请刷新页面后重试。"))
    else:
        try:
            sharing.share_link_revoke(
                holder=holder_user(request), link_id=link_pk, version=form.cleaned_data["version"]
            )
            messages.success(request, _("分享链接已撤销，他人将无法再通过该链接查看。"))
        except Conflict as error:
            messages.error(request, error.message)
    return redirect("certservices_applicant:share_links", pk=pk)


def _limit() -> tuple[int, int]:
    limit, window = getattr(settings, "SHARE_LINK_RATE_LIMIT", (30, 60))
    return int(limit), int(window)


@never_cache
@domain_errors
@require_GET
def share_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The public page of a share link: rate-limited per client, logged like every
    public lookup (how, and whether found — never the token)."""
    try:
        ratelimit(f"verify:share:ip:{client_ip(request)}", *_limit())
    except RateLimited as error:
        response = render(
            request,
            "certificates/rate_limited.html",
            {"portal_active": "verify", "retry_after": error.retry_after},
            status=429,
        )
        response["Retry-After"] = str(error.retry_after)
        return response
    found = True
    try:
        result, link = sharing.share_link_verify(token=token)
    except NotFound:
        found = False
        raise
    finally:
        audit_record(
            kind=AuditKind.VERIFICATION_LOOKUP,
            actor=None,
            object_type="certificates.verification",
            details={"channel": "share", "found": found, "well_formed": True},
            ip=client_ip(request),
        )
    response = render(
        request,
        "certservices/share_verify.html",
        {"result": result, "expires_at": link.expires_at, "portal_active": "verify"},
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
