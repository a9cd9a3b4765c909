"""The certification journey of issue 10's "Done when", in Chromium:

an applicant applies inside the online window (type, authority, confirmation point,
education, Mandarin, NTCE certificate, commitment, photo) and submits → books a slot at
the 确认点 and is checked in there (the confirmation app's services: its pages are the
confirm wing's) → the confirmation user ``ly_confirm`` compares the papers with the
online data and confirms (待认定审批) → the certifying officer ``ly_certifier`` records
the physical exam and certifies → the applicant downloads the certificate, whose
number follows §6: year + province + the authority's code + type + sex + serial.

The live server runs in this process, so ``clock.travel`` moves its clock too; each
person signs in on the clock they act on (sessions are clock-bound)."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from jiaozi.accounts.models import User
from jiaozi.certification.models import AuthorityCode, CertificationApplication, SerialCounter
from jiaozi.certification.workflow import Status
from jiaozi.confirmation.models import ConfirmationPoint
from jiaozi.core import clock, idcard
from jiaozi.orgs.models import Institution

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPLY = dt.datetime(2024, 9, 20, 10, tzinfo=SHANGHAI)
CONFIRM_DAY = dt.date(2024, 10, 10)
CONFIRM = dt.datetime(2024, 10, 10, 9, 30, tzinfo=SHANGHAI)
DECIDE = dt.datetime(2024, 10, 22, 10, tzinfo=SHANGHAI)
USERNAME = "rd_journey"
PASSWORD = "Jiaozi@2024"


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    cache.clear()
    saved = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path
    yield tmp_path
    settings.MEDIA_ROOT = saved
    cache.clear()


def _photo(folder: Path) -> Path:
    path = folder / "photo.jpg"
    Image.new("RGB", (300, 420), (214, 226, 240)).save(path, "JPEG", quality=80)
    return path


def _book_and_check_in(application: CertificationApplication) -> None:
    """The booking at the 确认点 and the check-in there, through the confirmation
    app's services (its pages belong to the confirm wing)."""
    from jiaozi.confirmation import services as confirmation

    admin = User.objects.get(username="ly_admin")
    point_institution = Institution.objects.get(code="340103QR01")
    with clock.travel(APPLY):
        # The demo set the point up (its public information, days after the demo's
        # date); the authority opens one more day for this test's date.
        point = ConfirmationPoint.objects.get(institution=point_institution)
        day = confirmation.opening_day_add(actor=admin, point_id=point.pk, date=CONFIRM_DAY)
        [slot, *_rest] = confirmation.time_slot_add(
            actor=admin, day_id=day.pk, starts_at=dt.time(9), ends_at=dt.time(10), capacity=20
        )
        booking = confirmation.booking_create(
            actor=application.applicant, kind="certification", reference_id=application.pk, slot_id=slot.pk
        )
    with clock.travel(CONFIRM):
        confirmation.booking_check_in(actor=User.objects.get(username="ly_confirm"), booking_id=booking.pk)


