"""The form as a record (§5 Completion, decision 0253): a snapshot filed at each
decision, the PDF rendered from the latest snapshot only, opinions exactly as recorded
(the default recorded at decision time and shown before confirming), labels by the
deciding institution's real level, one seal per level that decided, a missing
appraisal year in its own column, the QR link from PUBLIC_BASE_URL, and the reviewers'
audited download."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import YAOHAI, bureau
from jiaozi.registration.completion import services as completion
from jiaozi.registration.completion.form import NO_RECORD, ReviewOpinion, YearGrade, render_registration_form
from jiaozi.registration.completion.samples import form_data
from jiaozi.registration.completion.snapshot import registration_label
from jiaozi.registration.models import Application, ApplicationStep, FormSnapshot, RegistrationForm
from jiaozi.registration.opinions import default_opinion
from jiaozi.registration.tests.factories_applications import OPEN, Chain, chain, drive, step
from jiaozi.registration.workflow import Action, Status
from jiaozi.teachers.models import AnnualAppraisal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def c() -> Chain:
    with clock.travel(OPEN):
        return chain()


def run(*command: str, data: bytes | None = None) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()  # noqa: S603


def pdf_text(document: bytes) -> str:
    """pdftotext (poppler-utils) of the document, whitespace removed."""
    return re.sub(r"\s+", "", run("pdftotext", "-enc", "UTF-8", "-", "-", data=document))


def complete(c: Chain, capture: Any, **opinions: str) -> Application:
    """Through the real services to COMPLETED; ``opinions`` by action (an action not
    given records its default); on-commit callbacks (the render task) run."""
    with clock.travel(OPEN), capture(execute=True):
        app = drive(c, to=Status.SCHOOL_REVIEW)
        app = step(c, app, Action.SCHOOL_APPROVE, reason=opinions.get(Action.SCHOOL_APPROVE, ""))
        app = step(c, app, Action.CONCLUDE, reason=opinions.get(Action.CONCLUDE, ""))
        app = drive(c, to=Status.CITY_RECHECK if c.has_city_step else Status.PROVINCE_REVIEW, app=app)
        if c.has_city_step:
            app = step(c, app, Action.CITY_APPROVE, reason=opinions.get(Action.CITY_APPROVE, ""))
        return step(c, app, Action.PROVINCE_APPROVE, reason=opinions.get(Action.PROVINCE_APPROVE, ""))


def download(c: Chain, app: Application) -> bytes:
    with clock.travel(OPEN):
        return completion.application_form_pdf(user=c.applicant, application_id=app.pk)


# --- A snapshot at each decision ------------------------------------------------------------


def test_each_decision_files_a_snapshot_with_its_step(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    snapshots = list(FormSnapshot.objects.filter(application=app).order_by("taken_at", "pk"))
    assert [s.action for s in snapshots] == [
        Action.SCHOOL_APPROVE,
        Action.CONCLUDE,
        Action.CITY_APPROVE,
        Action.PROVINCE_APPROVE,
    ]
    for snapshot in snapshots:
        assert snapshot.step is not None
        assert snapshot.step.action == snapshot.action
        assert snapshot.taken_at == snapshot.step.at
    # Each snapshot holds what that level saw: the school's has no conclusion yet, the
    # province's has the conclusion and the validity.
    first, last = json.loads(snapshots[0].data), json.loads(snapshots[-1].data)
    assert first["conclusion"] == ""
    assert first["opinions"]["registration"] is None
    assert last["conclusion"] == "qualified"
    assert (last["valid_from"], last["valid_to"]) == ("2024-12-31", "2029-12-30")
    assert last["opinions"]["city"]["institution"] == c.city.name  # type: ignore[union-attr]
    # Audited, one row per snapshot, under the deciding institution's chain.
    events = AuditEvent.objects.filter(kind=AuditKind.REGISTRATION_FORM_SNAPSHOT_TAKEN, object_id=str(app.pk))
    assert sorted(e.details["sha256"] for e in events) == sorted(s.sha256 for s in snapshots)


def test_the_snapshot_is_encrypted_at_rest(c: Chain, django_capture_on_commit_callbacks: Any) -> None:
    from django.db import connection

    app = complete(c, django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM registration_formsnapshot WHERE application_id = %s", [app.pk])
        raw = [row[0] for row in cursor.fetchall()]
    assert raw
    assert all(c.teacher.resident_id not in value and c.teacher.name not in value for value in raw)


def test_a_batch_of_decisions_files_one_snapshot_each(c: Chain) -> None:
    from jiaozi.registration.tests.test_queues import more
    from jiaozi.registration.transitions import BatchItem, application_transition_batch

    with clock.travel(OPEN):
        apps = [more(c, Status.REGISTRATION_REVIEW) for _ in range(3)]
        result = application_transition_batch(
            actor=c.registration_reviewer,
            action=Action.CONCLUDE,
            items=[BatchItem(a.pk, a.version, conclusion="qualified") for a in apps],
        )
    assert sorted(result.succeeded) == sorted(a.pk for a in apps)
    for app in apps:
        (snapshot,) = FormSnapshot.objects.filter(application=app)
        assert snapshot.action == Action.CONCLUDE
        assert json.loads(snapshot.data)["opinions"]["registration"]["opinion"] == "经审核，注册合格。"


# --- The PDF from the snapshot only ---------------------------------------------------------


def test_a_record_changed_after_filing_does_not_change_the_form(
    c: Chain, django_capture_on_commit_callbacks: Any, media: Path
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    before = download(c, app)
    assert "2021年合格" in pdf_text(before) or "合格" in pdf_text(before)
    # After filing: a 2021 appraisal deleted, the name and school corrected, and the
    # stored file lost — the form is rendered again, from the snapshot.
    AnnualAppraisal.objects.filter(teacher=c.teacher, year=2021).delete()
    type(c.teacher).objects.filter(pk=c.teacher.pk).update(name="改后姓名")
    form = RegistrationForm.objects.get(application=app)
    default_storage.delete(str(form.file.name))
    after = download(c, app)
    assert after == before
    assert "改后姓名" not in pdf_text(after)


def test_the_latest_snapshot_is_what_prints(c: Chain, django_capture_on_commit_callbacks: Any) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    latest = FormSnapshot.objects.filter(application=app).order_by("-taken_at", "-pk").first()
    assert latest is not None
    data = json.loads(latest.data)
    text = pdf_text(download(c, app))
    assert data["applicant_name"] in text
    assert data["form_number"] in text


# --- Opinions exactly as recorded --------------------------------------------------------------


def test_an_empty_opinion_records_the_default_at_decision_time(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    recorded = dict(
        ApplicationStep.objects.filter(application=app).exclude(opinion="").values_list("action", "opinion")
    )
    assert recorded[Action.SCHOOL_APPROVE] == "情况属实，同意上报。"
    assert recorded[Action.CONCLUDE] == "经审核，注册合格。"
    assert recorded[Action.CITY_APPROVE] == "经复核，同意。"
    assert recorded[Action.PROVINCE_APPROVE] == "同意，予以备案。"
    text = pdf_text(download(c, app))
    for opinion in recorded.values():
        assert opinion in text


def test_written_opinions_print_as_written_and_no_default_is_invented(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    written = {
        Action.SCHOOL_APPROVE: "该教师五年来表现良好，材料属实。",
        Action.CONCLUDE: "符合定期注册条件，准予注册。",
        Action.CITY_APPROVE: "复核无异议。",
        Action.PROVINCE_APPROVE: "准予备案。",
    }
    app = complete(c, django_capture_on_commit_callbacks, **written)
    text = pdf_text(download(c, app))
    for opinion in written.values():
        assert opinion in text
    for default in ("情况属实，同意上报。", "经复核，同意。", "同意，予以备案。", "经审核，注册合格。"):
        assert default not in text


def test_an_opinion_is_never_cut_short() -> None:
    long = "该同志师德表现良好。" * 45  # 450 characters, under the workflow's cap
    opinion = ReviewOpinion(long, "合肥市教育局", dt.date(2024, 9, 25))
    assert long in pdf_text(render_registration_form(form_data(city_opinion=opinion)))


def test_the_decision_form_shows_the_default_before_the_reviewer_confirms(c: Chain) -> None:
    with clock.travel(OPEN):
        app = drive(c, to=Status.SCHOOL_REVIEW)
        client = sign_in(Client(), c.school_reviewer)
        page = client.get(reverse("registration:application_detail", args=[app.pk])).content.decode()
    textarea = re.search(
        r'<textarea[^>]*id="id_school_approve_reason"[^>]*>(.*?)</textarea>', page, re.DOTALL
    )
    assert textarea is not None
    assert textarea.group(1).strip() == default_opinion(Action.SCHOOL_APPROVE)


def test_the_prefilled_qualified_opinion_is_no_reason_for_a_deferral() -> None:
    from jiaozi.registration.review.forms import ConcludeForm

    form = ConcludeForm(
        {"version": 1, "action": "conclude", "conclusion": "deferred", "reason": "经审核，注册合格。",
         "override_reason": "材料不足"},
        suggestion="qualified",
    )  # fmt: skip
    assert not form.is_valid()
    assert "reason" in form.errors


# --- Labels by real level, one seal per deciding level ----------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("county", "县级审核意见"), ("city_bureau", "市级审核意见"), ("department", "市级主管部门审核意见")],
)
def test_the_registration_label_follows_the_authority_level(kind: str, expected: str) -> None:
    with clock.travel(OPEN):
        c = chain(kind)
    assert registration_label(c.authority) == expected
    if kind == "department":
        assert c.authority.kind == Institution.Kind.DEPARTMENT
        assert c.authority.level == "city"


def test_a_city_level_department_is_not_printed_as_county(django_capture_on_commit_callbacks: Any) -> None:
    with clock.travel(OPEN):
        c = chain("department")
    app = complete(c, django_capture_on_commit_callbacks)
    text = pdf_text(download(c, app))
    assert "市级主管部门审核意见" in text
    assert "县级审核意见" not in text


def _seal_forms(document: bytes) -> set[bytes]:
    return set(re.findall(rb"/(FormXob\.\w*JiaoziSeal\w+|JiaoziSeal\w+)", document))


def test_each_level_that_decided_has_its_own_seal() -> None:
    four = render_registration_form(form_data())
    assert len(_seal_forms(four)) == 4
    text = pdf_text(four)
    for caption in ("学校审查章", "注册专用章", "市级复核章", "省级终审章"):
        assert caption in text
    # A chain without a city step: that box says so and carries no seal.
    three = render_registration_form(form_data(city_opinion=None))
    assert len(_seal_forms(three)) == 3
    assert "市级复核章" not in pdf_text(three)


# --- Appraisal years in their own columns ------------------------------------------------------


def test_a_missing_appraisal_year_shows_as_no_record_in_its_own_column() -> None:
    grades = [(2019, "qualified"), (2020, "excellent"), (2022, "qualified"), (2023, "excellent")]
    document = render_registration_form(
        form_data(annual_appraisals=tuple(YearGrade(y, g) for y, g in grades))
    )
    text = pdf_text(document)
    assert f"2019年2020年2021年2022年2023年合格优秀{NO_RECORD}合格优秀" in text


def test_a_missing_year_in_the_records_is_missing_on_the_filed_form(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    AnnualAppraisal.objects.filter(teacher=c.teacher, year=2021).delete()
    with clock.travel(OPEN):
        app = drive(c, to=Status.REGISTRATION_REVIEW)
        # The suggestion is 暂缓注册 (appraisal_missing): the reviewer follows it.
        app = step(c, app, Action.CONCLUDE, conclusion="deferred", reason="2021年度考核缺失。")
    with clock.travel(OPEN), django_capture_on_commit_callbacks(execute=True):
        app = drive(c, to=Status.COMPLETED, app=app)
    text = pdf_text(download(c, app))
    assert re.search(rf"2019年2020年2021年2022年2023年\S{{2,4}}\S{{2,4}}{NO_RECORD}", text)


# --- The QR code and link from PUBLIC_BASE_URL ------------------------------------------------


def test_the_qr_and_link_use_the_public_base_url(
    c: Chain, django_capture_on_commit_callbacks: Any, settings: Any, tmp_path: Path
) -> None:
    settings.PUBLIC_BASE_URL = "https://jiaozi.jyt.ah.gov.cn/"
    app = complete(c, django_capture_on_commit_callbacks)
    document = download(c, app)
    text = pdf_text(document)
    assert "https://jiaozi.jyt.ah.gov.cn/verify/" in text
    assert "127.0.0.1" not in text
    (tmp_path / "form.pdf").write_bytes(document)
    run("pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", "-singlefile", str(tmp_path / "form.pdf"),
        str(tmp_path / "page"))  # fmt: skip
    decoded = run("zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")).strip()
    token = RegistrationForm.objects.select_related("token").get(application=app).token.token
    assert decoded == "https://jiaozi.jyt.ah.gov.cn" + reverse(
        "certificates:verify_token", kwargs={"token": token}
    )


# --- National form fields ---------------------------------------------------------------------


def test_every_field_of_the_national_form_is_present(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    text = pdf_text(download(c, app))
    for label in (
        "照片", "民族", "政治面貌", "学历", "学位", "职称", "参加工作时间", "从事教学时间", "任教学段",
        "联系电话", "通讯地址", "近五年工作经历", "师德表现", "健康状况", "上次注册情况", "培训学时",
        "个人承诺", "申请人签名",
    ):  # fmt: skip
        assert label in text, label
    # Facts the system does not hold print as 无记录, never invented.
    assert NO_RECORD in text
    # The previous registration as the certificate carried it when the application began.
    assert "结论：注册合格" in text
    assert "有效期：2019年12月31日至2024年12月30日" in text


# --- Staff download ---------------------------------------------------------------------------


def test_a_reviewer_downloads_the_form_from_the_detail_page(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    assert c.city_rechecker is not None
    client = sign_in(Client(), c.city_rechecker)
    with clock.travel(OPEN):
        page = client.get(reverse("registration:application_detail", args=[app.pk])).content.decode()
        url = reverse("registration:application_form", args=[app.pk])
        assert f'href="{url}"' in page
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    (event,) = AuditEvent.objects.filter(kind=AuditKind.REGISTRATION_FORM_DOWNLOADED_BY_STAFF)
    assert (event.actor_id, event.object_id) == (c.city_rechecker.pk, str(app.pk))


def test_staff_outside_the_chain_cannot_download(c: Chain, django_capture_on_commit_callbacks: Any) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    with clock.travel(OPEN):
        other = make_staff(role=Role.REGISTRATION_REVIEWER, institution=bureau(YAOHAI))
        admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.authority)
        url = reverse("registration:application_form", args=[app.pk])
        for user, expected in ((other, 404), (admin, 403)):
            client = sign_in(Client(), user)
            assert client.get(url).status_code == expected
    assert not AuditEvent.objects.filter(kind=AuditKind.REGISTRATION_FORM_DOWNLOADED_BY_STAFF).exists()


def test_no_download_button_before_completion(c: Chain) -> None:
    with clock.travel(OPEN):
        app = drive(c, to=Status.REGISTRATION_REVIEW)
        client = sign_in(Client(), c.registration_reviewer)
        page = client.get(reverse("registration:application_detail", args=[app.pk])).content.decode()
    assert 'data-testid="download-form"' not in page
