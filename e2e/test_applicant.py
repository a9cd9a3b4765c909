"""Journey of a teacher in the applicant area (/me/): real-name sign-up → confirm the
teacher record with a certificate number → start the application from the records →
fill it in → upload a PDF → submit; then the same pages on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.core import clock
from jiaozi.registration.models import Application, Material
from jiaozi.registration.tests.factories_applications import OPEN, chain, due_teacher
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.workflow import Status

# Transactional (the live server reads what the test writes). The factories need the
# migrations' Anhui 2024 campaign: the shared _reference_data fixture reloads it after an
# earlier test's flush.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Jz-teach2024"
DEMO_PASSWORD = "Jiaozi@2024"  # the factories' password
PHONE = "13955501234"


@pytest.fixture
def campaign_open(tmp_path: Any) -> Iterator[None]:
    """The live server runs in this process: moving the clock moves it there too."""
    cache.clear()
    saved = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path
    with clock.travel(OPEN):
        yield
    settings.MEDIA_ROOT = saved
    cache.clear()


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    )


def _links_stay_out_of_the_staff_entrance(page: Any) -> None:
    hrefs = page.eval_on_selector_all("a[href], form[action]", "els => els.map(e => e.href || e.action)")
    assert not [h for h in hrefs if settings.STAFF_URL_PREFIX in h]


def test_a_teacher_signs_up_links_the_record_and_submits_an_application(
    campaign_open: None, live_server: Any, page: Any, visit: Any, shot: Any, upload_required: Any
) -> None:
    c = chain()
    teacher, cert = due_teacher(c.school, name="陈静怡")
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before submitting

    # Sign-in page → sign-up.
    visit(page, reverse("applicants:login"), "login")
    assert page.locator("h1").inner_text().strip() == "教师登录"
    _links_stay_out_of_the_staff_entrance(page)
    page.get_by_role("link", name="还没有账号？实名注册").click()
    page.wait_for_load_state("load")
    shot(page, "signup-empty")

    # A wrong check digit first: the message says so.
    bad = teacher.resident_id[:-1] + ("0" if teacher.resident_id[-1] != "0" else "1")
    page.fill("input[name=real_name]", teacher.name)
    page.fill("input[name=resident_id]", bad)
    page.fill("input[name=phone]", PHONE)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.check("input[name=consent]")
    page.get_by_role("button", name="同意并注册").click()
    page.wait_for_load_state("load")
    shot(page, "signup-bad-id")
    assert "校验位错误" in page.locator("main").inner_text()

    page.fill("input[name=resident_id]", teacher.resident_id)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.check("input[name=consent]")
    page.get_by_role("button", name="同意并注册").click()
    page.wait_for_load_state("load")
    shot(page, "home-not-linked")
    user = User.objects.get(kind=User.Kind.APPLICANT, real_name=teacher.name)
    assert user.username in page.locator(".jz-messages").inner_text()
    assert page.url.endswith(reverse("applicants:home"))
    assert teacher.resident_id not in page.url
    assert cert.number not in page.content()  # nothing of the record before the link

    # Confirm the record: a wrong number first, then the right one.
    page.get_by_role("link", name="核验证书编号").click()
    page.wait_for_load_state("load")
    page.fill("input[name=number]", "20153400131999999")
    page.get_by_role("button", name="核验").click()
    page.wait_for_load_state("load")
    shot(page, "link-mismatch")
    assert "证书编号与您的身份信息不匹配" in page.locator("main").inner_text()
    page.fill("input[name=number]", cert.number)
    page.get_by_role("button", name="核验").click()
    page.wait_for_load_state("load")
    shot(page, "home-linked")
    main = page.locator("main").inner_text()
    assert cert.number in main
    assert "定期注册" in main
    assert "系统建议" in main
    assert "注册合格" in main
    assert "本人申请" in main
    _links_stay_out_of_the_staff_entrance(page)

    # Start from the records.
    page.get_by_role("link", name="开始申请").click()
    page.wait_for_load_state("load")
    shot(page, "start")
    assert teacher.school.name in page.locator("main").inner_text()
    page.get_by_role("button", name="创建申请").click()
    page.wait_for_load_state("load")
    shot(page, "edit-new")
    application = Application.objects.get(applicant=user)
    assert page.url.endswith(reverse("applicants:application_edit", args=[application.pk]))
    assert page.input_value("input[name=phone]") == (teacher.phone or "")

    page.fill("input[name=phone]", PHONE)
    page.fill("input[name=address]", "合肥市庐阳区长江中路1号")
    page.get_by_role("button", name="保存申请信息").click()
    page.wait_for_load_state("load")
    shot(page, "edit-saved")
    assert "申请信息已保存" in page.locator(".jz-messages").inner_text()

    # Upload a PDF of the certificate.
    page.select_option("select[name=kind]", "certificate")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "教师资格证书.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}],
    )
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state("load")
    shot(page, "edit-uploaded")
    assert "教师资格证书.pdf" in page.locator("#materials").inner_text()
    assert Material.objects.filter(application=application).count() == 1

    # Submitting with the other required materials missing is refused, naming them.
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state("load")
    shot(page, "edit-materials-missing")
    assert "请先上传以下必需材料" in page.locator("main").inner_text()
    assert "聘用合同" in page.locator("main").inner_text()
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert len(upload_required(page)) == 4

    # Submit.
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state("load")
    shot(page, "detail-submitted")
    application.refresh_from_db()
    assert application.status == Status.SCHOOL_REVIEW
    main = page.locator("main").inner_text()
    assert "申请已提交" in main
    assert "待学校审查" in main
    assert teacher.school.name in main  # who holds it now
    assert "提交申请" in page.locator(".jz-timeline").inner_text()
    assert page.get_by_role("button", name="撤回申请").is_visible()

    # The inbox and personal information.
    page.get_by_role("link", name="我的个人信息").click()
    page.wait_for_load_state("load")
    shot(page, "profile")
    assert teacher.resident_id in page.locator("main").inner_text()
    assert teacher.resident_id not in page.url
    page.get_by_role("link", name="消息").first.click()
    page.wait_for_load_state("load")
    shot(page, "inbox")

    # The same in English, then back.
    page.get_by_role("link", name="我的首页").click()
    page.wait_for_load_state("load")
    page.get_by_role("button", name="English").first.click()
    page.wait_for_load_state("load")
    shot(page, "home-english")
    assert "My teacher qualification certificates" in page.locator("main").inner_text()
    assert _no_horizontal_scroll(page)
    page.get_by_role("button", name="中文").first.click()
    page.wait_for_load_state("load")

    # Sign out.
    page.get_by_role("navigation", name="个人中心导航").get_by_role("button", name="退出").click()
    page.wait_for_load_state("load")
    shot(page, "signed-out")
    assert page.url.endswith(reverse("applicants:login"))


def test_the_applicant_pages_on_a_phone(
    campaign_open: None, live_server: Any, phone_page: Any, visit: Any, shot: Any, upload_required: Any
) -> None:
    c = chain()
    teacher, cert = due_teacher(c.school, name="欧阳娜娜")
    page = phone_page
    page.on("dialog", lambda dialog: dialog.accept())

    visit(page, reverse("applicants:signup"), "phone-signup")
    assert _no_horizontal_scroll(page)
    page.fill("input[name=real_name]", teacher.name)
    page.fill("input[name=resident_id]", teacher.resident_id)
    page.fill("input[name=phone]", PHONE)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.check("input[name=consent]")
    page.get_by_role("button", name="同意并注册").click()
    page.wait_for_load_state("load")
    shot(page, "phone-home-not-linked")
    assert _no_horizontal_scroll(page)

    visit(page, reverse("applicants:link"), "phone-link")
    page.fill("input[name=number]", cert.number)
    page.get_by_role("button", name="核验").click()
    page.wait_for_load_state("load")
    shot(page, "phone-home")
    assert _no_horizontal_scroll(page)
    assert cert.number in page.locator("main").inner_text()

    page.get_by_role("link", name="开始申请").click()
    page.wait_for_load_state("load")
    shot(page, "phone-start")
    assert _no_horizontal_scroll(page)
    page.get_by_role("button", name="创建申请").click()
    page.wait_for_load_state("load")
    shot(page, "phone-edit")
    assert _no_horizontal_scroll(page)
    # An upload saves step 1 with it: the contact phone is required there.
    page.fill("input[name=phone]", PHONE)

    page.set_input_files(
        "input[name=file]",
        files=[{"name": "继续教育学时证明.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}],
    )
    page.select_option("select[name=kind]", "training")
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state("load")
    shot(page, "phone-uploaded")
    assert _no_horizontal_scroll(page)
    upload_required(page)

    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state("load")
    shot(page, "phone-detail")
    assert _no_horizontal_scroll(page)
    assert "待学校审查" in page.locator("main").inner_text()

    for name, path in (
        ("phone-profile", reverse("applicants:profile")),
        ("phone-inbox", reverse("applicants:inbox")),
    ):
        visit(page, path, name)
        assert _no_horizontal_scroll(page)

    page.get_by_role("navigation", name="个人中心导航").get_by_role("button", name="退出").click()
    page.wait_for_load_state("load")
    visit(page, reverse("applicants:password_reset"), "phone-reset")
    assert _no_horizontal_scroll(page)


def test_staff_cannot_sign_in_here_and_an_applicant_reaches_no_staff_page(
    campaign_open: None, live_server: Any, page: Any, visit: Any, shot: Any
) -> None:
    c = chain()
    visit(page, reverse("applicants:login"), "login")
    page.fill("input[name=username]", c.school_reviewer.username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    shot(page, "staff-refused")
    assert "账号或密码错误" in page.locator("main").inner_text()

    page.fill("input[name=username]", str(c.applicant.resident_id))
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(reverse("applicants:home"))

    page.goto(live_server.url + reverse("workspace:home"))
    page.wait_for_load_state("load")
    shot(page, "applicant-at-staff-page")
    assert page.url.split("?")[0].endswith(reverse("accounts:login"))
    assert "工作台" not in page.locator("h1").inner_text()


def test_a_returned_application_shows_the_reason_and_is_resubmitted(
    campaign_open: None, live_server: Any, page: Any, visit: Any, shot: Any
) -> None:
    from jiaozi.applicants.tests.factories import linked
    from jiaozi.registration.tests.factories_applications import drive, step
    from jiaozi.registration.workflow import Action

    c = chain()
    linked(c.applicant)
    app = drive(c, to=Status.SCHOOL_REVIEW)
    step(
        c,
        app,
        Action.RETURN_TO_APPLICANT,
        reason="请补充2022年度的培训学时证明。",
        reason_code="training_unverified",
    )
    page.on("dialog", lambda dialog: dialog.accept())

    visit(page, reverse("applicants:login"), "login")
    page.fill("input[name=username]", c.applicant.username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    shot(page, "home-returned")
    assert "已退回申请人" in page.locator("main").inner_text()

    page.get_by_role("link", name="查看申请").click()
    page.wait_for_load_state("load")
    shot(page, "detail-returned")
    alert = page.locator(".jz-return").inner_text()
    assert "请补充2022年度的培训学时证明。" in alert
    assert c.school.name in alert

    page.get_by_role("link", name="修改并重新提交").click()
    page.wait_for_load_state("load")
    assert "请补充2022年度的培训学时证明。" in page.locator(".jz-return").inner_text()
    page.select_option("select[name=kind]", "training")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "2022培训证明.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}],
    )
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state("load")
    shot(page, "edit-returned-uploaded")
    page.get_by_role("button", name="重新提交").click()
    page.wait_for_load_state("load")
    shot(page, "detail-resubmitted")
    app.refresh_from_db()
    assert app.status == Status.SCHOOL_REVIEW
    assert page.locator(".jz-return").count() == 0
    timeline = page.locator(".jz-timeline").inner_text()
    assert "退回申请人" in timeline
    assert "重新提交" in timeline
