"""Teacher pages: who may open them, what they show, and in how many queries."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_applicant, make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.masking import mask_resident_id
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import confirmation_point
from jiaozi.teachers.importing.columns import SHEET_ORDER, SHEETS
from jiaozi.teachers.models import ImportJob, Teacher
from jiaozi.teachers.tests.conftest import SCHOOL_A
from jiaozi.teachers.tests.factories import make_certificate, make_teacher
from jiaozi.teachers.tests.workbook import TemplateBook

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]


# --- list --------------------------------------------------------------------------------


def test_list_shows_the_county_its_teachers_masked(
    signed_in: SignIn, county_a_reviewer: User, school_a: Institution, school_b: Institution
) -> None:
    mine = make_certificate(teacher__school=school_a).teacher
    theirs = make_teacher(school=school_b, name="瑶海教师")
    response = signed_in(county_a_reviewer).get(reverse("teachers:teacher_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.name in body
    assert mask_resident_id(mine.resident_id) in body
    assert mine.resident_id not in body
    assert mine.phone not in body
    assert theirs.name not in body
    assert "no-store" in response["Cache-Control"]


def test_list_is_forbidden_to_roles_that_keep_no_teacher_records(signed_in: SignIn) -> None:
    user = make_staff(role=Role.CONFIRMATION_USER, institution=confirmation_point("34010399Q2"))
    assert signed_in(user).get(reverse("teachers:teacher_list")).status_code == 403


def test_list_redirects_applicants_and_anonymous(client: Client) -> None:
    url = reverse("teachers:teacher_list")
    assert client.get(url).status_code == 302
    client.force_login(make_applicant())
    assert client.get(url).status_code == 302


def test_list_query_count_does_not_grow_with_the_page(
    signed_in: SignIn, county_a_reviewer: User, school_a: Institution
) -> None:
    client = signed_in(county_a_reviewer)
    url = reverse("teachers:teacher_list")
    make_certificate(teacher__school=school_a)
    client.get(url)  # warm up the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(30):
        make_certificate(teacher__school=school_a)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("teachers/") >= 31  # every row links its detail
    assert len(many) == len(few)
    assert len(many) <= 12


def test_search_by_name(signed_in: SignIn, county_a_reviewer: User, school_a: Institution) -> None:
    make_teacher(school=school_a, name="李明")
    make_teacher(school=school_a, name="王芳")
    body = signed_in(county_a_reviewer).get(reverse("teachers:teacher_list"), {"q": "李"}).content.decode()
    assert "李明" in body
    assert "王芳" not in body


def test_search_by_full_resident_id_is_posted(
    signed_in: SignIn, county_a_reviewer: User, school_a: Institution, school_b: Institution
) -> None:
    one = make_teacher(school=school_a, name="李明")
    two = make_teacher(school=school_a, name="王芳")
    theirs = make_teacher(school=school_b, name="瑶海教师")
    client = signed_in(county_a_reviewer)
    url = reverse("teachers:teacher_id_search")
    found = client.post(url, {"resident_id": two.resident_id.lower()})
    assert found.status_code == 200
    body = found.content.decode()
    assert "王芳" in body
    assert "李明" not in body
    assert two.resident_id not in body  # shown masked, even as the search term
    # Out of scope answers like unknown: nothing.
    assert "瑶海教师" not in client.post(url, {"resident_id": theirs.resident_id}).content.decode()
    # A wrong check digit is a form error, not a search.
    wrong = one.resident_id[:-1] + ("0" if one.resident_id[-1] != "0" else "1")
    assert "身份证号校验位错误" in client.post(url, {"resident_id": wrong}).content.decode()


def test_an_id_in_the_url_is_sent_away(
    signed_in: SignIn, county_a_reviewer: User, school_a: Institution
) -> None:
    teacher = make_teacher(school=school_a)
    response = signed_in(county_a_reviewer).get(
        reverse("teachers:teacher_list"), {"q": teacher.resident_id, "post_type": "dual"}
    )
    assert response.status_code == 302
    assert teacher.resident_id not in response["Location"]
    assert response["Location"] == reverse("teachers:teacher_list") + "?post_type=dual"


def test_id_search_is_rate_limited(
    signed_in: SignIn, county_a_reviewer: User, school_a: Institution, settings: Any
) -> None:
    from django.core.cache import cache

    from jiaozi.teachers import views

    cache.clear()  # the limiter's counts live in the cache, shared by the whole test run
    teacher = make_teacher(school=school_a)
    client = signed_in(county_a_reviewer)
    url = reverse("teachers:teacher_id_search")
    for _ in range(views.ID_SEARCH_LIMIT):
        assert client.post(url, {"resident_id": teacher.resident_id}).status_code == 200
    refused = client.post(url, {"resident_id": teacher.resident_id})
    cache.clear()  # leave no spent limit to a later test whose user gets the same id
    assert refused.status_code == 302
    assert refused["Location"] == reverse("teachers:teacher_list")


def test_filters(
    signed_in: SignIn, county_a_reviewer: User, school_a: Institution, school_a2: Institution
) -> None:
    revoked = make_certificate(teacher__school=school_a, status="revoked").teacher
    plain = make_teacher(school=school_a2, name="无证教师", post_type="other")
    client = signed_in(county_a_reviewer)
    url = reverse("teachers:teacher_list")
    body = client.get(url, {"certificate_status": "revoked"}).content.decode()
    assert revoked.name in body
    assert plain.name not in body
    body = client.get(url, {"certificate_status": "none"}).content.decode()
    assert plain.name in body
    assert revoked.name not in body
    body = client.get(url, {"school": school_a2.code, "post_type": "other"}).content.decode()
    assert plain.name in body
    assert revoked.name not in body


# --- detail and the full resident ID ----------------------------------------------------------


def test_detail_in_scope_and_404_for_the_twin_county(
    signed_in: SignIn, county_a_reviewer: User, county_b_reviewer: User, school_a: Institution
) -> None:
    teacher = make_certificate(teacher__school=school_a).teacher
    url = reverse("teachers:teacher_detail", args=[teacher.pk])
    response = signed_in(county_a_reviewer).get(url)
    assert response.status_code == 200
    assert teacher.resident_id not in response.content.decode()
    assert signed_in(county_b_reviewer).get(url).status_code == 404
    assert (
        signed_in(county_b_reviewer).get(reverse("teachers:teacher_detail", args=[999999])).status_code == 404
    )


def test_showing_the_full_resident_id_is_audited(
    signed_in: SignIn, county_a_reviewer: User, school_a: Institution
) -> None:
    teacher = make_teacher(school=school_a)
    client = signed_in(county_a_reviewer)
    url = reverse("teachers:teacher_reveal", args=[teacher.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert teacher.resident_id in response.content.decode()
    event = AuditEvent.objects.get(kind=AuditKind.UNMASKED_VIEW)
    assert (event.actor_id, event.object_id, event.details) == (
        county_a_reviewer.pk,
        str(teacher.pk),
        {"field": "resident_id"},
    )
    # Without htmx the whole page comes back, with the ID shown.
    page = client.post(url)
    assert page.status_code == 200
    assert teacher.resident_id in page.content.decode()
    assert AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).count() == 2


def test_full_resident_id_out_of_scope_is_404_and_not_audited(
    signed_in: SignIn, county_b_reviewer: User, school_a: Institution
) -> None:
    teacher = make_teacher(school=school_a)
    response = signed_in(county_b_reviewer).post(reverse("teachers:teacher_reveal", args=[teacher.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).exists()


# --- the school's own edits -------------------------------------------------------------------


def test_school_staff_create_a_teacher(
    signed_in: SignIn, school_a_staff: User, school_a: Institution
) -> None:
    from jiaozi.teachers.tests.workbook import resident_id

    rid = resident_id(31)
    response = signed_in(school_a_staff).post(
        reverse("teachers:teacher_create"),
        {
            "resident_id": rid,
            "name": "新教师",
            "sex": "male",
            "phone": "13912345678",
            "post_type": "full_time",
            "employment_type": "public_established",
            "health": "fit",
            "probation_passed_on": "2020-08-31",
        },
    )
    teacher = Teacher.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("teachers:teacher_detail", args=[teacher.pk])
    assert (teacher.resident_id, teacher.school, teacher.phone) == (rid, school_a, "13912345678")
    assert AuditEvent.objects.filter(kind=AuditKind.TEACHER_CREATED, object_id=str(teacher.pk)).exists()


def test_county_staff_do_not_key_in_teachers(signed_in: SignIn, county_a_admin: User) -> None:
    assert signed_in(county_a_admin).get(reverse("teachers:teacher_create")).status_code == 403


def test_create_shows_the_rule_that_failed(signed_in: SignIn, school_a_staff: User) -> None:
    from jiaozi.teachers.tests.workbook import resident_id

    response = signed_in(school_a_staff).post(
        reverse("teachers:teacher_create"),
        {
            "resident_id": resident_id(32, sex="女"),
            "name": "新教师",
            "sex": "male",
            "post_type": "full_time",
            "employment_type": "public_established",
            "health": "fit",
        },
    )
    assert response.status_code == 200
    assert "性别与身份证号不符" in response.content.decode()
    assert not Teacher.objects.exists()


def test_edit_with_a_stale_version_is_refused(
    signed_in: SignIn, school_a_staff: User, school_a: Institution
) -> None:
    teacher = make_teacher(school=school_a)
    data = {
        "name": "改名",
        "sex": "male",
        "phone": "",
        "post_type": "dual",
        "employment_type": "public_established",
        "health": "fit",
        "probation_passed_on": "",
        "version": teacher.version,
    }
    client = signed_in(school_a_staff)
    url = reverse("teachers:teacher_edit", args=[teacher.pk])
    assert client.post(url, data).status_code == 302
    teacher.refresh_from_db()
    assert (teacher.name, teacher.post_type, teacher.phone, teacher.version) == ("改名", "dual", "", 2)
    stale = client.post(url, {**data, "name": "再改"})
    assert stale.status_code == 200
    assert "已被他人修改" in stale.content.decode()
    teacher.refresh_from_db()
    assert teacher.name == "改名"


def test_other_school_cannot_edit(signed_in: SignIn, school_b_staff: User, school_a: Institution) -> None:
    teacher = make_teacher(school=school_a)
    assert (
        signed_in(school_b_staff).get(reverse("teachers:teacher_edit", args=[teacher.pk])).status_code == 404
    )


@pytest.mark.parametrize(
    ("name", "data", "check"),
    [
        (
            "teachers:appraisal_add",
            {"year": 2023, "grade": "excellent"},
            lambda t: t.annual_appraisals.get().grade == "excellent",
        ),
        (
            "teachers:ethics_add",
            {"year": 2023, "result": "failed"},
            lambda t: t.ethics_appraisals.get().result == "failed",
        ),
        (
            "teachers:training_add",
            {"date": "2023-07-01", "hours": "24", "programme": "国培计划"},
            lambda t: str(t.training_records.get().hours) == "24.0",
        ),
        (
            "teachers:break_add",
            {"start": "2022-03-01", "end": "2022-08-31", "reason": "产假", "approved": "on"},
            lambda t: t.teaching_breaks.get().approved,
        ),
    ],
)
def test_school_staff_add_records(
    signed_in: SignIn,
    school_a_staff: User,
    school_a: Institution,
    name: str,
    data: dict[str, Any],
    check: Any,
) -> None:
    teacher = make_teacher(school=school_a)
    client = signed_in(school_a_staff)
    url = reverse(name, args=[teacher.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {**data, "version": teacher.version})
    assert response.status_code == 302, response.content.decode()
    assert check(teacher)
    teacher.refresh_from_db()
    assert teacher.version == 2
    assert AuditEvent.objects.filter(kind=AuditKind.TEACHER_UPDATED, object_id=str(teacher.pk)).count() == 1


def test_county_cannot_add_records(signed_in: SignIn, county_a_admin: User, school_a: Institution) -> None:
    teacher = make_teacher(school=school_a)
    response = signed_in(county_a_admin).post(
        reverse("teachers:appraisal_add", args=[teacher.pk]),
        {"year": 2023, "grade": "excellent", "version": 1},
    )
    assert response.status_code == 403
    assert not teacher.annual_appraisals.exists()


# --- import -----------------------------------------------------------------------------------


@pytest.fixture
def upload(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Post a file to the import page and run what it queues at commit (the test's
    transaction never commits; eager Celery then runs the job inline)."""

    def post(client: Client, content: bytes, name: str = "教师.xlsx") -> Any:
        upload = io.BytesIO(content)
        upload.name = name
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("teachers:import"), {"file": upload})

    return post


