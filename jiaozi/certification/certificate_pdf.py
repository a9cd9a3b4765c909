"""The teacher qualification certificate as a PDF (§6, §7): the holder's data and
photo, the certificate number, the certifying authority's drawn seal and the QR code of
the public verification page. Built from the shared pieces of ``certificates.pdf``;
rendered on demand for the holder (the data are the registry's, so the same
certificate gives the same page)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from jiaozi.certificates.links import verification_url
from jiaozi.certificates.models import VerificationToken
from jiaozi.certificates.pdf import current_font, draw_qr, draw_seal

from .models import CertificationApplication
from .windows import SHANGHAI

TITLE = "教师资格证书"
WIDTH, HEIGHT = A4


@dataclass(frozen=True, slots=True)
class CertificateData:
    number: str
    name: str
    sex: str
    birth_date: str
    resident_id: str
    qualification: str
    subject: str
    authority: str
    issued_on: str
    verification_url: str
    photo: bytes | None


def certificate_data(application: CertificationApplication) -> CertificateData:
    token = (
        VerificationToken.objects.filter(certificate_id=application.certificate_id or 0, revoked=False)
        .order_by("issued_at")
        .first()
    )
    photo = None
    if application.photo:
        try:
            with application.photo.open("rb") as handle:
                photo = handle.read(300 * 1024)
        except OSError:
            photo = None
    decided = application.decided_at.astimezone(SHANGHAI) if application.decided_at else None
    return CertificateData(
        number=application.certificate_number,
        name=application.name,
        sex=str(application.get_sex_display()),
        birth_date=f"{application.birth_date:%Y年%m月%d日}",
        resident_id=application.resident_id,
        qualification=f"{application.get_qualification_type_display()}教师资格",
        subject=application.subject,
        authority=application.authority.name,
        issued_on=f"{decided:%Y年%m月%d日}" if decided else "",
        verification_url=verification_url(token.token) if token else "",
        photo=photo,
    )


def render_certificate(data: CertificateData) -> bytes:
    """One A4 page; the same data give the same bytes."""
    font = current_font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(f"{TITLE}（{data.number}）")
    c.setAuthor(data.authority)
    c.setCreator("Jiaozi 教资")
    # Frame.
    c.setLineWidth(2)
    c.rect(36, 36, WIDTH - 72, HEIGHT - 72)
    c.setLineWidth(0.6)
    c.rect(44, 44, WIDTH - 88, HEIGHT - 88)
    c.setFont(font, 14)
    c.drawCentredString(WIDTH / 2, HEIGHT - 100, "中华人民共和国")
    c.setFont(font, 30)
    c.drawCentredString(WIDTH / 2, HEIGHT - 145, TITLE)
    # Photo, top right of the data block.
    top = HEIGHT - 210
    photo_w, photo_h = 96.0, 134.0
    px, py = WIDTH - 80 - photo_w, top - photo_h
    if data.photo:
        try:
            c.drawImage(ImageReader(io.BytesIO(data.photo)), px, py, photo_w, photo_h)
        except (OSError, ValueError):
            c.rect(px, py, photo_w, photo_h)
    else:
        c.rect(px, py, photo_w, photo_h)
    rows = (
        ("姓　　名", data.name),
        ("性　　别", data.sex),
        ("出生日期", data.birth_date),
        ("身份证件号码", data.resident_id),
        ("资格种类", data.qualification),
        ("任教学科", data.subject),
        ("证书编号", data.number),
        ("认定机构", data.authority),
        ("颁发日期", data.issued_on),
    )
    y = top - 12
    for label, value in rows:
        c.setFont(font, 12)
        c.drawString(80, y, label)
        c.setFont(font, 13)
        c.drawString(180, y, value)
        y -= 34
    c.setFont(font, 11)
    c.drawString(80, y - 10, "依照《中华人民共和国教师法》和《教师资格条例》的规定，")
    c.drawString(80, y - 28, "经认定，持证人具备上述教师资格。")
    seal_y = 150.0
    draw_seal(c, font, data.authority, WIDTH - 150, seal_y + 40, caption="教师资格认定专用章")
    if data.verification_url:
        draw_qr(c, data.verification_url, 80, seal_y - 20, 96)
        c.setFont(font, 8)
        c.drawString(80, seal_y - 34, "扫码核验证书真伪")
    c.showPage()
    c.save()
    return buffer.getvalue()
