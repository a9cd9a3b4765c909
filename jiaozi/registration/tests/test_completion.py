"""Completion (§5, §7): the province's filing writes the certificate's registration
record, issues a verification token, and the stamped form is rendered after commit —
with the applicant's name and the conclusion as real text — and served only to the
applicant and to reviewers in scope, each download audited. A filed conclusion cannot
move again."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import Certificate, CertificateEvent, VerificationToken
from jiaozi.certificates.selectors import certificate_history
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound
from jiaozi.orgs.tests.factories import YAOHAI, bureau
from jiaozi.registration.completion import services as completion
from jiaozi.registration.models import Application, RegistrationForm
from jiaozi.registration.tasks import registration_form_render
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    another_applicant,
    chain,
    drive,
    step,
)
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import TRANSITIONS, Action, Actor, Status, actions_from

pytestmark = pytest.mark.django_db

R = dt.date(2024, 12, 31)  # Anhui 2024's registration date


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def c() -> Chain:
    with clock.travel(OPEN):
        return chain()


def pdf_text(document: bytes) -> str:
    """pdftotext (poppler-utils) of the document, whitespace removed."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=document,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.sub(r"\s+", "", out)


def complete(c: Chain, capture: Any, **conclude: Any) -> Application:
    """Drive the chain's application to COMPLETED through the real services, running
    the on-commit callbacks (the rendering task) as a real commit would."""
    with clock.travel(OPEN), capture(execute=True):
        if not conclude:
            return drive(c, to=Status.COMPLETED)
        app = drive(c, to=Status.REGISTRATION_REVIEW)
        app = step(c, app, Action.CONCLUDE, **conclude)
        return drive(c, to=Status.COMPLETED, app=app)


# --- The registration record -------------------------------------------------------------


