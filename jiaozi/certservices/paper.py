"""The certificate paper issued by a correction, reissue or replacement (§7): the
certificate page (holder, number, type, subject, issuing authority, drawn seal, QR code to
the public verification page) and the remarks page (备注页) listing every correction,
reissue and replacement with its date and reason. The number is the registry's: it is
never changed by these services.

Only renders: a ``PaperData`` in, PDF bytes out (no database, no settings), with the
pieces every stamped paper shares (``jiaozi.certificates.pdf``). The paper is official
Chinese text whatever the reader's language, so its labels are plain strings."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from jiaozi.certificates.pdf import current_font, draw_qr, draw_seal, wrap_text

QUALIFICATION_TYPE_TEXT = {
    "1": "幼儿园",
    "2": "小学",
    "3": "初级中学",
    "4": "高级中学",
    "5": "中等职业学校",
    "6": "中等职业学校实习指导",
    "7": "高等学校",
}
EVENT_TEXT = {"corrected": "更正", "reissued": "补发", "replaced": "换发"}
MARGIN = 64.0
GREY = Color(0.35, 0.35, 0.35)


@dataclass(frozen=True, slots=True)
class Remark:
    kind: str  # corrected | reissued | replaced
    on: dt.date
    text: str
    institution: str


@dataclass(frozen=True, slots=True)
class PaperData:
    number: str
    holder_name: str
    sex: str  # 男 / 女
    qualification_type: str  # the code digit
    subject: str
    authority_name: str
    issued_on: dt.date
    verify_url: str
    remarks: Sequence[Remark]


def _date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def render_paper(data: PaperData) -> bytes:
    """Two pages of A4: the certificate, then the remarks."""
    buffer = io.BytesIO()
    font = current_font()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"教师资格证书 {data.number}")
    c.setAuthor(data.authority_name)
    c.setSubject("教师资格证书（补发、换发或更正后）")
    width, height = A4

    # --- the certificate page ---
    c.setFillColor(black)
    c.setFont(font, 24)
    c.drawCentredString(width / 2, height - 120, "教师资格证书")
    c.setFont(font, 11)
    c.setFillColor(GREY)
    c.drawCentredString(width / 2, height - 142, "中华人民共和国教育部监制")
    c.setFillColor(black)
    rows = (
        ("姓　　名", data.holder_name),
        ("性　　别", data.sex),
        ("资格种类", f"{QUALIFICATION_TYPE_TEXT.get(data.qualification_type, '')}教师资格"),
        ("任教学科", data.subject or "—"),
        ("证书编号", data.number),
        ("发证机关", data.authority_name),
        ("发证日期", _date(data.issued_on)),
    )
    y = height - 220
    for label, value in rows:
        c.setFont(font, 13)
        c.drawString(MARGIN + 40, y, label)
        c.drawString(MARGIN + 150, y, value)
        c.setStrokeColor(GREY)
        c.setLineWidth(0.4)
        c.line(MARGIN + 145, y - 5, width - MARGIN - 40, y - 5)
        y -= 36
    c.setFont(font, 10)
    c.setFillColor(GREY)
    note = "本证书为补发、换发或更正后的证书，原证书同时作废。办理情况见备注页。"
    for line in wrap_text(note, font, 10, width - 2 * MARGIN - 80):
        c.drawString(MARGIN + 40, y - 10, line)
        y -= 16
    c.setFillColor(black)
    draw_seal(c, font, data.authority_name, width - MARGIN - 110, 210, caption="教师资格认定")
    qr_size = 96.0
    draw_qr(c, data.verify_url, MARGIN + 40, 150, qr_size)
    c.setFont(font, 9)
    c.drawString(MARGIN + 40, 136, "扫码核验证书真伪")
    c.showPage()

    # --- the remarks page ---
    c.setFont(font, 18)
    c.drawCentredString(width / 2, height - 100, "备　注")
    c.setFont(font, 10)
    c.setFillColor(GREY)
    c.drawCentredString(width / 2, height - 120, f"证书编号 {data.number}")
    c.setFillColor(black)
    y = height - 170
    body = 12.0
    for index, remark in enumerate(data.remarks, start=1):
        head = (
            f"{index}. {_date(remark.on)} {EVENT_TEXT.get(remark.kind, remark.kind)}（{remark.institution}）"
        )
        c.setFont(font, body)
        c.drawString(MARGIN, y, head)
        y -= 20
        for line in wrap_text(remark.text, font, body, width - 2 * MARGIN - 24):
            c.drawString(MARGIN + 24, y, line)
            y -= 18
        y -= 10
        if y < 120:
            c.showPage()
            c.setFont(font, body)
            y = height - 100
    if not data.remarks:
        c.setFont(font, body)
        c.drawString(MARGIN, y, "无。")
    c.setFont(font, 9)
    c.setFillColor(GREY)
    footer = "本页记载证书的更正、补发、换发情况，证书编号不变。"
    c.drawString(MARGIN, 80, footer)
    c.drawRightString(width - MARGIN, 80, f"共 {len(data.remarks)} 条")
    c.showPage()
    c.save()
    return buffer.getvalue()
