"""The issue's "Done when": the demo's teacher goes from the applicant area to a filed,
stamped conclusion through all five levels in the browser, every step audited and the
audit chain verifying.

teacher_demo confirms their record and applies → ly_school (school) approves →
ly_reviewer (庐阳区) concludes 注册合格 and publishes the notice → the notice runs out
(the clock moves past its end and the scheduled jobs run) → hf_rechecker (合肥市)
approves → prov_reviewer (省) files it → teacher_demo downloads the stamped
《教师资格定期注册申请表》, whose text holds the name and 注册合格; then
``manage.py audit_verify`` succeeds.

The live server runs in this process, so ``clock.travel`` moves its clock too. Sessions
are clock-bound (idle timeout), so each persona signs in on the clock it acts on."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock
from jiaozi.core.fields import field_lookup
from jiaozi.registration.models import Application, Notice, RegistrationForm
from jiaozi.registration.tests.factories_applications import OPEN, active_campaign
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import Teacher

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

APPLICANT = "teacher_demo"
DEMO_PASSWORD = "Jiaozi@2024"


@pytest.fixture
def campaign_open(tmp_path: Path) -> Iterator[None]:
    """Anhui 2024 with every window open; uploads and stamped forms in a scratch
    MEDIA_ROOT; fresh rate-limit counters."""
    cache.clear()
    saved = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path
    with clock.travel(OPEN):
        active_campaign()
        yield
    settings.MEDIA_ROOT = saved
    cache.clear()


def pdf_text(document: bytes) -> str:
    """pdftotext (poppler-utils) of the document, whitespace removed."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=document,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.sub(r"\s+", "", out)


def _sign_out(page: Any) -> None:
    page.context.clear_cookies()


def _applicant_sign_in(page: Any, live_server: Any, shot: Any) -> None:
    page.goto(live_server.url + reverse("applicants:login"))
    page.wait_for_load_state("load")
    shot(page, "applicant-login")
    page.fill("input[name=username]", APPLICANT)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    shot(page, "applicant-home")
    assert page.url.endswith(reverse("applicants:home")), page.url


def _open_from_queue(page: Any, teacher: Teacher, shot: Any, name: str) -> None:
    page.locator(".jz-nav-link", has_text="审核队列").click()
    page.wait_for_load_state("load")
    shot(page, f"{name}-queue")
    page.locator("main table").get_by_role("link", name=teacher.name).first.click()
    page.wait_for_load_state("load")
    shot(page, f"{name}-detail")


def _act(page: Any, action: str, opinion: str, shot: Any, name: str) -> None:
    form = page.locator(f"details[data-action={action}] form")
    if not form.is_visible():
        page.locator(f"details[data-action={action}] summary").click()
    form.locator("textarea[name=reason]").fill(opinion)
    shot(page, f"{name}-form")
    form.get_by_role("button").click()
    page.wait_for_load_state("load")
    shot(page, f"{name}-done")


