"""The cap on an application's files holds when uploads arrive at once (SECURITY 24):
a script sending ten uploads together to an application two short of the cap stores
two, refuses the rest with ``too_many_files`` and leaves no stray file on disk.

Real threads and transactions (``jiaozi.testing.race``), on SQLite and on PostgreSQL
(``DATABASE_URL=postgres://…``)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import ValidationFailed
from jiaozi.registration.applications import materials
from jiaozi.registration.applications.materials import material_upload
from jiaozi.registration.applications.materials import sniff as _sniff
from jiaozi.registration.models import Material
from jiaozi.registration.tests.factories_applications import OPEN, application, chain
from jiaozi.registration.tests.test_materials import pdf_bytes, upload
from jiaozi.registration.workflow import Status
from jiaozi.testing.race import failures, race, require_postgresql, returned

CAP = 6
BEFORE = CAP - 2
THREADS = 8


def _slow_sniff(turn: Iterator[int]) -> Callable[[bytes], str]:
    """The content check, taking a little longer for each upload in turn (large PDFs):
    the uploads all start together but reach the database one after another, the way
    they do on a server where writers wait for each other."""

    def sniff(data: bytes) -> str:
        time.sleep(0.05 * next(turn))
        return _sniff(data)

    return sniff


def _race(settings: Any, media: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.MEDIA_ROOT = media

    settings.REGISTRATION_MATERIAL_MAX_FILES = CAP
    with clock.travel(OPEN):
        c = chain()
        draft = application(c, status=Status.DRAFT)
        for n in range(BEFORE):
            material_upload(
                applicant=c.applicant,
                application_id=draft.pk,
                kind="other",
                file=upload(f"{n}.pdf", pdf_bytes()),
            )

        monkeypatch.setattr(materials, "sniff", _slow_sniff(itertools.count()))
        outcomes = race(
            lambda n: material_upload(
                applicant=c.applicant,
                application_id=draft.pk,
                kind="other",
                file=upload(f"r{n}.pdf", pdf_bytes()),
            ),
            threads=THREADS,
            timeout=60,
        )

    stored = returned(outcomes)
    refused = failures(outcomes)
    assert all(isinstance(e, ValidationFailed) and e.code == "too_many_files" for e in refused), refused
    assert len(stored) == CAP - BEFORE
    assert len(refused) == THREADS - (CAP - BEFORE)
    assert Material.objects.filter(application=draft).count() == CAP
    assert AuditEvent.objects.filter(kind=AuditKind.MATERIAL_UPLOADED).count() == CAP
    # A refused upload's file was removed again: one file per row.
    assert len([p for p in media.rglob("*") if p.is_file()]) == CAP


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_never_pass_the_cap(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _race(settings, tmp_path, monkeypatch)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_never_pass_the_cap_on_postgresql(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_postgresql()
    _race(settings, tmp_path, monkeypatch)
