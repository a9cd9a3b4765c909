"""The reviewer pages (review/views.py): the queue, batch actions, the detail page, the
decision form, the audited reveal and material downloads — one allowed and one
forbidden case each, constant query counts, and posted extras that change nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.orgs.tests.factories import YAOHAI
from jiaozi.registration.models import Application, ApplicationStep, Material
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    STEPS_CLOSED,
    Chain,
    application,
    chain,
)
from jiaozi.registration.tests.test_queues import chain_in, more
from jiaozi.registration.workflow import Action, Status

pytestmark = pytest.mark.django_db

QUEUE_QUERY_BUDGET = 12


@pytest.fixture(autouse=True)
def _open() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


@pytest.fixture
def c() -> Chain:
    return chain()


def client_for(user: Any) -> Client:
    return sign_in(Client(), user)


def queue_url(**params: Any) -> str:
    from urllib.parse import urlencode

    return reverse("registration:queue") + ("?" + urlencode(params) if params else "")


def detail_url(app: Application) -> str:
    return reverse("registration:application_detail", args=[app.pk])


def act_url(app: Application) -> str:
    return reverse("registration:application_act", args=[app.pk])


def refreshed(app: Application) -> Application:
    return Application.objects.get(pk=app.pk)


def text(response: Any) -> str:
    return response.content.decode()


# --- Queue ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["school_reviewer", "registration_reviewer", "city_rechecker", "province_reviewer"]
)
def test_queue_opens_for_each_reviewer_level(c: Chain, role: str) -> None:
    user = {
        "school_reviewer": c.school_reviewer,
        "registration_reviewer": c.registration_reviewer,
        "city_rechecker": c.city_rechecker,
        "province_reviewer": c.province_reviewer,
    }[role]
    status = {
        "school_reviewer": Status.SCHOOL_REVIEW,
        "registration_reviewer": Status.REGISTRATION_REVIEW,
        "city_rechecker": Status.CITY_RECHECK,
        "province_reviewer": Status.PROVINCE_REVIEW,
    }[role]
    app = application(c, status=status)
    response = client_for(user).get(queue_url())
    assert response.status_code == 200
    body = text(response)
    assert c.teacher.name in body
    assert detail_url(app) in body
    # The ID is masked in the list: 6 digits, 8 stars, the last 4.
    full_id = c.teacher.resident_id
    assert full_id not in body
    assert f"{full_id[:6]}********{full_id[-4:]}" in body
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]


def test_queue_refuses_other_roles_and_anonymous(c: Chain) -> None:
    admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.authority)
    assert client_for(admin).get(queue_url()).status_code == 403
    anonymous = Client().get(queue_url())
    assert anonymous.status_code == 302
    assert client_for(c.applicant).get(queue_url()).status_code == 302


def test_queue_of_county_a_never_shows_county_b(c: Chain) -> None:
    b = chain_in(YAOHAI)
    application(c, status=Status.REGISTRATION_REVIEW)
    application(b, status=Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    for tab in ("todo", "done", "all"):
        body = text(client.get(queue_url(tab=tab)))
        assert b.teacher.name not in body
    body = text(client.post(reverse("registration:queue_id_search"), {"resident_id": b.teacher.resident_id}))
    assert b.teacher.name not in body
    assert 'data-testid="queue-summary"' in body  # the result page, empty


def test_queue_search_by_full_id_and_filters(c: Chain) -> None:
    target = application(c, status=Status.REGISTRATION_REVIEW)
    other = more(
        c, Status.REGISTRATION_REVIEW, suggestion="deferred", suggestion_reasons=["training_hours_short"]
    )
    client = client_for(c.registration_reviewer)
    body = text(client.post(reverse("registration:queue_id_search"), {"resident_id": c.teacher.resident_id}))
    assert c.teacher.name in body
    assert other.teacher.name not in body
    body = text(client.get(queue_url(suggestion="deferred")))
    assert other.teacher.name in body
    assert c.teacher.name not in body
    assert "培训学时不足" in body  # the reason as a badge
    # A bad filter value is dropped, never an error page.
    assert client.get(queue_url(suggestion="nonsense", per_page="7", sort="hack")).status_code == 200
    assert target.pk


def _rows(c: Chain, n: int) -> None:
    for _ in range(n):
        more(
            c,
            Status.REGISTRATION_REVIEW,
            suggestion="deferred",
            suggestion_reasons=["training_hours_short", "appraisal_basic"],
        )


@pytest.mark.parametrize("tab", ["todo", "done", "all"])
def test_queue_query_count_does_not_grow_with_the_page(c: Chain, tab: str) -> None:
    client = client_for(c.registration_reviewer)
    _rows(c, 5)
    for app in Application.objects.filter(registration_authority=c.authority):
        ApplicationStep.objects.create(
            application=app,
            action=Action.RETURN_DOWN,
            from_status=Status.REGISTRATION_REVIEW,
            to_status=Status.SCHOOL_REVIEW,
            actor=c.registration_reviewer,
            institution=c.authority,
            at=clock.now(),
        )
    url = queue_url(tab=tab, per_page=100, school=c.school.pk, overdue="", q="")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    assert len(re.findall(r'name="items"|href="[^"]*/applications/\d+/\?next', text(response))) >= 5
    _rows(c, 55)
    for app in Application.objects.filter(registration_authority=c.authority, steps__isnull=True):
        ApplicationStep.objects.create(
            application=app,
            action=Action.RETURN_DOWN,
            from_status=Status.REGISTRATION_REVIEW,
            to_status=Status.SCHOOL_REVIEW,
            actor=c.registration_reviewer,
            institution=c.authority,
            at=clock.now(),
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert text(response).count("training_hours_short") == 0  # codes never leak, labels do
    assert text(response).count("培训学时不足") >= 60
    assert len(large.captured_queries) == len(small.captured_queries), [
        q["sql"][:120] for q in large.captured_queries
    ]
    assert len(large.captured_queries) <= QUEUE_QUERY_BUDGET, [q["sql"][:120] for q in large.captured_queries]


def test_city_queue_filters_by_authority_then_school(c: Chain) -> None:
    yaohai = chain_in(YAOHAI)
    application(c, status=Status.CITY_RECHECK)
    application(yaohai, status=Status.CITY_RECHECK)
    client = client_for(c.city_rechecker)
    body = text(client.get(queue_url()))
    assert c.teacher.name in body
    assert yaohai.teacher.name in body
    assert 'name="school"' not in body  # no school list before a registration authority is chosen
    body = text(client.get(queue_url(authority=c.authority.pk)))
    assert c.teacher.name in body
    assert yaohai.teacher.name not in body
    assert 'name="school"' in body


# --- Batch ------------------------------------------------------------------------------


def test_batch_confirm_shows_counts_then_runs_with_mixed_results(c: Chain) -> None:
    apps = [application(c, status=Status.REGISTRATION_REVIEW)] + [
        more(c, Status.REGISTRATION_REVIEW) for _ in range(3)
    ]
    client = client_for(c.registration_reviewer)
    items = [f"{a.pk}:{a.version}" for a in apps]
    confirm = client.post(
        reverse("registration:batch_act"), {"action": Action.CONCLUDE, "items": items, "step": "confirm"}
    )
    assert confirm.status_code == 200
    assert 'data-count="ready">4<' in text(confirm)
    assert refreshed(apps[0]).status == Status.REGISTRATION_REVIEW  # confirming changes nothing

    # Someone else bumps one application's version between confirmation and execution.
    Application.objects.filter(pk=apps[1].pk).update(version=apps[1].version + 1)
    result = client.post(
        reverse("registration:batch_act"),
        {"action": Action.CONCLUDE, "items": items, "step": "execute", "reason": "材料齐全"},
        follow=True,
    )
    assert result.status_code == 200
    body = text(result)
    assert 'data-count="succeeded">3<' in body
    assert 'data-count="failed">1<' in body
    assert "该申请已被他人处理，请刷新" in body
    assert refreshed(apps[1]).status == Status.REGISTRATION_REVIEW
    for a in (apps[0], apps[2], apps[3]):
        done = refreshed(a)
        assert done.status == Status.CONCLUDED
        assert done.conclusion == "qualified"


def test_batch_return_needs_a_coded_reason_per_row(c: Chain) -> None:
    first = application(c, status=Status.REGISTRATION_REVIEW)
    second = more(c, Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    items = [f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"]
    missing = client.post(
        reverse("registration:batch_act"),
        {"action": Action.RETURN_TO_APPLICANT, "items": items, "step": "execute"},
    )
    assert missing.status_code == 400
    assert "请为每件退回的申请选择退回原因" in text(missing)
    assert refreshed(first).status == Status.REGISTRATION_REVIEW
    done = client.post(
        reverse("registration:batch_act"),
        {
            "action": Action.RETURN_TO_APPLICANT,
            "items": items,
            "step": "execute",
            "reason_code": "materials_missing",
            f"reason_code_{second.pk}": "info_mismatch",
            f"reason_{second.pk}": "身份证号与档案不一致",
        },
    )
    assert done.status_code == 302
    assert refreshed(first).status == refreshed(second).status == Status.RETURNED
    codes = dict(
        ApplicationStep.objects.filter(action=Action.RETURN_TO_APPLICANT).values_list(
            "application", "reason_code"
        )
    )
    assert codes == {first.pk: "materials_missing", second.pk: "info_mismatch"}
    assert (
        ApplicationStep.objects.get(application=second, action=Action.RETURN_TO_APPLICANT).opinion
        == "身份证号与档案不一致"
    )


def test_batch_conclude_needs_override_reason_where_the_suggestion_differs(c: Chain) -> None:
    deferred = application(c, status=Status.REGISTRATION_REVIEW, suggestion="deferred")
    client = client_for(c.registration_reviewer)
    payload = {"action": Action.CONCLUDE, "items": [f"{deferred.pk}:{deferred.version}"], "step": "execute"}
    refused = client.post(reverse("registration:batch_act"), payload)
    assert refused.status_code == 400
    assert refreshed(deferred).status == Status.REGISTRATION_REVIEW
    client.post(reverse("registration:batch_act"), payload | {"override_reason": "培训学时已补齐"})
    done = refreshed(deferred)
    assert done.status == Status.CONCLUDED
    assert done.override_reason == "培训学时已补齐"


def test_batch_of_another_county_changes_nothing(c: Chain) -> None:
    b = chain_in(YAOHAI)
    theirs = application(b, status=Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    response = client.post(
        reverse("registration:batch_act"),
        {"action": Action.CONCLUDE, "items": [f"{theirs.pk}:{theirs.version}"], "step": "execute"},
        follow=True,
    )
    assert 'data-count="succeeded">0<' in text(response)
    assert b.teacher.name not in text(response)
    assert refreshed(theirs).status == Status.REGISTRATION_REVIEW


def test_batch_refuses_an_action_of_another_level(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    response = client.post(
        reverse("registration:batch_act"),
        {"action": Action.PROVINCE_APPROVE, "items": [f"{app.pk}:{app.version}"], "step": "execute"},
    )
    assert response.status_code == 302
    assert refreshed(app).status == Status.REGISTRATION_REVIEW


def test_batch_without_selection_says_so(c: Chain) -> None:
    client = client_for(c.registration_reviewer)
    response = client.post(reverse("registration:batch_act"), {"action": Action.CONCLUDE}, follow=True)
    assert "请先勾选要处理的申请" in text(response)


# --- Detail and decisions -------------------------------------------------------------


def test_detail_shows_records_explanation_timeline_and_actions(c: Chain) -> None:
    app = application(
        c,
        status=Status.REGISTRATION_REVIEW,
        suggestion="deferred",
        suggestion_reasons=["training_hours_short"],
    )
    response = client_for(c.registration_reviewer).get(detail_url(app))
    assert response.status_code == 200
    body = text(response)
    for expected in (
        "暂缓注册",
        "培训学时不足",
        "年度考核",
        "师德考核",
        "合计 <strong>360</strong> 学时",  # no trailing .0 (issue 9, item 13)
        "办理进度",
    ):
        assert expected in body, expected
    assert c.teacher.resident_id not in body
    assert 'name="conclusion"' in body
    assert 'value="return_down"' in body
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_detail_out_of_scope_is_404_and_wrong_role_403(c: Chain) -> None:
    b = chain_in(YAOHAI)
    theirs = application(b, status=Status.REGISTRATION_REVIEW)
    assert client_for(c.registration_reviewer).get(detail_url(theirs)).status_code == 404
    assert (
        client_for(c.registration_reviewer)
        .get(reverse("registration:application_detail", args=[999999]))
        .status_code
        == 404
    )
    admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=b.authority)
    assert client_for(admin).get(detail_url(theirs)).status_code == 403


def test_school_reviewer_sees_later_stage_read_only(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    body = text(client_for(c.school_reviewer).get(detail_url(app)))
    assert 'data-testid="no-actions"' in body
    assert 'name="conclusion"' not in body


def test_conclude_from_the_detail_page(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    response = client.post(
        act_url(app),
        {"action": Action.CONCLUDE, "version": app.version, "conclusion": "qualified", "next": queue_url()},
    )
    assert response.status_code == 302
    assert response["Location"] == queue_url()
    done = refreshed(app)
    assert done.status == Status.CONCLUDED
    assert done.conclusion == "qualified"
    assert AuditEvent.objects.filter(kind=AuditKind.APPLICATION_CONCLUDED, object_id=str(app.pk)).count() == 1


def test_conclude_against_the_suggestion_needs_reasons(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)  # suggestion qualified
    client = client_for(c.registration_reviewer)
    response = client.post(
        act_url(app), {"action": Action.CONCLUDE, "version": app.version, "conclusion": "deferred"}
    )
    assert response.status_code == 400
    body = text(response)
    assert "暂缓注册或注册不合格须说明理由" in body
    assert "请说明理由" in body
    assert refreshed(app).status == Status.REGISTRATION_REVIEW
    client.post(
        act_url(app),
        {
            "action": Action.CONCLUDE,
            "version": app.version,
            "conclusion": "deferred",
            "reason": "2023年度考核未完成",
            "override_reason": "年度考核结果待补录",
        },
    )
    done = refreshed(app)
    assert (done.status, done.conclusion, done.override_reason) == (
        Status.CONCLUDED,
        "deferred",
        "年度考核结果待补录",
    )


def test_stale_version_says_someone_else_acted(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    response = client.post(
        act_url(app),
        {"action": Action.CONCLUDE, "version": app.version + 5, "conclusion": "qualified"},
        follow=True,
    )
    assert "该申请已被他人处理，请刷新" in text(response)
    assert refreshed(app).status == Status.REGISTRATION_REVIEW


def test_posting_extra_fields_changes_nothing(c: Chain) -> None:
    app = application(c, status=Status.SCHOOL_REVIEW)
    other_school = chain().school
    client = client_for(c.school_reviewer)
    client.post(
        act_url(app),
        {
            "action": Action.SCHOOL_APPROVE,
            "version": app.version,
            "status": Status.COMPLETED,
            "conclusion": "unqualified",
            "institution": other_school.pk,
            "school": other_school.pk,
            "reviewer": c.province_reviewer.pk,
            "suggestion": "unqualified",
        },
    )
    done = refreshed(app)
    assert done.status == Status.REGISTRATION_REVIEW  # the approval itself, nothing else
    assert done.conclusion == ""
    assert done.suggestion == "qualified"
    assert done.school_id == c.school.pk
    step = ApplicationStep.objects.get(application=app)
    assert step.institution_id == c.school.pk
    assert step.actor_id == c.school_reviewer.pk


def test_wrong_level_action_is_403(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    response = client_for(c.school_reviewer).post(
        act_url(app), {"action": Action.CONCLUDE, "version": app.version, "conclusion": "qualified"}
    )
    assert response.status_code == 403
    assert refreshed(app).status == Status.REGISTRATION_REVIEW


def test_act_out_of_scope_is_404(c: Chain) -> None:
    b = chain_in(YAOHAI)
    theirs = application(b, status=Status.REGISTRATION_REVIEW)
    response = client_for(c.registration_reviewer).post(
        act_url(theirs), {"action": Action.CONCLUDE, "version": theirs.version, "conclusion": "qualified"}
    )
    assert response.status_code == 404
    assert refreshed(theirs).status == Status.REGISTRATION_REVIEW


def test_return_down_needs_a_reason_code(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    refused = client.post(act_url(app), {"action": Action.RETURN_DOWN, "version": app.version})
    assert refused.status_code == 400
    client.post(
        act_url(app), {"action": Action.RETURN_DOWN, "version": app.version, "reason_code": "info_mismatch"}
    )
    assert refreshed(app).status == Status.SCHOOL_REVIEW


def test_window_closed_changes_nothing(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    with clock.travel(STEPS_CLOSED):
        body = text(client.get(detail_url(app)))
        assert 'name="conclusion"' not in body
        response = client.post(
            act_url(app),
            {"action": Action.CONCLUDE, "version": app.version, "conclusion": "qualified"},
            follow=True,
        )
    assert response.status_code == 200
    assert refreshed(app).status == Status.REGISTRATION_REVIEW


# --- Reveal and materials ---------------------------------------------------------------


def test_unmasked_view_is_audited(c: Chain) -> None:
    app = application(c, status=Status.REGISTRATION_REVIEW, phone="13912345678")
    client = client_for(c.registration_reviewer)
    url = reverse("registration:application_unmask", args=[app.pk])
    assert client.get(url).status_code == 405  # a reveal is a POST, never a link
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert c.teacher.resident_id in text(response)
    assert "13912345678" in text(response)
    assert (
        AuditEvent.objects.filter(
            kind=AuditKind.UNMASKED_VIEW, actor_id=c.registration_reviewer.pk, object_id=str(app.pk)
        ).count()
        == 1
    )
    full_page = client.post(url)
    assert full_page.status_code == 200
    assert "办理进度" in text(full_page)


def test_unmask_out_of_scope_is_404_and_not_audited(c: Chain) -> None:
    b = chain_in(YAOHAI)
    theirs = application(b, status=Status.REGISTRATION_REVIEW)
    response = client_for(c.registration_reviewer).post(
        reverse("registration:application_unmask", args=[theirs.pk])
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW, object_id=str(theirs.pk)).exists()


def _material(app: Application, c: Chain) -> Material:
    import hashlib

    data = b"%PDF-1.4\n% test\n"
    material = Material(
        application=app,
        kind=Material.Kind.TRAINING,
        original_name="培训证明.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=c.applicant,
        uploaded_at=clock.now(),
    )
    material.file.save("x", ContentFile(data), save=False)
    material.save()
    return material


def test_material_download_in_scope_and_404_outside(c: Chain, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    app = application(c, status=Status.REGISTRATION_REVIEW)
    material = _material(app, c)
    url = reverse("registration:material", args=[material.pk])
    body = text(client_for(c.registration_reviewer).get(detail_url(app)))
    assert url in body
    assert "培训证明.pdf" in body
    response = client_for(c.registration_reviewer).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response.getvalue().startswith(b"%PDF")
    b = chain_in(YAOHAI)
    assert client_for(b.registration_reviewer).get(url).status_code == 404


def test_deadline_and_overdue_shown(c: Chain) -> None:
    application(c, status=Status.REGISTRATION_REVIEW, step_deadline=clock.now() - dt.timedelta(hours=2))
    body = text(client_for(c.registration_reviewer).get(queue_url(overdue="on")))
    assert "jz-row-overdue" in body
    assert 'data-count="overdue">1<' in body


# --- Role × URL × method (SECURITY 9) ----------------------------------------------------

ROLES = ("anonymous", "applicant", "admin", "school", "reviewer", "city", "province", "other_reviewer")
_LOGIN = {"anonymous": 302, "applicant": 302, "admin": 403}
EVERY_REVIEWER = _LOGIN | {
    "school": 200,
    "reviewer": 200,
    "city": 200,
    "province": 200,
    "other_reviewer": 200,
}
IN_SCOPE = EVERY_REVIEWER | {"other_reviewer": 404}
# Posting a decision with a stale version: only the holder gets as far as the version
# check (back to the page with a message); other levels are refused, other counties 404.
ACT = _LOGIN | {"school": 403, "reviewer": 302, "city": 403, "province": 403, "other_reviewer": 404}
# A batch of 注册合格 to confirm: levels that have no such batch action go back to the queue.
BATCH = _LOGIN | {"school": 302, "reviewer": 200, "city": 302, "province": 302, "other_reviewer": 200}
# The filed form of an application not yet completed: back to its page with a message.
FORM = IN_SCOPE | {"school": 302, "reviewer": 302, "city": 302, "province": 302}
RESULT = _LOGIN | {"school": 302, "reviewer": 302, "city": 302, "province": 302, "other_reviewer": 302}

MATRIX: dict[str, tuple[str, dict[str, int]]] = {
    "registration:queue": ("GET", EVERY_REVIEWER),
    "registration:queue_id_search": ("POST", EVERY_REVIEWER),
    "registration:batch_act": ("POST", BATCH),
    "registration:batch_result": ("GET", RESULT),
    "registration:application_detail": ("GET", IN_SCOPE),
    "registration:application_act": ("POST", ACT),
    "registration:application_unmask": ("POST", IN_SCOPE),
    "registration:material": ("GET", IN_SCOPE),
    "registration:application_form": ("GET", FORM),
}
REFUSED = {
    "registration:queue": "POST",
    "registration:queue_id_search": "PUT",
    "registration:batch_act": "GET",
    "registration:batch_result": "POST",
    "registration:application_detail": "POST",
    "registration:application_act": "GET",
    "registration:application_unmask": "GET",
    "registration:material": "POST",
    "registration:application_form": "POST",
}


def review_url_names() -> set[str]:
    """Every URL name served by views_review."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from jiaozi.registration.review import views as views_review

    names: set[str] = set()
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and top.namespace == "registration":
            for pattern in top.url_patterns:
                if isinstance(pattern, URLPattern) and getattr(pattern.callback, "__module__", "") == (
                    views_review.__name__
                ):
                    names.add(f"registration:{pattern.name}")
    return names


