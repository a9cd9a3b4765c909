"""Completion of a periodic registration (§5 Completion, §7 verification).

When the province files the conclusion (PROVINCE_APPROVE), the workflow calls
``application_complete`` inside its transaction. In that one transaction:

- a verification token is issued for the QR code;
- the certificate registry records the registration
  (``jiaozi.certificates.services.certificate_registration_record``): by compare-and-set
  on the certificate's version, registered_on = the campaign's registration date R,
  last_conclusion = the conclusion, and for 注册合格 the validity R … R + 5 years − 1
  day (``rules.validity_for``, the one rule for "R + 5 years", 29 February included).
  暂缓注册 and 注册不合格 grant no validity, so the certificate keeps the validity of its
  last 注册合格 (that period still ends when it ended; nothing extends it) —
  docs/decisions/0120. The registry writes a ``REGISTERED`` history event and the audit
  row of the change; this module never writes the certificate table;
- the application gets its validity and ``completed_at``, and a ``RegistrationForm``
  row ties it to the token.

After commit a Celery task (inline in the embedded default) renders the stamped
《教师资格定期注册申请表》 and stores it under a random name with its SHA-256
(``registration_form_store``). ``application_form_pdf`` serves it to the applicant and
to reviewers in scope, rendering it on the spot if the task has not run yet; the form
carries the full resident ID, so every download is audited as an unmasked view.

A filed conclusion is immutable: the only action out of COMPLETED is the province's
revocation (REVOKE, §5 spot checks), and ``application_complete`` refuses an application
that already has ``completed_at``. ``application_filing_revoke`` undoes the filing in the
revocation's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils.translation import gettext as _

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Certificate, Conclusion
from jiaozi.certificates.services import (
    certificate_registration_record,
    certificate_registration_revoke,
    verification_token_issue,
)
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound

from .. import rules
from ..models import Application, RegistrationForm
from ..permissions import can_read_applications
from ..workflow import Status
from .form import (
    render_registration_form,
)
from .store import (
    registration_form_data,
    registration_form_get,
    registration_form_read,
    registration_form_save,
)
from .tasks import registration_form_render

logger = logging.getLogger("jiaozi.registration")


# --- Completion (inside the PROVINCE_APPROVE transaction) ----------------------------


def validity_of(*, conclusion: str, registration_date: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The validity a conclusion grants: R to R + 5 years − 1 day for 注册合格, none
    for 暂缓注册 and 注册不合格 (§4)."""
    if conclusion == Conclusion.QUALIFIED:
        return rules.validity_for(registration_date)
    return None, None


