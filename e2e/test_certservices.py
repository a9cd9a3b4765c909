"""The certificate-service journeys of issue 11's "Done when", in Chromium:

1. A reissue (补发): a holder whose certificate 庐阳区 issued signs in, opens it, asks for a
   reissue with the loss notice (medium, date, a scan); 庐阳区's certifying officer
   ``ly_certifier`` finds the request in the queue and approves it; the holder downloads
   the new certificate: the same number, and the remarks page carries the reissue with
   its date and reason; the certificate's history shows the reissue.
2. A public verification: a visitor who is not signed in verifies the reissued
   certificate by the page its QR code holds (read from the PDF with zbarimg) and by
   number + full name; the page says only what §7 allows (decision 0225) — never the
   full name, the resident ID, the birth date, the school or the phone — and a wrong name
   and a number that does not exist answer with the same text.

Screenshots at 1366×900 and 390×844. The live server runs in this process, so
``clock.travel`` moves its clock too; each person signs in on the clock they act on."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from jiaozi.accounts.models import User
from jiaozi.certificates.models import Certificate, CertificateEvent
from jiaozi.core import clock, idcard
from jiaozi.orgs.models import Institution

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUBMIT = dt.datetime(2024, 11, 25, 10, tzinfo=SHANGHAI)
APPROVE = dt.datetime(2024, 11, 27, 15, tzinfo=SHANGHAI)
VISIT = dt.datetime(2024, 12, 2, 9, tzinfo=SHANGHAI)
USERNAME = "bf_holder"
PASSWORD = "Jiaozi@2024"
NAME = "沈静怡"
BIRTH = dt.date(1986, 3, 15)
RESIDENT_ID = idcard.make(f"340103{BIRTH:%Y%m%d}042")
PHONE = "13955106622"
REASON = "2024年10月搬家时证书遗失，申请补发。"
MEDIUM = "安徽日报"
NOTICE_DATE = dt.date(2024, 11, 18)


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    cache.clear()  # the public pages are rate-limited per client address
    saved = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path
    yield tmp_path
    settings.MEDIA_ROOT = saved
    cache.clear()


def _holder() -> tuple[User, Certificate]:
    """An applicant account linked to a teacher of a 庐阳区 school holding one
    certificate whose number names 庐阳区's certifying authority (§6)."""
    from jiaozi.applicants.tests.factories import linked
    from jiaozi.certificates.tests.factories import make_teacher
    from jiaozi.certservices.tests.factories import certificate_of

    authority = Institution.objects.get(kind=Institution.Kind.BUREAU, code="340103")
    school = (
        Institution.objects.filter(kind=Institution.Kind.SCHOOL, parent=authority).order_by("code").first()
    )
    assert school is not None, "the demo has 庐阳区 schools"
    with clock.travel(SUBMIT):
        teacher = make_teacher(name=NAME, resident_id=RESIDENT_ID, sex="female", phone=PHONE, school=school)
        certificate = certificate_of(
            authority,
            kind="2",
            teacher=teacher,
            subject="语文",
            valid_from=dt.date(2024, 9, 1),
            valid_to=dt.date(2029, 8, 31),
            registered_on=dt.date(2024, 9, 1),
        )
        user = User.objects.create_user(
            username=USERNAME,
            password=PASSWORD,
            kind=User.Kind.APPLICANT,
            real_name=NAME,
            resident_id=RESIDENT_ID,
        )
        linked(user, teacher=teacher, certificate=certificate)
    return user, certificate


def _reissued() -> tuple[Certificate, Any]:
    """The holder's certificate reissued through the services (the first journey does
    it through the pages): the request, approved by ``ly_certifier``."""
    from jiaozi.certservices.services import request_transition
    from jiaozi.certservices.tests.factories import request_of

    user, certificate = _holder()
    with clock.travel(SUBMIT):
        row = request_of(
            user,
            certificate,
            "reissue",
            reason=REASON,
            loss_notice_medium=MEDIUM,
            loss_notice_date=NOTICE_DATE,
        )
    with clock.travel(APPROVE):
        request_transition(
            actor=User.objects.get(username="ly_certifier"),
            request_id=row.pk,
            action="approve",
            version=row.version,
            reason="",
        )
    row.refresh_from_db()
    return certificate, row


def _scan(folder: Path) -> Path:
    path = folder / "遗失声明.png"
    Image.new("RGB", (640, 400), (236, 232, 220)).save(path, "PNG")
    return path


def _on_phone(phone_page: Any, page: Any, shot: Any, name: str) -> None:
    """The same page, signed in as the same person, at 390×844."""
    phone_page.context.clear_cookies()
    phone_page.context.add_cookies(page.context.cookies())
    phone_page.goto(page.url)
    phone_page.wait_for_load_state("load")
    shot(phone_page, name)
    assert _no_horizontal_scroll(phone_page), name


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    )


