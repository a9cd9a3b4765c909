"""The stamped-paper pieces every document shares: the font and its line wrapping, the
QR code and the drawn seal. Uses poppler's pdftotext and pdftoppm and zbar's zbarimg
(apt: poppler-utils, zbar-tools). The registration form's own tests are in
jiaozi/registration/tests/test_completion_form.py."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from reportlab.lib.pagesizes import A5
from reportlab.pdfgen.canvas import Canvas

from jiaozi.certificates import pdf
from jiaozi.certificates.pdf import wrap_text

URL = "https://jiaozi.example.gov.cn/verify/q8Zt1mXw3vK9pLr2sB7nYc4dHf6gJk0aTu5eWi_Ro-M/"


def run(*command: str, data: bytes | None = None) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()  # noqa: S603


def one_page(draw: Callable[[Canvas, str], None]) -> bytes:
    """A blank A5 page with ``draw(canvas, font)`` on it."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A5, invariant=1)
    draw(canvas, pdf.current_font())
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_wrapping_keeps_lines_within_the_width_and_hangs_closing_punctuation() -> None:
    font = pdf.FONT_CID
    pdf.current_font()
    lines = wrap_text("同意申请定期注册。" * 3, font, 10, 85)
    assert lines == ["同意申请定期注册。", "同意申请定期注册。", "同意申请定期注册。"]
    # A Latin run stays whole when it fits, and is cut when it cannot.
    url = "https://a.example/verify/"
    width = pdf.text_width(url, font, 10) + 5
    assert wrap_text(f"访问 {url} 查询", font, 10, width) == ["访问", url, "查询"]
    assert all(pdf.text_width(line, font, 10) <= 40 for line in wrap_text("x" * 40, font, 10, 40))
    assert wrap_text("第一行\n第二行", font, 10, 500) == ["第一行", "第二行"]


def test_the_qr_code_decodes_on_any_page(tmp_path: Path) -> None:
    document = one_page(lambda c, font: pdf.draw_qr(c, URL, 100.0, 300.0, 120.0))
    (tmp_path / "qr.pdf").write_bytes(document)
    run("pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "qr.pdf"), str(tmp_path / "page"))
    assert run("zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")).strip() == URL
    # The fixed mask: the same URL always gives the same modules.
    assert pdf.qr_matrix(URL) == pdf.qr_matrix(URL)
    assert len(pdf.qr_matrix(URL)) == len(pdf.qr_matrix(URL)[0])


def test_the_seal_carries_the_name_and_the_caption_it_is_given() -> None:
    document = one_page(
        lambda c, font: pdf.draw_seal(c, font, "安徽省教育厅", 200.0, 300.0, caption="证书专用章")
    )
    text = re.sub(r"\s+", "", run("pdftotext", "-enc", "UTF-8", "-", "-", data=document))
    assert "证书专用章" in text
    assert "注册专用章" not in text
    assert "系统生成" in text
    for char in "安徽省教育厅":
        assert char in text
    assert b"/Subtype /Image" not in document