def application_complete(*, application: Application, actor: User) -> RegistrationForm:
    """File the conclusion of ``application`` (see the module docstring). Must run inside
    the transaction of the PROVINCE_APPROVE transition; raises ``Conflict`` (and so rolls
    that transition back) when the certificate cannot take the registration."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("application_complete must run inside the transition's transaction")
    conclusion = application.conclusion
    if conclusion not in Conclusion.values:
        raise Conflict(_("该申请尚未作出注册结论，不能备案。"), code="conclusion_missing")
    registration_date = application.campaign.registration_date
    certificate = _certificate_of(application)
    valid_from, valid_to = validity_of(conclusion=conclusion, registration_date=registration_date)
    # The token first: the registry's audit row names it. A refusal below rolls it back.
    token = verification_token_issue(
        certificate=certificate,
        conclusion=conclusion,
        holder_name=certificate.teacher.name,
        institution=application.registration_authority,
        valid_from=valid_from,
        valid_to=valid_to,
        registered_on=registration_date,
    )
    certificate_registration_record(
        certificate=certificate,
        application=application,
        conclusion=conclusion,
        registration_date=registration_date,
        valid_from=valid_from,
        valid_to=valid_to,
        actor=actor,
        institution=application.registration_authority,
        audit_details={"campaign_id": application.campaign_id, "token_id": token.pk},
    )

    # completed_at is written once: a second completion finds no row.
    now = clock.now()
    updated = Application.objects.filter(pk=application.pk, completed_at__isnull=True).update(
        valid_from=valid_from, valid_to=valid_to, completed_at=now
    )
    if updated != 1:
        raise Conflict(_("该申请已经备案，结论不可更改。"), code="already_completed")
    application.valid_from, application.valid_to, application.completed_at = valid_from, valid_to, now
    form = RegistrationForm.objects.create(application=application, token=token, created_at=now)
    application_id = application.pk
    # robust: the filing is committed whatever happens to the rendering; a failed render
    # is logged and the form is rendered on first download instead.
    transaction.on_commit(lambda: _queue_render(application_id), robust=True)
    return form


def _certificate_of(application: Application) -> Certificate:
    # Read afresh inside the transaction: its version is what the update compares.
    return Certificate.objects.select_related("teacher").get(pk=application.certificate_id)


def _queue_render(application_id: int) -> None:
    registration_form_render.delay(application_id)


# --- Download ----------------------------------------------------------------------------


def _application_for(user: User, application_id: int) -> Application:
    from ..applications.selectors import application_get_for_applicant, application_get_visible_to

    if user.kind == User.Kind.STAFF:
        # The form carries the full resident ID: only the review chain's levels open it.
        if not can_read_applications(actor=user):
            raise NotFound(_("记录不存在或不在您的管辖范围内。"))
        return application_get_visible_to(user=user, pk=application_id)
    return application_get_for_applicant(user=user, pk=application_id)


def application_form_pdf(*, user: User, application_id: int) -> bytes:
    """The stamped form of a completed application, for its applicant or a reviewer
    whose jurisdiction covers it (404 for anyone else, as for a missing one). Rendered
    from the filed snapshot and stored now if the task has not done it yet. Every
    download is audited (the form carries the full resident ID): the applicant's as an
    unmasked view, a reviewer's as REGISTRATION_FORM_DOWNLOADED_BY_STAFF."""
    application = _application_for(user, application_id)
    if application.status != Status.COMPLETED:
        raise Conflict(_("该申请尚未办结备案，暂无注册申请表。"), code="wrong_stage")
    try:
        form = registration_form_get(application.pk)
    except RegistrationForm.DoesNotExist:
        raise NotFound(_("记录不存在或不在您的管辖范围内。")) from None
    document = registration_form_read(form)
    if document is None:
        document = render_registration_form(registration_form_data(application=form.application, form=form))
        form = registration_form_save(form, document)
    # A reviewer's download has its own kind (it is a staff member opening the full
    # resident ID of someone else); the applicant's is an unmasked view of their own.
    staff = user.kind == User.Kind.STAFF
    audit_record(
        kind=AuditKind.REGISTRATION_FORM_DOWNLOADED_BY_STAFF if staff else AuditKind.UNMASKED_VIEW,
        actor=user,
        obj=application,
        institution_id=user.institution_id if staff else None,
        details={"document": "registration_form", "sha256": form.sha256, "unmasked": True},
    )
    return document


def application_filing_revoke(*, application: Application, actor: User, reason: str) -> None:
    """Undo the filing of a revoked registration (the workflow's REVOKE calls this in
    its transaction): the certificate's registration record goes back to what it was
    before this filing (unless a later one replaced it) and the QR code of this
    application's form stops counting (decision 0241)."""
    certificate = Certificate.objects.get(pk=application.certificate_id)
    tokens = RegistrationForm.objects.filter(application=application).values_list("token_id", flat=True)
    institution = actor.institution
    assert institution is not None  # the province reviewer who revokes
    certificate_registration_revoke(
        certificate=certificate,
        application=application,
        reason=reason,
        actor=actor,
        institution=institution,
        token_ids=[pk for pk in tokens if pk is not None],
    )
