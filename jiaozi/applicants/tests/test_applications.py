"""The application pages: start from the records, edit, upload, submit inside the
window only, withdraw before school review, resubmit after a return, the timeline,
downloads — and nobody else's application."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.core import clock
from jiaozi.registration.models import Application, Material
from jiaozi.registration.tests.factories_applications import (
    STEPS_CLOSED,
    Chain,
    another_applicant,
    application,
    drive,
    start,
    step,
    supply_materials,
)
from jiaozi.registration.tests.test_materials import EXE, pdf_bytes, png_bytes
from jiaozi.registration.workflow import Action, Status

from .factories import linked

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    return reverse(f"applicants:{name}", args=args)


def act(client: Client, app: Application, action: str) -> Any:
    app.refresh_from_db()
    return client.post(
        url("application_act", app.pk), {"action": action, "version": app.version}, follow=True
    )


def test_the_url_names_are_the_contract_ones() -> None:
    assert url("application_start") == "/me/applications/start/"
    assert url("application_detail", 7) == "/me/applications/7/"
    assert url("application_edit", 7) == "/me/applications/7/edit/"
    assert url("material_download", 7) == "/me/materials/7/"
    assert url("form_pdf", 7) == "/me/applications/7/form.pdf"


# --- Start ----------------------------------------------------------------------------------


def test_start_shows_what_the_records_say_then_creates_a_draft(applicant_client: Client, c: Chain) -> None:
    page = applicant_client.get(url("application_start"), {"certificate": c.certificate.pk})

    assert page.status_code == 200
    assert c.certificate.number in page.text
    assert c.school.name in page.text
    assert "注册合格" in page.text

    response = applicant_client.post(url("application_start"), {"certificate": c.certificate.pk})

    app = Application.objects.get(applicant=c.applicant)
    assert app.status == Status.DRAFT
    assert response["Location"] == url("application_edit", app.pk)
    # Pre-filled from the records.
    assert app.phone == c.teacher.phone
    assert app.post


def test_start_twice_opens_the_same_application(applicant_client: Client, c: Chain) -> None:
    applicant_client.post(url("application_start"), {"certificate": c.certificate.pk})
    again = applicant_client.get(url("application_start"), {"certificate": c.certificate.pk})

    app = Application.objects.get(applicant=c.applicant)
    assert again["Location"] == url("application_detail", app.pk)


def test_start_needs_the_confirmed_link(client: Client, c: Chain, as_applicant: Any) -> None:
    as_applicant(c.applicant)

    response = client.post(url("application_start"), {"certificate": c.certificate.pk})

    assert response["Location"] == url("link")
    assert not Application.objects.exists()


def test_start_for_someone_elses_certificate_is_not_found(applicant_client: Client, c: Chain) -> None:
    _other, theirs = another_applicant(c)

    assert applicant_client.get(url("application_start"), {"certificate": theirs.pk}).status_code == 404
    assert applicant_client.post(url("application_start"), {"certificate": theirs.pk}).status_code == 404
    assert not Application.objects.exists()


def test_start_outside_the_apply_window_shows_the_window(applicant_client: Client, c: Chain) -> None:
    with clock.travel(STEPS_CLOSED):
        applicant_client.force_login(c.applicant)  # a new session: the old one went idle
        response = applicant_client.post(
            url("application_start"), {"certificate": c.certificate.pk}, follow=True
        )

    assert "本人申请时间为" in response.text
    assert not Application.objects.exists()


# --- Edit and materials --------------------------------------------------------------------------


@pytest.fixture
def draft(c: Chain) -> Application:
    return start(c)


def test_edit_saves_the_form_and_ignores_posted_status(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.post(
        url("application_edit", draft.pk),
        {
            "phone": "13911112222",
            "post": "初中语文教师",
            "address": "合肥市庐阳区某路1号",
            "work_history": "2019-2024 本校",
            "notes": "",
            "version": draft.version,
            "status": Status.COMPLETED,
            "conclusion": "qualified",
        },
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.phone == "13911112222"
    assert draft.address == "合肥市庐阳区某路1号"
    assert draft.status == Status.DRAFT
    assert draft.conclusion == ""


def test_edit_with_a_stale_version_is_refused(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.post(
        url("application_edit", draft.pk), {"phone": "13911112222", "version": draft.version + 5}
    )

    assert response.status_code == 200
    assert "刷新" in response.text


def test_edit_page_lists_the_material_checklist(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.get(url("application_edit", draft.pk))

    assert response.status_code == 200
    for label in ("教师资格证书", "聘用合同", "学校师德表现证明", "五年年度考核证明", "培训学时证明"):
        assert label in response.text
    assert 'enctype="multipart/form-data"' in response.text


def test_a_pdf_upload_through_the_page(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.post(
        url("material_upload", draft.pk),
        {"kind": "certificate", "file": SimpleUploadedFile("我的证书.pdf", pdf_bytes(), "application/pdf")},
    )

    assert response.status_code == 302
    material = Material.objects.get(application=draft)
    assert material.original_name == "我的证书.pdf"
    page = applicant_client.get(url("application_edit", draft.pk))
    assert "我的证书.pdf" in page.text
    assert url("material_download", material.pk) in page.text


def test_a_renamed_executable_is_refused_on_the_page(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.post(
        url("material_upload", draft.pk),
        {"kind": "certificate", "file": SimpleUploadedFile("证书.pdf", EXE, "application/pdf")},
    )

    assert response.status_code == 200
    assert "只能上传PDF、JPG或PNG格式的文件" in response.text
    assert not Material.objects.exists()


def test_an_oversized_upload_is_refused_on_the_page(
    applicant_client: Client, draft: Application, settings: Any
) -> None:
    settings.REGISTRATION_MATERIAL_MAX_BYTES = 100

    response = applicant_client.post(
        url("material_upload", draft.pk),
        {"kind": "training", "file": SimpleUploadedFile("big.png", png_bytes(60, 60), "image/png")},
    )

    assert response.status_code == 200
    assert "MB" in response.text
    assert not Material.objects.exists()


def test_upload_and_edit_of_someone_elses_application_are_not_found(
    client: Client, c: Chain, as_applicant: Any
) -> None:
    theirs = application(c, status=Status.DRAFT)
    other, _cert = another_applicant(c)
    linked(other)
    as_applicant(other)

    upload = client.post(
        url("material_upload", theirs.pk),
        {"kind": "other", "file": SimpleUploadedFile("a.pdf", pdf_bytes(), "application/pdf")},
    )

    assert upload.status_code == 404
    assert client.get(url("application_edit", theirs.pk)).status_code == 404
    assert client.get(url("application_detail", theirs.pk)).status_code == 404
    assert act(client, theirs, "withdraw").status_code == 404
    assert not Material.objects.exists()


# --- Downloads ------------------------------------------------------------------------------------


@pytest.fixture
def material(applicant_client: Client, draft: Application) -> Material:
    applicant_client.post(
        url("material_upload", draft.pk),
        {"kind": "certificate", "file": SimpleUploadedFile("证书.pdf", pdf_bytes(), "application/pdf")},
    )
    return Material.objects.get(application=draft)


def test_own_material_downloads_as_an_attachment(applicant_client: Client, material: Material) -> None:
    response = applicant_client.get(url("material_download", material.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdf_bytes()  # type: ignore[attr-defined]


def test_another_applicant_gets_404_for_the_material(
    client: Client, c: Chain, material: Material, as_applicant: Any
) -> None:
    client.logout()
    other, _cert = another_applicant(c)
    as_applicant(other)

    assert client.get(url("material_download", material.pk)).status_code == 404


def test_staff_are_refused_at_the_applicant_download(
    client: Client, c: Chain, material: Material, as_staff: Any
) -> None:
    client.logout()
    as_staff(c.school_reviewer)

    response = client.get(url("material_download", material.pk))

    assert response.status_code == 403
    assert b"%PDF" not in response.content


def test_delete_a_material_of_a_draft(applicant_client: Client, material: Material) -> None:
    response = applicant_client.post(url("material_delete", material.pk))

    assert response.status_code == 302
    assert not Material.objects.filter(pk=material.pk).exists()


# --- Submit, withdraw, resubmit ----------------------------------------------------------------------


def test_submit_inside_the_window(applicant_client: Client, draft: Application) -> None:
    supply_materials(draft)
    response = act(applicant_client, draft, "submit")

    draft.refresh_from_db()
    assert draft.status == Status.SCHOOL_REVIEW
    assert "申请已提交" in response.text


def test_submit_without_a_required_material_names_it(applicant_client: Client, draft: Application) -> None:
    supply_materials(draft, except_=("contract",))
    response = act(applicant_client, draft, "submit")

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert "请先上传以下必需材料：聘用合同。" in response.text


def test_submit_outside_the_window_shows_the_window_message(
    applicant_client: Client, c: Chain, draft: Application
) -> None:
    with clock.travel(STEPS_CLOSED):
        applicant_client.force_login(c.applicant)  # a new session: the old one went idle
        response = act(applicant_client, draft, "submit")

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert "本人申请时间为2024年9月13日至12月15日17时" in response.text
    assert "当前不在办理时间内" in response.text


def test_the_edit_page_warns_when_the_window_is_closed(
    applicant_client: Client, c: Chain, draft: Application
) -> None:
    with clock.travel(STEPS_CLOSED + dt.timedelta(minutes=1)):
        applicant_client.force_login(c.applicant)
        response = applicant_client.get(url("application_edit", draft.pk))

    assert "当前不在申请时间内" in response.text


def test_submit_with_a_stale_version_changes_nothing(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.post(
        url("application_act", draft.pk), {"action": "submit", "version": draft.version + 1}, follow=True
    )

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert "申请状态已发生变化" in response.text


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SCHOOL_REVIEW])
def test_withdraw_before_school_review(applicant_client: Client, c: Chain, status: str) -> None:
    app = drive(c, to=status)

    response = act(applicant_client, app, "withdraw")

    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN
    assert "申请已撤回" in response.text


def test_withdraw_after_the_school_approved_is_refused(applicant_client: Client, c: Chain) -> None:
    app = drive(c, to=Status.REGISTRATION_REVIEW)

    detail = applicant_client.get(url("application_detail", app.pk))
    response = act(applicant_client, app, "withdraw")

    app.refresh_from_db()
    assert app.status == Status.REGISTRATION_REVIEW
    assert 'value="withdraw"' not in detail.text
    assert response.status_code == 200


def test_a_posted_review_action_is_not_accepted(applicant_client: Client, c: Chain) -> None:
    app = drive(c, to=Status.SCHOOL_REVIEW)

    applicant_client.post(
        url("application_act", app.pk), {"action": "school_approve", "version": app.version}
    )

    app.refresh_from_db()
    assert app.status == Status.SCHOOL_REVIEW


def test_a_return_shows_its_reason_then_edit_and_resubmit(applicant_client: Client, c: Chain) -> None:
    app = drive(c, to=Status.SCHOOL_REVIEW)
    app = step(
        c,
        app,
        Action.RETURN_TO_APPLICANT,
        reason="培训学时证明缺少2022年的部分",
        reason_code="training_unverified",
    )
    assert app.status == Status.RETURNED

    detail = applicant_client.get(url("application_detail", app.pk))
    edit = applicant_client.get(url("application_edit", app.pk))

    for page in (detail, edit):
        assert "申请已被退回" in page.text
        assert "培训学时证明缺少2022年的部分" in page.text
        assert "培训学时证明不足或需核实" in page.text
        assert c.school.name in page.text
    assert "修改并重新提交" in detail.text

    applicant_client.post(
        url("material_upload", app.pk),
        {"kind": "training", "file": SimpleUploadedFile("2022培训.png", png_bytes(), "image/png")},
    )
    response = act(applicant_client, app, "resubmit")

    app.refresh_from_db()
    assert app.status == Status.SCHOOL_REVIEW
    assert "申请已被退回" not in response.text


def test_the_timeline_shows_steps_holder_and_deadline(applicant_client: Client, c: Chain) -> None:
    app = drive(c, to=Status.REGISTRATION_REVIEW)

    response = applicant_client.get(url("application_detail", app.pk))

    text = response.text
    assert response.status_code == 200
    assert 'data-action="submit"' in text
    assert 'data-action="school_approve"' in text
    assert c.school.name in text  # the level that acted
    assert 'data-holder="registration"' in text
    assert c.authority.name in text  # who holds it now
    assert "2024-12-15 17:00" in text  # the review window's close
    assert 'data-stage="school" data-state="done"' in text
    assert 'data-stage="registration" data-state="current"' in text


def test_a_completed_application_offers_the_stamped_form(applicant_client: Client, c: Chain) -> None:
    app = drive(c, to=Status.COMPLETED)

    detail = applicant_client.get(url("application_detail", app.pk))
    assert url("form_pdf", app.pk) in detail.text

    response = applicant_client.get(url("form_pdf", app.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")


def test_the_form_of_an_unfinished_application_is_not_offered(
    applicant_client: Client, draft: Application
) -> None:
    response = applicant_client.get(url("form_pdf", draft.pk), follow=True)

    assert "尚未办结" in response.text


def test_the_form_of_someone_elses_application_is_not_found(
    client: Client, c: Chain, as_applicant: Any
) -> None:
    app = drive(c, to=Status.COMPLETED)
    other, _cert = another_applicant(c)
    as_applicant(other)

    assert client.get(url("form_pdf", app.pk)).status_code == 404


def test_staff_cannot_use_the_applicant_application_pages(client: Client, c: Chain, as_staff: Any) -> None:
    app = drive(c, to=Status.SCHOOL_REVIEW)
    as_staff(make_staff(role=Role.SCHOOL_REVIEWER, institution=c.school))

    for name in ("application_detail", "application_edit"):
        assert client.get(url(name, app.pk)).status_code == 403
    assert (
        client.post(
            url("application_act", app.pk), {"action": "withdraw", "version": app.version}
        ).status_code
        == 403
    )
    app.refresh_from_db()
    assert app.status == Status.SCHOOL_REVIEW
