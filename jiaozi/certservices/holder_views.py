"""The holder's pages at /me/certificates/: their certificates with registration status
and validity, and each one's history."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from jiaozi.core.boundary import domain_errors

from . import selectors
from .access import holder_required, holder_user


@holder_required
@domain_errors
@require_http_methods(["GET"])
def my_certificates(request: HttpRequest) -> HttpResponse:
    user = holder_user(request)
    return render(
        request,
        "certservices/my_certificates.html",
        {
            "linked": selectors.holder_teacher(user=user) is not None,
            "certificates": selectors.holder_certificates(user=user),
            "nav": "certificates",
        },
    )


@holder_required
@domain_errors
@require_http_methods(["GET"])
def my_certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = selectors.holder_certificate_get(user=holder_user(request), pk=pk)
    return render(
        request,
        "certservices/my_certificate_detail.html",
        {
            "certificate": certificate,
            "dossier": selectors.certificate_dossier(certificate=certificate),
            "nav": "certificates",
        },
    )
