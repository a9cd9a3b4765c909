"""§5 申请复核: within the set period after the notice ends, an applicant concluded
暂缓注册 or 注册不合格 asks the level above the registration authority to review the
conclusion, with reasons and evidence; that level upholds it or sends it back for a new
conclusion, which is noticed again. Recorded on the timeline (and the form)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, PermissionDenied, WindowClosed
from jiaozi.registration.applications import materials
from jiaozi.registration.models import Application, ApplicationStep, Material
from jiaozi.registration.tests.factories_applications import OPEN, Chain, chain, drive, step
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import Action, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open(settings: object, tmp_path: object) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    with clock.travel(OPEN):
        yield


def concluded(c: Chain, conclusion: str = "deferred", *, to: str = Status.CITY_RECHECK) -> Application:
    app = drive(c, to=Status.REGISTRATION_REVIEW)
    reason = "" if conclusion == "qualified" else "注册周期内培训学时不足360学时"
    app = step(
        c, app, Action.CONCLUDE, conclusion=conclusion, reason=reason, override_reason="学时证明未达要求"
    )
    return drive(c, to=to, app=app)


def request(c: Chain, app: Application, reason: str = "已补齐学时证明，请予复核") -> Application:
    return application_transition(
        actor=c.applicant,
        application_id=app.pk,
        action=Action.REQUEST_REVIEW,
        version=app.version,
        reason=reason,
    )


def test_a_deferred_applicant_requests_a_review_decided_by_the_city() -> None:
    c = chain()
    app = concluded(c)
    done = request(c, app)
    assert done.status == Status.REVIEW_AT_CITY
    assert done.conclusion == "deferred"
    last = ApplicationStep.objects.filter(application=app).last()
    assert last is not None
    assert (last.action, last.opinion) == (Action.REQUEST_REVIEW, "已补齐学时证明，请予复核")
    assert AuditEvent.objects.filter(
        kind=AuditKind.APPLICATION_REVIEW_REQUESTED, object_id=str(app.pk)
    ).exists()
    # The registration authority is not the level above itself.
    with pytest.raises(PermissionDenied):
        step_as(c, done, Action.UPHOLD_REVIEW, c.registration_reviewer)


def step_as(c: Chain, app: Application, action: str, actor: object) -> Application:
    return application_transition(
        actor=actor,  # type: ignore[arg-type]
        application_id=app.pk,
        action=action,
        version=app.version,
        reason="经复核",
    )


def test_the_city_upholds_and_the_application_goes_on() -> None:
    c = chain()
    app = request(c, concluded(c))
    upheld = step(c, app, Action.UPHOLD_REVIEW, reason="经复核，学时证明仍不足，维持暂缓注册")
    assert upheld.status == Status.CITY_RECHECK
    assert upheld.conclusion == "deferred"
    assert AuditEvent.objects.filter(kind=AuditKind.APPLICATION_REVIEW_UPHELD).count() == 1


def test_the_city_sends_it_back_and_a_new_conclusion_is_noticed_again() -> None:
    c = chain()
    app = request(c, concluded(c))
    back = step(c, app, Action.SEND_BACK_REVIEW, reason="新提交的学时证明有效，请重新作出结论")
    assert back.status == Status.REGISTRATION_REVIEW
    assert (back.conclusion, back.notice_id) == ("", None)
    again = step(c, back, Action.CONCLUDE, conclusion="qualified")
    assert again.status == Status.CONCLUDED
    noticed = step(c, again, Action.PUBLISH_NOTICE)
    assert noticed.status == Status.NOTICE
    actions = list(
        ApplicationStep.objects.filter(application=app).order_by("pk").values_list("action", flat=True)
    )
    assert actions[-4:] == [
        Action.REQUEST_REVIEW,
        Action.SEND_BACK_REVIEW,
        Action.CONCLUDE,
        Action.PUBLISH_NOTICE,
    ]
    assert AuditEvent.objects.filter(kind=AuditKind.APPLICATION_REVIEW_SENT_BACK).count() == 1


def test_a_qualified_conclusion_cannot_be_reviewed() -> None:
    c = chain()
    app = concluded(c, "qualified")
    with pytest.raises(Conflict) as caught:
        request(c, app)
    assert caught.value.code == "review_not_allowed"


def test_the_period_is_the_notice_end_plus_the_province_setting() -> None:
    c = chain()
    app = concluded(c, "unqualified")
    ends = app.notice.ends_at  # type: ignore[union-attr]
    until = ends + dt.timedelta(days=c.campaign.review_request_days)
    assert c.campaign.review_request_days == 15
    with clock.travel(until), pytest.raises(WindowClosed) as caught:
        request(c, app)
    assert "公示期满后15天内" in str(caught.value)
    with clock.travel(until - dt.timedelta(seconds=1)):
        assert request(c, app).status == Status.REVIEW_AT_CITY


def test_without_a_city_step_the_province_decides() -> None:
    c = chain("susong")
    app = concluded(c, to=Status.PROVINCE_REVIEW)
    requested = request(c, app)
    assert requested.status == Status.REVIEW_AT_PROVINCE
    assert step(c, requested, Action.UPHOLD_REVIEW, reason="维持").status == Status.PROVINCE_REVIEW


def test_after_the_city_approved_the_review_still_goes_to_the_city() -> None:
    c = chain()
    app = concluded(c, to=Status.PROVINCE_REVIEW)
    assert request(c, app).status == Status.REVIEW_AT_CITY


def test_evidence_is_uploaded_for_a_negative_conclusion_only() -> None:
    c = chain()
    app = concluded(c)
    material = materials.material_upload(
        applicant=c.applicant,
        application_id=app.pk,
        kind=Material.Kind.REVIEW_EVIDENCE,
        file=SimpleUploadedFile("学时证明.pdf", pdf_bytes(), "application/pdf"),
    )
    assert material.kind == "review_evidence"
    with pytest.raises(Conflict):
        materials.material_upload(
            applicant=c.applicant,
            application_id=app.pk,
            kind=Material.Kind.CONTRACT,
            file=SimpleUploadedFile("合同.pdf", pdf_bytes(), "application/pdf"),
        )
    other = chain()
    qualified = concluded(other, "qualified")
    with pytest.raises(Conflict):
        materials.material_upload(
            applicant=other.applicant,
            application_id=qualified.pk,
            kind=Material.Kind.REVIEW_EVIDENCE,
            file=SimpleUploadedFile("x.pdf", pdf_bytes(), "application/pdf"),
        )
