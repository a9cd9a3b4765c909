"""Journeys of the revised §5 rules (issue 8), every step a person takes on its page:

(a) Deadlines cascade: late in the campaign 庐阳区's registration reviewer publishes a
    notice that would end after 合肥市's recheck window closes; the publication is
    refused naming both dates. The province admin extends the recheck window for 庐阳区
    on the campaign's page; the same publication then succeeds.
(b) 申请复核: an applicant concluded 暂缓注册 asks for a review with reasons and a file of
    evidence within the period; 合肥市 (the level above) sends it back; 庐阳区 concludes
    again and publishes a new notice.

The live server runs in this process, so ``clock.travel`` moves its clock too; each
persona signs in on the clock it acts on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from jiaozi.core import clock
from jiaozi.registration.models import (
    Application,
    ApplicationStep,
    Material,
    Notice,
    WindowAction,
    WindowExtension,
)
from jiaozi.registration.tests.factories import at
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    active_campaign,
    applicant_for,
    application,
    chain,
    due_teacher,
)
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.tests.test_review_request import concluded
from jiaozi.registration.workflow import Action, Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Jiaozi@2024"
# Five days before the step windows close (15 December, 17:00): a 7-day notice
# published now ends on the 17th, after the city's recheck has closed.
LATE = at(2024, 12, 10, 10)


@pytest.fixture
def media(tmp_path: Path) -> Iterator[None]:
    """Uploads in a scratch MEDIA_ROOT; fresh rate-limit counters."""
    cache.clear()
    saved = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path
    yield
    settings.MEDIA_ROOT = saved
    cache.clear()


def _sign_out(page: Any) -> None:
    page.context.clear_cookies()


def _main(page: Any) -> str:
    return str(page.locator("main").inner_text())


def _preview(page: Any, visit: Any, shot: Any, app: Application, name: str) -> None:
    """The county's publish page: only ``app`` chosen, then the preview."""
    visit(page, reverse("registration:notice_publish"), f"{name}-choose")
    for box in page.locator("input[id^=app-]").all():
        if box.get_attribute("id") != f"app-{app.pk}":
            box.uncheck()
    page.check(f"#app-{app.pk}")
    page.get_by_role("button", name="预览公示名单").click()
    page.wait_for_load_state("load")
    shot(page, f"{name}-preview")


def _publish(page: Any, visit: Any, shot: Any, app: Application, name: str) -> None:
    """Preview, then confirm."""
    _preview(page, visit, shot, app, name)
    page.get_by_role("button", name="确认发布").click()
    page.wait_for_load_state("load")
    shot(page, f"{name}-done")


def _open_from_queue(page: Any, app: Application, shot: Any, name: str) -> None:
    page.locator(".jz-nav-link", has_text="审核队列").click()
    page.wait_for_load_state("load")
    shot(page, f"{name}-queue")
    page.locator("main table").get_by_role("link", name=app.teacher.name).first.click()
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


