"""Public verification pages (§7, §8): by QR token and by certificate number + name.

Both are rate-limited per client address (and the lookup also per certificate
number, so a name cannot be guessed from many addresses); both answer with masked
data only and are never cached or indexed."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core.boundary import domain_errors
from jiaozi.core.errors import NotFound
from jiaozi.core.middleware import client_ip
from jiaozi.core.ratelimit import RateLimited, ratelimit

from .forms import VerificationLookupForm
from .selectors import verification_get_by_token, verification_lookup


def _limit(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """(hits, seconds) from settings, so operators can tune without a release."""
    limit, window = getattr(settings, name, default)
    return int(limit), int(window)


def _rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
    response = render(
        request,
        "certificates/rate_limited.html",
        {"portal_active": "verify", "retry_after": error.retry_after},
        status=429,
    )
    response["Retry-After"] = str(error.retry_after)
    return response


def _log_lookup(request: HttpRequest, *, channel: str, found: bool, valid: bool) -> None:
    """The lookup log (§7 "logged"): one audit row per public lookup, saying how and
    whether something was found — never the number, the name or the token, which would
    put what the visitor typed about a person into the log (decision 0225). The client
    address is the audit row's own column."""
    audit_record(
        kind=AuditKind.VERIFICATION_LOOKUP,
        actor=None,
        object_type="certificates.verification",
        details={"channel": channel, "found": found, "well_formed": valid},
        ip=client_ip(request),
    )


def _private(response: HttpResponse) -> HttpResponse:
    # Masked, but still about a person: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@domain_errors
@require_GET
def verify_token(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ratelimit(f"verify:token:ip:{client_ip(request)}", *_limit("VERIFY_TOKEN_RATE_LIMIT", (30, 60)))
    except RateLimited as error:
        return _rate_limited(request, error)
    try:
        result = verification_get_by_token(token=token)
    except NotFound:
        _log_lookup(request, channel="qr", found=False, valid=True)
        raise
    _log_lookup(request, channel="qr", found=True, valid=True)
    return _private(
        render(request, "certificates/verify_token.html", {"result": result, "portal_active": "verify"})
    )


@never_cache
@domain_errors
@require_http_methods(["GET", "POST"])
def verify_lookup(request: HttpRequest) -> HttpResponse:
    form = VerificationLookupForm(request.POST or None)
    context: dict[str, object] = {"form": form, "portal_active": "verify", "searched": False}
    if request.method == "POST":
        try:
            # Counted before validation: malformed guesses cost the same as wrong ones.
            ratelimit(f"verify:lookup:ip:{client_ip(request)}", *_limit("VERIFY_LOOKUP_RATE_LIMIT", (10, 60)))
            if form.is_valid():
                number = form.cleaned_data["certificate_number"]
                ratelimit(
                    f"verify:lookup:number:{number}", *_limit("VERIFY_LOOKUP_NUMBER_RATE_LIMIT", (20, 3600))
                )
                context["result"] = verification_lookup(
                    certificate_number=number, name=form.cleaned_data["name"]
                )
                context["searched"] = True
            _log_lookup(
                request, channel="number_name", found=bool(context.get("result")), valid=form.is_valid()
            )
        except RateLimited as error:
            return _rate_limited(request, error)
    return _private(render(request, "certificates/verify_lookup.html", context))