def test_the_demo_teacher_reaches_a_filed_stamped_conclusion(
    demo: None,
    campaign_open: None,
    live_server: Any,
    page: Any,
    sign_in: Any,
    visit: Any,
    shot: Any,
    upload_required: Any,
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # confirm() before submitting
    applicant = User.objects.get(username=APPLICANT)
    teacher = Teacher.objects.get(**field_lookup(Teacher, "resident_id", str(applicant.resident_id)))
    certificate = Certificate.objects.filter(teacher=teacher).order_by("pk").first()
    assert certificate is not None

    # --- 1. The applicant confirms the record, fills in the form and submits. ---------
    _applicant_sign_in(page, live_server, shot)
    page.get_by_role("link", name="核验证书编号").click()
    page.wait_for_load_state("load")
    page.fill("input[name=number]", certificate.number)
    shot(page, "applicant-link")
    page.get_by_role("button", name="核验").click()
    page.wait_for_load_state("load")
    shot(page, "applicant-linked")
    assert certificate.number in page.locator("main").inner_text()

    page.get_by_role("link", name="开始申请").first.click()
    page.wait_for_load_state("load")
    shot(page, "applicant-start")
    page.get_by_role("button", name="创建申请").click()
    page.wait_for_load_state("load")
    application = Application.objects.get(applicant=applicant)
    page.fill("input[name=phone]", "13955501234")
    page.fill("input[name=address]", "合肥市庐阳区长江中路1号")
    page.get_by_role("button", name="保存申请信息").click()
    page.wait_for_load_state("load")
    page.select_option("select[name=kind]", "certificate")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "教师资格证书.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}],
    )
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state("load")
    upload_required(page)
    shot(page, "applicant-edit")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state("load")
    shot(page, "applicant-submitted")
    application.refresh_from_db()
    assert application.status == Status.SCHOOL_REVIEW
    assert "待学校审查" in page.locator("main").inner_text()
    _sign_out(page)

    # --- 2. The school approves. --------------------------------------------------------
    sign_in(page, "ly_school")
    _open_from_queue(page, teacher, shot, "school")
    _act(page, "school_approve", "该同志师德表现良好，考核合格，同意上报。", shot, "school-approve")
    application.refresh_from_db()
    assert application.status == Status.REGISTRATION_REVIEW
    _sign_out(page)

    # --- 3. The county concludes 注册合格 and publishes the notice. -----------------------
    sign_in(page, "ly_reviewer")
    _open_from_queue(page, teacher, shot, "county")
    form = page.locator("details[data-action=conclude] form")
    assert form.locator("input[name=conclusion][value=qualified]").is_checked()
    _act(page, "conclude", "经审核，符合定期注册条件，注册合格。", shot, "county-conclude")
    application.refresh_from_db()
    assert (application.status, application.conclusion) == (Status.CONCLUDED, "qualified")

    visit(page, reverse("registration:notice_publish"), "county-publish-choose")
    for box in page.locator("input[id^=app-]").all():
        if box.get_attribute("id") != f"app-{application.pk}":
            box.uncheck()
    page.check(f"#app-{application.pk}")
    page.get_by_role("button", name="预览公示名单").click()
    page.wait_for_load_state("load")
    shot(page, "county-publish-preview")
    page.get_by_role("button", name="确认发布").click()
    page.wait_for_load_state("load")
    shot(page, "county-notice")
    application.refresh_from_db()
    assert application.status == Status.NOTICE
    notice = Notice.objects.get(applications=application)
    _sign_out(page)

    # The public notice shows the masked name.
    visit(page, reverse("notices:detail", args=[notice.pk]), "public-notice")
    assert teacher.name not in page.content()
    assert teacher.name[0] + "*" in page.locator("main table").inner_text()

    # --- 4. The notice runs out: the clock moves past its end, the jobs run. -------------
    with clock.travel(notice.ends_at + dt.timedelta(minutes=1)):
        call_command("run_due_jobs", stdout=StringIO())
        application.refresh_from_db()
        assert application.status == Status.CITY_RECHECK
        visit(page, reverse("notices:detail", args=[notice.pk]), "public-notice-ended")
        assert "公示期已结束" in page.locator("main").inner_text()

        # --- 5. The city rechecks. ------------------------------------------------------
        sign_in(page, "hf_rechecker")
        _open_from_queue(page, teacher, shot, "city")
        _act(page, "city_approve", "经复核，同意。", shot, "city-approve")
        application.refresh_from_db()
        assert application.status == Status.PROVINCE_REVIEW
        _sign_out(page)

        # --- 6. The province files it. --------------------------------------------------
        sign_in(page, "prov_reviewer")
        _open_from_queue(page, teacher, shot, "province")
        _act(page, "province_approve", "同意，予以备案。", shot, "province-approve")
        application.refresh_from_db()
        assert application.status == Status.COMPLETED
        _sign_out(page)

        # --- 7. The applicant downloads the stamped form. ------------------------------
        _applicant_sign_in(page, live_server, shot)
        visit(page, reverse("applicants:application_detail", args=[application.pk]), "applicant-completed")
        main = page.locator("main").inner_text()
        assert "注册合格" in main
        with page.expect_download() as download_info:
            page.get_by_role("link", name="下载《教师资格定期注册申请表》（PDF）").click()
        document = Path(download_info.value.path()).read_bytes()

    # The PDF page itself, for the record of this journey.
    image = Path(shot(page, "applicant-after-download")).with_name("99-stamped-form")
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-singlefile", "-", str(image)],
        input=document,
        check=True,
    )

    text = pdf_text(document)
    assert teacher.name in text
    assert "注册合格" in text
    assert certificate.number in text
    assert "2024年12月31日至2029年12月30日" in text

    # The registry and the stored form agree with the paper.
    certificate.refresh_from_db()
    assert certificate.last_conclusion == "qualified"
    assert (certificate.registered_on, certificate.valid_to) == (dt.date(2024, 12, 31), dt.date(2029, 12, 30))
    form = RegistrationForm.objects.select_related("token").get(application=application)
    assert form.is_rendered

    # The QR code's public page confirms the paper, with the name masked (§7).
    visit(page, reverse("certificates:verify_token", kwargs={"token": form.token.token}), "public-verify")
    main = page.locator("main").inner_text()
    assert teacher.name not in page.content()
    assert teacher.name[0] + "*" in main
    assert certificate.number in main
    assert "注册合格" in main

    # Every step audited, on the application (or its certificate), by the right people.
    def actors(kind: AuditKind, obj: Any) -> set[int | None]:
        return set(
            AuditEvent.objects.filter(kind=kind, object_id=str(obj.pk)).values_list("actor_id", flat=True)
        )

    staff = {u.username: u.pk for u in User.objects.filter(kind=User.Kind.STAFF)}
    expected = [
        (AuditKind.APPLICATION_STARTED, application, applicant.pk),
        (AuditKind.APPLICATION_SUBMITTED, application, applicant.pk),
        (AuditKind.APPLICATION_SCHOOL_APPROVED, application, staff["ly_school"]),
        (AuditKind.APPLICATION_CONCLUDED, application, staff["ly_reviewer"]),
        (AuditKind.APPLICATION_NOTICE_PUBLISHED, application, staff["ly_reviewer"]),
        (AuditKind.APPLICATION_NOTICE_ENDED, application, None),
        (AuditKind.APPLICATION_CITY_APPROVED, application, staff["hf_rechecker"]),
        (AuditKind.APPLICATION_PROVINCE_APPROVED, application, staff["prov_reviewer"]),
        (AuditKind.CERTIFICATE_REGISTRATION_RECORDED, certificate, staff["prov_reviewer"]),
        (AuditKind.UNMASKED_VIEW, application, applicant.pk),
    ]
    for kind, obj, actor in expected:
        assert actor in actors(kind, obj), kind.label
    assert AuditEvent.objects.filter(kind=AuditKind.MATERIAL_UPLOADED, actor_id=applicant.pk).exists()

    out = StringIO()
    call_command("audit_verify", stdout=out)  # CommandError (exit 1) on a broken chain
    assert "Audit log intact" in out.getvalue()
