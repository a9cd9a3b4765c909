"""The stamped form of a completed registration: its data, read from the snapshot
filed with the application at its last decision (never from the live records), and its
rendering and storage (run by the render task after completion and by the download
when the task has not run yet)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from jiaozi.certificates.links import verification_url
from jiaozi.core import clock

from ..models import Application, RegistrationForm, registration_form_upload_to
from .form import RegistrationFormData, render_registration_form
from .snapshot import form_data_from_snapshot, form_snapshot_latest, form_snapshots_take

logger = logging.getLogger("jiaozi.registration")


# --- The form's data -------------------------------------------------------------------


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def registration_form_data(*, application: Application, form: RegistrationForm) -> RegistrationFormData:
    """What the stamped form prints: the latest filed snapshot, the verification link
    built from the token and PUBLIC_BASE_URL. An application filed before snapshots
    existed gets one now, once (audited like any other); from then on it is fixed."""
    snapshot = form_snapshot_latest(application.pk)
    if snapshot is None:
        (snapshot,) = form_snapshots_take(
            decisions=[(application.pk, None, "", application.registration_authority_id)],
            actor=None,
            final=True,
        )
    completed_on = _local_date(application.completed_at) if application.completed_at else clock.today()
    return form_data_from_snapshot(
        json.loads(snapshot.data),
        verification_url=verification_url(form.token.token),
        generated_on=completed_on,
    )


# --- Rendering and storage -------------------------------------------------------------


def registration_form_get(application_id: int) -> RegistrationForm:
    return RegistrationForm.objects.select_related(
        "token",
        "application__campaign",
        "application__teacher",
        "application__certificate",
        "application__school",
        "application__registration_authority",
        "application__city_bureau",
        "application__province_bureau",
    ).get(application_id=application_id)


def registration_form_store(*, application_id: int) -> RegistrationForm:
    """Render the stamped form of a completed application and store it (the Celery
    task's body). Idempotent: a form already stored is left alone, and of two workers
    racing, the first to record its file wins and the other deletes its copy."""
    form = registration_form_get(application_id)
    if form.is_rendered:
        return form
    document = render_registration_form(registration_form_data(application=form.application, form=form))
    return registration_form_save(form, document)


def registration_form_save(form: RegistrationForm, document: bytes) -> RegistrationForm:
    digest = hashlib.sha256(document).hexdigest()
    name = default_storage.save(registration_form_upload_to(form, ""), ContentFile(document))
    updated = RegistrationForm.objects.filter(pk=form.pk, sha256=form.sha256).update(
        file=name, sha256=digest, size=len(document), rendered_at=clock.now()
    )
    if updated != 1:
        default_storage.delete(name)
        form.refresh_from_db()
        return form
    old_name = form.file.name if form.file else ""
    form.refresh_from_db()
    if old_name and old_name != name:
        default_storage.delete(old_name)
    return form


def registration_form_read(form: RegistrationForm) -> bytes | None:
    """The stored PDF, or None when it is missing or no longer matches its SHA-256."""
    if not form.is_rendered:
        return None
    try:
        with default_storage.open(str(form.file.name), "rb") as handle:
            document = handle.read()
    except FileNotFoundError:
        logger.error("Stamped form of application %s is missing from storage", form.application_id)
        return None
    if hashlib.sha256(document).hexdigest() != form.sha256:
        # The database is the source of truth: the file is rendered again from it.
        logger.error("Stamped form of application %s does not match its SHA-256", form.application_id)
        return None
    return document