def test_apply_book_confirm_certify_and_download_the_certificate(
    demo: None,
    media: Path,
    live_server: Any,
    page: Any,
    phone_page: Any,
    sign_in: Any,
    applicant_sign_in: Any,
    staff_prefix: str,
    shot: Any,
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    resident_id = idcard.make("34010319980506012")  # a woman born 1998-05-06
    with clock.travel(APPLY):
        User.objects.create_user(
            username=USERNAME,
            password=PASSWORD,
            kind=User.Kind.APPLICANT,
            real_name="周若溪",
            resident_id=resident_id,
        )

        # --- 1. Apply inside the online window, then submit. -------------------------
        applicant_sign_in(page, USERNAME, PASSWORD, "applicant-home")
        page.goto(live_server.url + reverse("certification_applicant:home"))
        shot(page, "certification-home")
        page.locator("[data-action=apply]").click()
        page.wait_for_load_state("load")
        shot(page, "choose-type")
        page.locator("a[data-type='2']").click()
        page.wait_for_load_state("load")
        form = page.locator("form[data-form=certification-apply]")
        form.locator("input[name=subject]").fill("语文")
        authority = Institution.objects.get(kind="bureau", code="340103")
        point = Institution.objects.get(code="340103QR01")
        form.locator("select[name=authority]").select_option(str(authority.pk))
        form.locator("select[name=confirmation_point]").select_option(str(point.pk))
        form.locator("select[name=education]").select_option("bachelor")
        form.locator("select[name=mandarin]").select_option("2a")
        form.locator("select[name=ntce_type]").select_option("2")
        form.locator("input[name=ntce_number]").fill("2023244000123")
        form.locator("input[name=ntce_date]").fill("2023-06-10")
        form.locator("input[name=commitment]").check()
        form.locator("input[name=photo]").set_input_files(str(_photo(media)))
        shot(page, "apply-form")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("load")
        shot(page, "draft-saved")
        page.locator("[data-action=submit]").click()
        page.wait_for_load_state("load")
        shot(page, "submitted")
        assert page.locator("section[data-status=confirmation]").count() == 1
        # The phone layout of the same page.
        phone_page.context.add_cookies(page.context.cookies())
        phone_page.goto(page.url)
        phone_page.wait_for_load_state("load")
        shot(phone_page, "submitted-phone")

    application = CertificationApplication.objects.get(applicant__username=USERNAME)
    assert application.status == Status.CONFIRMATION

    # --- 2. Book a slot at the 确认点 and be checked in there. --------------------------
    _book_and_check_in(application)

    # --- 3. The confirmation user compares and confirms. --------------------------------
    with clock.travel(CONFIRM):
        page.context.clear_cookies()
        sign_in(page, "ly_confirm")
        page.goto(live_server.url + reverse("certification:confirm_queue"))
        page.wait_for_load_state("load")
        shot(page, "confirm-queue")
        page.locator(f"tr[data-application='{application.pk}'] a").click()
        page.wait_for_load_state("load")
        shot(page, "confirm-compare")
        assert page.locator("[data-checked-in=yes]").count() == 1
        page.locator("form[data-form=confirm] select[name=decision]").select_option("confirm")
        page.locator("form[data-form=confirm] button[type=submit]").click()
        page.wait_for_load_state("load")
        shot(page, "confirmed")
    application.refresh_from_db()
    assert application.status == Status.DECISION

    # --- 4. The certifying officer records the exam and certifies. ----------------------
    with clock.travel(DECIDE):
        page.context.clear_cookies()
        sign_in(page, "ly_certifier")
        page.goto(live_server.url + reverse("certification:queue"))
        page.wait_for_load_state("load")
        shot(page, "decision-queue")
        page.locator(f"tr[data-application='{application.pk}'] a").click()
        page.wait_for_load_state("load")
        page.locator("form[data-form=health] select[name=health]").select_option("fit")
        page.locator("form[data-form=health] input[name=hospital]").fill("合肥市第一人民医院")
        page.locator("form[data-form=health] button[type=submit]").click()
        page.wait_for_load_state("load")
        shot(page, "exam-recorded")
        page.locator("form[data-form=decide] select[name=conclusion]").select_option("certified")
        page.locator("form[data-form=decide] button[type=submit]").click()
        page.wait_for_load_state("load")
        shot(page, "certified")
    application.refresh_from_db()
    assert application.status == Status.CERTIFIED

    # --- 5. The applicant downloads the certificate; its number follows §6. -------------
    code = AuthorityCode.objects.get(authority=authority).code
    serial = SerialCounter.objects.get(authority=authority, year=2024).last
    expected = f"2024{34}{code}2{2}{serial:06d}"
    assert application.certificate_number == expected
    with clock.travel(DECIDE):
        applicant_sign_in(page, USERNAME, PASSWORD, "applicant-back")
        page.goto(live_server.url + reverse("certification_applicant:detail", args=[application.pk]))
        page.wait_for_load_state("load")
        shot(page, "certificate-ready")
        assert page.locator(f"[data-certificate-number='{expected}']").count() == 1
        with page.expect_download() as download:
            page.locator("[data-action=download-certificate]").click()
        pdf = Path(download.value.path()).read_bytes()
    text = re.sub(
        r"\s+",
        "",
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode(),
    )
    assert expected in text
    assert "周若溪" in text
    assert io.BytesIO(pdf).read(5) == b"%PDF-"
