"""认定通过 enters the certificate into the registry with an ``issued`` event and a
verification token; the holder downloads a PDF whose number follows §6 and whose QR
leads to the public verification page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.certificates.models import Certificate, CertificateEvent, VerificationToken
from jiaozi.certification.models import CertificationApplication
from jiaozi.certification.serials import NUMBER
from jiaozi.certification.workflow import Status
from jiaozi.teachers.models import Teacher

from .factories import applicant, draft, drive

pytestmark = pytest.mark.django_db


def run(*command: str, data: bytes | None = None) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()  # noqa: S603


def test_an_approval_writes_the_certificate_its_issued_event_and_a_token(media_root: Path) -> None:
    app = drive(draft(), to=Status.CERTIFIED)
    app.refresh_from_db()
    assert app.certificate_id is not None
    certificate = Certificate.objects.get(pk=app.certificate_id)
    assert certificate.number == app.certificate_number
    assert NUMBER.match(certificate.number)
    [event] = CertificateEvent.objects.filter(certificate=certificate)
    assert event.kind == CertificateEvent.Kind.ISSUED
    assert (event.source_type, event.source_id) == ("certification.certificationapplication", app.pk)
    assert VerificationToken.objects.filter(certificate=certificate, revoked=False).count() == 1
    holder = certificate.teacher
    assert holder.school_id == app.authority_id
    assert holder.name == app.name


def test_a_holder_on_record_keeps_their_teacher_record(media_root: Path) -> None:
    first = drive(draft(), to=Status.CERTIFIED)
    CertificationApplication.objects.filter(pk=first.pk).update(year=2023)
    second = drive(draft(first.applicant, qualification_type="1", ntce_type="1"), to=Status.CERTIFIED)
    assert Teacher.objects.count() == 1
    assert Certificate.objects.filter(teacher__isnull=False).count() == 2
    assert second.certificate_number != first.certificate_number


def test_the_holder_downloads_the_certificate_pdf(client: Client, media_root: Path) -> None:
    app = drive(draft(), to=Status.CERTIFIED)
    client.force_login(app.applicant)
    response = client.get(reverse("certification_applicant:certificate", args=[app.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = re.sub(r"\s+", "", run("pdftotext", "-enc", "UTF-8", "-", "-", data=response.content))
    assert app.certificate_number in text
    assert "教师资格证书" in text
    assert app.name in text
    (media_root / "c.pdf").write_bytes(response.content)
    run("pdftoppm", "-r", "200", "-png", "-singlefile", str(media_root / "c.pdf"), str(media_root / "page"))
    decoded = run("zbarimg", "--quiet", "--raw", str(media_root / "page.png")).strip()
    token = VerificationToken.objects.get(certificate__number=app.certificate_number).token
    assert decoded.endswith(f"/verify/{token}/")
    other = applicant()
    client.force_login(other)
    assert client.get(reverse("certification_applicant:certificate", args=[app.pk])).status_code == 404


def test_no_certificate_before_approval(client: Client) -> None:
    app = drive(draft(), to=Status.DECISION)
    client.force_login(app.applicant)
    assert client.get(reverse("certification_applicant:certificate", args=[app.pk])).status_code == 409