def test_every_review_url_is_in_the_matrix() -> None:
    assert review_url_names() == set(MATRIX) == set(REFUSED)


def _client_as(role: str, c: Chain, other: Chain) -> Client:
    if role == "anonymous":
        return Client()
    if role == "applicant":
        client = Client()
        client.force_login(c.applicant)
        return client
    users = {
        "admin": make_staff(role=Role.INSTITUTION_ADMIN, institution=c.authority),
        "school": c.school_reviewer,
        "reviewer": c.registration_reviewer,
        "city": c.city_rechecker,
        "province": c.province_reviewer,
        "other_reviewer": other.registration_reviewer,
    }
    return client_for(users[role])


def _request(name: str, method: str, client: Client, app: Application, material: Material) -> Any:
    if name in (
        "registration:application_detail",
        "registration:application_act",
        "registration:application_unmask",
        "registration:application_form",
    ):
        url = reverse(name, args=[app.pk])
    elif name == "registration:material":
        url = reverse(name, args=[material.pk])
    else:
        url = reverse(name)
    data: dict[str, Any] = {}
    if name == "registration:application_act":
        data = {"action": Action.CONCLUDE, "version": app.version + 9, "conclusion": "qualified"}
    if name == "registration:queue_id_search":
        data = {"resident_id": app.teacher.resident_id}
    if name == "registration:batch_act":
        data = {"action": Action.CONCLUDE, "items": [f"{app.pk}:{app.version}"], "step": "confirm"}
    return getattr(client, method.lower())(url, data) if method != "GET" else client.get(url)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_what_the_matrix_says(name: str, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    c, other = chain(), chain_in(YAOHAI)
    app = application(c, status=Status.REGISTRATION_REVIEW)
    material = _material(app, c)
    method, expected = MATRIX[name]
    for role in ROLES:
        response = _request(name, method, _client_as(role, c, other), app, material)
        assert response.status_code == expected[role], (name, role)
    assert refreshed(app).status == Status.REGISTRATION_REVIEW  # nothing in the matrix changes state


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_other_methods_are_refused(name: str, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    app = application(c := chain(), status=Status.REGISTRATION_REVIEW)
    material = _material(app, c)
    response = _request(name, REFUSED[name], client_for(c.registration_reviewer), app, material)
    assert response.status_code == 405


def test_concluded_rows_wait_for_the_notice_not_for_a_batch(c: Chain) -> None:
    waiting = application(c, status=Status.REGISTRATION_REVIEW)
    concluded = more(c, Status.CONCLUDED)
    client = client_for(c.registration_reviewer)
    body = text(client.get(queue_url()))
    assert f'value="{waiting.pk}:{waiting.version}"' in body
    assert f'value="{concluded.pk}:{concluded.version}"' not in body
    confirm = client.post(
        reverse("registration:batch_act"),
        {
            "action": Action.RETURN_TO_APPLICANT,
            "items": [f"{concluded.pk}:{concluded.version}"],
            "step": "confirm",
        },
    )
    assert 'data-count="ready">0<' in text(confirm)


def test_a_resident_id_never_travels_in_a_url(c: Chain) -> None:
    application(c, status=Status.REGISTRATION_REVIEW)
    other = more(c, Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    full_id = c.teacher.resident_id
    response = client.get(queue_url(q=full_id, tab="all"))
    assert response.status_code == 302
    assert response["Location"] == queue_url(tab="all")
    body = text(client.get(response["Location"]))
    assert "身份证号不能放在网址中查询" in body
    assert full_id not in body  # not echoed in the search box either
    assert other.teacher.name in body  # the queue, unfiltered
    # The posted search finds the person (in 全部 by default) and shows the number masked.
    found = client.post(reverse("registration:queue_id_search"), {"resident_id": full_id.lower()})
    body = text(found)
    assert c.teacher.name in body
    assert other.teacher.name not in body
    assert full_id not in body
    assert f"{full_id[:6]}********{full_id[-4:]}" in body
    # A number with a wrong check digit is refused with the reason.
    wrong = full_id[:17] + ("0" if full_id[17] != "0" else "1")
    refused = client.post(reverse("registration:queue_id_search"), {"resident_id": wrong})
    assert "身份证号校验位错误" in text(refused)
    # Sorting or paging the result page goes back to the queue.
    again = client.get(reverse("registration:queue_id_search") + "?sort=name")
    assert again.status_code == 302
    assert again["Location"] == queue_url(sort="name")


def test_id_search_is_rate_limited(c: Chain, settings: Any) -> None:
    from django.core.cache import cache

    from jiaozi.registration.review import views as views_review

    cache.clear()
    application(c, status=Status.REGISTRATION_REVIEW)
    client = client_for(c.registration_reviewer)
    url = reverse("registration:queue_id_search")
    for _ in range(views_review.ID_SEARCH_LIMIT):
        assert client.post(url, {"resident_id": c.teacher.resident_id}).status_code == 200
    over = client.post(url, {"resident_id": c.teacher.resident_id}, follow=True)
    assert "请求过于频繁" in text(over)
    assert c.teacher.resident_id not in text(over)
    cache.clear()


def test_concluded_application_points_to_the_notice_and_offers_a_revision(c: Chain) -> None:
    app = application(c, status=Status.CONCLUDED)
    body = text(client_for(c.registration_reviewer).get(detail_url(app)))
    assert reverse("registration:notice_publish") in body
    assert 'value="revise"' in body  # 修改结论 (back to 待注册审核, with a reason)
    paused = more(c, Status.NOTICE_PAUSED)
    body = text(client_for(c.registration_reviewer).get(detail_url(paused)))
    assert reverse("registration:objection_list") in body


def test_a_review_decision_needs_the_level_above_s_opinion(c: Chain) -> None:
    """复核发回 / 复核维持 (§5): the opinion is required (no default 同意), and the
    applicant reads it; a blank one changes nothing."""
    from jiaozi.registration.tests.test_review_request import concluded, request

    app = request(c, concluded(c))
    assert c.city_rechecker is not None
    client = client_for(c.city_rechecker)
    page = text(client.get(detail_url(app)))
    assert 'details class="jz-action"' in page
    assert 'data-action="send_back_review"' in page
    assert "默认为“同意”" not in page
    assert 'data-testid="review-request"' in page  # the reasons at the top of the page
    assert "已补齐学时证明，请予复核" in page
    response = client.post(
        act_url(app), {"action": Action.SEND_BACK_REVIEW, "version": refreshed(app).version, "reason": ""}
    )
    assert response.status_code == 400
    assert refreshed(app).status == Status.REVIEW_AT_CITY
    response = client.post(
        act_url(app),
        {
            "action": Action.SEND_BACK_REVIEW,
            "version": refreshed(app).version,
            "reason": "证明属实，发回重新作出结论",
        },
    )
    assert response.status_code == 302
    assert refreshed(app).status == Status.REGISTRATION_REVIEW
