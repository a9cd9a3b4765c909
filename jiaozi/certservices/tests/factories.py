"""Certificates whose number names a given issuing authority, and holders linked to them."""

from __future__ import annotations

from itertools import count
from typing import Any, cast

from jiaozi.accounts.models import User
from jiaozi.accounts.tests.factories import make_applicant
from jiaozi.applicants.tests.factories import linked
from jiaozi.certificates.models import Certificate
from jiaozi.certificates.tests.factories import CertificateFactory, TeacherFactory
from jiaozi.orgs.models import Institution
from jiaozi.teachers.models import Teacher

_serial = count(1)


def number_for(authority: Institution, *, kind: str = "2", sex: str = "1", year: str = "2015") -> str:
    """A well-formed number issued by ``authority`` (a bureau with an authority code)."""
    assert authority.authority_code, authority
    return f"{year}{authority.division_id[:2]}{authority.authority_code}{kind}{sex}{next(_serial):06d}"


def certificate_of(authority: Institution, *, kind: str = "2", **kw: Any) -> Certificate:
    return cast(
        Certificate,
        CertificateFactory(number=number_for(authority, kind=kind), qualification_type=kind, **kw),
    )


def holder_with_certificate(authority: Institution, **kw: Any) -> tuple[User, Certificate]:
    """An applicant account linked to a teacher holding one certificate of ``authority``."""
    teacher = cast(Teacher, TeacherFactory(**{k[9:]: v for k, v in kw.items() if k.startswith("teacher__")}))
    certificate = certificate_of(
        authority, teacher=teacher, **{k: v for k, v in kw.items() if not k.startswith("teacher__")}
    )
    user = make_applicant(resident_id=teacher.resident_id, real_name=teacher.name)
    linked(user, teacher=teacher, certificate=certificate)
    return user, certificate


def png_upload(name: str = "scan.png") -> Any:
    """A small, real PNG as an upload."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def request_of(user: User, certificate: Certificate, kind: str = "reissue", **kw: Any) -> Any:
    """A submitted request of ``kind`` with the material it needs."""
    import datetime as dt

    from jiaozi.certservices.services import REQUIRED_MATERIAL, request_submit
    from jiaozi.certservices.workflow import RequestKind

    defaults: dict[str, Any] = {"reason": "证书在搬家时遗失。"}
    if kind == RequestKind.REISSUE:
        defaults.update(loss_notice_medium="安徽日报", loss_notice_date=dt.date(2026, 11, 20))
    if kind == RequestKind.CORRECTION:
        defaults.update(corrections={"subject": "语文"}, reason="任教学科登记有误。")
    if kind == RequestKind.REPLACEMENT:
        defaults.update(reason="证书被水浸损毁。")
    defaults.update(kw)
    files = defaults.pop("files", [(REQUIRED_MATERIAL[RequestKind(kind)], png_upload())])
    return request_submit(applicant=user, certificate_id=certificate.pk, kind=kind, files=files, **defaults)


def matrix_objects(certificate: Certificate, holder: User, authority: Institution) -> tuple[Any, Any]:
    """A submitted request of ``holder`` on ``certificate`` at ``authority`` and its
    material, written directly (the authorization matrix's world)."""
    import datetime as dt

    from django.core.files.base import ContentFile

    from jiaozi.certservices.models import RequestMaterial, ServiceRequest
    from jiaozi.core import clock

    row = ServiceRequest.objects.create(
        kind="reissue",
        certificate=certificate,
        applicant=holder,
        authority=authority,
        reason="遗失",
        loss_notice_medium="安徽日报",
        loss_notice_date=dt.date(2024, 9, 1),
        submitted_at=clock.now(),
        due_on=clock.today() + dt.timedelta(days=28),
    )
    material = RequestMaterial(
        request=row,
        kind="loss_notice",
        original_name="a.png",
        content_type="image/png",
        size=3,
        sha256="0" * 64,
        uploaded_at=clock.now(),
    )
    material.file.save("m.png", ContentFile(b"png"), save=False)
    material.save()
    return row, material


def matrix_check(certificate: Certificate, requester: User, authority: Institution) -> Any:
    """An open authenticity check of ``certificate`` asked by ``requester``."""
    import datetime as dt

    from jiaozi.certservices.models import AuthenticityCheck
    from jiaozi.core import clock

    assert requester.institution is not None
    return AuthenticityCheck.objects.create(
        certificate=certificate,
        holder_name="张三",
        reason="核验",
        requester=requester,
        requesting_institution=requester.institution,
        authority=authority,
        opened_at=clock.now(),
        due_on=clock.today() + dt.timedelta(days=28),
    )
