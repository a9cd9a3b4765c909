"""Typed text survives an upload (issue 9, item 2): on the application page the upload
belongs to the step-1 form, so the file arrives with what was typed and the server saves
that first — after the upload, 通讯地址, 工作经历 and 个人说明 are still there."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from jiaozi.registration.models import Application, Material
from jiaozi.registration.tests.factories_applications import Chain, start
from jiaozi.registration.tests.test_materials import EXE, pdf_bytes

pytestmark = pytest.mark.django_db

TYPED = {
    "phone": "13911112222",
    "post": "初中语文教师",
    "address": "合肥市庐阳区长江中路88号",
    "work_history": "2019年9月至今 本校 语文教师",
    "notes": "2021年培训记录缺失，已附证明。",
}


def url(name: str, *args: Any) -> str:
    return reverse(f"applicants:{name}", args=args)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def find(html: str, tag: str, **attrs: str) -> list[dict[str, str]]:
    """The attributes of every ``tag`` element whose attributes include ``attrs``."""
    parser = _Tags()
    parser.feed(html)
    return [a for t, a in parser.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture
def draft(c: Chain) -> Application:
    return start(c)


def test_the_upload_button_and_fields_belong_to_the_step_one_form(
    applicant_client: Client, draft: Application
) -> None:
    html = applicant_client.get(url("application_edit", draft.pk)).text
    (step_one,) = find(html, "form", action=url("application_edit", draft.pk))
    form_id = step_one["id"]
    (upload,) = find(html, "button", formaction=url("material_upload", draft.pk))
    assert upload["form"] == form_id
    assert upload["formenctype"] == "multipart/form-data"
    (kind,) = find(html, "select", name="kind")
    (file,) = find(html, "input", name="file")
    assert kind["form"] == file["form"] == form_id
    # The system makes the application form at completion: not offered for upload.
    assert 'value="application_form"' not in html
    # A draft is deleted, not withdrawn (issue 9, item 13); hours read "360 学时", not "360.0".
    assert "删除草稿" in html
    assert ">撤回申请<" not in html
    assert re.search(r"\d 学时", html)
    assert not re.search(r"\d\.0 学时", html)


def test_an_upload_saves_what_was_typed_first(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.post(
        url("material_upload", draft.pk),
        {
            **TYPED,
            "version": draft.version,
            "kind": "certificate",
            "file": SimpleUploadedFile("证书.pdf", pdf_bytes(), "application/pdf"),
        },
        follow=True,
    )

    assert response.status_code == 200
    assert Material.objects.filter(application=draft).count() == 1
    draft.refresh_from_db()
    for name, value in TYPED.items():
        assert getattr(draft, name) == value, name
    page = applicant_client.get(url("application_edit", draft.pk)).text
    assert TYPED["address"] in page
    assert TYPED["work_history"] in page
    assert TYPED["notes"] in page


def test_a_refused_upload_keeps_the_typed_text(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.post(
        url("material_upload", draft.pk),
        {
            **TYPED,
            "version": draft.version,
            "kind": "certificate",
            "file": SimpleUploadedFile("证书.pdf", EXE, "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert not Material.objects.exists()
    assert TYPED["address"] in response.text
    assert TYPED["notes"] in response.text
    draft.refresh_from_db()
    assert draft.address == TYPED["address"]
    # The page's version is the saved one: saving step 1 again is not refused as stale.
    versions = {v["value"] for v in find(response.text, "input", name="version")}
    assert versions == {str(draft.version)}


def test_bad_typed_text_stops_the_upload_and_says_why(applicant_client: Client, draft: Application) -> None:
    response = applicant_client.post(
        url("material_upload", draft.pk),
        {
            **TYPED,
            "phone": "12345",
            "version": draft.version,
            "kind": "certificate",
            "file": SimpleUploadedFile("证书.pdf", pdf_bytes(), "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert not Material.objects.exists()
    assert TYPED["work_history"] in response.text  # still on the page
    assert "联系电话" in response.text
