"""Application materials (SECURITY 24): content checks, size limit, random names,
SHA-256, audit, and who may download."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, ValidationFailed
from jiaozi.orgs.tests.factories import YAOHAI, bureau
from jiaozi.registration.applications import materials
from jiaozi.registration.applications.materials import (
    ContentRefused,
    material_delete,
    material_get_for_download,
    material_response,
    material_upload,
    sniff,
)
from jiaozi.registration.models import Material
from jiaozi.registration.tests.factories_applications import OPEN, another_applicant, application, chain
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db


# --- Sample files ------------------------------------------------------------------------


def pdf_bytes(body: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n" + body + b"xref\n0 3\n"
        b"0000000000 65535 f \n0000000015 00000 n \n0000000064 00000 n \n"
        b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n120\n%%EOF\n"
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def jpeg_bytes(width: int = 16, height: int = 8) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + sof0 + sos + b"\x12\x34\x56\x78" * 4 + b"\xff\xd9"


EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"PE\x00\x00"
    + b"\x90" * 200
)


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def c() -> Any:
    with clock.travel(OPEN):
        return chain()


@pytest.fixture
def draft(c: Any) -> Any:
    return application(c, status=Status.DRAFT)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


# --- Content checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [(pdf_bytes(), materials.PDF), (png_bytes(), materials.PNG), (jpeg_bytes(), materials.JPEG)],
)
def test_sniff_recognises_real_documents(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        EXE,
        b"#!/bin/sh\nrm -rf /\n",
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04" + b"\x00" * 100,  # a zip (docx, apk)
        pdf_bytes()[:-7],  # no %%EOF: truncated
        b"%PDF-1.4\nnothing here\nstartxref\n0\n%%EOF\n",  # no objects
        pdf_bytes(b"3 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"),
        pdf_bytes(b"3 0 obj\n<< /S /J#61vaScript /JS (x) >>\nendobj\n"),  # escaped name
        pdf_bytes(b"3 0 obj\n<< /Type /Action /S /Launch /F (cmd.exe) >>\nendobj\n"),
        png_bytes()[:-12],  # no IEND
        png_bytes()[:30] + b"\x00" + png_bytes()[31:],  # a CRC no longer matches
        png_bytes(width=0),
        jpeg_bytes()[:-2],  # no end-of-image marker
        jpeg_bytes(width=0),
        b"\xff\xd8\xff" + b"\x00" * 600 + b"\xff\xd9",  # a signature and nothing sound
    ],
)
def test_sniff_refuses_what_is_not_a_sound_document(data: bytes) -> None:
    with pytest.raises(ContentRefused):
        sniff(data)


def test_a_compressed_stream_that_happens_to_spell_js_is_not_refused() -> None:
    stream = b"3 0 obj\n<< /Length 12 /Filter /FlateDecode >>\nstream\n\x01/JS\x00\x02/Launch\x00\nendstream\nendobj\n"
    assert sniff(pdf_bytes(stream)) == materials.PDF


# --- Upload --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("证书.pdf", pdf_bytes(), materials.PDF),
        ("scan.png", png_bytes(), materials.PNG),
        ("photo.JPG", jpeg_bytes(), materials.JPEG),
        # The content decides, not the name: a PNG named .pdf is stored as the PNG it is.
        ("misnamed.pdf", png_bytes(), materials.PNG),
    ],
)
def test_upload_accepts_pdf_png_jpeg_and_records_them(
    c: Any, draft: Any, media: Path, name: str, data: bytes, content_type: str
) -> None:
    material = material_upload(
        applicant=c.applicant,
        application_id=draft.pk,
        kind=Material.Kind.CERTIFICATE,
        file=upload(name, data),
    )

    material.refresh_from_db()
    assert material.content_type == content_type
    assert material.size == len(data)
    assert material.sha256 == hashlib.sha256(data).hexdigest()
    assert material.uploaded_by == c.applicant
    assert material.original_name.endswith(
        {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}[content_type]
    )
    # Stored under a random name that carries nothing of the uploader's.
    stored = Path(material.file.path)
    assert stored.read_bytes() == data
    assert media in stored.parents
    assert name.rsplit(".", 1)[0] not in stored.name
    assert len(stored.name) == 32
    event = AuditEvent.objects.get(kind=AuditKind.MATERIAL_UPLOADED, object_id=str(material.pk))
    assert event.actor_id == c.applicant.pk
    assert event.details["sha256"] == material.sha256
    assert name not in str(event.details)


def test_a_renamed_executable_is_refused_and_nothing_is_stored(c: Any, draft: Any, media: Path) -> None:
    with pytest.raises(ValidationFailed) as error:
        material_upload(
            applicant=c.applicant,
            application_id=draft.pk,
            kind=Material.Kind.CERTIFICATE,
            file=upload("证书.pdf", EXE),
        )

    assert error.value.code == "file_type"
    assert "PDF" in error.value.message
    assert not Material.objects.exists()
    assert stored_files(media) == []


def test_an_oversized_file_is_refused(c: Any, draft: Any, settings: Any, media: Path) -> None:
    settings.REGISTRATION_MATERIAL_MAX_BYTES = 1024
    big = pdf_bytes(b"% " + b"x" * 2000 + b"\n")

    with pytest.raises(ValidationFailed) as error:
        material_upload(
            applicant=c.applicant,
            application_id=draft.pk,
            kind=Material.Kind.TRAINING,
            file=upload("big.pdf", big),
        )

    assert error.value.code == "file_too_large"
    assert not Material.objects.exists()
    assert stored_files(media) == []


def test_the_default_limit_is_five_megabytes() -> None:
    assert materials.DEFAULT_MAX_BYTES == 5 * 1024 * 1024


def test_a_file_just_at_the_limit_is_accepted(c: Any, draft: Any, settings: Any) -> None:
    data = pdf_bytes()
    settings.REGISTRATION_MATERIAL_MAX_BYTES = len(data)

    material = material_upload(
        applicant=c.applicant,
        application_id=draft.pk,
        kind=Material.Kind.TRAINING,
        file=upload("a.pdf", data),
    )

    assert material.size == len(data)


def test_an_empty_file_and_an_unknown_kind_are_refused(c: Any, draft: Any) -> None:
    with pytest.raises(ValidationFailed) as empty:
        material_upload(
            applicant=c.applicant, application_id=draft.pk, kind="certificate", file=upload("a.pdf", b"")
        )
    with pytest.raises(ValidationFailed) as kind:
        material_upload(
            applicant=c.applicant, application_id=draft.pk, kind="passport", file=upload("a.pdf", pdf_bytes())
        )

    assert empty.value.code == "file_empty"
    assert kind.value.code == "kind_invalid"


def test_the_number_of_files_is_limited(c: Any, draft: Any, settings: Any) -> None:
    settings.REGISTRATION_MATERIAL_MAX_FILES = 2
    for n in range(2):
        material_upload(
            applicant=c.applicant, application_id=draft.pk, kind="other", file=upload(f"{n}.pdf", pdf_bytes())
        )

    with pytest.raises(ValidationFailed) as error:
        material_upload(
            applicant=c.applicant, application_id=draft.pk, kind="other", file=upload("3.pdf", pdf_bytes())
        )

    assert error.value.code == "too_many_files"


def test_upload_to_someone_elses_application_is_not_found(c: Any, draft: Any, media: Path) -> None:
    other, _cert = another_applicant(c)

    with pytest.raises(NotFound):
        material_upload(
            applicant=other, application_id=draft.pk, kind="certificate", file=upload("a.pdf", pdf_bytes())
        )

    assert stored_files(media) == []


@pytest.mark.parametrize(
    "status", [Status.SCHOOL_REVIEW, Status.REGISTRATION_REVIEW, Status.COMPLETED, Status.WITHDRAWN]
)
def test_upload_after_submission_is_refused(c: Any, status: str) -> None:
    app = application(c, status=status)

    with pytest.raises(Conflict) as error:
        material_upload(
            applicant=c.applicant,
            application_id=app.pk,
            kind="certificate",
            file=upload("a.pdf", pdf_bytes()),
        )

    assert error.value.code == "wrong_stage"


def test_upload_after_a_return_is_allowed(c: Any) -> None:
    app = application(c, status=Status.RETURNED)

    material = material_upload(
        applicant=c.applicant, application_id=app.pk, kind="training", file=upload("a.pdf", pdf_bytes())
    )

    assert material.application_id == app.pk


# --- Delete -----------------------------------------------------------------------------------------


def test_delete_removes_the_row_and_the_file_after_commit(
    c: Any, draft: Any, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    material = material_upload(
        applicant=c.applicant, application_id=draft.pk, kind="other", file=upload("a.pdf", pdf_bytes())
    )
    path = Path(material.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        material_delete(applicant=c.applicant, material_id=material.pk)

    assert not Material.objects.filter(pk=material.pk).exists()
    assert not path.exists()
    assert AuditEvent.objects.filter(kind=AuditKind.MATERIAL_DELETED, object_id=str(material.pk)).exists()


def test_delete_after_submission_and_by_another_applicant_are_refused(c: Any, draft: Any) -> None:
    material = material_upload(
        applicant=c.applicant, application_id=draft.pk, kind="other", file=upload("a.pdf", pdf_bytes())
    )
    other, _cert = another_applicant(c)

    with pytest.raises(NotFound):
        material_delete(applicant=other, material_id=material.pk)
    type(draft).objects.filter(pk=draft.pk).update(status=Status.SCHOOL_REVIEW)
    with pytest.raises(Conflict):
        material_delete(applicant=c.applicant, material_id=material.pk)

    assert Material.objects.filter(pk=material.pk).exists()


# --- Download ---------------------------------------------------------------------------------------


@pytest.fixture
def material(c: Any, draft: Any) -> Material:
    return material_upload(
        applicant=c.applicant,
        application_id=draft.pk,
        kind="certificate",
        file=upload("证书.pdf", pdf_bytes()),
    )


def test_the_applicant_downloads_their_own_material(c: Any, material: Material) -> None:
    found = material_get_for_download(user=c.applicant, pk=material.pk)

    assert found == material
    event = AuditEvent.objects.get(kind=AuditKind.MATERIAL_DOWNLOADED)
    assert event.actor_id == c.applicant.pk


def test_another_applicant_gets_not_found(c: Any, material: Material) -> None:
    other, _cert = another_applicant(c)

    with pytest.raises(NotFound):
        material_get_for_download(user=other, pk=material.pk)


@pytest.mark.parametrize(
    "level", ["school_reviewer", "registration_reviewer", "city_rechecker", "province_reviewer"]
)
def test_staff_of_the_chain_may_download(c: Any, material: Material, level: str) -> None:
    reviewer = getattr(c, level)

    assert material_get_for_download(user=reviewer, pk=material.pk) == material
    assert AuditEvent.objects.filter(kind=AuditKind.MATERIAL_DOWNLOADED, actor_id=reviewer.pk).exists()


def test_staff_out_of_scope_get_not_found_like_a_missing_material(c: Any, material: Material) -> None:
    twin = make_staff(role=Role.REGISTRATION_REVIEWER, institution=bureau(YAOHAI))

    with pytest.raises(NotFound) as out_of_scope:
        material_get_for_download(user=twin, pk=material.pk)
    with pytest.raises(NotFound) as missing:
        material_get_for_download(user=twin, pk=material.pk + 1000)

    assert out_of_scope.value.message == missing.value.message
    assert not AuditEvent.objects.filter(kind=AuditKind.MATERIAL_DOWNLOADED).exists()


def test_inactive_and_anonymous_users_get_not_found(c: Any, material: Material) -> None:
    from django.contrib.auth.models import AnonymousUser

    c.applicant.is_active = False
    with pytest.raises(NotFound):
        material_get_for_download(user=c.applicant, pk=material.pk)
    with pytest.raises(NotFound):
        material_get_for_download(user=AnonymousUser(), pk=material.pk)


def test_the_response_is_an_attachment_with_its_checked_type_and_no_caching(material: Material) -> None:
    response = material_response(material)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdf_bytes()  # type: ignore[arg-type]


def test_a_tampered_file_is_not_served(material: Material) -> None:
    Path(material.file.path).write_bytes(pdf_bytes(b"% changed\n"))

    with pytest.raises(Conflict) as error:
        material_response(material)

    assert error.value.code == "material_corrupt"
