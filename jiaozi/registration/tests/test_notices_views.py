"""Pages of the public notice: the public list, a notice, its document and the
objection form (anonymous), and the registration reviewer's pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from jiaozi.accounts.testing import sign_in
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.registration import notices
from jiaozi.registration.models import Application, Notice, Objection
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    applicant_for,
    application,
    chain,
    due_teacher,
)
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_campaign_and_empty_cache() -> Iterator[None]:
    cache.clear()
    with clock.travel(OPEN):
        yield
    cache.clear()


def text(response: Any) -> str:
    return response.content.decode()


def concluded(c: Chain, name: str) -> Application:
    owner, cert = due_teacher(c.school, name=name)
    return application(c, status=Status.CONCLUDED, applicant=applicant_for(owner), certificate_=cert)


def publish(c: Chain, *names: str) -> tuple[Notice, list[Application]]:
    apps = [concluded(c, name) for name in names or ("张三丰",)]
    notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[a.pk for a in apps])
    return notice, apps


def resident_ids(apps: list[Application]) -> list[str]:
    return [Teacher.objects.get(pk=a.teacher_id).resident_id for a in apps]


def objection_form(entry: int = 1, **changes: str) -> dict[str, Any]:
    return {
        "entry": str(entry),
        "identity": "real",
        "name": "李四",
        "contact": "13800138000",
        "content": "该教师近五年有一年未参加年度考核，与公示结论不符。",
    } | changes


def staff_client(user: Any) -> Client:
    return sign_in(Client(), user)


# --- Public pages --------------------------------------------------------------------------


def test_the_public_list_is_open_to_anonymous_visitors_and_filters_by_region(client: Client) -> None:
    luyang, susong = chain(), chain("susong")
    ours, _ = publish(luyang)
    theirs, _ = publish(susong, "王五")

    response = client.get(reverse("notices:list"))
    body = text(response)
    assert response.status_code == 200
    assert ours.title in body
    assert theirs.title in body
    assert settings.STAFF_URL_PREFIX not in body
    assert "<h1>注册结果公示</h1>" in body

    body = text(client.get(reverse("notices:list"), {"county": "340826"}))
    assert theirs.title in body
    assert ours.title not in body


def test_the_portal_name_and_robots_lead_to_the_notice_pages(client: Client) -> None:
    assert reverse("portal:notices") == reverse("notices:list")
    robots = text(client.get("/robots.txt"))
    assert f"Allow: {reverse('notices:list')}" in robots


def test_a_notice_shows_only_masked_data_its_period_and_hash_to_anonymous_visitors(client: Client) -> None:
    c = chain()
    notice, apps = publish(c, "张三丰", "欧阳娜娜")

    response = client.get(reverse("notices:detail", args=[notice.pk]))
    body = text(response)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "张**" in body
    assert "欧***" in body
    assert "张三丰" not in body
    assert "欧阳娜娜" not in body
    for rid in resident_ids(apps):
        assert rid not in body
        assert rid[6:14] not in body  # the date of birth
        assert f"{rid[:6]}********{rid[-4:]}" in body
    assert notice.list_sha256 in body
    assert notice.starts_at.astimezone(clock.local_now().tzinfo).strftime("%H:%M") in body
    assert reverse("notices:object", args=[notice.pk]) + "?entry=1" in body
    assert settings.STAFF_URL_PREFIX not in body


def test_the_document_download_hashes_to_the_published_digest(client: Client) -> None:
    c = chain()
    notice, apps = publish(c, "张三丰", "李小龙")

    response = client.get(reverse("notices:document", args=[notice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert hashlib.sha256(response.content).hexdigest() == notice.list_sha256
    for rid in resident_ids(apps):
        assert rid not in response.content.decode()


def test_a_notice_long_ended_or_missing_is_not_found_to_the_public(client: Client) -> None:
    c = chain()
    notice, _ = publish(c)

    assert client.get(reverse("notices:detail", args=[notice.pk + 1000])).status_code == 404
    with clock.travel(notice.ends_at + dt.timedelta(days=notices.NOTICE_PUBLIC_DAYS_AFTER_END + 1)):
        assert client.get(reverse("notices:detail", args=[notice.pk])).status_code == 404


def test_the_objection_form_preselects_the_row_and_a_post_freezes_the_application() -> None:
    client = Client(enforce_csrf_checks=True)
    c = chain()
    notice, (app,) = publish(c)
    url = reverse("notices:object", args=[notice.pk])

    page = client.get(url, {"entry": 1})
    body = text(page)
    assert page.status_code == 200
    assert "张**" in body
    assert "张三丰" not in body
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None

    response = client.post(url, objection_form() | {"csrfmiddlewaretoken": token.group(1)})

    assert response.status_code == 302
    assert response["Location"] == reverse("notices:detail", args=[notice.pk])
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE_PAUSED
    filed = Objection.objects.get(application=app)
    assert filed.name == "李四"
    assert filed.contact == "13800138000"
    assert filed.ip == "127.0.0.1"
    assert "您的异议已提交" in text(client.get(response["Location"]))


def test_the_objection_form_refuses_a_post_without_the_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    c = chain()
    notice, (app,) = publish(c)

    response = client.post(reverse("notices:object", args=[notice.pk]), objection_form())

    assert response.status_code == 403
    assert not Objection.objects.exists()
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE


def test_an_anonymous_objection_needs_a_contact_but_no_name(client: Client) -> None:
    c = chain()
    notice, (app,) = publish(c)
    url = reverse("notices:object", args=[notice.pk])

    missing = client.post(url, objection_form(identity="anonymous", name="", contact=""))
    assert missing.status_code == 200
    assert 'id="id_contact_errors"' in text(missing)
    assert 'id="id_name_errors"' not in text(missing)
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE

    ok = client.post(url, objection_form(identity="anonymous", name="", contact="a@example.com"))
    assert ok.status_code == 302
    assert Objection.objects.get(application=app).anonymous is True


def test_a_real_name_objection_without_a_name_is_refused(client: Client) -> None:
    c = chain()
    notice, (_app,) = publish(c)

    response = client.post(reverse("notices:object", args=[notice.pk]), objection_form(name=""))

    assert response.status_code == 200
    assert "实名提出异议请填写姓名" in text(response)
    assert not Objection.objects.exists()


def test_after_the_end_the_form_is_closed_and_a_post_changes_nothing(client: Client) -> None:
    c = chain()
    notice, (app,) = publish(c)
    url = reverse("notices:object", args=[notice.pk])

    with clock.travel(notice.ends_at + dt.timedelta(minutes=1)):
        page = client.get(url)
        response = client.post(url, objection_form())

    assert "公示期已结束，不再受理异议" in text(page)
    assert 'name="content"' not in text(page)
    assert response.status_code == 409
    assert not Objection.objects.exists()
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE


@override_settings(OBJECTION_IP_RATE_LIMIT=(1, 3600))
def test_too_many_objections_from_one_address_answer_429(client: Client) -> None:
    c = chain()
    notice, _apps = publish(c, "张三丰", "李小龙")
    url = reverse("notices:object", args=[notice.pk])
    assert client.post(url, objection_form(1)).status_code == 302

    response = client.post(url, objection_form(2))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "提交次数过多" in text(response)
    assert Objection.objects.count() == 1


def test_public_urls_carry_numbers_only() -> None:
    c = chain()
    notice, _ = publish(c)
    for name in ("notices:detail", "notices:object", "notices:document"):
        assert re.fullmatch(r"/notices/\d+/[a-z.]*/?", reverse(name, args=[notice.pk])), name


# --- Staff pages -----------------------------------------------------------------------------


def test_the_reviewer_sees_the_notices_and_the_nav_entries() -> None:
    c = chain()
    notice, _ = publish(c)
    concluded(c, "未公示")
    client = staff_client(c.registration_reviewer)

    response = client.get(reverse("registration:notice_list"))
    body = text(response)

    assert response.status_code == 200
    assert notice.title in body
    assert "data-publishable>1<" in body
    assert reverse("registration:objection_list") in body
    assert "结果公示" in body
    assert "公示异议" in body


def test_staff_of_other_roles_and_anonymous_users_are_kept_out() -> None:
    c = chain()
    for name in ("registration:notice_list", "registration:notice_publish", "registration:objection_list"):
        assert staff_client(c.school_reviewer).get(reverse(name)).status_code == 403
        anonymous = Client().get(reverse(name))
        assert anonymous.status_code == 302
        assert reverse("accounts:login") in anonymous["Location"]


def test_publish_choose_preview_publish() -> None:
    c = chain()
    first, second = concluded(c, "张三丰"), concluded(c, "李小龙")
    client = staff_client(c.registration_reviewer)
    url = reverse("registration:notice_publish")

    page = text(client.get(url))
    assert f'value="{first.pk}" id="app-{first.pk}" checked' in page
    assert "张三丰" in page  # staff see the name they concluded on
    assert Teacher.objects.get(pk=first.teacher_id).resident_id not in page

    preview = client.post(url, {"step": "preview", "applications": [first.pk], "days": 5})
    body = text(preview)
    assert preview.status_code == 200
    assert "张**" in body
    assert "李小龙" not in body
    assert 'name="step" value="publish"' in body
    assert not Notice.objects.exists()

    done = client.post(url, {"step": "publish", "applications": [first.pk], "days": 5})

    notice = Notice.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("registration:notice_detail", args=[notice.pk])
    # The period is the campaign's (§5): a posted "days" changes nothing.
    assert notice.ends_at - notice.starts_at == dt.timedelta(days=7)
    assert Application.objects.get(pk=first.pk).status == Status.NOTICE
    assert Application.objects.get(pk=second.pk).status == Status.CONCLUDED


def test_publishing_another_authoritys_application_is_refused() -> None:
    c, other = chain(), chain("susong")
    theirs = concluded(other, "王五")
    client = staff_client(c.registration_reviewer)

    response = client.post(
        reverse("registration:notice_publish"), {"step": "publish", "applications": [theirs.pk], "days": 7}
    )

    assert response.status_code == 200
    assert not Notice.objects.exists()
    assert Application.objects.get(pk=theirs.pk).status == Status.CONCLUDED


def test_the_staff_notice_page_checks_the_hash_and_is_not_found_for_another_authority() -> None:
    c, other = chain(), chain("susong")
    notice, _ = publish(c)

    body = text(
        staff_client(c.registration_reviewer).get(reverse("registration:notice_detail", args=[notice.pk]))
    )
    assert 'data-hash-ok="1"' in body
    assert notice.list_sha256 in body

    response = staff_client(other.registration_reviewer).get(
        reverse("registration:notice_detail", args=[notice.pk])
    )
    assert response.status_code == 404


def file_objection(c: Chain) -> tuple[Notice, Application, Objection]:
    notice, (app,) = publish(c)
    filed = notices.objection_submit(
        notice_id=notice.pk,
        application_id=app.pk,
        anonymous=False,
        name="李四",
        contact="13800138000",
        content="该教师近五年有一年未参加年度考核，与公示结论不符。",
        ip="203.0.113.7",
    )
    return notice, Application.objects.get(pk=app.pk), filed


def test_the_objection_list_shows_only_the_authoritys_objections() -> None:
    c, other = chain(), chain("susong")
    _notice, _app, filed = file_objection(c)
    url = reverse("registration:objection_list")

    body = text(staff_client(c.registration_reviewer).get(url, {"state": "open"}))
    assert reverse("registration:objection_resolve", args=[filed.pk]) in body
    assert "李四" in body

    body = text(staff_client(other.registration_reviewer).get(url))
    assert reverse("registration:objection_resolve", args=[filed.pk]) not in body


def test_the_resolve_page_masks_the_contact_until_revealed_and_audits_the_reveal() -> None:
    c = chain()
    _notice, _app, filed = file_objection(c)
    client = staff_client(c.registration_reviewer)
    url = reverse("registration:objection_resolve", args=[filed.pk])

    body = text(client.get(url))
    assert "138****8000" in body
    assert "13800138000" not in body
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).exists()

    revealed = client.post(url, {"action": "reveal"})
    assert revealed.status_code == 200
    assert "13800138000" in text(revealed)
    assert AuditEvent.objects.filter(
        kind=AuditKind.UNMASKED_VIEW, object_id=str(filed.pk), actor_id=c.registration_reviewer.pk
    ).exists()


def test_dismissing_from_the_resolve_page_puts_the_application_back_on_notice() -> None:
    c = chain()
    _notice, app, filed = file_objection(c)
    client = staff_client(c.registration_reviewer)
    url = reverse("registration:objection_resolve", args=[filed.pk])

    response = client.post(
        url,
        {"decision": "dismissed", "conclusion": "", "resolution": "经核查不属实。", "version": app.version},
    )

    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE
    assert Objection.objects.get(pk=filed.pk).state == Objection.State.DISMISSED
    assert "处理结果" in text(client.get(url))


def test_upholding_without_a_conclusion_is_refused_on_the_page() -> None:
    c = chain()
    _notice, app, filed = file_objection(c)
    url = reverse("registration:objection_resolve", args=[filed.pk])

    response = staff_client(c.registration_reviewer).post(
        url, {"decision": "upheld", "conclusion": "", "resolution": "属实。", "version": app.version}
    )

    assert response.status_code == 200
    assert "异议成立时请选择修改后的注册结论" in text(response)
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE_PAUSED


def test_upholding_from_the_page_revises_the_conclusion() -> None:
    c = chain()
    _notice, app, filed = file_objection(c)
    url = reverse("registration:objection_resolve", args=[filed.pk])

    response = staff_client(c.registration_reviewer).post(
        url,
        {
            "decision": "upheld",
            "conclusion": "deferred",
            "resolution": "属实，暂缓注册。",
            "version": app.version,
        },
    )

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.CONCLUDED
    assert app.conclusion == "deferred"


def test_another_authoritys_reviewer_gets_404_on_the_resolve_page() -> None:
    c, other = chain(), chain("susong")
    _notice, app, filed = file_objection(c)
    url = reverse("registration:objection_resolve", args=[filed.pk])
    client = staff_client(other.registration_reviewer)

    assert client.get(url).status_code == 404
    response = client.post(url, {"decision": "dismissed", "resolution": "不成立", "version": app.version})
    assert response.status_code == 404
    assert Objection.objects.get(pk=filed.pk).state == Objection.State.OPEN


def test_submitting_the_resolve_form_without_a_decision_says_so() -> None:
    c = chain()
    _notice, app, filed = file_objection(c)
    url = reverse("registration:objection_resolve", args=[filed.pk])

    response = staff_client(c.registration_reviewer).post(
        url, {"resolution": "属实。", "version": app.version}
    )

    assert response.status_code == 200
    assert 'id="id_decision_errors"' in text(response)
    assert Objection.objects.get(pk=filed.pk).state == Objection.State.OPEN


# --- Role × URL × method (SECURITY 9) ------------------------------------------------------

ROLES = ("anonymous", "applicant", "school", "city", "province", "reviewer", "other_reviewer")
PUBLIC = dict.fromkeys(ROLES, 200)
STAFF_LIST = {
    "anonymous": 302,
    "applicant": 302,
    "school": 403,
    "city": 403,
    "province": 403,
    "reviewer": 200,
    "other_reviewer": 200,
}
STAFF_OBJECT = STAFF_LIST | {"other_reviewer": 404}
# (method, expected status per role); object URLs take the notice or objection pk.
MATRIX: dict[str, tuple[str, dict[str, int]]] = {
    "notices:list": ("GET", PUBLIC),
    "notices:detail": ("GET", PUBLIC),
    "notices:document": ("GET", PUBLIC),
    "notices:object": ("GET", PUBLIC),
    "registration:notice_list": ("GET", STAFF_LIST),
    "registration:notice_publish": ("GET", STAFF_LIST),
    "registration:notice_detail": ("GET", STAFF_OBJECT),
    "registration:objection_list": ("GET", STAFF_LIST),
    "registration:objection_resolve": ("GET", STAFF_OBJECT),
}
# Methods the views refuse whoever asks (405), checked as the reviewer of the notice.
REFUSED = {
    "notices:list": "POST",
    "notices:detail": "POST",
    "notices:document": "POST",
    "notices:object": "PUT",
    "registration:notice_list": "POST",
    "registration:notice_detail": "POST",
    "registration:objection_list": "POST",
}


def notice_url_names() -> set[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    names: set[str] = set()
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and top.namespace in ("notices", "registration"):
            for pattern in top.url_patterns:
                if isinstance(pattern, URLPattern) and pattern.name:
                    name = f"{top.namespace}:{pattern.name}"
                    if top.namespace == "notices" or pattern.name.startswith(("notice_", "objection_")):
                        names.add(name)
    return names


def test_every_notice_url_is_in_the_matrix() -> None:
    assert notice_url_names() == set(MATRIX)


def client_as(role: str, c: Chain, other: Chain) -> Client:
    client = Client()
    users = {
        "applicant": c.applicant,
        "school": c.school_reviewer,
        "city": c.city_rechecker,
        "province": c.province_reviewer,
        "reviewer": c.registration_reviewer,
        "other_reviewer": other.registration_reviewer,
    }
    if role == "applicant":
        client.force_login(c.applicant)
    elif role != "anonymous":
        sign_in(client, users[role])
    return client


def url_for(name: str, notice: Notice, filed: Objection) -> str:
    if name in ("notices:detail", "notices:document", "notices:object", "registration:notice_detail"):
        return reverse(name, args=[notice.pk])
    if name == "registration:objection_resolve":
        return reverse(name, args=[filed.pk])
    return reverse(name)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_what_the_matrix_says(name: str) -> None:
    c, other = chain(), chain("susong")
    notice, _app, filed = file_objection(c)
    method, expected = MATRIX[name]
    url = url_for(name, notice, filed)

    for role in ROLES:
        response = getattr(client_as(role, c, other), method.lower())(url)
        assert response.status_code == expected[role], (name, role)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_other_methods_are_refused(name: str) -> None:
    c, other = chain(), chain("susong")
    notice, _app, filed = file_objection(c)

    response = getattr(client_as("reviewer", c, other), REFUSED[name].lower())(url_for(name, notice, filed))

    assert response.status_code == 405