def test_template_download(signed_in: SignIn, school_a_staff: User) -> None:
    response = signed_in(school_a_staff).get(reverse("teachers:template"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [*SHEET_ORDER, "填写说明"]
    for name in SHEET_ORDER:
        assert [c.value for c in wb[name][1]] == list(SHEETS[name].headers)
    lists = {
        str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in wb["教师"].data_validations.dataValidation
    }
    assert lists["C"] == '"男,女"'
    assert lists["F"].startswith('"专任教师,')


def test_template_is_for_import_roles_only(signed_in: SignIn) -> None:
    user = make_staff(role=Role.CONFIRMATION_USER, institution=confirmation_point("34010399Q3"))
    assert signed_in(user).get(reverse("teachers:template")).status_code == 403


def test_upload_runs_the_job_and_shows_the_counts(
    signed_in: SignIn, school_a_staff: User, school_a: Institution, upload: Callable[..., Any]
) -> None:
    book = TemplateBook()
    book.full_teacher(school=SCHOOL_A)
    client = signed_in(school_a_staff)
    response = upload(client, book.xlsx())
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("teachers:import_job", args=[job.pk])
    assert job.status == ImportJob.Status.SUCCEEDED  # eager Celery runs it at commit
    assert not job.file  # the upload (personal data) is gone once read
    assert job.counts["教师"]["created"] == 1
    page = client.get(response["Location"]).content.decode()
    assert "文件已全部导入" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling
    assert Teacher.objects.get().school == school_a
    assert AuditEvent.objects.filter(kind=AuditKind.TEACHER_IMPORTED, object_id=str(job.pk)).exists()


def test_a_running_job_is_polled(signed_in: SignIn, school_a_staff: User) -> None:
    job = ImportJob.objects.create(
        created_by=school_a_staff, institution=school_a_staff.institution, original_name="a.xlsx"
    )
    client = signed_in(school_a_staff)
    page = client.get(reverse("teachers:import_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    fragment = client.get(reverse("teachers:import_job_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()


def test_rejected_upload_lists_errors_and_offers_the_report(
    signed_in: SignIn, school_a_staff: User, school_a: Institution, upload: Callable[..., Any]
) -> None:
    book = TemplateBook()
    rid = book.full_teacher(school=SCHOOL_A)
    book.annual(rid, 2023, "优秀")
    book.ethics(rid, 2024, "良好")
    client = signed_in(school_a_staff)
    upload(client, book.xlsx())
    job = ImportJob.objects.get()
    assert (job.status, job.error_total) == (ImportJob.Status.REJECTED, 2)
    page = client.get(reverse("teachers:import_job", args=[job.pk])).content.decode()
    assert "与第6行重复（同一身份证号和年度）" in page
    assert rid not in page
    assert not Teacher.objects.exists()
    csv_report = client.get(reverse("teachers:import_job_errors", args=[job.pk, "csv"]))
    assert csv_report["Content-Disposition"].startswith("attachment")
    text = csv_report.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "工作表,行号,列,值,错误原因"
    assert f"年度考核,7,身份证号,{mask_resident_id(rid)},与第6行重复（同一身份证号和年度）" in text
    assert "师德考核,7,结果,良好,取值应为以下之一：合格、不合格" in text
    xlsx_report = client.get(reverse("teachers:import_job_errors", args=[job.pk, "xlsx"]))
    rows = list(load_workbook(io.BytesIO(xlsx_report.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行号", "列", "值", "错误原因")
    assert len(rows) == 3


def test_upload_is_checked_by_content(
    signed_in: SignIn, school_a_staff: User, upload: Callable[..., Any]
) -> None:
    response = upload(signed_in(school_a_staff), b"MZ\x90\x00 not a workbook", name="teachers.xlsx")
    assert response.status_code == 200
    assert "文件内容不是有效的 .xlsx 或 .zip 文件" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_jobs_of_the_twin_county_are_404(
    signed_in: SignIn, county_a_admin: User, county_b_reviewer: User, upload: Callable[..., Any]
) -> None:
    book = TemplateBook()
    book.teacher(school="3401030999")
    upload(signed_in(county_a_admin), book.xlsx())
    job = ImportJob.objects.get()
    client = signed_in(county_b_reviewer)
    for name, args in (
        ("teachers:import_job", [job.pk]),
        ("teachers:import_job_status", [job.pk]),
        ("teachers:import_job_errors", [job.pk, "csv"]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404
    assert job.pk not in [j.pk for j in client.get(reverse("teachers:import")).context["jobs"]]


def test_import_page_forbidden_to_other_roles(signed_in: SignIn) -> None:
    user = make_staff(role=Role.CONFIRMATION_USER, institution=confirmation_point("34010399Q4"))
    assert signed_in(user).get(reverse("teachers:import")).status_code == 403


def test_a_loaded_row_with_a_warning_is_listed_on_the_result_page(
    signed_in: SignIn, school_a_staff: User, school_a: Institution, upload: Callable[..., Any]
) -> None:
    """school_a is a 初中: a 幼儿园 certificate loads, with the row to check listed."""
    book = TemplateBook()
    book.full_teacher(school=SCHOOL_A, qualification="幼儿园")
    client = signed_in(school_a_staff)
    upload(client, book.xlsx())
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert [(w["row"], w["column"]) for w in job.warnings] == [(2, "资格种类")]
    page = client.get(reverse("teachers:import_job", args=[job.pk])).content.decode()
    assert 'data-testid="import-warnings"' in page
    assert "学段（初中）不符" in page