def pdf_text(document: bytes, *, page: int | None = None) -> str:
    """pdftotext (poppler-utils) of the document or one page, whitespace removed."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *pages, "-", "-"],
        input=document,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.sub(r"\s+", "", out)


def qr_url(document: bytes, folder: Path) -> str:
    """The URL the QR code on the certificate page holds (pdftoppm, then zbarimg)."""
    pdf = folder / "certificate.pdf"
    pdf.write_bytes(document)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(folder / "page"),
        ],
        check=True,
    )
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(folder / "page.png")],
        capture_output=True,
        check=True,
    )
    return out.stdout.decode().strip()


def test_holder_asks_for_a_reissue_officer_approves_holder_downloads_the_same_number(
    demo: None,
    media: Path,
    live_server: Any,
    page: Any,
    phone_page: Any,
    sign_in: Any,
    applicant_sign_in: Any,
    shot: Any,
) -> None:
    from jiaozi.certservices.models import ServiceRequest

    _user, certificate = _holder()
    number = certificate.number

    # --- 1. The holder opens the certificate and asks for a reissue. -----------------
    with clock.travel(SUBMIT):
        applicant_sign_in(page, USERNAME, PASSWORD, "holder-home")
        page.goto(live_server.url + reverse("certservices_applicant:my_certificates"))
        page.wait_for_load_state("load")
        shot(page, "my-certificates")
        card = page.locator(f"[data-certificate='{certificate.pk}']")
        assert certificate.number in card.inner_text()
        card.locator("a").first.click()
        page.wait_for_load_state("load")
        shot(page, "certificate-before")
        assert page.locator("[data-event=reissued]").count() == 0
        page.get_by_role("link", name="遗失补发").click()
        page.wait_for_load_state("load")
        form = page.locator("main form[enctype='multipart/form-data']")
        form.locator("textarea[name=reason]").fill(REASON)
        form.locator("input[name=loss_notice_medium]").fill(MEDIUM)
        form.locator("input[name=loss_notice_date]").fill(NOTICE_DATE.isoformat())
        form.locator("input[name=loss_notice]").set_input_files(str(_scan(media)))
        shot(page, "reissue-form")
        _on_phone(phone_page, page, shot, "reissue-form-phone")
        form.get_by_role("button", name="提交申请").click()
        page.wait_for_load_state("load")
        shot(page, "reissue-submitted")
        row = ServiceRequest.objects.get(certificate=certificate)
        assert row.kind == "reissue"
        assert row.status == "submitted"
        assert "待办理" in page.locator("main").inner_text()
        assert MEDIUM in page.locator("main").inner_text()

    # --- 2. 庐阳区's certifying officer finds it in the queue and approves it. ---------
    with clock.travel(APPROVE):
        page.context.clear_cookies()
        sign_in(page, "ly_certifier")
        page.goto(live_server.url + reverse("certservices:request_queue"))
        page.wait_for_load_state("load")
        shot(page, "officer-queue")
        queued = page.locator(f"tr[data-request='{row.pk}']")
        assert certificate.number in queued.inner_text()
        queued.locator("a").first.click()
        page.wait_for_load_state("load")
        shot(page, "officer-request")
        assert page.locator("[data-material=loss_notice]").count() == 1  # the scan, to open
        assert MEDIUM in page.locator("main").inner_text()
        approve = page.locator("form[data-action=approve]")
        approve.locator("textarea[name=reason]").fill("遗失声明已核对，予以补发。")
        approve.get_by_role("button", name="办结并生成新证书").click()
        page.wait_for_load_state("load")
        shot(page, "officer-approved")
    row.refresh_from_db()
    assert row.status == "approved"
    assert row.paper

    # --- 3. The holder downloads the new certificate: same number, the remark. -------
    with clock.travel(APPROVE):
        applicant_sign_in(page, USERNAME, PASSWORD, "holder-back")
        page.goto(live_server.url + reverse("certservices_applicant:request_detail", args=[row.pk]))
        page.wait_for_load_state("load")
        shot(page, "holder-request-approved")
        _on_phone(phone_page, page, shot, "holder-request-approved-phone")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载新证书（PDF）").click()
        pdf = Path(download.value.path()).read_bytes()
    assert io.BytesIO(pdf).read(5) == b"%PDF-"
    certificate_page = pdf_text(pdf, page=1)
    remarks_page = pdf_text(pdf, page=2)
    assert number in certificate_page  # the number kept
    assert NAME in certificate_page
    assert "备注" in remarks_page
    assert number in remarks_page
    assert "2024年11月27日补发" in remarks_page  # the date of the reissue
    assert "".join(REASON.split()) in remarks_page  # the reason
    assert f"遗失声明于{NOTICE_DATE:%Y年%m月%d日}刊登于{MEDIUM}" in remarks_page
    assert Certificate.objects.get(pk=certificate.pk).number == number
    assert list(Certificate.objects.filter(teacher=certificate.teacher).values_list("number", flat=True)) == [
        number
    ]

    # --- 4. The certificate's history shows the reissue. -----------------------------
    with clock.travel(APPROVE):
        page.goto(
            live_server.url + reverse("certservices_applicant:my_certificate_detail", args=[certificate.pk])
        )
        page.wait_for_load_state("load")
        shot(page, "certificate-history")
        event = page.locator("[data-event=reissued]")
        assert event.count() == 1
        assert "补发" in event.inner_text()
        assert "2024-11-27" in event.inner_text()
        assert MEDIUM in event.inner_text()
        _on_phone(phone_page, page, shot, "certificate-history-phone")
    assert CertificateEvent.objects.filter(certificate=certificate, kind="reissued").count() == 1


RESULT = "section[aria-labelledby=jz-verify-result]"


def _public_text(page: Any) -> str:
    return str(page.locator("main").inner_text())


def _assert_discloses_only_what_section_7_allows(
    page: Any, certificate: Certificate, *, markup: str = "body"
) -> None:
    """The page's text says the §7 facts and nothing more; ``markup`` is the part
    whose HTML must not hold the secrets either (the lookup form echoes what the visitor
    typed into its own fields, which is theirs, not a disclosure)."""
    text = str(page.locator("body").inner_text())
    content = page.locator(markup).first.evaluate("e => e.outerHTML")
    assert certificate.number in text
    assert "沈**" in text  # the masked name
    assert "小学" in text  # the qualification type
    assert "语文" in text  # the subject
    assert "注册合格" in text  # the registration status
    assert "2029-08-31" in text  # its validity
    for secret in (
        NAME,
        NAME[1:],
        RESIDENT_ID,
        RESIDENT_ID[-6:],
        f"{BIRTH:%Y%m%d}",
        f"{BIRTH:%Y-%m-%d}",
        f"{BIRTH.year}年{BIRTH.month}月{BIRTH.day}日",
        PHONE,
        certificate.teacher.school.name,
    ):
        assert secret not in content, secret
    for label in ("身份证", "出生", "住址", "地址", "电话", "学校"):
        assert label not in text, label


def test_public_verifies_the_reissued_certificate_by_qr_and_by_number_and_name(
    demo: None,
    media: Path,
    live_server: Any,
    page: Any,
    phone_page: Any,
    shot: Any,
    visit: Any,
) -> None:
    certificate, row = _reissued()
    with row.paper.open("rb") as handle:
        document = handle.read()
    url = qr_url(document, media)
    token_path = urlsplit(url).path
    assert token_path == reverse("certificates:verify_token", args=[row.paper_token.token])

    with clock.travel(VISIT):
        # (a) The page the QR code holds, on a phone (where it is scanned) and a laptop.
        response = visit(phone_page, token_path, "qr-phone")
        assert response.status == 200
        assert phone_page.locator("[data-state=current]").count() == 1
        # The QR code is on a certificate: the page says so, and names the issuing authority.
        assert phone_page.locator("h1").inner_text() == "证书核验"
        assert "注册申请表" not in _public_text(phone_page)
        assert "发证机关" in _public_text(phone_page)
        _assert_discloses_only_what_section_7_allows(phone_page, certificate)
        assert _no_horizontal_scroll(phone_page)
        visit(page, token_path, "qr-desktop")
        _assert_discloses_only_what_section_7_allows(page, certificate)

        # (b) Number + full name on the lookup form.
        visit(page, reverse("certificates:verify_lookup"), "lookup-form")
        page.fill("input[name=certificate_number]", certificate.number)
        page.fill("input[name=name]", NAME)
        page.get_by_role("button", name="查询").click()
        page.wait_for_load_state("load")
        shot(page, "lookup-found")
        assert page.locator("[data-state=current]").count() == 1
        _assert_discloses_only_what_section_7_allows(page, certificate, markup=RESULT)
        assert page.locator("input[name=name]").input_value() == NAME  # only the visitor's own input

        visit(phone_page, reverse("certificates:verify_lookup"), "lookup-form-phone")
        phone_page.fill("input[name=certificate_number]", certificate.number)
        phone_page.fill("input[name=name]", NAME)
        phone_page.get_by_role("button", name="查询").click()
        phone_page.wait_for_load_state("load")
        shot(phone_page, "lookup-found-phone")
        _assert_discloses_only_what_section_7_allows(phone_page, certificate, markup=RESULT)
        assert _no_horizontal_scroll(phone_page)

        # A wrong name and a number that does not exist: the same answer, word for word.
        answers = []
        missing = certificate.number[:-6] + "999999"
        assert not Certificate.objects.filter(number=missing).exists()
        for number, name, label in (
            (certificate.number, "沈静宜", "lookup-wrong-name"),
            (missing, NAME, "lookup-no-such-number"),
        ):
            page.goto(live_server.url + reverse("certificates:verify_lookup"))
            page.fill("input[name=certificate_number]", number)
            page.fill("input[name=name]", name)
            page.get_by_role("button", name="查询").click()
            page.wait_for_load_state("load")
            shot(page, label)
            assert page.locator("[data-state]").count() == 0
            assert certificate.number not in _public_text(page)
            answers.append(_public_text(page))
        assert "未查询到" in answers[0]
        assert answers[0] == answers[1]
