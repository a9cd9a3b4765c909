"""File answers of certificate services: materials and papers, always as attachments
with ``nosniff`` and never cached (they are about a person)."""

from __future__ import annotations

from django.http import FileResponse, Http404

from .models import RequestMaterial, ServiceRequest


def _private(response: FileResponse) -> FileResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def material_response(material: RequestMaterial) -> FileResponse:
    extension = (material.file.name or "").rsplit(".", 1)[-1]
    return _private(
        FileResponse(
            material.file.open("rb"),
            as_attachment=True,
            filename=f"material-{material.pk}.{extension}",
            content_type=material.content_type,
        )
    )


def paper_response(row: ServiceRequest) -> FileResponse:
    if not row.paper:
        raise Http404
    return _private(
        FileResponse(
            row.paper.open("rb"),
            as_attachment=True,
            filename=f"certificate-{row.certificate.number}-{row.pk}.pdf",
            content_type="application/pdf",
        )
    )