def test_qualified_completion_updates_the_certificate_and_issues_a_token(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    before = Certificate.objects.get(pk=c.certificate.pk)
    app = complete(c, django_capture_on_commit_callbacks)

    cert = Certificate.objects.get(pk=c.certificate.pk)
    assert cert.registered_on == R
    assert cert.last_conclusion == "qualified"
    assert (cert.valid_from, cert.valid_to) == (R, dt.date(2029, 12, 30))
    assert cert.version == before.version + 1

    app.refresh_from_db()
    assert (app.valid_from, app.valid_to) == (R, dt.date(2029, 12, 30))
    assert app.completed_at is not None

    form = RegistrationForm.objects.select_related("token").get(application=app)
    token = form.token
    assert token.certificate_id == cert.pk
    assert token.conclusion == "qualified"
    assert (token.valid_from, token.valid_to, token.registered_on) == (R, dt.date(2029, 12, 30), R)
    assert token.holder_name_masked == c.teacher.name[0] + "*" * (len(c.teacher.name) - 1)
    assert token.institution_id == c.authority.pk

    event = AuditEvent.objects.get(kind=AuditKind.CERTIFICATE_REGISTRATION_RECORDED)
    assert event.object_id == str(cert.pk)
    assert event.actor_id == c.province_reviewer.pk
    assert event.details["conclusion"] == "qualified"
    assert event.details["valid_to"] == "2029-12-30"
    assert event.details["previous"]["valid_to"] == "2024-12-30"
    assert event.details["application_id"] == app.pk
    assert event.details["campaign_id"] == app.campaign_id
    assert event.details["token_id"] == token.pk

    # The registry's history names the application and the registration authority.
    (history,) = certificate_history(certificate=cert)
    assert history.kind == CertificateEvent.Kind.REGISTERED
    assert (history.source_type, history.source_id) == ("registration.application", app.pk)
    assert history.institution_id == c.authority.pk
    assert history.actor_id == c.province_reviewer.pk
    assert history.changes["valid_to"] == ["2024-12-30", "2029-12-30"]
    assert event.details["event_id"] == history.pk


def test_deferred_completion_keeps_the_validity_and_grants_none(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete(
        c,
        django_capture_on_commit_callbacks,
        conclusion="deferred",
        reason="培训学时证明不足，暂缓注册。",
        override_reason="培训学时证明材料不足以认定。",
    )
    cert = Certificate.objects.get(pk=c.certificate.pk)
    assert cert.last_conclusion == "deferred"
    assert cert.registered_on == R
    # 暂缓注册 grants nothing: the last 注册合格's period stays as it was.
    assert (cert.valid_from, cert.valid_to) == (dt.date(2019, 12, 31), dt.date(2024, 12, 30))
    app.refresh_from_db()
    assert (app.valid_from, app.valid_to) == (None, None)
    token = VerificationToken.objects.get(certificate=cert)
    assert (token.conclusion, token.valid_from, token.valid_to) == ("deferred", None, None)


@pytest.mark.parametrize(
    ("registration_date", "valid_to"),
    [
        (dt.date(2024, 12, 31), dt.date(2029, 12, 30)),
        (dt.date(2024, 9, 1), dt.date(2029, 8, 31)),
        # 29 February: R + 5 years is 28 February 2029 (rules.add_years), minus a day.
        (dt.date(2024, 2, 29), dt.date(2029, 2, 27)),
        (dt.date(2023, 3, 1), dt.date(2028, 2, 29)),
    ],
)
def test_validity_of_a_qualified_conclusion(registration_date: dt.date, valid_to: dt.date) -> None:
    assert completion.validity_of(conclusion="qualified", registration_date=registration_date) == (
        registration_date,
        valid_to,
    )


@pytest.mark.parametrize("conclusion", ["deferred", "unqualified"])
def test_negative_conclusions_grant_no_validity(conclusion: str) -> None:
    assert completion.validity_of(conclusion=conclusion, registration_date=R) == (None, None)


def test_a_revoked_certificate_refuses_the_filing_and_nothing_changes(c: Chain) -> None:
    with clock.travel(OPEN):
        app = drive(c, to=Status.PROVINCE_REVIEW)
        Certificate.objects.filter(pk=c.certificate.pk).update(status="revoked")
        with pytest.raises(Conflict) as error:
            step(c, app, Action.PROVINCE_APPROVE)
    assert error.value.code == "certificate_not_valid"
    app.refresh_from_db()
    assert app.status == Status.PROVINCE_REVIEW
    assert app.completed_at is None
    assert not VerificationToken.objects.exists()
    assert not RegistrationForm.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.APPLICATION_PROVINCE_APPROVED).exists()
    assert not CertificateEvent.objects.exists()


def test_a_certificate_changed_meanwhile_rolls_the_filing_back(
    c: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock.travel(OPEN):
        app = drive(c, to=Status.PROVINCE_REVIEW)
        stale = Certificate.objects.select_related("teacher").get(pk=c.certificate.pk)
        # Someone edits the certificate after completion read it.
        Certificate.objects.filter(pk=stale.pk).update(version=stale.version + 1, subject="数学")
        monkeypatch.setattr(completion, "_certificate_of", lambda application: stale)
        with pytest.raises(Conflict) as error:
            step(c, app, Action.PROVINCE_APPROVE)
    assert error.value.code == "stale_version"
    app.refresh_from_db()
    assert app.status == Status.PROVINCE_REVIEW
    cert = Certificate.objects.get(pk=c.certificate.pk)
    assert cert.registered_on is None
    assert cert.last_conclusion == "qualified"
    assert not VerificationToken.objects.exists()
    assert not CertificateEvent.objects.exists()


def test_a_later_registration_is_never_overwritten(c: Chain) -> None:
    with clock.travel(OPEN):
        app = drive(c, to=Status.PROVINCE_REVIEW)
        Certificate.objects.filter(pk=c.certificate.pk).update(registered_on=dt.date(2029, 12, 31))
        with pytest.raises(Conflict) as error:
            step(c, app, Action.PROVINCE_APPROVE)
    assert error.value.code == "newer_registration"


# --- Immutable once filed ------------------------------------------------------------------


def test_the_workflow_table_has_no_way_out_of_completed() -> None:
    # Except the revocation procedure (SECURITY 13), taken by the province's supervision.
    assert [(t.action, t.actor) for t in TRANSITIONS if t.source == Status.COMPLETED] == [
        (Action.REVOKE, Actor.OVERSIGHT)
    ]
    for actor in Actor.values:
        assert actions_from(Status.COMPLETED, actor=actor) == (
            [Action.REVOKE] if actor == Actor.OVERSIGHT else []
        )


def test_a_filed_conclusion_refuses_every_further_action(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    with clock.travel(OPEN):
        for action in (Action.RETURN_TO_APPLICANT, Action.RETURN_DOWN, Action.PROVINCE_APPROVE):
            with pytest.raises(Conflict) as error:
                application_transition(
                    actor=c.province_reviewer,
                    application_id=app.pk,
                    action=action,
                    version=app.version,
                    reason="再次审核",
                )
            assert error.value.code == "wrong_stage"
    app.refresh_from_db()
    assert app.status == Status.COMPLETED


def test_completing_twice_is_refused(c: Chain, django_capture_on_commit_callbacks: Any) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    app = Application.objects.select_related("campaign", "registration_authority").get(pk=app.pk)
    with pytest.raises(Conflict) as error, transaction.atomic():
        completion.application_complete(application=app, actor=c.province_reviewer)
    assert error.value.code == "already_completed"
    assert VerificationToken.objects.count() == 1


# --- The stamped form --------------------------------------------------------------------------


def test_the_form_is_rendered_on_commit_with_the_name_and_the_conclusion(
    c: Chain, django_capture_on_commit_callbacks: Any, media: Path
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    form = RegistrationForm.objects.get(application=app)
    assert form.is_rendered
    name = str(form.file.name)
    assert name.startswith("registration/forms/")
    # A random name: nothing about the holder in the path.
    assert c.teacher.name not in name
    assert c.certificate.number not in name
    document = (media / name).read_bytes()
    assert hashlib.sha256(document).hexdigest() == form.sha256
    assert form.size == len(document)

    text = pdf_text(document)
    assert c.teacher.name in text
    assert "注册合格" in text
    assert c.certificate.number in text
    assert c.authority.name in text  # the seal institution
    assert "2024年12月31日至2029年12月30日" in text
    assert c.teacher.resident_id in text  # the filed form carries the full ID


def test_a_deferred_form_prints_the_conclusion_and_its_reason(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete(
        c,
        django_capture_on_commit_callbacks,
        conclusion="deferred",
        reason="培训学时证明不足。",
        override_reason="培训学时证明材料不足以认定。",
    )
    with clock.travel(OPEN):
        text = pdf_text(completion.application_form_pdf(user=c.applicant, application_id=app.pk))
    assert "暂缓注册" in text
    assert "培训学时证明不足。" in text
    assert "2029年" not in text


def test_the_task_is_idempotent(c: Chain, django_capture_on_commit_callbacks: Any, media: Path) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    first = RegistrationForm.objects.get(application=app)
    assert registration_form_render(app.pk) == first.sha256
    again = RegistrationForm.objects.get(application=app)
    assert (again.file.name, again.sha256) == (first.file.name, first.sha256)
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1


def test_the_form_is_rendered_on_first_download_when_the_task_has_not_run(c: Chain, media: Path) -> None:
    with clock.travel(OPEN):
        app = drive(c, to=Status.COMPLETED)  # on-commit callbacks discarded: no task ran
        form = RegistrationForm.objects.get(application=app)
        assert not form.is_rendered
        document = completion.application_form_pdf(user=c.applicant, application_id=app.pk)
        form.refresh_from_db()
        assert form.is_rendered
        assert hashlib.sha256(document).hexdigest() == form.sha256
        # The second download reads the stored file.
        assert completion.application_form_pdf(user=c.applicant, application_id=app.pk) == document
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1


def test_a_tampered_file_is_never_served(
    c: Chain, django_capture_on_commit_callbacks: Any, media: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    form = RegistrationForm.objects.get(application=app)
    name = str(form.file.name)
    original = (media / name).read_bytes()
    with default_storage.open(name, "wb") as handle:
        handle.write(original.replace(b"%%EOF", b"%%EOX"))
    with clock.travel(OPEN):
        document = completion.application_form_pdf(user=c.applicant, application_id=app.pk)
    # Rendered again from the database: the same bytes as the first time.
    assert document == original
    assert "does not match its SHA-256" in caplog.text


# --- Who may download --------------------------------------------------------------------------


def test_the_applicant_downloads_their_own_form_audited_as_unmasked(
    c: Chain, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    with clock.travel(OPEN):
        document = completion.application_form_pdf(user=c.applicant, application_id=app.pk)
    assert document.startswith(b"%PDF-")
    event = AuditEvent.objects.get(kind=AuditKind.UNMASKED_VIEW, actor_id=c.applicant.pk)
    assert event.object_id == str(app.pk)
    assert event.details["document"] == "registration_form"


@pytest.mark.parametrize("level", [Actor.SCHOOL, Actor.REGISTRATION, Actor.CITY, Actor.PROVINCE])
def test_every_reviewer_of_the_chain_may_download(
    c: Chain, django_capture_on_commit_callbacks: Any, level: str
) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    reviewer = c.staff(level)
    assert reviewer is not None
    with clock.travel(OPEN):
        assert completion.application_form_pdf(user=reviewer, application_id=app.pk).startswith(b"%PDF-")
    (event,) = AuditEvent.objects.filter(
        kind=AuditKind.REGISTRATION_FORM_DOWNLOADED_BY_STAFF, actor_id=reviewer.pk
    )
    assert event.object_id == str(app.pk)
    assert event.institution_id == reviewer.institution_id
    assert event.details["unmasked"] is True


def test_nobody_else_may_download(c: Chain, django_capture_on_commit_callbacks: Any) -> None:
    app = complete(c, django_capture_on_commit_callbacks)
    with clock.travel(OPEN):
        other_applicant, _certificate = another_applicant(c)
        county_b = make_staff(role=Role.REGISTRATION_REVIEWER, institution=bureau(YAOHAI))
        # In scope but not a reviewer: the form's full ID is none of an admin's business.
        admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.authority)
        for user in (other_applicant, county_b, admin):
            with pytest.raises(NotFound):
                completion.application_form_pdf(user=user, application_id=app.pk)
    assert not AuditEvent.objects.filter(
        kind__in=[AuditKind.UNMASKED_VIEW, AuditKind.REGISTRATION_FORM_DOWNLOADED_BY_STAFF]
    ).exists()


def test_no_form_before_completion(c: Chain) -> None:
    with clock.travel(OPEN):
        app = drive(c, to=Status.PROVINCE_REVIEW)
        with pytest.raises(Conflict) as error:
            completion.application_form_pdf(user=c.applicant, application_id=app.pk)
    assert error.value.code == "wrong_stage"