def test_a_late_notice_is_refused_until_the_province_extends_the_recheck(
    demo: None, media: None, live_server: Any, page: Any, sign_in: Any, visit: Any, shot: Any
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # confirm() before publishing
    with clock.travel(LATE):
        active_campaign()
        c = chain()  # a 庐阳区 school: the demo's ly_reviewer concludes, hf_rechecker rechecks
        owner, cert = due_teacher(c.school, name="郑晓岚")
        app = application(
            c,
            status=Status.CONCLUDED,
            applicant=applicant_for(owner),
            certificate_=cert,
            conclusion="qualified",
        )

        # --- 1. The county would publish: refused, naming the notice's end and the close.
        sign_in(page, "ly_reviewer")
        # The preview already says it, and publishing is not offered.
        _preview(page, visit, shot, app, "late-publish")
        refused = page.locator("[data-testid=publication-refused]").inner_text()
        assert "公示将于2024年12月17日10时结束" in refused, refused
        assert "晚于市级复核截止时间2024年12月15日17时" in refused, refused
        assert "联系省级管理员延长市级复核时间" in refused
        assert page.get_by_role("button", name="确认发布").is_disabled()
        assert Application.objects.get(pk=app.pk).status == Status.CONCLUDED
        assert not Notice.objects.exists()
        _sign_out(page)

        # --- 2. The province extends 庐阳区's recheck window on the campaign's page. ----
        sign_in(page, "prov_admin")
        visit(page, reverse("registration:campaign_detail", args=[c.campaign.pk]), "province-campaign")
        form = page.locator("[data-testid=extension-form]")
        form.locator("select[name=institution]").select_option(str(c.authority.pk))
        form.locator("select[name=window]").select_option(WindowAction.RECHECK.value)
        form.locator("input[name=closes_at]").fill("2024-12-20T17:00")
        form.locator("textarea[name=reason]").fill("庐阳区公示时间晚于原定计划，延长市级复核时间至12月20日。")
        shot(page, "province-extension-form")
        form.get_by_role("button", name="延长办理时间").click()
        page.wait_for_load_state("load")
        shot(page, "province-extension-granted")
        assert "已延长办理时间" in _main(page)
        extensions = page.locator("[data-testid=extensions] table").inner_text()
        assert "2024-12-20 17:00" in extensions, extensions
        granted = WindowExtension.objects.get()
        assert (granted.institution_id, granted.window) == (c.authority.pk, WindowAction.RECHECK)
        _sign_out(page)

        # --- 3. The same publication now goes through. -----------------------------------
        sign_in(page, "ly_reviewer")
        _publish(page, visit, shot, app, "extended-publish")
        notice = Notice.objects.get()
        assert page.url.endswith(reverse("registration:notice_detail", args=[notice.pk]))
        assert Application.objects.get(pk=app.pk).status == Status.NOTICE


def test_an_applicant_s_review_is_sent_back_and_concluded_again(
    demo: None, media: None, live_server: Any, page: Any, sign_in: Any, visit: Any, shot: Any
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # confirm() before submitting
    with clock.travel(OPEN):
        active_campaign()
        c: Chain = chain()
        app = concluded(c, "deferred")  # noticed and ended: waiting for 合肥市's recheck
        assert app.status == Status.CITY_RECHECK
        first_notice = app.notice_id

        # --- 1. The applicant asks for a review, with reasons and evidence. --------------
        page.goto(live_server.url + reverse("applicants:login"))
        page.fill("input[name=username]", c.applicant.username)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state("load")
        visit(page, reverse("applicants:application_detail", args=[app.pk]), "applicant-deferred")
        section = page.locator("[data-testid=review-request]")
        assert "暂缓注册" in section.inner_text()
        assert "2024-10-30" in section.inner_text()  # the notice ended now; 15 days to ask
        section.locator("textarea[name=reason]").fill(
            "本人2023年参加省级骨干教师培训120学时，证书已补交学校，培训学时合计已达360学时，请予复核。"
        )
        section.locator("input[name=evidence]").set_input_files(
            files=[{"name": "培训学时证明.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
        )
        shot(page, "applicant-review-form")
        section.get_by_role("button", name="提交复核申请").click()
        page.wait_for_load_state("load")
        shot(page, "applicant-review-requested")
        assert "已提交复核申请" in _main(page)
        assert page.locator("[data-testid=review-request]").count() == 0
        assert page.locator(".jz-timeline li[data-action=request_review]").count() == 1
        app.refresh_from_db()
        assert app.status == Status.REVIEW_AT_CITY
        assert app.materials.filter(kind=Material.Kind.REVIEW_EVIDENCE).count() == 1
        _sign_out(page)

        # --- 2. 合肥市 reads the reasons and the evidence, and sends it back. -------------
        sign_in(page, "hf_rechecker")
        _open_from_queue(page, app, shot, "city")
        card = page.locator("[data-testid=review-request]").inner_text()  # at the top of the page
        assert "省级骨干教师培训120学时" in card
        assert "培训学时证明.pdf" in card
        _act(
            page,
            "send_back_review",
            "申请人补交的培训证明属实，培训学时已达要求，发回庐阳区重新作出结论。",
            shot,
            "city-send-back",
        )
        app.refresh_from_db()
        assert app.status == Status.REGISTRATION_REVIEW
        _sign_out(page)

        # --- 3. 庐阳区 concludes again and publishes a new notice. -----------------------
        sign_in(page, "ly_reviewer")
        _open_from_queue(page, app, shot, "county")
        assert "发回庐阳区重新作出结论" in _main(page)
        form = page.locator("details[data-action=conclude] form")
        if not form.is_visible():
            page.locator("details[data-action=conclude] summary").click()
        form.locator("input[name=conclusion][value=qualified]").check()
        override = form.locator("textarea[name=override_reason]")
        if override.is_visible():  # shown only when the conclusion differs from the suggestion
            override.fill("复核发回：补交的培训证明已核实，学时达到要求。")
        _act(
            page, "conclude", "经复核发回后重新审核，培训学时已达360学时，注册合格。", shot, "county-conclude"
        )
        app.refresh_from_db()
        assert (app.status, app.conclusion) == (Status.CONCLUDED, "qualified")
        _publish(page, visit, shot, app, "county-publish")
        app.refresh_from_db()
        assert app.status == Status.NOTICE
        assert app.notice_id != first_notice
        _sign_out(page)

    # The whole story is on the application's record, in order.
    actions = list(
        ApplicationStep.objects.filter(application=app).order_by("pk").values_list("action", flat=True)
    )
    tail = actions[actions.index(Action.REQUEST_REVIEW) :]
    assert tail == [Action.REQUEST_REVIEW, Action.SEND_BACK_REVIEW, Action.CONCLUDE, Action.PUBLISH_NOTICE]
